"""`mpirun -np N scaleham run`: real Open MPI runs with 1, 2 and 3 ranks on the
CPU backend, each file bitwise the single-process one; a rank killed with
SIGKILL, then `--resume` computes only what is missing. Skipped where the
build has no MPI or mpirun is missing."""
import os
import shutil
import signal
import subprocess
import time

import h5py
import pytest

from conftest import datasets

# Slow enough per point (RK4, 400,000 steps: ~20 ms) that a kill lands
# mid-run, also while mpirun takes its time to end the other rank (at 50,000
# steps the surviving rank once finished all 48 batches first), small enough
# for a test: 16 x 15 points, a few seconds.
SLOW = """\
[flow]
g0 = 100.0
ell = -5.0
integrator = "rk4"
rk4_steps = 400000
[grid]
sampling = "cartesian"
[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15, 16]
[[grid.axis]]
name = "A"
linspace = [25.0, 75.0, 15]
[fit]
enabled = false
"""


@pytest.fixture(scope="module")
def mpirun(scaleham_bin):
    version = subprocess.run([scaleham_bin, "--version"], capture_output=True, text=True).stdout
    if "(MPI ranks)" not in version:
        pytest.skip(f"this scaleham is built without MPI ({version.strip()})")
    path = shutil.which("mpirun")
    if path is None:
        pytest.skip("mpirun is not installed (Debian: openmpi-bin)")
    return path


def mpi_command(mpirun, ranks, *args):
    # Root in CI containers; more ranks than cores on a 2-core machine.
    return [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(ranks), *map(str, args)]


def mpi_env():
    return dict(os.environ, OMP_NUM_THREADS="1", OMPI_MCA_rmaps_base_oversubscribe="1")


def slow_job_with_batches(mpirun, scaleham_bin, config, out, batches):
    """A 2-rank job of the SLOW sweep, returned once its journal holds
    `batches` batch files; also its rank processes (children of mpirun)."""
    journal = out.parent / (out.name + ".journal")
    job = subprocess.Popen(mpi_command(mpirun, 2, scaleham_bin, "run", config, "-o", out, "--backend", "cpu",
                                       "--batch-points", "5", "--quiet"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=mpi_env())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and job.poll() is None:
        if journal.is_dir() and len(list(journal.glob("batch-*.bin"))) >= batches:
            break
        time.sleep(0.01)
    assert job.poll() is None, f"the job ended too soon: {job.communicate()}"
    ranks = subprocess.run(["pgrep", "-P", str(job.pid)], capture_output=True, text=True).stdout.split()
    return job, ranks


@pytest.mark.parametrize("ranks", [1, 2, 3])
def test_ranks_write_the_single_process_file(mpirun, scaleham_bin, run_cli, tmp_path, ranks):
    single = tmp_path / "single.h5"
    assert run_cli("run", "-o", single, "--quiet", "--backend", "cpu").returncode == 0
    out = tmp_path / f"mpi-{ranks}.h5"
    r = subprocess.run(mpi_command(mpirun, ranks, scaleham_bin, "run", "-o", out, "--backend", "cpu",
                                   "--batch-points", "20", "--json"),
                       capture_output=True, text=True, env=mpi_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count('"points": 441') == 1, "one summary, from rank 0"
    assert datasets(out) == datasets(single)
    with h5py.File(out, "r") as f:
        if ranks > 1:
            assert f.attrs["mpi_ranks"] == str(ranks)
            points = [int(p) for p in f.attrs["mpi_points"].split("\n")]
            assert len(points) == ranks and sum(points) == 441
            assert len(f.attrs["mpi_hosts"].split("\n")) == ranks
        else:
            assert "mpi_ranks" not in f.attrs
    assert not (tmp_path / f"mpi-{ranks}.h5.journal").exists()


def test_a_killed_rank_leaves_a_journal_that_resume_finishes(mpirun, scaleham_bin, run_cli, tmp_path):
    config = tmp_path / "slow.toml"
    config.write_text(SLOW)
    single = tmp_path / "single.h5"
    assert run_cli("run", config, "-o", single, "--quiet", "--backend", "cpu").returncode == 0

    out = tmp_path / "out.h5"
    journal = tmp_path / "out.h5.journal"
    job, ranks = slow_job_with_batches(mpirun, scaleham_bin, config, out, 3)
    assert ranks, "the ranks are children of mpirun"
    os.kill(int(ranks[-1]), signal.SIGKILL)
    job.communicate(timeout=120)
    assert job.returncode != 0
    assert not out.exists(), "no file under the final name"
    recorded = len(list(journal.glob("batch-*.bin")))
    assert 3 <= recorded < 48, recorded

    r = subprocess.run(mpi_command(mpirun, 2, scaleham_bin, "run", config, "-o", out, "--backend", "cpu",
                                   "--batch-points", "5", "--resume", "--json"),
                       capture_output=True, text=True, env=mpi_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    assert f'"batches_resumed": {recorded}' in r.stdout, r.stdout
    assert datasets(out) == datasets(single)
    assert not journal.exists()


def test_bad_input_on_rank_0_ends_the_whole_job(mpirun, scaleham_bin, run_cli, tmp_path):
    # The other ranks wait for rank 0's plan: an error there must end them
    # too (MPI_Abort with the error's exit code), not leave them waiting.
    out = tmp_path / "out.h5"
    assert run_cli("run", "-o", out, "--quiet").returncode == 0
    r = subprocess.run(mpi_command(mpirun, 2, scaleham_bin, "run", "-o", out, "--backend", "cpu"),
                       capture_output=True, text=True, env=mpi_env(), timeout=120)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "exists" in r.stderr


def test_a_resume_with_nothing_left_to_compute(mpirun, scaleham_bin, run_cli, tmp_path):
    # Killed after its only batch was recorded: the ranks have nothing to do,
    # rank 0 writes the file from the journal.
    single = tmp_path / "single.h5"
    assert run_cli("run", "-o", single, "--quiet", "--backend", "cpu").returncode == 0
    out, hold = tmp_path / "out.h5", tmp_path / "hold"
    env = dict(os.environ, SCALEHAM_TEST_HOLD_FILE=str(hold))
    proc = subprocess.Popen([scaleham_bin, "run", "-o", str(out), "--backend", "cpu", "--quiet"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not hold.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hold.exists(), proc.communicate()[1]
    proc.kill()
    proc.communicate()
    hold.unlink()
    assert not out.exists() and (tmp_path / "out.h5.journal").is_dir()
    r = subprocess.run(mpi_command(mpirun, 2, scaleham_bin, "run", "-o", out, "--backend", "cpu", "--resume",
                                   "--json"), capture_output=True, text=True, env=mpi_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert '"batches_resumed": 1' in r.stdout
    assert datasets(out) == datasets(single)


def test_a_signal_to_one_rank_stops_every_rank(mpirun, scaleham_bin, run_cli, tmp_path):
    # SIGTERM reaches one rank only (not through mpirun): the ranks decide
    # together, all stop with the journal kept, none waits for another.
    config = tmp_path / "slow.toml"
    config.write_text(SLOW)
    out = tmp_path / "out.h5"
    journal = tmp_path / "out.h5.journal"
    job, ranks = slow_job_with_batches(mpirun, scaleham_bin, config, out, 2)
    assert len(ranks) == 2, ranks
    os.kill(int(ranks[-1]), signal.SIGTERM)
    _, stderr = job.communicate(timeout=180)
    assert job.returncode != 0, stderr
    assert "interrupted by SIGTERM" in stderr and "--resume" in stderr, stderr
    assert not out.exists() and journal.is_dir()
    single = tmp_path / "single.h5"
    assert run_cli("run", config, "-o", single, "--quiet", "--backend", "cpu").returncode == 0
    r = subprocess.run(mpi_command(mpirun, 2, scaleham_bin, "run", config, "-o", out, "--backend", "cpu", "--resume"),
                       capture_output=True, text=True, env=mpi_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    assert datasets(out) == datasets(single)


def test_devices_is_for_one_process(mpirun, scaleham_bin, tmp_path):
    r = subprocess.run(mpi_command(mpirun, 2, scaleham_bin, "run", "-o", tmp_path / "out.h5", "--devices", "0,1"),
                       capture_output=True, text=True, env=mpi_env(), timeout=120)
    assert r.returncode == 2 and "under MPI each rank takes one GPU" in r.stderr, r.stderr
