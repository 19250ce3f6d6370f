"""Sweeps and fits from Python: scaleham.run and scaleham.fit.

Two ways to the same engine, chosen by `engine=`:
- "binding": scaleham._engine, the C++ engine bound into this process
  (pybind11; built with the package's CMake build where pybind11 is found).
  Without `output=` the HDF5 file is built in memory and opened from there:
  nothing touches the disk, and the datasets are the file run's, bit for bit.
  The GIL is released while it runs; the progress bar is fed by the engine.
- "process": the `scaleham` executable, into a temporary file that is read
  into memory and deleted; progress parsed from its lines.
"auto" (the default) takes the binding when this install has one.

With `output=` either way writes the crash-safe file there (journal; an
interrupted run resumes with `scaleham run ... --resume`) and returns it read
into memory. Both take the command line's options (`args=`), checked by the
command line's own definitions, and raise ScalehamError with its exit code and
message.

Where things are found: the binding in $SCALEHAM_ENGINE_MODULE_DIR (set
but empty: none), beside this package, or in the newest build of this source
tree (build/*/python/scaleham/_engine*.so); the executable as $SCALEHAM_BIN, on
PATH, or in the newest build (build/*/host/scaleham).
"""
import importlib.machinery
import importlib.util
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import warnings

from .files import open as open_file

ENGINES = ("auto", "binding", "process")
ALL_POINTS_FAILED = 3  # `scaleham run`'s exit code when every point failed


class ScalehamError(RuntimeError):
    """The engine refused or failed: `exit_code` 2 for bad input (config, data,
    options), 1 for a failure (e.g. no usable GPU); `message` is what the
    command line prints."""

    def __init__(self, exit_code, message):
        super().__init__(message.strip() or f"scaleham exited with code {exit_code}")
        self.exit_code = exit_code
        self.message = message


def _tree_builds():
    return pathlib.Path(__file__).resolve().parents[2] / "build"


def executable():
    """Path of the scaleham executable that the process engine runs."""
    given = os.environ.get("SCALEHAM_BIN")
    if given:
        return given
    on_path = shutil.which("scaleham")
    if on_path:
        return on_path
    built = sorted(_tree_builds().glob("*/host/scaleham"), key=lambda p: p.stat().st_mtime, reverse=True)
    if built:
        return str(built[0])
    raise FileNotFoundError("no scaleham executable: build it (README), put it on PATH, or set SCALEHAM_BIN")


_binding_cache = {}


def binding():
    """The scaleham._engine module (the C++ engine bound into Python), or None
    when this install has none."""
    if "module" in _binding_cache:
        return _binding_cache["module"]
    module = None
    # Only modules built for this interpreter (_engine.cpython-311-x86_64-linux-gnu.so, ...).
    names = {"_engine" + suffix for suffix in importlib.machinery.EXTENSION_SUFFIXES}
    given = os.environ.get("SCALEHAM_ENGINE_MODULE_DIR")
    if given == "":  # set, but empty: no binding (the process engine only)
        candidates = []
    elif given:
        candidates = [p for p in sorted(pathlib.Path(given).glob("_engine*.so")) if p.name in names]
        if not candidates:
            raise ImportError(f"SCALEHAM_ENGINE_MODULE_DIR={given} holds no _engine module for this Python "
                              f"({sorted(names)[0]}, ...)")
    else:
        candidates = sorted(pathlib.Path(__file__).parent.glob("_engine*.so"))
        candidates += sorted(_tree_builds().glob("*/python/scaleham/_engine*.so"),
                             key=lambda p: p.stat().st_mtime, reverse=True)
        candidates = [p for p in candidates if p.name in names]
    if candidates:
        spec = importlib.util.spec_from_file_location(f"{__package__}._engine", candidates[0])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    _binding_cache["module"] = module
    return module


def _choose(engine):
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if engine == "process":
        return None
    module = binding()
    if module is None and engine == "binding":
        raise ScalehamError(1, "this install has no scaleham._engine (build with pybind11-dev installed; README)")
    return module


def _progress_bar(show):
    """A callable taking (done, total) points, or None: `show` itself when it
    is callable; tqdm (notebook-aware) when installed; else, when asked for,
    a line per update on stderr."""
    if show is False:
        return None
    if callable(show):
        return show
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if show is None:
            return None
        return lambda done, total: print(f"scaleham: {done}/{total} points", file=sys.stderr)
    bar = tqdm(total=0, unit=" points", unit_scale=True)

    def update(done, total):
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _in_memory(source):
    """The tree of a file (path or bytes) with every value read, and the file closed."""
    tree = open_file(io.BytesIO(source) if isinstance(source, bytes) else source).load()
    tree.close()
    return tree


def _call(function, *arguments, **keywords):
    """Calls the binding, its refusals raised as ScalehamError."""
    try:
        return function(*arguments, **keywords)
    except binding().EngineError as e:
        raise ScalehamError(*e.args) from None


def _notice(summary_json):
    """Warns of the summary's notice, and when every point failed (the command
    line's exit code 3: the results are returned, with their statuses)."""
    summary = json.loads(summary_json)
    if summary.get("notice"):
        warnings.warn(f"scaleham: {summary['notice']}", RuntimeWarning, stacklevel=3)
    if summary["points"] > 0 and summary["failed_points"] == summary["points"]:
        reasons = "; ".join(f"{stage}: {n['points']} {name} ({n['meaning']})"
                            for stage, failed in summary["failures"].items() for name, n in failed.items())
        warnings.warn(f"scaleham: every one of the {summary['points']} points failed: {reasons}", RuntimeWarning,
                      stacklevel=3)


def _execute(args, progress):
    """Runs the executable with `args`, feeding its progress lines to
    `progress` (as fractions of 1000 points); raises ScalehamError on a
    non-zero exit."""
    messages = []
    with subprocess.Popen([executable(), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        for line in process.stderr:
            if line.startswith("scaleham: progress ") and progress is not None:
                try:
                    progress(int(10.0 * float(line.split()[2].rstrip("%"))), 1000)
                except (IndexError, ValueError):
                    messages.append(line)
            else:
                messages.append(line)
        stdout = process.stdout.read()
        code = process.wait()
    if code == ALL_POINTS_FAILED:  # the file is there, with every point's status
        warnings.warn("".join(messages).strip(), RuntimeWarning, stacklevel=3)
    elif code != 0:
        raise ScalehamError(code, "".join(messages))
    if progress is not None:
        progress(1000, 1000)
    return stdout


def _config_text(config):
    """A config dict as TOML text, or None for a path or the built-in example."""
    if not isinstance(config, dict):
        return None
    import tomli_w

    return tomli_w.dumps(config)


def _scaleham_run(config, output, options, engine, finish, progress=None, binding_options=(), process_options=()):
    """`scaleham run` with `options`, through the binding or the executable;
    returns finish(result, text, bound): `result` the file's bytes (binding,
    in memory) or its path, `text` the binding's JSON or the executable's
    stdout. The executable's temporary file exists while `finish` runs."""
    module = _choose(engine)
    config_text = _config_text(config)
    if module is not None:
        command = [] if config is None or config_text is not None else [str(pathlib.Path(config))]
        if output is not None:
            command += ["-o", str(output)]
        image, text = _call(module.run, command + options + list(binding_options), config_text=config_text,
                            config_name="<config dict>", progress=progress)
        if image is None and output is not None:
            image = pathlib.Path(output)  # written there, crash-safe
        return finish(image, text, True)
    with tempfile.TemporaryDirectory(prefix="scaleham-") as scratch:
        command = ["run"]
        if config_text is not None:
            path = pathlib.Path(scratch) / "config.toml"
            path.write_text(config_text)
            command.append(path)
        elif config is not None:
            command.append(pathlib.Path(config))
        out = pathlib.Path(output) if output is not None else pathlib.Path(scratch) / "run.h5"
        command += ["-o", out, *options, *process_options]
        try:
            stdout = _execute(command, progress)
        except ScalehamError as e:
            if config_text is not None:  # name the dict, not the scratch file it was written to
                raise ScalehamError(e.exit_code, e.message.replace(str(command[1]), "<config dict>")) from None
            raise
        return finish(out, stdout, False)


def run(config=None, *, output=None, backend="auto", precision="double", progress=None, args=(), engine="auto"):
    """Runs a sweep and returns its results as an in-memory DataTree.

    config: a dict in the layout of the TOML file (docs/config.md), e.g.
      {"model": {"lambda": 0.1}, "grid": {"axis": [{"name": "A", "linspace": [25.0, 75.0, 11]}]}},
      a path to a TOML file, or None for the built-in example.
    output: keep the HDF5 file there, written crash-safe (refused if it
      exists: pass args=["--force"]; an interrupted run: args=["--resume"]).
    backend: "auto", "cpu" or "cuda"; precision: "double" or "float".
    progress: None shows a bar when tqdm is installed, True always (lines
      otherwise), False never; or a callable taking (points done, total),
      called after every batch (the process engine reports per mille).
    args: further `scaleham run` options, e.g. ["--device", "1"].
    engine: "auto", "binding" or "process" (module docstring).
    Raises ScalehamError (exit_code 2, the message naming the key) for a bad
    config, KeyboardInterrupt when interrupted (the batch in flight finishes first).
    """
    if "--dry-run" in map(str, args):
        raise ValueError("scaleham.run(..., args=['--dry-run']): use scaleham.estimate(config), which returns the plan")

    def finish(result, summary, bound):
        if bound:
            _notice(summary)
        return _in_memory(result)

    return _scaleham_run(config, output, ["--backend", backend, "--precision", precision, *map(str, args)], engine,
                         finish, progress=_progress_bar(progress), binding_options=["--quiet"],
                         process_options=["--progress-interval", "1"])


def estimate(config=None, *, output=None, backend="auto", precision="double", args=(), engine="auto"):
    """What scaleham.run(config, ...) would do, creating no file (`scaleham run
    --dry-run`): a dict with the points and axes ("shape"), "batches",
    "bytes_per_point", "file_bytes_uncompressed", "journal_bytes" and
    "estimated_compute_seconds", timed on a sample of points spread over the
    grid on the backend the run would use. With `output=`, the path is checked
    as the run would check it."""
    options = ["--backend", backend, "--precision", precision, *map(str, args), "--dry-run"]
    return _scaleham_run(config, output, options, engine, lambda result, plan, bound: json.loads(plan),
                         process_options=["--json"])


def fit(data, *, models=("vft",), output=None, bootstrap=0, backend="auto", args=(), engine="auto"):
    """Fits measured data (CSV paths, as `scaleham fit` reads them) and
    returns the fit file's tree in memory: one node per law, /points.

    models: laws ("vft", "myega", "avramov_milchev", "arrhenius", or "all").
    output: also keep the fit file there.
    args: further `scaleham fit` options, e.g. ["--sigma-column", "sigma", "--units", "log10"].
    engine: "auto", "binding" or "process" (module docstring).
    """
    module = _choose(engine)
    paths = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    models = [models] if isinstance(models, str) else list(models)
    command = [*map(str, paths), "--model", ",".join(models), "--bootstrap", str(bootstrap), "--backend", backend,
               "--quiet", *map(str, args)]
    if module is not None:
        if output is not None:
            command += ["-o", str(output)]
        image, _ = _call(module.fit, command)
        return _in_memory(image if image is not None else pathlib.Path(output))
    with tempfile.TemporaryDirectory(prefix="scaleham-") as scratch:
        out = pathlib.Path(output) if output is not None else pathlib.Path(scratch) / "fit.h5"
        _execute(["fit", *command, "-o", out], None)
        return _in_memory(out)
