"""`scaleham run CONFIG --set KEY=VALUE`: an override is the same as editing
the file (same results, bit for bit), is checked like the file (the same
message, naming the override instead of a line), and the file stores the
resolved configuration, which runs again to the same results."""
import re

import h5py
import pytest

from conftest import datasets

BASE = """
[model]
lambda = 0.1
A = 50.0
[grid]
[[grid.axis]]
name = "A"
linspace = [25.0, 75.0, 4]
"""
EDITED = BASE.replace("lambda = 0.1", "lambda = 0.2") + "[output]\ncurves = true\n[flow]\nintegrator = \"rk4\"\n"


def results(path):
    """The datasets of a run's file (the root attributes differ: command line, times)."""
    return datasets(path)


def test_overrides_equal_an_edited_file(run_cli, tmp_path):
    base, edited = tmp_path / "base.toml", tmp_path / "edited.toml"
    base.write_text(BASE)
    edited.write_text(EDITED)
    by_hand, by_set = tmp_path / "hand.h5", tmp_path / "set.h5"
    assert run_cli("run", edited, "-o", by_hand, "--backend", "cpu", "--quiet").returncode == 0
    done = run_cli("run", base, "--set", "model.lambda=0.2", "--set", "output.curves=true",
                   "--set", "flow.integrator=rk4", "-o", by_set, "--backend", "cpu", "--quiet")
    assert done.returncode == 0, done.stderr
    assert results(by_set) == results(by_hand)
    # The file stores the resolved configuration; run from it, it gives the same file.
    with h5py.File(by_set, "r") as f:
        stored = f.attrs["config"]
        stored = stored.decode() if isinstance(stored, bytes) else stored
    assert stored.startswith("# the configuration file with --set model.lambda=0.2 --set output.curves=true")
    again = tmp_path / "stored.toml"
    again.write_text(stored)
    rerun = tmp_path / "rerun.h5"
    assert run_cli("run", again, "-o", rerun, "--backend", "cpu", "--quiet").returncode == 0
    assert results(rerun) == results(by_hand)


def test_the_last_override_of_a_key_counts_and_bare_words_are_strings(run_cli, tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(BASE)
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert run_cli("run", base, "--set", "model.lambda=0.3", "-o", a, "--backend", "cpu", "-q").returncode == 0
    done = run_cli("run", base, "--set", "model.lambda=0.2", "--set", "model.lambda=0.3",
                   "--set", "flow.p0=on_manifold", "--set", 'flow.integrator="dopri5"', "-o", b, "--backend", "cpu",
                   "-q")
    assert done.returncode == 0, done.stderr
    assert results(a) == results(b)


# (key, bad value as TOML): each refused with the message the file would give.
BAD = [("flow.rtol", "-1.0"), ("output.curves", '"yes"'), ("model.lambda", '"abc"'), ("flow.rtoll", "1e-8"),
       ("temperature.T_max", "100.0"), ("grid.sampling", '"sobol"')]


@pytest.mark.parametrize("key,value", BAD, ids=[k for k, _ in BAD])
def test_a_bad_override_gets_the_files_message_naming_the_override(run_cli, tmp_path, key, value):
    section, name = key.split(".")
    in_file = tmp_path / "bad.toml"
    text = BASE if f"[{section}]" in BASE else BASE + f"[{section}]\n"
    if re.search(rf"^{name} = ", text, re.M):  # a key the base sets: its value replaced
        text = re.sub(rf"^{name} = .*$", f"{name} = {value}", text, count=1, flags=re.M)
    else:
        text = text.replace(f"[{section}]\n", f"[{section}]\n{name} = {value}\n", 1)
    in_file.write_text(text)
    from_file = run_cli("run", in_file, "-o", tmp_path / "x.h5", "--backend", "cpu")
    base = tmp_path / "base.toml"
    base.write_text(BASE)
    from_set = run_cli("run", base, "--set", f"{key}={value}", "-o", tmp_path / "y.h5", "--backend", "cpu")
    assert from_file.returncode == from_set.returncode == 2
    file_message = re.sub(r"^scaleham: error in configuration: .*?:\d+: ", "", from_file.stderr.strip())
    set_message = from_set.stderr.strip().replace(f"scaleham: error in configuration: --set {key}={value}: ", "")
    assert set_message == file_message, (from_file.stderr, from_set.stderr)
    assert f"--set {key}={value}: key '{key}'" in from_set.stderr
    assert not (tmp_path / "y.h5").exists()


@pytest.mark.parametrize("override,says", [("flow.rtol", "expected KEY=VALUE"), ("=1", "expected KEY=VALUE"),
                                           ("flow..rtol=1", "is not a key path"),
                                           ("model.lambda.x=1", "'model.lambda' is not a section"),
                                           ("flow.rtol=1e-10 2", "not a TOML value"),
                                           ("flow.p0=on manifold", "need quotes")])
def test_malformed_overrides_are_refused(run_cli, tmp_path, override, says):
    done = run_cli("run", "--set", override, "-o", tmp_path / "x.h5", "--backend", "cpu")
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert f"--set {override}" in done.stderr


def test_checks_after_parsing_name_the_override(run_cli, tmp_path):
    done = run_cli("run", "--set", "flow.rtol=1e-9", "--precision", "float", "-o", tmp_path / "x.h5")
    assert done.returncode == 2
    assert "--set flow.rtol=1e-9: key 'flow.rtol'" in done.stderr and "float" in done.stderr


def test_dry_run_and_the_built_in_example_take_overrides(run_cli, tmp_path):
    import json

    done = run_cli("run", "--set", 'grid.axis=[{name = "A", linspace = [25.0, 75.0, 5]}]', "--dry-run", "--json",
                   "-o", tmp_path / "x.h5", "--backend", "cpu")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["shape"] == [{"name": "A", "count": 5}]


def test_an_interrupted_run_with_overrides_resumes_with_them(scaleham_bin, run_cli, tmp_path):
    import os
    import shlex
    import signal
    import subprocess
    import time

    base = tmp_path / "base.toml"
    base.write_text(BASE.replace("linspace = [25.0, 75.0, 4]", "linspace = [25.0, 75.0, 40]"))
    out, hold = tmp_path / "out.h5", tmp_path / "hold"
    command = [scaleham_bin, "run", str(base), "--set", "flow.integrator='dopri5'", "-o", str(out), "--backend",
               "cpu", "--batch-points", "4", "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, SCALEHAM_TEST_HOLD_FILE=str(hold)))
    deadline = time.monotonic() + 60
    while not hold.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    hold.unlink()
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT, stderr
    resume = stderr.split("to finish it: ")[1].strip()
    words = shlex.split(resume)
    assert words[words.index("--set") + 1] == "flow.integrator='dopri5'"  # quoted so the shell gives it back
    assert words[0] == "scaleham"
    # From another directory, through another path to the same file: the same configuration.
    (tmp_path / "elsewhere").mkdir()
    words = [os.path.relpath(w, tmp_path / "elsewhere") if w == str(base) else w for w in words]
    done = run_cli(*words[1:], "--backend", "cpu", "--quiet", cwd=tmp_path / "elsewhere")
    assert done.returncode == 0, done.stderr
    straight = tmp_path / "straight.h5"
    assert run_cli(*command[1:5], "-o", straight, "--backend", "cpu", "--quiet").returncode == 0
    assert results(out) == results(straight)


def test_messages_about_two_places_name_the_override(run_cli, tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(BASE)
    twice = run_cli("run", base, "--set", "model.b1=0.2", "-o", tmp_path / "x.h5")
    assert twice.returncode == 2
    assert "--set model.b1=0.2: key 'model.b1': sets the same parameter as 'model.lambda' (line 3)" in twice.stderr
    spaced = run_cli("run", base, "--set", "flow.rtol = 1e-9", "--precision", "float", "-o", tmp_path / "x.h5")
    assert spaced.returncode == 2 and "--set flow.rtol = 1e-9: key 'flow.rtol'" in spaced.stderr
    nested = run_cli("run", base, "--set", "flow={rtol = 1e-9}", "--precision", "float", "-o", tmp_path / "x.h5")
    assert nested.returncode == 2 and "--set flow={rtol = 1e-9}: key 'flow.rtol'" in nested.stderr
