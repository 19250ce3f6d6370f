"""scaleham.run from Python: the binding (in memory) against the process
engine (the executable into a temporary file, read back), and, for
reference, the binding's engine alone (the file's bytes, not opened by
xarray) and the bare command line into a file. Interleaved and repeated; prints the
median wall time of each and their ratios.

    python3 benchmarks/python_engines.py [--repeats 5] [--points 200000]

Needs a build with the binding (SCALEHAM_ENGINE_MODULE_DIR, or this tree's
newest build) and the executable (SCALEHAM_BIN, PATH, or this tree's build).
"""
import argparse
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python"))
import scaleham  # noqa: E402


def halton(points):
    return {"model": {"lambda": 0.1, "A": 50.0},
            "grid": {"sampling": "halton", "points": points,
                     "axis": [{"name": "lambda", "linspace": [0.05, 0.15]},
                              {"name": "A", "logspace": [25.0, 75.0]}]}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--points", type=int, default=200000, help="points of the large (Halton) sweep")
    parser.add_argument("--backend", default="cpu")
    a = parser.parse_args()
    if scaleham.binding() is None:
        sys.exit("no binding: build with pybind11-dev installed (README)")
    import tomli_w

    cases = {"example (441 points)": None, f"halton ({a.points} points)": halton(a.points)}
    with tempfile.TemporaryDirectory() as scratch:
        for name, config in cases.items():
            toml = pathlib.Path(scratch) / "config.toml"
            if config is not None:
                toml.write_text(tomli_w.dumps(config))
            cli = [scaleham.executable(), "run", *([str(toml)] if config is not None else []), "--backend",
                   a.backend, "--quiet", "--force", "-o", str(pathlib.Path(scratch) / "cli.h5")]
            engine_args = ["--backend", a.backend, "--quiet"]
            config_text = tomli_w.dumps(config) if config is not None else None
            ways = {
                "binding, in memory": lambda: scaleham.run(config, backend=a.backend, progress=False,
                                                           engine="binding"),
                "binding, file bytes only": lambda: scaleham.binding().run(engine_args, config_text=config_text),
                "process, temporary file": lambda: scaleham.run(config, backend=a.backend, progress=False,
                                                                engine="process"),
                "command line into a file": lambda: subprocess.run(cli, check=True),
            }
            times = {way: [] for way in ways}
            for _ in range(a.repeats):
                for way, call in ways.items():  # interleaved: noise hits all alike
                    start = time.perf_counter()
                    call()
                    times[way].append(time.perf_counter() - start)
            base = statistics.median(times["binding, in memory"])
            print(f"{name}, backend {a.backend}, {a.repeats} repeats (median wall seconds):")
            for way, t in times.items():
                m = statistics.median(t)
                print(f"  {way:26s} {m:8.4f} s   {m / base:5.2f}x the binding   (min {min(t):.4f})")


if __name__ == "__main__":
    main()
