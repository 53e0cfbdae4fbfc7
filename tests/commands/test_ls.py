"""``mlxp ls``: the runs as a table, as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commands.conftest import mlxp, table


def test_ls_shows_the_varying_keys_and_the_last_metrics(project: Path) -> None:
    result = mlxp(project, "ls")
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert rows[0] == ["id", "status", "duration", "api_key", "note", "optimizer.lr", "seed",
                       "train.epoch", "train.loss"]
    assert rows[1] == ["1", "COMPLETE", "1m00s", "****", "plain", "0.1", "1", "4", "1.2"]
    assert rows[4][:2] == ["4", "FAILED"]
    assert result.stdout.splitlines()[-1] == "4 runs: 3 COMPLETE, 1 FAILED"


def test_ls_takes_a_logdir_a_query_columns_and_a_sort(project: Path) -> None:
    result = mlxp(project.parent, "ls", str(project / "logs"), "--where", "config.seed == 1",
                  "--columns", "id,optimizer.lr", "-c", "train.loss:max", "--sort", "optimizer.lr")
    assert result.returncode == 0, result.stderr
    assert table(result.stdout) == [["id", "optimizer.lr", "train.loss:max"],
                                    ["3", "0.01", "1.1"], ["1", "0.1", "2.0"]]
    assert result.stdout.splitlines()[-1] == "2 runs of 4: 2 COMPLETE"
    descending = mlxp(project, "ls", "-c", "id", "--sort=-train.loss")
    assert [row[0] for row in table(descending.stdout)[1:]] == ["2", "4", "1", "3"]
    assert table(mlxp(project, "ls", "-c", "id", "--sort", "id", "-r").stdout)[1][0] == "4"


def test_ls_fits_the_terminal_width(project: Path) -> None:
    result = mlxp(project, "ls", env={"COLUMNS": "40"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 40 for line in lines[:-1])
    assert lines[0].split()[:2] == ["id", "status"]
    assert "more columns did not fit the terminal" in lines[-1]


def test_ls_prints_control_characters_of_a_run_as_escapes(project: Path) -> None:
    result = mlxp(project, "ls", "-c", "id,note")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[31mred" in result.stdout


@pytest.mark.parametrize("args, words, code", [
    pytest.param(["ls", "nowhere"], "no such directory: nowhere", 2, id="no-logdir"),
    pytest.param(["ls", "--where", "config.seed =="], "", 2, id="bad-query"),
    pytest.param(["ls", "-c", "optimizer.lrr"], "did you mean optimizer.lr", 2, id="bad-column"),
])
def test_ls_errors_are_one_line(project: Path, args: list, words: str, code: int) -> None:
    result = mlxp(project, *args)
    assert result.returncode == code
    assert result.stderr.startswith("mlxp: error: ") and words in result.stderr
    assert "Traceback" not in result.stderr


def test_ls_of_an_empty_query_says_so(project: Path) -> None:
    result = mlxp(project, "ls", "--where", "config.seed == 7")
    assert result.returncode == 0 and result.stdout.startswith("no runs in ./logs match")
