"""Array jobs on the real single-node SLURM, SGE and OAR that ci/schedulers/ starts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

from mlxp._shell import run
from projects import make_project, read_yaml

TASK = """
import time
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    time.sleep(ctx.config.sleep)
    ctx.logger.log_metrics({"seed": ctx.config.seed})
    print("seed", ctx.config.seed)

if __name__ == "__main__":
    task()
"""
DIRECTIVES = {
    "slurm": "#SBATCH --time=00:05:00",
    "sge": "#$ -l h_rt=00:05:00",
    "oar": "#OAR -l core=1,walltime=0:05:00",
}
SUBMIT = {"slurm": "sbatch", "sge": "qsub", "oar": "oarsub"}
LIMIT = 90.0  # seconds for a whole sweep


def _counting(command: str, bin_dir: Path) -> Path:
    """A ``command`` first on PATH that records each call, then runs the real one."""
    real = shutil.which(command)
    assert real, f"{command} not found"
    bin_dir.mkdir()
    calls = bin_dir / "calls"
    wrapper = bin_dir / command
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    return calls


def _submit(project: Path, scheduler: str, seeds: str, *flags: str) -> subprocess.CompletedProcess:
    (project / "script.sh").write_text(
        f"#!/bin/bash\n{DIRECTIVES[scheduler]}\npython main.py seed={seeds}\n")
    env = {**os.environ, "PATH": f"{project / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([sys.executable, "-m", "mlxp.sub", *flags, "script.sh"],
                          cwd=str(project), env=env, capture_output=True, text=True, timeout=120)


def _statuses(project: Path, count: int) -> List[str]:
    return [read_yaml(project / "logs" / str(run) / "metadata" / "info.yaml")["status"]
            for run in range(1, count + 1)]


def _finished(project: Path, count: int) -> bool:
    return all(status in ("COMPLETE", "FAILED") for status in _statuses(project, count))


@pytest.mark.scheduler("slurm")
def test_sixteen_points_are_one_sbatch_and_never_more_than_two_run_at_once(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "p", main=TASK, config="seed: 0\nsleep: 1\n")
    calls = _counting("sbatch", project / "bin")
    seeds = ",".join(str(seed) for seed in range(16))
    result = _submit(project, "slurm", seeds, "--array", "--max-running", "2")
    assert result.returncode == 0, result.stderr
    assert len(calls.read_text().splitlines()) == 1
    array_id = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")["scheduler"]["array_id"]
    assert result.stdout.splitlines() == [f"logs/1-16  slurm array job {array_id} (16 tasks)"]
    most = 0
    deadline = time.monotonic() + LIMIT
    while not _finished(project, 16):
        assert time.monotonic() < deadline, _statuses(project, 16)
        running = run(["squeue", "-h", "-j", array_id, "-t", "RUNNING", "-o", "%i"], timeout=20)
        most = max(most, len(running.stdout.split()))
        time.sleep(0.2)
    assert 1 <= most <= 2
    for run_id in range(1, 17):
        log = project / "logs" / str(run_id)
        info = read_yaml(log / "metadata" / "info.yaml")
        assert info["status"] == "COMPLETE", (log / "log.stderr").read_text()
        assert info["scheduler"]["job_id"] == f"{array_id}_{run_id - 1}"
        assert (log / "log.stdout").read_text() == f"seed {run_id - 1}\n"


@pytest.mark.parametrize("scheduler", [pytest.param(name, marks=pytest.mark.scheduler(name))
                                       for name in ("sge", "oar")])
def test_an_array_sweep_completes_with_one_submission(tmp_path: Path, scheduler: str) -> None:
    project = make_project(tmp_path / scheduler, main=TASK, config="seed: 0\nsleep: 0\n")
    calls = _counting(SUBMIT[scheduler], project / "bin")
    flags = ["--array"] if scheduler == "oar" else ["--array", "--max-running", "2"]
    result = _submit(project, scheduler, "1,2,3", *flags)
    assert result.returncode == 0, result.stderr
    assert len(calls.read_text().splitlines()) == 1
    deadline = time.monotonic() + LIMIT
    while not _finished(project, 3):
        assert time.monotonic() < deadline, _statuses(project, 3)
        time.sleep(0.5)
    for run_id in range(1, 4):
        log = project / "logs" / str(run_id)
        info = read_yaml(log / "metadata" / "info.yaml")
        assert info["status"] == "COMPLETE", (log / "log.stderr").read_text()
        assert info["scheduler"]["array_index"] == run_id  # SGE and OAR count from 1
        assert (log / "log.stdout").read_text() == f"seed {run_id}\n"
