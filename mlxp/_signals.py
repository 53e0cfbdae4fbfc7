"""Turn SIGTERM, SIGHUP and Ctrl-C into an exception while a run is active, so its status is
recorded.

A scheduler stops a job with SIGTERM, and a closing ssh session sends SIGHUP; their default
action kills Python without running any ``finally`` block: the run would stay RUNNING forever.
Inside ``terminate_on_signals()`` the signal raises ``RunInterrupted`` instead, which unwinds
the task like any exception. A SIGHUP that the process was told to ignore (``nohup``) stays
ignored. Nothing
is installed at import time; SIGUSR1 (the pre-emption warning of some schedulers) is handled
only for jobs submitted with requeue (``requeue_on_warning``), and left to the task otherwise.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import Any, Callable, Dict, Iterator, List, Tuple

HANDLED_SIGNALS: Tuple[int, ...] = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class RunInterrupted(BaseException):
    """A run was stopped by a signal; a ``BaseException`` so ``except Exception`` lets it pass.

    Attributes:
        signum: the signal number.
        signal_name: its name, e.g. ``"SIGTERM"``.
        exit_code: what the process should exit with: 128 + the signal number (143, 130,
            129 for SIGHUP).
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        self.exit_code = 128 + signum
        verb = "interrupted" if signum == signal.SIGINT else "terminated"
        super().__init__(f"{verb} by {self.signal_name}")

    @classmethod
    def from_signal(cls, signum: int) -> "RunInterrupted":
        """The exception for ``signum``; for SIGINT it is also a ``KeyboardInterrupt``.

        Code written as ``except KeyboardInterrupt:`` (save a last checkpoint on Ctrl-C) keeps
        working inside ``terminate_on_signals()``.
        """
        if signum == signal.SIGINT:
            return KeyboardRunInterrupted(signum)
        return cls(signum)


class KeyboardRunInterrupted(RunInterrupted, KeyboardInterrupt):
    """``RunInterrupted`` for SIGINT (Ctrl-C), also caught by ``except KeyboardInterrupt``."""


class RunPreempted(BaseException):
    """The scheduler warned that the job will be stopped (SIGUSR1) and it was requeued.

    A ``BaseException``, like ``RunInterrupted``, so that the task unwinds to the launcher,
    which records the run as waiting in the queue again.
    """

    def __init__(self) -> None:
        super().__init__("requeued after the scheduler's warning (SIGUSR1)")


@contextlib.contextmanager
def requeue_on_warning(before_requeue: Callable[[], None]) -> Iterator[None]:
    """On SIGUSR1 inside the block, call ``before_requeue`` then raise ``RunPreempted``.

    ``before_requeue`` runs the task's checkpoint hooks and asks the scheduler to requeue the
    job. Schedulers send SIGUSR1 some time before a time limit or a pre-emption when asked to
    (SLURM ``--signal=B:USR1@120``). A no-op outside the main thread.
    """
    if not _in_main_thread():
        yield
        return

    def warned(signum: int, frame: Any) -> None:
        before_requeue()
        raise RunPreempted()

    previous = signal.signal(signal.SIGUSR1, warned)
    try:
        yield
    finally:
        signal.signal(signal.SIGUSR1, signal.SIG_DFL if previous is None else previous)


def _raise_run_interrupted(signum: int, frame: Any) -> None:
    raise RunInterrupted.from_signal(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _install(handler: Callable[[int, Any], None]) -> Dict[int, Any]:
    previous = {signum: signal.getsignal(signum) for signum in HANDLED_SIGNALS}
    for signum in HANDLED_SIGNALS:
        if not (signum == signal.SIGHUP and previous[signum] == signal.SIG_IGN):  # nohup
            signal.signal(signum, handler)
    return previous


def _restore(previous: Dict[int, Any]) -> None:
    for signum, handler in previous.items():
        # None means a handler installed outside Python; the default is the best guess.
        signal.signal(signum, signal.SIG_DFL if handler is None else handler)


@contextlib.contextmanager
def terminate_on_signals(exit_on_signal: bool = True) -> Iterator[None]:
    """Raise ``RunInterrupted`` on SIGTERM, SIGINT and SIGHUP inside the block; restore
    handlers after.

    Python only lets the main thread install handlers; elsewhere this does nothing.

    Args:
        exit_on_signal: when ``RunInterrupted`` leaves the block, print one line on stderr and
            exit with its code (143 for SIGTERM, 130 for SIGINT, 129 for SIGHUP), as a killed
            process would.
            ``False`` lets the exception propagate.
    """
    if not _in_main_thread():
        yield
        return
    previous = _install(_raise_run_interrupted)
    try:
        yield
    except RunInterrupted as interruption:
        if not exit_on_signal:
            raise
        print(f"mlxp: {interruption}", file=sys.stderr)
        raise SystemExit(interruption.exit_code) from interruption
    finally:
        _restore(previous)


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGTERM, SIGINT and SIGHUP back while the block runs, then deliver any that
    arrived.

    Used around the final status write, so that a second signal cannot leave a run RUNNING.
    The handlers are swapped rather than the signals masked: a mask is per thread, and in a
    process with other threads (torch's, a data loader's) the kernel would hand the signal to
    one of them, and Python would still run its handler in the main thread. A no-op outside
    the main thread.
    """
    if not _in_main_thread():
        yield
        return
    held: List[int] = []
    previous = _install(lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        _restore(previous)
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)  # now handled as it would have been
