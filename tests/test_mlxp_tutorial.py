"""MLXP 1.0.5's own tutorial (``main.py``, ``core_app.py``, ``read.py``) runs unchanged with mlxp
and gives MLXP's numbers.

The tutorial's files come from MLXP 1.0.5's sdist on PyPI (``.ci/run`` unpacks them with
``.ci/fetch-mlxp105-tutorial.py`` and sets ``MLXP_ORIGINAL_TUTORIAL``); they are never copied
into this repository. The config is the quick start's. The same sweep runs under mlxp and under
MLXP 1.0.5 (tests/original.py), and every run's losses must be equal: the tutorial seeds torch.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

import pytest

from tests.fakes import FakeCommands
from tests.original import original_env, original_python, unavailable
from tests.projects import REPO, installed_command

CONFIG = """\
seed: 0
num_epoch: 4
model:
  num_units: 100
data:
  d_int: 10
  device: 'cpu'
optimizer:
  lr: 10.
"""
SWEEP = ["optimizer.lr=1e-3,1e-2", "model.num_units=100,200"]
# The shape of the tutorial's launch_script.sh (an OAR job script: MLXP's `+mlxp.` settings on a
# continued line, then `python read.py`), written here, not copied.
LAUNCH_SCRIPT = """\
#!/bin/bash
#OAR -l core=1, walltime=1:00:00
#OAR -t besteffort

python main.py model.num_units=2,3 optimizer.lr=1e-3,1e-2 seed=1\\
    +mlxp.use_version_manager=False +mlxp.interactive_mode=False

python read.py
"""
FETCH_HINT = "python3 .ci/fetch-mlxp105-tutorial.py .mlxp105-tutorial"


def tutorial_dir() -> Path:
    where = Path(os.environ.get("MLXP_ORIGINAL_TUTORIAL") or REPO / ".mlxp105-tutorial")
    if not (where / "main.py").is_file():
        unavailable(f"no MLXP 1.0.5 tutorial at {where}; unpack it with: {FETCH_HINT}")
    return where


def require_torch(python: str) -> None:
    probe = subprocess.run([python, "-c", "import torch"], capture_output=True, text=True,
                           timeout=300, env=original_env())
    if probe.returncode:
        unavailable(f"{python} cannot import torch, which the tutorial needs:"
                    f" {probe.stderr.strip()[-200:]}")


def make_tutorial(tutorial: Path, project: Path) -> Path:
    shutil.copytree(tutorial, project)
    (project / "configs").mkdir()
    (project / "configs" / "config.yaml").write_text(CONFIG)
    (project / "launch_script.sh").write_text(LAUNCH_SCRIPT)
    return project


def run_tutorial(python: str, tutorial: Path, project: Path) -> subprocess.CompletedProcess:
    make_tutorial(tutorial, project)
    return subprocess.run([python, "main.py", *SWEEP], cwd=project, capture_output=True,
                          text=True, timeout=600, env=original_env())


def losses(logs: Path) -> Dict[Tuple[float, int], List[float]]:
    """Each run's training losses, by its (learning rate, hidden units)."""
    found = {}
    for run in logs.iterdir():
        config = yaml.safe_load((run / "metadata" / "config.yaml").read_text())
        lines = (run / "metrics" / "train.json").read_text().splitlines()
        key = (config["optimizer"]["lr"], config["model"]["num_units"])
        found[key] = [json.loads(line)["loss"] for line in lines]
    return found


def test_the_tutorial_runs_unchanged_and_gives_mlxp_105s_numbers(tmp_path: Path) -> None:
    tutorial = tutorial_dir()
    original = original_python()
    for python in (sys.executable, original):
        require_torch(python)

    ours = run_tutorial(sys.executable, tutorial, tmp_path / "mlxp")
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.count("Completed training") == 4
    theirs = run_tutorial(original, tutorial, tmp_path / "mlxp105")
    assert theirs.returncode == 0, theirs.stderr[-2000:]

    ours_losses = losses(tmp_path / "mlxp" / "logs")
    assert len(ours_losses) == 4 and all(len(values) == 4 for values in ours_losses.values())
    assert ours_losses == losses(tmp_path / "mlxp105" / "logs")

    read = subprocess.run([sys.executable, "read.py"], cwd=tmp_path / "mlxp", capture_output=True,
                          text=True, timeout=300, env=original_env())
    assert read.returncode == 0, read.stderr
    printed = read.stdout.splitlines()
    assert printed[0] == "4"  # len(reader)
    assert "fmean.train.loss" in read.stdout and "fmean.test.loss" in read.stdout


@pytest.fixture
def our_tutorial(tmp_path: Path) -> Path:
    tutorial = tutorial_dir()
    require_torch(sys.executable)
    return make_tutorial(tutorial, tmp_path / "tutorial")


def test_the_tutorials_launch_script_runs_with_bash(our_tutorial: Path) -> None:
    env = {**original_env(), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "launch_script.sh"], cwd=our_tutorial, capture_output=True,
                          text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Completed training") == 4
    assert "\n4\n" in done.stdout  # read.py's len(reader), after the four runs
    assert "fmean.test.loss" in done.stdout


def test_mlxpsub_submits_the_tutorials_script_and_never_runs_read_py(
    our_tutorial: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = FakeCommands(tmp_path, monkeypatch).install("oarsub", stdout="OAR_JOB_ID=7\n")
    done = subprocess.run([installed_command("mlxpsub"), "launch_script.sh"], cwd=our_tutorial,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert len(calls()) == 4
    assert "read.py does not use @mlxp.launch" in done.stdout
    # read.py would print the Reader's fields table, and fail on runs that have not run yet
    assert "fields]" not in done.stdout and "Traceback" not in done.stderr
    for run in range(1, 5):
        script = (our_tutorial / "logs" / str(run) / "script.sh").read_text().splitlines()
        assert script[-1] == "python read.py"
