#!/usr/bin/env python3
"""End-to-end sweep throughput of the `scaleham` CLI (docs/design.md section 4).

Writes a TOML config for an N x N cartesian sweep of the paper's model
(lambda linspace [0.05, 0.15, N] x A linspace [25, 75, N], the built-in
example's flow: g0 = 100 K, ell = -10, DOPRI5 at its default tolerances), runs

    scaleham run CONFIG -o OUT --json --quiet --backend B

for each backend asked for, with and without the per-point relaxation curve and
VFT fit ([fit] enabled = true, the default, or false: flow + HJ action only),
each once with the default deflate level 4 and once with [output] compression =
0, and reports points/s together with "the time to write the same bytes": a raw
sequential write (write + fsync, as scaleham fsyncs its output) of a file of the
output's size, in the same directory.

It also estimates the FLOP per grid point from /flow/steps and /flow/rejected of
the output (read with h5py) and the per-step counts of bench_paths (RESULTS.md),
and the GFLOP/s this makes against an assumed peak. The quadrature part is an
estimate (the number of integrand evaluations is not stored), and so is the fit
part (a callgrind count for this grid, see RESULTS.md).

Standard library + h5py (optional: without it the FLOP estimate is skipped).

    python3 benchmarks/bench_run.py                       # 1000 x 1000 points
    python3 benchmarks/bench_run.py --points-per-axis 100 --backend cpu --fit off
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BIN = os.path.join(REPO, "build", "cpu", "host", "scaleham")

# --- FLOP model (double, g++ 12 -O3, see RESULTS.md "Cost per step") -------------
FLOP_PER_DOPRI5_ATTEMPT = 242  # 6 RHS of 14 FLOP + stage sums + error norm + control
FLOP_PER_PATH = 98 + 6         # first-step estimate and H drift; p0 on the manifold
GK15_EVALUATIONS = 15          # integrand evaluations per Gauss-Kronrod 15 call
FLOP_PER_INTEGRAND = 8         # exp(t) (not counted) + beta (2) + F (3, 1 div) + -F/beta*x (2, 1 div)
FLOP_GK15_SUMS = 139           # nodes, Kronrod/Gauss/|f| sums, error estimate of one call
FLOP_PER_GK15_CALL = GK15_EVALUATIONS * FLOP_PER_INTEGRAND + FLOP_GK15_SUMS  # 259 (callgrind: 259)
H100_FP64_PEAK_GFLOPS = 33500  # docs/design.md section 4: H100 SXM, non-tensor FP64
# The HJ action of one point: one GK15 call when the first estimate converges
# (no bisection). For this grid, in the variable t = ln g the integrand is
# -(A/lambda) e^{-t} over |dt| <= 1.5, which one GK15 call integrates to 1e-11.
ASSUMED_GK15_CALLS_PER_POINT = 1
# With [fit] enabled: the ln tau(T) curve on the default 32 temperatures, one
# GK15 call each (|dt| <= ln(300/20) = 2.7) except at T_ref = T_max, where S = 0
# needs none; then the VFT fit (T_vf scan + Levenberg-Marquardt). The fit's FLOP
# are not counted by hand: callgrind counted 71 650 FLOP per point in all for
# this grid at commit 3f5f222 (6.0 LM iterations per point), hence ~53 000 for
# the fit. Only valid for this config; the mean /fit/iterations is printed so a
# change shows.
CURVE_POINTS = 32
CURVE_GK15_CALLS_PER_POINT = CURVE_POINTS - 1
FIT_FLOP_PER_POINT = 53_000
FIT_ITERATIONS_MEASURED = 6.0

CONFIG_TEMPLATE = """\
# Written by benchmarks/bench_run.py: {n} x {n} points of the paper's model.
[model]
lambda = 0.1   # beta = lambda g (swept below)
A = 50.0       # F = A / g, K (swept below)

[flow]
g0 = 100.0     # K, as in the built-in example (examples/paper.toml)
p0 = "on_manifold"
ell = -10.0
integrator = "dopri5"   # rtol, atol, max_steps: the defaults

[grid]
sampling = "cartesian"

[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15, {n}]

[[grid.axis]]
name = "A"
linspace = [25.0, 75.0, {n}]
unit = "K"

[fit]
enabled = {fit}

[output]
compression = {compression}
"""


def raw_write_seconds(directory, size, block=1 << 20):
    """Seconds to write `size` bytes sequentially into a new file in `directory`
    and fsync it (file created and removed around the timing)."""
    data = os.urandom(block)
    fd, path = tempfile.mkstemp(prefix="raw-write-", dir=directory)
    try:
        start = time.perf_counter()
        left = size
        while left > 0:
            left -= os.write(fd, data[: min(block, left)])
        os.fsync(fd)
        seconds = time.perf_counter() - start
    finally:
        os.close(fd)
        os.unlink(path)
    return seconds


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return float("nan")


def cpu_description():
    """(model name, logical CPUs, MHz) from /proc/cpuinfo, where readable."""
    name, mhz = "unknown CPU", float("nan")
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and name == "unknown CPU":
                    name = value.strip()
                elif key == "cpu MHz" and mhz != mhz:
                    mhz = float(value)
    except OSError:
        pass
    return name, os.cpu_count() or 1, mhz


def busy_cpu_seconds():
    """CPU seconds the whole machine has spent busy (user, nice, system, irq,
    softirq and hypervisor steal) since boot, from /proc/stat; None elsewhere."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(binary, config_path, output_path, backend):
    """One `scaleham run`; returns (summary dict, None) or (None, error text).

    Also measures how busy the rest of the machine was meanwhile: the CPU time
    of all processes but scaleham, in cores (`other_load`). On a shared machine
    a run with other_load well above 0 was disturbed."""
    if os.path.exists(output_path):
        os.unlink(output_path)
    cmd = [binary, "run", config_path, "-o", output_path, "--json", "--quiet", "--backend", backend]
    busy0, child0 = busy_cpu_seconds(), children_cpu_seconds()
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    busy1, child1 = busy_cpu_seconds(), children_cpu_seconds()
    if proc.returncode != 0:
        return None, (proc.stderr.strip() or proc.stdout.strip() or f"exit code {proc.returncode}")
    summary = json.loads(proc.stdout)
    summary["process_wall_seconds"] = wall
    summary["process_cpu_seconds"] = child1 - child0
    summary["other_load"] = (
        max(0.0, (busy1 - busy0) - (child1 - child0)) / wall if busy0 is not None else float("nan"))
    summary["file_bytes"] = os.path.getsize(output_path)
    return summary, None


def flop_estimate(output_path, fit):
    """Per-point FLOP estimate from the output file, or None without h5py."""
    try:
        import h5py
        import numpy as np
    except ImportError:
        return None
    with h5py.File(output_path, "r") as f:
        steps = np.asarray(f["flow/steps"], dtype=np.float64)
        rejected = np.asarray(f["flow/rejected"], dtype=np.float64)
        groups = sorted(k for k in f.keys() if isinstance(f[k], h5py.Group))
        iterations = float(np.mean(f["fit/iterations"])) if "fit/iterations" in f else None
    attempts = float(np.mean(steps + rejected))
    flow = attempts * FLOP_PER_DOPRI5_ATTEMPT + FLOP_PER_PATH
    quad = ASSUMED_GK15_CALLS_PER_POINT * FLOP_PER_GK15_CALL
    curve = CURVE_GK15_CALLS_PER_POINT * FLOP_PER_GK15_CALL if fit else 0
    fit_flop = FIT_FLOP_PER_POINT if fit else 0
    # Per-point stages this model does not know about make the estimate a lower bound.
    unmodelled = [g for g in groups if g not in ("flow", "hj", "fit", "curves")]
    return {
        "fit_iterations_mean": iterations,
        "flop_curve": curve,
        "flop_fit": fit_flop,
        "steps_mean": float(np.mean(steps)),
        "steps_min": int(np.min(steps)),
        "steps_max": int(np.max(steps)),
        "rejected_mean": float(np.mean(rejected)),
        "flop_flow": flow,
        "flop_quadrature": quad,
        "flop_per_point": flow + quad + curve + fit_flop,
        "unmodelled_groups": unmodelled,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points-per-axis", type=int, default=1000,
                        help="N: the sweep has N x N points (default 1000)")
    parser.add_argument("--backend", default="cpu,cuda",
                        help="comma-separated backends to try (default cpu,cuda; "
                             "one that cannot run here is reported and skipped)")
    parser.add_argument("--fit", choices=("on", "off", "both"), default="both",
                        help="[fit] enabled: on (the default of scaleham: ln tau curve and VFT fit "
                             "per point), off (flow + HJ action only), or both (default)")
    parser.add_argument("--bin", default=DEFAULT_BIN, help=f"scaleham binary (default {DEFAULT_BIN})")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each case, interleaved; medians reported (default 3)")
    parser.add_argument("--max-other-load", type=float, default=0.1,
                        help="a run counts as quiet when all other processes together used less "
                             "than this many cores meanwhile (default 0.1); medians are over the "
                             "quiet runs")
    parser.add_argument("--workdir", default=None,
                        help="directory for config and outputs (default: a new temporary directory, "
                             "removed afterwards); the raw write is timed there too")
    parser.add_argument("--peak-gflops", type=float, default=None,
                        help="CPU peak for the FLOP comparison (default: logical CPUs x MHz x 16, "
                             "i.e. two 256-bit FMA pipes per core: AVX2 FMA in double)")
    parser.add_argument("--gpu-peak-gflops", type=float, default=H100_FP64_PEAK_GFLOPS,
                        help="GPU peak for the FLOP comparison of non-CPU backends "
                             f"(default {H100_FP64_PEAK_GFLOPS}: H100 SXM FP64, docs/design.md section 4)")
    parser.add_argument("--json-out", default=None, help="also write all results to this JSON file")
    args = parser.parse_args()

    if args.points_per_axis < 1 or args.repeat < 1:
        parser.error("--points-per-axis and --repeat must be >= 1")
    if not (os.path.isfile(args.bin) and os.access(args.bin, os.X_OK)):
        sys.exit(f"bench_run.py: {args.bin} is not an executable; build it with "
                 "`cmake --preset cpu && cmake --build --preset cpu --target scaleham`")

    n = args.points_per_axis
    workdir = args.workdir or tempfile.mkdtemp(prefix="scaleham-bench-run-")
    os.makedirs(workdir, exist_ok=True)
    cpu_name, cpus, mhz = cpu_description()
    peak = args.peak_gflops if args.peak_gflops else cpus * mhz * 1e-3 * 16
    print(f"scaleham: {args.bin}")
    print(f"grid: {n} x {n} = {n * n} points; workdir {workdir}; {args.repeat} run(s) per case, medians")
    print(f"machine: {cpu_name}, {cpus} logical CPUs at {mhz:.0f} MHz; load average {loadavg():.2f} before")

    rows, results = [], {"points_per_axis": n, "cases": []}
    try:
        # Runs interleave over the cases, so that a disturbance on a shared
        # machine hits them alike. A case: (backend, fit, compression, config, output).
        cases = []
        fits = {"on": (True,), "off": (False,), "both": (False, True)}[args.fit]
        for backend in [b.strip() for b in args.backend.split(",") if b.strip()]:
            for fit in fits:
                for compression in (4, 0):
                    tag = f"fit-{'on' if fit else 'off'}-c{compression}"
                    config_path = os.path.join(workdir, f"sweep-{tag}.toml")
                    with open(config_path, "w") as f:
                        f.write(CONFIG_TEMPLATE.format(n=n, compression=compression,
                                                       fit="true" if fit else "false"))
                    cases.append((backend, fit, compression, config_path,
                                  os.path.join(workdir, f"sweep-{backend}-{tag}.h5")))
        runs = {case: [] for case in cases}
        failed = {}  # backend -> error text
        for rep in range(args.repeat):
            for case in cases:
                backend, fit, compression, config_path, output_path = case
                if backend in failed:
                    continue
                summary, error = run_once(args.bin, config_path, output_path, backend)
                if summary is None:
                    failed[backend] = error
                    print(f"\n--backend {backend}: not measured: {error}")
                    continue
                summary["raw_write_seconds"] = raw_write_seconds(workdir, summary["file_bytes"])
                if rep == 0:  # the results are the same in every run
                    summary["flop"] = flop_estimate(output_path, fit)
                os.unlink(output_path)
                runs[case].append(summary)
        for backend, error in failed.items():
            results["cases"].append({"backend": backend, "error": error})
        for case in cases:
            backend, fit, compression = case[0], case[1], case[2]
            if backend in failed or not runs[case]:
                continue
            all_runs = runs[case]
            # Medians over the quiet runs (the rest of the machine used less
            # than --max-other-load cores), or over all runs if none was quiet.
            quiet = [r for r in all_runs if not (r["other_load"] > args.max_other_load)]
            case_runs = quiet or all_runs
            med = {k: statistics.median(r[k] for r in case_runs)
                   for k in ("seconds_total", "seconds_waiting_for_backend", "seconds_writing",
                             "points_per_second", "process_wall_seconds", "file_bytes",
                             "raw_write_seconds")}
            med["best_seconds_total"] = min(r["seconds_total"] for r in all_runs)
            med["points"] = case_runs[0]["points"]
            med["device"] = case_runs[0].get("device", "")
            med["flop"] = all_runs[0]["flop"]
            med["backend"], med["fit"], med["compression"] = backend, fit, compression
            med["quiet_runs"], med["runs"] = len(quiet), all_runs
            results["cases"].append(med)
            rows.append(med)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average {loadavg():.2f} after")
    if not rows:
        sys.exit("bench_run.py: no backend could run")

    print()
    header = ("backend", "fit", "deflate", "points/s", "end-to-end s", "best s", "waiting s", "writing s",
              "file MB", "raw write s", "raw MB/s", "end-to-end / raw")
    table = [header]
    for r in rows:
        table.append((r["backend"], "on" if r["fit"] else "off", str(r["compression"]),
                      f"{r['points_per_second']:,.0f}",
                      f"{r['seconds_total']:.2f}", f"{r['best_seconds_total']:.2f}",
                      f"{r['seconds_waiting_for_backend']:.2f}",
                      f"{r['seconds_writing']:.2f}", f"{r['file_bytes'] / 1e6:.1f}",
                      f"{r['raw_write_seconds']:.3f}",
                      f"{r['file_bytes'] / 1e6 / r['raw_write_seconds']:.0f}",
                      f"{r['seconds_total'] / r['raw_write_seconds']:.1f}"))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(f"{r['backend']}, fit {'on' if r['fit'] else 'off'}, deflate {r['compression']}: "
              "end-to-end s (other processes' load, "
              "cores) per run, in order: "
              + ", ".join(f"{x['seconds_total']:.2f} ({x['other_load']:.2f})" for x in r["runs"])
              + f"; {r['quiet_runs']} of {len(r['runs'])} quiet"
              + ("" if r["quiet_runs"] else ": NONE QUIET, medians over all runs"))
    print("(medians over the quiet runs; end-to-end = the --json seconds_total, best = its minimum; "
          "waiting = host waiting for the backend, i.e. compute not hidden by writing; raw write = "
          "write + fsync of the same number of bytes in the same directory)")

    print()
    for r in rows:
        fl = r["flop"]
        if fl is None:
            print(f"{r['backend']}, fit {'on' if r['fit'] else 'off'}, deflate {r['compression']}: "
                  "no h5py, no FLOP estimate")
            continue
        gflops = fl["flop_per_point"] * r["points_per_second"] * 1e-9
        # The counts are those of the CPU build; on a GPU they are an estimate too.
        backend_peak = peak if r["backend"] == "cpu" else args.gpu_peak_gflops
        parts = f"{fl['flop_flow']:.0f} (flow) + {fl['flop_quadrature']:.0f} (HJ quadrature, estimate)"
        if r["fit"]:
            parts += (f" + {fl['flop_curve']:.0f} (curve quadratures, estimate) + {fl['flop_fit']:.0f} "
                      f"(fit, callgrind estimate at {FIT_ITERATIONS_MEASURED:.1f} iterations; here "
                      f"{fl['fit_iterations_mean'] if fl['fit_iterations_mean'] is not None else float('nan'):.2f})")
        print(f"{r['backend']}, fit {'on' if r['fit'] else 'off'}, deflate {r['compression']}: "
              f"steps/point {fl['steps_mean']:.2f} "
              f"({fl['steps_min']}..{fl['steps_max']}), rejected/point {fl['rejected_mean']:.3f}; "
              f"FLOP/point ~ {parts} = {fl['flop_per_point']:.0f}; "
              f"{gflops:.2f} GFLOP/s end-to-end = {100 * gflops / backend_peak:.2f} % of "
              f"{backend_peak:.0f} GFLOP/s")
        if fl["unmodelled_groups"]:
            print(f"  warning: the output also has {', '.join('/' + g for g in fl['unmodelled_groups'])}: "
                  "per-point work this FLOP model does not count, so the FLOP figures are a lower bound")
    print(f"(CPU peak assumed: {cpus} CPUs x {mhz:.0f} MHz x 16 FLOP/cycle, two 256-bit FMA pipes per "
          "core in double; the Release build is scalar SSE2 without FMA. Other backends: "
          "--gpu-peak-gflops)")

    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
