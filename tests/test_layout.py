"""Listing run directories: which names are runs, which are taken, and damaged entries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlxp import _layout

from projects import make_project, run_main


@pytest.mark.parametrize(
    "name, is_run",
    [
        pytest.param("1", True, id="one"),
        pytest.param("99", True, id="two-digits"),
        pytest.param("0", True, id="zero"),
        pytest.param("0099", False, id="leading-zeros"),
        pytest.param("00", False, id="zeros"),
        pytest.param("\u0663", False, id="arabic-indic-three"),
        pytest.param("\u00b2", False, id="superscript-two"),
        pytest.param("1a", False, id="letter"),
        pytest.param("-1", False, id="minus"),
        pytest.param("+1", False, id="plus"),
        pytest.param(" 1", False, id="blank"),
        pytest.param("", False, id="empty"),
    ],
)
def test_run_directory_names(name: str, is_run: bool) -> None:
    assert _layout.is_run_dir_name(name) is is_run


def damaged_parent(parent: Path) -> None:
    for name in ("1", "2", "0099", "\u0663", "abc"):
        (parent / name).mkdir()
    os.symlink("5", parent / "5")  # a loop
    os.symlink("nowhere", parent / "7")
    (parent / "9").write_text("a file")


def test_every_name_like_a_log_id_is_taken(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    damaged_parent(tmp_path)
    assert sorted(_layout.run_ids(str(tmp_path))) == [1, 2, 5, 7, 9]
    assert sorted(capsys.readouterr().err.splitlines()) == [
        f"mlxp: warning: {tmp_path / '5'}: cannot be read: Too many levels of symbolic links;"
        " new runs are numbered after it",
        f"mlxp: warning: {tmp_path / '7'}: not a run directory: a symbolic link to nothing;"
        " new runs are numbered after it",
        f"mlxp: warning: {tmp_path / '9'}: not a run directory: not a directory;"
        " new runs are numbered after it",
    ]
    assert _layout.allocate_run_dir(str(tmp_path)) == (10, str(tmp_path / "10"))


def test_listing_gives_the_run_directories_and_what_is_wrong_with_the_rest(tmp_path: Path) -> None:
    damaged_parent(tmp_path)
    problems: dict = {}
    listed = list(_layout.iter_run_dirs(str(tmp_path), problems))
    assert listed == [(1, str(tmp_path / "1")), (2, str(tmp_path / "2"))]
    assert problems == {
        str(tmp_path / "0099"): "not a run directory: log ids have no leading zeros"
        " (run 99 is '99')",
        str(tmp_path / "5"): "cannot be read: Too many levels of symbolic links",
        str(tmp_path / "7"): "not a run directory: a symbolic link to nothing",
        str(tmp_path / "9"): "not a run directory: not a directory",
    }
    assert list(_layout.iter_run_dirs(str(tmp_path / "missing"))) == []


def test_a_launch_allocates_past_a_symbolic_link_loop(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert run_main(project).returncode == 0
    os.symlink("2", project / "logs" / "2")
    result = run_main(project)
    assert result.returncode == 0, result.stderr
    assert (project / "logs" / "3" / "metadata" / "info.yaml").is_file()
    assert [line for line in result.stderr.splitlines() if "warning" in line] == [
        "mlxp: warning: logs/2: cannot be read: Too many levels of symbolic links;"
        " new runs are numbered after it"
    ]
    assert os.readlink(project / "logs" / "2") == "2"
