"""The Slurm workflow of examples/slurm/ against a real one-node Slurm
(scripts/slurm-local.sh starts munged, slurmctld and slurmd in a private
directory): a job array of shards and the merge job that depends on it give
the file of one run; the MPI job script gives it too. Skipped unless root with
Debian's slurmctld, slurmd, slurm-client and munge installed."""
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import h5py
import pytest

from conftest import REPO, datasets

SLURM_LOCAL = REPO / "scripts" / "slurm-local.sh"
EXAMPLES = REPO / "examples" / "slurm"


@pytest.fixture(scope="module")
def slurm():
    if os.geteuid() != 0:
        pytest.skip("the local Slurm runs its daemons as root")
    for tool in ("sbatch", "squeue", "scontrol", "slurmctld", "slurmd", "munged"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/bootstrap.sh --tests installs Slurm)")
    # munged wants every directory above its socket open to all: not
    # pytest's private temporary directories.
    directory = pathlib.Path(tempfile.mkdtemp(prefix="scaleham-slurm-", dir="/tmp"))
    directory.chmod(0o755)
    started = subprocess.run([SLURM_LOCAL, "start", directory], capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    conf = started.stdout.strip().removeprefix("export SLURM_CONF=")
    env = dict(os.environ, SLURM_CONF=conf, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    yield env
    subprocess.run([SLURM_LOCAL, "stop", directory], capture_output=True, text=True, timeout=120)
    shutil.rmtree(directory, ignore_errors=True)


def wait_for(env, *jobs, timeout=240):
    """Waits until the jobs left the queue; returns each one's final state."""
    deadline = time.monotonic() + timeout
    ids = ",".join(jobs)
    while subprocess.run(["squeue", "-h", "-j", ids], capture_output=True, text=True, env=env).stdout.strip():
        assert time.monotonic() < deadline, subprocess.run(["scontrol", "show", "job", ids], capture_output=True,
                                                           text=True, env=env).stdout
        time.sleep(0.3)
    states = []
    for job in jobs:  # an array job shows every task
        shown = subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True, env=env).stdout
        states += [word.split("=")[1] for word in shown.split() if word.startswith("JobState=")]
    return states


@pytest.fixture
def sweep(tmp_path, run_cli, scaleham_bin):
    config = tmp_path / "sweep.toml"
    config.write_text((REPO / "examples" / "paper.toml").read_text())
    single = tmp_path / "single.h5"
    assert run_cli("run", config, "-o", single, "--quiet", "--backend", "cpu").returncode == 0
    return config, single


def test_a_job_array_of_shards_and_its_merge_job_give_one_run(slurm, sweep, tmp_path, scaleham_bin):
    config, single = sweep
    out = tmp_path / "sweep.h5"
    env = dict(slurm, SCALEHAM=scaleham_bin)
    submitted = subprocess.run([EXAMPLES / "submit-shards.sh", config, out, "3"], capture_output=True, text=True,
                               env=env, timeout=60)
    assert submitted.returncode == 0, submitted.stderr
    array, merge = submitted.stdout.split()
    states = wait_for(env, array, merge)
    assert states and all(s == "COMPLETED" for s in states), states
    parts = sorted((tmp_path / "sweep.parts").glob("part-*.h5"))
    assert [p.name for p in parts] == ["part-0.h5", "part-1.h5", "part-2.h5"]
    assert datasets(out) == datasets(single)
    with h5py.File(out, "r") as f:
        assert "--shard 2/3" in f.attrs["shard_commands"]

    # Submitted again (say after a partial failure): complete parts are kept,
    # and the merge refuses to overwrite the finished file.
    again = subprocess.run([EXAMPLES / "submit-shards.sh", config, out, "3"], capture_output=True, text=True,
                           env=env, timeout=60)
    array, merge = again.stdout.split()
    states = wait_for(env, array, merge)
    assert states.count("COMPLETED") == 3 and "FAILED" in states, states
    assert datasets(out) == datasets(single)


def test_the_mpi_job_script_gives_one_run(slurm, sweep, tmp_path, scaleham_bin):
    version = subprocess.run([scaleham_bin, "--version"], capture_output=True, text=True).stdout
    if "(MPI ranks)" not in version or shutil.which("mpirun") is None:
        pytest.skip("scaleham without MPI, or no mpirun")
    config, single = sweep
    out = tmp_path / "mpi.h5"
    env = dict(slurm, SCALEHAM=scaleham_bin, CONFIG=str(config), OUT=str(out))
    submitted = subprocess.run(["sbatch", "--parsable", f"--chdir={tmp_path}", EXAMPLES / "mpi.sbatch"],
                               capture_output=True, text=True, env=env, timeout=60)
    assert submitted.returncode == 0, submitted.stderr
    job = submitted.stdout.strip().split(";")[0]
    states = wait_for(env, job)
    log = pathlib.Path(tmp_path / f"scaleham-mpi-{job}.log")
    assert states == ["COMPLETED"], log.read_text() if log.exists() else states
    assert datasets(out) == datasets(single)
    with h5py.File(out, "r") as f:
        assert f.attrs["mpi_ranks"] == "2"
