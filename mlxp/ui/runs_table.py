"""The runs table answered from memory when reading it is slow, and read again behind the scenes.

Summarising 10,000 runs (the Reader's index check, every metrics file's summary, the statuses)
takes seconds even when everything is cached on disk, and the page asks for the table first.
So each query's last answer is kept, already encoded. A log directory read quickly (under
``SLOW_READ``) is read again at every request, so the table is always current; for a slow one
the kept answer is sent at once and, if it is older than ``REFRESH_AFTER``, a background
thread reads the directory again for the next request. ``as_of`` in the answer says when it
was read. The server starts reading the whole table as soon as it listens.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Optional

SLOW_READ = 0.25
"""Seconds: a table read slower than this is answered from memory."""
REFRESH_AFTER = 5.0
"""Seconds: a kept answer older than this is read again, in the background."""
MAX_QUERIES = 8
"""Answers kept (one per filter), least recently used dropped first."""

Read = Callable[[str], bytes]


class _Entry:
    __slots__ = ("body", "read_at", "took", "reading", "reads", "thread")

    def __init__(self) -> None:
        self.body: Optional[bytes] = None
        self.read_at = 0.0
        self.took = 0.0
        self.reading = False
        self.reads = 0  # how many reads ended with a body: a waiter knows when one did
        self.thread: Optional[threading.Thread] = None  # the last background read


class RunsTable:
    """The encoded ``/api/runs`` answers of one log directory, per filter.

    Args:
        read: reads the table for a filter and returns the encoded answer; it raises for a
            malformed filter (nothing is kept then).
    """

    def __init__(self, read: Read) -> None:
        self._read = read
        self._entries: "OrderedDict[str, _Entry]" = OrderedDict()
        self._changed = threading.Condition()

    def answer(self, where: str) -> bytes:
        """The table for ``where``: from memory when reading it is slow, else read now."""
        with self._changed:
            entry = self._entries.get(where)
            if entry is None:
                entry = self._entries[where] = _Entry()
                while len(self._entries) > MAX_QUERIES:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(where)
            if entry.body is not None and entry.took > SLOW_READ:
                if not entry.reading and time.monotonic() - entry.read_at > REFRESH_AFTER:
                    self._start_reading(where, entry)
                return entry.body
            reads = entry.reads
            while entry.reading:  # someone reads it already: wait for that read
                self._changed.wait()
                if entry.body is not None and entry.reads != reads:
                    return entry.body
            entry.reading = True  # (if that read failed, this one reports why)
        return self._read_into(where, entry)

    def warm(self, where: str = "") -> None:
        """Start reading ``where``'s table in the background (the page will ask for it)."""
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
            entry.body, entry.read_at, entry.took = body, start, time.monotonic() - start
            entry.reading = False
            entry.reads += 1
            self._changed.notify_all()
        return body
