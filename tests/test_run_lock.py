"""One writing process per run: the run lock, and the silent logger of ranks >= 1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest

from mlxp._ranks import RankLogger, process_rank
from mlxp.errors import RunDirectoryError, RunLockedError
from mlxp.logger import Logger
from projects import make_project, metrics_lines, read_yaml, run_main

HOLDER = """
    import sys
    from mlxp.logger import Logger
    logger = Logger("logs", forced_log_id=1, resume=True)
    logger.log_metrics({"epoch": 0})
    if sys.argv[1] == "close":
        logger.close()
    print("ready", flush=True)
    sys.stdin.readline()  # holds the run until the test lets go
"""


@pytest.fixture
def holder(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[subprocess.Popen]:
    """A process that opened run ``logs/1`` (and closed it with the ``close`` param)."""
    (tmp_path / "holder.py").write_text(textwrap.dedent(HOLDER))
    process = subprocess.Popen([sys.executable, "holder.py", getattr(request, "param", "keep")],
                               cwd=str(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    yield process
    process.kill()  # our own child
    process.wait(timeout=30)


def test_a_second_process_is_refused_naming_the_holder_and_changes_nothing(
        tmp_path: Path, holder: subprocess.Popen) -> None:
    run = tmp_path / "logs" / "1"
    info_before = (run / "metadata" / "info.yaml").read_text()
    with pytest.raises(RunLockedError) as caught:
        Logger(str(tmp_path / "logs"), forced_log_id=1, resume=True)
    assert isinstance(caught.value, RunDirectoryError)
    assert caught.value.pid == str(holder.pid) and caught.value.host == os.uname().nodename
    assert f"pid {holder.pid} on host {os.uname().nodename}" in str(caught.value)
    assert (run / "metadata" / "info.yaml").read_text() == info_before
    assert metrics_lines(run) == [{"epoch": 0}]


def test_the_lock_goes_with_the_holder_even_on_sigkill(tmp_path: Path, holder: subprocess.Popen) -> None:
    holder.send_signal(signal.SIGKILL)  # our own child
    holder.wait(timeout=30)
    with Logger(str(tmp_path / "logs"), forced_log_id=1, resume=True) as logger:
        logger.log_checkpoint({})
        logger.log_metrics({"epoch": 1})
    assert read_yaml(tmp_path / "logs" / "1" / "metadata" / "info.yaml")["status"] == "COMPLETE"


@pytest.mark.parametrize("holder", ["close"], indirect=True)
def test_close_frees_the_run_for_another_process(tmp_path: Path, holder: subprocess.Popen) -> None:
    Logger(str(tmp_path / "logs"), forced_log_id=1, resume=True).close()


def test_a_launcher_resuming_a_run_in_use_exits_with_one_line(tmp_path: Path, holder: subprocess.Popen) -> None:
    project = make_project(tmp_path)
    result = run_main(project, "mlxp.resume=true", "mlxp.logger.forced_log_id=1")
    assert result.returncode == 1
    assert result.stderr.startswith("main.py: error: run directory ") and "Traceback" not in result.stderr
    assert f"pid {holder.pid}" in result.stderr
    assert metrics_lines(tmp_path / "logs" / "1") == [{"epoch": 0}]


def test_loggers_of_one_process_share_the_run(tmp_path: Path) -> None:
    first = Logger(str(tmp_path))
    second = Logger(str(tmp_path), forced_log_id=first.log_id, resume=True)  # a notebook cell run twice
    second.close()
    first.log_metrics({"epoch": 0})  # still held by first
    code = f"from mlxp.logger import Logger; Logger({str(tmp_path)!r}, forced_log_id=1, resume=True)"
    refused = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "RunLockedError" in refused.stderr
    first.close()
    subprocess.run([sys.executable, "-c", code], check=True)


def test_logging_after_close_takes_the_lock_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logger = Logger(str(tmp_path))
    logger.close()
    (tmp_path / "other.py").write_text(textwrap.dedent(HOLDER).replace('"logs"', repr(str(tmp_path))))
    with subprocess.Popen([sys.executable, "other.py", "keep"], cwd=str(tmp_path),
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as other:
        assert other.stdout is not None and other.stdout.readline() == "ready\n"
        with pytest.raises(RunLockedError):
            logger.log_metrics({"epoch": 1})
        other.kill()
    assert metrics_lines(tmp_path / "1") == [{"epoch": 0}]


# --- ranks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "rank"),
    [
        pytest.param({}, 0, id="no-launcher"),
        pytest.param({"RANK": "3"}, 3, id="torchrun"),
        pytest.param({"SLURM_PROCID": "2"}, 2, id="srun"),
        pytest.param({"OMPI_COMM_WORLD_RANK": "1"}, 1, id="openmpi"),
        pytest.param({"PMI_RANK": "5"}, 5, id="mpich"),
        pytest.param({"PMIX_RANK": "4"}, 4, id="pmix"),
        pytest.param({"RANK": "1", "SLURM_PROCID": "0"}, 1, id="torchrun-inside-srun"),
        pytest.param({"LOCAL_RANK": "1"}, 0, id="local-rank-alone-is-not-global"),
        pytest.param({"RANK": ""}, 0, id="empty"),
        pytest.param({"RANK": "x", "SLURM_PROCID": "2"}, 2, id="not-a-number-skipped"),
    ],
)
def test_process_rank(monkeypatch: pytest.MonkeyPatch, environment: dict, rank: int) -> None:
    for variable in ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK",
                     "LOCAL_RANK"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert process_rank() == rank


RANKED_TASK = """
import mlxp

@mlxp.launch(config_path="./configs")
def my_task(ctx: mlxp.Context) -> None:
    state = ctx.logger.load_checkpoint(rewind_metrics=True) or {"epoch": -1}
    print("rank-view", ctx.config.num_epoch, ctx.logger.log_dir, state["epoch"], ctx.info, flush=True)
    for i in range(state["epoch"] + 1, ctx.config.num_epoch):
        ctx.logger.log_metrics({"epoch": i})
        ctx.logger.log_checkpoint({"epoch": i})
        ctx.logger.log_artifacts({"i": i}, "state", "json")

if __name__ == "__main__":
    my_task()
"""


def _clean_env(**ranks: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK")}
    return {**env, **ranks}


def test_ranks_above_0_get_the_config_and_write_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path, RANKED_TASK, config="num_epoch: 2\n")
    common = ["num_epoch=3", "mlxp.logger.forced_log_id=5", "mlxp.resume=true"]
    env = _clean_env(RANK="1")
    first = subprocess.run([sys.executable, "main.py", *common], cwd=str(project),
                           capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == f"rank-view 3 {project / 'logs' / '5'} -1 {{}}"
    assert not (project / "logs" / "5").exists()
    zero = subprocess.run([sys.executable, "main.py", *common], cwd=str(project),
                          capture_output=True, text=True, env=_clean_env(SLURM_PROCID="0"))
    assert zero.returncode == 0, zero.stderr
    before = sorted(str(p) for p in (project / "logs").rglob("*"))
    again = subprocess.run([sys.executable, "main.py", *common], cwd=str(project),
                           capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split()[-2] == "2"  # rank 1 read rank 0's checkpoint
    assert sorted(str(p) for p in (project / "logs").rglob("*")) == before
    assert metrics_lines(project / "logs" / "5") == [{"epoch": 0}, {"epoch": 1}, {"epoch": 2}]


def test_without_a_forced_id_ranks_above_0_have_no_log_dir(tmp_path: Path) -> None:
    logger = RankLogger(str(tmp_path), -1, rank=2)
    assert logger.log_dir is None and logger.load_checkpoint() is None
    logger.log_metrics({"a": 1})
    assert logger.log_checkpoint({}) == "" and logger.log_artifacts({}, "x", "json") == ""
    with logger:
        pass
    assert os.listdir(tmp_path) == []
