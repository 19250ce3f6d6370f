"""gpu-check step binding_cuda: the Python binding (scaleham._engine) runs a
sweep in memory on BACKEND; every dataset of the file it builds must equal
the command line's file of the same sweep on the same backend, bit for bit.
Needs only numpy and h5py (what the device machine has).

    python3 scripts/gpu_check_binding.py BIN_DIR WORK_DIR BACKEND

BIN_DIR holds scaleham and _engine.so (as scripts/gpu-check.sh stages them).
Exit 0 when equal, 1 otherwise.
"""
import importlib.util
import io
import json
import pathlib
import subprocess
import sys
import time

import h5py
import numpy as np

CONFIG = """
[model]
lambda = 0.1
A = 50.0
[grid]
axis = [
  { name = "lambda", linspace = [0.05, 0.15, 64] },
  { name = "A", linspace = [25.0, 75.0, 64] },
]
[output]
curves = true
"""


def datasets(f):
    found = {}
    f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found


def main():
    bin_dir, work, backend = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
    spec = importlib.util.spec_from_file_location("_engine", bin_dir / "_engine.so")
    engine = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(engine)
    print(f"binding {engine.version}, CUDA architectures {engine.cuda_architectures!r}")

    start = time.perf_counter()
    image, summary = engine.run(["--backend", backend, "--quiet"], config_text=CONFIG, config_name="<gpu-check>")
    seconds = time.perf_counter() - start
    summary = json.loads(summary)
    print(f"in memory: {summary['points']} points on {summary['backend']} ({summary['device']}) in {seconds:.3f} s, "
          f"{len(image)} bytes")
    if summary["backend"] != backend:
        print(f"FAILED: ran on {summary['backend']}, not {backend}: {summary['notice']}")
        return 1

    config = work / "binding.toml"
    config.write_text(CONFIG)
    cli = work / "binding-cli.h5"
    subprocess.run([str(bin_dir / "scaleham"), "run", str(config), "-o", str(cli), "--backend", backend, "--quiet",
                    "--force"], check=True)
    with h5py.File(io.BytesIO(image), "r") as mine, h5py.File(cli, "r") as theirs:
        want, got = datasets(theirs), datasets(mine)
        if sorted(want) != sorted(got):
            print("FAILED: the datasets differ:", sorted(set(want) ^ set(got)))
            return 1
        unequal = [name for name in want
                   if not np.array_equal(want[name], got[name], equal_nan=want[name].dtype.kind == "f")]
    if unequal:
        print("FAILED: not bit for bit equal:", unequal)
        return 1
    print(f"ok: {len(want)} datasets equal to the command line's file bit for bit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
