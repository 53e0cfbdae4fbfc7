"""``mlxp show RUN`` and ``mlxp diff RUN RUN...``, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commands.conftest import mlxp, table


def test_show_prints_status_error_config_metrics_and_files(project: Path) -> None:
    result = mlxp(project, "show", "4")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    words = [line.split() for line in out.splitlines()]
    assert out.startswith("run 4  logs/4\n")
    assert ["status", "FAILED"] in words and ["duration", "4m00s"] in words
    assert "error\n  FloatingPointError: diverged" in out
    assert ["optimizer.lr", "0.01"] in words
    assert ["train.loss", "2.05", "/", "2.05", "/", "2.1", "(2)"] in words
    assert ["info", "logs/4/metadata/info.yaml"] in words


def test_show_masks_secrets_and_escapes_control_characters(project: Path) -> None:
    result = mlxp(project, "show", "logs/2")
    assert result.returncode == 0, result.stderr
    assert ["api_key", "****"] in [line.split() for line in result.stdout.splitlines()]
    assert "sk-2" not in result.stdout
    assert "\x1b" not in result.stdout and "\\x1b]0;pwned\\x07" in result.stdout


def test_show_takes_a_run_directory_anywhere(project: Path) -> None:
    result = mlxp(project.parent, "show", str(project / "logs" / "1"))
    assert result.returncode == 0 and "optimizer.lr  0.1" in result.stdout


@pytest.mark.parametrize("args, words", [
    pytest.param(["show", "9"], "no run 9 in ./logs", id="unknown-id"),
    pytest.param(["show", "logs"], "'logs' is not a run directory", id="parent"),
    pytest.param(["show", "3", "--logdir", "elsewhere"], "no directory elsewhere", id="logdir"),
    pytest.param(["diff", "1"], "two runs or more", id="diff-one-run"),
])
def test_run_arguments_that_name_no_run_are_one_line_errors(project: Path, args: list,
                                                           words: str) -> None:
    result = mlxp(project, *args)
    assert result.returncode == 2 and result.stderr.startswith("mlxp: error: ")
    assert words in result.stderr and result.stderr.count("\n") == 1


def test_diff_prints_only_the_keys_that_differ(project: Path) -> None:
    result = mlxp(project, "diff", "1", "3", "logs/2")
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert rows[0] == ["key", "logs/1", "logs/3", "logs/2"]
    assert [row[0] for row in rows[1:]] == ["note", "optimizer.lr", "seed"]
    assert rows[2] == ["optimizer.lr", "0.1", "0.01", "0.1"]
    assert result.stdout.splitlines()[-1] == "3 config keys differ"
    assert "sk-" not in result.stdout and "\x1b" not in result.stdout


def test_diff_of_runs_that_agree_says_so(project: Path) -> None:
    result = mlxp(project, "diff", "1", "logs/1")
    assert result.stdout == "no config key differs between logs/1, logs/1\n"
