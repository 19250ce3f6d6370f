#!/usr/bin/env python3
"""The report of `scripts/gpu-check.sh --run`: reads the step table and the
steps' outputs from WORK, writes OUTDIR/summary.json (every step: name,
status, seconds, note, key figures) and OUTDIR/bench.json, and prints the
step table and the benchmark table (the device tool returns only the end of
the output). Exit 1 when any step failed.

    gpu_check_summary.py WORK OUTDIR STEPS_TSV GPU_TEST_FILTER
"""
import glob, json, math, os, re, sys

work, outdir, steps_tsv, gpu_filter = sys.argv[1:5]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def gtest_figures(path):
    doc = load(path)
    if doc is None:
        return {"gtest_json": "missing"}
    cases = [c for s in doc.get("testsuites", []) for c in s.get("testsuite", [])]
    skipped = [c["classname"] + "." + c["name"] for c in cases if c.get("result") == "SKIPPED"]
    failed = [c["classname"] + "." + c["name"] for c in cases if c.get("failures")]
    return {"tests": len(cases), "failed": len(failed), "skipped": len(skipped), "failed_tests": failed[:20],
            "skipped_tests": skipped[:20], "filter": gpu_filter}


steps, bench = [], {"bench_gpu": None, "peers": {}, "scaleham_run": {}}
for line in open(steps_tsv):
    name, status, seconds, note = (line.rstrip("\n").split("\t") + [""] * 4)[:4]
    step = {"name": name, "status": status, "seconds": float(seconds), "note": note, "figures": {}}
    out = text(os.path.join(work, name + ".out"))
    fig = step["figures"]
    if name == "env":
        csv = text(os.path.join(work, "gpu.csv")).strip().splitlines()
        if len(csv) >= 2:
            fig.update(dict(zip([h.strip() for h in csv[0].split(",")], [v.strip() for v in csv[1].split(",")])))
    elif name == "gtest_gpu":
        fig.update(gtest_figures(os.path.join(work, "gtest-gpu.json")))
        if fig.get("tests") and fig.get("skipped") == fig.get("tests"):
            step["note"] = (step["note"] + "; " if step["note"] else "") + "every GPU test SKIPPED"
            if os.environ.get("SCALEHAM_GPU_CHECK_TINY") != "1":
                step["status"] = "failed"  # on the GPU machine a skip means the GPU was not usable
    elif name.startswith("sanitize_"):
        m = re.findall(r"ERROR SUMMARY: (\d+) error", out)
        fig["errors"] = int(m[-1]) if m else None
        m = re.findall(r"RACECHECK SUMMARY: (\d+) hazard", out)
        if m:
            fig["hazards"] = int(m[-1])
        m = re.search(r"\[\s*(PASSED|FAILED)\s*\]\s*(\d+) test", out)
        if m:
            fig["gtest"] = m.group(1).lower() + " " + m.group(2)
    elif name.startswith("run_") or name.startswith("compare_"):
        parts = [name] if name.startswith("run_") else [name.replace("_", "-") + "-cpu",
                                                         name.replace("_", "-") + "-cuda"]
        for part in parts:
            summary = load(os.path.join(work, part + ".json"))
            if not isinstance(summary, dict):
                continue
            keep = {k: summary[k] for k in ("points", "points_per_second", "seconds_total",
                                            "seconds_waiting_for_backend", "seconds_writing", "backend",
                                            "device", "precision") if k in summary}
            size = text(os.path.join(work, part + ".size")).strip()
            if size:
                keep["file_bytes"] = int(size)
            fig[part] = keep
            if name.startswith("run_"):
                bench["scaleham_run"][name] = keep
        if name.startswith("compare_"):
            fig["cpu_run_ok"] = os.path.exists(os.path.join(work, name.replace("_", "-") + ".cpu-ok"))
            if os.environ.get("SCALEHAM_GPU_CHECK_TINY") == "1":
                fig["self_compare_ok"] = os.path.exists(os.path.join(work, name.replace("_", "-") + ".selfcompare-ok"))
            lines = [l for l in out.strip().splitlines() if l.strip()]
            fig["last_line"] = lines[-1][:300] if lines else ""
    elif name == "bench_gpu":
        doc = load(os.path.join(work, "bench_gpu.json"))
        bench["bench_gpu"] = doc
        if isinstance(doc, dict):
            if "skipped" in doc:
                fig["skipped"] = doc["skipped"]
            for r in doc.get("results", []):
                key = "/".join(str(r.get(k, "")) for k in ("benchmark", "path", "method", "precision", "trajectories"))
                if "error" in r:
                    fig[key] = "ERROR: " + r["error"][:200]
                elif "fits_per_s" in r:
                    fig["vft_fits_per_s"] = r["fits_per_s"]
                else:
                    fig[key] = {k: r[k] for k in ("trajectory_steps_per_s", "points_per_s", "flop_per_s",
                                                  "fraction_of_peak", "max_rel_err") if k in r}
    elif name.startswith("peer_"):
        _, peer, size = name.split("_")
        doc = load(os.path.join(work, f"peer-{peer}-{size}.json"))
        if isinstance(doc, dict):
            bench["peers"][f"{peer}-{size}"] = doc
            for k in ("skipped", "error"):
                if k in doc:
                    fig[k] = doc[k]
            for r in doc.get("results", []):
                key = f"{r['method']}/{r['precision']}/{r['trajectories']}"
                fig[key] = (r.get("skipped") or ("ERROR: " + r["error"][:200] if "error" in r else
                            {"trajectory_steps_per_s": r.get("trajectory_steps_per_s"),
                             "max_rel_err": (r.get("max_rel_err") or {}).get("max")}))
    steps.append(step)

summary = {"tool": "scripts/gpu-check.sh --run", "steps": steps,
           "passed": sum(s["status"] == "ok" for s in steps),
           "failed": sum(s["status"] == "failed" for s in steps),
           "skipped": sum(s["status"] == "skipped" for s in steps)}
with open(os.path.join(outdir, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2)
with open(os.path.join(outdir, "bench.json"), "w") as f:
    json.dump(bench, f, indent=2)


def fmt(x):
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return f"{x:.3g}"
    return str(x)


print()
print("=== gpu-check summary: %d ok, %d failed, %d skipped" % (summary["passed"], summary["failed"], summary["skipped"]))
for s in steps:
    fig = s["figures"]
    short = ""
    if s["name"] == "gtest_gpu":
        short = f"tests {fig.get('tests')} failed {fig.get('failed')} skipped {fig.get('skipped')}"
    elif s["name"].startswith("sanitize_"):
        short = f"errors {fig.get('errors')}" + (f" hazards {fig['hazards']}" if "hazards" in fig else "")
    elif s["name"].startswith("run_") and s["name"] in fig:
        r = fig[s["name"]]
        short = f"{fmt(r.get('points_per_second'))} points/s, {fmt(r.get('seconds_total'))} s, {fmt(r.get('file_bytes', 0) / 1e6)} MB"
    elif s["name"].startswith("compare_"):
        short = fig.get("last_line", "")
        if short.startswith("compare_outputs:"):
            short = short.rsplit(": ", 1)[-1]  # the verdict, without the file names
    elif s["name"] == "env":
        short = " ".join(str(v) for v in list(fig.values())[:3])
    print(f"  {s['status']:8s} {s['seconds']:7.1f} s  {s['name']:24s} {s['note'][:60]} {short[:90]}")

rows = []
doc = bench["bench_gpu"]
if isinstance(doc, dict):
    for r in doc.get("results", []):
        what = f"scaleham {r.get('benchmark')}/{r.get('path')}"
        rate = r.get("fits_per_s") or r.get("trajectory_steps_per_s")
        unit = "fits/s" if "fits_per_s" in r else "traj*steps/s"
        errs = list((r.get("max_rel_err") or {}).values())
        # bench_gpu writes NaN/inf as strings: a NaN error (a failed path) must show.
        err = ("nan" if any(isinstance(v, str) for v in errs) else
               max((v for v in errs if isinstance(v, (int, float))), default=None))
        rows.append((what, r.get("method", "-"), r.get("precision", "-"), r.get("trajectories", r.get("fits", "")),
                     (r.get("timing") or {}).get("median_s"), rate, unit, err,
                     r.get("fraction_of_peak") or r.get("error", "")[:40]))
for tag, pdoc in bench["peers"].items():
    for r in (pdoc or {}).get("results", []):
        rows.append((pdoc.get("peer", tag), r.get("method"), r.get("precision"), r.get("trajectories"),
                     (r.get("timing") or {}).get("median_s"), r.get("trajectory_steps_per_s"), "traj*steps/s",
                     (r.get("max_rel_err") or {}).get("max"), r.get("skipped") or r.get("error", "")[:40]))
if rows:
    print()
    print("=== benchmarks (median wall s; rate; max rel. error of the end state; fraction of FP64/FP32 peak)")
    for row in rows:
        what, method, prec, n, sec, rate, unit, err, extra = row
        print(f"  {what:26s} {str(method):7s} {str(prec):5s} {str(n):>9s} {fmt(sec) if sec is not None else '-':>8s} s"
              f"  {fmt(rate) if rate else '-':>9s} {unit:13s} err {fmt(err) if err is not None else '-':>8s}  {fmt(extra)}")
sys.exit(1 if summary["failed"] else 0)
