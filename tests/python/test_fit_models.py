"""`scaleham fit --model ...`: the four laws against scipy's curve_fit (with
and without sigma), AIC/BIC and residuals computed here from scipy's optimum,
profile-likelihood intervals (the t interval of a linear law; the χ² level
at a bounded end by scipy's least_squares), --T-range/--exclude/--units, the
theory loop --emit-config -> scaleham run, and `scaleham inspect` on every
kind of file scaleham writes. Measured tables of shared/data/viscosity are
used where present (read there, never copied)."""
import json
import math
import shutil

import h5py
import numpy as np
import pytest

from conftest import REPO

scipy_optimize = pytest.importorskip("scipy.optimize")
scipy_stats = pytest.importorskip("scipy.stats")

LN10 = math.log(10.0)
EPS = np.finfo(float).eps
VISCOSITY = REPO.parent / "shared" / "data" / "viscosity"
DIOPSIDE = VISCOSITY / "diopside_CaMgSi2O6_viscosity_glasspy_example.csv"
B2O3 = VISCOSITY / "B2O3_viscosity_Eppler1966.csv"
ALBITE = VISCOSITY / "albite_NaAlSi3O8_viscosity_CranmerUhlmann_JNCS.csv"

LAWS = {
    "vft": (lambda T, a, B, T_vf: a + B / (T - T_vf), ("a", "B", "T_vf")),
    "myega": (lambda T, a, K, C: a + K / T * np.exp(C / T), ("a", "K", "C")),
    "avramov_milchev": (lambda T, a, T_A, alpha: a + (T_A / T) ** alpha, ("a", "T_A", "alpha")),
    "arrhenius": (lambda T, a, E: a + E / T, ("a", "E")),
}
TRUTH = {"vft": (-10.0, 9000.0, 700.0), "myega": (-4.0, 800.0, 3700.0),
         "avramov_milchev": (-2.5, 2000.0, 4.8), "arrhenius": (-30.0, 60000.0)}


def write_csv(path, header, rows):
    path.write_text(header + "\n" + "\n".join(",".join(str(v) for v in row) for row in rows) + "\n")
    return path


def synthetic(law, seed, n=30, noise=0.03, T=(1000.0, 1700.0)):
    """ln η of a law at n temperatures, with Gaussian noise in ln η."""
    rng = np.random.default_rng(seed)
    temperatures = np.linspace(*T, n)
    f, _ = LAWS[law]
    return temperatures, f(temperatures, *TRUTH[law]) + noise * rng.standard_normal(n)


def fits_of(run_cli, *args):
    result = run_cli("fit", *args, "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def scipy_fit(law, T, ln_y, start, sigma=None, absolute_sigma=False):
    """curve_fit from a start 2% off scaleham's optimum: an independent minimiser."""
    f, _ = LAWS[law]
    p0 = np.asarray(start) * 1.02
    if law == "vft":
        p0[2] = min(p0[2], 0.999 * T.min())
    popt, pcov = scipy_optimize.curve_fit(f, T, ln_y, p0=p0, sigma=sigma, absolute_sigma=absolute_sigma,
                                          maxfev=200000, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return popt, pcov


@pytest.mark.parametrize("law", list(LAWS))
@pytest.mark.parametrize("weights", ["none", "absolute", "relative"])
def test_every_law_agrees_with_curve_fit(run_cli, tmp_path, law, weights):
    T, ln_y = synthetic(law, seed=len(law) + len(weights))
    sigma_decades = 0.01 + 0.004 * (np.arange(len(T)) % 5)  # σ of log10 η, absolute
    sigma_relative = 0.02 + 0.01 * (np.arange(len(T)) % 3)  # σ / η
    rows = [(t, v / LN10, s, r) for t, v, s, r in zip(T, ln_y, sigma_decades, sigma_relative)]
    path = write_csv(tmp_path / "melt.csv", "T_K,log10_eta_Pa_s,sigma_log10,sigma_rel", rows)
    args = [path, "--model", law]
    sigma, absolute = None, False
    if weights == "absolute":
        args += ["--sigma-column", "sigma_log10"]
        sigma, absolute = sigma_decades * LN10, True  # σ of ln η
    elif weights == "relative":
        args += ["--sigma-column", "sigma_rel", "--sigma", "relative"]
        sigma = sigma_relative
    [fit] = fits_of(run_cli, *args)
    assert fit["model"] == law and fit["status"] == "ok", fit
    names = LAWS[law][1]
    ours = np.array([fit[p] for p in names])
    popt, pcov = scipy_fit(law, T, ln_y, ours, sigma, absolute)
    np.testing.assert_allclose(ours, popt, rtol=1e-6, err_msg=f"{law} parameters")
    np.testing.assert_allclose([fit[p + "_stderr"] for p in names], np.sqrt(np.diag(pcov)), rtol=1e-4,
                               err_msg=f"{law} standard errors")
    # χ², AIC and BIC from scipy's optimum, in lmfit's convention.
    f, _ = LAWS[law]
    w = 1.0 / sigma if sigma is not None else np.ones_like(T)
    chi2 = float(np.sum((w * (f(T, *popt) - ln_y)) ** 2))
    n, k = len(T), len(names)
    assert fit["chi2"] == pytest.approx(chi2, rel=1e-8)
    assert fit["aic"] == pytest.approx(n * math.log(chi2 / n) + 2 * k, rel=1e-8, abs=1e-8)
    assert fit["bic"] == pytest.approx(n * math.log(chi2 / n) + k * math.log(n), rel=1e-8, abs=1e-8)
    np.testing.assert_allclose(fit["points"]["residual"], ln_y - f(T, *popt), rtol=1e-5, atol=1e-9)
    assert fit["rms"] == pytest.approx(math.sqrt(np.mean((ln_y - f(T, *popt)) ** 2)), rel=1e-7)


def test_several_laws_at_once_rank_by_aic(run_cli, tmp_path):
    T, ln_y = synthetic("myega", seed=3, noise=0.01)
    path = write_csv(tmp_path / "m.csv", "T_K,log10_eta_Pa_s", [(t, v / LN10) for t, v in zip(T, ln_y)])
    fits = fits_of(run_cli, path, "--model", "all")
    assert [f["model"] for f in fits] == ["vft", "myega", "avramov_milchev", "arrhenius"]
    best = min(fits, key=lambda f: f["aic"])
    assert best["model"] == "myega"  # the law the data were drawn from
    for f in fits:
        assert f["delta_aic"] == pytest.approx(f["aic"] - best["aic"], abs=1e-9)
    assert fits[3]["delta_aic"] > 100  # Arrhenius misses the curvature
    table = run_cli("fit", path, "--model", "vft,myega", "--quiet")
    assert table.returncode == 0
    assert "# vft: ln y = a + B/(T - T_vf)" in table.stdout and "# myega:" in table.stdout


def test_log10_units_divide_the_log_parameters(run_cli, tmp_path):
    T, ln_y = synthetic("avramov_milchev", seed=5)
    path = write_csv(tmp_path / "d.csv", "T_K,log10_eta_Pa_s", [(t, v / LN10) for t, v in zip(T, ln_y)])
    ln = fits_of(run_cli, path, "--model", "all")
    log10 = fits_of(run_cli, path, "--model", "all", "--units", "log10")
    scaled = {"a", "B", "K", "E"}
    for a, b in zip(ln, log10):
        assert b["units"] == "log10"
        for key in ("a", "B", "T_vf", "K", "C", "T_A", "alpha", "E"):
            if key in a:
                factor = LN10 if key in scaled else 1.0
                assert b[key] == pytest.approx(a[key] / factor, rel=1e-14), (a["model"], key)
                assert b[key + "_stderr"] == pytest.approx(a[key + "_stderr"] / factor, rel=1e-14)
        assert b["rms"] == pytest.approx(a["rms"] / LN10, rel=1e-14)
        assert b["aic"] == a["aic"] and b["Tg"] == a["Tg"] and b["m"] == a["m"]


# --- profile likelihood ----------------------------------------------------------------

def test_profile_of_a_linear_law_is_the_t_interval(run_cli, tmp_path):
    # For a law linear in its parameters the profile-likelihood interval with
    # the F threshold is the classical t interval, estimate ± t(0.975, n−k)·se.
    T, ln_y = synthetic("arrhenius", seed=7, n=12, noise=0.05)
    path = write_csv(tmp_path / "a.csv", "T_K,ln_tau_s", [(t, v) for t, v in zip(T, ln_y)])
    [fit] = fits_of(run_cli, path, "--model", "arrhenius")
    t = scipy_stats.t.ppf(0.975, len(T) - 2)
    for p in ("a", "E"):
        lo, hi = fit[p + "_profile"]
        assert lo == pytest.approx(fit[p] - t * fit[p + "_stderr"], rel=1e-7)
        assert hi == pytest.approx(fit[p] + t * fit[p + "_stderr"], rel=1e-7)


def profile_chi2(T, ln_y, fixed_B, start):
    """min over (a, T_vf >= 0) of Σ (a + B/(T − T_vf) − ln y)² with B held: scipy's bounded least squares."""
    res = scipy_optimize.least_squares(lambda q: q[0] + fixed_B / (T - q[1]) - ln_y, start,
                                       bounds=([-np.inf, 0.0], [np.inf, 0.999999 * T.min()]),
                                       xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return float(np.sum(res.fun ** 2))


def test_at_the_lower_bound_the_profile_is_honest(run_cli, tmp_path):
    # Nearly Arrhenius data bent past the bound: VFT ends at T_vf = 0. The
    # profile interval of T_vf starts at the bound, that of B reaches far below
    # the estimate (B trades against T_vf), and at its ends the least χ² with B
    # held is χ²_min·(1 + t²/(n − 3)): checked with scipy's bounded least squares.
    T = np.linspace(1000.0, 1700.0, 27)
    rng = np.random.default_rng(11)
    ln_y = -20.0 + 45000.0 / T - 0.05 * ((T - 1350) / 350) ** 2 + 0.05 * rng.standard_normal(len(T))
    path = write_csv(tmp_path / "nearly.csv", "T_K,ln_eta", [(t, v) for t, v in zip(T, ln_y)])
    [fit] = fits_of(run_cli, path)
    assert fit["status"] == "at_bound" and fit["T_vf"] == 0.0
    assert fit["T_vf_profile"][0] == 0.0 and fit["T_vf_profile"][1] > 0
    lo, hi = fit["B_profile"]
    assert lo < fit["B"] < hi
    n = len(T)
    level = fit["chi2"] * (1 + scipy_stats.t.ppf(0.975, n - 3) ** 2 / (n - 3))
    # The lower end: T_vf > 0 lets B fall; the upper end: on the bound (T_vf = 0).
    assert profile_chi2(T, ln_y, lo, [fit["a"], 100.0]) == pytest.approx(level, rel=1e-6)
    assert profile_chi2(T, ln_y, hi, [fit["a"], 0.0]) == pytest.approx(level, rel=1e-6)
    # The table says so in words.
    table = run_cli("fit", path, "--quiet").stdout
    assert "is at a bound; 95% profile-likelihood intervals:" in table and "T_vf [0," in table


@pytest.mark.skipif(not ALBITE.exists(), reason="no measured albite table")
def test_albite_at_the_bound_has_the_interval_its_bootstrap_has(run_cli):
    # Albite ends VFT on T_vf = 0. Its profile intervals and the percentile
    # bootstrap agree (measured: B [9127, 50635] against [9071, 50264] K,
    # T_vf [0, 646] against [0, 653] K): the conditional error the fit gave
    # before (T_vf held at 0) was B ± 443 K.
    [fit] = fits_of(run_cli, ALBITE, "--bootstrap", "400")
    assert fit["status"] == "at_bound" and fit["T_vf"] == 0.0
    for p in ("a", "B", "T_vf"):
        lo, hi = fit[p + "_profile"]
        boot_lo, boot_hi = fit[p + "_ci"]
        width = boot_hi - boot_lo
        assert abs(lo - boot_lo) < 0.1 * width and abs(hi - boot_hi) < 0.1 * width, (p, lo, hi, boot_lo, boot_hi)
    assert fit["T_vf_profile"][0] == 0.0


# --- rows: ranges, exclusions ------------------------------------------------------------

def test_T_range_and_exclude_equal_a_trimmed_file(run_cli, tmp_path):
    T, ln_y = synthetic("vft", seed=13)
    rows = [(t, v / LN10) for t, v in zip(T, ln_y)]
    path = write_csv(tmp_path / "all.csv", "T_K,log10_eta_Pa_s", rows)
    # Line 1 is the header: row i is on line i + 2. Keep 1100..1600 K, drop rows 10 and 12.
    kept = [r for i, r in enumerate(rows) if 1100 <= r[0] <= 1600 and i not in (10, 12)]
    trimmed = write_csv(tmp_path / "trimmed.csv", "T_K,log10_eta_Pa_s", kept)
    [want] = fits_of(run_cli, trimmed, "--model", "vft")
    [got] = fits_of(run_cli, path, "--model", "vft", "--T-range", "1100:1600", "--exclude", "12,14")
    assert got["n_points"] == len(kept)
    for key in ("a", "B", "T_vf", "chi2", "B_stderr"):
        assert got[key] == pytest.approx(want[key], rel=1e-12), key
    used = got["points"]["used"]
    assert len(used) == len(rows) and sum(used) == len(kept)
    assert used[10] is False and got["points"]["line"][10] == 12
    # Rows left out keep their residual against the fitted law.
    f, _ = LAWS["vft"]
    expected = ln_y - f(T, got["a"], got["B"], got["T_vf"])
    np.testing.assert_allclose(got["points"]["residual"], expected, rtol=1e-9, atol=1e-12)
    # --exclude takes one value each time: a data file after it is a data file.
    [before] = fits_of(run_cli, "--exclude", "12", "--exclude", "14", "--T-range", "1100:1600", path)
    assert before["B"] == got["B"]
    [open_range] = fits_of(run_cli, path, "--T-range", ":1600")
    assert open_range["n_points"] == sum(1 for r in rows if r[0] <= 1600)


@pytest.mark.parametrize("args,message", [
    (["--exclude", "1"], "not a data row"),
    (["--exclude", "x"], "not a line number"),
    (["--exclude", "other.csv:3"], "no data file"),
    (["--T-range", "900"], "LO:HI"),
    (["--T-range", "900:800"], "LO < HI"),
    (["--model", "vtf"], "unknown model"),
    (["--model", "myega", "--lambda", "0.1"], "add vft"),
    (["--sigma", "relative"], "--sigma-column"),
    (["--sigma-column", "nope"], "no column 'nope'"),
])
def test_bad_row_and_model_options_are_exit_2(run_cli, tmp_path, args, message):
    T, ln_y = synthetic("vft", seed=1, n=8)
    path = write_csv(tmp_path / "d.csv", "T_K,log10_eta_Pa_s", [(t, v / LN10) for t, v in zip(T, ln_y)])
    result = run_cli("fit", path, *args)
    assert result.returncode == 2, (args, result.stderr)
    assert message in result.stderr, result.stderr
    assert result.stdout == ""


def test_a_sigma_that_is_not_positive_names_its_line(run_cli, tmp_path):
    path = write_csv(tmp_path / "s.csv", "T,log10_tau,sigma", [(300, 1, 0.1), (310, 2, 0.1), (320, 3, 0),
                                                              (330, 4, 0.1)])
    result = run_cli("fit", path, "--sigma-column", "sigma")
    assert result.returncode == 2
    assert f"{path}:4:" in result.stderr and "not positive" in result.stderr


@pytest.mark.skipif(not DIOPSIDE.exists(), reason="no measured diopside table")
def test_myega_on_diopside_matches_glasspy(run_cli):
    # glasspy fits MYEGA to this table with lmfit and prints (the file's header):
    # log_eta_inf = -1.805 +/- 0.039, T12 = 1000.15 +/- 0.30 K, m = 64.53 +/- 0.34.
    [fit] = fits_of(run_cli, DIOPSIDE, "--model", "myega", "--units", "log10")
    assert fit["status"] == "ok"
    assert round(fit["a"], 3) == -1.805 and round(fit["a_stderr"], 3) == 0.039
    assert round(fit["Tg"], 2) == 1000.15 and round(fit["m"], 2) == 64.53


# --- data -> theory: --emit-config and scaleham run ----------------------------------------

def run_emitted(run_cli, toml, out):
    result = run_cli("run", toml, "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr


def check_theory_gives_back_the_fit(out, fit, lambdas, c=1.0):
    """The run's /fit equals the data's VFT fit within docs/numerics.md §6."""
    a, B, T_vf = fit["a"], fit["B"], fit["T_vf"]
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(f["parameters/lambda"][:], lambdas)
        np.testing.assert_allclose(f["parameters/A"][:], np.asarray(lambdas) * c * B, rtol=1e-15)
        T = f["curves/T"][:]
        log_tau = f["curves/log_tau"][:]
        rtol_q = 1e-11  # [action] rtol, the default
        n = len(T)
        law = a + B / (T - T_vf)
        pieces = abs(law[0] - law[-1])  # |S| from T_ref = T_max down to T_min (monotone)
        y_max = np.max(np.abs(law))
        delta_y = 2 * (rtol_q + 100 * EPS) * pieces + (n + 2) * EPS * y_max + 8 * EPS * y_max
        assert np.all(np.abs(log_tau - law) <= delta_y), np.max(np.abs(log_tau - law))
        # Parameters: |Δθ_k| <= √n δy c_k + stopping terms, c_k from J at the law (§6.2).
        J = np.column_stack([np.ones(n), 1 / (T - T_vf), B / (T - T_vf) ** 2])
        c = np.sqrt(np.diag(np.linalg.inv(J.T @ J)))
        xtol = ftol = 100 * EPS
        for k, name in enumerate(("a", "B", "T_vf")):
            got = f["fit/" + name][:]
            want = (a, B, T_vf)[k]
            rms = np.max(f["fit/rms"][:])
            bound = (math.sqrt(n) * delta_y * c[k] + 2 * xtol * (abs(want) + xtol)
                     + 2 * c[k] * math.sqrt(n * rms * (ftol * rms + 16 * EPS * (2 * y_max + abs(a))))
                     + 4 * EPS * abs(want))
            assert np.all(np.abs(got - want) <= bound), (name, got, want, bound)
        assert list(f["fit/status"][:]) == [0] * len(lambdas)


def test_emit_config_gives_back_the_fitted_curve(run_cli, tmp_path):
    T, ln_y = synthetic("vft", seed=21, n=20, noise=0.02)
    path = write_csv(tmp_path / "melt.csv", "T_K,log10_eta_Pa_s", [(t, v / LN10) for t, v in zip(T, ln_y)])
    emitted = tmp_path / "theory"
    result = run_cli("fit", path, "--emit-config", emitted, "--lambda", "0.05,0.1,0.2", "--c", "1.5", "--json")
    assert result.returncode == 0, result.stderr
    [fit] = json.loads(result.stdout)
    toml = emitted / "melt.toml"
    assert toml.exists() and "sampling = \"paired\"" in toml.read_text()
    assert "1 sweep configuration" in result.stderr
    out = tmp_path / "theory.h5"
    run_emitted(run_cli, toml, out)
    check_theory_gives_back_the_fit(out, fit, [0.05, 0.1, 0.2], c=1.5)
    # A second emit refuses to overwrite, --force replaces.
    again = run_cli("fit", path, "--emit-config", emitted)
    assert again.returncode == 2 and "exists" in again.stderr
    assert run_cli("fit", path, "--emit-config", emitted, "--force", "--quiet").returncode == 0


@pytest.mark.skipif(not B2O3.exists(), reason="no measured B2O3 table")
def test_emit_config_on_measured_b2o3(run_cli, tmp_path):
    result = run_cli("fit", B2O3, "--emit-config", tmp_path, "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    [fit] = json.loads(result.stdout)
    out = tmp_path / "b2o3.h5"
    run_emitted(run_cli, tmp_path / (B2O3.stem + ".toml"), out)
    check_theory_gives_back_the_fit(out, fit, [0.05, 0.1, 0.15, 0.2])
    with h5py.File(out, "r") as f:  # the theory's Tg and m are the data's (same level: η = 1e12 Pa·s)
        np.testing.assert_allclose(f["fit/Tg"][:], fit["Tg"], rtol=1e-8)


def test_paired_grids_need_axes_of_one_length(run_cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[grid]\nsampling = "paired"\n[[grid.axis]]\nname = "lambda"\nvalues = [0.1, 0.2]\n'
                   '[[grid.axis]]\nname = "A"\nvalues = [10.0, 20.0, 30.0]\n')
    result = run_cli("run", bad, "-o", tmp_path / "x.h5")
    assert result.returncode == 2
    assert "bad.toml:6" in result.stderr and "one length" in result.stderr
    good = tmp_path / "good.toml"
    good.write_text('[grid]\nsampling = "paired"\n[[grid.axis]]\nname = "lambda"\nlinspace = [0.1, 0.2, 3]\n'
                    '[[grid.axis]]\nname = "A"\nvalues = [10.0, 20.0, 30.0]\n')
    assert run_cli("run", good, "-o", tmp_path / "good.h5", "--quiet").returncode == 0
    with h5py.File(tmp_path / "good.h5", "r") as f:
        np.testing.assert_allclose(f["parameters/lambda"][:], [0.1, 0.15, 0.2])
        np.testing.assert_array_equal(f["parameters/A"][:], [10.0, 20.0, 30.0])
        np.testing.assert_allclose(f["fit/B"][:], [100.0, 20.0 / 0.15, 150.0], rtol=1e-9)


# --- scaleham inspect reads every file scaleham writes ------------------------------------

def test_inspect_reads_every_kind_of_file(run_cli, tmp_path):
    T, ln_y = synthetic("vft", seed=2, n=12)
    data = write_csv(tmp_path / "melt.csv", "T_K,log10_eta_Pa_s", [(t, v / LN10) for t, v in zip(T, ln_y)])
    fit_file = tmp_path / "fit.h5"
    assert run_cli("fit", data, "--model", "all", "--bootstrap", "20", "--lambda", "0.1,0.2", "-o", fit_file,
                   "--emit-config", tmp_path, "--quiet").returncode == 0
    config = tmp_path / "melt.toml"
    whole = tmp_path / "whole.h5"
    run_emitted(run_cli, config, whole)
    parts = []
    for k in range(2):
        part = tmp_path / f"part{k}.h5"
        assert run_cli("run", config, "--shard", f"{k}/2", "-o", part, "--quiet").returncode == 0
        parts.append(part)
    merged, virtual = tmp_path / "merged.h5", tmp_path / "virtual.h5"
    assert run_cli("merge", *parts, "-o", merged, "--quiet").returncode == 0
    assert run_cli("merge", *parts, "-o", virtual, "--virtual", "--quiet").returncode == 0
    for path, words in [(fit_file, ["scaleham fit results", "/myega/K", "/vft/A_predicted", "/points/T"]),
                        (whole, ["/fit/B", "/parameters/lambda"]), (parts[0], ["/fit/B"]),
                        (merged, ["/fit/B"]), (virtual, ["/fit/B"])]:
        result = run_cli("inspect", path)
        assert result.returncode == 0, (path, result.stderr)
        for word in words:
            assert word in result.stdout, (path, word)
