"""Axes over settings (issue: "everything sweepable"): T_min, T_max, T_ref,
tau0, tg_tau, g_min, g_max, g_target and the flow's and the action's
tolerances. A sweep over a setting is, point for point and bit for bit, the
runs with that setting edited (--set); the config checks each coordinate like
the file's value; /curves/T spans the T_min and T_max axes."""
import sys

import h5py
import numpy as np
import pytest

from conftest import REPO

BASE = """
[model]
lambda = 0.1
A = 50.0
[flow]
g0 = 100.0
ell = -10.0
integrator = "dopri5"
[temperature]
points = 12
[output]
curves = true
[[grid.axis]]
name = "g0"
values = [60.0, 100.0]
"""

# axis name, two values, the key --set edits for a run without the axis
SETTINGS = [
    ("T_min", [410.0, 450.0], "temperature.T_min"),
    ("T_max", [650.0, 720.0], "temperature.T_max"),
    ("T_ref", [600.0, 700.0], "temperature.T_ref"),
    ("tau0", [1e-13, 1e-15], "temperature.tau0"),
    ("tg_tau", [10.0, 1000.0], "fit.tg_tau"),
    ("g_min", [30.0, 50.0], "flow.g_min"),
    ("g_max", [120.0, 1e6], "flow.g_max"),
    ("g_target", [40.0, 55.0], "flow.g_target"),
    ("flow_rtol", [1e-6, 1e-9], "flow.rtol"),
    ("flow_atol", [1e-8, 1e-3], "flow.atol"),
    ("action_rtol", [1e-6, 1e-9], "action.rtol"),
    ("action_atol", [1e-6, 1e-2], "action.atol"),
]


SCALES = {"g0", "T_index", "T"} | {name for name, _, _ in SETTINGS}


def results(data, i=None):
    """The result datasets of a file (not its coordinates and /curves/T), at
    index i of their first axis when given."""
    out = {}
    with h5py.File(data, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and name.rpartition("/")[2] not in SCALES:
                out[name] = (obj[...] if i is None else obj[i]).tobytes()
        f.visititems(visit)
    return out


@pytest.mark.parametrize("name,values,key", SETTINGS, ids=[s[0] for s in SETTINGS])
def test_a_setting_axis_equals_runs_with_the_setting_edited(run_cli, tmp_path, name, values, key):
    config = tmp_path / "c.toml"
    config.write_text(BASE)
    swept = tmp_path / "swept.h5"
    axis = f'\n[[grid.axis]]\nname = "{name}"\nvalues = {values}\n'
    (tmp_path / "s.toml").write_text(BASE.replace("[[grid.axis]]", axis.strip() + "\n[[grid.axis]]", 1))
    done = run_cli("run", tmp_path / "s.toml", "-o", swept, "--backend", "cpu", "--quiet")
    assert done.returncode in (0, 3), done.stderr
    for i, value in enumerate(values):
        one = tmp_path / f"one{i}.h5"
        done = run_cli("run", config, "--set", f"{key}={value!r}", "-o", one, "--backend", "cpu", "--quiet")
        assert done.returncode in (0, 3), done.stderr
        got, want = results(swept, i), results(one)
        assert got.keys() == want.keys() and len(got) > 20, (got.keys(), want.keys())
        for k in got:
            assert got[k] == want[k], (name, value, k)
        with h5py.File(swept, "r") as f, h5py.File(one, "r") as g:
            T = f["curves/T"]
            mine = T[i] if T.ndim == 2 else T[...]
            assert mine.tobytes() == g["curves/T"][...].tobytes()


def test_results_differ_along_a_setting_axis(run_cli, tmp_path):
    # The test above can fail: τ0 moves a by ln(τ0) and nothing else.
    (tmp_path / "s.toml").write_text(BASE + '[[grid.axis]]\nname = "tau0"\nvalues = [1e-13, 1e-15]\n')
    assert run_cli("run", tmp_path / "s.toml", "-o", tmp_path / "s.h5", "--backend", "cpu", "--quiet").returncode == 0
    with h5py.File(tmp_path / "s.h5", "r") as f:
        a = f["fit/a"][...]
        assert np.allclose(a[:, 0] - a[:, 1], np.log(1e-13) - np.log(1e-15), rtol=1e-12)
        assert np.isclose(f["fit/B"][0, 0], f["fit/B"][0, 1], rtol=1e-12, atol=0)  # the same law, rounded anew


def test_curves_T_spans_the_temperature_axes(run_cli, tmp_path):
    (tmp_path / "s.toml").write_text(BASE + '[[grid.axis]]\nname = "T_max"\nvalues = [650.0, 700.0, 750.0]\n'
                                     '[[grid.axis]]\nname = "T_min"\nlinspace = [410.0, 430.0, 2]\n')
    assert run_cli("run", tmp_path / "s.toml", "-o", tmp_path / "s.h5", "--backend", "cpu", "--quiet").returncode == 0
    with h5py.File(tmp_path / "s.h5", "r") as f:
        T = f["curves/T"]
        assert T.shape == (3, 2, 12) and f["curves/log_tau"].shape == (2, 3, 2, 12)
        assert [d.label for d in T.dims] == ["T_max", "T_min", "T_index"]
        assert T[2, 1, 0] == 430.0 and T[2, 1, -1] == 750.0 and T[0, 0, -1] == 650.0
        # T_ref follows T_max when not given: ln τ = ln τ0 at the top of every curve.
        assert np.all(f["curves/log_tau"][..., -1] == np.log(1e-14))


def test_sampled_settings_are_written_and_used(run_cli, tmp_path):
    text = BASE.replace('[[grid.axis]]\nname = "g0"\nvalues = [60.0, 100.0]\n',
                        '[grid]\nsampling = "halton"\npoints = 16\n[[grid.axis]]\nname = "tau0"\n'
                        'logspace = [1e-15, 1e-12]\n[[grid.axis]]\nname = "action_rtol"\nlinspace = [1e-9, 1e-8]\n')
    (tmp_path / "h.toml").write_text(text.replace("curves = true", "curves = false"))
    assert run_cli("run", tmp_path / "h.toml", "-o", tmp_path / "h.h5", "--backend", "cpu", "--quiet").returncode == 0
    with h5py.File(tmp_path / "h.h5", "r") as f:
        tau0, rtol = f["parameters/tau0"][...], f["parameters/action_rtol"][...]
        assert np.all((tau0 >= 1e-15) & (tau0 <= 1e-12)) and np.all((rtol >= 1e-9) & (rtol <= 1e-8))
        assert len(np.unique(tau0)) == 16
        # a = ln τ0 − B/(T_ref − T0): the sampled τ0 is the one each point used.
        offset = f["fit/a"][...] - np.log(tau0)
        assert np.allclose(offset, offset[0], rtol=0, atol=1e-9)
        assert f.attrs["swept_settings"] in ("tau0 action_rtol", b"tau0 action_rtol")


def test_a_T_ref_axis_is_T_ref_in_any_order(run_cli, tmp_path):
    axes = '[[grid.axis]]\nname = "T_ref"\nvalues = [600.0, 650.0]\n[[grid.axis]]\nname = "T_max"\nvalues = [700.0, 720.0]\n'
    (tmp_path / "r.toml").write_text(BASE + axes)
    assert run_cli("run", tmp_path / "r.toml", "-o", tmp_path / "r.h5", "--backend", "cpu", "--quiet").returncode == 0
    with h5py.File(tmp_path / "r.h5", "r") as f:
        a = f["fit/a"][...]                       # (g0, T_ref, T_max)
        assert a[0, 0, 0] != a[0, 1, 0]           # along T_ref
        assert a[0, 0, 0] == a[0, 0, 1]           # not along T_max: T_ref is its own


@pytest.mark.parametrize("axis,extra,args", [
    ('name = "flow_rtol"\nvalues = [1e-5, 1e-4]', "", ["--precision", "float"]),  # the base rtol is not used
    ('name = "T_min"\nlinspace = [420.0, 800.0, 1]', "", []),                      # one coordinate: lo
    ('name = "T_min"\nvalues = [400.0, 650.0]\n[[grid.axis]]\nname = "T_max"\nvalues = [600.0, 700.0]',
     "", ["--set", 'grid.sampling="paired"']),                                      # pairs, not ranges
])
def test_valid_setting_axes_are_accepted(run_cli, tmp_path, axis, extra, args):
    text = (BASE + "[[grid.axis]]\n" + axis + "\n").replace(
        '[[grid.axis]]\nname = "g0"\nvalues = [60.0, 100.0]\n', "") + extra
    (tmp_path / "c.toml").write_text(text)
    done = run_cli("run", tmp_path / "c.toml", "-o", tmp_path / "c.h5", "--backend", "cpu", "--quiet",
                   "--set", "output.curves=false", *args)
    assert done.returncode in (0, 3), done.stderr


@pytest.mark.parametrize("axis,message", [
    ('name = "action_rtol"\nvalues = [0.0, 1e-10]', "action_rtol = 0 here, with action.atol = 0"),
    ('name = "flow_rtol"\nlinspace = [0.0, 1e-14, 11]', "a flow rtol must be 0 or in [10 eps, 1)"),
    ('name = "T_min"\nvalues = [420.0, 710.0]', "T_max must be > T_min at every point"),
    ('name = "T_ref"\nvalues = [390.0, 700.0]', "T_ref goes down to 390 K, but T_ref must be above T0"),
    ('name = "T_max"\nvalues = [390.0, 700.0]', "T_max must be > T_min at every point"),
    ('name = "flow_rtol"\nvalues = [1e-20]', "a flow rtol must be 0 or in [10 eps, 1)"),
    ('name = "action_atol"\nvalues = [-1.0]', "must be >= 0"),
    ('name = "tau0"\nvalues = [0.0]', "must be > 0"),
    ('name = "T_mni"\nvalues = [1.0]', "did you mean 'T_min'?"),
])
def test_setting_axes_are_checked_like_the_file(run_cli, tmp_path, axis, message):
    (tmp_path / "c.toml").write_text(BASE + "[[grid.axis]]\n" + axis + "\n")
    done = run_cli("run", tmp_path / "c.toml", "-o", tmp_path / "c.h5", "--quiet")
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_random_temperatures_with_curves_are_refused(run_cli, tmp_path):
    text = BASE.replace('[[grid.axis]]\nname = "g0"\nvalues = [60.0, 100.0]\n',
                        '[grid]\nsampling = "halton"\npoints = 8\n[[grid.axis]]\nname = "T_min"\nlinspace = [410.0, 450.0]\n')
    (tmp_path / "c.toml").write_text(text)
    done = run_cli("run", tmp_path / "c.toml", "-o", tmp_path / "c.h5", "--quiet")
    assert done.returncode == 2 and 'T_min sampled (sampling = "halton")' in done.stderr, done.stderr
    (tmp_path / "d.toml").write_text(text.replace("curves = true", "curves = false"))
    assert run_cli("run", tmp_path / "d.toml", "-o", tmp_path / "d.h5", "--backend", "cpu",
                   "--quiet").returncode == 0


def test_float_refuses_an_rtol_axis_below_its_reach(run_cli, tmp_path):
    (tmp_path / "c.toml").write_text(BASE.replace("[flow]", "[flow]\nrtol = 1e-5\natol = 1e-7")
                                     + '[[grid.axis]]\nname = "flow_rtol"\nvalues = [1e-5, 1e-9]\n')
    done = run_cli("run", tmp_path / "c.toml", "-o", tmp_path / "c.h5", "--precision", "float", "--quiet")
    assert done.returncode == 2 and "rtol 1e-09 is below what --precision float can deliver" in done.stderr


def test_auto_runs_setting_axes_wherever_it_runs(run_cli, tmp_path):
    # A GPU runs them with kernels compiled for per-point settings
    # (tests/test_cuda_backend.cpp compares those with the CPU); here, the CPU.
    (tmp_path / "c.toml").write_text(BASE + '[[grid.axis]]\nname = "T_min"\nvalues = [410.0]\n')
    assert run_cli("run", tmp_path / "c.toml", "-o", tmp_path / "c.h5", "--quiet").returncode == 0


def test_python_reads_and_plots_per_point_temperatures(run_cli, tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "python"))
    import scaleham
    monkeypatch.setenv("MPLBACKEND", "Agg")
    (tmp_path / "s.toml").write_text(BASE + '[[grid.axis]]\nname = "T_min"\nvalues = [410.0, 450.0]\n')
    assert run_cli("run", tmp_path / "s.toml", "-o", tmp_path / "s.h5", "--backend", "cpu", "--quiet").returncode == 0
    tree = scaleham.open(tmp_path / "s.h5")
    ln_tau = tree["curves"].ds["ln_tau"]
    assert ln_tau.dims[-1] == "T_index" and ln_tau["T"].dims == ("T_min", "T_index")
    assert float(ln_tau["T"].sel(T_min=450.0)[0]) == 450.0
    figure = scaleham.plot.angell(tree)
    lines = figure.axes[0].get_lines()
    assert len(lines) >= 4  # one per curve, and the two guide lines
