"""``mlxp status`` and ``mlxp cancel`` on jobs of the real SLURM, SGE and OAR (ci/schedulers/)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Set

import pytest

from projects import make_project, read_yaml

SLEEPING_TASK = """
import time
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    time.sleep(ctx.config.sleep)

if __name__ == "__main__":
    task()
"""
DIRECTIVES = {
    "slurm": "#SBATCH --time=00:05:00",
    "sge": "#$ -l h_rt=00:05:00",
    "oar": "#OAR -l core=1,walltime=0:05:00",
}
# States a queued or running job may show in `mlxp status` right after submission.
LIVE_STATES = {
    "slurm": {"PENDING", "CONFIGURING", "RUNNING"},
    "sge": {"qw", "t", "r"},
    "oar": {"Waiting", "toLaunch", "Launching", "Running"},
}
RUNS = 3  # on 2 cores: some run, one waits
WAIT_LIMIT = 30.0


def _active_slurm(ids: List[str]) -> Set[str]:
    # Plain squeue (no --states=all) lists pending, running and completing jobs only.
    out = _run(["squeue", "--noheader", "--format=%i", f"--jobs={','.join(ids)}"])
    return set(out.split()) & set(ids)


def _active_sge(ids: List[str]) -> Set[str]:
    out = _run(["qstat", "-u", "*"])
    return {line.split()[0] for line in out.splitlines() if line.strip()[:1].isdigit()} & set(ids)


def _active_oar(ids: List[str]) -> Set[str]:
    out = _run(["oarstat", "-s", *(arg for job_id in ids for arg in ("-j", job_id))])
    states = dict(re.findall(r"^(\d+): (\w+)$", out, re.MULTILINE))
    return {job_id for job_id, state in states.items() if state not in ("Terminated", "Error")}


ACTIVE: Dict[str, Callable[[List[str]], Set[str]]] = {
    "slurm": _active_slurm, "sge": _active_sge, "oar": _active_oar,
}
SCHEDULERS = [pytest.param(name, marks=pytest.mark.scheduler(name)) for name in DIRECTIVES]


def _run(argv: List[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout


def _mlxp(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlxp", *args], cwd=str(project),
                          capture_output=True, text=True, timeout=120)


def _infos(project: Path) -> List[dict]:
    return [read_yaml(project / "logs" / str(i) / "metadata" / "info.yaml")
            for i in range(1, RUNS + 1)]


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} after {WAIT_LIMIT:.0f} s")
        time.sleep(0.3)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_status_then_cancel_a_sweep_of_sleeping_jobs(tmp_path: Path, scheduler: str) -> None:
    project = make_project(tmp_path / scheduler, main=SLEEPING_TASK, config="sleep: 60\nseed: 0\n")
    (project / "script.sh").write_text(
        f"#!/bin/bash\n{DIRECTIVES[scheduler]}\npython main.py seed=1,2,3\n"
    )
    submitted = subprocess.run([sys.executable, "-m", "mlxp.sub", "script.sh"], cwd=str(project),
                               capture_output=True, text=True, timeout=120)
    assert submitted.returncode == 0, submitted.stderr
    job_ids = [info["scheduler"]["job_id"] for info in _infos(project)]
    # Cancel while a job runs: its SIGTERM handler races mlxp for info.yaml.
    _until(lambda: any(info["status"] == "RUNNING" for info in _infos(project)),
           "no run started")

    status = _mlxp(project, "status", "logs")

    assert status.returncode == 0, status.stderr
    rows = {line.split()[0]: line.split() for line in status.stdout.splitlines()[1:RUNS + 1]}
    for log_id, job_id in enumerate(job_ids, start=1):
        row = rows[str(log_id)]
        assert row[1] in ("STARTING", "RUNNING") and row[2:4] == [scheduler, job_id], row
        # A job may have just started, or (rarely) ended; anything but an unanswered query.
        assert row[4] in LIVE_STATES[scheduler] | {"gone"}, status.stdout
    assert f"{RUNS} runs:" in status.stdout

    cancelled = _mlxp(project, "cancel", "logs")

    assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
    assert f"{RUNS} cancelled, 0 left alone" in cancelled.stdout
    _until(lambda: not ACTIVE[scheduler](job_ids), f"{scheduler} still lists jobs {job_ids}")
    time.sleep(1)  # a job that was still writing its status has had time to
    for info in _infos(project):
        assert (info["status"], info["error"]) == ("FAILED", "cancelled"), info
        assert info["end_date"] and info["scheduler"]["name"] == scheduler
    after = _mlxp(project, "status", "logs", "--query", "info.error == 'cancelled'")
    assert f"{RUNS} runs: {RUNS} CANCELLED" in after.stdout, after.stdout + after.stderr
