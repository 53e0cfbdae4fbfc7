"""A job requeued by the real SLURM while it runs resumes its run directory and completes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from projects import make_project, metrics_lines, read_yaml

TASK = """
import time
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    state = ctx.logger.load_checkpoint(rewind_metrics=True) or {"epoch": -1}
    for epoch in range(state["epoch"] + 1, ctx.config.num_epoch):
        time.sleep(0.5)
        ctx.logger.log_metrics({"epoch": epoch})
        ctx.logger.log_checkpoint({"epoch": epoch})

if __name__ == "__main__":
    task()
"""
LIMIT = 240.0


def _wait(condition, what: str) -> None:
    deadline = time.monotonic() + LIMIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached after {LIMIT:.0f} s")
        time.sleep(0.3)


@pytest.mark.scheduler("slurm")
def test_a_job_requeued_while_running_resumes_its_run_and_completes(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main=TASK, config="num_epoch: 16\n")
    (project / "script.sh").write_text(
        "#!/bin/bash\n#SBATCH --time=00:05:00\npython main.py mlxp.scheduler.requeue=true\n")
    result = subprocess.run([sys.executable, "-m", "mlxp.sub", "script.sh"], cwd=str(project),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    run = project / "logs" / "1"
    job_id = read_yaml(run / "metadata" / "info.yaml")["scheduler"]["job_id"]
    metrics = run / "metrics" / "train.json"
    _wait(lambda: metrics.exists() and len(metrics.read_text().splitlines()) >= 3,
          "three epochs logged")
    subprocess.run(["scontrol", "requeue", job_id], check=True, timeout=30)
    # Slurm starts a requeued job again once its credential expired: ci/schedulers sets
    # AuthInfo=cred_expire=10 (the default, 120 s, would make this test slow).
    _wait(lambda: read_yaml(run / "metadata" / "info.yaml")["status"] == "COMPLETE"
          and read_yaml(run / "metadata" / "info.yaml").get("requeues"), "a requeued COMPLETE run")
    info = read_yaml(run / "metadata" / "info.yaml")
    assert info["requeues"] == 1 and info["scheduler"]["job_id"] == job_id
    assert [line["epoch"] for line in metrics_lines(run)] == list(range(16))
