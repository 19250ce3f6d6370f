"""Crash safety: a sweep killed with SIGKILL at any moment and finished with
--resume gives bit for bit the file of an uninterrupted run, and no finished
batch is computed twice; --resume refuses a journal of another run; a full
disk stops a sweep cleanly, with what was done so far resumable.

The kill test runs examples/resume-demo.toml itself (about 20 s on two cores,
twice: once uninterrupted as the reference, once in killed pieces). The other
tests use a smaller sweep derived from it (2400 points, under a second)."""
import json
import os
import pathlib
import random
import re
import resource
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import REPO

DEMO = REPO / "examples" / "resume-demo.toml"
# Batches are hyperslabs (host/batches.hpp): with 3 values of the fastest
# axis, a batch of N points covers N // 3 values of the middle one.
DEMO_BATCH_POINTS = 300  # 100 x 100 x 3 points: 100 batches of 300
SMALL_BATCH_POINTS = 30  # 20 x 40 x 3 points: 80 batches of 30

# Root attributes that differ between any two runs; every other one must match.
# command_line: a resumed run is started with --resume.
RUN_DEPENDENT_ATTRS = {"created", "seconds_compute", "seconds_total", "command_line", "history"}
# Attributes holding HDF5 object references (dimension scales): file addresses.
REFERENCE_ATTRS = {"DIMENSION_LIST", "REFERENCE_LIST"}


# --- helpers ----------------------------------------------------------------------


def journal_of(out):
    return pathlib.Path(str(out) + ".journal")


def partial_of(out):
    return pathlib.Path(str(out) + ".partial")


def batch_files(out):
    """The journal's recorded batches: name -> (inode, mtime_ns, size). A batch
    that is written again gets a new inode (temporary file + rename)."""
    journal = journal_of(out)
    files = {}
    try:
        entries = list(os.scandir(journal))
    except FileNotFoundError:
        return files
    for entry in entries:
        if re.fullmatch(r"batch-\d+\.bin", entry.name):
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue
            files[entry.name] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return files


def snapshot(directory):
    """Every entry below `directory` with its size, mtime and inode (empty if missing)."""
    directory = pathlib.Path(directory)
    if not directory.exists():
        return {}
    result = {}
    for path in sorted(directory.rglob("*")):
        st = path.stat()
        result[str(path.relative_to(directory))] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return result


def normalized(value):
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            return ("object", value.shape, repr(value.tolist()))
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.generic):
        return (value.dtype.str, (), value.tobytes())
    return (type(value).__name__, repr(value))


def contents(path):
    """Everything an uninterrupted run determines: every dataset of the file
    (/flow, /hj, /fit, /curves, the coordinates: dtype, shape and raw bytes),
    the attributes of each, and the root attributes but the timings."""
    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                found[name] = (obj.dtype.str, obj.shape, np.ascontiguousarray(data).tobytes())
            found[name + "@attrs"] = {k: normalized(v) for k, v in obj.attrs.items()
                                      if k not in REFERENCE_ATTRS}
        f.visititems(visit)
        found["@root"] = {k: normalized(v) for k, v in f.attrs.items() if k not in RUN_DEPENDENT_ATTRS}
    return found


def assert_same_contents(path, reference):
    got = contents(path)
    assert sorted(got) == sorted(reference), "the same datasets and groups"
    for groups in ("flow/g", "hj/action", "fit/B", "curves/log_tau", "lambda"):
        assert groups in got  # the comparison covers every group and the coordinates
    different = [name for name in reference if got[name] != reference[name]]
    assert not different, f"differs from the uninterrupted run: {different}"


def run_command(scaleham_bin, config, out, batch_points, *extra):
    return [scaleham_bin, "run", str(config), "-o", str(out), "--backend", "cpu", "--quiet",
            "--batch-points", str(batch_points), *map(str, extra)]


def run(scaleham_bin, config, out, batch_points, *extra, **kwargs):
    return subprocess.run(run_command(scaleham_bin, config, out, batch_points, *extra),
                          capture_output=True, text=True, timeout=600, **kwargs)


def start(scaleham_bin, config, out, batch_points, *extra):
    return subprocess.Popen(run_command(scaleham_bin, config, out, batch_points, *extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def kill(proc):
    """SIGKILL; True if it hit a running scaleham (not one that had finished)."""
    alive = proc.poll() is None
    if alive:
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    if alive:
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, err)
    return alive


def kill_after(proc, seconds):
    time.sleep(seconds)
    return kill(proc)


def kill_at_progress(proc, out, batches, jitter=0.0):
    """Waits until the journal holds at least `batches` batches, waits `jitter`
    seconds more (a random moment within the next batch), and kills."""
    while len(batch_files(out)) < batches:
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"scaleham ended (exit {proc.returncode}) before {batches} batches: {err}")
        time.sleep(0.002)
    time.sleep(jitter)
    return kill(proc)


def summary_of(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class Sweep:
    """A config, its batch size, and the contents of its uninterrupted run."""

    def __init__(self, scaleham_bin, config, batch_points, directory):
        self.bin = scaleham_bin
        self.config = config
        self.batch_points = batch_points
        reference = directory / "reference.h5"
        started = time.monotonic()
        summary = summary_of(run(scaleham_bin, config, reference, batch_points, "--json"))
        self.seconds = time.monotonic() - started
        self.batches = summary["batches"]
        self.points = summary["points"]
        self.size = reference.stat().st_size
        self.reference = contents(reference)

    def run(self, out, *extra, **kwargs):
        return run(self.bin, self.config, out, self.batch_points, *extra, **kwargs)

    def start(self, out, *extra):
        return start(self.bin, self.config, out, self.batch_points, *extra)

    def interrupted(self, out, fraction=0.4):
        """A run of this sweep killed once `fraction` of its batches are recorded."""
        proc = self.start(out)
        assert kill_at_progress(proc, out, int(fraction * self.batches))
        assert journal_of(out).is_dir() and not out.exists()
        recorded = len(batch_files(out))
        assert 0 < recorded < self.batches
        return recorded


def small_config_text():
    """resume-demo.toml with a smaller grid (20 x 40 x 3 = 2400 points) and
    cheaper points (10 000 RK4 steps): about 0.4 s on two cores."""
    text = DEMO.read_text()
    for old, new in (("linspace = [0.05, 0.15, 100]", "linspace = [0.05, 0.15, 20]"),
                     ("logspace = [20.0, 80.0, 100]", "logspace = [20.0, 80.0, 40]"),
                     ("rk4_steps = 40000", "rk4_steps = 10000")):
        assert text.count(old) == 1, f"resume-demo.toml changed ({old!r}): update small_config_text"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def small(scaleham_bin, tmp_path_factory):
    directory = tmp_path_factory.mktemp("small")
    config = directory / "small.toml"
    config.write_text(small_config_text())
    sweep = Sweep(scaleham_bin, config, SMALL_BATCH_POINTS, directory)
    assert sweep.batches == 80 and sweep.points == 2400
    return sweep


# --- kill -9 at random moments ------------------------------------------------------


@pytest.mark.skipif(os.environ.get("SCALEHAM_SANITIZED") == "1",
                    reason="the full demo takes over 10 minutes under AddressSanitizer; the sanitized "
                           "run covers the journal through the smaller resume tests below and "
                           "test_journal.cpp, the normal build runs this one")
def test_killed_at_random_moments_resumes_to_the_same_bits(scaleham_bin, tmp_path):
    """The demo, killed seven times (before its files exist, while they are
    created, while a resumed run replays its journal, at random points of
    progress up to nearly done), each time resumed: the finished file equals
    the uninterrupted one bit for bit, and a recorded batch is never written
    again."""
    demo = Sweep(scaleham_bin, DEMO, DEMO_BATCH_POINTS, tmp_path)
    assert demo.batches == 100 and demo.points == 30000
    seconds_per_batch = demo.seconds / demo.batches

    rng = random.Random(20261125)
    plan = [
        ("after", rng.uniform(0.0, 0.002)),          # very early: before any file exists
        ("after", rng.uniform(0.005, 0.05)),         # while the files are being created
        ("progress", rng.uniform(0.10, 0.30)),
        ("progress", rng.uniform(0.35, 0.55)),
        ("after", rng.uniform(0.02, 0.25)),          # a resumed run, replaying the journal
        ("progress", rng.uniform(0.60, 0.80)),
        ("progress", rng.uniform(0.88, 0.97)),       # late
    ]
    out = tmp_path / "demo.h5"
    kills = 0
    history = []
    for i, (how, value) in enumerate(plan):
        before = batch_files(out)
        started = time.monotonic()
        proc = demo.start(out, *(["--resume"] if i > 0 else []))
        if how == "after":
            hit = kill_after(proc, value)
        else:
            jitter = rng.uniform(0.0, seconds_per_batch)
            hit = kill_at_progress(proc, out, max(1, int(value * demo.batches)), jitter)
        assert hit, f"kill {i} came after the run had finished"
        kills += 1
        after = batch_files(out)
        history.append(len(after))
        print(f"kill {i} ({how} {value:.3f}) after {time.monotonic() - started:.2f} s: "
              f"{len(after)} of {demo.batches} batches recorded, "
              f".partial {'present' if partial_of(out).exists() else 'absent'}")
        assert not out.exists(), "nothing under the final name before the sweep is complete"
        # A recorded batch is never computed or written again: same inode, same mtime.
        changed = [name for name, stat in before.items() if after.get(name) != stat]
        assert not changed, f"kill {i}: recorded batches rewritten or lost: {changed}"
    assert kills >= 5
    assert history == sorted(history), f"journal batch counts {history} never decrease"
    assert history[-1] >= int(0.88 * demo.batches)

    recorded = batch_files(out)
    summary = summary_of(demo.run(out, "--resume", "--json"))
    assert summary["batches"] == demo.batches
    # Every recorded batch was replayed, so the run computed only the others:
    # batches_resumed + computed = batches, with nothing computed twice.
    assert summary["batches_resumed"] == len(recorded)
    assert summary["points"] == demo.points
    assert out.exists()
    assert not journal_of(out).exists(), "the journal is removed once the file is published"
    assert not partial_of(out).exists()
    assert_same_contents(out, demo.reference)


# --- refusals -------------------------------------------------------------------------


def test_resume_refuses_a_different_config(small, tmp_path):
    out = tmp_path / "out.h5"
    recorded = small.interrupted(out)
    journal = snapshot(journal_of(out))
    other = tmp_path / "other.toml"
    other.write_text(small.config.read_text().replace("rk4_steps = 10000", "rk4_steps = 9999"))
    result = run(small.bin, other, out, SMALL_BATCH_POINTS, "--resume")
    assert result.returncode == 2, result.stderr
    assert "different configuration" in result.stderr
    assert "--force" in result.stderr
    assert str(out) in result.stderr
    assert result.stderr.count("\n") == 1, "one clear message"
    assert snapshot(journal_of(out)) == journal, "the journal is left as it was"
    assert not out.exists()
    # The journal still finishes the original sweep.
    summary = summary_of(small.run(out, "--resume", "--json"))
    assert summary["batches_resumed"] == recorded
    assert_same_contents(out, small.reference)


def test_resume_refuses_a_different_precision(small, tmp_path):
    out = tmp_path / "out.h5"
    small.interrupted(out)
    journal = snapshot(journal_of(out))
    result = small.run(out, "--resume", "--precision", "float")
    assert result.returncode == 2, result.stderr
    assert "--precision double" in result.stderr
    assert "--force" in result.stderr
    assert snapshot(journal_of(out)) == journal
    assert not out.exists()


def test_run_over_an_unfinished_run_says_how_to_resume(small, tmp_path):
    out = tmp_path / "out.h5"
    small.interrupted(out)
    journal = snapshot(journal_of(out))
    result = small.run(out)
    assert result.returncode == 2, result.stderr
    assert "--resume" in result.stderr and "--force" in result.stderr
    assert "unfinished" in result.stderr
    assert result.stderr.count("\n") == 1
    assert snapshot(journal_of(out)) == journal
    assert not out.exists()


def test_force_over_an_unfinished_run_starts_over(small, tmp_path):
    out = tmp_path / "out.h5"
    small.interrupted(out)
    summary = summary_of(small.run(out, "--force", "--json"))
    assert summary["batches_resumed"] == 0
    assert summary["batches"] == small.batches
    assert not journal_of(out).exists() and not partial_of(out).exists()
    assert_same_contents(out, small.reference)


def test_resume_after_publish_only_removes_the_journal(small, tmp_path):
    """Killed between publishing the file and removing the journal: --resume
    sees the file is complete, removes the journal and changes nothing else."""
    out = tmp_path / "out.h5"
    small.interrupted(out)
    kept = tmp_path / "kept.journal"
    shutil.copytree(journal_of(out), kept)
    summary_of(small.run(out, "--resume", "--json"))
    assert not journal_of(out).exists()
    shutil.copytree(kept, journal_of(out))
    published = out.read_bytes()
    mtime = out.stat().st_mtime_ns

    result = small.run(out, "--resume", "--json")
    summary = summary_of(result)
    assert "already complete" in summary["notice"]
    assert not journal_of(out).exists()
    assert not partial_of(out).exists()
    assert out.read_bytes() == published and out.stat().st_mtime_ns == mtime
    assert_same_contents(out, small.reference)


def test_damaged_batches_are_computed_again(small, tmp_path):
    out = tmp_path / "out.h5"
    recorded = small.interrupted(out, fraction=0.6)
    names = sorted(batch_files(out))
    truncated = journal_of(out) / names[len(names) // 2]
    os.truncate(truncated, truncated.stat().st_size // 2)
    flipped = journal_of(out) / names[1]
    data = bytearray(flipped.read_bytes())
    data[-7] ^= 0x01  # one bit of the last curve value
    flipped.write_bytes(bytes(data))

    # A different --batch-points on resume: the journal's batch size wins.
    result = run(small.bin, small.config, out, 7 * SMALL_BATCH_POINTS, "--resume", "--json")
    summary = summary_of(result)
    assert summary["batches"] == small.batches
    assert summary["batches_resumed"] == recorded - 2
    assert not journal_of(out).exists()
    assert_same_contents(out, small.reference)


# --- a full disk ----------------------------------------------------------------------


def test_full_disk_stops_cleanly_and_resumes(small, tmp_path):
    """RLIMIT_FSIZE (with SIGXFSZ ignored) makes writes past a size fail with
    EFBIG, as a full disk fails them with ENOSPC: exit 2, one message, no core
    dump, nothing under the final name; the journal then finishes the sweep."""
    out = tmp_path / "out.h5"
    limit = small.size // 4  # the HDF5 file outgrows it; journal batches (~8 kB) do not

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    result = small.run(out, preexec_fn=limited)
    assert result.returncode == 2, f"exit {result.returncode}: {result.stderr}"
    assert "File too large" in result.stderr, result.stderr
    assert str(out) in result.stderr
    assert result.stderr.count("\n") == 1, "one clear message"
    assert not out.exists(), "nothing under the final name"
    assert not partial_of(out).exists(), "the unfinished HDF5 file is removed"
    recorded = len(batch_files(out))
    assert recorded > 0, "the batches done so far are kept"

    summary = summary_of(small.run(out, "--resume", "--json"))
    assert summary["batches_resumed"] == recorded
    assert_same_contents(out, small.reference)


def start_held(scaleham_bin, config, out, batch_points, hold, *extra):
    """A run paused by the test hook (SCALEHAM_TEST_HOLD_FILE) after its first
    computed batch, recorded and written, until `hold` is removed: tests act
    on a run in progress at a known point, not at a racy moment."""
    env = dict(os.environ, SCALEHAM_TEST_HOLD_FILE=str(hold))
    proc = subprocess.Popen(run_command(scaleham_bin, config, out, batch_points, *extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not hold.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hold.exists(), f"the run never reached its first batch: {proc.communicate()[1]}"
    return proc


# --- signals and limits: stop cleanly, keep the journal, say how to resume ---------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_signal_stops_after_the_batch_in_flight_and_resumes_to_the_same_bits(small, tmp_path, sig):
    out = tmp_path / "out.h5"
    hold = tmp_path / "hold"
    proc = start_held(small.bin, small.config, out, small.batch_points, hold)
    proc.send_signal(sig)
    hold.unlink()
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, stderr
    assert f"interrupted by {signal.Signals(sig).name}" in stderr
    assert "--resume" in stderr and str(out) in stderr
    assert journal_of(out).is_dir() and not out.exists() and not partial_of(out).exists()
    recorded = len(batch_files(out))
    assert 1 <= recorded <= 2  # the first batch and at most the one in flight
    summary = summary_of(small.run(out, "--resume", "--json"))
    assert summary["batches_resumed"] == recorded
    assert contents(out) == small.reference


def test_file_size_limit_ends_like_a_full_disk(small, tmp_path):
    # ulimit -f: without a handler SIGXFSZ kills the process (exit 153); the
    # write must fail instead and end as a full disk does, journal kept.
    out = tmp_path / "out.h5"
    limit = small.size // 3

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(run_command(small.bin, small.config, out, small.batch_points), capture_output=True,
                            text=True, preexec_fn=limit_file_size, timeout=300)
    assert result.returncode == 2, result.stderr
    assert "too large" in result.stderr.lower() or "space" in result.stderr.lower(), result.stderr
    assert not out.exists()
    summary = summary_of(small.run(out, "--resume", "--json"))
    assert contents(out) == small.reference
    assert summary["points"] == small.points


# --- one writer per output ------------------------------------------------------------


def test_a_second_run_on_the_same_output_is_refused_and_touches_nothing(small, tmp_path):
    out = tmp_path / "out.h5"
    hold = tmp_path / "hold"
    first = start_held(small.bin, small.config, out, small.batch_points, hold)
    before = snapshot(tmp_path)
    for extra in ([], ["--force"], ["--resume"]):
        second = small.run(out, *extra)
        assert second.returncode == 2, (extra, second.stderr)
        assert "being written by another scaleham" in second.stderr
        assert f"pid {first.pid}" in second.stderr
    assert snapshot(tmp_path) == before  # the first run's .partial and journal untouched
    hold.unlink()
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert contents(out) == small.reference
    assert not pathlib.Path(str(out) + ".lock").exists()


# --- resume dead ends and batches bound to their run (issue 9, items 6 and 7) ---------


def killed_at_hold(scaleham_bin, config, out, batch_points, hold, *extra):
    """A run SIGKILLed while the test hook holds it after its first computed
    batch (recorded and written): a known number of new batch files."""
    proc = start_held(scaleham_bin, config, out, batch_points, hold, *extra)
    assert kill(proc)
    hold.unlink()


def test_resume_continues_with_other_batch_sizes_to_the_same_bits(small, tmp_path):
    """A batch too large for memory must not be a dead end: --resume
    --batch-points N replays the recorded batches as they are and plans only
    the missing points in batches of N; killed again, a resume with yet
    another size finishes it, bit for bit the uninterrupted file."""
    out = tmp_path / "out.h5"
    recorded = small.interrupted(out)  # batches of 30 points
    first = batch_files(out)
    sizes = {stat[2] for stat in first.values()}
    assert len(sizes) == 1, "all batches of the first run have one size"

    # Resumed with batches of 6 points, killed after its first new batch.
    killed_at_hold(small.bin, small.config, out, 6, tmp_path / "hold", "--resume")
    second = batch_files(out)
    assert {name: second[name] for name in first} == first, "recorded batches are never rewritten"
    new = {name: stat for name, stat in second.items() if name not in first}
    assert len(new) == 1, new
    assert next(iter(new.values()))[2] < min(sizes), "the new batch has the new, smaller size"

    # Resumed again with another size: everything recorded is replayed.
    summary = summary_of(run(small.bin, small.config, out, 12, "--resume", "--json"))
    assert summary["batches_resumed"] == recorded + 1
    missing_points = small.points - recorded * SMALL_BATCH_POINTS - 6
    # At most 12 points per new batch (fewer where a batch must end at a row of the grid).
    assert summary["batches"] >= recorded + 1 + -(-missing_points // 12)
    assert not journal_of(out).exists()
    assert_same_contents(out, small.reference)


def test_resume_finishes_a_force_run_over_an_older_file(small, tmp_path):
    """A run with --force over an existing file, killed: the older file is
    still there (it is replaced only once the new one is complete). --resume
    must finish the new run and replace it, not take the older file for the
    result and delete the journal."""
    out = tmp_path / "out.h5"
    older = small.run(out, "--precision", "float")  # a complete file, but not this run's
    assert older.returncode == 0, older.stderr
    killed_at_hold(small.bin, small.config, out, small.batch_points, tmp_path / "hold", "--force")
    assert journal_of(out).is_dir() and len(batch_files(out)) == 1
    summary = summary_of(small.run(out, "--resume", "--json"))
    assert summary["batches_resumed"] == 1
    assert not journal_of(out).exists()
    assert_same_contents(out, small.reference)


def test_every_state_of_an_interrupted_clean_up_has_a_way_forward(small, tmp_path):
    """Killed after publishing OUT.h5 while removing the journal: the journal
    whole (with the mark of the file it published), without its manifest (a
    partial removal), or an empty directory. A plain run says to use
    --resume; --resume removes what is left and leaves OUT.h5 alone."""
    out = tmp_path / "out.h5"
    small.interrupted(out)
    kept = tmp_path / "kept.journal"
    shutil.copytree(journal_of(out), kept)
    summary_of(small.run(out, "--resume", "--json"))
    published = out.read_bytes()
    st = out.stat()

    def left_as(state):
        shutil.rmtree(journal_of(out), ignore_errors=True)
        shutil.copytree(kept, journal_of(out))
        # What mark_publishing() records just before the rename: the file's device and inode.
        (journal_of(out) / "published").write_text(f"{st.st_dev} {st.st_ino}\n")
        if state in ("no manifest", "empty"):
            (journal_of(out) / "manifest.json").unlink()
        if state == "empty":
            for entry in journal_of(out).iterdir():
                entry.unlink()

    for state in ("whole", "no manifest", "empty"):
        left_as(state)
        plain = small.run(out)
        assert plain.returncode == 2, (state, plain.stderr)
        assert "--resume" in plain.stderr, (state, plain.stderr)
        assert plain.stderr.count("\n") == 1, (state, plain.stderr)
        result = small.run(out, "--resume", "--json")
        summary = summary_of(result)
        assert "already complete" in summary["notice"], (state, summary["notice"])
        assert not journal_of(out).exists(), state
        assert not partial_of(out).exists(), state
        assert out.read_bytes() == published and out.stat().st_mtime_ns == st.st_mtime_ns, state


def test_dangling_symlink_as_output_is_refused_up_front(small, tmp_path):
    """-o naming a dangling link: the file is published by rename, which
    would replace the link (never create its target), so without --force the
    run could only fail at the end. Refused before any work, exit 2; --force
    replaces the link like any existing output."""
    out = tmp_path / "out.h5"
    os.symlink("/nonexistent/x.h5", out)
    started = time.monotonic()
    result = small.run(out)
    assert result.returncode == 2, result.stderr
    assert "symbolic link" in result.stderr and "/nonexistent/x.h5" in result.stderr, result.stderr
    assert "--force" in result.stderr
    assert result.stderr.count("\n") == 1
    assert time.monotonic() - started < small.seconds / 2 + 1, "refused before the sweep ran"
    assert not journal_of(out).exists() and not partial_of(out).exists()
    assert os.readlink(out) == "/nonexistent/x.h5", "the link is left as it was"
    again = small.run(out, "--resume")
    assert again.returncode == 2 and "symbolic link" in again.stderr, again.stderr

    summary_of(small.run(out, "--force", "--json"))
    assert not out.is_symlink() and out.is_file()
    assert_same_contents(out, small.reference)


def test_a_batch_file_of_another_run_is_rejected(small, tmp_path):
    """A batch file copied from the journal of another config with the same
    layout passes its own checksum, but carries its run's identity: --resume
    rejects it with a notice and computes its points again."""
    out = tmp_path / "out.h5"
    recorded = small.interrupted(out)
    other_config = tmp_path / "other.toml"
    other_config.write_text(small.config.read_text().replace("rk4_steps = 10000", "rk4_steps = 9999"))
    other = tmp_path / "other.h5"
    killed_at_hold(small.bin, other_config, other, small.batch_points, tmp_path / "hold")
    (name,) = batch_files(other)
    assert name in batch_files(out), "the same batch in both journals"
    shutil.copyfile(journal_of(other) / name, journal_of(out) / name)

    result = small.run(out, "--resume", "--json")
    summary = summary_of(result)
    assert summary["batches_resumed"] == recorded - 1
    assert "from another run" in summary["notice"], summary["notice"]
    assert_same_contents(out, small.reference)


def test_float32_and_field_lists_resume_to_the_same_bits(scaleham_bin, tmp_path):
    """The journal holds what the file keeps (docs/design.md §6): with float32
    storage and field lists, a run killed mid-way and resumed with another
    batch size is still bit for bit the uninterrupted file."""
    text = small_config_text()
    for old, new in (("flow = true", 'flow = ["g", "S", "steps", "status"]'),
                     ("hj = true", 'hj = ["action", "status"]'),
                     ("fit = true\ncurves", 'fit = ["a", "B", "T_vf", "status"]\ncurves')):
        assert text.count(old) == 1, f"resume-demo.toml changed ({old!r})"
        text = text.replace(old, new)
    config = tmp_path / "lean.toml"
    config.write_text(text + "float32 = true\n")
    directory = tmp_path / "reference"
    directory.mkdir()
    lean = Sweep(scaleham_bin, config, SMALL_BATCH_POINTS, directory)
    out = tmp_path / "out.h5"
    recorded = lean.interrupted(out)
    summary = summary_of(run(scaleham_bin, config, out, 12, "--resume", "--json"))
    assert summary["batches_resumed"] == recorded
    assert summary["points"] == lean.points
    assert not journal_of(out).exists()
    assert_same_contents(out, lean.reference)
    with h5py.File(out, "r") as f:
        assert f["flow/g"].dtype == np.float32 and f["curves/log_tau"].dtype == np.float32
        assert "p" not in f["flow"] and "consistency" not in f["hj"]
