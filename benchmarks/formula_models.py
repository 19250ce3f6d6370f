#!/usr/bin/env python3
"""Formula models against the same built-in model, whole `scaleham run`
processes, interleaved and repeated (docs/design.md, formula models).

The paper's model with a correction, β = λg + b2 g², F = A/g + f0, on an
N x N grid over λ and A (the built-in example's flow and curves), written
four ways:

  builtin      [model] lambda, b2, A, f0: the built-in polynomial model
  lowered      beta = "lambda*g + b2*g^2", F = "A/g + f0": runs as the
               built-in model (formula_lowering.hpp), expected equal
  interpreted  the same formulas with `interpret = true`: the
               forward-mode interpreter (expression.hpp), point by point
  rational     beta = "lambda*g/(1 + g/gs)", F = "A/g + f0*exp(-g/g1)":
               only formulas can write it (interpreted)

Reports the median wall time of each and its ratio to builtin. On
--backend cuda only builtin and lowered run (interpreted formulas are the
CPU backend's).

    python3 benchmarks/formula_models.py --bin build/default/host/scaleham --points-per-axis 300 --repeats 5
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

SWEEP = """
[flow]
g0 = 100.0
ell = -10.0
[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15, {n}]
[[grid.axis]]
name = "A"
linspace = [25.0, 75.0, {n}]
"""
MODELS = {
    "builtin": "[model]\nlambda = 0.1\nb2 = 0.0004\nA = 50.0\nf0 = 0.25\n",
    "lowered": ('[model]\nbeta = "lambda*g + b2*g^2"\nF = "A/g + f0"\n'
                "[model.parameters]\nlambda = 0.1\nb2 = 0.0004\nA = 50.0\nf0 = 0.25\n"),
    "interpreted": ('[model]\ninterpret = true\nbeta = "lambda*g + b2*g^2"\nF = "A/g + f0"\n'
                    "[model.parameters]\nlambda = 0.1\nb2 = 0.0004\nA = 50.0\nf0 = 0.25\n"),
    "rational": ('[model]\nbeta = "lambda*g/(1 + g/gs)"\nF = "A/g + f0*exp(-g/g1)"\n'
                 "[model.parameters]\nlambda = 0.1\ngs = 400.0\nA = 50.0\nf0 = 0.25\ng1 = 30.0\n"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.environ.get("SCALEHAM_BIN", "build/default/host/scaleham"))
    parser.add_argument("--points-per-axis", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backend", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    names = list(MODELS) if args.backend == "cpu" else ["builtin", "lowered"]
    times = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            with open(os.path.join(work, name + ".toml"), "w") as f:
                f.write(MODELS[name] + SWEEP.format(n=args.points_per_axis))
        for _ in range(args.repeats):  # interleaved: the machine's noise falls on every variant alike
            for name in names:
                command = [args.bin, "run", os.path.join(work, name + ".toml"), "-o", os.path.join(work, "out.h5"),
                           "--force", "--quiet", "--backend", args.backend]
                start = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True)
                times[name].append(time.perf_counter() - start)
                if done.returncode != 0:
                    sys.exit(f"{name}: {done.stderr}")
    points = args.points_per_axis ** 2
    base = statistics.median(times["builtin"])
    print(f"{points} points, backend {args.backend}, {args.repeats} interleaved repeats (median wall time)")
    for name in names:
        t = statistics.median(times[name])
        print(f"  {name:12s} {t:8.3f} s  {points / t:12.0f} points/s  x{t / base:.2f} of builtin")


if __name__ == "__main__":
    main()
