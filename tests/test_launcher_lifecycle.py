"""A launched run that dies, is interrupted, or is resumed: status, exit code, metrics."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from projects import make_project, metrics_lines, read_yaml, run_main

SLOW_TASK = """
import sys, time
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    for epoch in range(1000):
        ctx.logger.log_metrics({"epoch": epoch})
        if epoch == 2:
            print("ready", flush=True)
        time.sleep(0.01)

task()
"""

RESUMABLE_TASK = """
import os
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    state = ctx.logger.load_checkpoint(rewind_metrics=True) or {"epoch": -1}
    for epoch in range(state["epoch"] + 1, ctx.config.num_epoch):
        ctx.logger.log_metrics({"epoch": epoch})
        ctx.logger.log_checkpoint({"epoch": epoch})
        if epoch == ctx.config.crash_at and not os.environ.get("NO_CRASH"):
            raise RuntimeError(f"crashed at epoch {epoch}")

task()
"""


@pytest.mark.parametrize("signum, code, words", [
    (signal.SIGTERM, 143, "terminated by SIGTERM"),
    (signal.SIGINT, 130, "SIGINT"),
])
def test_a_signal_records_failed_and_exits_with_the_conventional_code(
    tmp_path: Path, signum: int, code: int, words: str
) -> None:
    project = make_project(tmp_path / "p", main=SLOW_TASK, config="seed: 0\n")
    process = subprocess.Popen([sys.executable, "main.py"], cwd=str(project),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(signum)
    assert process.wait(timeout=30) == code
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "FAILED" and words in info["error"]
    lines = (project / "logs" / "1" / "metrics" / "train.json").read_text()
    assert lines.endswith("\n")


def test_a_crashed_run_resumes_without_gaps_or_duplicates(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main=RESUMABLE_TASK,
                           config="num_epoch: 8\ncrash_at: 4\n")
    first = run_main(project)
    assert first.returncode == 1 and "crashed at epoch 4" in first.stderr
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "FAILED"
    second = run_main(project, "mlxp.logger.forced_log_id=1", "mlxp.resume=true",
                      env={"NO_CRASH": "1"})
    assert second.returncode == 0, second.stderr
    assert [line["epoch"] for line in metrics_lines(project / "logs" / "1")] == list(range(8))
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "COMPLETE" and info["resumes"] == 1 and info["error"] is None
    assert sorted(p.name for p in (project / "logs").iterdir()) == ["1"]


def test_resume_refuses_a_changed_config(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main=RESUMABLE_TASK,
                           config="num_epoch: 3\ncrash_at: 1\n")
    assert run_main(project).returncode == 1
    result = run_main(project, "mlxp.logger.forced_log_id=1", "mlxp.resume=true", "num_epoch=5")
    assert result.returncode == 2
    assert "keeps its config" in result.stderr and "'num_epoch'" in result.stderr
    assert read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")["status"] == "FAILED"


@pytest.mark.parametrize("args, words", [
    (["mlxp.resume=true"], "needs the id of the run"),
    (["mlxp.logger.forced_log_id=3", "seed=1,2"], "a sweep of 2 points"),
])
def test_resume_and_forced_id_misuse_are_usage_errors(tmp_path: Path, args, words) -> None:
    project = make_project(tmp_path / "p", config="num_epoch: 1\nseed: 0\n")
    result = run_main(project, *args)
    assert result.returncode == 2 and words in result.stderr
    assert not (project / "logs").exists()


def test_reusing_a_run_that_holds_metrics_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", config="num_epoch: 2\n")
    assert run_main(project).returncode == 0
    before = (project / "logs" / "1" / "metrics" / "train.json").read_text()
    result = run_main(project, "mlxp.logger.forced_log_id=1")
    assert result.returncode != 0
    assert "mlxp.resume=true" in result.stderr and "Traceback" not in result.stderr
    assert (project / "logs" / "1" / "metrics" / "train.json").read_text() == before
