"""The command line as users meet it: exit codes, messages, no stray files,
--json, backend choice, every example config, and memory that does not grow
with the grid."""
import json
import os
import pathlib
import re
import resource
import subprocess
import textwrap

import pytest

from conftest import REPO

EXAMPLES = sorted((REPO / "examples").glob("*.toml"))


def write(tmp_path, text, name="sweep.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# Each bad config: (TOML text, what the message must name, the line it must name).
BAD_CONFIGS = {
    "unknown key": ("[flow]\nrtoll = 1e-8\n", "flow.rtoll", 2),
    "unknown section": ("[flwo]\ng0 = 1.0\n", "flwo", 1),
    "wrong type": ("[flow]\ng0 = \"one\"\n", "flow.g0", 2),
    "impossible tolerance": ("[flow]\nrtol = -1.0\n", "flow.rtol", 2),
    "empty values axis": ("[[grid.axis]]\nname = \"A\"\nvalues = []\n", "values", 3),
    "log of non-positive": ("[[grid.axis]]\nname = \"A\"\nlogspace = [0.0, 10.0, 5]\n",
                            "logspace", 3),
    "negative count": ("[[grid.axis]]\nname = \"A\"\nlinspace = [1.0, 10.0, -5]\n", "linspace", 3),
    "unknown parameter": ("[[grid.axis]]\nname = \"lamda\"\nlinspace = [0.1, 0.2, 3]\n",
                          "lamda", 2),
    "syntax error": ("[flow\ng0 = 1.0\n", "", None),
}


@pytest.mark.parametrize("kind", sorted(BAD_CONFIGS))
def test_bad_config_exits_2_names_the_key_and_writes_nothing(run_cli, tmp_path, kind):
    text, key, line = BAD_CONFIGS[kind]
    config = write(tmp_path, text)
    out = tmp_path / "out.h5"
    result = run_cli("run", config, "-o", out, "--quiet")
    assert result.returncode == 2, result.stderr
    assert key in result.stderr
    if line is not None:
        assert re.search(rf"sweep\.toml:{line}\b", result.stderr), result.stderr
    assert result.stderr.count("\n") <= 2, "one clear message, not a wall of text"
    assert list(tmp_path.iterdir()) == [config], "no output (or partial) file may appear"


def test_missing_config_file_is_bad_input(run_cli, tmp_path):
    result = run_cli("run", tmp_path / "nope.toml", "-o", tmp_path / "out.h5")
    assert result.returncode == 2
    assert "nope.toml" in result.stderr


def test_bad_command_line_is_exit_2_not_clis_own_code(run_cli, tmp_path):
    assert run_cli("run", "--backend", "tpu", "-o", tmp_path / "x.h5").returncode == 2
    assert run_cli("frobnicate").returncode == 2


def test_existing_output_is_kept_without_force(run_cli, tmp_path):
    out = tmp_path / "out.h5"
    out.write_bytes(b"precious")
    result = run_cli("run", "-o", out, "--quiet")
    assert result.returncode == 2
    assert "--force" in result.stderr
    assert out.read_bytes() == b"precious"
    assert run_cli("run", "-o", out, "--quiet", "--force").returncode == 0
    assert out.read_bytes() != b"precious"


def test_output_into_missing_directory_is_bad_input(run_cli, tmp_path):
    result = run_cli("run", "-o", tmp_path / "no" / "such" / "dir" / "out.h5", "--quiet")
    assert result.returncode == 2
    assert "no" in result.stderr


def test_json_summary(run_cli, tmp_path):
    out = tmp_path / "out.h5"
    result = run_cli("run", "-o", out, "--json", "--backend", "cpu")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["backend"] == "cpu"
    assert summary["precision"] == "double"
    assert summary["points"] > 0
    assert summary["flow_status"] == {"ok": summary["points"]}
    assert pathlib.Path(summary["output"]) == out
    assert summary["points_per_second"] > 0


def gpu_usable(run_cli, tmp_path):
    result = run_cli("run", "-o", tmp_path / "probe.h5", "--quiet", "--backend", "cuda")
    return result.returncode == 0


def test_backend_auto_falls_back_to_cpu_and_says_so(run_cli, tmp_path):
    if gpu_usable(run_cli, tmp_path):
        pytest.skip("a GPU is usable here: auto picks it")
    result = run_cli("run", "-o", tmp_path / "out.h5")
    assert result.returncode == 0, result.stderr
    assert "running on the CPU backend" in result.stderr


def test_backend_cuda_without_gpu_fails_clearly(run_cli, tmp_path):
    if gpu_usable(run_cli, tmp_path):
        pytest.skip("a GPU is usable here")
    out = tmp_path / "out.h5"
    result = run_cli("run", "-o", out, "--backend", "cuda")
    assert result.returncode == 1
    assert "--backend cuda" in result.stderr
    assert "CUDA" in result.stderr
    assert not out.exists()


def test_missing_gpu_device_is_named(run_cli, tmp_path):
    # Device 7 exists nowhere here (no GPU, or fewer than 8): auto says why and
    # runs on the CPU; cuda fails with the reason (exit 1).
    result = run_cli("run", "-o", tmp_path / "auto.h5", "--device", "7")
    assert result.returncode == 0, result.stderr
    assert "on the CPU backend" in result.stderr
    result = run_cli("run", "-o", tmp_path / "cuda.h5", "--backend", "cuda", "--device", "7")
    assert result.returncode == 1
    assert "--backend cuda" in result.stderr
    assert not (tmp_path / "cuda.h5").exists()


def test_oversized_batch_is_lowered_to_what_memory_holds(run_cli, tmp_path):
    # 2^40 points per batch would be hundreds of TB of results: lowered, said
    # on stderr and in the summary, and the sweep still runs.
    out = tmp_path / "out.h5"
    result = run_cli("run", "-o", out, "--json", "--backend", "cpu", "--batch-points", 2**40)
    assert result.returncode == 0, result.stderr
    assert "--batch-points 1099511627776 lowered to" in result.stderr
    assert "lowered to" in json.loads(result.stdout)["notice"]
    assert out.exists()


def test_binary_starts_without_the_cuda_runtime_library(scaleham_bin):
    # The CUDA runtime is linked statically: a CPU-only machine without the
    # toolkit must still start scaleham (the driver is loaded at run time).
    dynamic = subprocess.run(["readelf", "-d", scaleham_bin], capture_output=True, text=True)
    if dynamic.returncode != 0:
        pytest.skip("readelf is not available")
    needed = re.findall(r"\(NEEDED\).*\[(.*)\]", dynamic.stdout)
    assert needed, dynamic.stdout
    assert not [lib for lib in needed if "cudart" in lib], needed


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_every_example_runs(run_cli, tmp_path, example):
    if example.name == "resume-demo.toml" and os.environ.get("SCALEHAM_SANITIZED") == "1":
        pytest.skip("resume-demo.toml is sized to take ~20 s in a normal build: minutes under "
                    "AddressSanitizer; test_resume.py runs it in the normal build")
    out = tmp_path / "out.h5"
    result = run_cli("run", example, "-o", out, "--json", "--backend", "cpu")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["points"] > 0
    inspect = run_cli("inspect", out)
    assert inspect.returncode == 0, inspect.stderr
    assert "flow" in inspect.stdout


def test_float_precision_run(run_cli, tmp_path):
    config = write(tmp_path, """
        [flow]
        rtol = 1e-5
        [[grid.axis]]
        name = "lambda"
        linspace = [0.05, 0.15, 5]
        """)
    out = tmp_path / "out.h5"
    result = run_cli("run", config, "-o", out, "--json", "--precision", "float", "--backend", "cpu")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["precision"] == "float"
    assert summary["flow_status"] == {"ok": 5}


def test_float_precision_refuses_tolerances_it_cannot_reach(run_cli, tmp_path):
    out = tmp_path / "out.h5"
    result = run_cli("run", "-o", out, "--precision", "float")  # built-in example: rtol 1e-10
    assert result.returncode == 2
    assert "flow.rtol" in result.stderr
    assert not out.exists()
    # The message names the line and the value as written, not "0.000000".
    config = write(tmp_path, "[flow]\n# tight\nrtol = 1e-9\n")
    result = run_cli("run", config, "-o", out, "--precision", "float")
    assert result.returncode == 2
    assert f"{config}:3: key 'flow.rtol': rtol 1e-09" in result.stderr, result.stderr
    assert "0.000000" not in result.stderr


def peak_rss_of_run(scaleham_bin, config, out):
    """Peak resident memory (KiB) of one `scaleham run`, measured by a wrapper
    process so earlier children do not count."""
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=True, capture_output=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    result = subprocess.run(["python3", "-c", probe, scaleham_bin, "run", str(config), "-o",
                             str(out), "--quiet", "--backend", "cpu"],
                            capture_output=True, text=True, check=True, timeout=900)
    return int(result.stdout.strip())


@pytest.mark.skipif(os.environ.get("SCALEHAM_SANITIZED") == "1",
                    reason="AddressSanitizer build (SCALEHAM_SANITIZED=1): peak RSS then measures "
                           "ASan's quarantine of freed memory (up to 256 MB) and shadow memory, not "
                           "scaleham's batches")
def test_peak_memory_does_not_grow_with_the_grid(scaleham_bin, tmp_path):
    """10^5 and 10^6 points: peak RSS within 1.5x (batches stream through memory)."""
    def config(points_per_axis):
        return write(tmp_path, f"""
            [flow]
            integrator = "rk4"
            rk4_steps = 8
            ell = 1.0
            [[grid.axis]]
            name = "lambda"
            linspace = [0.05, 0.15, {points_per_axis}]
            [[grid.axis]]
            name = "A"
            linspace = [25.0, 75.0, 1000]
            """, name=f"grid{points_per_axis}.toml")

    small = peak_rss_of_run(scaleham_bin, config(100), tmp_path / "small.h5")
    large = peak_rss_of_run(scaleham_bin, config(1000), tmp_path / "large.h5")
    assert large <= 1.5 * small, f"peak RSS {small} KiB at 1e5 points, {large} KiB at 1e6"


# --- standard output that cannot be written is an error, not a silent success -----


def test_json_summary_to_a_full_device_is_an_error(scaleham_bin, tmp_path):
    with open("/dev/full", "w") as full:
        result = subprocess.run([scaleham_bin, "run", "-o", tmp_path / "out.h5", "--json", "--backend", "cpu"],
                                stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 2
    assert "cannot write to standard output" in result.stderr


def test_fit_table_to_a_full_device_or_a_closed_stdout_is_an_error(scaleham_bin, tmp_path):
    data = tmp_path / "melt.csv"
    data.write_text("T,tau\n" + "".join(f"{T},{1e-14 * 2.718281828 ** (2000 / (T - 300))}\n"
                                         for T in range(400, 700, 25)))
    for extra in ([], ["--json"]):
        with open("/dev/full", "w") as full:
            result = subprocess.run([scaleham_bin, "fit", data, *extra], stdout=full, stderr=subprocess.PIPE,
                                    text=True)
        assert result.returncode == 2, (extra, result.stderr)
        assert "cannot write to standard output" in result.stderr
    closed = subprocess.run([scaleham_bin, "fit", data], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: os.close(1))
    assert closed.returncode == 2, closed.stderr
    assert "cannot write to standard output" in closed.stderr


def test_integer_options_are_decimal(run_cli, tmp_path):
    """CLI11 reads integers with base 0: --batch-points 0x10 was 16 and
    --device 010 was 8. Only decimal digits are accepted (issue 9 item 10)."""
    for args in (["--batch-points", "0x10"], ["--batch-points", "010"], ["--device", "010"], ["--device", "0x1"]):
        result = run_cli("run", "-o", tmp_path / "out.h5", "--quiet", "--backend", "cpu", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert f"{args[0]}: must be written in decimal digits, not '{args[1]}'" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []
    data = tmp_path / "d.csv"
    data.write_text("T,tau\n300,1\n310,2\n320,3\n330,4\n")
    result = run_cli("fit", data, "--device", "0x0")
    assert result.returncode == 2 and "--device" in result.stderr, result.stderr


def test_progress_off_a_terminal_is_lines_at_the_interval(run_cli, tmp_path):
    # stderr is a pipe here, as in a batch system's log.
    out = tmp_path / "out.h5"
    r = run_cli("run", "-o", out, "--batch-points", "50", "--progress-interval", "0", "--backend", "cpu")
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("scaleham: progress ")]
    assert len(lines) >= 9, r.stderr  # 441 points in batches of 50, and the last line
    assert "\r" not in r.stderr
    assert lines[-1].startswith("scaleham: progress 100.0%") and "points/s" in lines[-1] and "ETA" in lines[-1]
    # The default interval (30 s) is longer than this run: no line at all.
    r = run_cli("run", "-o", out, "--force", "--batch-points", "50", "--backend", "cpu")
    assert "scaleham: progress" not in r.stderr
    r = run_cli("run", "-o", out, "--force", "--batch-points", "50", "--progress-interval", "0", "--quiet")
    assert r.stderr == "", r.stderr


def test_devices_are_checked_before_any_work(run_cli, tmp_path):
    out = tmp_path / "out.h5"
    for arg in ("0,x", "-1", "0,,1", "1024"):
        r = run_cli("run", "-o", out, "--devices", arg)
        assert r.returncode == 2 and "device indices" in r.stderr, (arg, r.stderr)
    r = run_cli("run", "-o", out, "--devices", "0", "--backend", "cpu")
    assert r.returncode == 2 and "--backend is cpu" in r.stderr, r.stderr
    assert not out.exists()


def gpu_usable(run_cli, tmp_path):
    return run_cli("run", "-o", tmp_path / "probe.h5", "--backend", "cuda", "--quiet").returncode == 0


def test_devices_without_a_gpu_fail_clearly(run_cli, tmp_path):
    if gpu_usable(run_cli, tmp_path):
        pytest.skip("a GPU is usable here")
    r = run_cli("run", "-o", tmp_path / "out.h5", "--devices", "0,1")
    assert r.returncode == 1 and "no GPU can be used" in r.stderr, r.stderr
    assert not (tmp_path / "out.h5").exists()


def test_batches_spread_over_devices_give_the_one_device_file(run_cli, tmp_path):
    # Device 0 listed twice: two runners, two threads, on one GPU; several
    # GPUs where there are several. Same backend, so bitwise equal.
    if not gpu_usable(run_cli, tmp_path):
        pytest.skip("no usable GPU")
    import h5py
    one, spread = tmp_path / "one.h5", tmp_path / "spread.h5"
    assert run_cli("run", "-o", one, "--backend", "cuda", "--device", "0", "--quiet").returncode == 0
    r = run_cli("run", "-o", spread, "--devices", "0,0", "--batch-points", "37", "--quiet")
    assert r.returncode == 0, r.stderr

    def data(path):
        found = {}
        with h5py.File(path, "r") as f:
            f.visititems(lambda n, o: found.__setitem__(n, o[...].tobytes()) if isinstance(o, h5py.Dataset) else None)
            return found, f.attrs.get("devices")
    got, devices = data(spread)
    assert got == data(one)[0]
    assert devices == "0,0"
