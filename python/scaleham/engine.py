"""Sweeps and fits from Python: scaleham.run and scaleham.fit.

They run the `scaleham` executable (the same engine, CPU or GPU, with its
crash-safe output and its checks) and return the result as an in-memory
xarray.DataTree, as scaleham.open makes it. Without `output=` the file is a
temporary one, read into memory and deleted; with `output=` it stays (the
crash-safe path: an interrupted run resumes with `scaleham run ... --resume`).

The executable: $SCALEHAM_BIN, else `scaleham` on PATH, else the newest build
of this source tree (build/*/host/scaleham).
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from .files import open as open_file


class ScalehamError(RuntimeError):
    """The engine refused or failed: `exit_code` 2 for bad input (config, data,
    options), 1 for a failure (e.g. no usable GPU); `message` is its stderr."""

    def __init__(self, exit_code, message):
        super().__init__(message.strip() or f"scaleham exited with code {exit_code}")
        self.exit_code = exit_code
        self.message = message


def executable():
    """Path of the scaleham executable that run() and fit() use."""
    given = os.environ.get("SCALEHAM_BIN")
    if given:
        return given
    on_path = shutil.which("scaleham")
    if on_path:
        return on_path
    tree = pathlib.Path(__file__).resolve().parents[2] / "build"
    built = sorted(tree.glob("*/host/scaleham"), key=lambda p: p.stat().st_mtime, reverse=True)
    if built:
        return str(built[0])
    raise FileNotFoundError("no scaleham executable: build it (README), put it on PATH, or set SCALEHAM_BIN")


def _progress_bar(show):
    """A callable taking (fraction, line), or None. tqdm (notebook-aware) when installed."""
    if show is False:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if show is None:
            return None
        return lambda fraction, line: print(line, file=sys.stderr)
    bar = tqdm(total=100.0, unit="%", bar_format="{l_bar}{bar}| {n:.1f}/{total:.0f}% [{elapsed}<{remaining}]")

    def update(fraction, line):
        bar.update(max(0.0, 100.0 * fraction - bar.n))
        if fraction >= 1.0:
            bar.close()

    return update


def _execute(args, progress):
    """Runs scaleham with `args`, feeding its progress lines to `progress`;
    raises ScalehamError on a non-zero exit."""
    process = subprocess.Popen([executable(), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    messages = []
    for line in process.stderr:
        if line.startswith("scaleham: progress ") and progress is not None:
            try:
                progress(float(line.split()[2].rstrip("%")) / 100.0, line.rstrip())
            except (IndexError, ValueError):
                messages.append(line)
        else:
            messages.append(line)
    stdout = process.stdout.read()
    code = process.wait()
    if code != 0:
        raise ScalehamError(code, "".join(messages))
    if progress is not None:
        progress(1.0, "")
    return stdout


def _in_memory(path):
    """The file's tree with every value read, and the file closed."""
    tree = open_file(path).load()
    tree.close()
    return tree


def run(config=None, *, output=None, backend="auto", precision="double", progress=None, args=()):
    """Runs a sweep and returns its results as an in-memory DataTree.

    config: a dict in the layout of the TOML file (docs/config.md), e.g.
      {"model": {"lambda": 0.1}, "grid": {"axis": [{"name": "A", "linspace": [25.0, 75.0, 11]}]}},
      a path to a TOML file, or None for the built-in example.
    output: keep the HDF5 file there (refused if it exists: pass args=["--force"]).
    backend: "auto", "cpu" or "cuda"; precision: "double" or "float".
    progress: None shows a bar when tqdm is installed, True always (lines
      otherwise), False never.
    args: further `scaleham run` options, e.g. ["--device", "1"].
    Raises ScalehamError (exit_code 2, the message naming the key) for a bad config.
    """
    with tempfile.TemporaryDirectory(prefix="scaleham-") as scratch:
        command = ["run"]
        if isinstance(config, dict):
            import tomli_w

            path = pathlib.Path(scratch) / "config.toml"
            path.write_text(tomli_w.dumps(config))
            command.append(path)
        elif config is not None:
            command.append(pathlib.Path(config))
        out = pathlib.Path(output) if output is not None else pathlib.Path(scratch) / "run.h5"
        command += ["-o", out, "--backend", backend, "--precision", precision, "--progress-interval", "1", *args]
        try:
            _execute(command, _progress_bar(progress))
        except ScalehamError as e:
            if isinstance(config, dict):  # name the dict, not the scratch file it was written to
                raise ScalehamError(e.exit_code, e.message.replace(str(command[1]), "<config dict>")) from None
            raise
        return _in_memory(out)


def fit(data, *, models=("vft",), output=None, bootstrap=0, backend="auto", args=()):
    """Fits measured data (CSV paths, as `scaleham fit` reads them) and
    returns the fit file's tree in memory: one node per law, /points.

    models: laws ("vft", "myega", "avramov_milchev", "arrhenius", or "all").
    args: further `scaleham fit` options, e.g. ["--sigma-column", "sigma", "--units", "log10"].
    """
    paths = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    models = [models] if isinstance(models, str) else list(models)
    with tempfile.TemporaryDirectory(prefix="scaleham-") as scratch:
        out = pathlib.Path(output) if output is not None else pathlib.Path(scratch) / "fit.h5"
        _execute(["fit", *paths, "--model", ",".join(models), "--bootstrap", str(bootstrap), "--backend", backend,
                  "-o", out, "--quiet", *args], None)
        return _in_memory(out)
