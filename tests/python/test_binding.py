"""scaleham.run and scaleham.fit from Python, through both engines: the C++
engine bound into the process (scaleham._engine, where this build made it)
and the scaleham executable. Results in memory equal the command line's file
bit for bit, nothing is left on disk, the crash-safe file path is kept with
output=, options and configs are checked with the command line's messages,
progress reaches a callback, the GIL is free while the engine runs, and an
interrupt ends the run with KeyboardInterrupt."""
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import h5py
import numpy as np
import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "python"))
import scaleham  # noqa: E402

SMALL = {"model": {"lambda": 0.1, "A": 50.0},
         "grid": {"axis": [{"name": "lambda", "linspace": [0.05, 0.15, 5]},
                           {"name": "A", "values": [25.0, 50.0, 75.0]}]},
         "output": {"curves": True}}
HALTON = {"model": {"lambda": 0.1, "A": 50.0},
          "grid": {"sampling": "halton", "points": 37,
                   "axis": [{"name": "lambda", "linspace": [0.05, 0.15]},
                            {"name": "A", "logspace": [25.0, 75.0]}]}}
BINDING_BUILT = os.environ.get("SCALEHAM_BINDING_BUILT") == "1"
ENGINES = ["process", pytest.param("binding", marks=pytest.mark.skipif(
    not BINDING_BUILT, reason="this build has no Python binding (pybind11-dev missing, or the sanitizer build)"))]
needs_binding = pytest.mark.skipif(not BINDING_BUILT, reason="this build has no Python binding")


# An interpreted formula model swept over a formula parameter and a setting.
FORMULA_OVER_SETTINGS = {
    "model": {"beta": "lambda*g/(1 + g/gs)", "F": "A/g^alpha",
              "parameters": {"lambda": 0.1, "gs": 400.0, "A": 50.0, "alpha": 1.0}},
    "flow": {"g0": 100.0, "ell": -10.0},
    "grid": {"axis": [{"name": "alpha", "values": [0.8, 1.2]}, {"name": "T_min", "values": [410.0, 430.0]}]},
    "output": {"curves": True},
}


@pytest.fixture(autouse=True)
def engine_of_this_build(scaleham_bin, monkeypatch):
    monkeypatch.setenv("SCALEHAM_BIN", scaleham_bin)
    scaleham.engine._binding_cache.clear()  # found again under this test's environment


def assert_same_datasets(tree, path):
    """Every per-point dataset of the file at `path` equals the tree's, bit for bit."""
    compared = 0
    with h5py.File(path, "r") as f:
        for group in ("flow", "hj", "fit", "curves"):
            if group not in f:
                continue
            for name, data in f[group].items():
                if name in ("lambda", "A", "T", "point") or data.ndim == 0:
                    continue
                mine = "ln_tau" if name == "log_tau" else name
                np.testing.assert_array_equal(tree[group].ds[mine].values, data[:], err_msg=f"{group}/{name}")
                compared += 1
    assert compared >= 20


def cli_file(run_cli, tmp_path, config, *args):
    import tomli_w

    toml = tmp_path / "config.toml"
    toml.write_text(tomli_w.dumps(config))
    out = tmp_path / "cli.h5"
    done = run_cli("run", toml, "-o", out, "--quiet", *args)
    assert done.returncode == 0, done.stderr
    return out


def test_the_binding_is_this_builds():
    if BINDING_BUILT:
        module = scaleham.binding()
        assert module is not None and module.version
        assert str(module.__file__).startswith(os.environ["SCALEHAM_ENGINE_MODULE_DIR"])
    else:
        assert scaleham.binding() is None
        with pytest.raises(scaleham.ScalehamError, match="no scaleham._engine"):
            scaleham.run(SMALL, engine="binding")


def test_a_module_for_another_python_is_not_loaded(tmp_path, monkeypatch):
    (tmp_path / "_engine.cpython-399-x86_64-linux-gnu.so").write_bytes(b"not for this interpreter")
    monkeypatch.setenv("SCALEHAM_ENGINE_MODULE_DIR", str(tmp_path))
    with pytest.raises(ImportError, match="no _engine module for this Python"):
        scaleham.binding()
    monkeypatch.setenv("SCALEHAM_ENGINE_MODULE_DIR", "")
    scaleham.engine._binding_cache.clear()
    assert scaleham.binding() is None  # set but empty: none
    scaleham.run(SMALL, backend="cpu", progress=False)  # auto: the process engine


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("config,precision", [(SMALL, "double"), (HALTON, "double"),
                                              ({**SMALL, "flow": {"rtol": 1e-5}}, "float"),
                                              (FORMULA_OVER_SETTINGS, "double")],
                         ids=["cartesian", "halton", "float", "formula-and-setting-axes"])
def test_run_in_memory_equals_the_file_run(engine, config, precision, run_cli, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(scratch)
    tree = scaleham.run(config, backend="cpu", precision=precision, progress=False, engine=engine)
    assert list(scratch.iterdir()) == []  # nothing left on disk (the process engine's temporary file went)
    cli = cli_file(run_cli, tmp_path, config, "--backend", "cpu", "--precision", precision)
    assert_same_datasets(tree, cli)
    with h5py.File(cli, "r") as f:
        assert tree.attrs["config"] == f.attrs["config"]
        assert tree.attrs["complete"] == 1 and tree.attrs["precision"] == precision
    if config is SMALL:
        assert tree["fit"].ds["B"].dims == ("lam", "A")


@pytest.mark.parametrize("engine", ENGINES)
def test_run_with_output_keeps_the_crash_safe_file(engine, tmp_path):
    out = tmp_path / "kept.h5"
    tree = scaleham.run(SMALL, output=out, backend="cpu", progress=False, engine=engine)
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(tree["fit"].ds["B"].values, f["fit/B"][:])
        assert f.attrs["complete"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.h5"]  # journal and lock gone
    with pytest.raises(scaleham.ScalehamError) as refused:  # exists: refused, as on the command line
        scaleham.run(SMALL, output=out, progress=False, engine=engine)
    assert refused.value.exit_code == 2 and "--force" in str(refused.value)
    scaleham.run(SMALL, output=out, progress=False, engine=engine, args=["--force"])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_bad_config_dict_raises_naming_the_key(engine):
    with pytest.raises(scaleham.ScalehamError) as bad:
        scaleham.run({"flow": {"rtol": -1.0}}, progress=False, engine=engine)
    assert bad.value.exit_code == 2
    assert "<config dict>:" in str(bad.value) and "flow.rtol" in str(bad.value)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("args,says", [(["--batch-points", "0"], "--batch-points"),
                                       (["--device", "0x1"], "decimal digits"),
                                       (["--shard", "3/2"], "shard"),
                                       (["--no-such-option"], "--no-such-option"),
                                       (["--shard="], "has an empty value")])
def test_bad_options_get_the_command_lines_message(engine, args, says, run_cli):
    with pytest.raises(scaleham.ScalehamError) as bad:
        scaleham.run(SMALL, progress=False, engine=engine, args=args)
    assert bad.value.exit_code == 2 and says in str(bad.value)
    cli = run_cli("run", "--backend", "cpu", *args)
    assert cli.returncode == 2
    # The same check said the same thing (the CLI adds its prefix and a hint).
    reason = str(bad.value).removeprefix("error: ").removeprefix("scaleham: error: ").splitlines()[0]
    assert reason in cli.stderr, (reason, cli.stderr)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_run_where_every_point_failed_warns_and_returns_the_statuses(engine):
    with pytest.warns(RuntimeWarning, match="every one of the 1 points failed") as warned:
        tree = scaleham.run({"temperature": {"T_min": 300.0}}, backend="cpu", progress=False, engine=engine)
    assert any("singular_integrand" in str(w.message) for w in warned)
    assert scaleham.status_names(tree["fit"].ds["status"]).values.ravel().tolist() == ["singular_integrand"]


@pytest.mark.parametrize("engine", ENGINES)
def test_overrides_from_python_equal_the_edited_dict(engine):
    edited = {**SMALL, "model": {"lambda": 0.2, "A": 50.0}}
    by_set = scaleham.run(SMALL, backend="cpu", progress=False, engine=engine, args=["--set", "model.lambda=0.2"])
    by_dict = scaleham.run(edited, backend="cpu", progress=False, engine=engine)
    np.testing.assert_array_equal(by_set["fit"].ds["B"].values, by_dict["fit"].ds["B"].values)
    with pytest.raises(scaleham.ScalehamError, match=r"--set flow.rtol=-1: key 'flow.rtol'"):
        scaleham.run(SMALL, progress=False, engine=engine, args=["--set", "flow.rtol=-1"])


@pytest.mark.parametrize("engine", ENGINES)
def test_estimate_plans_the_run_and_creates_nothing(engine, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = scaleham.estimate(SMALL, backend="cpu", engine=engine, args=["--batch-points", "4"])
    assert plan["dry_run"] and plan["points"] == 15 and plan["shape"] == [{"name": "lambda", "count": 5},
                                                                            {"name": "A", "count": 3}]
    assert plan["batches"] == 5 and plan["sample_points"] == 15 and plan["estimated_compute_seconds"] > 0
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "taken.h5").write_text("someone's")
    with pytest.raises(scaleham.ScalehamError, match="--force"):  # output= is checked as the run would
        scaleham.estimate(SMALL, output=tmp_path / "taken.h5", backend="cpu", engine=engine)
    with pytest.raises(ValueError, match="scaleham.estimate"):
        scaleham.run(SMALL, engine=engine, args=["--dry-run"])


@pytest.mark.parametrize("engine", ENGINES)
def test_fit_from_python_equals_the_command(engine, run_cli, tmp_path):
    T = np.linspace(560.0, 1600.0, 24)
    rng = np.random.default_rng(4)
    ln_eta = -1.7 + 3200.0 / (T - 430.0) + 0.04 * rng.standard_normal(T.size)
    data = tmp_path / "melt.csv"
    data.write_text("T_K,log10_eta_Pa_s\n" + "".join(f"{t},{v / np.log(10.0)}\n" for t, v in zip(T, ln_eta)))
    out = tmp_path / "fit.h5"
    done = run_cli("fit", data, "--model", "vft,myega", "--exclude", "5", "--bootstrap", "50", "-o", out, "--quiet")
    assert done.returncode == 0, done.stderr
    tree = scaleham.fit(data, models=["vft", "myega"], bootstrap=50, args=["--exclude", "5"], engine=engine)
    with h5py.File(out, "r") as f:
        for law, names in (("vft", ("a", "B", "T_vf", "aic", "B_ci", "band")), ("myega", ("a", "K", "C", "aic"))):
            for name in names:
                np.testing.assert_array_equal(tree[law].ds[name].values, f[law][name][:], err_msg=f"{law}/{name}")
    assert set(tree.children) == {"myega", "points", "vft"}
    with pytest.raises(scaleham.ScalehamError) as bad:
        scaleham.fit(data, models="nonsense", engine=engine)
    assert bad.value.exit_code == 2 and "nonsense" in str(bad.value)


@needs_binding
def test_progress_reaches_a_callback_after_every_batch():
    seen = []
    scaleham.run(SMALL, backend="cpu", engine="binding", progress=lambda done, total: seen.append((done, total)),
                 args=["--batch-points", "3"])
    points = 15
    assert len(seen) >= points // 3
    assert all(total == points for _, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (points, points)


@pytest.mark.parametrize("engine", ENGINES)
def test_progress_true_draws_a_bar_to_the_end(engine, capsys):
    pytest.importorskip("tqdm")
    scaleham.run(SMALL, backend="cpu", engine=engine, progress=True, args=["--batch-points", "3"])
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    total = r"15(\.0)?/15(\.0)?" if engine == "binding" else r"1\.00k/1\.00k"  # the process engine: per mille
    assert "100%" in bar and re.search(total, bar), bar


@needs_binding
def test_a_failing_progress_callback_ends_the_run_with_its_error():
    def fail(done, total):
        raise ValueError("no more")

    with pytest.raises(scaleham.ScalehamError) as failed:
        scaleham.run(SMALL, backend="cpu", engine="binding", progress=fail)
    assert failed.value.exit_code == 1 and "no more" in str(failed.value)


# A sweep that takes a few seconds on one core: enough for the checks below.
SLOW = {"model": {"lambda": 0.1, "A": 50.0},
        "flow": {"rtol": 1e-12},
        "grid": {"sampling": "halton", "points": 60000,
                 "axis": [{"name": "lambda", "linspace": [0.05, 0.15]},
                          {"name": "A", "logspace": [25.0, 75.0]}]}}


@needs_binding
def test_runs_in_memory_on_several_threads_at_once():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        trees = list(pool.map(lambda _: scaleham.run(SMALL, backend="cpu", engine="binding", progress=False),
                              range(4)))
    for tree in trees[1:]:  # each its own file, all the same numbers
        np.testing.assert_array_equal(tree["fit"].ds["B"].values, trees[0]["fit"].ds["B"].values)
    # The interrupt handlers of the overlapping runs are all gone: Python's is back.
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)


@needs_binding
def test_devices_without_a_gpu_fail_as_on_the_command_line(run_cli):
    if run_cli("run", "--backend", "cuda", "--dry-run", "-o", "/tmp/x.h5").returncode == 0:
        pytest.skip("a GPU is usable here")
    with pytest.raises(scaleham.ScalehamError, match="no GPU can be used") as failed:
        scaleham.run(SMALL, engine="binding", progress=False, args=["--devices", "0"])
    assert failed.value.exit_code == 1


@needs_binding
def test_the_gil_is_free_while_the_engine_runs():
    window = {}

    def work():
        window["start"] = time.monotonic()
        scaleham.run(SLOW, backend="cpu", engine="binding", progress=False, args=["--batch-points", "4096"])
        window["end"] = time.monotonic()

    thread = threading.Thread(target=work)
    thread.start()
    ticks = []
    while thread.is_alive():
        ticks.append(time.monotonic())
        time.sleep(0.005)
    thread.join()
    # The engine released the GIL: this thread ran all along (with it held,
    # it could not have run at all while the engine computed).
    inside = [t for t in ticks if window["start"] + 0.1 < t < window["end"] - 0.1]
    assert window["end"] - window["start"] > 0.3, "the sweep was too quick to tell"
    assert len(inside) >= 10


@needs_binding
def test_an_interrupt_ends_the_run_with_keyboard_interrupt(tmp_path):
    script = tmp_path / "interrupted.py"
    script.write_text(textwrap.dedent(f"""
        import json, sys, time
        sys.path.insert(0, {str(REPO / "python")!r})
        import scaleham
        started = []
        try:
            scaleham.run(json.loads({json.dumps(json.dumps(SLOW))}), backend="cpu", engine="binding",
                         args=["--batch-points", "512"],
                         progress=lambda done, total: started or (print("started", flush=True), started.append(1)))
            print("finished")
        except KeyboardInterrupt as e:
            print("interrupted:", e)
        print("python goes on")
    """))
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=os.environ.copy())
    assert child.stdout.readline().strip() == "started"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert "interrupted: interrupted by SIGINT" in out and "keeps nothing" in out, out + err
    assert "a run in memory keeps nothing" in err and "--resume" not in err
    assert "python goes on" in out


@needs_binding
def test_on_the_gpu_the_binding_equals_the_command_line(run_cli, tmp_path):
    probe = run_cli("run", "--backend", "cuda", "--quiet", "--json", "-o", tmp_path / "probe.h5")
    if probe.returncode != 0:
        pytest.skip("no usable GPU: " + probe.stderr.strip()[:200])
    tree = scaleham.run(SMALL, backend="cuda", engine="binding", progress=False)
    assert tree.attrs["backend"] == "cuda"
    assert_same_datasets(tree, cli_file(run_cli, tmp_path, SMALL, "--backend", "cuda"))
