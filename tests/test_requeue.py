"""Requeue: a job warned by its scheduler checkpoints, asks to be requeued, and resumes its run."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from fakes import FakeCommands
from projects import make_project, metrics_lines, read_yaml, run_main

TASK = """
import time
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    state = {"epoch": -1}
    saved = ctx.logger.load_checkpoint(rewind_metrics=True)
    if saved:
        state = saved
    ctx.on_preempt(lambda: ctx.logger.log_checkpoint(dict(state)))
    for epoch in range(state["epoch"] + 1, ctx.config.num_epoch):
        ctx.logger.log_metrics({"epoch": epoch})
        state["epoch"] = epoch
        if epoch == 3 and not saved:
            print("ready", flush=True)
            time.sleep(60)  # the scheduler's warning comes here

if __name__ == "__main__":
    task()
"""


@pytest.fixture
def submitted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = FakeCommands(tmp_path, monkeypatch)
    fake.install("sbatch", stdout="Submitted batch job 41\n")
    scontrol = fake.install("scontrol")
    project = make_project(tmp_path / "p", main=TASK, config="num_epoch: 6\n")
    result = run_main(project, "mlxp.use_scheduler=true", "mlxp.scheduler.name=slurm",
                      "mlxp.scheduler.requeue=true", env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    return project, scontrol


def test_the_job_script_asks_for_requeue_and_the_warning(submitted) -> None:
    project, _ = submitted
    script = (project / "logs" / "1" / "script.sh").read_text()
    for line in ("#SBATCH --requeue", "#SBATCH --signal=B:USR1@120", "#SBATCH --open-mode=append"):
        assert line in script.splitlines()
    command = script.splitlines()[-1]
    assert command.startswith("exec ") and "mlxp.resume=true" in command
    assert "mlxp.scheduler.requeue=true" in command


def test_a_warned_job_checkpoints_requeues_and_resumes_without_gaps(submitted) -> None:
    project, scontrol = submitted
    script = str(project / "logs" / "1" / "script.sh")
    env = {**os.environ, "SLURM_JOB_ID": "41"}
    job = subprocess.Popen(["bash", script], env=env, stdout=subprocess.PIPE, text=True)
    assert job.stdout.readline().strip() == "ready"
    job.send_signal(signal.SIGUSR1)  # what Slurm's --signal=B:USR1@120 does
    assert job.wait(timeout=30) == 0
    assert [call.argv for call in scontrol()] == [["requeue", "41"]]
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "STARTING" and info["error"] is None
    # Slurm starts the same job again: it resumes the run from the hook's checkpoint
    assert subprocess.run(["bash", script], env=env, capture_output=True).returncode == 0
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "COMPLETE" and info["requeues"] == 1
    assert "resumes" not in info
    assert [line["epoch"] for line in metrics_lines(project / "logs" / "1")] == list(range(6))


def test_only_rank_0_of_a_warned_job_asks_for_the_requeue(submitted) -> None:
    """Every process of an ``srun -n 4`` job gets the warning; the scheduler gets one request."""
    project, scontrol = submitted
    script = str(project / "logs" / "1" / "script.sh")
    info_before = (project / "logs" / "1" / "metadata" / "info.yaml").read_text()
    env = {**os.environ, "SLURM_JOB_ID": "41", "SLURM_PROCID": "1"}
    job = subprocess.Popen(["bash", script], env=env, stdout=subprocess.PIPE, text=True)
    assert job.stdout.readline().strip() == "ready"
    job.send_signal(signal.SIGUSR1)
    assert job.wait(timeout=30) == 0
    assert scontrol() == []
    assert (project / "logs" / "1" / "metadata" / "info.yaml").read_text() == info_before


def test_requeue_on_a_scheduler_that_cannot_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeCommands(tmp_path, monkeypatch).install("oarsub", stdout="OAR_JOB_ID=1\n")
    project = make_project(tmp_path / "p", main=TASK, config="num_epoch: 1\n")
    result = run_main(project, "mlxp.use_scheduler=true", "mlxp.scheduler.name=oar",
                      "mlxp.scheduler.requeue=true", env={"PATH": os.environ["PATH"]})
    assert result.returncode == 2 and "not supported for oar" in result.stderr
    assert not (project / "logs").exists()
