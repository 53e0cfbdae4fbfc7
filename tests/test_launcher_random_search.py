"""Random search and shuffled sweeps, run as a user runs them: interval() axes drawn by
mlxp.sweeper.samples from mlxp.sweeper.seed, crossed with the grid, the same in a dry run, in
local runs and in an mlxpsub submission; the seed recorded with each run's settings."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import List

import pytest

from fakes import FakeCommands
from mlxp import sub
from projects import make_project, read_yaml, run_main

TASK = """
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    print("running", ctx.config.lr, ctx.config.seed)

task()
"""
CONFIG = "lr: 0.1\nseed: 0\n"
LR = re.compile(r"\blr=([-+.e0-9]+)")
NOTE = re.compile(r"come from seed (\d+)")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p", main=TASK, config=CONFIG)


def dry_run_lines(project: Path, *args: str) -> List[str]:
    result = run_main(project, "--dry-run", *args)
    assert result.returncode == 0, result.stderr
    assert not (project / "logs").exists()
    return result.stdout.splitlines()


def recorded(project: Path, name: str) -> List[dict]:
    runs = sorted((run for run in (project / "logs").iterdir() if run.name.isdigit()),
                  key=lambda run: int(run.name))
    return [read_yaml(run / "metadata" / name) for run in runs]


def test_samples_are_crossed_with_the_grid_and_drawn_again_from_the_seed(project: Path) -> None:
    args = ("lr=tag(log,interval(1e-5,1e-1))", "seed=1,2", "mlxp.sweeper.samples=3",
            "mlxp.sweeper.seed=7")
    lines = dry_run_lines(project, *args)
    assert len(lines) == 6
    lrs = [float(LR.search(line).group(1)) for line in lines]
    seeds = [re.search(r"\bseed=(\d)", line).group(1) for line in lines]
    assert seeds == ["1", "2"] * 3  # the grid axis after lr varies faster
    assert lrs[0::2] == lrs[1::2] and len(set(lrs)) == 3
    assert all(1e-5 <= lr < 1e-1 for lr in lrs)
    assert dry_run_lines(project, *args) == lines
    assert dry_run_lines(project, *args[:-1], "mlxp.sweeper.seed=8") != lines


def test_samples_and_seed_come_from_mlxp_yaml_and_the_command_line_wins(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main=TASK, config=CONFIG, files={
        "configs/mlxp.yaml": "sweeper:\n  samples: 4\n  seed: 1\n"})
    four = [LR.search(line).group(1) for line in dry_run_lines(project, "lr=interval(0,1)")]
    assert len(set(four)) == 4
    two = dry_run_lines(project, "lr=interval(0,1)", "mlxp.sweeper.samples=2")
    assert [LR.search(line).group(1) for line in two] == four[:2]


def test_an_interval_without_samples_is_an_error_saying_what_to_set(project: Path) -> None:
    result = run_main(project, "lr=interval(1e-5,1e-1)")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "main.py: error: 'lr=interval(1e-5,1e-1)' is a random-search axis: set"
        " mlxp.sweeper.samples=N (on the command line or in mlxp.yaml) to draw N points"]
    assert not (project / "logs").exists()


def test_a_drawn_seed_is_printed_once_and_recorded_with_each_runs_settings(
        project: Path) -> None:
    result = run_main(project, "lr=interval(0,1)", "mlxp.sweeper.samples=2")
    assert result.returncode == 0, result.stderr
    notes = NOTE.findall(result.stderr)
    assert len(notes) == 1, result.stderr
    seed = int(notes[0])
    assert [s["sweeper"]["seed"] for s in recorded(project, "mlxp.yaml")] == [seed, seed]
    first = [c["lr"] for c in recorded(project, "config.yaml")]
    again = run_main(project, "lr=interval(0,1)", "mlxp.sweeper.samples=2",
                     f"mlxp.sweeper.seed={seed}")
    assert again.returncode == 0 and not NOTE.search(again.stderr)
    assert [c["lr"] for c in recorded(project, "config.yaml")] == first * 2


def test_a_launch_rerun_from_its_snapshot_draws_the_seed_it_printed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main=TASK, config=CONFIG, files={
        "configs/mlxp.yaml": "use_version_manager: true\ninteractive_mode: false\n"})
    for command in (["git", "init", "-q"], ["git", "add", "-A"],
                    ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(command, cwd=project, check=True)
    result = run_main(project, "seed=shuffle(1,2,3)")
    assert result.returncode == 0, result.stderr
    notes = NOTE.findall(result.stderr)
    assert len(notes) == 1, result.stderr
    assert {s["sweeper"]["seed"] for s in recorded(project, "mlxp.yaml")} == {int(notes[0])}


def test_a_shuffled_sweep_takes_its_order_from_the_seed(project: Path) -> None:
    def order(seed: int) -> List[str]:
        lines = dry_run_lines(project, "seed=shuffle(range(10))", f"mlxp.sweeper.seed={seed}")
        return [re.search(r"\bseed=(\d+)", line).group(1) for line in lines]

    assert sorted(order(1), key=int) == [str(i) for i in range(10)]
    assert order(1) == order(1) != order(2)


@pytest.mark.parametrize("array", [False, True], ids=["jobs", "array"])
def test_mlxpsub_submits_the_points_its_dry_run_shows(
        tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd,
        array: bool) -> None:
    fake.install("sbatch", stdout="Submitted batch job 9\n")
    line = ("python main.py 'lr=interval(0,1)' seed=1,2 mlxp.sweeper.samples=2"
            " mlxp.sweeper.seed=4" + (" mlxp.scheduler.array=true" if array else ""))
    project = make_project(tmp_path / "p", main=TASK, config=CONFIG, files={
        "script.sh": f"#!/bin/bash\n#SBATCH --time=10:00\n{line}\n"})
    monkeypatch.chdir(project)
    assert sub.main(["--dry-run", "script.sh"]) == 0
    shown = [float(value) for value in LR.findall(capfd.readouterr().out)]
    assert len(set(shown)) == 2 and not (project / "logs").exists()
    assert sub.main(["script.sh"]) == 0
    submitted = [config["lr"] for config in recorded(project, "config.yaml")]
    assert submitted == shown  # one job script (or array task) per point, in the same order


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCommands:
    return FakeCommands(tmp_path, monkeypatch)
