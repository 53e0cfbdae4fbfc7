"""README.md gives exactly two commands for a fresh clone, and CI runs the second."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _console_commands() -> list:
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_has_an_example_command_and_a_test_command() -> None:
    commands = _console_commands()
    assert len(commands) == 2
    assert "examples/quickstart" in commands[0] and "main.py" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    assert _console_commands()[1] in (REPO / ".ci" / "run").read_text().splitlines()
