"""What a sweep runner tells the terminal, and the exit code it ends with.

Every runner of a sweep (one point after another, or several at once with ``--jobs``) reports
through one :class:`SweepReport`, so that they all print the same lines and agree on the exit code:
0 when every run is COMPLETE, 1 when any FAILED, 128 + the signal's number when a signal
stopped the sweep (130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Callable, Dict, List, Optional, Sequence, TextIO, Tuple

from mlxp._signals import RunInterrupted

__all__ = ["SweepReport", "format_duration", "read_tail"]

TAIL_LINES = 5  # of a failed point's log.stderr shown on the terminal


class SweepReport:
    """Progress lines, one line per finished run, and the closing summary of a sweep.

    ``start`` prints ``[2/4] logs/2 seed=2``; ``complete`` and ``fail`` print the run's end,
    its duration, how many runs are done and running, the time elapsed and the ETA::

        [2/4] logs/2 FAILED 1.2s: ValueError: bad (traceback in logs/2/log.stderr) | 2/4 done, ...

    followed, for a failure, by the last lines of the run's ``log.stderr`` (its traceback is
    there, not on the terminal). ``finish`` prints one line per FAILED run with its error, then
    ``4 runs: 2 COMPLETE, 1 FAILED (logs/2), 1 not started (point 4)``, and returns the exit
    code. Points start in order; the methods may be called from several threads.
    """

    def __init__(self, total: int, stream: Optional[TextIO] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        # the terminal's stderr as it is now: a run that copies its streams to its log.stderr
        # (mlxp.logger.log_streams_to_file) does not get the sweep's lines too
        self.stream = stream or _terminal()
        self._owns_stream = stream is None and self.stream is not sys.stderr
        self.completed = 0
        self._failures: List[Tuple[int, str, str]] = []  # (number, where, error) per FAILED run
        self.interruption: Optional[RunInterrupted] = None
        self.stopped_early: Optional[str] = None
        self.rerun_hint: Optional[str] = None  # the command that runs what did not finish
        self._clock = clock
        self._began = clock()
        self._running: Dict[int, Tuple[str, float]] = {}  # number -> (where, start time)
        self._started = 0
        self._lock = threading.Lock()

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def start(self, number: int, where: str, overrides: Sequence[str]) -> None:
        """Point ``number`` (1-based) starts in the run directory ``where``."""
        with self._lock:
            self._running[number] = (where, self._clock())
            self._started += 1
            self._print(f"[{number}/{self.total}] {where} {' '.join(overrides)}".rstrip())

    def complete(self, number: int) -> None:
        """Point ``number`` ended COMPLETE."""
        with self._lock:
            self.completed += 1
            self._print_end(number, "COMPLETE")

    def fail(self, number: int, error: str, traceback_path: Optional[str] = None,
             tail: Sequence[str] = ()) -> None:
        """Point ``number`` ended FAILED with ``error`` (``info.yaml``'s description).

        ``tail``: the last lines of its ``log.stderr``, shown below the line.
        """
        with self._lock:
            reason = error.splitlines()[0] if error else "FAILED"
            traceback = f" (traceback in {traceback_path})" if traceback_path else ""
            where = self._print_end(number, "FAILED", f": {reason}{traceback}")
            self._failures.append((number, where, reason))
            for line in tail[-TAIL_LINES:]:
                self._print(f"    {line}".rstrip())

    def _print_end(self, number: int, status: str, detail: str = "") -> str:
        now = self._clock()
        where, began = self._running.pop(number, ("", now))
        done = self.completed + len(self._failures) + (status == "FAILED")
        counts = [f"{done}/{self.total} done"]
        if self._running:
            counts.append(f"{len(self._running)} running")
        counts.append(f"{format_duration(now - self._began)} elapsed")
        if done < self.total:
            eta = (now - self._began) / done * (self.total - done)
            counts.append(f"ETA {format_duration(eta)}")
        self._print(f"[{number}/{self.total}] {where} {status} {format_duration(now - began)}"
                    f"{detail} | {', '.join(counts)}")
        return where

    def interrupt(self, interruption: RunInterrupted) -> None:
        """A signal stopped the sweep; the runs it cut short count as FAILED."""
        with self._lock:
            self.interruption = interruption
            for number, (where, _) in self._running.items():
                self._failures.append((number, where, str(interruption)))
            self._running.clear()

    @property
    def failed(self) -> List[str]:
        """The run directories of the FAILED runs, in point order (parallel points end in
        any order)."""
        return [where for _, where, _ in sorted(self._failures)]

    def stop_early(self, reason: str) -> None:
        """The runner starts no more points (``mlxp.launcher.fail_fast``); ``reason`` says why."""
        self.stopped_early = reason

    def summary(self) -> str:
        """``N runs: C COMPLETE, F FAILED (dirs), S not started (points a-b)``."""
        parts = [f"{self.completed} COMPLETE"]
        if self.failed:
            parts.append(f"{len(self.failed)} FAILED ({', '.join(self.failed)})")
        left = self.total - self._started
        if left:
            first = self._started + 1
            points = f"point {first}" if left == 1 else f"points {first}-{self.total}"
            parts.append(f"{left} not started ({points})")
        text = f"{self.total} runs: {', '.join(parts)}"
        if self.interruption is not None:
            text += f"; {self.interruption}"
        elif self.stopped_early:
            text += f"; {self.stopped_early}"
        return text

    def exit_code(self) -> int:
        """130/143 after a signal, else 1 if any run FAILED, else 0."""
        if self.interruption is not None:
            return self.interruption.exit_code
        return 1 if self.failed else 0

    def finish(self) -> int:
        """Print every FAILED run with its error, then the summary; return the exit code."""
        for _, where, error in sorted(self._failures):
            self._print(f"FAILED {where}: {error}")
        if self.rerun_hint and (self.failed or self._started < self.total):
            self._print(f"to run what did not finish again: {self.rerun_hint}")
        self._print(self.summary())
        if self._owns_stream:
            self.stream.close()
        return self.exit_code()


def _terminal() -> TextIO:
    """A stream on this process's stderr as it is now, or ``sys.stderr`` if it is closed."""
    try:
        sys.stderr.flush()
        return open(os.dup(2), "w", encoding=sys.stderr.encoding or "utf-8",  # noqa: SIM115
                    errors="backslashreplace", closefd=True)
    except (OSError, AttributeError, ValueError):
        return sys.stderr


def format_duration(seconds: float) -> str:
    """``0.4s``, ``12.3s``, ``2m05s``, ``1h02m``: short, and precise where it matters."""
    if seconds < 60:
        return f"{max(seconds, 0.0):.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def read_tail(path: str, lines: int = TAIL_LINES) -> List[str]:
    """The last ``lines`` non-blank lines of the text file ``path`` ([] if there is none)."""
    try:
        with open(path, "rb") as stream:
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(max(0, size - 64 * 1024))
            text = stream.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]
