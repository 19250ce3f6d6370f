"""Shards and merge (`scaleham run --shard K/N`, `scaleham merge`): the parts of
a sweep joined are, dataset for dataset, bit for bit, the file of one run; a
shard resumes like any run; merge refuses parts that are not one sweep."""
import os
import re
import signal
import subprocess
import time

import h5py
import pytest

from conftest import REPO, datasets

# A Halton sweep with curves in float32: random grids, /parameters, point
# scales and the curve dataset all go through the shard edges.
HALTON = """\
[model]
lambda = 0.1
A = 50.0
[flow]
g0 = 100.0
ell = -5.0
[grid]
sampling = "halton"
points = 301
[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15]
[[grid.axis]]
name = "A"
linspace = [25.0, 75.0]
[temperature]
points = 8
[output]
curves = true
float32 = true
"""


def attrs(path):
    with h5py.File(path, "r") as f:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}


@pytest.fixture(params=["cartesian", "halton"])
def sweep(request, tmp_path):
    """(config args, name): the built-in example, or the Halton sweep above."""
    if request.param == "cartesian":
        return [], request.param
    config = tmp_path / "halton.toml"
    config.write_text(HALTON)
    return [config], request.param


def test_shards_merged_equal_one_run_bit_for_bit(run_cli, tmp_path, sweep):
    config, _ = sweep
    single = tmp_path / "single.h5"
    assert run_cli("run", *config, "-o", single, "--quiet", "--backend", "cpu").returncode == 0
    parts = []
    for k in range(3):
        part = tmp_path / f"part-{k}.h5"
        # Batches of 7: the shard edges fall inside chunks and inside batches.
        r = run_cli("run", *config, "-o", part, "--shard", f"{k}/3", "--batch-points", "7", "--quiet",
                    "--backend", "cpu")
        assert r.returncode == 0, r.stderr
        a = attrs(part)
        assert a["shard"] == f"{k}/3"
        parts.append(part)
    sizes = [int(attrs(p)["shard_points"]) for p in parts]
    assert sum(sizes) == int(attrs(single)["points"]) and max(sizes) - min(sizes) <= 1
    assert [int(attrs(p)["shard_first"]) for p in parts] == [0, sizes[0], sizes[0] + sizes[1]]

    merged = tmp_path / "merged.h5"
    r = run_cli("merge", parts[2], parts[0], parts[1], "-o", merged, "--json")  # any order
    assert r.returncode == 0, r.stderr
    want, got = datasets(single), datasets(merged)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], name

    m, s = attrs(merged), attrs(single)
    for key in ("config", "version", "precision", "points", "complete"):
        assert str(m[key]) == str(s[key]), key
    assert "shard" not in m, "the merged file is the whole sweep"
    assert m["merged_from"].split("\n") == ["part-0.h5", "part-1.h5", "part-2.h5"]
    assert len(m["shard_commands"].split("\n")) == 3 and "--shard 1/3" in m["shard_commands"]
    for key in ("git_commit", "command_line", "host"):
        assert m[key], key


def test_every_file_records_its_provenance(run_cli, tmp_path):
    out = tmp_path / "out.h5"
    assert run_cli("run", "-o", out, "--quiet").returncode == 0
    a = attrs(out)
    assert a["command_line"].endswith(f"run -o {out} --quiet")
    assert a["host"] == os.uname().nodename
    # The commit the binary was built from (HEAD may have moved since).
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty|-unknown-state)?|unknown", a["git_commit"]), a["git_commit"]


# A small sweep whose tolerances float can meet too.
SMALL = """\
[flow]
g0 = 100.0
ell = -5.0
rtol = 1e-5
atol = 1e-8
[grid]
sampling = "cartesian"
[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15, 6]
[[grid.axis]]
name = "A"
linspace = [25.0, 75.0, 5]
[fit]
enabled = false
"""


@pytest.fixture
def small(tmp_path):
    config = tmp_path / "small.toml"
    config.write_text(SMALL)
    return config


@pytest.fixture
def three_parts(run_cli, tmp_path, small):
    parts = []
    for k in range(3):
        part = tmp_path / f"p{k}.h5"
        assert run_cli("run", small, "-o", part, "--shard", f"{k}/3", "--quiet").returncode == 0
        parts.append(part)
    return parts


def refused(run_cli, tmp_path, *args):
    out = tmp_path / "merged.h5"
    r = run_cli("merge", *args, "-o", out)
    assert r.returncode == 2, r.stderr
    assert not out.exists() and not (tmp_path / "merged.h5.partial").exists()
    return r.stderr


def test_merge_refuses_a_missing_or_repeated_shard(run_cli, tmp_path, three_parts):
    p0, p1, p2 = three_parts
    assert "1 of 3 shards missing: 1" in refused(run_cli, tmp_path, p0, p2)
    assert "both shard 0/3" in refused(run_cli, tmp_path, p0, p0, p1, p2)


def test_merge_refuses_parts_of_other_sweeps(run_cli, tmp_path, three_parts, small):
    p0, p1, p2 = three_parts
    other = tmp_path / "other.toml"
    other.write_text(SMALL + "# another sweep\n")
    o1 = tmp_path / "o1.h5"
    assert run_cli("run", other, "-o", o1, "--shard", "1/3", "--quiet").returncode == 0
    assert "configurations differ" in refused(run_cli, tmp_path, p0, o1, p2)

    f1 = tmp_path / "f1.h5"
    assert run_cli("run", small, "-o", f1, "--shard", "1/3", "--precision", "float", "--quiet").returncode == 0
    assert "precision float and double" in refused(run_cli, tmp_path, p0, f1, p2)

    q1 = tmp_path / "q1.h5"
    assert run_cli("run", small, "-o", q1, "--shard", "1/4", "--quiet").returncode == 0
    assert "shards of 4 and of 3" in refused(run_cli, tmp_path, p0, q1, p2)

    whole = tmp_path / "whole.h5"
    assert run_cli("run", small, "-o", whole, "--quiet").returncode == 0
    assert "not a shard" in refused(run_cli, tmp_path, whole)

    text_file = tmp_path / "notes.h5"
    text_file.write_text("not HDF5")
    assert "cannot be read as HDF5" in refused(run_cli, tmp_path, p0, text_file)
    assert "no such file" in refused(run_cli, tmp_path, p0, tmp_path / "gone.h5")


def test_bad_shard_arguments_are_bad_input(run_cli, tmp_path):
    for arg, words in (("3/3", "K must be below N"), ("x/3", "K must be"), ("1/0", "N must be at least 1"),
                       ("1", "expected K/N"), ("0/1000", "fewer than 1000 shards")):
        r = run_cli("run", "-o", tmp_path / "out.h5", "--shard", arg)
        assert r.returncode == 2 and words in r.stderr, (arg, r.stderr)
        assert not (tmp_path / "out.h5").exists()


def test_an_interrupted_shard_resumes_to_the_same_bits(scaleham_bin, run_cli, tmp_path):
    want = tmp_path / "want.h5"
    assert run_cli("run", "-o", want, "--shard", "1/2", "--quiet").returncode == 0
    out = tmp_path / "part.h5"
    hold = tmp_path / "hold"
    env = dict(os.environ, SCALEHAM_TEST_HOLD_FILE=str(hold))
    proc = subprocess.Popen([scaleham_bin, "run", "-o", str(out), "--shard", "1/2", "--batch-points", "20",
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not hold.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hold.exists(), proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    hold.unlink()
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT, stderr
    assert "--shard 1/2" in stderr, "the resume command names the shard"

    r = run_cli("run", "-o", out, "--shard", "0/2", "--resume")
    assert r.returncode == 2 and "it computes --shard 1/2, not 0/2" in r.stderr, r.stderr
    r = run_cli("run", "-o", out, "--resume")
    assert r.returncode == 2 and "not the whole grid" in r.stderr, r.stderr

    r = run_cli("run", "-o", out, "--shard", "1/2", "--resume", "--json")
    assert r.returncode == 0, r.stderr
    assert datasets(out) == datasets(want)


def test_a_virtual_merge_reads_as_one_run_and_checks_its_sources(run_cli, tmp_path, sweep):
    config, _ = sweep
    single = tmp_path / "single.h5"
    assert run_cli("run", *config, "-o", single, "--quiet").returncode == 0
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    parts = [parts_dir / f"part-{k}.h5" for k in range(2)]
    for k, part in enumerate(parts):
        assert run_cli("run", *config, "-o", part, "--shard", f"{k}/2", "--quiet").returncode == 0
    merged = tmp_path / "virtual.h5"
    r = run_cli("merge", *parts, "-o", merged, "--virtual")
    assert r.returncode == 0, r.stderr
    assert merged.stat().st_size < min(p.stat().st_size for p in parts), "the data stay in the parts"
    with h5py.File(merged, "r") as f:
        assert f["flow/g"].is_virtual
        assert f.attrs["virtual"] == "1"
        assert f.attrs["merged_from"].split("\n") == ["parts/part-0.h5", "parts/part-1.h5"]
    # Read from elsewhere: the sources are found relative to the virtual file.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd = os.getcwd()
    try:
        os.chdir(elsewhere)
        got = datasets(merged)
    finally:
        os.chdir(cwd)
    want = datasets(single)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], name

    # A source that is gone is refused at merge time (read later, it would
    # silently read as fill values).
    parts[1].rename(tmp_path / "moved.h5")
    r = run_cli("merge", *parts, "-o", tmp_path / "again.h5", "--virtual")
    assert r.returncode == 2 and "no such file" in r.stderr, r.stderr
    assert not (tmp_path / "again.h5").exists()
