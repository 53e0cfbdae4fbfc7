"""Every command-line entry point stops quietly when its reader closes the pipe (``| head``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from projects import installed_command, make_project

SIGPIPE_STATUS = 141  # what a shell reports for a program killed by SIGPIPE


def _run_with_closed_stdout(argv: List[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``argv`` with a stdout pipe whose reader is gone before the program writes."""
    process = subprocess.Popen(argv, cwd=str(cwd), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # type: ignore[union-attr]
    stderr = process.stderr.read()  # type: ignore[union-attr]
    process.wait(timeout=120)
    return subprocess.CompletedProcess(argv, process.returncode, "", stderr)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = make_project(tmp_path / "p", config="num_epoch: 1\nseed: 0\n")
    (project / "logs" / "1" / "metadata").mkdir(parents=True)
    (project / "logs" / "1" / "metadata" / "info.yaml").write_text("status: COMPLETE\n")
    (project / "script.sh").write_text("#!/bin/bash\n#SBATCH --time=1\npython main.py seed=1,2\n")
    return project


@pytest.mark.parametrize("command", [
    pytest.param(["main.py", "--help"], id="launcher-help"),
    pytest.param(["main.py", "--dry-run", "seed=range(0,100000)"], id="launcher-dry-run"),
    pytest.param(["main.py", "--cfg", "seed=1,2"], id="launcher-cfg"),
    pytest.param(["mlxp", "status", "logs"], id="mlxp-status"),
    pytest.param(["mlxp", "ls"], id="mlxp-ls"),
    pytest.param(["mlxp", "show", "1"], id="mlxp-show"),
    pytest.param(["mlxp", "diff", "1", "logs/1"], id="mlxp-diff"),
    pytest.param(["mlxpsub", "--help"], id="mlxpsub-help"),
    pytest.param(["mlxpsub", "--dry-run", "script.sh"], id="mlxpsub-dry-run"),
])
def test_a_closed_pipe_ends_the_command_quietly(project: Path, command: List[str]) -> None:
    if command[0] == "main.py":
        argv = [sys.executable, *command]
    else:
        argv = [installed_command(command[0]), *command[1:]]
    result = _run_with_closed_stdout(argv, project)
    assert result.returncode == SIGPIPE_STATUS, result.stderr
    assert result.stderr == ""
