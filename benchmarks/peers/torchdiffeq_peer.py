#!/usr/bin/env python3
"""Peer of bench_gpu: the paper ensemble in PyTorch + torchdiffeq.

The same trajectories as bench_gpu's flow benchmark (paper_ensemble.py):
Hamilton's equations for (g, p, S) of beta = lambda g, F = A/g from g0 = 100 on
the HJ manifold over l from 0 to -10, as ONE batched state tensor of shape
(n, 3) (torchdiffeq integrates a batch with one shared step size). Methods:

  rk4     torchdiffeq's 'rk4': exactly 1000 equal steps (grid_constructor);
          note that torchdiffeq's rk4 is Kutta's 3/8 rule (rk4_alt_step_func),
          fourth order with 4 evaluations like the classic scheme
  dopri5  torchdiffeq's 'dopri5' at rtol 1e-8 / atol 1e-10 (FP64), 1e-5 / 1e-7
          (FP32). The error norm is the largest per-trajectory RMS norm (a
          custom `norm`), so every trajectory meets the tolerance as in
          scaleham and diffrax, but all share the step of the worst one;
          torchdiffeq's default (one RMS over the whole batch) would be looser.
          torchdiffeq reports no step counts: attempts = (RHS evaluations - 2) / 6.

Timed: the odeint call under torch.no_grad(), inputs on the device,
torch.cuda.synchronize() before reading the clock; one warm-up call, then the
median of --repeats calls. Printed: one JSON document on stdout (or --json
PATH) with wall time, trajectory-steps/s and the end state's max relative
error against the closed form.

    python3 benchmarks/peers/torchdiffeq_peer.py --n 1e6 --method rk4,dopri5 --precision fp64,fp32 --device cuda
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paper_ensemble as pe  # noqa: E402


def main():
    args = pe.parse_args(__doc__, "warm-up")
    started = time.perf_counter()
    doc = {"peer": "torch+torchdiffeq", "device": args.device, "results": []}
    try:
        import numpy as np
        import torch
        import torchdiffeq
    except ImportError as e:
        doc["skipped"] = f"module {e.name} missing"
        print(f"torchdiffeq_peer.py: skipped: module {e.name} missing", file=sys.stderr)
        pe.emit(doc, args.json_path)
        return 0
    doc["versions"] = {"torch": torch.__version__, "torchdiffeq": getattr(torchdiffeq, "__version__", "?")}
    if args.device == "cuda" and not torch.cuda.is_available():
        doc["error"] = "torch sees no CUDA device"
        print(f"torchdiffeq_peer.py: {doc['error']}", file=sys.stderr)
        pe.emit(doc, args.json_path)
        return 1
    device = torch.device(args.device)
    doc["device_name"] = torch.cuda.get_device_name(device) if args.device == "cuda" else "cpu"

    def sync():
        if args.device == "cuda":
            torch.cuda.synchronize(device)

    class PaperRHS(torch.nn.Module):
        """(beta, -p beta' - F', -F) for beta = lam g, F = a/g, per row of y (n, 3)."""

        def __init__(self, lam, a):
            super().__init__()
            self.lam, self.a, self.nfe = lam, a, 0

        def forward(self, t, y):
            del t
            self.nfe += 1
            g, p = y[:, 0], y[:, 1]
            u = 1 / g
            return torch.stack([self.lam * g, -p * self.lam + self.a * u * u, -self.a * u], dim=1)

    def worst_trajectory_rms(scaled_error):
        return scaled_error.reshape(-1, 3).pow(2).mean(dim=1).sqrt().max()

    for n in args.n:
        for precision in args.precision:
            for method in args.method:
                case = {"method": method, "precision": precision, "trajectories": n}
                if method == "rk4":
                    case["rk4_steps"] = pe.RK4_STEPS
                    case["note"] = "torchdiffeq rk4 = Kutta's 3/8 rule"
                else:
                    case["rtol"], case["atol"] = pe.TOLERANCES[precision]
                    case["note"] = "one step size for the batch (largest per-trajectory RMS error norm)"
                if args.budget_s > 0 and time.perf_counter() - started > args.budget_s:
                    case["skipped"] = "time budget"
                    doc["results"].append(case)
                    continue
                try:
                    dtype = torch.float64 if precision == "fp64" else torch.float32
                    np_dtype = np.float64 if precision == "fp64" else np.float32
                    lam64, a64 = pe.parameters(n)
                    lam, a = lam64.astype(np_dtype), a64.astype(np_dtype)
                    g0, p0, s0 = pe.initial_state(lam, a)
                    y0 = torch.from_numpy(np.stack([g0, p0, s0], axis=1)).to(device)
                    rhs = PaperRHS(torch.from_numpy(lam).to(device), torch.from_numpy(a).to(device))
                    t = torch.tensor([0.0, pe.ELL], dtype=dtype, device=device)
                    if method == "rk4":
                        def grid(func, y, t_span):
                            del func, y
                            return torch.linspace(float(t_span[0]), float(t_span[-1]), pe.RK4_STEPS + 1,
                                                  dtype=t_span.dtype, device=t_span.device)
                        kwargs = {"method": "rk4", "options": {"grid_constructor": grid}}
                    else:
                        rtol, atol = pe.TOLERANCES[precision]
                        kwargs = {"method": "dopri5", "rtol": rtol, "atol": atol,
                                  "options": {"norm": worst_trajectory_rms}}

                    def solve():
                        with torch.no_grad():
                            return torchdiffeq.odeint(rhs, y0, t, **kwargs)[-1]

                    t_first = time.perf_counter()
                    y_end = solve()
                    sync()
                    case["first_call_s"] = time.perf_counter() - t_first
                    seconds = []
                    for _ in range(args.repeats):
                        rhs.nfe = 0
                        t_run = time.perf_counter()
                        y_end = solve()
                        sync()
                        seconds.append(time.perf_counter() - t_run)
                    nfe = rhs.nfe
                    steps = nfe / 4.0 if method == "rk4" else (nfe - 2) / 6.0
                    y = y_end.cpu().numpy()
                    assert y.dtype == np_dtype, f"state dtype {y.dtype}, wanted {np_dtype}"
                    s = pe.median(seconds)
                    case.update({
                        "timing": {"median_s": s, "min_s": min(seconds), "max_s": max(seconds), "runs_s": seconds},
                        "rhs_evaluations": nfe,
                        "mean_steps": steps,
                        "trajectories_per_s": n / s,
                        "trajectory_steps_per_s": n * steps / s,
                        "max_rel_err": pe.end_state_error(lam, a, y[:, 0], y[:, 1], y[:, 2]),
                    })
                    del y_end, y0, rhs
                    if args.device == "cuda":
                        torch.cuda.empty_cache()
                except Exception as e:  # one failing case (out of memory, say) must not lose the others
                    case["error"] = f"{type(e).__name__}: {e}"[:2000]
                doc["results"].append(case)
                print(f"torchdiffeq_peer.py: {json.dumps(case)[:400]}", file=sys.stderr)
    pe.emit(doc, args.json_path)
    return 1 if any("error" in c for c in doc["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
