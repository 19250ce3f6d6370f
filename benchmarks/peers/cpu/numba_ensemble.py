#!/usr/bin/env python3
"""A numba peer of `scaleham run --backend cpu` (issue 10, goal 1).

The paper ensemble (beta = lambda g, F = A / g) with the state (g, p, S):

    dg/dl = lambda g,   dp/dl = -lambda p + A / g^2,   dS/dl = -A / g

from g0, p0 = -A / (lambda g0^2) (the HJ manifold), S0 = 0, over l in [0, ell];
lambda = linspace(0.05, 0.15, lambda-count) (slowest) x A = linspace(25, 75,
A-count) (fastest), as benchmarks/cpu_peers.py configures scaleham. Closed
form: g = g0 e^{lambda l}, p = -A / (lambda g^2), S = A / (lambda g) - A / (lambda g0).

`@njit(parallel=True)` (no fastmath, no cache), `prange` over trajectories,
the RHS written by hand on three scalars:
- rk4: rk4-steps equal classic Runge-Kutta steps.
- dopri5: Dormand-Prince 5(4) with scaleham's controller (include/scaleham/
  steppers.hpp): Hairer's first-step estimate and weighted RMS error norm
  (sc_i = atol + rtol max(|y0_i|, |y1_i|)), factor 0.9 err^(-1/5) clamped to
  [0.2, 10], no growth right after a rejection, the last step cut to land on
  ell. This is Hairer's DOPRI5 without its Lund stabilisation (beta = 0.04) and
  with a growth limit of 10 (Hairer: 10, facc2) and shrink limit 0.2 (Hairer: 0.2).

Prints one JSON object: trajectories, steps per trajectory (mean; dopri5 also
rejected), the largest relative end error against the closed form over g, p, S,
seconds_compile (JIT: a first call on a 1-trajectory ensemble) and
seconds_compute (the full ensemble, already compiled; wall) and
cpu_seconds_compute (the same, process CPU time of all threads). Threads: NUMBA_NUM_THREADS.

    python3 numba_ensemble.py rk4 [--lambda-count 200] [--A-count 250]
"""

import argparse
import json
import math
import sys
import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402
from numba import config, njit, prange  # noqa: E402


@njit(inline="always")
def rhs(lam, a, g, p):
    inv_g = 1.0 / g
    f = a * inv_g
    return lam * g, -lam * p + f * inv_g, -f


@njit(parallel=True)
def rk4_ensemble(lam, amp, g0, ell, n_steps, out):
    h = ell / n_steps
    for k in prange(lam.size):
        l, a = lam[k], amp[k]
        g, p, s = g0, -a / (l * g0 * g0), 0.0
        for _ in range(n_steps):
            k1g, k1p, k1s = rhs(l, a, g, p)
            k2g, k2p, k2s = rhs(l, a, g + 0.5 * h * k1g, p + 0.5 * h * k1p)
            k3g, k3p, k3s = rhs(l, a, g + 0.5 * h * k2g, p + 0.5 * h * k2p)
            k4g, k4p, k4s = rhs(l, a, g + h * k3g, p + h * k3p)
            g += h / 6.0 * (k1g + 2.0 * k2g + 2.0 * k3g + k4g)
            p += h / 6.0 * (k1p + 2.0 * k2p + 2.0 * k3p + k4p)
            s += h / 6.0 * (k1s + 2.0 * k2s + 2.0 * k3s + k4s)
        out[k, 0], out[k, 1], out[k, 2] = g, p, s
        out[k, 3], out[k, 4] = n_steps, 0


# Dormand-Prince 5(4) tableau; E = b5 - b4 (the error weights).
A21 = 1.0 / 5.0
A31, A32 = 3.0 / 40.0, 9.0 / 40.0
A41, A42, A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
A51, A52, A53, A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
A61, A62, A63, A64, A65 = (9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0,
                           -5103.0 / 18656.0)
B1, B3, B4, B5, B6 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0
E1, E3, E4, E5, E6, E7 = (71.0 / 57600.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0,
                          22.0 / 525.0, -1.0 / 40.0)


@njit(inline="always")
def norm3(eg, ep, es, g0, p0, s0, g1, p1, s1, rtol, atol):
    sg = atol + rtol * max(abs(g0), abs(g1))
    sp = atol + rtol * max(abs(p0), abs(p1))
    ss = atol + rtol * max(abs(s0), abs(s1))
    rg, rp, rs = eg / sg, ep / sp, es / ss
    return math.sqrt((rg * rg + rp * rp + rs * rs) / 3.0)


@njit(parallel=True)
def dopri5_ensemble(lam, amp, g0, ell, rtol, atol, max_steps, out):
    direction = 1.0 if ell > 0 else -1.0
    for k in prange(lam.size):
        l, a = lam[k], amp[k]
        g, p, s = g0, -a / (l * g0 * g0), 0.0
        fg, fp, fs = rhs(l, a, g, p)
        # Hairer's first step (as scaleham's integrate_dopri5).
        d0 = norm3(g, p, s, 0.0, 0.0, 0.0, g, p, s, rtol, atol)
        d1 = norm3(fg, fp, fs, 0.0, 0.0, 0.0, g, p, s, rtol, atol)
        h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
        h0 = min(h0, abs(ell))
        f1g, f1p, f1s = rhs(l, a, g + direction * h0 * fg, p + direction * h0 * fp)
        d2 = norm3(f1g - fg, f1p - fp, f1s - fs, 0.0, 0.0, 0.0, g, p, s, rtol, atol) / h0
        d = max(d1, d2)
        h1 = max(1e-6, h0 * 1e-3) if d <= 1e-15 else (0.01 / d) ** 0.2
        h = direction * min(min(100.0 * h0, h1), abs(ell))
        t = 0.0
        steps = 0
        rejected = 0
        last_rejected = False
        while steps + rejected < max_steps:
            final = direction * (t + h - ell) >= 0.0
            if final:
                h = ell - t
            k2g, k2p, k2s = rhs(l, a, g + h * A21 * fg, p + h * A21 * fp)
            k3g, k3p, k3s = rhs(l, a, g + h * (A31 * fg + A32 * k2g), p + h * (A31 * fp + A32 * k2p))
            k4g, k4p, k4s = rhs(l, a, g + h * (A41 * fg + A42 * k2g + A43 * k3g),
                                p + h * (A41 * fp + A42 * k2p + A43 * k3p))
            k5g, k5p, k5s = rhs(l, a, g + h * (A51 * fg + A52 * k2g + A53 * k3g + A54 * k4g),
                                p + h * (A51 * fp + A52 * k2p + A53 * k3p + A54 * k4p))
            k6g, k6p, k6s = rhs(
                l, a, g + h * (A61 * fg + A62 * k2g + A63 * k3g + A64 * k4g + A65 * k5g),
                p + h * (A61 * fp + A62 * k2p + A63 * k3p + A64 * k4p + A65 * k5p))
            ng = g + h * (B1 * fg + B3 * k3g + B4 * k4g + B5 * k5g + B6 * k6g)
            np_ = p + h * (B1 * fp + B3 * k3p + B4 * k4p + B5 * k5p + B6 * k6p)
            ns = s + h * (B1 * fs + B3 * k3s + B4 * k4s + B5 * k5s + B6 * k6s)
            k7g, k7p, k7s = rhs(l, a, ng, np_)
            eg = h * (E1 * fg + E3 * k3g + E4 * k4g + E5 * k5g + E6 * k6g + E7 * k7g)
            ep = h * (E1 * fp + E3 * k3p + E4 * k4p + E5 * k5p + E6 * k6p + E7 * k7p)
            es = h * (E1 * fs + E3 * k3s + E4 * k4s + E5 * k5s + E6 * k6s + E7 * k7s)
            err = norm3(eg, ep, es, g, p, s, ng, np_, ns, rtol, atol)
            factor = 0.9 * err ** -0.2 if err > 0.0 else 10.0
            factor = min(10.0, max(0.2, factor))
            if not err <= 1.0:
                rejected += 1
                last_rejected = True
                h *= min(factor, 1.0)
                continue
            steps += 1
            g, p, s = ng, np_, ns
            fg, fp, fs = k7g, k7p, k7s
            if final:
                break
            t += h
            if last_rejected:
                factor = min(factor, 1.0)
            last_rejected = False
            h *= factor
        out[k, 0], out[k, 1], out[k, 2] = g, p, s
        out[k, 3], out[k, 4] = steps, rejected


def linspace(lo, hi, n):
    x = np.linspace(lo, hi, n)  # ends exact, as scaleham's linspace axes
    return x


def ensemble(n_lambda, n_a):
    lam, amp = np.meshgrid(linspace(0.05, 0.15, n_lambda), linspace(25.0, 75.0, n_a), indexing="ij")
    return np.ascontiguousarray(lam.ravel()), np.ascontiguousarray(amp.ravel())


def max_rel_errors(lam, amp, g0, ell, g, p, s):
    ge = g0 * np.exp(lam * ell)
    pe = -amp / (lam * ge * ge)
    se = amp / (lam * ge) - amp / (lam * g0)
    errs = [float(np.max(np.abs(x - e) / np.abs(e))) if np.all(np.isfinite(x)) else math.inf
            for x, e in ((g, ge), (p, pe), (s, se))]
    return errs


def run(args, lam, amp):
    out = np.empty((lam.size, 5))
    if args.method == "rk4":
        rk4_ensemble(lam, amp, args.g0, args.ell, args.rk4_steps, out)
    else:
        dopri5_ensemble(lam, amp, args.g0, args.ell, args.rtol, args.atol, args.max_steps, out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("method", choices=["rk4", "dopri5"])
    ap.add_argument("--lambda-count", type=int, default=200)
    ap.add_argument("--A-count", type=int, default=250)
    ap.add_argument("--g0", type=float, default=100.0)
    ap.add_argument("--ell", type=float, default=-10.0)
    ap.add_argument("--rk4-steps", type=int, default=1000)
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-10)
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--max-error", type=float, default=None, help="exit 1 above this error")
    args = ap.parse_args()

    t0 = time.perf_counter()
    run(args, *ensemble(1, 1))  # JIT compile (and a one-trajectory run)
    t1 = time.perf_counter()
    lam, amp = ensemble(args.lambda_count, args.A_count)
    c1 = time.process_time()
    out = run(args, lam, amp)
    t2, c2 = time.perf_counter(), time.process_time()
    errs = max_rel_errors(lam, amp, args.g0, args.ell, out[:, 0], out[:, 1], out[:, 2])
    err = max(errs)
    report = {
        "peer": "numba", "method": args.method, "trajectories": int(lam.size),
        "steps_per_trajectory": float(np.mean(out[:, 3])),
        "rejected_per_trajectory": float(np.mean(out[:, 4])),
        "max_rel_error": err, "max_rel_error_g": errs[0], "max_rel_error_p": errs[1],
        "max_rel_error_S": errs[2],
        "seconds_compile": t1 - t0, "seconds_compute": t2 - t1,
        "seconds_in_script": t2 - T_START, "cpu_seconds_compute": c2 - c1,
        "threads": int(config.NUMBA_NUM_THREADS),
        "rtol": args.rtol, "atol": args.atol,
        "numba_version": __import__("numba").__version__,
    }
    print(json.dumps(report))
    if args.max_error is not None and not err <= args.max_error:
        print(f"numba_ensemble: max relative error {err:.3e} above {args.max_error:.3e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
