"""The version manager wired into the launcher: runs execute the committed code, from a snapshot."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from fakes import FakeCommands
from projects import make_project, read_yaml, run_main

TASK = """
import mlxp

VERSION = "committed"

@mlxp.launch(config_path="./configs")
def task(ctx):
    print("code version:", VERSION, "from", __file__)
    ctx.logger.log_metrics({"seed": ctx.config.seed})

if __name__ == "__main__":
    task()
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
VM = ["mlxp.use_version_manager=true", "mlxp.interactive_mode=false"]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=str(repo), check=True, capture_output=True,
                          text=True, env={**os.environ, **GIT_ENV}).stdout.strip()


def committed_project(path: Path, main: str) -> Path:
    """A project whose ``main.py`` is ``main``, committed in a new git repository."""
    project = make_project(path, main=main, config="seed: 0\n", files={".gitignore": "logs/\n"})
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "first")
    return project


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return committed_project(tmp_path / "repo", TASK)


def test_a_local_sweep_runs_the_committed_code_from_one_snapshot(repo: Path) -> None:
    (repo / "main.py").write_text(TASK.replace('"committed"', '"edited"'))
    result = run_main(repo, "seed=1,2", *VM)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("code version: committed") == 2
    assert "edited" not in result.stdout
    head = _git(repo, "rev-parse", "HEAD")
    snapshot = repo / ".work_dir" / "repo" / head
    assert f"from {snapshot / 'main.py'}" in result.stdout
    for run in ("1", "2"):  # the runs land in the user's project, not in the snapshot
        info = read_yaml(repo / "logs" / run / "metadata" / "info.yaml")
        assert info["status"] == "COMPLETE"
        assert info["version_manager"]["commit_hash"] == head
        assert info["version_manager"]["repo_path"] == str(repo)
        assert info["version_manager"]["dirty"] is True
        assert '+VERSION = "edited"' in (repo / "logs" / run / "metadata" / "git_diff.patch").read_text()
    assert not (snapshot / "logs").exists()
    assert ".work_dir" not in _git(repo, "status", "--porcelain")
    ids = {read_yaml(repo / "logs" / run / "metadata" / "info.yaml")["sweep_id"] for run in "12"}
    assert len(ids) == 1 and None not in ids  # one sweep, though run again from the snapshot


def test_the_runs_and_snapshots_are_never_offered_for_a_commit(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", main=TASK, config="seed: 0\n",
                           files={"configs/mlxp.yaml": "logger:\n  parent_log_dir: ./runs\n"})
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "first")
    assert run_main(project, *VM).returncode == 0
    (project / "notes.txt").write_text("an untracked file\n")
    result = run_main(project, *VM)
    assert result.returncode == 0, result.stderr
    assert "untracked files (1):\n  notes.txt\n" in result.stderr
    assert "runs/" not in result.stderr


def test_a_clean_tree_records_no_patch(repo: Path) -> None:
    result = run_main(repo, *VM)
    assert result.returncode == 0, result.stderr
    info = read_yaml(repo / "logs" / "1" / "metadata" / "info.yaml")
    assert info["version_manager"]["dirty"] is False
    assert not (repo / "logs" / "1" / "metadata" / "git_diff.patch").exists()


def test_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "plain", main=TASK, config="seed: 0\n")
    result = run_main(project, *VM)
    assert result.returncode == 2
    assert "git" in result.stderr and "mlxp.use_version_manager=false" in result.stderr
    assert "Traceback" not in result.stderr and not (project / "logs").exists()


def test_a_submitted_job_runs_from_the_snapshot(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeCommands(tmp_path, monkeypatch).install("sbatch", stdout="Submitted batch job 7\n")
    result = run_main(repo, "seed=3", *VM, "mlxp.use_scheduler=true", "mlxp.scheduler.name=slurm",
                      env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    head = _git(repo, "rev-parse", "HEAD")
    snapshot = repo / ".work_dir" / "repo" / head
    script = (repo / "logs" / "1" / "script.sh").read_text()
    assert f"cd {snapshot}" in script and "export MLXP_SNAPSHOT=" in script
    assert str(snapshot / "main.py") in script
    (repo / "main.py").write_text(TASK.replace('"committed"', '"edited later"'))
    job = subprocess.run(["bash", str(repo / "logs" / "1" / "script.sh")], capture_output=True,
                         text=True, env={k: v for k, v in os.environ.items() if k != "MLXP_SNAPSHOT"})
    assert job.returncode == 0, job.stderr
    assert "code version: committed" in job.stdout  # run by hand: no scheduler redirects it
    info = read_yaml(repo / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "COMPLETE" and info["version_manager"]["commit_hash"] == head
    assert info["scheduler"]["job_id"] == "7"
