"""SIGTERM and Ctrl-C while a run is active: FAILED is recorded and the exit code says why."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any, Dict, List

import pytest

from mlxp._signals import KeyboardRunInterrupted, RunInterrupted, deferred_signals, terminate_on_signals
from mlxp.logger import Logger
from projects import read_yaml

STANDALONE = """
    import sys
    from mlxp.logger import Logger, terminate_on_signals

    with terminate_on_signals():
        with Logger("logs") as logger:
            epoch = 0
            while True:
                logger.log_metrics({"epoch": epoch})
                if epoch == 10:
                    print("ready", flush=True)
                epoch += 1
"""


def _as_from_a_terminal() -> None:
    """SIGHUP as a command started from an ssh session has it, whatever the test runner has
    (a runner started with nohup, as CI may be, passes SIGHUP on ignored)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def start(tmp_path: Path, code: str) -> subprocess.Popen:
    (tmp_path / "task.py").write_text(textwrap.dedent(code))
    process = subprocess.Popen([sys.executable, "task.py"], cwd=str(tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_as_from_a_terminal)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    return process


@pytest.mark.parametrize(
    "signum, exit_code, error",
    [
        pytest.param(signal.SIGTERM, 143, "terminated by SIGTERM", id="sigterm"),
        pytest.param(signal.SIGINT, 130, "interrupted by SIGINT", id="sigint"),
        pytest.param(signal.SIGHUP, 129, "terminated by SIGHUP", id="sighup-ssh-session-closed"),
    ],
)
def test_signal_to_a_standalone_script_records_failed_and_exits_128_plus_n(
    tmp_path: Path, signum: int, exit_code: int, error: str
) -> None:
    process = start(tmp_path, STANDALONE)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == exit_code
    assert f"mlxp: {error}" in err and "Traceback" not in err
    info = read_yaml(tmp_path / "logs" / "1" / "metadata" / "info.yaml")
    assert (info["status"], info["error"]) == ("FAILED", error)
    assert info["end_date"] and info["end_time"]
    text = (tmp_path / "logs" / "1" / "metrics" / "train.json").read_text()
    assert text.endswith("\n") and len(text.splitlines()) > 10


def test_a_second_sigterm_during_cleanup_still_leaves_failed(tmp_path: Path) -> None:
    code = """
        import os, signal, time
        from mlxp.logger import Logger, terminate_on_signals

        with terminate_on_signals():
            with Logger("logs") as logger:
                print("ready", flush=True)
                time.sleep(60)
    """
    process = start(tmp_path, code)
    process.send_signal(signal.SIGTERM)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode in (143, -signal.SIGTERM)  # a late one meets the restored default
    assert read_yaml(tmp_path / "logs" / "1" / "metadata" / "info.yaml")["status"] == "FAILED"


def test_a_sighup_ignored_by_nohup_stays_ignored(tmp_path: Path) -> None:
    code = """
        import signal, sys, time
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # what nohup does before exec
        from mlxp.logger import Logger, terminate_on_signals

        with terminate_on_signals():
            with Logger("logs") as logger:
                print("ready", flush=True)
                sys.stdin.readline()
    """
    (tmp_path / "task.py").write_text(textwrap.dedent(code))
    process = subprocess.Popen([sys.executable, "task.py"], cwd=str(tmp_path), text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGHUP)
    process.communicate("go on\n", timeout=60)
    assert process.returncode == 0
    assert read_yaml(tmp_path / "logs" / "1" / "metadata" / "info.yaml")["status"] == "COMPLETE"


def handlers() -> Dict[int, Any]:
    return {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)}


def test_handlers_are_installed_inside_and_restored_after_sigusr1_untouched() -> None:
    before = handlers()
    with terminate_on_signals():
        inside = handlers()
        assert inside[signal.SIGTERM] is inside[signal.SIGINT]
        assert inside[signal.SIGTERM] not in (before[signal.SIGTERM], before[signal.SIGINT])
        assert inside[signal.SIGUSR1] == before[signal.SIGUSR1]
    assert handlers() == before


def test_handlers_are_restored_when_the_block_raises() -> None:
    before = handlers()
    with pytest.raises(ValueError):
        with terminate_on_signals():
            raise ValueError("task failed")
    assert handlers() == before


def test_outside_the_main_thread_nothing_is_installed() -> None:
    before = handlers()
    seen: List[Dict[int, Any]] = []

    def in_thread() -> None:
        with terminate_on_signals():
            seen.append(handlers())

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == [before]


def test_sigterm_raises_run_interrupted_carrying_the_signal() -> None:
    with pytest.raises(RunInterrupted) as caught:
        with terminate_on_signals(exit_on_signal=False):
            signal.raise_signal(signal.SIGTERM)
    error = caught.value
    assert (error.signum, error.signal_name, error.exit_code) == (signal.SIGTERM, "SIGTERM", 143)
    assert str(error) == "terminated by SIGTERM"
    assert not isinstance(error, Exception)  # `except Exception` in a task lets it through


def test_sigint_is_also_a_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt) as caught:
        with terminate_on_signals(exit_on_signal=False):
            signal.raise_signal(signal.SIGINT)
    assert isinstance(caught.value, KeyboardRunInterrupted) and caught.value.exit_code == 130


def test_exit_on_signal_turns_the_interruption_into_its_exit_code() -> None:
    with pytest.raises(SystemExit) as caught:
        with terminate_on_signals():
            raise RunInterrupted(signal.SIGTERM)
    assert caught.value.code == 143


def test_logger_exit_names_the_signal(tmp_path: Path) -> None:
    with pytest.raises(RunInterrupted):
        with Logger(str(tmp_path)) as logger:
            raise RunInterrupted(signal.SIGTERM)
    info = read_yaml(Path(logger.metadata_dir) / "info.yaml")
    assert (info["status"], info["error"]) == ("FAILED", "terminated by SIGTERM")


@pytest.mark.parametrize("to_another_thread", [False, True], ids=["to-main", "to-a-worker-thread"])
def test_deferred_signals_are_delivered_after_the_block(to_another_thread: bool) -> None:
    # A training process has other threads (torch, data loaders); the kernel may hand the
    # signal to any of them, and Python runs the handler in the main thread regardless.
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    # Python's C-level handler writes to the wakeup fd in whichever thread got the signal:
    # reading it tells the test the signal has arrived, without guessing a delay.
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    previous_wakeup = signal.set_wakeup_fd(write_end)
    order: List[str] = []
    try:
        with pytest.raises(RunInterrupted):
            with terminate_on_signals(exit_on_signal=False):
                with deferred_signals():
                    if to_another_thread:
                        signal.pthread_kill(worker.ident or 0, signal.SIGTERM)
                    else:
                        signal.raise_signal(signal.SIGTERM)
                    assert os.read(read_end, 1) == bytes([signal.SIGTERM])
                    order.append("still running")
                order.append("not reached")
    finally:
        signal.set_wakeup_fd(previous_wakeup)
        os.close(read_end)
        os.close(write_end)
        stop.set()
        worker.join()
    assert order == ["still running"]


def test_importing_the_logger_installs_no_handler() -> None:
    code = (
        "import signal; before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}; "
        "import mlxp.logger, mlxp.artifacts; "
        "print(all(signal.getsignal(s) == h for s, h in before.items()))"
    )
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "True"
