"""A log directory of a small sweep, written as the launcher lays runs out, for the commands."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import List, Optional

import pytest

from projects import installed_command
from tests.reader.runs import make_run

ANSI_VALUE = "\x1b[31mred\x1b]0;pwned\x07"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``logs/1..4``: lr 0.1/0.01 x seed 1/2 (run 4 FAILED), plus a secret and an ANSI value."""
    logs = tmp_path / "logs"
    points = [(0.1, 1), (0.1, 2), (0.01, 1), (0.01, 2)]
    for log_id, (lr, seed) in enumerate(points, start=1):
        failed = log_id == 4
        make_run(str(logs), log_id,
                 config={"optimizer": {"lr": lr}, "seed": seed, "api_key": f"sk-{log_id}",
                         "note": ANSI_VALUE if log_id == 2 else "plain"},
                 info={"status": "FAILED" if failed else "COMPLETE",
                       "error": "FloatingPointError: diverged" if failed else None,
                       "config_from_env": ["api_key"], "duration_seconds": 60.0 * log_id},
                 metrics={"train": [{"epoch": e, "loss": lr * 10 / (e + 1) + seed}
                                    for e in range(5 if not failed else 2)]})
    return tmp_path


def mlxp(project: Path, *args: str, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run the installed ``mlxp`` command in ``project`` as a user would."""
    full_env = {name: value for name, value in os.environ.items() if name != "COLUMNS"}
    full_env.update(env or {})
    return subprocess.run([installed_command("mlxp"), *args], cwd=project, env=full_env,
                          capture_output=True, text=True, timeout=120)


def table(stdout: str) -> List[List[str]]:
    """The table's rows (header first), without the summary line."""
    return [line.split() for line in stdout.splitlines()[:-1]]
