"""The paper ensemble shared by bench_gpu and the peer scripts.

The paper's model beta = lambda g, F = A / g; Hamilton's equations for the
state (g, p, S) exactly as include/scaleham/flow.hpp defines them:

    dg/dl = beta(g)              = lambda g
    dp/dl = -p beta'(g) - F'(g)  = -lambda p + A / g^2
    dS/dl = -F(g)                = -A / g

from g0 = 100 on the HJ manifold p0 = -F(g0)/beta(g0) = -A / (lambda g0^2),
S0 = 0, over l from 0 to -10. Trajectory k of an ensemble of n (as
benchmarks/bench_gpu_flow.hpp generates it): A varies fastest over
n_A = min(n, 1000) values of linspace(25, 75), lambda over ceil(n / n_A) values
of linspace(0.05, 0.15); computed in float64, then rounded to the precision
of the run.

Closed form (H = 0 on the manifold): g = g0 e^{lambda l}, p = -A/(lambda g^2),
S = A/(lambda g) - A/(lambda g0). The end-state error is evaluated in float64
for the coefficients as rounded to the run's precision, so it measures the
integration (and its rounding), not the rounding of lambda and A.
"""

import math

import numpy as np

LAMBDA_LO, LAMBDA_HI = 0.05, 0.15
A_LO, A_HI = 25.0, 75.0
G0 = 100.0
ELL = -10.0
ENSEMBLE_A = 1000
RK4_STEPS = 1000
# DOPRI5 tolerances: scaleham's defaults in float64; float32 cannot reach
# rtol 1e-8 (scaleham requires rtol >= 10 eps_float = 1.2e-6), so 1e-5.
TOLERANCES = {"fp64": (1e-8, 1e-10), "fp32": (1e-5, 1e-7)}


def parameters(n):
    """(lambda, A) of the n trajectories, float64 arrays."""
    n_a = min(n, ENSEMBLE_A)
    n_lambda = (n + n_a - 1) // n_a
    k = np.arange(n, dtype=np.uint64)
    i = (k // n_a).astype(np.float64)
    j = (k % n_a).astype(np.float64)
    lam = LAMBDA_LO + (LAMBDA_HI - LAMBDA_LO) * (i / (n_lambda - 1)) if n_lambda > 1 else np.full(n, LAMBDA_LO)
    a = A_LO + (A_HI - A_LO) * (j / (n_a - 1)) if n_a > 1 else np.full(n, A_LO)
    return lam, a


def initial_state(lam, a):
    """(g0, p0, S0) arrays on the HJ manifold, in the dtype of lam and a
    (p0 = -F(g0)/beta(g0) evaluated in that precision, as the core does)."""
    g0 = np.full_like(lam, G0)
    f = a / g0
    beta = lam * g0
    return g0, -f / beta, np.zeros_like(lam)


def end_state_error(lam, a, g, p, s):
    """Max relative error of g, p, S at l = ELL against the closed form, for
    lam and a as used (any float dtype); NaN shows as NaN."""
    lam = np.asarray(lam, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    g_exact = G0 * np.exp(lam * ELL)
    p_exact = -a / (lam * g_exact**2)
    s_exact = a / (lam * g_exact) - a / (lam * G0)
    out = {}
    for name, got, want in (("g", g, g_exact), ("p", p, p_exact), ("S", s, s_exact)):
        rel = np.abs(np.asarray(got, dtype=np.float64) - want) / np.abs(want)
        out[name] = float("nan") if np.isnan(rel).any() else float(rel.max())
    out["max"] = float("nan") if any(math.isnan(v) for v in out.values()) else max(out.values())
    return out


def parse_counts(text):
    """'1e6,1e7' -> [1000000, 10000000]."""
    counts = []
    for item in text.split(","):
        v = float(item)
        if not (v >= 1 and v == int(v)):
            raise ValueError(f"not a positive whole number: {item}")
        counts.append(int(v))
    return counts


def median(values):
    v = sorted(values)
    m = len(v) // 2
    return v[m] if len(v) % 2 else 0.5 * (v[m - 1] + v[m])


def parse_args(doc, warm_up):
    """The peers' common command line; `doc` is the calling script's docstring,
    `warm_up` names what precedes the timed solves ("compile", "warm-up")."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--n", default="1e6", help="trajectories, comma-separated list (default 1e6)")
    parser.add_argument("--method", default="rk4,dopri5", help="rk4, dopri5 or both comma-separated")
    parser.add_argument("--precision", default="fp64,fp32", help="fp64, fp32 or both comma-separated")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda")
    parser.add_argument("--repeats", type=int, default=3, help=f"timed solves after the {warm_up} (default 3)")
    parser.add_argument("--budget-s", type=float, default=0.0,
                        help="skip cases that start after this many seconds (0: no limit)")
    parser.add_argument("--json", dest="json_path", default=None, help="write the JSON here, not stdout")
    args = parser.parse_args()
    try:
        args.n = parse_counts(args.n)
    except ValueError as e:
        parser.error(str(e))
    args.method = args.method.split(",")
    args.precision = args.precision.split(",")
    if any(m not in ("rk4", "dopri5") for m in args.method):
        parser.error("--method: rk4, dopri5")
    if any(p not in ("fp64", "fp32") for p in args.precision):
        parser.error("--precision: fp64, fp32")
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args


def emit(doc, path):
    """Prints the JSON document, or writes it to `path`."""
    import json
    text = json.dumps(doc, indent=2)
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
