"""Parsed curves kept in memory between requests, keyed by their file's signature.

Parsing a million-line metrics file costs about a second; the chart asks for the same curve
again at each zoom, resize or new width. So the points of each (file, x key, y key) stay here
until the file changes (its inode, size or mtime) or the cache needs the room. Behind it, the
column cache on disk (``mlxp.results.columns``) spares a new server the parse of a big file.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import NamedTuple, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp.results.columns import ColumnCache, Extremes
from mlxp.results.curves import is_increasing, read_series

MAX_POINTS = 20_000_000
"""Points kept in all (two floats each, so a few hundred MB at most)."""

_Key = Tuple[str, int, int, int, str, str]


class Curve(NamedTuple):
    """One run's points (shared between requests: never modified), and whether x never
    decreases (checked once: the fast downsampling needs it)."""

    x: Sequence[float]
    y: Sequence[float]
    increasing: bool
    extremes: Optional[Extremes] = None
    """The block extremes of ``y``, when its column on disk has them."""


class SeriesCache:
    """The curves of the runs of one server, least recently used dropped first.

    Args:
        max_points: points kept in all.
        columns: the column cache read before parsing a file (None: always parse).
    """

    def __init__(self, max_points: int = MAX_POINTS, columns: Optional[ColumnCache] = None
                 ) -> None:
        self.max_points = max_points
        self.columns = columns
        self._entries: "OrderedDict[_Key, Curve]" = OrderedDict()
        self._points = 0
        self._lock = threading.Lock()

    def curve(self, log_id: str, run_dir: str, log_name: str, y: str, x: str) -> Curve:
        """The ``(x, y)`` points of one run's log, read once per version of its file."""
        path = os.path.join(run_dir, _layout.METRICS_DIR, log_name + _layout.METRIC_SUFFIX)
        try:
            status = os.stat(path)
        except OSError:
            return Curve([], [], True)  # nothing logged under that name
        if not os.path.realpath(path).startswith(os.path.realpath(run_dir) + os.sep):
            return Curve([], [], True)  # a link leading out of the run: not read
        key = (path, status.st_ino, status.st_size, status.st_mtime_ns, x, y)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        curve = self._read(log_id, run_dir, log_name, y, x)
        with self._lock:
            if key not in self._entries and len(curve.x) <= self.max_points:
                self._entries[key] = curve
                self._points += len(curve.x)
                while self._points > self.max_points:
                    _, dropped = self._entries.popitem(last=False)
                    self._points -= len(dropped.x)
        return curve

    def _read(self, log_id: str, run_dir: str, log_name: str, y: str, x: str) -> Curve:
        points = None if self.columns is None else self.columns.points(log_id, run_dir,
                                                                         log_name, y, x)
        if points is not None:
            return Curve(*points)
        series = read_series(log_id, run_dir, log_name, y, x)
        return Curve(series.x, series.y, is_increasing(series.x))
