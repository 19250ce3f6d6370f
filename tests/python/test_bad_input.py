"""Bad input, the classes test_cli.py and test_fit_command.py leave out: each
exits with code 2 and one clear message, and creates or changes no file.

Covered elsewhere, not repeated here: unknown sections and keys of [flow],
wrong types, negative counts, an empty `values` axis, logspace from 0, unknown
parameters, TOML syntax (test_cli.py BAD_CONFIGS); an existing output without
--force and a missing output directory (test_cli.py); CSV errors, each naming
file and line: non-numeric, T <= 0, tau <= 0, non-finite, fewer than 4 points,
wrong field count, no header (test_fit_command.py BAD_FILES); an existing fit
output without --force (test_fit_command.py). The refusals of --resume are in
test_resume.py."""
import os
import pathlib
import re
import resource
import signal
import subprocess
import tempfile
import textwrap

import pytest


def snapshot(directory):
    """Names, sizes, mtimes and inodes of everything under `directory`."""
    directory = pathlib.Path(directory)
    result = {}
    for path in sorted(directory.rglob("*")):
        st = path.lstat()
        result[str(path.relative_to(directory))] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino)
    return result


def assert_bad_input(result, *needles):
    assert result.returncode == 2, (result.returncode, result.stderr)
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    assert result.stderr.count("\n") == 1, f"one clear message, got: {result.stderr!r}"
    assert result.stdout == ""


# --- configuration: each (TOML, the key the message names, the line) ------------------

BAD_CONFIGS = {
    "empty linspace range": ('[[grid.axis]]\nname = "lambda"\nlinspace = [0.1, 0.1, 5]\n',
                             "grid.axis[0].linspace", 3, "no extent"),
    "empty logspace range": ('[[grid.axis]]\nname = "A"\nlogspace = [10.0, 10.0, 2]\n',
                             "grid.axis[0].logspace", 3, "no extent"),
    "empty halton range": ('[grid]\nsampling = "halton"\npoints = 10\n'
                           '[[grid.axis]]\nname = "A"\nlinspace = [10.0, 10.0]\n',
                           "grid.axis[0].linspace", 6, "no extent"),
    "zero count": ('[[grid.axis]]\nname = "A"\nlinspace = [10.0, 20.0, 0]\n',
                   "grid.axis[0].linspace", 3, ">= 1"),
    "fractional count": ('[[grid.axis]]\nname = "A"\nlinspace = [10.0, 20.0, 2.5]\n',
                         "grid.axis[0].linspace", 3, "integer"),
    "zero halton points": ('[grid]\nsampling = "halton"\npoints = 0\n'
                           '[[grid.axis]]\nname = "A"\nlinspace = [10.0, 20.0]\n',
                           "grid.points", 3, ">= 1"),
    "negative halton points": ('[grid]\nsampling = "halton"\npoints = -4\n'
                               '[[grid.axis]]\nname = "A"\nlinspace = [10.0, 20.0]\n',
                               "grid.points", 3, ">= 1"),
    "log of negative (halton)": ('[grid]\nsampling = "halton"\npoints = 10\n'
                                 '[[grid.axis]]\nname = "A"\nlogspace = [-1.0, 20.0]\n',
                                 "grid.axis[0].logspace", 6, "lo > 0"),
    "log of negative hi": ('[[grid.axis]]\nname = "A"\nlogspace = [10.0, -20.0, 3]\n',
                           "grid.axis[0].logspace", 3, "lo > 0"),
    "mistyped axis key": ('[[grid.axis]]\nname = "A"\nlinspce = [10.0, 20.0, 3]\n',
                          "grid.axis[0].linspce", 3, "linspace"),
    "mistyped output key": ("[output]\ncompression = 4\ncurve = true\n", "output.curve", 3, "curves"),
    # Extents beyond double's range would make inf coordinates (issue: grids
    # overflow silently), on cartesian and Halton grids alike.
    "linspace extent overflows": ('[[grid.axis]]\nname = "A"\nlinspace = [-1e308, 1e308, 5]\n',
                                  "grid.axis[0].linspace", 3, "overflows"),
    "logspace ratio overflows": ('[[grid.axis]]\nname = "A"\nlogspace = [1e-160, 1e160, 3]\n',
                                 "grid.axis[0].logspace", 3, "decades"),
    "halton logspace ratio overflows": ('[grid]\nsampling = "halton"\npoints = 10\n'
                                        '[[grid.axis]]\nname = "A"\nlogspace = [1e-300, 1e300]\n',
                                        "grid.axis[0].logspace", 6, "decades"),
    "mistyped second axis key": ('[[grid.axis]]\nname = "A"\nlinspace = [10.0, 20.0, 3]\n\n'
                                 '[[grid.axis]]\nname = "lambda"\nvalue = [0.1]\n',
                                 "grid.axis[1].value", 7, "values"),
}


@pytest.mark.parametrize("kind", sorted(BAD_CONFIGS))
def test_bad_config(run_cli, tmp_path, kind):
    text, key, line, hint = BAD_CONFIGS[kind]
    config = tmp_path / "sweep.toml"
    config.write_text(text)
    before = snapshot(tmp_path)
    result = run_cli("run", config, "-o", tmp_path / "out.h5", "--backend", "cpu")
    assert_bad_input(result, f"'{key}'", hint)
    assert re.search(rf"sweep\.toml:{line}: ", result.stderr), result.stderr
    assert snapshot(tmp_path) == before, "no file created or changed"


# --- the output path -------------------------------------------------------------------


def test_output_is_a_directory(run_cli, tmp_path):
    target = tmp_path / "results"
    target.mkdir()
    (target / "inside.txt").write_text("keep")
    before = snapshot(tmp_path)
    for force in ([], ["--force"]):
        result = run_cli("run", "-o", target, "--quiet", "--backend", "cpu", *force)
        assert_bad_input(result, str(target), "is a directory")
        assert snapshot(tmp_path) == before


def test_fit_output_is_a_directory(run_cli, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("T,tau\n300,1\n310,2\n320,3\n330,4\n")
    target = tmp_path / "results"
    target.mkdir()
    before = snapshot(tmp_path)
    result = run_cli("fit", data, "-o", target, "--quiet")
    assert result.returncode == 2, result.stderr
    assert "is a directory" in result.stderr and str(target) in result.stderr
    assert result.stderr.count("\n") == 1
    assert snapshot(tmp_path) == before


def test_output_directory_is_a_file(run_cli, tmp_path):
    plain = tmp_path / "notes.txt"
    plain.write_text("not a directory")
    before = snapshot(tmp_path)
    result = run_cli("run", "-o", plain / "out.h5", "--quiet", "--backend", "cpu")
    assert_bad_input(result, str(plain), "not a directory")
    assert snapshot(tmp_path) == before


def test_output_is_not_a_regular_file_even_with_force(run_cli, tmp_path):
    """--force replaces a file by rename: never a pipe, device or socket."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    before = snapshot(tmp_path)
    result = run_cli("run", "-o", fifo, "--quiet", "--force", "--backend", "cpu")
    assert_bad_input(result, str(fifo), "not a regular file")
    assert snapshot(tmp_path) == before


def nobody_can_run(scaleham_bin):
    """Whether uid 65534 can execute the binary (every directory on its path searchable)."""
    path = pathlib.Path(scaleham_bin).resolve()
    if not path.stat().st_mode & 0o001:
        return False
    return all(parent.stat().st_mode & 0o001 for parent in path.parents)


def test_output_directory_unwritable(scaleham_bin, run_cli, tmp_path):
    """A directory without write permission. Root ignores permissions, so as
    root the run is made as user nobody (65534) in a world-searchable temporary
    directory; where that cannot be done, the test is skipped."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        try:
            before = snapshot(tmp_path)
            result = run_cli("run", "-o", locked / "out.h5", "--quiet", "--backend", "cpu")
            assert_bad_input(result, str(locked), "cannot write")
            assert snapshot(tmp_path) == before
        finally:
            locked.chmod(0o755)
        return

    if not nobody_can_run(scaleham_bin):
        pytest.skip("running as root (permissions not enforced) and user nobody cannot reach "
                    f"{scaleham_bin}")
    base = pathlib.Path(tempfile.mkdtemp(prefix="scaleham-unwritable-", dir="/tmp"))
    try:
        base.chmod(0o755)
        locked = base / "locked"
        locked.mkdir()
        locked.chmod(0o555)  # owned by root: nobody may not write
        before = snapshot(base)

        def as_nobody():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)

        result = subprocess.run([scaleham_bin, "run", "-o", str(locked / "out.h5"), "--quiet",
                                 "--backend", "cpu"], capture_output=True, text=True, cwd=base,
                                preexec_fn=as_nobody, timeout=120)
        assert_bad_input(result, str(locked), "cannot write")
        assert snapshot(base) == before
    finally:
        locked.chmod(0o755)
        subprocess.run(["rm", "-rf", str(base)], check=False)


def test_resume_of_a_finished_output_without_journal(run_cli, tmp_path):
    """--resume with nothing to resume (the output is complete, no journal):
    refused like any existing output, and the file is left alone."""
    out = tmp_path / "out.h5"
    assert run_cli("run", "-o", out, "--quiet", "--backend", "cpu").returncode == 0
    before = snapshot(tmp_path)
    content = out.read_bytes()
    result = run_cli("run", "-o", out, "--quiet", "--backend", "cpu", "--resume")
    assert_bad_input(result, str(out), "exists", "--force")
    assert snapshot(tmp_path) == before
    assert out.read_bytes() == content


def test_resume_into_a_directory_is_refused(run_cli, tmp_path):
    target = tmp_path / "results"
    target.mkdir()
    before = snapshot(tmp_path)
    result = run_cli("run", "-o", target, "--quiet", "--backend", "cpu", "--resume")
    assert_bad_input(result, "is a directory")
    assert snapshot(tmp_path) == before


def test_batch_points_must_be_positive(run_cli, tmp_path):
    before = snapshot(tmp_path)
    for value in ("0", "-5", "many"):
        result = run_cli("run", "-o", tmp_path / "out.h5", "--batch-points", value)
        assert result.returncode == 2, (value, result.stderr)
        assert "--batch-points" in result.stderr, result.stderr
    assert snapshot(tmp_path) == before


def test_fit_output_on_a_full_disk(scaleham_bin, tmp_path):
    """`scaleham fit -o` when the disk fills (RLIMIT_FSIZE, SIGXFSZ ignored:
    writes fail with EFBIG): exit 2, one message, no output and no .partial."""
    data = tmp_path / "d.csv"
    data.write_text("T,log10_tau\n" + "".join(f"{t},{-14 + 900 / (t - 200):.6f}\n"
                                              for t in range(300, 500, 5)))
    before = snapshot(tmp_path)

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    result = subprocess.run([scaleham_bin, "fit", str(data), "-o", str(tmp_path / "fit.h5"), "--quiet"],
                            capture_output=True, text=True, preexec_fn=limited, timeout=120)
    assert result.returncode == 2, f"exit {result.returncode}: {result.stderr!r}"
    assert "fit.h5" in result.stderr and "File too large" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1
    assert snapshot(tmp_path) == before, "no fit.h5, no fit.h5.partial"


# --- input files that are not files, or too large (issue 9 item 5, inputs) ----------------
#
# /dev/zero used to be read until memory ran out and a FIFO without a writer
# blocked forever: every input must be a regular file, a configuration at most
# 1 MiB and a CSV at most 1 GiB, checked before anything is read.

def special_inputs(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    return {"/dev/zero": "a character device", str(fifo): "a FIFO (named pipe)",
            str(tmp_path): "a directory"}


@pytest.mark.parametrize("command", ["run", "fit", "inspect"])
def test_inputs_must_be_regular_files(run_cli, tmp_path, command):
    inputs = special_inputs(tmp_path)
    out = tmp_path / "out.h5"
    before = snapshot(tmp_path)
    for path, kind in inputs.items():
        args = {"run": ["run", path, "-o", out, "--quiet", "--backend", "cpu"],
                "fit": ["fit", path, "--quiet"], "inspect": ["inspect", path]}[command]
        result = run_cli(*args, timeout=60)
        assert_bad_input(result, path, f"is {kind}, not a regular file")
    assert snapshot(tmp_path) == before


def test_oversized_inputs_are_refused_with_the_numbers(run_cli, tmp_path):
    config = tmp_path / "big.toml"
    config.write_text("# a configuration of more than 1 MiB\n")
    os.truncate(config, (1 << 20) + 1)  # sparse: nothing is read to find out
    data = tmp_path / "big.csv"
    data.write_text("T,tau\n")
    os.truncate(data, (1 << 30) + 1)
    before = snapshot(tmp_path)
    result = run_cli("run", config, "-o", tmp_path / "out.h5", "--quiet", "--backend", "cpu")
    assert_bad_input(result, "big.toml: is 1048577 bytes; a configuration may have at most 1048576 (1 MiB)")
    result = run_cli("fit", data, "--quiet")
    assert_bad_input(result, "big.csv: is 1073741825 bytes; a CSV file may have at most 1073741824 (1 GiB)")
    assert snapshot(tmp_path) == before


# --- messages that misled, and input accepted silently (issue 9 item 10) -------------------

@pytest.mark.parametrize("command", ["run", "fit", "inspect"])
def test_symlink_loop_is_named_as_such(run_cli, tmp_path, command):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    args = {"run": ["run", loop, "-o", tmp_path / "out.h5", "--quiet"], "fit": ["fit", loop, "--quiet"],
            "inspect": ["inspect", loop]}[command]
    result = run_cli(*args)
    assert_bad_input(result, str(loop), "Too many levels of symbolic links")
    assert "does not exist" not in result.stderr and "no such file" not in result.stderr


def test_inspect_of_a_foreign_hdf5_file(run_cli, tmp_path):
    h5py = pytest.importorskip("h5py")
    foreign = tmp_path / "theirs.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = [1.0, 2.0]
        f.attrs["creator"] = "someone else"
    result = run_cli("inspect", foreign)
    assert_bad_input(result, "theirs.h5", "not a scaleham file")
    assert "INCOMPLETE" not in result.stderr


def test_inspect_of_a_fit_file_is_not_an_incomplete_sweep(run_cli, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("T,log10_tau\n" + "".join(f"{t},{-14 + 900 / (t - 200):.6f}\n" for t in range(300, 500, 20)))
    assert run_cli("fit", data, "-o", tmp_path / "fit.h5", "--quiet").returncode == 0
    result = run_cli("inspect", tmp_path / "fit.h5")
    assert result.returncode == 0, result.stderr
    assert "scaleham fit results" in result.stdout and "INCOMPLETE" not in result.stdout


# Each: (TOML text, the key named, the line, what the message says).
SILENTLY_ACCEPTED_CONFIGS = {
    "repeated values": ('[[grid.axis]]\nname = "A"\nvalues = [1, 1, 1]\n', "grid.axis[0].values", 3,
                        "value 1 appears twice"),
    "unit with a NUL": ('[[grid.axis]]\nname = "A"\nvalues = [1, 2]\nunit = "K\\u0000x"\n', "grid.axis[0].unit",
                        4, "control character"),
    "100 kB key": ("[flow]\n" + "k" * 100000 + " = 1\n", "flow." + "k" * 75 + "… (100005 bytes)", 2,
                   "unknown key"),
}


@pytest.mark.parametrize("kind", sorted(SILENTLY_ACCEPTED_CONFIGS))
def test_config_refusals_name_the_key_briefly(run_cli, tmp_path, kind):
    text, key, line, hint = SILENTLY_ACCEPTED_CONFIGS[kind]
    config = tmp_path / "sweep.toml"
    config.write_text(text, encoding="utf-8")
    before = snapshot(tmp_path)
    result = run_cli("run", config, "-o", tmp_path / "out.h5", "--backend", "cpu")
    assert_bad_input(result, f"sweep.toml:{line}: key '{key}'", hint)
    assert len(result.stderr) < 400, "the key is capped, not echoed whole"
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "nul"])
def test_binary_or_utf16_config_is_named_as_such(run_cli, tmp_path, encoding):
    config = tmp_path / "sweep.toml"
    text = "[flow]\ng0 = 100.0\n"
    config.write_bytes(text.replace("100.0", "100.0\0").encode() if encoding == "nul" else text.encode(encoding))
    result = run_cli("run", config, "-o", tmp_path / "out.h5", "--backend", "cpu")
    assert_bad_input(result, "sweep.toml:", "UTF-16")
    assert not (tmp_path / "out.h5").exists()


def test_run_with_an_empty_output_name_is_refused(run_cli, tmp_path):
    before = snapshot(tmp_path)
    result = run_cli("run", "-o", "", "--quiet", "--backend", "cpu", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "--output" in result.stderr and "must not be empty" in result.stderr
    assert snapshot(tmp_path) == before, "no fall back to scaleham-example.h5"


# --- only ever touch what scaleham wrote ----------------------------------------------


def test_a_partial_file_that_is_not_scalehams_is_refused(run_cli, tmp_path):
    out = tmp_path / "out.h5"
    partial = tmp_path / "out.h5.partial"
    partial.write_text("my notes, not an HDF5 file\n")
    before = snapshot(tmp_path)
    for extra in ([], ["--force"]):
        result = run_cli("run", "-o", out, "--quiet", "--backend", "cpu", *extra)
        assert_bad_input(result, "out.h5.partial", "move it away")
    assert snapshot(tmp_path) == before
    partial.write_bytes(b"")  # what a writer killed at once leaves: scaleham's to replace
    assert run_cli("run", "-o", out, "--quiet", "--backend", "cpu").returncode == 0
    assert not partial.exists() and out.exists()


def test_an_output_that_is_an_input_is_refused(run_cli, tmp_path):
    data = tmp_path / "melt.csv"
    data.write_text("T,tau\n400,1\n450,0.1\n500,0.01\n550,0.001\n")
    config = tmp_path / "sweep.toml"
    config.write_text('[[grid.axis]]\nname = "A"\nlinspace = [10.0, 20.0, 3]\n')
    before = snapshot(tmp_path)
    assert_bad_input(run_cli("fit", data, "-o", data, "--force", "--quiet"), "is the input")
    assert_bad_input(run_cli("run", config, "-o", config, "--force", "--quiet", "--backend", "cpu"), "is the input")
    assert snapshot(tmp_path) == before


# --- impossible sizes are refused before any work ---------------------------------------


def test_a_sweep_whose_journal_cannot_fit_the_disk_is_refused(run_cli, tmp_path):
    # 10^12 points: hundreds of TB of journal, on any disk.
    config = tmp_path / "huge.toml"
    config.write_text('[[grid.axis]]\nname = "lambda"\nlinspace = [0.05, 0.15, 1000000]\n'
                      '[[grid.axis]]\nname = "A"\nlinspace = [10.0, 100.0, 1000000]\n')
    before = snapshot(tmp_path)
    result = run_cli("run", config, "-o", tmp_path / "out.h5", "--quiet", "--backend", "cpu")
    assert_bad_input(result, "1000000000000 points", "free", "--no-space-check")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("count", ["1000000000000", "9223372036854775807"])
def test_an_axis_too_long_for_memory_is_refused(run_cli, tmp_path, count):
    config = tmp_path / "long.toml"
    config.write_text(f'[[grid.axis]]\nname = "A"\nlinspace = [10.0, 20.0, {count}]\n')
    result = run_cli("run", config, "-o", tmp_path / "out.h5", "--quiet", "--backend", "cpu", "--no-space-check")
    assert_bad_input(result, f"{count} values", "memory")
    assert not (tmp_path / "out.h5").exists()


@pytest.mark.parametrize("kind", ["file", "directory with notes"])
def test_a_journal_name_that_is_not_scalehams_is_refused_untouched(run_cli, tmp_path, kind):
    out = tmp_path / "out.h5"
    journal = tmp_path / "out.h5.journal"
    if kind == "file":
        journal.write_text("my journal, the paper kind\n")
    else:
        journal.mkdir()
        (journal / "notes.txt").write_text("ideas for the next sweep\n")
    before = snapshot(tmp_path)
    for extra in ([], ["--force"]):
        result = run_cli("run", "-o", out, "--quiet", "--backend", "cpu", *extra)
        assert result.returncode == 2, (extra, result.stderr)
        assert "out.h5.journal" in result.stderr and "move it away" in result.stderr
    assert snapshot(tmp_path) == before


def test_fit_output_that_is_a_dangling_link_is_refused_before_fitting(run_cli, tmp_path):
    data = tmp_path / "melt.csv"
    data.write_text("T,tau\n400,1\n450,0.1\n500,0.01\n550,0.001\n")
    link = tmp_path / "fit.h5"
    link.symlink_to(tmp_path / "missing" / "fit.h5")
    before = snapshot(tmp_path)
    result = run_cli("fit", data, "-o", link, "--quiet")
    assert_bad_input(result, "symbolic link", "does not exist")
    assert snapshot(tmp_path) == before
