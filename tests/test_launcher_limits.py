"""Input the launcher refuses before it creates anything: exit 2, one line, no run directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from projects import make_project, run_main

CONFIG = "num_epoch: 1\nseed: 0\na: 0\nb: 0\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p", config=CONFIG)


def _nothing_created(project: Path) -> bool:
    return sorted(p.name for p in project.iterdir()) == ["configs", "main.py"]


def test_a_sweep_past_the_limit_is_refused_before_any_work(project: Path) -> None:
    result = run_main(project, "--dry-run", "a=range(0,1000)", "b=range(0,1001)")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "main.py: error: a sweep of 1,001,000 points (1,000 x 1,001) is more than"
        " mlxp.max_sweep_points (1,000,000): fewer values, or raise the limit with"
        " mlxp.max_sweep_points=N (on the command line or in configs/mlxp.yaml)")
    assert _nothing_created(project)


@pytest.mark.parametrize("where", ["command-line", "mlxp.yaml"])
def test_the_sweep_limit_can_be_raised(project: Path, where: str) -> None:
    args = ["--dry-run", "a=range(0,3)", "b=range(0,3)"]
    assert run_main(project, *args, "mlxp.max_sweep_points=8").returncode == 2
    if where == "mlxp.yaml":
        (project / "configs" / "mlxp.yaml").write_text("max_sweep_points: 9\n")
    else:
        args.append("mlxp.max_sweep_points=9")
    result = run_main(project, *args)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 9


def test_an_argument_that_is_not_utf8_is_refused(project: Path) -> None:
    result = subprocess.run([sys.executable, str(project / "main.py"), b"a=caf\xe9"],
                            cwd=str(project), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("main.py: error: argument 1 is not UTF-8 text")
    assert "Traceback" not in result.stderr and _nothing_created(project)


@pytest.mark.parametrize("parent, words", [
    pytest.param("/proc/mlxp-logs", "under /proc, a kernel file system", id="proc"),
    pytest.param("/sys/kernel/logs", "under /sys", id="sys"),
    pytest.param("a_file", "is a file, not a directory", id="file"),
    pytest.param("a_file/logs", "is a file, not a directory", id="below-a-file"),
    pytest.param("'runs\nweekly'", "control character", id="newline"),
])
def test_a_log_directory_that_cannot_hold_runs_is_refused(
    project: Path, parent: str, words: str
) -> None:
    (project / "a_file").write_text("not a directory\n")
    result = run_main(project, "seed=1,2", f"mlxp.logger.parent_log_dir={parent}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("main.py: error: mlxp.logger.parent_log_dir ")
    assert words in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in project.iterdir()) == ["a_file", "configs", "main.py"]


def test_reusing_a_run_holding_data_is_a_usage_error(project: Path) -> None:
    assert run_main(project).returncode == 0
    result = run_main(project, "mlxp.logger.forced_log_id=1")
    assert result.returncode == 2
    assert result.stderr.startswith("main.py: error: run directory")


def test_a_sweep_cannot_mix_submitted_and_local_points(project: Path) -> None:
    result = run_main(project, "mlxp.use_scheduler=false,true")
    assert result.returncode == 2
    assert "mlxp.use_scheduler is the same for every point of a sweep" in result.stderr
    assert _nothing_created(project)
