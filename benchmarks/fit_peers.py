#!/usr/bin/env python3
"""`scaleham fit --model all --bootstrap N` against scipy's curve_fit on the
same work: every law fitted to every table and to N bootstrap resamples of it.

Whole-process wall time, interleaved and repeated (the machine is shared).
scipy gets the easy version of the job: each replica starts from scaleham's
fit of the data itself (curve_fit needs a start; from a generic guess MYEGA
and VFT fits often fail), and its resamples are drawn by numpy. The figure is
fits per second; failures are counted, not timed away.

    python3 benchmarks/fit_peers.py --scaleham build/cpu/host/scaleham \\
        --data ../shared/data/viscosity --replicas 500 --repeats 3
"""
import argparse
import json
import math
import pathlib
import statistics
import subprocess
import sys
import time

SCIPY_PEER = r'''
import json, math, sys, time, warnings
import numpy as np
from scipy.optimize import curve_fit
warnings.simplefilter("ignore")
LAWS = {
    "vft": (lambda T, a, B, T_vf: a + B / (T - T_vf), ("a", "B", "T_vf")),
    "myega": (lambda T, a, K, C: a + K / T * np.exp(C / T), ("a", "K", "C")),
    "avramov_milchev": (lambda T, a, T_A, alpha: a + (T_A / T) ** alpha, ("a", "T_A", "alpha")),
    "arrhenius": (lambda T, a, E: a + E / T, ("a", "E")),
}
job = json.loads(sys.stdin.read())
rng = np.random.default_rng(1)
fits = failed = 0
for table in job["tables"]:
    T, y = np.array(table["T"]), np.array(table["y"])
    for start in table["starts"]:
        f, names = LAWS[start["model"]]
        p0 = [start[n] for n in names]
        for r in range(job["replicas"] + 1):
            idx = np.arange(len(T)) if r == 0 else rng.integers(0, len(T), len(T))
            try:
                curve_fit(f, T[idx], y[idx], p0=p0, maxfev=10000)
            except Exception:
                failed += 1
            fits += 1
print(json.dumps({"fits": fits, "failed": failed}))
'''


def read_table(path):
    """T and ln y of a table whose first two columns are T and y (log10 when the header says so)."""
    lines = [l for l in path.read_text().splitlines() if l.strip() and not l.startswith("#")]
    log10 = "log10" in lines[0]
    T, ln_y = [], []
    for line in lines[1:]:
        t, v = line.split(",")[:2]
        T.append(float(t))
        ln_y.append(float(v) * math.log(10) if log10 else math.log(float(v)))
    return T, ln_y


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scaleham", required=True)
    ap.add_argument("--data", required=True, help="directory of CSV tables (T_K, log10 or linear y)")
    ap.add_argument("--replicas", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    files = sorted(pathlib.Path(args.data).glob("*.csv"))
    cmd = [args.scaleham, "fit", *map(str, files), "--model", "all", "--bootstrap", str(args.replicas),
           "--json", "--quiet", "--backend", "cpu"]
    fits = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    tables = []
    for path in files:
        T, ln_y = read_table(path)
        starts = [f for f in fits if f["name"] == path.stem and f["a"] is not None]
        tables.append({"T": T, "y": ln_y, "starts": starts})
    job = json.dumps({"tables": tables, "replicas": args.replicas})
    n_fits = sum(len(t["starts"]) for t in tables) * (args.replicas + 1)
    times = {"scaleham": [], "scipy": []}
    scipy_result = None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times["scaleham"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", SCIPY_PEER], input=job, check=True, capture_output=True,
                             text=True)
        times["scipy"].append(time.perf_counter() - t0)
        scipy_result = json.loads(out.stdout)
    s, p = statistics.median(times["scaleham"]), statistics.median(times["scipy"])
    print(f"{len(files)} tables x 4 laws x {args.replicas + 1} fits = {n_fits} fits (scipy: {scipy_result['fits']}, "
          f"{scipy_result['failed']} raised)")
    print(f"scaleham fit (CPU, all cores): median {s:.3f} s  ({n_fits / s:,.0f} fits/s, includes profile intervals)")
    print(f"scipy curve_fit (one core):    median {p:.3f} s  ({n_fits / p:,.0f} fits/s)")
    print(f"ratio scipy/scaleham: {p / s:.1f}x   runs: {json.dumps(times)}")


if __name__ == "__main__":
    main()
