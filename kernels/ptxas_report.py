#!/usr/bin/env python3
"""Registers, stack frame and spills of every CUDA kernel, recorded at build time.

Three modes (issue 10, goal 4: a regression of the kernels' working set shows
in CI, which compiles CUDA but has no GPU):

  ptxas_report.py launch REPORT_DIR -- NVCC ARGS...
      The CUDA compiler launcher of scaleham_backend_cuda (CMake
      CUDA_COMPILER_LAUNCHER; the target compiles with -Xptxas=-v). Runs the
      compiler, passes its diagnostics through (ptxas' per-function "info"
      lines excepted), and writes REPORT_DIR/ptxas-<source stem>.tsv: one row
      per function and architecture: kind (entry = kernel, function = an
      out-of-line callee), registers, stack frame bytes, spill store and load
      bytes, the demangled name.

  ptxas_report.py parse LOG [OUT.tsv]
      The same table from a saved `nvcc -Xptxas -v` log (stdout when no OUT).

  ptxas_report.py check REPORT.tsv... [--max-stack 512] [--max-spill 0]
                   [--known BASELINE.tsv]
      Exit 1, listing them, when a function's stack frame exceeds --max-stack
      bytes or it spills more than --max-spill bytes (stores or loads); exit 2
      when a report is missing or holds no kernel. With --known, a function
      listed there (same arch and demangled name) may spill up to its recorded
      bytes: spills not yet removed, written down so that they cannot grow
      unseen (kernels/ptxas-known-spills.tsv); the stack limit still holds.
"""
import os
import re
import shutil
import subprocess
import sys

ENTRY = re.compile(r"Compiling entry function '([^']+)' for '(sm_\w+)'")
PROPS = re.compile(r"Function properties for (\S+)")
FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
USED = re.compile(r"Used (\d+) registers")
ARCH = re.compile(r"for '(sm_\w+)'")
HEADER = "arch\tkind\tregisters\tstack_bytes\tspill_store_bytes\tspill_load_bytes\tmangled\tname"


def demangle(names):
    """Demangled names (cu++filt or c++filt when found, else as given)."""
    tool = shutil.which("cu++filt") or (os.path.exists("/usr/local/cuda/bin/cu++filt") and
                                        "/usr/local/cuda/bin/cu++filt") or shutil.which("c++filt")
    if not tool or not names:
        return {n: n for n in names}
    try:
        out = subprocess.run([tool], input="\n".join(names) + "\n", capture_output=True, text=True,
                             check=True).stdout.splitlines()
        return dict(zip(names, out)) if len(out) == len(names) else {n: n for n in names}
    except (OSError, subprocess.CalledProcessError):
        return {n: n for n in names}


def parse(text):
    """Rows (arch, kind, registers, stack, spill stores, spill loads, mangled) from ptxas -v output."""
    rows, arch, entry, pending = {}, "?", None, None
    for line in text.splitlines():
        m = ENTRY.search(line)
        if m:
            entry, arch = m.group(1), m.group(2)
            rows[(arch, entry)] = {"kind": "entry", "registers": -1, "frame": None}
            continue
        m = PROPS.search(line)
        if m:
            pending = m.group(1)
            a = ARCH.search(line)
            if a:
                arch = a.group(1)
            rows.setdefault((arch, pending), {"kind": "function", "registers": -1, "frame": None})
            continue
        m = FRAME.search(line)
        if m and pending is not None:
            rows[(arch, pending)]["frame"] = tuple(int(x) for x in m.groups())
            pending = None
            continue
        m = USED.search(line)
        if m and entry is not None and (arch, entry) in rows:
            rows[(arch, entry)]["registers"] = int(m.group(1))
    names = demangle(sorted({name for (_, name) in rows}))
    out = []
    for (a, name), r in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[1]["kind"] != "entry", kv[0][1])):
        frame = r["frame"] or (0, 0, 0)
        out.append((a, r["kind"], r["registers"], frame[0], frame[1], frame[2], name, names.get(name, name)))
    return out


def write(rows, path):
    text = HEADER + "\n" + "".join("\t".join(str(x) for x in row) + "\n" for row in rows)
    if path is None:
        sys.stdout.write(text)
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def launch(report_dir, command):
    source = None
    for i, arg in enumerate(command):
        if arg == "-c" and i + 1 < len(command):
            source = command[i + 1]
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    kept = [l for l in proc.stdout.splitlines()
            if not re.match(r"ptxas info\s*:", l) and not FRAME.search(l) and
            not re.match(r"\s*(Compile time|cmem)", l)]
    if kept:
        sys.stderr.write("\n".join(kept) + "\n")
    if proc.returncode == 0 and source is not None:
        stem = os.path.splitext(os.path.basename(source))[0]
        os.makedirs(report_dir, exist_ok=True)
        with open(os.path.join(report_dir, "ptxas-%s.log" % stem), "w") as f:
            f.write(proc.stdout)
        write(parse(proc.stdout), os.path.join(report_dir, "ptxas-%s.tsv" % stem))
    return proc.returncode


def read_report(path):
    with open(path) as f:
        return [line.split("\t", 7) for line in f.read().splitlines()[1:] if line.strip()]


def check(paths, max_stack, max_spill, known_path=None):
    known = {}
    if known_path:
        # Keyed by the demangled name: a mangled name of a kernel in an
        # anonymous namespace carries a hash of the source path, which differs
        # between checkouts.
        for arch, _, _, _, st, ld, _, name in read_report(known_path):
            known[(arch, name)] = (int(st), int(ld))
    bad, kernels = [], 0
    for path in paths:
        if not os.path.exists(path):
            print("missing report %s (build the CUDA backend first)" % path)
            return 2
        for arch, kind, regs, stack, st, ld, mangled, name in read_report(path):
            kernels += kind == "entry"
            allowed_st, allowed_ld = known.get((arch, name), (max_spill, max_spill))
            print("%-6s %-8s %4s regs %5s B stack %4s/%-4s B spill  %s" % (arch, kind, regs, stack, st, ld, name))
            if int(stack) > max_stack or int(st) > max(max_spill, allowed_st) or int(ld) > max(max_spill, allowed_ld):
                bad.append("%s %s: %s B stack (limit %d), spills %s/%s B (limit %d/%d)" %
                           (arch, name, stack, max_stack, st, ld, max(max_spill, allowed_st),
                            max(max_spill, allowed_ld)))
    if kernels == 0:
        print("no kernel in %s" % ", ".join(paths))
        return 2
    for b in bad:
        print("OVER LIMIT: " + b)
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "launch" and argv[3] == "--":
        return launch(argv[2], argv[4:])
    if len(argv) in (3, 4) and argv[1] == "parse":
        with open(argv[2]) as f:
            write(parse(f.read()), argv[3] if len(argv) == 4 else None)
        return 0
    if len(argv) >= 3 and argv[1] == "check":
        paths, max_stack, max_spill, known, args = [], 512, 0, None, argv[2:]
        while args:
            a = args.pop(0)
            if a == "--max-stack":
                max_stack = int(args.pop(0))
            elif a == "--max-spill":
                max_spill = int(args.pop(0))
            elif a == "--known":
                known = args.pop(0)
            else:
                paths.append(a)
        return check(paths, max_stack, max_spill, known)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
