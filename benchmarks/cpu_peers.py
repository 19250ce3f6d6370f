#!/usr/bin/env python3
"""scaleham's CPU backend side by side with compiled peers (issue 10, goal 1).

The ensemble of the issue: the paper model (beta = lambda g, F = A / g),
lambda = linspace(0.05, 0.15, 200) x A = linspace(25, 75, 250) = 50,000
trajectories from g0 = 100 on the HJ manifold (p0 = -A / (lambda g0^2)),
S0 = 0, over l from 0 to -10; RK4 with 1000 equal steps, DOPRI5 at rtol 1e-8,
atol 1e-10. Contestants, each a separate process:

  scaleham       `scaleham run CONFIG -o OUT --quiet --backend cpu` on a TOML
                 written here ([fit] enabled = false, [output] compression = 0,
                 hj = false): the work of the peers (g, p and S along the flow),
                 and the HDF5 file written (whole process is the point)
  scaleham+hj    the same with [output] hj = true (scaleham's default): each
                 point also gets the HJ action by Gauss-Kronrod quadrature and
                 its consistency with S, which no peer computes; its ratio shows
                 what that costs
  odeint         benchmarks/peers/cpu/odeint_ensemble (Boost.Odeint runge_kutta4 /
                 controlled runge_kutta_dopri5, OpenMP), scaleham's compile flags
  odeint-native  the same at -march=native (configure with
                 -DSCALEHAM_BENCH_NATIVE_PEERS=ON), when built
  numba          benchmarks/peers/cpu/numba_ensemble.py (njit parallel, prange),
                 JIT compile included in the process time
  jax            benchmarks/peers/cpu/jax_ensemble.py (RK4 by hand, fori_loop;
                 DOPRI5 diffrax + vmap), jit compile and JAX import included

A peer whose program or modules are missing is skipped with a note. Runs are
interleaved (round r runs every contestant once, the order rotated by r), after
one untimed warm-up round on a 1 x 1 ensemble (page cache, not JIT caches:
numba and JAX compile again in every process). Per run: the child's CPU time
(user + sys, from os.wait4's rusage: all its threads) and wall time; the
accuracy of its end state (the largest relative error against the closed form
over g, p and S; scaleham's read from /flow/g, /flow/p, /flow/S with h5py).
Reported: medians over the repeats, traj*steps per CPU second (CPU seconds are
core-seconds, so this is the rate per core), and the ratio peer CPU / scaleham
CPU (> 1: scaleham faster). The peers also print their compile-excluded compute
time (process CPU and wall), shown in the table as "compute-only"; for
scaleham the wall time of its compute phase (the seconds_compute attribute of
the output, no CPU time is recorded there).

Threads (--threads N, default: every CPU this process may run on): every
child's CPU affinity is set to the first N of them (sched_setaffinity), and
OMP_NUM_THREADS=N (scaleham, odeint), NUMBA_NUM_THREADS=N (numba); XLA sizes
its thread pool from the affinity, and with N = 1 also gets
XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1".
OpenMP's idle threads spin for a while at the end of a parallel region (libgomp
default); that CPU time counts, for scaleham and odeint alike.

    python3 benchmarks/cpu_peers.py                                # both methods, full size, 5 rounds
    python3 benchmarks/cpu_peers.py --method rk4 --lambda-count 20 --A-count 25 --repeats 3
    python3 benchmarks/cpu_peers.py --threads 1 --json peers.json

Needs h5py and numpy for scaleham's accuracy; numba for the numba peer; jax
(and diffrax for its DOPRI5) for the JAX peer, found on --peer-pythonpath
(default build/peer-site where it exists) or the ordinary sys.path.
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER_DIR = os.path.join(REPO, "benchmarks", "peers", "cpu")
G0, ELL, RK4_STEPS, RTOL, ATOL = 100.0, -10.0, 1000, 1e-8, 1e-10
CONTESTANTS = ["scaleham", "scaleham+hj", "odeint", "odeint-native", "numba", "jax"]

CONFIG_TEMPLATE = """\
# Written by benchmarks/cpu_peers.py: the paper ensemble of issue 10, {n_lambda} x {n_a} points.
[model]
lambda = 0.1   # beta = lambda g (swept below)
A = 50.0       # F = A / g, K (swept below)

[flow]
g0 = {g0!r}
p0 = "on_manifold"
ell = {ell!r}
integrator = "{method}"
rk4_steps = {rk4_steps}
rtol = {rtol!r}
atol = {atol!r}

[grid]
sampling = "cartesian"

[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15, {n_lambda}]

[[grid.axis]]
name = "A"
linspace = [25.0, 75.0, {n_a}]
unit = "K"

[fit]
enabled = false

[output]
compression = 0
hj = {hj}
"""


def busy_cpu_seconds():
    """CPU seconds the whole machine has been busy since boot (/proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run_process(cmd, env, cpus):
    """Runs cmd; returns (returncode, stdout, stderr, cpu_s, wall_s, other_load).

    cpu_s: user + sys of the child and its threads (os.wait4). other_load: CPU
    time of everything else on the machine meanwhile, in cores."""
    out_f, err_f = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    busy0 = busy_cpu_seconds()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=out_f, stderr=err_f,
                            preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    busy1 = busy_cpu_seconds()
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    other = max(0.0, (busy1 - busy0) - cpu) / wall if busy0 is not None and wall > 0 else float("nan")
    out_f.seek(0)
    err_f.seek(0)
    return (proc.returncode, out_f.read().decode(errors="replace"), err_f.read().decode(errors="replace"),
            cpu, wall, other)


def scaleham_accuracy(path, g0, ell):
    """(max relative error over g, p, S, mean accepted steps, mean rejected,
    seconds_compute attribute, non-ok count) of a scaleham output file."""
    import h5py
    import numpy as np
    with h5py.File(path, "r") as f:
        g, p, s = (np.asarray(f["flow/" + k], dtype=np.float64) for k in ("g", "p", "S"))
        lam = np.asarray(f["lambda"], dtype=np.float64)
        amp = np.asarray(f["A"], dtype=np.float64)
        steps = float(np.mean(f["flow/steps"]))
        rejected = float(np.mean(f["flow/rejected"]))
        not_ok = int(np.count_nonzero(np.asarray(f["flow/status"]) != 0))
        compute = float(f.attrs.get("seconds_compute", float("nan")))
    lam, amp = np.meshgrid(lam, amp, indexing="ij")
    ge = g0 * np.exp(lam * ell)
    pe = -amp / (lam * ge * ge)
    se = amp / (lam * ge) - amp / (lam * g0)
    errs = [float(np.max(np.abs(x - e) / np.abs(e))) if np.all(np.isfinite(x)) else math.inf
            for x, e in ((g, ge), (p, pe), (s, se))]
    return max(errs), steps, rejected, compute, not_ok


def python_has(module, pythonpath):
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, "-c", f"import {module}"], env=env, capture_output=True)
    return r.returncode == 0


class Contestant:
    def __init__(self, name, cmd_fn, env, note=""):
        self.name, self.cmd_fn, self.env, self.note = name, cmd_fn, env, note


def find_scaleham(arg):
    if arg:
        return arg
    for rel in ("build/default/host/scaleham", "build/cpu/host/scaleham"):
        path = os.path.join(REPO, rel)
        if os.access(path, os.X_OK):
            return path
    return os.path.join(REPO, "build/default/host/scaleham")


def find_odeint(arg, scaleham, name):
    if arg:
        return arg
    build = os.path.dirname(os.path.dirname(os.path.abspath(scaleham)))  # <build>/host/scaleham
    for d in (os.path.join(build, "benchmarks"), os.path.join(REPO, "build/cpu/benchmarks"),
              os.path.join(REPO, "build/default/benchmarks")):
        path = os.path.join(d, name)
        if os.access(path, os.X_OK):
            return path
    return None


def default_peer_site():
    """build/peer-site of this checkout, else of the main worktree (git worktrees share one)."""
    candidates = [REPO]
    try:
        common = subprocess.run(["git", "-C", REPO, "rev-parse", "--git-common-dir"], capture_output=True,
                                text=True).stdout.strip()
        if common:
            candidates.append(os.path.dirname(os.path.abspath(os.path.join(REPO, common))))
    except OSError:
        pass
    for root in candidates:
        site = os.path.join(root, "build", "peer-site")
        if os.path.isdir(site):
            return site
    return ""


def build_contestants(args, workdir, cpus):
    base_env = dict(os.environ)
    n = str(len(cpus))
    base_env.update({"OMP_NUM_THREADS": n, "NUMBA_NUM_THREADS": n})
    out, skipped = [], {}
    wanted = args.peers.split(",")

    def size_args(n_lambda, n_a):
        return ["--lambda-count", str(n_lambda), "--A-count", str(n_a), "--g0", repr(G0), "--ell", repr(ELL),
                "--rk4-steps", str(RK4_STEPS), "--rtol", repr(RTOL), "--atol", repr(ATOL)]

    if "scaleham" not in wanted:
        wanted.insert(0, "scaleham")
    if not os.access(args.scaleham, os.X_OK):
        sys.exit(f"cpu_peers.py: no scaleham binary at {args.scaleham} (build it, or pass --scaleham)")

    def scaleham_cmd(method, n_lambda, n_a, hj=False):
        config = os.path.join(workdir, f"{method}-{n_lambda}x{n_a}{'-hj' if hj else ''}.toml")
        if not os.path.exists(config):
            with open(config, "w") as f:
                f.write(CONFIG_TEMPLATE.format(n_lambda=n_lambda, n_a=n_a, g0=G0, ell=ELL, method=method,
                                               rk4_steps=RK4_STEPS, rtol=RTOL, atol=ATOL,
                                               hj="true" if hj else "false"))
        output = os.path.join(workdir, "scaleham-out.h5")
        if os.path.exists(output):
            os.unlink(output)
        return [args.scaleham, "run", config, "-o", output, "--quiet", "--backend", "cpu"]

    out.append(Contestant("scaleham", scaleham_cmd, base_env, args.scaleham))
    if "scaleham+hj" in wanted:
        out.append(Contestant("scaleham+hj", lambda m, a, b: scaleham_cmd(m, a, b, hj=True), base_env,
                              args.scaleham + " ([output] hj = true)"))
    for name, binary in (("odeint", "odeint_ensemble"), ("odeint-native", "odeint_ensemble_native")):
        if name not in wanted:
            continue
        path = find_odeint(args.odeint if name == "odeint" else args.odeint_native, args.scaleham, binary)
        if path is None:
            skipped[name] = (f"{binary} not built (needs Boost; "
                             + ("-DSCALEHAM_BENCH_NATIVE_PEERS=ON" if name == "odeint-native" else
                                "cmake --build --preset cpu --target odeint_ensemble") + ")")
            continue
        out.append(Contestant(name, lambda m, a, b, path=path: [path, m] + size_args(a, b), base_env, path))
    if "numba" in wanted:
        if python_has("numba", None):
            script = os.path.join(PEER_DIR, "numba_ensemble.py")
            out.append(Contestant("numba", lambda m, a, b, script=script: [sys.executable, script, m] + size_args(a, b),
                                  base_env, script))
        else:
            skipped["numba"] = "numba not importable (pip install numba)"
    if "jax" in wanted:
        env = dict(base_env)
        if args.peer_pythonpath:
            env["PYTHONPATH"] = args.peer_pythonpath + os.pathsep + env.get("PYTHONPATH", "")
        if len(cpus) == 1:
            env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                                " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()
        if python_has("jax", args.peer_pythonpath):
            script = os.path.join(PEER_DIR, "jax_ensemble.py")
            out.append(Contestant("jax", lambda m, a, b, script=script: [sys.executable, script, m] + size_args(a, b),
                                  env, script))
            if "dopri5" in args.methods and not python_has("diffrax", args.peer_pythonpath):
                skipped["jax dopri5"] = "diffrax not importable"
        else:
            skipped["jax"] = "jax not importable (PYTHONPATH=build/peer-site or pip install jax)"
    return out, skipped


def one_run(c, method, n_lambda, n_a, cpus, workdir):
    cmd = c.cmd_fn(method, n_lambda, n_a)
    rc, stdout, stderr, cpu, wall, other = run_process(cmd, c.env, cpus)
    rec = {"cpu_s": cpu, "wall_s": wall, "other_load": other, "rc": rc}
    if rc != 0:
        rec["error"] = (stderr.strip() or stdout.strip())[-2000:]
        return rec
    if c.name.startswith("scaleham"):
        err, steps, rejected, compute, not_ok = scaleham_accuracy(os.path.join(workdir, "scaleham-out.h5"),
                                                                   G0, ELL)
        rec.update({"max_rel_error": err, "steps_per_trajectory": steps, "rejected_per_trajectory": rejected,
                    "seconds_compute": compute, "not_ok": not_ok})
    else:
        doc = json.loads(stdout.strip().splitlines()[-1])
        for k in ("max_rel_error", "steps_per_trajectory", "rejected_per_trajectory", "seconds_compute",
                  "cpu_seconds_compute", "seconds_compile"):
            if k in doc:
                rec[k] = doc[k]
    return rec


def median(xs):
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return statistics.median(xs) if xs else None


def fmt(x, spec):
    return format(x, spec) if x is not None else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", choices=["rk4", "dopri5", "both"], default="both")
    ap.add_argument("--lambda-count", type=int, default=200)
    ap.add_argument("--A-count", type=int, default=250)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="CPUs per process (default: all allowed)")
    ap.add_argument("--scaleham", default=None,
                    help="binary (default build/default/host/scaleham, else build/cpu/host/scaleham)")
    ap.add_argument("--odeint", default=None, help="odeint_ensemble binary (default: next to scaleham's build)")
    ap.add_argument("--odeint-native", default=None, help="odeint_ensemble_native binary")
    ap.add_argument("--peers", default=",".join(CONTESTANTS), help="comma-separated subset of " + ",".join(CONTESTANTS))
    ap.add_argument("--peer-pythonpath", default=default_peer_site(),
                    help="PYTHONPATH for the JAX peer (default build/peer-site of this checkout, or of "
                         "the main worktree when this is a git worktree, where it exists)")
    ap.add_argument("--json", dest="json_path", default=None, help="also write the JSON report here")
    args = ap.parse_args()
    args.methods = ["rk4", "dopri5"] if args.method == "both" else [args.method]
    args.scaleham = find_scaleham(args.scaleham)

    allowed = sorted(os.sched_getaffinity(0))
    n_threads = args.threads or len(allowed)
    if n_threads > len(allowed):
        sys.exit(f"cpu_peers.py: --threads {n_threads} but only {len(allowed)} CPUs allowed")
    cpus = set(allowed[:n_threads])

    workdir = tempfile.mkdtemp(prefix="cpu-peers-")
    report = {"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "threads": n_threads,
              "trajectories": args.lambda_count * args.A_count, "lambda_count": args.lambda_count,
              "A_count": args.A_count, "g0": G0, "ell": ELL, "rk4_steps": RK4_STEPS, "rtol": RTOL,
              "atol": ATOL, "repeats": args.repeats, "loadavg_before": os.getloadavg()[0], "methods": {}}
    try:
        with open("/proc/cpuinfo") as f:
            report["cpu"] = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    try:
        contestants, skipped = build_contestants(args, workdir, cpus)
        report["skipped"] = skipped
        report["programs"] = {c.name: c.note for c in contestants}
        for name, why in skipped.items():
            print(f"cpu_peers.py: skipping {name}: {why}", file=sys.stderr)
        n = args.lambda_count * args.A_count
        for method in args.methods:
            active = [c for c in contestants if not (c.name == "jax" and method == "dopri5"
                                                      and "jax dopri5" in skipped)]
            for c in active:  # warm-up: page cache, 1 x 1 ensemble, untimed
                one_run(c, method, 1, 1, cpus, workdir)
            runs = {c.name: [] for c in active}
            for r in range(args.repeats):
                order = active[r % len(active):] + active[:r % len(active)]
                for c in order:
                    rec = one_run(c, method, args.lambda_count, args.A_count, cpus, workdir)
                    runs[c.name].append(rec)
                    print(f"cpu_peers.py: {method} round {r + 1}/{args.repeats} {c.name}: "
                          f"cpu {rec['cpu_s']:.3f} s, wall {rec['wall_s']:.3f} s, other load "
                          f"{rec['other_load']:.2f}" + (f", ERROR {rec['error'].splitlines()[-1][:300]}" if "error" in rec else ""),
                          file=sys.stderr)
            summary = {}
            for c in active:
                ok = [x for x in runs[c.name] if "error" not in x]
                if not ok:
                    summary[c.name] = {"error": runs[c.name][0].get("error", "failed"), "runs": runs[c.name]}
                    continue
                s = {k: median([x.get(k) for x in ok]) for k in
                     ("cpu_s", "wall_s", "other_load", "seconds_compute", "cpu_seconds_compute", "seconds_compile",
                      "steps_per_trajectory", "rejected_per_trajectory")}
                s["max_rel_error"] = max(x.get("max_rel_error", math.inf) for x in ok)
                s["failed_runs"] = len(runs[c.name]) - len(ok)
                s["traj_steps_per_cpu_s"] = n * s["steps_per_trajectory"] / s["cpu_s"]
                s["runs"] = runs[c.name]
                summary[c.name] = s
            base = summary.get("scaleham", {}).get("cpu_s")
            for name, s in summary.items():
                if "cpu_s" in s and base:
                    s["ratio_peer_cpu_over_scaleham_cpu"] = s["cpu_s"] / base
                    if s.get("cpu_seconds_compute"):
                        s["ratio_compute_only"] = s["cpu_seconds_compute"] / base
            report["methods"][method] = summary
            print_table(method, summary, n, n_threads)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["loadavg_after"] = os.getloadavg()[0]
    text = json.dumps(report, indent=1)
    if args.json_path:
        with open(args.json_path, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


def print_table(method, summary, n, threads):
    print(f"\n{method}: {n} trajectories, {threads} thread(s); medians; ratio = peer CPU / scaleham CPU "
          f"(> 1: scaleham faster)")
    head = (f"{'program':<14} {'CPU s':>8} {'wall s':>8} {'steps/traj':>10} {'M traj*steps/CPU-s':>19} "
            f"{'ratio':>6} {'max rel err':>11} {'compute-only CPU s':>18} {'wall s':>7} {'compile s':>9} "
            f"{'other load':>10}")
    print(head)
    print("-" * len(head))
    for name, s in summary.items():
        if "error" in s:
            print(f"{name:<14} failed: {s['error'].splitlines()[-1][:100]}")
            continue
        print(f"{name:<14} {s['cpu_s']:8.3f} {s['wall_s']:8.3f} {s['steps_per_trajectory']:10.2f} "
              f"{s['traj_steps_per_cpu_s'] / 1e6:19.2f} {fmt(s.get('ratio_peer_cpu_over_scaleham_cpu'), '6.2f')} "
              f"{s['max_rel_error']:11.2e} {fmt(s.get('cpu_seconds_compute'), '18.3f')} "
              f"{fmt(s.get('seconds_compute'), '7.3f')} "
              f"{fmt(s.get('seconds_compile'), '9.2f')} {fmt(s['other_load'], '10.2f')}")
    print()


if __name__ == "__main__":
    sys.exit(main())
