"""``mlxp rerun DIR --sweep ID`` / ``--query Q``: what a local sweep did not finish, run again."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from projects import make_project, read_yaml, run_main
from test_parallel import TASK, _drive, _info, _mark, _runs
from test_process import needs_pid_namespace


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p", main=TASK, config="seed: 0\n")


def mlxp(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlxp", *args], cwd=str(project),
                          capture_output=True, text=True, timeout=120)


@needs_pid_namespace
def test_the_failed_and_never_started_points_of_an_interrupted_sweep_run_again(
    project: Path
) -> None:
    _mark(project, block_2="", block_3="")
    _drive(project, ["seed=1,2,3,4,5,6", "-j", "2"], ["started_2", "started_3"], signal.SIGINT)
    sweep_id = _info(project, 1)["sweep_id"]
    before = [(project / "logs" / n / "metadata" / "info.yaml").read_text() for n in "123"]
    for name in ("block_2", "block_3"):
        (project / name).unlink()
    preview = mlxp(project, "rerun", "logs", "--sweep", sweep_id, "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.splitlines() == [f"[{n}/5] seed={n + 1}" for n in range(1, 6)]
    assert _runs(project) == ["1", "2", "3"]  # a dry run writes nothing
    done = mlxp(project, "rerun", "logs", "--sweep", sweep_id, "-j", "2")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "5 runs: 5 COMPLETE"
    assert _runs(project) == ["1", "2", "3", "4", "5", "6", "7", "8"]
    assert [_info(project, n)["overrides"] for n in range(4, 9)] == [
        [f"seed={seed}"] for seed in range(2, 7)]
    assert {_info(project, n)["sweep_id"] for n in range(4, 9)} == {sweep_id}
    assert all(_info(project, n)["status"] == "COMPLETE" for n in range(4, 9))
    assert [(project / "logs" / n / "metadata" / "info.yaml").read_text()
            for n in "123"] == before  # the interrupted runs are kept as they were
    again = mlxp(project, "rerun", "logs", "--sweep", sweep_id)
    assert again.returncode == 0 and "nothing to run again" in again.stderr
    assert len(_runs(project)) == 8


@needs_pid_namespace
def test_a_sweep_still_running_is_not_run_again(project: Path) -> None:
    _mark(project, block_2="")
    sweep_id = "20261201-120000-abcdef"
    result = _drive(project, ["seed=1,2,3", "-j", "2"], ["started_2"], signal.SIGTERM,
                    middle=["rerun", "logs", "--sweep", sweep_id], sweep_id=sweep_id)
    assert result["code"] == 143
    middle = result["middle"]
    assert middle["code"] == 2 and "is still running (process" in middle["stderr"], middle
    assert _runs(project) in (["1", "2"], ["1", "2", "3"])  # point 3 starts once 1 ends
    assert _info(project, 2)["sweep_id"] == sweep_id


def test_a_query_selects_failed_runs_to_run_again(project: Path) -> None:
    _mark(project, fail_2="", exit_3="")
    first = run_main(project, "seed=1,2,3", "-j", "2")
    assert first.returncode == 1
    (project / "fail_2").unlink()
    done = mlxp(project, "rerun", "logs", "--query", "info.status == 'FAILED' & config.seed == 2")
    assert done.returncode == 0, done.stderr
    assert _runs(project) == ["1", "2", "3", "4"]
    assert (_info(project, 4)["status"], _info(project, 4)["overrides"]) == ("COMPLETE", ["seed=2"])
    assert _info(project, 4)["sweep_id"] == _info(project, 1)["sweep_id"]


def test_a_sequential_sweep_can_be_rerun_too(project: Path) -> None:
    _mark(project, exit_2="")
    assert run_main(project, "seed=1,2").returncode == 1
    (project / "exit_2").unlink()
    done = mlxp(project, "rerun", "--sweep", _info(project, 1)["sweep_id"])
    assert done.returncode == 0, done.stderr
    assert (_info(project, 3)["status"], _info(project, 3)["overrides"]) == ("COMPLETE", ["seed=2"])


@pytest.mark.parametrize("args, code, words", [
    pytest.param(["rerun", "logs", "--sweep", "20990101-000000-abcdef"], 2,
                 "no local sweep '20990101-000000-abcdef'", id="unknown-sweep"),
    pytest.param(["rerun", "logs"], 2,
                 "one of the arguments --sweep/-s --where/--query/-q is required",
                 id="nothing-chosen"),
    pytest.param(["rerun", "logs", "--sweep", "x", "--query", "y"], 2, "not allowed with",
                 id="both"),
    pytest.param(["rerun", "nowhere", "--sweep", "x"], 2, "no such directory: nowhere",
                 id="no-directory"),
    pytest.param(["rerun", "logs", "--query", "info.status == 'FAILED'", "-j", "0"], 2,
                 "mlxp.launcher.jobs must be", id="bad-jobs"),
])
def test_rerun_errors_are_one_line(project: Path, args: List[str], code: int, words: str) -> None:
    _mark(project, fail_2="")
    run_main(project, "seed=1,2")
    result = mlxp(project, *args)
    assert result.returncode == code
    assert result.stderr.startswith("mlxp: error: ") and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and _runs(project) == ["1", "2"]
