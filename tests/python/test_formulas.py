"""Formula models (`[model] beta = "...", F = "..."`, [model.parameters]):
each feature of the formulas against an independent reference (scipy's
solve_ivp for the flow, quad for the action and the ln τ curve, with the
derivatives written out by hand here), a formula identical in value to a
built-in model against that model within the cross-backend bounds of
docs/numerics.md (§11), poles and domain errors as statuses, and parse
errors that name the file, line, column and token (exit 2)."""
import pathlib
import re
import sys

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from compare_outputs import compare  # noqa: E402
from conftest import datasets as results  # noqa: E402

integrate = pytest.importorskip("scipy.integrate")

EPS = np.finfo(np.float64).eps
FLOW_RTOL, FLOW_ATOL, ACTION_RTOL = 1e-10, 1e-12, 1e-11
T0, T_MIN, T_MAX, N_T, LOG_TAU0 = 400.0, 420.0, 700.0, 16, np.log(1e-14)


def config(beta, F, parameters, axis, values, g0=100.0, ell=-10.0, extra=""):
    declared = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    return f"""
[model]
beta = "{beta}"
F = "{F}"
[model.parameters]
{declared}
[flow]
g0 = {g0}
ell = {ell}
rtol = {FLOW_RTOL}
atol = {FLOW_ATOL}
[action]
rtol = {ACTION_RTOL}
[temperature]
T0 = {T0}
T_min = {T_MIN}
T_max = {T_MAX}
points = {N_T}
[[grid.axis]]
name = "{axis}"
values = {list(values)}
[output]
curves = true
{extra}"""


# Each case: formulas, parameters, the swept one, and β, β', F, F' by hand.
CASES = {
    "non-integer power (pow, ^)": dict(
        beta="lambda*g", F="A/g^alpha + pow(g, -alpha)*0", parameters=dict(lambda_=0.1, A=50.0, alpha=1.0),
        axis="alpha", values=[0.5, 1.25, 1.5],
        b=lambda g, P: (P["lambda"] * g, P["lambda"]),
        f=lambda g, P: (P["A"] * g ** -P["alpha"], -P["alpha"] * P["A"] * g ** (-P["alpha"] - 1))),
    "exponential tail (exp, unary minus, 1e1)": dict(
        beta="lambda*g", F="A/g + Bt*exp(-g/g1)", parameters=dict(lambda_=0.1, A=50.0, Bt=0.5, g1=3e1),
        axis="Bt", values=[0.0, 0.5, 2.0],
        b=lambda g, P: (P["lambda"] * g, P["lambda"]),
        f=lambda g, P: (P["A"] / g + P["Bt"] * np.exp(-g / P["g1"]),
                        -P["A"] / g**2 - P["Bt"] / P["g1"] * np.exp(-g / P["g1"]))),
    "rational beta (÷, parentheses)": dict(
        beta="lambda*g/(1 + g/gs)", F="A/g", parameters=dict(lambda_=0.1, A=50.0, gs=200.0),
        axis="gs", values=[50.0, 200.0, 1000.0],
        b=lambda g, P: (P["lambda"] * g / (1 + g / P["gs"]), P["lambda"] / (1 + g / P["gs"]) ** 2),
        f=lambda g, P: (P["A"] / g, -P["A"] / g**2)),
    "logarithm and square root (log, sqrt)": dict(
        beta="lambda*sqrt(g)*sqrt(g)", F="A*log(1 + s/g)", parameters=dict(lambda_=0.1, A=50.0, s=40.0),
        axis="s", values=[10.0, 40.0],
        b=lambda g, P: (P["lambda"] * g, P["lambda"]),
        f=lambda g, P: (P["A"] * np.log(1 + P["s"] / g), -P["A"] * P["s"] / (g * (g + P["s"])))),
    "oscillating corrections (sin, cos, tanh, abs)": dict(
        beta="lambda*g*(1 + 0.1*sin(g/10) - 0.3*tanh(g/50))", F="A/abs(g)*(1 + 0.05*cos(g/7))",
        parameters=dict(lambda_=0.1, A=50.0), axis="A", values=[25.0, 75.0],
        b=lambda g, P: (P["lambda"] * g * (1 + 0.1 * np.sin(g / 10) - 0.3 * np.tanh(g / 50)),
                        P["lambda"] * (1 + 0.1 * np.sin(g / 10) - 0.3 * np.tanh(g / 50))
                        + P["lambda"] * g * (0.01 * np.cos(g / 10) - 0.006 / np.cosh(g / 50) ** 2)),
        f=lambda g, P: (P["A"] / g * (1 + 0.05 * np.cos(g / 7)),
                        -P["A"] / g**2 * (1 + 0.05 * np.cos(g / 7)) - P["A"] / g * 0.05 / 7 * np.sin(g / 7))),
}


def declared(case):
    return {k.rstrip("_"): v for k, v in case["parameters"].items()}


@pytest.mark.parametrize("name", list(CASES))
def test_formula_features_against_scipy(run_cli, tmp_path, name):
    case = CASES[name]
    P0 = declared(case)
    path, out = tmp_path / "c.toml", tmp_path / "c.h5"
    path.write_text(config(case["beta"], case["F"], P0, case["axis"], case["values"]))
    done = run_cli("run", path, "-o", out, "--backend", "cpu", "--quiet")
    assert done.returncode == 0, done.stderr
    with h5py.File(out, "r") as f:
        assert (f["flow/status"][...] == 0).all() and (f["hj/status"][...] == 0).all()
        assert (f["fit/curve_status"][...] == 0).all()
        for i, value in enumerate(case["values"]):
            P = dict(P0, **{case["axis"]: value})
            beta = lambda g: case["b"](g, P)  # noqa: E731
            F = lambda g: case["f"](g, P)  # noqa: E731

            def rhs(_, y):
                (b, db), (fv, df) = beta(y[0]), F(y[0])
                return [b, -y[1] * db - df, -fv]

            g0 = 100.0
            p0 = -F(g0)[0] / beta(g0)[0]
            ref = integrate.solve_ivp(rhs, (0.0, -10.0), [g0, p0, 0.0], method="DOP853", rtol=1e-13, atol=1e-14)
            assert ref.success
            # One side of numerics.md §3.1's bound (the reference's error is
            # 1000 times smaller): K (atol + rtol |X|) + 4 ε N |X|, K = 2√3 N.
            N = max(int(f["flow/steps"][i]), 1)
            K = 2 * np.sqrt(3) * N
            for key, want in zip("gpS", ref.y[:, -1]):
                got = float(f["flow/" + key][i])
                assert abs(got - want) <= K * (FLOW_ATOL + FLOW_RTOL * abs(want)) + 4 * EPS * N * abs(want), \
                    (name, value, key, got, want)
            # The action between g0 and the path's end (§5): within its own
            # error estimate and quad's.
            g_end = float(f["flow/g"][i])
            integrand = lambda x: -F(x)[0] / beta(x)[0]  # noqa: E731
            want, quad_error = integrate.quad(integrand, g0, g_end, epsabs=0, epsrel=1e-13, limit=200)
            got = float(f["hj/action"][i])
            assert abs(got - want) <= float(f["hj/action_error"][i]) + quad_error + 100 * EPS * abs(want), \
                (name, value, got, want)
            # The ln τ curve (§6.1): S(g) = −∫_{g_ref}^{g} F/β, g = T − T0.
            T = f["curves/T"][...]
            curve = f["curves/log_tau"][i]
            g_ref = T_MAX - T0
            pieces = [integrate.quad(integrand, g_ref, t - T0, epsabs=0, epsrel=1e-13, limit=200) for t in T]
            want = LOG_TAU0 + np.array([p[0] for p in pieces])
            dy = 2 * (ACTION_RTOL + 100 * EPS) * np.abs(want - LOG_TAU0).max() + (N_T + 2) * EPS * np.abs(want).max()
            assert np.abs(curve - want).max() <= dy + max(p[1] for p in pieces), (name, value)


# β = λg + b2 g², F = A/g + f_m2/g² + f0: built-in coefficients, and the same
# as formulas whose parameters carry the coefficients' names, so that the two
# configurations differ in [model] alone.
BUILTIN = """
[model]
lambda = 0.1
b2 = 0.0004
f_m2 = 300.0
A = 50.0
f0 = 0.25
"""
FORMULAS = """
[model]
beta = "lambda*g + b2*g^2"
F = "A/g + f_m2/g^2 + f0"
[model.parameters]
lambda = 0.1
b2 = 0.0004
f_m2 = 300.0
A = 50.0
f0 = 0.25
"""
SWEEP = """
[flow]
g0 = 100.0
ell = -10.0
{flow}
[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15, 5]
[[grid.axis]]
name = "g0"
values = [60.0, 100.0, 150.0]
[[grid.axis]]
name = "f_m2"
values = [0.0, 300.0]
[output]
curves = true
"""


@pytest.mark.parametrize("precision,flow", [("double", ""), ("float", "rtol = 1e-5\natol = 1e-6"),
                                             ("double", "integrator = \"rk4\"")])
def test_formulas_equal_the_builtin_model_within_numerics(run_cli, tmp_path, precision, flow):
    interpreted = FORMULAS.replace("[model]\n", "[model]\ninterpret = true\n")
    (tmp_path / "b.toml").write_text(BUILTIN + SWEEP.format(flow=flow))
    (tmp_path / "f.toml").write_text(FORMULAS + SWEEP.format(flow=flow))
    (tmp_path / "i.toml").write_text(interpreted + SWEEP.format(flow=flow))
    (tmp_path / "o.toml").write_text(interpreted.replace("f0 = 0.25", "f0 = 0.26") + SWEEP.format(flow=flow))
    extra = ["--precision", "float"] if precision == "float" else []
    for stem in "bfio":
        done = run_cli("run", tmp_path / f"{stem}.toml", "-o", tmp_path / f"{stem}.h5", "--backend", "cpu",
                       "--quiet", *extra)
        assert done.returncode == 0, done.stderr
    # Polynomials with a parameter per coefficient run as the built-in model:
    # bit for bit (formula_lowering.hpp).
    assert results(tmp_path / "f.h5") == results(tmp_path / "b.h5")
    # Interpreted (`interpret = true`), the same values with other roundings: numerics.md §11.
    report, _ = compare(tmp_path / "i.h5", tmp_path / "b.h5", formula_model=True)
    assert report == [], report
    with h5py.File(tmp_path / "i.h5", "r") as f:
        assert np.isnan(f["fit/B_rel_err"][...]).all()  # no b1, f_m1: no paper prediction
    # The comparison can fail: another model is not within the bounds.
    report, _ = compare(tmp_path / "o.h5", tmp_path / "b.h5", formula_model=True)
    assert report != []


def test_a_hole_at_zero_is_no_pole_whichever_path(run_cli, tmp_path):
    # F = A/g with A = 0 has no pole at g = 0 for the built-in model; the
    # interpreter sees 0/0 there, a hole, not a pole. Curves through T0
    # (T_min < T0 with β(0) = b0 != 0) then end alike on both paths.
    sweep = """
[flow]
g0 = 100.0
ell = -10.0
[temperature]
T0 = 400.0
T_min = 380.0
[[grid.axis]]
name = "A"
values = [0.0, 50.0]
"""
    files = {"builtin": "[model]\nlambda = 0.1\nb0 = 5.0\n",
             "lowered": '[model]\nbeta = "lambda*g + b"\nF = "A/g"\n[model.parameters]\nlambda = 0.1\nb = 5.0\nA = 1.0\n'}
    files["interpreted"] = files["lowered"].replace("[model]\n", "[model]\ninterpret = true\n")
    statuses = {}
    for name, model in files.items():
        (tmp_path / f"{name}.toml").write_text(model + sweep)
        done = run_cli("run", tmp_path / f"{name}.toml", "-o", tmp_path / f"{name}.h5", "--backend", "cpu", "--quiet")
        assert done.returncode in (0, 3), done.stderr  # 3: every point failed somewhere (a flat curve fits no VFT)
        with h5py.File(tmp_path / f"{name}.h5", "r") as f:
            statuses[name] = f["fit/curve_status"][...].tolist()
    assert statuses["builtin"][0] != statuses["builtin"][1]  # A = 0: no pole; A = 50: a pole in the curve
    assert statuses["lowered"] == statuses["builtin"] == statuses["interpreted"], statuses


def test_poles_and_domain_errors_end_as_statuses(run_cli, tmp_path):
    # log of a negative number once g < 50 (the flow goes down to ~37), and a
    # pole of F/β at g = 30 (T = 430 K) inside the curve's range.
    path = tmp_path / "d.toml"
    path.write_text(config("lambda*(g - gp)", "A*log(g - gl)", dict(A=50.0, gl=0.0, gp=0.0, **{"lambda": 0.1}),
                           "gl", [0.0, 50.0], extra="").replace('values = [0.0, 50.0]', 'values = [0.0, 50.0]\n'
                                                                "[[grid.axis]]\nname = \"gp\"\nvalues = [0.0, 30.0]"))
    done = run_cli("run", path, "-o", tmp_path / "d.h5", "--backend", "cpu", "--quiet")
    assert done.returncode == 0, done.stderr
    with h5py.File(tmp_path / "d.h5", "r") as f:
        flow, curve = f["flow/status"][...], f["fit/curve_status"][...]
        meanings = f["flow/status"].attrs["flag_meanings"]
        names = (meanings.decode() if isinstance(meanings, bytes) else str(meanings)).split()
        codes = dict(zip(names, f["flow/status"].attrs["flag_values"]))
    assert flow[0, 0] == codes["ok"] and curve[0, 0] == codes["ok"]
    # log(g − 50) of a negative number: NaN in the step, which the stepper
    # cannot shrink away.
    assert flow[1, 0] in (codes["non_finite"], codes["step_size_underflow"])
    assert curve[0, 1] == codes["singular_integrand"]  # β = λ(g − 30) changes sign in the curve


@pytest.mark.parametrize("text,where,token", [
    ('F = "A/lamda"', r"c\.toml:3:8: key 'model\.F'", "'lamda'"),
    ('F = "A/(g"', r"c\.toml:3:10: key 'model\.F'", "the end of the formula"),
    ('F = "A//g"', r"c\.toml:3:8: key 'model\.F'", "'/'"),
    ('F = "A/g $"', r"c\.toml:3:10: key 'model\.F'", "'$'"),
    ('F = "exp(g, 2)"', r"c\.toml:3:11: key 'model\.F'", "','"),
])
def test_parse_errors_name_file_line_column_and_token(run_cli, tmp_path, text, where, token):
    path = tmp_path / "c.toml"
    path.write_text(f'[model]\nbeta = "lambda*g"\n{text}\n[model.parameters]\nlambda = 0.1\nA = 50.0\n')
    done = run_cli("run", path, "-o", tmp_path / "c.h5", "--quiet")
    assert done.returncode == 2
    assert re.search(where, done.stderr) and token in done.stderr, done.stderr
    assert not (tmp_path / "c.h5").exists()


@pytest.mark.parametrize("model,message", [
    ('beta = "lambda*g"\n[model.parameters]\nlambda = 0.1', "needs both model.beta and model.F"),
    ('beta = "lambda*g"\nF = "A/g"\nlambda = 0.2\n[model.parameters]\nlambda = 0.1\nA = 50.0',
     "key 'model.lambda': a coefficient of the built-in models"),
    ('beta = "lambda*g"\nF = "A/g"\n[model.parameters]\nlambda = 0.1\nA = 50.0\nalpha = 1.0',
     "neither model.beta nor model.F uses 'alpha'"),
    ('beta = "lambda*g"\nF = "A/g"\n[model.parameters]\nlambda = 0.1\nA = 50.0\nc = 1.0', "already the parameter c"),
    ('beta = "exp*g"\nF = "A/g"\n[model.parameters]\nexp = 0.1\nA = 50.0', "'exp' is a function"),
    ('beta = "lambda*g"\nF = "A/g"\n[model.parameters]\nlambda = 0.1\nA = "50"', "expected a number"),
    ('beta = "lambda*g"\nF = "A/g"\n[model.parameters]\nlambda = 0.1\nA = 50.0\n[[grid.axis]]\nname = "b1"\n'
     'values = [1.0]', "'b1' is a coefficient of the built-in models"),
    ('lambda = 0.1\n[model.parameters]\nA = 50.0', "but model.beta and model.F are not given"),
    ('lambda = 0.1\ninterpret = true', "key 'model.interpret': is about formulas"),
    ('beta = "tau0*g"\nF = "A/g"\n[model.parameters]\ntau0 = 0.1\nA = 50.0', "'tau0' is the setting temperature.tau0"),
    ('beta = "lambda*g"\nF = "A/g + B"\n[model.parameters]\nlambda = 0.1\nA = 50.0\nB = 1.0',
     "c.toml:7: key 'model.parameters.B': 'B' is the name of the result /fit/B"),
])
def test_bad_formula_models_are_refused(run_cli, tmp_path, model, message):
    path = tmp_path / "c.toml"
    path.write_text("[model]\n" + model + "\n")
    done = run_cli("run", path, "-o", tmp_path / "c.h5", "--quiet")
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_overrides_and_axes_reach_formula_parameters(run_cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(config("lambda*g", "A/g^alpha", dict(A=50.0, alpha=1.0, **{"lambda": 0.1}), "alpha", [1.0]))
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert run_cli("run", path, "-o", a, "--backend", "cpu", "--quiet",
                   "--set", "model.parameters.A=60.0").returncode == 0
    edited = tmp_path / "e.toml"
    edited.write_text(path.read_text().replace("A = 50.0", "A = 60.0"))
    assert run_cli("run", edited, "-o", b, "--backend", "cpu", "--quiet").returncode == 0
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        assert fa["flow/g"][...].tobytes() == fb["flow/g"][...].tobytes()
        assert fa["alpha"].attrs["parameter"] in ("alpha", b"alpha")
    # auto runs formulas wherever it runs (a GPU compiles them into its
    # kernels; tests/test_cuda_backend.cpp compares those with the CPU).
    assert run_cli("run", path, "-o", tmp_path / "g.h5", "--quiet").returncode == 0
