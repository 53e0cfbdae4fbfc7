"""What a sweep runner tells the terminal, and the exit code it ends with.

Every runner of a sweep (one point after another today, several at once later) reports through
one :class:`SweepReport`, so that they all print the same lines and agree on the exit code:
0 when every run is COMPLETE, 1 when any FAILED, 128 + the signal's number when a signal
stopped the sweep (130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import sys
import threading
from typing import Dict, List, Optional, Sequence, TextIO

from mlxp._signals import RunInterrupted

__all__ = ["SweepReport"]


class SweepReport:
    """Progress lines, one line per failed run, and the closing summary of a sweep.

    ``start`` prints ``[2/4] logs/2 seed=2``; ``fail`` prints ``[2/4] logs/2 FAILED: ...``
    (its traceback is in the run's ``log.stderr``, not on the terminal); ``finish`` prints
    ``4 runs: 2 COMPLETE, 1 FAILED (logs/2), 1 not started (point 4)`` and returns the exit
    code. Points start in order; the methods may be called from several threads.
    """

    def __init__(self, total: int, stream: Optional[TextIO] = None) -> None:
        self.total = total
        self.stream = stream
        self.completed = 0
        self.failed: List[str] = []
        self.interruption: Optional[RunInterrupted] = None
        self._running: Dict[int, str] = {}  # number -> where, started and not yet finished
        self._started = 0
        self._lock = threading.Lock()

    def _print(self, line: str) -> None:
        print(line, file=self.stream or sys.stderr, flush=True)

    def start(self, number: int, where: str, overrides: Sequence[str]) -> None:
        """Point ``number`` (1-based) starts in the run directory ``where``."""
        with self._lock:
            self._running[number] = where
            self._started += 1
            self._print(f"[{number}/{self.total}] {where} {' '.join(overrides)}".rstrip())

    def complete(self, number: int) -> None:
        """Point ``number`` ended COMPLETE."""
        with self._lock:
            self._running.pop(number, None)
            self.completed += 1

    def fail(self, number: int, error: str, traceback_path: Optional[str] = None) -> None:
        """Point ``number`` ended FAILED with ``error`` (``info.yaml``'s description)."""
        with self._lock:
            where = self._running.pop(number, "")
            self.failed.append(where)
            reason = error.splitlines()[0] if error else "FAILED"
            traceback = f" (traceback in {traceback_path})" if traceback_path else ""
            self._print(f"[{number}/{self.total}] {where} FAILED: {reason}{traceback}".rstrip())

    def interrupt(self, interruption: RunInterrupted) -> None:
        """A signal stopped the sweep; the runs it cut short count as FAILED."""
        with self._lock:
            self.interruption = interruption
            self.failed.extend(self._running.values())
            self._running.clear()

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
        return text

    def exit_code(self) -> int:
        """130/143 after a signal, else 1 if any run FAILED, else 0."""
        if self.interruption is not None:
            return self.interruption.exit_code
        return 1 if self.failed else 0

    def finish(self) -> int:
        """Print the summary and return the exit code."""
        self._print(self.summary())
        return self.exit_code()
