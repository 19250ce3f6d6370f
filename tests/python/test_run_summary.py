"""What `scaleham run` says about its points: failures counted by stage and
status (terminal and --json) against the file's own status datasets; a run
where every point failed exits 3 with a clear message (its file written); and
--dry-run, which plans the run, times a sample and creates no file."""
import json
import math

import h5py
import numpy as np
import pytest

# T_min below T0 = 400 K: every curve reaches g <= 0, every fit fails.
ALL_FAIL = "[temperature]\nT0 = 400.0\nT_min = 300.0\n"
# T0 swept through T_min = 420 K: the points with T0 >= 420 K fail.
SOME_FAIL = """
[temperature]
T_min = 420.0
[grid]
[[grid.axis]]
name = "T0"
linspace = [380.0, 440.0, 7]
[[grid.axis]]
name = "A"
values = [30.0, 60.0]
"""


def write(tmp_path, text, name="config.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def failed_in_file(path):
    """Per stage, the counts of each failing status in the file."""
    ok = {0, 1, 10}  # ok, target_reached, at_bound: the codes that are results
    out = {}
    with h5py.File(path, "r") as f:
        names = f["fit/status"].attrs["flag_meanings"].split()
        for stage, dataset in (("flow", "flow/status"), ("action", "hj/status"), ("fit", "fit/status")):
            codes, counts = np.unique(f[dataset][...], return_counts=True)
            failed = {names[c]: int(n) for c, n in zip(codes, counts) if c not in ok}
            if failed:
                out[stage] = failed
    return out


def test_failures_are_counted_by_stage_and_status(run_cli, tmp_path):
    out = tmp_path / "some.h5"
    done = run_cli("run", write(tmp_path, SOME_FAIL), "-o", out, "--backend", "cpu", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    in_file = failed_in_file(out)
    assert in_file == {"fit": {"singular_integrand": 6}}  # T0 = 420, 430, 440 K, two A each
    assert {stage: {name: v["points"] for name, v in reasons.items()}
            for stage, reasons in summary["failures"].items()} == in_file
    assert "pole" in summary["failures"]["fit"]["singular_integrand"]["meaning"]
    assert summary["failed_points"] == 6 and summary["points"] == 14
    # On the terminal: one line per failing stage, with the meaning.
    said = run_cli("run", write(tmp_path, SOME_FAIL), "-o", tmp_path / "again.h5", "--backend", "cpu")
    assert said.returncode == 0
    assert "scaleham: fit: 6 of 14 points failed: 6 singular_integrand (F/beta has a pole" in said.stderr


def test_a_run_where_every_point_failed_exits_3_and_keeps_its_file(run_cli, tmp_path):
    out = tmp_path / "all.h5"
    done = run_cli("run", write(tmp_path, ALL_FAIL), "-o", out, "--backend", "cpu")
    assert done.returncode == 3, done.stderr
    assert "every one of the 1 points failed" in done.stderr and "Exit code 3" in done.stderr
    assert "singular_integrand" in done.stderr
    assert failed_in_file(out) == {"fit": {"singular_integrand": 1}}
    # Said under --quiet and --json too; --json still prints the summary.
    quiet = run_cli("run", write(tmp_path, ALL_FAIL), "-o", out, "--backend", "cpu", "--quiet", "--force", "--json")
    assert quiet.returncode == 3 and "every one of the 1 points failed" in quiet.stderr
    assert json.loads(quiet.stdout)["failed_points"] == 1


def test_a_successful_run_reports_no_failures(run_cli, tmp_path):
    done = run_cli("run", "-o", tmp_path / "ok.h5", "--backend", "cpu", "--json")
    assert done.returncode == 0
    summary = json.loads(done.stdout)
    assert summary["failed_points"] == 0 and summary["failures"] == {}
    assert "failed" not in run_cli("run", "-o", tmp_path / "ok2.h5", "--backend", "cpu").stderr


@pytest.mark.parametrize("precision", ["double", "float"])
def test_dry_run_plans_like_the_run_and_creates_nothing(run_cli, tmp_path, precision):
    config = write(tmp_path, SOME_FAIL.replace("[temperature]", "[output]\ncompression = 0\n[temperature]")
                   + ("[flow]\nrtol = 1e-5\n[action]\nrtol = 1e-5\n" if precision == "float" else ""))
    out = tmp_path / "out" / "run.h5"
    out.parent.mkdir()
    args = ["run", config, "-o", out, "--backend", "cpu", "--precision", precision, "--batch-points", "4"]
    dry = run_cli(*args, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert list(out.parent.iterdir()) == []  # no file, lock, journal or .partial
    plan = json.loads(dry.stdout)
    assert plan["dry_run"] and plan["points"] == plan["grid_points"] == 14
    assert plan["shape"] == [{"name": "T0", "count": 7}, {"name": "A", "count": 2}]
    assert plan["sample_points"] == 14 and plan["estimated_compute_seconds"] > 0  # small grid: all of it timed
    real = run_cli(*args, "--json")
    assert real.returncode == 0, real.stderr
    summary = json.loads(real.stdout)
    assert plan["batches"] == summary["batches"] and plan["batch_points"] == 4
    # The bytes: the file's datasets, uncompressed, hold exactly bytes_per_point per point.
    with h5py.File(out, "r") as f:
        stored = 0
        for group in ("flow", "hj", "fit"):
            for name, data in f[group].items():
                if name not in ("T0", "A"):
                    stored += data.size * data.dtype.itemsize
    assert stored == plan["file_bytes_uncompressed"] == plan["bytes_per_point"] * 14


def test_dry_run_text_and_the_checks_a_run_makes_first(run_cli, tmp_path):
    out = tmp_path / "run.h5"
    text = run_cli("run", "--dry-run", "-o", out, "--backend", "cpu")
    assert text.returncode == 0, text.stderr
    assert "441 points (21 lambda x 21 A)" in text.stdout and "no file created" in text.stdout
    assert "estimate:" in text.stdout and not out.exists()
    out.write_text("someone's file")
    refused = run_cli("run", "--dry-run", "-o", out, "--backend", "cpu")
    assert refused.returncode == 2 and "--force" in refused.stderr  # as the run would be refused
    assert run_cli("run", "--dry-run", "-o", out, "--backend", "cpu", "--force").returncode == 0
    assert out.read_text() == "someone's file"
    bad = run_cli("run", write(tmp_path, "[flow]\nrtol = 1e-9\n"), "--dry-run", "--precision", "float")
    assert bad.returncode == 2 and "flow.rtol" in bad.stderr


def test_dry_run_of_a_large_sampled_grid_samples_part_of_it(run_cli, tmp_path):
    config = write(tmp_path, '[grid]\nsampling = "halton"\npoints = 2000000\n'
                             '[[grid.axis]]\nname = "lambda"\nlinspace = [0.05, 0.15]\n')
    dry = run_cli("run", config, "--dry-run", "--json", "-o", tmp_path / "big.h5", "--backend", "cpu")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["points"] == 2000000 and 0 < plan["sample_points"] < plan["points"]
    assert plan["batches"] == math.ceil(2000000 / plan["batch_points"])
    rate = plan["sample_points"] / plan["sample_seconds"]
    assert plan["estimated_compute_seconds"] == pytest.approx(plan["points"] / rate, rel=1e-9)
    assert list(tmp_path.iterdir()) == [config]


def test_fits_the_file_does_not_keep_are_not_counted(run_cli, tmp_path):
    done = run_cli("run", write(tmp_path, ALL_FAIL), "--set", "output.fit=false", "-o", tmp_path / "nofit.h5",
                   "--backend", "cpu", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["failed_points"] == 0 and "fit" not in summary["failures"]


def test_dry_run_refuses_what_the_run_refuses(run_cli, tmp_path):
    done = run_cli("run", "--dry-run", "--devices", "0", "--backend", "cpu", "-o", tmp_path / "x.h5")
    assert done.returncode == 2 and "--devices lists GPUs" in done.stderr
