"""Reusing a run directory: refused when it holds data, continued with ``resume=True``."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mlxp._yaml import dump_yaml
from mlxp.errors import RunDirectoryError
from mlxp.logger import Logger, read_run_config
from mlxp.reader import Reader
from projects import read_yaml


def info_of(run: Path) -> dict:
    return read_yaml(run / "metadata" / "info.yaml")


def epochs(run: Path, log_name: str = "train", where: str = "metrics") -> list:
    path = run / where / f"{log_name}.json"
    return [json.loads(line)["epoch"] for line in path.read_text().splitlines()]


@pytest.fixture
def finished_run(tmp_path: Path) -> Path:
    """Run 1: two epochs logged, a custom info field, FAILED, started long ago."""
    with pytest.raises(ValueError):
        with Logger(str(tmp_path / "logs"), info={"overrides": ["lr=0.1"]}) as logger:
            logger.update_info(note="first session", start_date="01/01/2020", start_time="00:00:01")
            logger.log_metrics({"epoch": 0})
            logger.log_metrics({"epoch": 1})
            logger.log_metrics({"epoch": 0}, log_name="valid")
            raise ValueError("preempted")
    return tmp_path / "logs" / "1"


def test_reusing_a_run_with_metrics_is_refused_and_says_how_to_fix(finished_run: Path) -> None:
    before = (finished_run / "metadata" / "info.yaml").read_text()
    with pytest.raises(RunDirectoryError) as caught:
        Logger(str(finished_run.parent), forced_log_id=1)
    message = str(caught.value)
    assert "mlxp.resume=true" in message and "forced_log_id" in message and "FAILED" in message
    assert caught.value.path == str(finished_run)
    assert (finished_run / "metadata" / "info.yaml").read_text() == before


def test_reusing_a_run_with_only_artifacts_is_refused(tmp_path: Path) -> None:
    Logger(str(tmp_path)).log_checkpoint({"epoch": 0})
    with pytest.raises(RunDirectoryError):
        Logger(str(tmp_path), forced_log_id=1)


def test_a_submitted_jobs_directory_is_reused_keeping_the_scheduler(tmp_path: Path) -> None:
    run = tmp_path / "logs" / "4"
    (run / "metadata").mkdir(parents=True)
    (run / "script.sh").write_text("#!/bin/bash\n")
    (run / "metadata" / "config.yaml").write_text("lr: 0.1\n")
    scheduler = {"name": "slurm", "job_id": "1234"}
    (run / "metadata" / "info.yaml").write_text(
        dump_yaml({"status": "STARTING", "scheduler": scheduler, "overrides": ["lr=0.1"]}))
    logger = Logger(str(tmp_path / "logs"), forced_log_id=4, info={"scheduler": None, "overrides": ["lr=0.1"]})
    info = info_of(run)
    assert info["status"] == "RUNNING" and info["scheduler"] == scheduler
    assert "resumes" not in info
    assert logger.log_dir == str(run) and (run / "script.sh").exists()
    assert read_run_config(str(run)) == {"lr": 0.1}


def test_resume_keeps_the_previous_info(finished_run: Path) -> None:
    previous = info_of(finished_run)
    with Logger(str(finished_run.parent), forced_log_id=1, resume=True,
                info={"overrides": ["mlxp.resume=true"]}):
        info = info_of(finished_run)
        assert info["status"] == "RUNNING" and info["resumes"] == 1
        assert info["error"] is None and info["end_date"] is None
        assert (info["start_date"], info["start_time"]) == ("01/01/2020", "00:00:01")
        assert info["note"] == "first session" and info["overrides"] == ["lr=0.1"]
        assert list(info)[: len(previous)] == list(previous)
    Logger(str(finished_run.parent), forced_log_id=1, resume=True).finish()
    assert info_of(finished_run)["resumes"] == 2 and info_of(finished_run)["status"] == "COMPLETE"


def test_resume_with_a_checkpoint_appends_metrics(tmp_path: Path) -> None:
    with Logger(str(tmp_path)) as logger:
        logger.log_metrics({"epoch": 0})
        logger.log_checkpoint({"epoch": 0})
    run = Path(logger.log_dir)
    with Logger(str(tmp_path), forced_log_id=1, resume=True) as resumed:
        resumed.log_metrics({"epoch": 1, "acc": 0.5})
    assert epochs(run) == [0, 1]
    assert read_yaml(run / "metrics" / ".keys" / "train.yaml") == {"acc": "", "epoch": ""}
    assert "metrics_set_aside" not in info_of(run)


def test_resume_without_a_checkpoint_starts_the_metrics_over_keeping_the_old_aside(
        finished_run: Path) -> None:
    with Logger(str(finished_run.parent), forced_log_id=1, resume=True) as logger:
        logger.log_metrics({"epoch": 0, "acc": 0.5})
    attempt = "metrics/.attempt-1"
    assert epochs(finished_run) == [0] and not (finished_run / "metrics" / "valid.json").exists()
    assert epochs(finished_run, where=attempt) == [0, 1]
    assert epochs(finished_run, "valid", where=attempt) == [0]
    assert read_yaml(finished_run / attempt / ".keys" / "train.yaml") == {"epoch": ""}
    assert read_yaml(finished_run / attempt / ".keys" / "valid.yaml") == {"epoch": ""}
    assert read_yaml(finished_run / "metrics" / ".keys" / "train.yaml") == {"acc": "", "epoch": ""}
    assert info_of(finished_run)["metrics_set_aside"] == ["metrics/.attempt-1"]
    (row,) = Reader(str(finished_run.parent)).filter()  # reads the current attempt only
    assert row["train.epoch"] == [0] and row["train.acc"] == [0.5] and "valid.epoch" not in row
    Logger(str(finished_run.parent), forced_log_id=1, resume=True).finish()
    assert epochs(finished_run, where="metrics/.attempt-2") == [0]
    assert info_of(finished_run)["metrics_set_aside"] == ["metrics/.attempt-1", "metrics/.attempt-2"]


def test_load_checkpoint_finding_none_starts_the_metrics_over(tmp_path: Path) -> None:
    with Logger(str(tmp_path)) as logger:
        logger.log_metrics({"epoch": 0})
        logger.log_checkpoint({"epoch": 0}, log_name="other")
    run = Path(logger.log_dir)
    resumed = Logger(str(tmp_path), forced_log_id=1, resume=True)
    assert epochs(run) == [0]  # the run has a checkpoint: nothing set aside yet
    assert resumed.load_checkpoint() is None  # not under the name the task asks for
    assert epochs(run) == [0]  # not asked to rewind
    assert resumed.load_checkpoint(rewind_metrics=True) is None
    assert not (run / "metrics" / "train.json").exists()
    assert epochs(run, where="metrics/.attempt-1") == [0]
    assert info_of(run)["metrics_set_aside"] == ["metrics/.attempt-1"]


def test_resume_needs_a_forced_id(tmp_path: Path) -> None:
    with pytest.raises(RunDirectoryError, match="forced_log_id"):
        Logger(str(tmp_path), resume=True)


@pytest.mark.parametrize("status", [None, "STARTING"], ids=["no-run-yet", "submitted"])
def test_resume_of_a_run_that_never_ran_starts_it(tmp_path: Path, status: str) -> None:
    if status:
        (tmp_path / "3" / "metadata").mkdir(parents=True)
        (tmp_path / "3" / "metadata" / "info.yaml").write_text(dump_yaml({"status": status}))
    logger = Logger(str(tmp_path), forced_log_id=3, resume=True)
    info = info_of(Path(logger.log_dir))
    assert info["status"] == "RUNNING" and "resumes" not in info


def test_read_run_config_is_empty_without_a_config(tmp_path: Path) -> None:
    assert read_run_config(Logger(str(tmp_path)).log_dir) == {}


def test_load_checkpoint_can_rewind_the_metrics_logged_after_it(tmp_path: Path) -> None:
    logger = Logger(str(tmp_path))
    logger.log_metrics({"epoch": 0})
    logger.log_checkpoint({"epoch": 0})
    logger.log_metrics({"epoch": 1})
    logger.log_metrics({"epoch": 1}, log_name="eval")  # a log that began after the checkpoint
    run = Path(logger.log_dir)
    logger.close()
    resumed = Logger(str(tmp_path), forced_log_id=1, resume=True)
    assert resumed.load_checkpoint() == {"epoch": 0}
    assert epochs(run) == [0, 1]  # not asked to rewind: nothing cut
    assert resumed.load_checkpoint(rewind_metrics=True) == {"epoch": 0}
    assert epochs(run) == [0] and (run / "metrics" / "eval.json").read_text() == ""
    resumed.log_metrics({"epoch": 1})
    assert epochs(run) == [0, 1]


TRAIN = """
    import sys, time
    from mlxp.logger import Logger, terminate_on_signals

    with terminate_on_signals(), Logger("logs", forced_log_id=1, resume=True) as logger:
        state = logger.load_checkpoint(rewind_metrics=True) or {"epoch": -1}
        print("ready", flush=True)
        for epoch in range(state["epoch"] + 1, 60):
            time.sleep(0.002)  # an epoch's work
            logger.log_metrics({"epoch": epoch, "loss": 1.0 / (epoch + 1)})
            logger.log_checkpoint({"epoch": epoch, "weights": bytes(3_000_000)})
"""


def test_resume_after_crashes_continues_without_gaps_or_duplicates(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(textwrap.dedent(TRAIN))
    rng = random.Random(1)
    kills = 0
    while True:
        process = subprocess.Popen([sys.executable, "train.py"], cwd=str(tmp_path),
                                   stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        if kills == 8:
            assert process.wait(timeout=120) == 0
            break
        time.sleep(rng.uniform(0.02, 0.2))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
    run = tmp_path / "logs" / "1"
    assert epochs(run) == list(range(60))
    info = info_of(run)
    assert info["status"] == "COMPLETE" and info["resumes"] == 8


def test_empty_leftovers_do_not_count_as_run_data(tmp_path: Path) -> None:
    run = tmp_path / "2"
    (run / "metrics").mkdir(parents=True)
    (run / "metrics" / "train.json").write_text("")  # opened, nothing logged
    (run / "artifacts" / "numpy").mkdir(parents=True)  # a save that failed before writing
    (run / "artifacts" / "pickle").mkdir()
    (run / "artifacts" / "pickle" / ".last_ckpt.pkl.123.abcd.tmp").write_bytes(b"torn")
    assert Logger(str(tmp_path), forced_log_id=2).log_dir == str(run)


CRASHING = """
    import os, signal, sys
    from mlxp.logger import Logger

    crash_point, crash_epoch = sys.argv[1], int(sys.argv[2])
    checkpoints = crash_point != "no-checkpoints"

    def crash(point, epoch):
        if (point, epoch) == (crash_point, crash_epoch):
            os.kill(os.getpid(), signal.SIGKILL)

    class CrashWhilePickled:  # pickled after the weights: the temporary file is half written
        def __init__(self, epoch):
            self.epoch = epoch
        def __reduce__(self):
            crash("during-checkpoint", self.epoch)
            return (int, ())

    with Logger("logs", forced_log_id=1, resume=True) as logger:
        state = (checkpoints and logger.load_checkpoint(rewind_metrics=True)) or {"epoch": -1}
        for epoch in range(state["epoch"] + 1, 3):
            crash("before-metric", epoch)
            logger.log_metrics({"epoch": epoch})
            crash("between", epoch)
            crash("no-checkpoints", epoch)
            if checkpoints:
                logger.log_checkpoint({"epoch": epoch, "weights": bytes(2_000_000),
                                       "end": CrashWhilePickled(epoch)})
"""


@pytest.mark.parametrize(
    ("point", "epoch", "set_aside"),
    [
        pytest.param("before-metric", 0, [], id="before-the-first-metric"),
        pytest.param("between", 0, [0], id="between-the-first-metric-and-checkpoint"),
        pytest.param("during-checkpoint", 0, [0], id="during-the-first-checkpoint"),
        pytest.param("before-metric", 1, [], id="before-a-later-metric"),
        pytest.param("between", 1, [], id="between-a-later-metric-and-checkpoint"),
        pytest.param("during-checkpoint", 1, [], id="during-a-later-checkpoint"),
        pytest.param("no-checkpoints", 0, [0], id="task-without-checkpoints"),
        pytest.param("no-checkpoints", 1, [0, 1], id="task-without-checkpoints-later"),
    ],
)
def test_a_run_killed_at_any_point_resumes_without_gaps_or_duplicates(
        tmp_path: Path, point: str, epoch: int, set_aside: list) -> None:
    (tmp_path / "train.py").write_text(textwrap.dedent(CRASHING))
    killed = subprocess.run([sys.executable, "train.py", point, str(epoch)], cwd=str(tmp_path))
    assert killed.returncode == -signal.SIGKILL
    subprocess.run([sys.executable, "train.py", point, "-1"], cwd=str(tmp_path), check=True)
    run = tmp_path / "logs" / "1"
    assert epochs(run) == [0, 1, 2]
    info = info_of(run)
    assert info["status"] == "COMPLETE" and info["resumes"] == 1
    if set_aside:
        assert info["metrics_set_aside"] == ["metrics/.attempt-1"]
        assert epochs(run, where="metrics/.attempt-1") == set_aside
    else:
        assert "metrics_set_aside" not in info
    if point != "no-checkpoints":
        assert os.listdir(run / "artifacts" / "pickle") == ["last_ckpt.pkl"]  # no temp file
