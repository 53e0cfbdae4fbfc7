"""Reusing a run directory: refused when it holds data, continued with ``resume=True``."""

from __future__ import annotations

import json
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
from projects import read_yaml


def info_of(run: Path) -> dict:
    return read_yaml(run / "metadata" / "info.yaml")


def epochs(run: Path, log_name: str = "train") -> list:
    path = run / "metrics" / f"{log_name}.json"
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


def test_resume_appends_metrics_and_keeps_the_previous_info(finished_run: Path) -> None:
    previous = info_of(finished_run)
    with Logger(str(finished_run.parent), forced_log_id=1, resume=True,
                info={"overrides": ["mlxp.resume=true"]}) as logger:
        info = info_of(finished_run)
        assert info["status"] == "RUNNING" and info["resumes"] == 1
        assert info["error"] is None and info["end_date"] is None
        assert (info["start_date"], info["start_time"]) == ("01/01/2020", "00:00:01")
        assert info["note"] == "first session" and info["overrides"] == ["lr=0.1"]
        assert list(info)[: len(previous)] == list(previous)
        logger.log_metrics({"epoch": 2, "acc": 0.5})
    assert epochs(finished_run) == [0, 1, 2]
    assert epochs(finished_run, "valid") == [0]
    assert read_yaml(finished_run / "metrics" / ".keys" / "metrics.yaml") == {
        "train": ["acc", "epoch"], "valid": ["epoch"]}
    Logger(str(finished_run.parent), forced_log_id=1, resume=True).finish()
    assert info_of(finished_run)["resumes"] == 2 and info_of(finished_run)["status"] == "COMPLETE"


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
    resumed = Logger(str(tmp_path), forced_log_id=1, resume=True)
    assert resumed.load_checkpoint() == {"epoch": 0}
    assert epochs(run) == [0, 1]  # not asked to rewind: nothing cut
    assert resumed.load_checkpoint(rewind_metrics=True) == {"epoch": 0}
    assert epochs(run) == [0] and (run / "metrics" / "eval.json").read_text() == ""
    resumed.log_metrics({"epoch": 1})
    assert epochs(run) == [0, 1]


def test_rewind_restores_the_newline_a_later_padding_replaced(tmp_path: Path) -> None:
    logger = Logger(str(tmp_path))
    path = Path(logger.metrics_dir) / "train.json"
    line = {"epoch": 0, "tag": "z" * 200}
    line_size = len(json.dumps(line)) + 1
    logger.log_metrics(line)
    while path.stat().st_size % 4096 + line_size <= 4096:  # fill the page as far as it goes
        logger.log_metrics(line)
    logger.log_checkpoint({"epoch": 0})
    kept = path.read_text()
    logger.log_metrics(line)  # does not fit in the page: the checkpointed last line is padded
    assert path.read_text()[len(kept) - 1] == " "
    Logger(str(tmp_path), forced_log_id=1, resume=True).load_checkpoint(rewind_metrics=True)
    assert path.read_text() == kept


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
