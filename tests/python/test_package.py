"""The Python package (python/scaleham) against the CLI's files: the same
numbers through scaleham.open, its conveniences (λ alias, sampled parameters
as coordinates, short labels, status names, ln_tau), the CF global
attributes, and every plot rendered headless: file written, labels and units,
the number of curves and points, and the image against a committed baseline
(text removed, so fonts do not matter) within a tolerance."""
import math
import os
import pathlib
import sys

import h5py
import numpy as np
import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "python"))
import scaleham  # noqa: E402

BASELINE = pathlib.Path(__file__).parent / "baseline"
LN10 = math.log(10.0)


@pytest.fixture(scope="module")
def files(tmp_path_factory, scaleham_bin):
    import subprocess

    d = tmp_path_factory.mktemp("package")
    paper = (REPO / "examples" / "paper.toml").read_text().replace("curves = false", "curves = true")
    (d / "paper.toml").write_text(paper)
    out = {"paper": d / "paper.h5", "halton": d / "halton.h5", "fit": d / "fit.h5"}
    run = lambda *args: subprocess.run([scaleham_bin, *map(str, args)], capture_output=True, text=True, check=True)
    run("run", d / "paper.toml", "-o", out["paper"], "--quiet")
    run("run", REPO / "examples" / "halton-random.toml", "-o", out["halton"], "--quiet")
    T = np.linspace(560.0, 1600.0, 24)
    rng = np.random.default_rng(4)
    ln_eta = -1.7 + 3200.0 / (T - 430.0) + 0.04 * rng.standard_normal(T.size)
    data = d / "melt.csv"
    data.write_text("T_K,log10_eta_Pa_s\n" + "".join(f"{t},{v / LN10}\n" for t, v in zip(T, ln_eta)))
    run("fit", data, "--model", "all", "--exclude", "5", "-o", out["fit"], "--quiet")
    return out


def test_open_gives_the_files_numbers_with_lambda_as_lam(files):
    tree = scaleham.open(files["paper"])
    B = tree["fit"].ds["B"]
    with h5py.File(files["paper"], "r") as f:
        np.testing.assert_array_equal(B.values, f["fit/B"][:])
        lam = f["lambda"][:]
        assert B.dims == ("lam", "A")
        np.testing.assert_array_equal(tree.ds["lam"].values, lam)
        np.testing.assert_array_equal(tree.ds["lambda"].values, lam)  # kept beside the alias
        np.testing.assert_array_equal(B.sel(lam=lam[4]).values, f["fit/B"][4, :])
        # /curves/log_tau holds ln τ: here it is called so.
        np.testing.assert_array_equal(tree["curves"].ds["ln_tau"].values, f["curves/log_tau"][:])
    assert B.attrs["long_name"] == "B" and B.attrs["units"] == "K"
    assert "VFT B" in B.attrs["description"]  # the file's long text, kept
    assert tree.ds["lam"].attrs["long_name"] == "λ"
    assert "DIMENSION_LABELS" not in B.attrs


def test_sampled_parameters_are_coordinates(files):
    tree = scaleham.open(files["halton"])
    fit = tree["fit"].ds
    with h5py.File(files["halton"], "r") as f:
        for axis in f["parameters"]:
            np.testing.assert_array_equal(fit[axis].values, f["parameters"][axis][:])
            assert fit[axis].dims == ("point",)
    assert "parameters" not in tree.children
    np.testing.assert_array_equal(fit["lam"].values, fit["lambda"].values)
    # A coordinate selects: the points of the sweep with λ below 0.08.
    low = fit["B"].where(fit["lambda"] < 0.08, drop=True)
    assert 0 < low.sizes["point"] < fit.sizes["point"]


def test_status_names_decode_the_flags(files):
    tree = scaleham.open(files["fit"])
    status = tree["vft"].ds["status"]
    names = scaleham.status_names(status)
    meanings = status.attrs["flag_meanings"].split()
    assert list(names.values) == [meanings[int(c)] for c in status.values]
    with pytest.raises(ValueError):
        scaleham.status_names(tree["vft"].ds["B"])


def test_files_carry_cf_global_attributes(files):
    for path in files.values():
        with h5py.File(path, "r") as f:
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        assert attrs["Conventions"] == "CF-1.8"
        assert attrs["title"].startswith("scaleham")
        assert attrs["source"].startswith("scaleham ") and attrs["git_commit"] in attrs["source"]
        assert attrs["command_line"] in attrs["history"]


# --- plots ----------------------------------------------------------------------------

plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.testing.compare import compare_images  # noqa: E402


def matches_baseline(fig, name, tmp_path, tol=12):
    """The figure with every text removed (labels, ticks, titles: fonts differ
    between machines) against tests/python/baseline/NAME.png. With
    SCALEHAM_UPDATE_BASELINE=1 the baseline is written instead."""
    for ax in fig.axes:
        ax.set_title("")
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.xaxis.set_major_formatter(plt.NullFormatter())
        ax.yaxis.set_major_formatter(plt.NullFormatter())
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.yaxis.set_minor_formatter(plt.NullFormatter())
        legend = ax.get_legend()
        if legend:
            legend.remove()
        for text in list(ax.texts):
            text.remove()
    fig.suptitle("")
    got = tmp_path / f"{name}.png"
    fig.savefig(got, dpi=60)
    want = BASELINE / f"{name}.png"
    if os.environ.get("SCALEHAM_UPDATE_BASELINE") == "1":
        BASELINE.mkdir(exist_ok=True)
        want.write_bytes(got.read_bytes())
    assert want.exists(), f"no baseline {want}: run with SCALEHAM_UPDATE_BASELINE=1"
    result = compare_images(str(want), str(got), tol=tol)
    assert result is None, result


def test_parameter_map_with_the_papers_contours(files, tmp_path):
    tree = scaleham.open(files["paper"])
    fig = scaleham.plot.parameter_map(tree, "fit/B")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "A [K]" and ax.get_ylabel() == "λ [1]"
    assert fig.axes[1].get_ylabel() == "B [K]"  # the colour bar
    assert len(ax.collections) >= 2  # the map and the contour lines
    # The map is the file's B: every cell.
    mesh = ax.collections[0]
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).ravel(), tree["fit"].ds["B"].values.ravel())
    fig.savefig(tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 1000
    matches_baseline(fig, "map", tmp_path)


def test_angell_plot_draws_one_curve_per_point(files, tmp_path):
    tree = scaleham.open(files["paper"])
    fig = scaleham.plot.angell(tree, max_curves=30)
    ax = fig.axes[0]
    curves = [line for line in ax.lines if len(line.get_xdata()) > 2]
    assert len(curves) == 30
    assert ax.get_xlabel() == "Tg / T" and ax.get_ylabel() == "log10 τ [s]"
    # Every curve is a point's ln τ(T) of the file in log10, against that point's Tg/T.
    with h5py.File(files["paper"], "r") as f:
        T = f["curves/T"][:]
        ln_tau = f["curves/log_tau"][:].reshape(-1, T.size)
        Tg = f["fit/Tg"][:].ravel()
    for line in curves:
        y = np.asarray(line.get_ydata())
        i = int(np.argmin(np.abs(ln_tau / LN10 - y).max(axis=1)))
        np.testing.assert_array_equal(y, ln_tau[i] / LN10)
        np.testing.assert_array_equal(line.get_xdata(), Tg[i] / T)
    matches_baseline(fig, "angell", tmp_path)


def test_departure_against_a_parameter(files, tmp_path):
    tree = scaleham.open(files["paper"])
    fig = scaleham.plot.departure(tree, "A")
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel().startswith("B/(A/(λc)) − 1")
    lines = [line for line in fig.axes[1].lines if len(line.get_xdata()) == tree.ds.sizes["A"]]
    assert len(lines) == 8
    matches_baseline(fig, "departure", tmp_path)


def test_fit_curves_with_residuals(files, tmp_path):
    tree = scaleham.open(files["fit"])
    fig = scaleham.plot.fit_curves(tree, "melt")
    top, bottom = fig.axes
    measured = [line for line in top.lines if line.get_label() == "measured"][0]
    left_out = [line for line in top.lines if line.get_label() == "left out"][0]
    assert len(measured.get_xdata()) == 23 and len(left_out.get_xdata()) == 1
    laws = [line for line in top.lines if "ΔAIC" in line.get_label()]
    assert len(laws) == 4
    assert bottom.get_xlabel() == "T [K]" and top.get_ylabel() == "ln y"
    # The residual points are the file's.
    with h5py.File(files["fit"], "r") as f:
        np.testing.assert_array_equal(bottom.lines[0].get_ydata(), f["vft/residual"][:])
    matches_baseline(fig, "fit", tmp_path)


def test_fit_curves_draw_the_bootstrap_bands(files, tmp_path, scaleham_bin, run_cli):
    data = files["fit"].parent / "melt.csv"
    out = tmp_path / "boot.h5"
    assert run_cli("fit", data, "--model", "vft,arrhenius", "--bootstrap", "100", "-o", out, "--quiet").returncode == 0
    fig = scaleham.plot.fit_curves(scaleham.open(out), 0)
    top = fig.axes[0]
    bands = [c for c in top.collections if c.__class__.__name__ in ("PolyCollection", "FillBetweenPolyCollection")]
    assert len(bands) == 2  # one per law
    with h5py.File(out, "r") as f:
        band = f["vft/band"][0]
        vertices = bands[0].get_paths()[0].vertices
        assert np.isclose(vertices[:, 1].min(), band.min()) and np.isclose(vertices[:, 1].max(), band.max())


def test_plot_command_line(run_cli, files, tmp_path):
    out = tmp_path / "angell.png"
    result = run_cli("plot", files["paper"], "--kind", "angell", "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 1000
    missing = run_cli("plot", tmp_path / "nope.h5", "--kind", "map")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    wrong = run_cli("plot", files["fit"], "--kind", "angell")
    assert wrong.returncode == 2 and "curves" in wrong.stderr
