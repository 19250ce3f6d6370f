#!/usr/bin/env python3
"""Peer of bench_gpu: the paper ensemble in JAX + diffrax (jit + vmap).

The same trajectories as bench_gpu's flow benchmark (paper_ensemble.py):
Hamilton's equations for (g, p, S) of beta = lambda g, F = A/g from g0 = 100 on
the HJ manifold over l from 0 to -10, one diffeqsolve per trajectory, vmapped
over the ensemble and jitted. Methods:

  rk4     classic Runge-Kutta (diffrax has none built in: an AbstractERK with
          the classic tableau), exactly 1000 equal steps (StepTo)
  dopri5  diffrax.Dopri5 with PIDController(rtol, atol) (an I controller:
          pcoeff = dcoeff = 0), rtol 1e-8 / atol 1e-10 in FP64 and 1e-5 / 1e-7
          in FP32 as bench_gpu; every trajectory its own step size

Timed: the jitted solve of the whole ensemble, inputs already on the device,
until block_until_ready; first call (compile) reported apart, then the median
of --repeats calls. Printed: one JSON document on stdout (or --json PATH) with,
per case, wall time, trajectory-steps/s and the end state's max relative error
against the closed form.

    python3 benchmarks/peers/jax_diffrax.py --n 1e6 --method rk4,dopri5 --precision fp64,fp32 --device cuda
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paper_ensemble as pe  # noqa: E402


def main():
    args = pe.parse_args(__doc__, "compile")
    started = time.perf_counter()
    doc = {"peer": "jax+diffrax", "device": args.device, "results": []}
    # Take device memory as needed, not 75 % of it up front (bench_gpu and
    # torch run in the same session, one after the other).
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    try:
        import jax
        if "fp64" in args.precision:
            jax.config.update("jax_enable_x64", True)
        import diffrax
        import equinox as eqx
        import jax.numpy as jnp
        import numpy as np
    except ImportError as e:
        doc["skipped"] = f"module {e.name} missing"
        print(f"jax_diffrax.py: skipped: module {e.name} missing", file=sys.stderr)
        pe.emit(doc, args.json_path)
        return 0
    doc["versions"] = {"jax": jax.__version__, "diffrax": diffrax.__version__, "equinox": eqx.__version__}
    device, problems = None, []
    for platform in (("cuda", "gpu") if args.device == "cuda" else ("cpu",)):
        try:
            device = jax.devices(platform)[0]
            break
        except RuntimeError as e:
            problems.append(str(e))
    if device is None:
        doc["error"] = f"no {args.device} device for JAX: {'; '.join(problems)}"
        print(f"jax_diffrax.py: {doc['error']}", file=sys.stderr)
        pe.emit(doc, args.json_path)
        return 1
    doc["device_name"] = str(device.device_kind)

    class RK4(diffrax.AbstractERK):
        """Classic fourth-order Runge-Kutta (no error estimate: fixed steps only)."""
        tableau = diffrax.ButcherTableau(
            c=np.array([0.5, 0.5, 1.0]),
            b_sol=np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]),
            b_error=np.array([0.0, 0.0, 0.0, 0.0]),
            a_lower=(np.array([0.5]), np.array([0.0, 0.5]), np.array([0.0, 0.0, 1.0])),
        )
        interpolation_cls = diffrax.ThirdOrderHermitePolynomialInterpolation.from_k

        def order(self, terms):
            del terms
            return 4

    def rhs(t, y, args):
        del t
        lam, a = args
        g, p = y[0], y[1]
        u = 1 / g
        # (beta, -p beta' - F', -F) with beta = lam g, F = a/g
        return jnp.stack([lam * g, -p * lam + a * u * u, -a * u])

    term = diffrax.ODETerm(rhs)

    def make_solver(method, dtype):
        t0 = jnp.asarray(0.0, dtype=dtype)
        t1 = jnp.asarray(pe.ELL, dtype=dtype)
        saveat = diffrax.SaveAt(t1=True)
        if method == "rk4":
            ts = jnp.linspace(0.0, pe.ELL, pe.RK4_STEPS + 1, dtype=dtype)
            solver, controller, dt0, max_steps = RK4(), diffrax.StepTo(ts=ts), None, pe.RK4_STEPS
        else:
            rtol, atol = pe.TOLERANCES["fp64" if dtype == jnp.float64 else "fp32"]
            solver, controller, dt0, max_steps = (diffrax.Dopri5(), diffrax.PIDController(rtol=rtol, atol=atol),
                                                  None, 100000)

        def one(y0, lam, a):
            sol = diffrax.diffeqsolve(term, solver, t0=t0, t1=t1, dt0=dt0, y0=y0, args=(lam, a), saveat=saveat,
                                      stepsize_controller=controller, max_steps=max_steps, throw=False)
            ok = sol.result == diffrax.RESULTS.successful
            return sol.ys[0], sol.stats["num_accepted_steps"], sol.stats["num_steps"], ok

        return jax.jit(jax.vmap(one))

    for n in args.n:
        for precision in args.precision:
            for method in args.method:
                case = {"method": method, "precision": precision, "trajectories": n}
                if method == "rk4":
                    case["rk4_steps"] = pe.RK4_STEPS
                else:
                    case["rtol"], case["atol"] = pe.TOLERANCES[precision]
                if args.budget_s > 0 and time.perf_counter() - started > args.budget_s:
                    case["skipped"] = "time budget"
                    doc["results"].append(case)
                    continue
                try:
                    dtype = jnp.float64 if precision == "fp64" else jnp.float32
                    np_dtype = np.float64 if precision == "fp64" else np.float32
                    lam64, a64 = pe.parameters(n)
                    lam, a = lam64.astype(np_dtype), a64.astype(np_dtype)
                    g0, p0, s0 = pe.initial_state(lam, a)
                    y0 = jax.device_put(jnp.stack([jnp.asarray(g0), jnp.asarray(p0), jnp.asarray(s0)], axis=1), device)
                    lam_d, a_d = jax.device_put(jnp.asarray(lam), device), jax.device_put(jnp.asarray(a), device)
                    solve = make_solver(method, dtype)
                    t = time.perf_counter()
                    out = solve(y0, lam_d, a_d)
                    jax.block_until_ready(out)
                    case["first_call_s"] = time.perf_counter() - t  # compile + one solve
                    seconds = []
                    for _ in range(args.repeats):
                        t = time.perf_counter()
                        out = solve(y0, lam_d, a_d)
                        jax.block_until_ready(out)
                        seconds.append(time.perf_counter() - t)
                    y_end, accepted, attempts, ok = (np.asarray(x) for x in out)
                    assert y_end.dtype == np_dtype, f"state dtype {y_end.dtype}, wanted {np_dtype}"
                    s = pe.median(seconds)
                    steps = float(accepted.mean())
                    case.update({
                        "timing": {"median_s": s, "min_s": min(seconds), "max_s": max(seconds), "runs_s": seconds},
                        "mean_steps": steps,
                        "mean_attempts": float(attempts.mean()),
                        "not_ok": int((~ok.astype(bool)).sum()),
                        "trajectories_per_s": n / s,
                        "trajectory_steps_per_s": n * steps / s,
                        "max_rel_err": pe.end_state_error(lam, a, y_end[:, 0], y_end[:, 1], y_end[:, 2]),
                    })
                except Exception as e:  # one failing case (out of memory, say) must not lose the others
                    case["error"] = f"{type(e).__name__}: {e}"[:2000]
                doc["results"].append(case)
                print(f"jax_diffrax.py: {json.dumps(case)[:400]}", file=sys.stderr)
    pe.emit(doc, args.json_path)
    return 1 if any("error" in c for c in doc["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
