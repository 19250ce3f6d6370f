#!/usr/bin/env python3
"""A JAX (CPU) peer of `scaleham run --backend cpu` (issue 10, goal 1).

The paper ensemble (beta = lambda g, F = A / g) with the state (g, p, S):

    dg/dl = lambda g,   dp/dl = -lambda p + A / g^2,   dS/dl = -A / g

from g0, p0 = -A / (lambda g0^2) (the HJ manifold), S0 = 0, over l in [0, ell];
lambda = linspace(0.05, 0.15, lambda-count) (slowest) x A = linspace(25, 75,
A-count) (fastest), as benchmarks/cpu_peers.py configures scaleham. float64
(jax_enable_x64). Closed form: g = g0 e^{lambda l}, p = -A / (lambda g^2),
S = A / (lambda g) - A / (lambda g0).

- rk4: vectorised by hand: g, p, S are arrays over the ensemble and one
  `jax.lax.fori_loop` of rk4-steps classic RK4 steps updates them all, jitted.
- dopri5: diffrax.Dopri5 + PIDController(rtol, atol) (an I controller, Hairer's
  RMS norm and first-step estimate, dt0=None), one diffeqsolve per trajectory,
  `jax.vmap`ped over the ensemble and jitted (a batched while loop: every
  trajectory keeps its own step size, the loop runs until the last is done).

Prints one JSON object: trajectories, steps per trajectory (mean; dopri5 also
rejected), the largest relative end error against the closed form over g, p,
S, seconds_compile (jit lower + compile, ahead of time) and seconds_compute
(the compiled function on the full ensemble, until block_until_ready;
wall) and cpu_seconds_compute (the same, process CPU time of all threads).
Threads: XLA's CPU thread pool follows the process's CPU affinity (taskset);
with one CPU, XLA_FLAGS="--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1" as benchmarks/cpu_peers.py sets it.

    PYTHONPATH=build/peer-site python3 jax_ensemble.py rk4 [--lambda-count 200] [--A-count 250]
"""

import argparse
import json
import math
import sys
import time

T_START = time.perf_counter()


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

    import jax
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp
    import numpy as np

    lam_np, a_np = (np.ascontiguousarray(x.ravel()) for x in np.meshgrid(
        np.linspace(0.05, 0.15, args.lambda_count), np.linspace(25.0, 75.0, args.A_count), indexing="ij"))
    g0, ell = args.g0, args.ell
    versions = {"jax": jax.__version__}

    if args.method == "rk4":
        n_steps = args.rk4_steps
        h = ell / n_steps

        def solve(lam, a):
            def f(g, p):
                u = 1.0 / g
                fa = a * u
                return lam * g, -lam * p + fa * u, -fa

            def step(_, y):
                g, p, s = y
                k1g, k1p, k1s = f(g, p)
                k2g, k2p, k2s = f(g + 0.5 * h * k1g, p + 0.5 * h * k1p)
                k3g, k3p, k3s = f(g + 0.5 * h * k2g, p + 0.5 * h * k2p)
                k4g, k4p, k4s = f(g + h * k3g, p + h * k3p)
                return (g + h / 6.0 * (k1g + 2.0 * k2g + 2.0 * k3g + k4g),
                        p + h / 6.0 * (k1p + 2.0 * k2p + 2.0 * k3p + k4p),
                        s + h / 6.0 * (k1s + 2.0 * k2s + 2.0 * k3s + k4s))

            y0 = (jnp.full_like(lam, g0), -a / (lam * g0 * g0), jnp.zeros_like(lam))
            g, p, s = jax.lax.fori_loop(0, n_steps, step, y0)
            steps = jnp.full(lam.shape, n_steps)
            return g, p, s, steps, jnp.zeros_like(steps)
    else:
        import diffrax
        versions["diffrax"] = diffrax.__version__

        def rhs(t, y, ar):
            del t
            lam, a = ar
            u = 1.0 / y[0]
            fa = a * u
            return jnp.stack([lam * y[0], -lam * y[1] + fa * u, -fa])

        term = diffrax.ODETerm(rhs)
        controller = diffrax.PIDController(rtol=args.rtol, atol=args.atol)

        def one(lam, a):
            y0 = jnp.stack([jnp.asarray(g0), -a / (lam * g0 * g0), jnp.asarray(0.0)])
            sol = diffrax.diffeqsolve(term, diffrax.Dopri5(), t0=0.0, t1=ell, dt0=None, y0=y0,
                                      args=(lam, a), saveat=diffrax.SaveAt(t1=True),
                                      stepsize_controller=controller, max_steps=args.max_steps,
                                      throw=False)
            acc = sol.stats["num_accepted_steps"]
            return sol.ys[0, 0], sol.ys[0, 1], sol.ys[0, 2], acc, sol.stats["num_steps"] - acc

        solve = jax.vmap(one)

    lam, a = jnp.asarray(lam_np), jnp.asarray(a_np)
    t0 = time.perf_counter()
    compiled = jax.jit(solve).lower(lam, a).compile()
    t1, c1 = time.perf_counter(), time.process_time()
    out = compiled(lam, a)
    jax.block_until_ready(out)
    t2, c2 = time.perf_counter(), time.process_time()
    g, p, s, steps, rejected = (np.asarray(x) for x in out)

    ge = g0 * np.exp(lam_np * ell)
    pe = -a_np / (lam_np * ge * ge)
    se = a_np / (lam_np * ge) - a_np / (lam_np * g0)
    errs = [float(np.max(np.abs(x - e) / np.abs(e))) if np.all(np.isfinite(x)) else math.inf
            for x, e in ((g, ge), (p, pe), (s, se))]
    err = max(errs)
    report = {
        "peer": "jax", "method": args.method, "trajectories": int(lam_np.size),
        "steps_per_trajectory": float(np.mean(steps)), "rejected_per_trajectory": float(np.mean(rejected)),
        "max_rel_error": err, "max_rel_error_g": errs[0], "max_rel_error_p": errs[1],
        "max_rel_error_S": errs[2],
        "seconds_compile": t1 - t0, "seconds_compute": t2 - t1, "seconds_in_script": t2 - T_START, "cpu_seconds_compute": c2 - c1,
        "rtol": args.rtol, "atol": args.atol, "versions": versions,
    }
    print(json.dumps(report))
    if args.max_error is not None and not err <= args.max_error:
        print(f"jax_ensemble: max relative error {err:.3e} above {args.max_error:.3e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
