"""examples/groups end to end: config groups run, sweep, go through mlxpsub and read back."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakes import FakeCommands
from mlxp import sub
from mlxp.reader import Reader
from projects import REPO, read_yaml

EXAMPLE = REPO / "examples" / "groups"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "groups"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("logs", ".work_dir"))
    monkeypatch.chdir(project)
    return project


def _python(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=str(project), capture_output=True,
                          text=True, timeout=120)


def test_a_sweep_over_groups_runs_each_selection_and_reads_back(example: Path) -> None:
    result = _python(example, "train.py", "model=mlp,linear", "dataset=blobs,moons")
    assert result.returncode == 0, result.stderr
    runs = Reader(str(example / "logs")).filter()
    assert len(runs) == 4
    chosen = sorted((row["info.choices.model"], row["info.choices.dataset"],
                     row["config.model.name"], row["config.dataset.noise"]) for row in runs)
    assert chosen == [("linear", "blobs", "linear", 0.1), ("linear", "moons", "linear", 0.3),
                      ("mlp", "blobs", "mlp", 0.1), ("mlp", "moons", "mlp", 0.3)]
    assert {row["info.choices.optimizer"] for row in runs} == {"sgd"}
    read = _python(example, "read.py")
    assert read.returncode == 0, read.stderr
    assert read.stdout.splitlines()[0].startswith("model=linear dataset=blobs optimizer=sgd: 1 runs")


def test_a_group_config_added_with_plus_overrides_other_groups(example: Path) -> None:
    result = _python(example, "train.py", "+experiment=hard")
    assert result.returncode == 0, result.stderr
    config = read_yaml(example / "logs" / "1" / "metadata" / "config.yaml")
    assert (config["dataset"]["name"], config["optimizer"]["name"], config["num_epoch"]) == \
        ("moons", "adam", 8)
    choices = read_yaml(example / "logs" / "1" / "metadata" / "info.yaml")["choices"]
    assert choices == {"experiment": "hard", "dataset": "moons", "optimizer": "adam",
                       "model": "mlp"}


def test_info_defaults_names_the_file_of_each_part(example: Path) -> None:
    result = _python(example, "train.py", "--info", "defaults", "model=linear")
    assert result.returncode == 0, result.stderr
    rows = [line.split("|")[1:4] for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["Config path", "Package", "_self_"], ["model/linear", "model", "False"],
        ["optimizer/sgd", "optimizer", "False"], ["dataset/blobs", "dataset", "False"],
        ["config", "", "True"]]
    assert not (example / "logs").exists()


def test_mlxpsub_submits_one_job_per_selection_and_the_jobs_compose_it(
        example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = FakeCommands(tmp_path, monkeypatch).install("sbatch",
                                                        stdout="Submitted batch job 7\n")
    assert sub.main(["script.sh"]) == 0
    assert len(calls()) == 4
    for run in range(1, 5):  # the scheduler starts each job: here, bash runs its script
        subprocess.run(["bash", str(example / "logs" / str(run) / "script.sh")], check=True,
                       capture_output=True, timeout=120)
    runs = Reader(str(example / "logs")).filter()
    assert sorted((row["info.status"], row["info.choices.model"], row["info.choices.dataset"])
                  for row in runs) == [
        ("COMPLETE", "linear", "blobs"), ("COMPLETE", "linear", "moons"),
        ("COMPLETE", "mlp", "blobs"), ("COMPLETE", "mlp", "moons")]
