"""Damaged or hostile log directories: each damaged run is reported once, the rest is read.

Cases that would block a Reader forever (a FIFO, ``/dev/zero``) run the Reader in a child
process with a timeout, so that a regression fails instead of hanging. Tests run as root,
which reads files of any mode; permission cases run their Reader as ``nobody``.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from mlxp.reader import Reader

from .runs import make_run, write_file

CHILD_TIMEOUT = 60

CHILD = textwrap.dedent("""
    import json, sys, warnings
    from mlxp.reader import Reader
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader = Reader(sys.argv[1])
        losses = {row["info.logger.log_id"]: row.get("train.loss") for row in reader.filter()}
        again = [row.get("train.loss") for row in reader.filter()]  # reported already
    print(json.dumps({"losses": losses, "skipped": reader.skipped, "problems": reader.problems,
                      "warnings": [str(w.message) for w in caught]}))
""")


def as_nobody(command: List[str]) -> List[str]:
    nobody = pwd.getpwnam("nobody")
    return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
            *command]


def read_in_child(parent: Path, unprivileged: bool = False) -> Dict[str, Any]:
    """Run a Reader over ``parent`` in a child process (as nobody if ``unprivileged``), load
    every run's ``train.loss``, and return what it found and warned."""
    command = [sys.executable, "-c", CHILD, str(parent)]
    if unprivileged:
        command = as_nobody(command)
    result = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    assert result.returncode == 0, result.stderr
    found: Dict[str, Any] = json.loads(result.stdout)
    found["losses"] = {int(log_id): loss for log_id, loss in found["losses"].items()}
    return found


def three_runs(parent: Path) -> None:
    for log_id in (1, 2, 3):
        make_run(str(parent), log_id, config={"seed": log_id},
                 metrics={"train": [{"loss": 1.0}, {"loss": 0.5}]})


def only_warning(caught: List[warnings.WarningMessage]) -> str:
    assert len(caught) == 1, [str(w.message) for w in caught]
    return str(caught[0].message)


# --- entries of the parent directory -------------------------------------------------------------


def test_symbolic_link_loop_is_skipped_with_one_warning(tmp_path: Path) -> None:
    three_runs(tmp_path)
    os.symlink("4", tmp_path / "4")
    with pytest.warns(UserWarning) as caught:
        reader = Reader(str(tmp_path))
    message = only_warning(caught.list)
    assert message.startswith("skipped 1 run directory that could not be read")
    assert f"{tmp_path / '4'}: cannot be read: Too many levels of symbolic links" in message
    assert len(reader) == 3 and list(reader.skipped) == [str(tmp_path / "4")]


def test_entries_named_like_runs_that_are_not_directories_are_reported(tmp_path: Path) -> None:
    three_runs(tmp_path)
    write_file(str(tmp_path / "7"), "a file")
    os.symlink("nowhere", tmp_path / "9")
    with pytest.warns(UserWarning):
        reader = Reader(str(tmp_path))
    assert reader.skipped == {
        str(tmp_path / "7"): "not a run directory: not a directory",
        str(tmp_path / "9"): "not a run directory: a symbolic link to nothing",
    }


def test_a_name_with_leading_zeros_is_not_a_run(tmp_path: Path) -> None:
    make_run(str(tmp_path), 99, config={"seed": 99})
    shutil.copytree(tmp_path / "99", tmp_path / "0099")
    (tmp_path / "0099" / "metadata" / "config.yaml").write_text("seed: 1\n")
    with pytest.warns(UserWarning) as caught:
        reader = Reader(str(tmp_path))
    assert [row["config.seed"] for row in reader.filter()] == [99]
    assert [row.log_dir for row in reader.filter()] == [str(tmp_path / "99")]
    assert str(tmp_path / "0099") in only_warning(caught.list)
    reason = reader.skipped[str(tmp_path / "0099")]
    assert reason == "not a run directory: log ids have no leading zeros (run 99 is '99')"


def test_names_of_other_digits_are_not_runs(tmp_path: Path) -> None:
    three_runs(tmp_path)
    for name in ("\u00b2", "\u0663"):  # superscript two (int() refuses it), Arabic-Indic three
        make_run(str(tmp_path), 1, config={"seed": name})
        os.rename(tmp_path / "1", tmp_path / name)
    three_runs(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reader = Reader(str(tmp_path))
    assert [row["config.seed"] for row in reader.filter()] == [1, 2, 3]


def test_mlxp_status_lists_the_runs_beside_a_symbolic_link_loop(tmp_path: Path) -> None:
    from projects import installed_command

    logs = tmp_path / "logs"
    three_runs(logs)
    os.symlink("4", logs / "4")
    result = subprocess.run([installed_command("mlxp"), "status", "logs"], cwd=str(tmp_path),
                            capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()[1:4]] == ["1", "2", "3"]
    warning_lines = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warning_lines == ["mlxp: warning: skipped 1 run directory that could not be read:"]
    assert "4: cannot be read: Too many levels of symbolic links" in result.stderr


# --- files of a run ------------------------------------------------------------------------------


def test_unreadable_metrics_files_give_empty_columns_and_one_warning_each(tmp_path: Path) -> None:
    three_runs(tmp_path)
    (tmp_path / "2" / "metrics" / "train.json").unlink()
    (tmp_path / "2" / "metrics" / "train.json").mkdir()
    (tmp_path / "3" / "metrics" / "train.json").unlink()
    os.symlink("train.json", tmp_path / "3" / "metrics" / "train.json")
    reader = Reader(str(tmp_path))
    with pytest.warns(UserWarning) as caught:
        assert reader.filter()["train.loss"] == [[1.0, 0.5], [], []]
    messages = sorted(str(w.message) for w in caught)
    assert messages == [
        f"{tmp_path / '2' / 'metrics' / 'train.json'}: cannot be read (a directory, not a"
        " regular file): its train.* columns are empty",
        f"{tmp_path / '3' / 'metrics' / 'train.json'}: cannot be read (Too many levels of"
        " symbolic links): its train.* columns are empty",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per Reader, not once per access
        assert reader.filter()["train.loss"] == [[1.0, 0.5], [], []]
    assert sorted(reader.problems) == [
        str(tmp_path / "2" / "metrics" / "train.json"),
        str(tmp_path / "3" / "metrics" / "train.json"),
    ]


def test_fifo_and_device_metrics_files_are_not_opened(tmp_path: Path) -> None:
    three_runs(tmp_path)
    (tmp_path / "2" / "metrics" / "train.json").unlink()
    os.mkfifo(tmp_path / "2" / "metrics" / "train.json")
    (tmp_path / "3" / "metrics" / "train.json").unlink()
    os.symlink("/dev/zero", tmp_path / "3" / "metrics" / "train.json")
    found = read_in_child(tmp_path)
    assert found["losses"] == {1: [1.0, 0.5], 2: [], 3: []}
    assert sorted(found["warnings"]) == [
        f"{tmp_path / '2' / 'metrics' / 'train.json'}: cannot be read (a FIFO, not a regular"
        " file): its train.* columns are empty",
        f"{tmp_path / '3' / 'metrics' / 'train.json'}: cannot be read (a character device,"
        " not a regular file): its train.* columns are empty",
    ]


def test_fifo_and_device_metadata_files_skip_the_run(tmp_path: Path) -> None:
    three_runs(tmp_path)
    (tmp_path / "2" / "metadata" / "info.yaml").unlink()
    os.mkfifo(tmp_path / "2" / "metadata" / "info.yaml")
    (tmp_path / "3" / "metadata" / "config.yaml").unlink()
    os.symlink("/dev/zero", tmp_path / "3" / "metadata" / "config.yaml")
    found = read_in_child(tmp_path)
    assert found["losses"] == {1: [1.0, 0.5]}
    assert found["skipped"] == {
        str(tmp_path / "2"): "metadata/info.yaml: a FIFO, not a regular file",
        str(tmp_path / "3"): "metadata/config.yaml: a character device, not a regular file",
    }
    assert len(found["warnings"]) == 1


def test_a_fifo_as_key_file_or_index_does_not_block(tmp_path: Path) -> None:
    three_runs(tmp_path)
    keys = tmp_path / "2" / "metrics" / ".keys" / "metrics.yaml"
    keys.unlink()
    os.mkfifo(keys)
    os.mkfifo(tmp_path / ".mlxp_index.json")
    found = read_in_child(tmp_path)
    assert found["losses"] == {1: [1.0, 0.5], 2: None, 3: [1.0, 0.5]}
    assert found["problems"] == {
        str(tmp_path / "2"): "metrics/.keys/metrics.yaml: a FIFO, not a regular file;"
        " its metric columns are missing"
    }


@pytest.mark.parametrize("legacy", [False, True], ids=["ours", "mlxp105"])
def test_a_corrupt_key_file_keeps_the_run(tmp_path: Path, legacy: bool) -> None:
    for log_id in (1, 2):
        make_run(str(tmp_path), log_id, config={"seed": log_id}, legacy=legacy,
                 metrics={"train": [{"loss": 1.0}], "eval": [{"acc": 0.5}]})
    keys_dir = tmp_path / "2" / "metrics" / ".keys"
    broken = keys_dir / ("train.yaml" if legacy else "metrics.yaml")
    good_keys = broken.read_text()
    write_file(str(broken), "[unclosed\n")
    with pytest.warns(UserWarning) as caught:
        reader = Reader(str(tmp_path))
    message = only_warning(caught.list)
    assert message.startswith(f"read 1 run directory in part:\n  {tmp_path / '2'}: metrics/.keys/")
    assert message.endswith("; its metric columns are missing")
    rows = reader.filter()
    assert [row["config.seed"] for row in rows] == [1, 2]
    assert "train.loss" not in rows[1]
    assert ("eval.acc" in rows[1]) is legacy  # a legacy run keeps the other key files' columns
    write_file(str(broken), good_keys)  # repaired: the next Reader reads the run again
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Reader(str(tmp_path)).filter()["train.loss"] == [[1.0], [1.0]]


def test_a_corrupt_artifact_key_file_keeps_the_metrics(tmp_path: Path) -> None:
    make_run(str(tmp_path), 1, config={"seed": 1}, metrics={"train": [{"loss": 1.0}]},
             artifacts={"pickle": {"model.pkl": 1}})
    write_file(str(tmp_path / "1" / "artifacts" / ".keys" / "artifacts.yaml"), "{a: [\n")
    with pytest.warns(UserWarning, match="artifact columns are missing"):
        row = Reader(str(tmp_path)).filter()[0]
    assert row["train.loss"] == [1.0] and not [key for key in row if key.startswith("artifact.")]


def test_metadata_nested_too_deeply_for_the_stack_skips_the_run(tmp_path: Path) -> None:
    three_runs(tmp_path)
    # Too deep for Python's stack if it were built: the YAML reader stops at 100 levels.
    deep = "".join(" " * level + "k:\n" for level in range(900)) + " " * 900 + "k: 1\n"
    write_file(str(tmp_path / "2" / "metadata" / "config.yaml"), deep)
    with pytest.warns(UserWarning):
        reader = Reader(str(tmp_path))
    assert list(reader.skipped) == [str(tmp_path / "2")]
    assert "nest deeper than 100 levels" in reader.skipped[str(tmp_path / "2")]


def test_a_run_repaired_in_place_is_read_again(tmp_path: Path) -> None:
    three_runs(tmp_path)
    info = tmp_path / "2" / "metadata" / "info.yaml"
    text = info.read_text()
    info.unlink()
    info.mkdir()
    with pytest.warns(UserWarning, match="a directory, not a regular file"):
        Reader(str(tmp_path))
    info.rmdir()
    write_file(str(info), text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(Reader(str(tmp_path))) == 3


# --- permissions (root reads everything: the Reader runs as nobody) ----------------------------


@pytest.fixture
def shared_logs() -> Iterator[Path]:
    """A parent log directory that ``nobody`` can write to (``tmp_path`` is root's alone)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to read as another user")
    root = Path(tempfile.mkdtemp(prefix="mlxp-reader-"))
    try:
        root.chmod(0o755)
        logs = root / "logs"
        three_runs(logs)
        nobody = pwd.getpwnam("nobody")
        os.chown(logs, nobody.pw_uid, nobody.pw_gid)
        probe = subprocess.run(as_nobody([sys.executable, "-c", "import mlxp"]),
                               capture_output=True)
        if probe.returncode != 0:
            pytest.skip("nobody cannot import mlxp from this checkout")
        yield logs
    finally:
        shutil.rmtree(root)


def test_unreadable_runs_are_reported_and_read_again_once_readable(shared_logs: Path) -> None:
    (shared_logs / "1" / "metadata" / "info.yaml").chmod(0o000)
    (shared_logs / "2").chmod(0o000)
    (shared_logs / "3" / "metrics" / "train.json").chmod(0o000)
    found = read_in_child(shared_logs, unprivileged=True)
    assert found["losses"] == {3: []}
    assert found["skipped"] == {
        str(shared_logs / "1"): "metadata/info.yaml: Permission denied",
        str(shared_logs / "2"): "metadata: Permission denied",
    }
    assert found["problems"][str(shared_logs / "3" / "metrics" / "train.json")] == (
        "cannot be read (Permission denied): its train.* columns are empty"
    )
    assert len(found["warnings"]) == 2  # the skipped runs together, then the metrics file
    (shared_logs / "1" / "metadata" / "info.yaml").chmod(0o644)
    (shared_logs / "2").chmod(0o755)
    (shared_logs / "3" / "metrics" / "train.json").chmod(0o644)
    found = read_in_child(shared_logs, unprivileged=True)
    assert found["losses"] == {1: [1.0, 0.5], 2: [1.0, 0.5], 3: [1.0, 0.5]}
    assert found["warnings"] == []


def test_a_parent_directory_that_cannot_be_listed_is_one_error_line(shared_logs: Path) -> None:
    from projects import installed_command

    shared_logs.chmod(0o000)
    result = subprocess.run(as_nobody([installed_command("mlxp"), "status", "logs"]),
                            cwd=str(shared_logs.parent), capture_output=True, text=True,
                            timeout=CHILD_TIMEOUT)
    assert (result.returncode, result.stderr) == (
        1, f"mlxp: error: cannot list {shared_logs}: Permission denied\n"
    )
