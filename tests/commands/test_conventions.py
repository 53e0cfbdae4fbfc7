"""What every ``mlxp`` subcommand shares: LOGDIR/RUN/--where, escaped run texts, --help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.commands.conftest import ANSI_VALUE, mlxp
from tests.reader.runs import make_run, write_file


def test_help_lists_every_command(project: Path) -> None:
    result = mlxp(project, "--help")
    assert result.returncode == 0
    for command in ("ls", "show", "diff", "plot", "status", "cancel"):
        assert f"    {command}" in result.stdout


def test_python_dash_m_mlxp_is_the_same_command(project: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "mlxp", "ls", "-c", "id"], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.splitlines()[1] == "1"


def test_status_escapes_a_runs_control_characters_and_takes_where(project: Path) -> None:
    make_run(str(project / "logs"), 5, config={}, info={"status": "FAILED", "error": ANSI_VALUE})
    result = mlxp(project, "status", "--where", "info.status == 'FAILED'")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\\x1b[31mred" in result.stdout
    assert [line.split()[0] for line in result.stdout.splitlines()[1:-1]] == ["4", "5"]


def test_a_damaged_run_is_listed_as_such_with_a_warning(project: Path) -> None:
    write_file(str(project / "logs" / "5" / "metadata" / "info.yaml"), "status: [\n")
    result = mlxp(project, "ls", "-c", "id,status")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[5].split() == ["5", "DAMAGED"]
    assert result.stderr.startswith("mlxp: warning: ") and "logs/5" in result.stderr


def test_a_warning_quoting_a_run_is_escaped_too(project: Path) -> None:
    bad = project / "logs" / "6" / "metadata"
    write_file(str(bad / "info.yaml"), "status: [\x1b[2J\n")
    result = mlxp(project, "ls", "-c", "id")
    assert "\x1b" not in result.stderr


def test_show_of_a_damaged_run_says_what_is_wrong(project: Path) -> None:
    write_file(str(project / "logs" / "5" / "metadata" / "info.yaml"), "status: [\n")
    result = mlxp(project, "show", "5")
    assert result.returncode == 0, result.stderr
    words = [line.split() for line in result.stdout.splitlines()]
    assert ["status", "DAMAGED"] in words
    assert any(line[:1] == ["problem"] and "info.yaml" in " ".join(line) for line in words)
