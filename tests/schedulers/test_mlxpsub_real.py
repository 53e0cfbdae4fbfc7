"""mlxpsub against the real single-node SLURM, SGE and OAR that ci/schedulers/ starts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

from projects import make_project, read_yaml

POLL_LIMIT = 180.0  # seconds for a whole 4-point sweep on 2 cores

TASK = """
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    print(ctx.config)
    ctx.logger.log_metrics({"seed": ctx.config.seed, "lr": ctx.config.lr})

if __name__ == "__main__":
    task()
"""
DIRECTIVES = {
    "slurm": ["#SBATCH --time=00:05:00", "#SBATCH --cpus-per-task=1"],
    "sge": ["#$ -l h_rt=00:05:00"],
    "oar": ["#OAR -l core=1,walltime=0:05:00"],
}
INVALID = {"slurm": "#SBATCH --time=abc", "sge": "#$ -l h_rt=abc", "oar": "#OAR -q nosuchqueue"}
SCHEDULERS = [pytest.param(name, marks=pytest.mark.scheduler(name)) for name in DIRECTIVES]


def _mlxpsub(project: Path, script: str) -> subprocess.CompletedProcess:
    (project / "script.sh").write_text(script)
    return subprocess.run([sys.executable, "-m", "mlxp.sub", "script.sh"], cwd=str(project),
                          capture_output=True, text=True, timeout=120)


def _wait_for_runs(project: Path, count: int) -> List[dict]:
    deadline = time.monotonic() + POLL_LIMIT
    while True:
        infos = [read_yaml(project / "logs" / str(i) / "metadata" / "info.yaml")
                 for i in range(1, count + 1)]
        if all(info["status"] in ("COMPLETE", "FAILED") for info in infos):
            return infos
        if time.monotonic() > deadline:
            pytest.fail(f"runs not finished after {POLL_LIMIT:.0f} s: "
                        f"{[info['status'] for info in infos]}")
        time.sleep(0.5)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_a_four_point_sweep_completes_on_the_real_scheduler(tmp_path: Path, scheduler: str) -> None:
    project = make_project(tmp_path / scheduler, main=TASK, config="seed: 0\nlr: 0.1\n")
    script = "\n".join(["#!/bin/bash", *DIRECTIVES[scheduler], "python main.py lr=0.1,1. seed=1,2", ""])
    result = _mlxpsub(project, script)
    assert result.returncode == 0, result.stderr
    job_lines = result.stdout.splitlines()
    assert len(job_lines) == 4 and all(f"  {scheduler} job " in line for line in job_lines)
    infos = _wait_for_runs(project, 4)
    for number, info in enumerate(infos, start=1):
        log = project / "logs" / str(number)
        assert info["status"] == "COMPLETE", (log / "log.stderr").read_text()
        assert info["scheduler"]["name"] == scheduler
        assert info["scheduler"]["job_id"] and info["scheduler"]["job_id"] in job_lines[number - 1]
        config = read_yaml(log / "metadata" / "config.yaml")
        assert f"seed: {config['seed']}" in (log / "log.stdout").read_text()
    assert [(read_yaml(project / "logs" / str(i) / "metadata" / "config.yaml")["lr"],
             read_yaml(project / "logs" / str(i) / "metadata" / "config.yaml")["seed"])
            for i in range(1, 5)] == [(0.1, 1), (0.1, 2), (1.0, 1), (1.0, 2)]


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_a_rejected_job_leaves_a_failed_run_with_the_schedulers_message(
    tmp_path: Path, scheduler: str
) -> None:
    project = make_project(tmp_path / scheduler, main=TASK, config="seed: 0\nlr: 0.1\n")
    result = _mlxpsub(project, f"#!/bin/bash\n{INVALID[scheduler]}\npython main.py\n")
    assert result.returncode == 1
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "FAILED"
    assert info["scheduler"]["submit_output"]
    assert info["scheduler"]["submit_output"].splitlines()[0] in info["error"]
