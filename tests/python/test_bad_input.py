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
