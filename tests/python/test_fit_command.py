"""`scaleham fit` as users meet it: VFT fits of measured data checked against
scipy (synthetic data and the real viscosity measurements in
shared/data/viscosity), the JSON keys, bootstrap intervals, the λ prediction,
the HDF5 file, and bad input (exit 2, FILE:LINE)."""
import json
import math
import pathlib
import re

import h5py
import numpy as np
import pytest

from conftest import REPO

scipy_optimize = pytest.importorskip("scipy.optimize")

VISCOSITY = REPO.parent / "shared" / "data" / "viscosity"
VISCOSITY_FILES = sorted(VISCOSITY.glob("*.csv")) if VISCOSITY.is_dir() else []

FIT_KEYS = ["name", "model", "status", "units", "a", "B", "T_vf", "D", "Tg", "m", "rms", "chi2", "aic", "bic",
            "delta_aic", "n_points", "a_stderr", "B_stderr", "T_vf_stderr", "a_profile", "B_profile", "T_vf_profile",
            "B_T_vf_correlation", "iterations"]
CI_KEYS = ["a_ci", "B_ci", "T_vf_ci", "D_ci", "Tg_ci", "m_ci"]
H5_NAMES = ["a", "B", "T_vf", "D", "Tg", "m", "a_stderr", "B_stderr", "T_vf_stderr", "rms", "n_points",
            "status", "B_T_vf_correlation", "iterations", "dataset"]
LN10 = math.log(10.0)


def write_csv(path, header, rows, comments=()):
    lines = [f"# {c}" for c in comments] + [header] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def vft(T, a, B, T_vf):
    return a + B / (T - T_vf)


def synthetic(seed, n=25, a=math.log(1e-14), B=2000.0, T_vf=200.0, noise=0.05, T=(250.0, 400.0)):
    rng = np.random.default_rng(seed)
    temperatures = np.linspace(*T, n)
    rng.shuffle(temperatures)
    ln_tau = vft(temperatures, a, B, T_vf) + noise * rng.standard_normal(n)
    return temperatures, ln_tau


def fit_json(run_cli, *args):
    result = run_cli("fit", *args, "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- scipy as the reference -----------------------------------------------------------

def scipy_vft(T, y):
    """Least-squares VFT fit by scipy: start from a scan over T_vf with the
    linear least-squares a, B at each value, then curve_fit (Levenberg–Marquardt)
    to tight tolerances."""
    T = np.asarray(T, float)
    y = np.asarray(y, float)
    best = None
    for T_vf in np.concatenate([np.linspace(0.0, 0.99, 100), 1 - np.logspace(-2, -6, 50)]) * T.min():
        x = 1.0 / (T - T_vf)
        B, a = np.polyfit(x, y, 1)
        cost = np.sum((a + B * x - y) ** 2)
        if B > 0 and (best is None or cost < best[0]):
            best = (cost, [a, B, T_vf])
    p, _ = scipy_optimize.curve_fit(vft, T, y, p0=best[1], method="lm", ftol=1e-15, xtol=1e-15, gtol=1e-15,
                                    maxfev=200000)
    return p


def scipy_arrhenius(T, y):
    """The best fit on the T_vf = 0 bound: ln y = a + B/T."""
    T = np.asarray(T, float)
    B, a = np.polyfit(1.0 / T, y, 1)
    p, _ = scipy_optimize.curve_fit(lambda t, a, B: a + B / t, T, y, p0=[a, B], method="lm", ftol=1e-15,
                                    xtol=1e-15, gtol=1e-15, maxfev=200000)
    return p


def assert_close(ours, reference, rel, what):
    assert abs(ours - reference) <= rel * abs(reference), f"{what}: scaleham {ours!r}, scipy {reference!r}"


def read_measurements(path):
    """(T, ln y) of a measurement file, the way its header says."""
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    header = [h.strip() for h in lines[0].split(",")]
    data = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    T, value = data[:, 0], data[:, 1]
    if header[1].lower().startswith("log10"):
        return T, value * LN10
    return T, np.log(value)


# --- agreement with scipy ---------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_synthetic_data_agree_with_scipy(run_cli, tmp_path, seed):
    T, ln_tau = synthetic(seed)
    # log10 values, some negative: they are fine.
    path = write_csv(tmp_path / f"glass{seed}.csv", "T,log10_tau",
                     [(f"{t:.17g}", f"{v / LN10:.17g}") for t, v in zip(T, ln_tau)])
    [fit] = fit_json(run_cli, path)
    assert fit["status"] == "ok"
    assert fit["name"] == f"glass{seed}"
    a, B, T_vf = scipy_vft(T, ln_tau)
    assert_close(fit["a"], a, 1e-6, "a")
    assert_close(fit["B"], B, 1e-6, "B")
    assert_close(fit["T_vf"], T_vf, 1e-6, "T_vf")
    rms = math.sqrt(np.mean((vft(T, a, B, T_vf) - ln_tau) ** 2))
    assert_close(fit["rms"], rms, 1e-6, "rms")
    Tg = T_vf + B / (math.log(100.0) - a)  # τ = 100 s by default
    assert_close(fit["Tg"], Tg, 1e-6, "Tg")
    assert_close(fit["D"], B / T_vf, 1e-6, "D")
    assert_close(fit["m"], B * Tg / (LN10 * (Tg - T_vf) ** 2), 1e-6, "m")


def test_linear_tau_column_is_fitted_in_natural_log(run_cli, tmp_path):
    T, ln_tau = synthetic(11)
    linear = write_csv(tmp_path / "linear.csv", "T_K,tau_s", [(t, f"{math.exp(v):.17g}") for t, v in zip(T, ln_tau)])
    ln = write_csv(tmp_path / "ln.csv", "T_K,ln_tau", [(t, f"{v:.17g}") for t, v in zip(T, ln_tau)])
    fits = fit_json(run_cli, linear, ln)
    assert [f["name"] for f in fits] == ["linear", "ln"]
    for key in ("a", "B", "T_vf"):
        assert_close(fits[0][key], fits[1][key], 1e-9, key)
    a, B, T_vf = scipy_vft(T, ln_tau)
    assert_close(fits[0]["B"], B, 1e-6, "B")


@pytest.mark.skipif(not VISCOSITY_FILES, reason=f"no measured data in {VISCOSITY}")
@pytest.mark.parametrize("path", VISCOSITY_FILES, ids=lambda p: p.stem)
def test_measured_viscosities_fit_like_scipy_or_end_on_the_bound(run_cli, path):
    [fit] = fit_json(run_cli, path, "--tg-level", "1e12")
    T, ln_eta = read_measurements(path)
    assert fit["name"] == path.stem
    assert fit["n_points"] == len(T)
    assert fit["status"] in ("ok", "at_bound"), fit
    if path.stem.startswith("albite"):
        assert fit["status"] == "at_bound", "the albite sets are nearly Arrhenius: T_vf on the bound 0"
    if fit["status"] == "ok":
        a, B, T_vf = scipy_vft(T, ln_eta)
        assert 0 < T_vf < T.min()
        for key, reference in zip(("a", "B", "T_vf"), (a, B, T_vf)):
            assert_close(fit[key], reference, 1e-6, f"{path.stem} {key}")
        for key in ("a_stderr", "B_stderr", "T_vf_stderr", "D", "Tg", "m"):
            assert fit[key] is not None and math.isfinite(fit[key]) and fit[key] > 0, key
        # Tg is where η = 1e12 Pa·s.
        assert math.isclose(vft(fit["Tg"], fit["a"], fit["B"], fit["T_vf"]), math.log(1e12), rel_tol=1e-9)
    else:
        assert fit["T_vf"] == 0.0
        a, B = scipy_arrhenius(T, ln_eta)
        assert_close(fit["a"], a, 1e-6, f"{path.stem} a (Arrhenius)")
        assert_close(fit["B"], B, 1e-6, f"{path.stem} B (Arrhenius)")
        # On the bound for a reason: moving T_vf up from 0 raises the squared
        # residual (∂/∂T_vf of Σ r² = 2 Σ r·B/T² >= 0 at the Arrhenius optimum).
        residual = a + B / T - ln_eta
        assert np.sum(residual * B / T ** 2) >= -1e-9 * np.sum(np.abs(residual * B / T ** 2))
        assert fit["D"] is None  # B / 0: infinite, written as null


@pytest.mark.skipif(not VISCOSITY_FILES, reason=f"no measured data in {VISCOSITY}")
def test_all_measured_sets_in_one_call(run_cli, tmp_path):
    fits = fit_json(run_cli, *VISCOSITY_FILES, "--tg-level", "1e12", "--bootstrap", "200")
    assert [f["name"] for f in fits] == [p.stem for p in VISCOSITY_FILES]
    for fit in fits:
        assert fit["status"] in ("ok", "at_bound")
        assert fit["bootstrap_replicas_used"] > 150
        lo, hi = fit["B_ci"]
        assert lo <= hi


# --- JSON, bootstrap, λ ---------------------------------------------------------------------

def test_json_has_exactly_the_documented_keys(run_cli, tmp_path):
    T, ln_tau = synthetic(1)
    path = write_csv(tmp_path / "d.csv", "T,log10_tau", [(t, v / LN10) for t, v in zip(T, ln_tau)])
    [fit] = fit_json(run_cli, path)
    assert list(fit) == FIT_KEYS + ["points"]
    assert fit["n_points"] == len(T)
    assert -1 <= fit["B_T_vf_correlation"] <= -0.9  # B and T_vf trade off against each other
    assert fit["iterations"] >= 1


def test_bootstrap_intervals(run_cli, tmp_path):
    T, ln_tau = synthetic(2, n=40)
    path = write_csv(tmp_path / "d.csv", "T,log10_tau", [(t, v / LN10) for t, v in zip(T, ln_tau)])
    [fit] = fit_json(run_cli, path, "--bootstrap", "500")
    assert list(fit) == FIT_KEYS + CI_KEYS + ["bootstrap_replicas_used", "band", "points"]
    assert len(fit["band"]["T"]) == 64 and all(lo <= hi for lo, hi in zip(fit["band"]["lo"], fit["band"]["hi"]))
    assert 450 <= fit["bootstrap_replicas_used"] <= 500
    for key in CI_KEYS:
        lo, hi = fit[key]
        estimate = fit[key[:-3]]
        assert lo < hi, key
        assert lo <= estimate <= hi, f"{key} {[lo, hi]} does not hold the estimate {estimate}"
    # ~ ±2 standard errors
    width = fit["B_ci"][1] - fit["B_ci"][0]
    assert 2.5 * fit["B_stderr"] < width < 6 * fit["B_stderr"]
    # Reproducible with the same seed, different with another.
    assert fit_json(run_cli, path, "--bootstrap", "500")[0] == fit
    other = fit_json(run_cli, path, "--bootstrap", "500", "--seed", "2")[0]
    assert other["B_ci"] != fit["B_ci"]
    assert other["B"] == fit["B"]


@pytest.mark.parametrize("spec, lambdas", [("0.05,0.1,0.2", [0.05, 0.1, 0.2]),
                                           ("0.05:0.2:4", [0.05, 0.1, 0.15, 0.2])])
def test_lambda_prediction_is_lambda_c_B(run_cli, tmp_path, spec, lambdas):
    T, ln_tau = synthetic(3)
    path = write_csv(tmp_path / "d.csv", "T,log10_tau", [(t, v / LN10) for t, v in zip(T, ln_tau)])
    [fit] = fit_json(run_cli, path, "--lambda", spec, "--c", "2.5")
    predictions = fit["lambda_prediction"]
    assert [p["lambda"] for p in predictions] == pytest.approx(lambdas, rel=1e-15)
    for p in predictions:
        assert p["A"] == pytest.approx(p["lambda"] * 2.5 * fit["B"], rel=1e-14)
    # The table shows them too.
    table = run_cli("fit", path, "--lambda", spec, "--c", "2.5", "--quiet")
    assert table.returncode == 0
    assert "A = λ·c·B" in table.stdout


@pytest.mark.parametrize("spec", ["", "x", "0.1:0.2", "0.1:0.2:0", "-0.1", "0.1,,0.2"])
def test_bad_lambda_is_exit_2(run_cli, tmp_path, spec):
    path = write_csv(tmp_path / "d.csv", "T,tau", [(300, 1), (310, 2), (320, 3), (330, 4)])
    result = run_cli("fit", path, "--lambda", spec)
    assert result.returncode == 2, result.stderr
    assert "lambda" in result.stderr


def test_dataset_column_and_several_files(run_cli, tmp_path):
    rows = []
    for name, (a, B, T_vf) in {"glycerol": (-35.0, 2500.0, 130.0), "salol": (-38.0, 1700.0, 180.0)}.items():
        for t in np.linspace(T_vf + 40, T_vf + 200, 12):
            rows.append((name, t, f"{vft(t, a, B, T_vf) / LN10:.17g}"))
    rows = rows[::2] + rows[1::2]  # interleaved, unordered
    both = write_csv(tmp_path / "liquids.csv", "dataset,T,log10_tau", rows, comments=["two liquids"])
    other = write_csv(tmp_path / "other.csv", "T,log10_tau", [(t, vft(t, -30, 2000, 200) / LN10)
                                                               for t in np.linspace(250, 400, 8)])
    fits = fit_json(run_cli, both, other)
    assert [f["name"] for f in fits] == ["liquids:glycerol", "liquids:salol", "other"]
    assert fits[0]["B"] == pytest.approx(2500.0, rel=1e-9)
    assert fits[1]["T_vf"] == pytest.approx(180.0, rel=1e-9)
    assert fits[2]["a"] == pytest.approx(-30.0, rel=1e-9)


def test_custom_columns_and_scale(run_cli, tmp_path):
    rows = [(i, t, f"{vft(t, -30, 2000, 200):.17g}") for i, t in enumerate(np.linspace(250, 400, 10))]
    path = write_csv(tmp_path / "custom.csv", "index,kelvin,lnvalue", rows)
    [fit] = fit_json(run_cli, path, "--T-column", "kelvin", "--y-column", "lnvalue", "--y-scale", "ln")
    assert fit["B"] == pytest.approx(2000.0, rel=1e-9)


def test_table_output(run_cli, tmp_path):
    T, ln_tau = synthetic(4)
    path = write_csv(tmp_path / "glass.csv", "T,log10_tau", [(t, v / LN10) for t, v in zip(T, ln_tau)])
    result = run_cli("fit", path, "--bootstrap", "100", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("#")
    assert lines[1] == "" and lines[2].startswith("# vft: ln y = a + B/(T - T_vf)")
    assert lines[3].split()[:3] == ["dataset", "n", "status"]
    assert "B 95% CI" in lines[3]
    assert lines[4].split()[:3] == ["glass", "25", "ok"]


def test_backend_choice(run_cli, tmp_path):
    path = write_csv(tmp_path / "d.csv", "T,log10_tau", [(t, vft(t, -30, 2000, 200) / LN10)
                                                         for t in np.linspace(250, 400, 8)])
    cpu = run_cli("fit", path, "--backend", "cpu", "--json")
    assert cpu.returncode == 0 and cpu.stderr == ""
    auto = run_cli("fit", path, "--json")
    assert auto.returncode == 0
    assert json.loads(auto.stdout)[0]["B"] == pytest.approx(json.loads(cpu.stdout)[0]["B"], rel=1e-9)
    cuda = run_cli("fit", path, "--backend", "cuda", "--json")
    if cuda.returncode == 0:  # a usable GPU: same fit
        assert "CPU" not in auto.stderr
        assert json.loads(cuda.stdout)[0]["B"] == pytest.approx(json.loads(cpu.stdout)[0]["B"], rel=1e-9)
    else:
        assert cuda.returncode == 1, cuda.stderr
        assert "--backend cuda" in cuda.stderr
        assert "fitting on the CPU backend" in auto.stderr  # auto says why it fell back
        assert run_cli("fit", path, "--quiet").stderr == ""


def test_failed_fit_is_a_status_not_an_error(run_cli, tmp_path):
    # Constant y: no VFT curve with B > 0 fits. Exit 0, status in the output.
    flat = write_csv(tmp_path / "flat.csv", "T,tau", [(t, 5.0) for t in (300, 310, 320, 330, 340)])
    good = write_csv(tmp_path / "good.csv", "T,log10_tau", [(t, vft(t, -30, 2000, 200) / LN10)
                                                            for t in np.linspace(250, 400, 8)])
    result = run_cli("fit", flat, good, "--json")
    assert result.returncode == 0, result.stderr
    fits = json.loads(result.stdout)
    assert fits[0]["status"] in ("no_vft_minimum", "at_bound")
    if fits[0]["status"] == "no_vft_minimum":
        assert fits[0]["B"] is None
        assert "1 of 2 fits could not be done" in result.stderr
    assert fits[1]["status"] == "ok"


# --- the HDF5 file ------------------------------------------------------------------------

def test_hdf5_output(run_cli, tmp_path):
    h5py = pytest.importorskip("h5py")
    T, ln_tau = synthetic(5)
    a_path = write_csv(tmp_path / "first.csv", "T,log10_tau", [(t, v / LN10) for t, v in zip(T, ln_tau)])
    b_path = write_csv(tmp_path / "second.csv", "T,log10_tau", [(t, vft(t, -30, 2000, 200) / LN10)
                                                                for t in np.linspace(250, 400, 8)])
    out = tmp_path / "fit.h5"
    args = [a_path, b_path, "--bootstrap", "100", "--lambda", "0.1,0.2,0.3", "--c", "2", "--seed", "9",
            "--tg-level", "50"]
    result = run_cli("fit", *args, "-o", out, "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    fits = json.loads(result.stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.csv", "fit.h5", "second.csv"]
    with h5py.File(out, "r") as f:
        v = f["vft"]
        for name in H5_NAMES + [k for k in CI_KEYS] + ["bootstrap_replicas_used", "A_predicted"]:
            assert name in v or name == "dataset", name
        for name in ("dataset", "vft/lambda", "quantile", "row", "points/T", "points/y", "points/line", "points/used"):
            assert name in f, name
        assert [n.decode() if isinstance(n, bytes) else n for n in f["dataset"][:]] == ["first", "second"]
        for key in ("a", "B", "T_vf", "D", "Tg", "m", "rms", "a_stderr", "B_stderr", "T_vf_stderr",
                    "B_T_vf_correlation", "chi2", "aic", "bic", "delta_aic"):
            assert v[key].shape == (2,)
            np.testing.assert_allclose(v[key][:], [fit[key] for fit in fits], rtol=1e-12, err_msg=key)
        for key in ("a_profile", "B_profile", "T_vf_profile"):
            np.testing.assert_allclose(v[key][:], [fit[key] for fit in fits], rtol=1e-12, err_msg=key)
        assert list(v["n_points"][:]) == [25, 8]
        assert v["status"].dtype == np.uint8
        meanings = v["status"].attrs["flag_meanings"]
        meanings = (meanings.decode() if isinstance(meanings, bytes) else meanings).split()
        assert [meanings[code] for code in v["status"][:]] == [fit["status"] for fit in fits]
        for key in CI_KEYS:
            assert v[key].shape == (2, 2)
            np.testing.assert_allclose(v[key][:], [fit[key] for fit in fits], rtol=1e-12, err_msg=key)
        assert list(v["bootstrap_replicas_used"][:]) == [fit["bootstrap_replicas_used"] for fit in fits]
        assert v["A_predicted"].shape == (2, 3)
        np.testing.assert_allclose(v["lambda"][:], [0.1, 0.2, 0.3])
        np.testing.assert_allclose(v["A_predicted"][:], np.outer(v["B"][:], [0.1, 0.2, 0.3]) * 2, rtol=1e-14)
        # Residuals over every row read, as the JSON has them.
        np.testing.assert_allclose(v["residual"][:], sum((fit["points"]["residual"] for fit in fits), []),
                                   rtol=1e-12, atol=1e-15)
        assert list(f["points/line"][:]) == sum((fit["points"]["line"] for fit in fits), [])
        # Dimension scales: the dataset names and λ.
        assert v["B"].dims[0].label == "dataset"
        assert v["B"].dims[0][0].name == "/vft/dataset"
        assert v["A_predicted"].dims[1][0].name == "/vft/lambda"
        assert v["residual"].dims[0][0].name == "/vft/row"
        attrs = dict(f.attrs)
        assert attrs["tg_level"] == 50.0 and attrs["c"] == 2.0 and attrs["seed"] == 9 and attrs["bootstrap"] == 100
        assert "version" in attrs and "fit" in attrs["command_line"]
        assert attrs["models"] == "vft" and attrs["units"] == "ln" and attrs["sigma"] == "none"
        assert v["B"].attrs["units"] in ("K", b"K")
    # xarray sees named dimensions with the names as coordinates, one group per law.
    try:
        import xarray as xr
        import h5netcdf  # noqa: F401
    except ImportError:
        pass
    else:
        with xr.open_dataset(out, group="vft", engine="h5netcdf", phony_dims="access") as ds:
            assert ds.B.dims == ("dataset",)
            assert ds.A_predicted.dims == ("dataset", "lambda")
            assert float(ds.B.sel(dataset="second")) == pytest.approx(2000.0, rel=1e-9)
            assert list(ds["quantile"].values) == [0.025, 0.975]
    # Exists: refused without --force (exit 2, untouched), replaced with it.
    before = out.read_bytes()
    again = run_cli("fit", a_path, "-o", out)
    assert again.returncode == 2
    assert "exists" in again.stderr and "--force" in again.stderr
    assert out.read_bytes() == before
    forced = run_cli("fit", a_path, "-o", out, "--force", "--quiet")
    assert forced.returncode == 0, forced.stderr
    with h5py.File(out, "r") as f:
        assert f["vft/B"].shape == (1,)
        assert "vft/A_predicted" not in f and "vft/B_ci" not in f
    assert not (tmp_path / "fit.h5.partial").exists()


# --- bad input: exit 2, one message naming FILE:LINE, nothing written ------------------------

BAD_FILES = {
    "non-numeric": ("# c\nT,tau\n300,1\n310,x\n320,3\n330,4\n", 4, "not a number"),
    "T zero": ("T,tau\n300,1\n310,2\n0,3\n330,4\n", 4, "not positive"),
    "T negative": ("T,tau\n-300,1\n310,2\n320,3\n330,4\n", 2, "not positive"),
    "linear tau zero": ("T,tau\n300,1\n310,2\n320,3\n330,0\n", 5, "not positive"),
    "linear tau negative": ("T,tau_s\n300,-1\n310,2\n320,3\n330,4\n", 2, "not positive"),
    "non-finite": ("T,log10_tau\n300,1\n310,inf\n320,3\n330,4\n", 3, "not finite"),
    "too few rows": ("# three\nT,tau\n300,1\n310,2\n320,3\n", 3, "at least 4"),
    "no header": ("# only\n# comments\n", 2, "no header"),
    "field count": ("T,tau\n300,1\n310\n320,3\n330,4\n", 3, "fields"),
    "small dataset": ("dataset,T,tau\na,300,1\na,310,2\na,320,3\na,330,4\nb,300,1\n", 6, "dataset 'bad:b'"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_rows_are_exit_2_with_file_and_line(run_cli, tmp_path, kind):
    text, line, message = BAD_FILES[kind]
    good = write_csv(tmp_path / "good.csv", "T,tau", [(300, 1), (310, 2), (320, 3), (330, 4)])
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    out = tmp_path / "fit.h5"
    result = run_cli("fit", good, bad, "-o", out)
    assert result.returncode == 2, result.stderr
    assert re.search(rf"bad\.csv:{line}: ", result.stderr), result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, "one clear message"
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "good.csv"], "nothing written"


def test_log10_values_may_be_negative(run_cli, tmp_path):
    path = write_csv(tmp_path / "fast.csv", "T,log10_tau", [(t, vft(t, -30, 2000, 200) / LN10)
                                                            for t in np.linspace(300, 500, 8)])
    [fit] = fit_json(run_cli, path)
    assert fit["status"] == "ok"


def test_unknown_column_lists_the_available(run_cli, tmp_path):
    path = write_csv(tmp_path / "d.csv", "T_K,log10_eta_Pa_s", [(300, 1), (310, 2), (320, 3), (330, 4)])
    result = run_cli("fit", path, "--y-column", "tau")
    assert result.returncode == 2
    assert "d.csv:1:" in result.stderr
    assert "'T_K', 'log10_eta_Pa_s'" in result.stderr


def test_missing_file_and_bad_options_are_exit_2(run_cli, tmp_path):
    missing = run_cli("fit", tmp_path / "nope.csv")
    assert missing.returncode == 2
    assert "nope.csv" in missing.stderr
    path = write_csv(tmp_path / "d.csv", "T,tau", [(300, 1), (310, 2), (320, 3), (330, 4)])
    for args in (["--tg-level", "-1"], ["--c", "0"], ["--bootstrap", "-3"], ["--y-scale", "log2"],
                 ["--backend", "tpu"], ["--no-such-option"]):
        result = run_cli("fit", path, *args)
        assert result.returncode == 2, (args, result.stderr)
    assert run_cli("fit").returncode == 2  # no files


def melt_rows():
    return [(t, vft(t, math.log(1e-5), 8000, 700) / LN10) for t in np.linspace(950, 1700, 10)]


@pytest.mark.parametrize("column, level, what", [
    ("log10_eta_Pa_s", 1e12, "viscosity in Pa s"),
    ("eta_Pa.s", 1e12, "viscosity in Pa s"),
    ("log10_viscosity_poise", 1e13, "viscosity in poise"),
    ("log10_tau_s", 100.0, "relaxation time in s"),
])
def test_tg_level_follows_the_quantity_the_column_names(run_cli, tmp_path, column, level, what):
    rows = melt_rows() if column.startswith("log10") else [(t, 10 ** y) for t, y in melt_rows()]
    path = write_csv(tmp_path / "melt.csv", f"T_K,{column}", rows)
    out = tmp_path / "fit.h5"
    plain = run_cli("fit", path, "--json", "-o", out)
    assert plain.returncode == 0, plain.stderr
    assert "warning" not in plain.stderr and "--tg-level" not in plain.stderr, plain.stderr
    [fit] = json.loads(plain.stdout)
    assert math.isclose(vft(fit["Tg"], fit["a"], fit["B"], fit["T_vf"]), math.log(level), rel_tol=1e-9)
    with h5py.File(out, "r") as f:
        assert f.attrs["tg_level"] == level
        assert f.attrs["tg_level_source"] == f"the quantity: {what}"
    # --tg-level still decides when given, silently.
    given = run_cli("fit", path, "--tg-level", "1e3", "--json", "--quiet")
    assert given.returncode == 0 and given.stderr == "", given.stderr
    [fit] = json.loads(given.stdout)
    assert math.isclose(vft(fit["Tg"], fit["a"], fit["B"], fit["T_vf"]), math.log(1e3), rel_tol=1e-9)


def test_a_column_of_unknown_quantity_gets_the_default_level_and_a_warning(run_cli, tmp_path):
    path = write_csv(tmp_path / "d.csv", "T,y", [(t, 10 ** y) for t, y in melt_rows()])
    r = run_cli("fit", path, "--json")
    assert r.returncode == 0, r.stderr
    assert "warning: Tg is where y reaches 100" in r.stderr and "'y'" in r.stderr and "--tg-level" in r.stderr
    [fit] = json.loads(r.stdout)
    assert math.isclose(vft(fit["Tg"], fit["a"], fit["B"], fit["T_vf"]), math.log(100.0), rel_tol=1e-9)
    assert "warning" not in run_cli("fit", path, "--tg-level", "100").stderr


def test_columns_without_one_common_level_are_refused(run_cli, tmp_path):
    eta = write_csv(tmp_path / "eta.csv", "T_K,log10_eta_Pa_s", melt_rows())
    tau = write_csv(tmp_path / "tau.csv", "T_K,log10_tau_s", melt_rows())
    unknown = write_csv(tmp_path / "u.csv", "T_K,y", [(t, 10 ** y) for t, y in melt_rows()])
    for pair in ((eta, tau), (eta, unknown)):
        r = run_cli("fit", *pair, "-o", tmp_path / "out.h5")
        assert r.returncode == 2, r.stderr
        assert "do not share one level at Tg" in r.stderr and "--tg-level" in r.stderr, r.stderr
        assert not (tmp_path / "out.h5").exists()
    assert run_cli("fit", eta, tau, "--tg-level", "1e12").returncode == 0


@pytest.mark.skipif(not VISCOSITY_FILES, reason="no measured viscosity tables")
def test_measured_viscosities_get_tg_at_1e12_pa_s(run_cli):
    # The measured tables name eta in Pa s: the same fits as with --tg-level 1e12.
    by_quantity = fit_json(run_cli, *VISCOSITY_FILES)
    by_option = fit_json(run_cli, *VISCOSITY_FILES, "--tg-level", "1e12")
    for q, o in zip(by_quantity, by_option):
        assert q["name"] == o["name"] and q["Tg"] == o["Tg"] and q["m"] == o["m"], q["name"]
        assert 450 < q["Tg"] < 1100, q  # B2O3 near 550 K, albite and diopside near 1000 K


@pytest.mark.parametrize("option", ["--tg-level", "--c"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_non_finite_numeric_options_are_bad_input(run_cli, tmp_path, option, value):
    data = tmp_path / "melt.csv"
    data.write_text("T,tau\n400,1\n450,0.1\n500,0.01\n550,0.001\n")
    result = run_cli("fit", data, f"{option}={value}")
    assert result.returncode == 2, result.stderr
    assert option in result.stderr


# --- issue 9 item 10: CSV input that was misread or reported badly ---------------------------

def assert_refused(result, *needles):
    """Exit 2, one line on stderr with every needle, nothing on stdout."""
    assert result.returncode == 2, (result.returncode, result.stderr[:2000])
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr[:2000])
    assert result.stderr.count("\n") == 1, result.stderr[:2000]
    assert result.stdout == ""


def four_rows_csv(path, header="T,log10_tau"):
    return write_csv(path, header, [(t, vft(t, -30, 2000, 200) / LN10) for t in (300, 320, 340, 360)])


def test_cr_only_line_ends_are_line_ends(run_cli, tmp_path):
    path = tmp_path / "mac.csv"
    rows = [(t, vft(t, -30, 2000, 200) / LN10) for t in np.linspace(300, 500, 8)]
    path.write_bytes(("# classic Mac OS\rT,log10_tau\r" + "".join(f"{t},{y}\r" for t, y in rows)).encode())
    [fit] = fit_json(run_cli, path)
    assert fit["n_points"] == 8 and fit["status"] == "ok"
    path.write_bytes(b"T,log10_tau\r300,1\r310,x\r320,3\r330,4\r")
    assert_refused(run_cli("fit", path), "mac.csv:3: ", "not a number")


def test_repeated_column_name_is_refused(run_cli, tmp_path):
    path = four_rows_csv(tmp_path / "d.csv", "T_K,T_K")
    assert_refused(run_cli("fit", path), "d.csv:1: column name 'T_K' appears twice in the header (columns 1 and 2)")


@pytest.mark.parametrize("text", ["0x2BC", "0x1p9", "nan(7)", " 1e3e"])
def test_only_decimal_numbers_are_numbers(run_cli, tmp_path, text):
    path = tmp_path / "d.csv"
    path.write_text(f"T,tau\n300,1\n{text},2\n320,3\n330,4\n")
    assert_refused(run_cli("fit", path), "d.csv:3: ", "not a number")


def test_hexadecimal_options_are_refused(run_cli, tmp_path):
    path = four_rows_csv(tmp_path / "d.csv")
    for args in (["--lambda", "0x1"], ["--tg-level", "0x64"], ["--c", "0x2"]):
        result = run_cli("fit", path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert args[0] in result.stderr and "0x" in result.stderr, result.stderr


def test_range_errors_do_not_print_309_digits(run_cli, tmp_path):
    path = four_rows_csv(tmp_path / "d.csv")
    for option in ("--tg-level", "--c"):
        result = run_cli("fit", path, option, "-1")
        assert result.returncode == 2
        assert f"{option}: must be a finite decimal number > 0, not '-1'" in result.stderr, result.stderr
        assert len(result.stderr) < 200, result.stderr


def test_long_field_is_capped_in_the_message(run_cli, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("T,tau\n300,1\n310," + "9" * (10 << 20) + "x\n320,3\n330,4\n")
    result = run_cli("fit", path)
    assert_refused(result, "d.csv:3: '" + "9" * 80 + "… (10485761 bytes)' in column 'tau' is not a number")
    assert len(result.stderr) < 300


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "nul"])
def test_binary_or_utf16_csv_is_named_as_such(run_cli, tmp_path, encoding):
    path = tmp_path / "d.csv"
    text = "T,tau\n300,1\n310,2\n320,3\n330,4\n"
    path.write_bytes(text.replace("320", "3\x0020").encode() if encoding == "nul" else text.encode(encoding))
    line = 4 if encoding == "nul" else 1
    assert_refused(run_cli("fit", path), f"d.csv:{line}: ", "UTF-16")


def test_duplicate_dataset_names_are_refused(run_cli, tmp_path):
    a = write_csv(tmp_path / "x.csv", "dataset,T,tau", [("b", 300, 1), ("b", 310, 2), ("b", 320, 3), ("b", 330, 4)])
    b = four_rows_csv(tmp_path / "x:b.csv")
    assert_refused(run_cli("fit", a, b), "x:b.csv:2: dataset name 'x:b' is also the name of a dataset of")
    assert_refused(run_cli("fit", a, a), "x.csv: the file is given twice")


def test_empty_lambda_does_not_swallow_the_next_option(run_cli, tmp_path):
    path = four_rows_csv(tmp_path / "d.csv")
    for args in (["--lambda=", "--json"], ["--json", "--lambda="], ["--lambda", ""]):
        result = run_cli("fit", path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert "--lambda" in result.stderr and "empty" in result.stderr, (args, result.stderr)
        assert result.stdout == ""


def test_seed_beyond_64_bits_is_refused(run_cli, tmp_path):
    path = four_rows_csv(tmp_path / "d.csv")
    for seed in ("18446744073709551616", "99999999999999999999999", "-1", "0x10"):
        result = run_cli("fit", path, "--bootstrap", "2", "--seed", seed, "--json")
        assert result.returncode == 2, (seed, result.stderr)
        assert "--seed" in result.stderr and "18446744073709551615" in result.stderr, result.stderr
    ok = run_cli("fit", path, "--bootstrap", "2", "--seed", "18446744073709551615", "--json", "--quiet")
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("option", ["-o", "--T-column", "--y-column", "--dataset-column"])
def test_empty_names_are_refused_not_defaulted(run_cli, tmp_path, option):
    path = four_rows_csv(tmp_path / "d.csv")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli("fit", path, option, "", "--quiet")
    assert result.returncode == 2, result.stderr
    assert "must not be empty" in result.stderr and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --- statuses tell the truth (issue 9, item 8) ---------------------------------------------

def test_row_near_1e300_is_out_of_range_not_too_few_points(run_cli, tmp_path):
    # Finite rows the fitter's arithmetic cannot carry (ln y = 2.3e300): the
    # fit says so (out_of_range, exit 0, numbers null), never too_few_points
    # or no_vft_minimum on 30 distinct temperatures.
    temperatures = np.linspace(250, 400, 30)
    rows = [(t, vft(t, -30, 2000, 200) / LN10) for t in temperatures]
    rows[7] = (rows[7][0], "1e300")
    one = write_csv(tmp_path / "one.csv", "T,log10_tau", rows)
    every = write_csv(tmp_path / "every.csv", "T,log10_tau", [(t, 1e300 * (1 + i / 10))
                                                             for i, t in enumerate(temperatures)])
    good = write_csv(tmp_path / "good.csv", "T,log10_tau", [(t, vft(t, -30, 2000, 200) / LN10)
                                                            for t in temperatures])
    out = tmp_path / "fit.h5"
    result = run_cli("fit", one, every, good, "--json", "-o", out)
    assert result.returncode == 0, result.stderr
    fits = json.loads(result.stdout)
    assert [f["status"] for f in fits] == ["out_of_range", "out_of_range", "ok"]
    for f in fits[:2]:
        assert f["n_points"] == 30
        assert all(f[key] is None for key in ("a", "B", "T_vf", "D", "Tg", "m", "rms")), f
    assert "2 of 3 fits could not be done" in result.stderr
    h5py = pytest.importorskip("h5py")
    with h5py.File(out, "r") as f:
        meanings = f["vft/status"].attrs["flag_meanings"]
        meanings = (meanings.decode() if isinstance(meanings, bytes) else str(meanings)).split()
        assert meanings.index("out_of_range") == 13
        assert list(f["vft/status"][:]) == [13, 13, 0]


def test_tg_out_of_reach_is_null_with_a_successful_fit(run_cli, tmp_path):
    # The documented per-field rule: a fitted law that never comes down to the
    # Tg level (here tau = 1e-20 s, below tau0 = 1e-14 s) has Tg and m null,
    # and the fit itself is fine.
    path = write_csv(tmp_path / "d.csv", "T,log10_tau", [(t, vft(t, math.log(1e-14), 2000, 200) / LN10)
                                                         for t in np.linspace(250, 400, 12)])
    [fit] = fit_json(run_cli, path, "--tg-level", "1e-20")
    assert fit["status"] == "ok"
    assert fit["a"] >= math.log(1e-20)
    assert fit["Tg"] is None and fit["m"] is None
    assert all(fit[key] is not None for key in ("a", "B", "T_vf", "D", "rms", "B_stderr"))
