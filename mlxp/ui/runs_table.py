"""The runs table of a large log directory answered from memory, and read again behind the scenes.

Summarising 10,000 runs (the Reader's index check, every metrics file's summary, the statuses)
takes seconds even when everything is cached on disk, and the page asks for the table first.
A log directory of up to ``LARGE`` runs is read at every request, so its table is always
current. For a larger one, each filter's last answer is kept, already encoded, and sent at
once; when it is older than ``REFRESH_AFTER``, a background thread reads the directory again
for the next request (``as_of`` in the answer says when it was read). The server starts
reading a large directory's whole table as soon as it listens.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Optional

LARGE = 1000
"""Runs: a log directory with more is answered from memory (reading it takes 0.1 s or more)."""
REFRESH_AFTER = 5.0
"""Seconds: a kept answer older than this is read again, in the background."""
MAX_QUERIES = 8
"""Answers kept (one per filter), least recently used dropped first."""

Read = Callable[[str], bytes]


class _Entry:
    __slots__ = ("body", "read_at", "reading", "reads", "thread")

    def __init__(self) -> None:
        self.body: Optional[bytes] = None
        self.read_at = 0.0
        self.reading = False
        self.reads = 0  # how many reads ended with a body: a waiter knows when one did
        self.thread: Optional[threading.Thread] = None  # the last background read


class RunsTable:
    """The encoded ``/api/runs`` answers of one log directory, per filter.

    Args:
        read: reads the table for a filter and returns the encoded answer; it raises for a
            malformed filter (nothing is kept then).
        count_runs: how many runs the log directory holds now (a listing, no reading).
    """

    def __init__(self, read: Read, count_runs: Callable[[], int]) -> None:
        self._read = read
        self._count_runs = count_runs
        self._entries: "OrderedDict[str, _Entry]" = OrderedDict()
        self._changed = threading.Condition()

    def answer(self, where: str) -> bytes:
        """The table for ``where``: read now for a small log directory, else from memory."""
        if self._count_runs() <= LARGE:
            return self._read(where)
        with self._changed:
            entry = self._entries.get(where)
            if entry is None:
                entry = self._entries[where] = _Entry()
                while len(self._entries) > MAX_QUERIES:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(where)
            if entry.body is not None:
                if not entry.reading and time.monotonic() - entry.read_at > REFRESH_AFTER:
                    self._start_reading(where, entry)
                return entry.body
            reads = entry.reads
            while entry.reading:  # the first read is under way (the server's own): wait
                self._changed.wait()
                if entry.reads != reads and entry.body is not None:
                    return entry.body
            entry.reading = True  # (if that read failed, this one reports why)
        return self._read_into(where, entry)

    def warm(self, where: str = "") -> None:
        """Start reading a large log directory's table in the background (the page asks for
        it first); nothing for a small one."""
        if self._count_runs() <= LARGE:
            return
        with self._changed:
            entry = self._entries.setdefault(where, _Entry())
            if not entry.reading:
                self._start_reading(where, entry)

    def _start_reading(self, where: str, entry: _Entry) -> None:
        entry.reading = True
        entry.thread = threading.Thread(target=self._read_quietly, args=(where, entry),
                                        daemon=True, name="mlxp-ui-runs")
        entry.thread.start()

    def _read_quietly(self, where: str, entry: _Entry) -> None:
        try:
            self._read_into(where, entry)
        except Exception:  # noqa: BLE001 -- the next request reads again and reports it
            pass

    def _read_into(self, where: str, entry: _Entry) -> bytes:
        start = time.monotonic()
        try:
            body = self._read(where)
        except BaseException:
            with self._changed:
                entry.reading = False
                self._changed.notify_all()
            raise
        with self._changed:
            entry.body, entry.read_at = body, start
            entry.reading = False
            entry.reads += 1
            self._changed.notify_all()
        return body
