"""Metric columns kept on disk, so that a new ``mlxp ui`` server draws a big curve at once.

Parsing a million-line metrics file takes about a second, paid again by every new server. Here
each key of a parsed file is kept as a column of float64 (NaN where a line has no number for
it) under ``<logdir>/.mlxp_columns/``, with a manifest per file giving its signature and how
many of its bytes (whole lines only) the columns cover. A file that grew since is parsed from
there on (a running run); one that shrank or was replaced (a resume cuts its metrics back) is
parsed again. The cache only saves time: a damaged, foreign or stale file in it is ignored and
rewritten, and deleting the directory is always safe.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import stat
import sys
import threading
from array import array
from itertools import compress, repeat
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from mlxp import _layout
from mlxp.results._column import BLOCK, NAN, Column, Extremes, block_extremes
from mlxp.results.curves import STEP, Series, read_series
from mlxp.results.metricfiles import is_number, parse_records

__all__ = ["COLUMNS_DIR", "MAX_KEYS", "MIN_BYTES", "ColumnCache", "Extremes", "Points",
           "read_series_through"]

COLUMNS_DIR = ".mlxp_columns"
MIN_BYTES = 1 << 20
"""Metrics files smaller than this are parsed in memory each time (a few milliseconds)."""
MAX_KEYS = 256
"""A log with more numeric keys than this is not kept (as many files per run)."""

Points = Tuple[Sequence[float], Sequence[float], bool, Optional[Extremes]]
"""``(xs, ys, whether xs never decreases, the block extremes of ys if known)``."""

_FORMAT = "mlxp-columns-1"
_MAGIC = b"MLXPCOL1"
_CHUNK = 4 << 20  # bytes parsed at once: the parsed records of one chunk only are in memory
_TAG_SPAN = 64
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def _read_from(descriptor: int, offset: int, end: Optional[int] = None) -> bytes:
    """The bytes from ``offset`` to ``end`` (or the end of the file): the size the signature
    records, so that what a writer adds meanwhile waits for the next request."""
    blocks: List[bytes] = []
    while end is None or offset < end:
        block = os.pread(descriptor, 1 << 24 if end is None else min(1 << 24, end - offset),
                         offset)
        if not block:
            break
        blocks.append(block)
        offset += len(block)
    return b"".join(blocks)


def _tag(descriptor: int, offset: int) -> str:
    """A short fingerprint of the bytes just before ``offset``: a file cut back and written
    again past the offset (a resume) most likely changed them."""
    start = max(0, offset - _TAG_SPAN)
    return hashlib.blake2b(os.pread(descriptor, offset - start, start), digest_size=8).hexdigest()


def _chunks(data: bytes) -> Iterator[bytes]:
    """``data`` (whole lines) cut into pieces of about ``_CHUNK`` bytes, at line ends."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + _CHUNK) + 1 or len(data)
        yield data[start:end]
        start = end


def _read_cache_file(path: str) -> Optional[bytes]:
    """A regular file of the cache (never through a symbolic link), or None."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return None
        return _read_from(descriptor, 0, status.st_size)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _floats(data: memoryview) -> "array[float]":
    """Little-endian float64 values, as the cache files hold them."""
    values = array("d")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _name(*parts: str) -> str:
    """A file name for any key (keys are arbitrary strings: only a digest is safe)."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:40]


class _Log:
    """The columns of one metrics file as far as they cover it, and how to name their files."""

    def __init__(self, directory: str, log_id: str, log_name: str) -> None:
        self.directory = directory
        self.log_id = log_id
        self.log_name = log_name
        self.manifest: Dict[str, Any] = {}
        self.columns: Dict[str, Column] = {}

    @property
    def manifest_path(self) -> str:
        return os.path.join(self.directory, _name(self.log_id, self.log_name) + ".json")

    def column_path(self, key: str) -> str:
        return os.path.join(self.directory, _name(self.log_id, self.log_name, key) + ".col")

    def load_manifest(self) -> bool:
        """Whether a manifest of this log was found and holds together."""
        data = _read_cache_file(self.manifest_path)
        try:
            manifest = json.loads(data) if data is not None else None
            valid = (isinstance(manifest, dict) and manifest["format"] == _FORMAT
                     and manifest["run"] == self.log_id and manifest["log"] == self.log_name
                     and all(type(manifest[name]) is int and manifest[name] >= 0
                             for name in ("ino", "size", "mtime_ns", "bytes", "lines", "records"))
                     and isinstance(manifest["tag"], str)
                     and type(manifest["first_has_step"]) is bool
                     and all(isinstance(state, list) and len(state) == 4
                             and type(state[0]) is int for state in manifest["keys"].values()))
        except (ValueError, KeyError, TypeError, AttributeError):
            valid = False
        if valid:
            self.manifest = manifest  # type: ignore[assignment]
        return valid

    def _column_header(self, key: str) -> bytes:
        fields = {"run": self.log_id, "log": self.log_name, "key": key,
                  "ino": self.manifest["ino"], "bytes": self.manifest["bytes"],
                  "records": self.manifest["records"], "block": BLOCK}
        text = json.dumps(fields, sort_keys=True).encode()
        text += b" " * (-(len(_MAGIC) + 4 + len(text)) % 8)  # the values start 8-byte aligned
        return _MAGIC + len(text).to_bytes(4, "little") + text

    def load_column(self, key: str) -> Optional[Column]:
        """The column of ``key`` if its file matches the manifest (else None: rebuild). The
        file holds the header, the values, then the lowest and the highest of each block of
        values when they are all numbers."""
        data = _read_cache_file(self.column_path(key))
        header = self._column_header(key)
        state = self.manifest["keys"][key]
        count = self.manifest["records"]
        blocks = -(-count // BLOCK) if state[0] == count else 0
        if data is None or not data.startswith(header) or (
                len(data) != len(header) + 8 * (count + 2 * blocks)):
            return None
        view = memoryview(data)[len(header):]
        values, lowest, highest = (_floats(view[8 * start:8 * end]) for start, end in (
            (0, count), (count, count + blocks), (count + blocks, count + 2 * blocks)))
        column = Column(values, *state)
        if blocks:
            column.extremes = Extremes(BLOCK, lowest, highest)
        return column

    def save(self, old_keys: Sequence[str]) -> None:
        """Write every column, then the manifest (a reader never trusts a column whose header
        disagrees with the manifest); drop the files of keys no longer kept. Errors are
        ignored: without its cache the server parses the file."""
        try:
            for key, column in self.columns.items():
                values = array("d", column.values)
                if column.numbers == len(values):
                    column.extremes = block_extremes(values)
                    values.extend(column.extremes.lowest)
                    values.extend(column.extremes.highest)
                if sys.byteorder == "big":
                    values.byteswap()
                _layout.atomic_write(self.column_path(key), self._column_header(key)
                                     + values.tobytes())
            _layout.atomic_write(self.manifest_path, json.dumps(self.manifest).encode())
            for key in set(old_keys) - set(self.columns):
                os.unlink(self.column_path(key))
        except OSError:
            pass


class ColumnCache:
    """The metric columns of the runs of ``logdir``, kept in ``<logdir>/.mlxp_columns``.

    Args:
        logdir: the parent log directory.
        min_bytes: smaller metrics files are left to the caller (``points`` returns None).
    """

    def __init__(self, logdir: str, min_bytes: int = MIN_BYTES) -> None:
        self.logdir = logdir
        self.min_bytes = min_bytes
        self._locks: Dict[Tuple[str, str], threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def directory(self) -> Optional[str]:
        """The cache directory, made if missing; None if it cannot be made or is not to be
        trusted: a symbolic link, not a directory, or owned by someone else than this user
        and the log directory's owner."""
        path = os.path.join(self.logdir, COLUMNS_DIR)
        try:
            os.mkdir(path)
        except OSError:
            pass  # there already, or a log directory that cannot be written
        try:
            status = os.lstat(path)
            owners = {os.getuid(), os.stat(self.logdir).st_uid}
        except OSError:
            return None
        if not stat.S_ISDIR(status.st_mode) or status.st_uid not in owners:
            return None
        return path

    def points(self, log_id: str, run_dir: str, log_name: str, y: str, x: str = STEP
               ) -> Optional[Points]:
        """The points ``read_series`` gives for this run's log, from the columns (parsing only
        what the file gained since they were kept). None when the file is small, cannot be
        read, or the columns cannot say (no cache directory, too many keys, an int too large
        for a float64): the caller reads the file then."""
        path = os.path.join(run_dir, _layout.METRICS_DIR, log_name + _layout.METRIC_SUFFIX)
        try:
            descriptor = os.open(path, _OPEN_FLAGS)
        except OSError:
            return None
        try:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode) or status.st_size < self.min_bytes:
                return None
            directory = self.directory()
            if directory is None:
                return None
            with self._lock(log_id, log_name):
                log, tail = self._current(_Log(directory, log_id, log_name), descriptor, status,
                                          {x, y})
        except OSError:
            return None
        finally:
            os.close(descriptor)
        return None if log is None else _points(log, tail, x, y)

    def _lock(self, log_id: str, log_name: str) -> threading.Lock:
        """One parse at a time per log: the run page asks for all its curves at once."""
        with self._locks_lock:
            return self._locks.setdefault((log_id, log_name), threading.Lock())

    def _current(self, log: _Log, descriptor: int, status: os.stat_result, wanted: Set[str]
                 ) -> Tuple[Optional[_Log], List[Dict[str, Any]]]:
        """The log with the columns of (at least) the ``wanted`` keys covering the file's whole
        lines, or None if it has too many keys; and the records of its partial last line."""
        start = _covered(log, descriptor, status)
        rest = _read_from(descriptor, start, status.st_size)
        end = rest.rfind(b"\n") + 1
        if start:
            kept = list(log.manifest["keys"])
            # a file that grew needs every column extended; else the wanted ones are enough
            loaded = {key: log.load_column(key) for key in kept if end or key in wanted}
            if None not in loaded.values():
                log.columns = loaded  # type: ignore[assignment]
                if end:
                    if not _extend(log, rest[:end]):
                        return None, []
                    _sign(log, descriptor, status, start + end)
                    log.save(kept)
                return log, _tail(rest[end:])
            rest = _read_from(descriptor, 0, status.st_size)  # a column torn, foreign or stale
            end = rest.rfind(b"\n") + 1
        old_keys = list(log.manifest.get("keys", ()))
        log.manifest = {"format": _FORMAT, "run": log.log_id, "log": log.log_name, "lines": 0,
                        "records": 0, "first_has_step": False, "keys": {}}
        log.columns = {}
        if not _extend(log, rest[:end]):
            return None, []
        _sign(log, descriptor, status, end)
        log.save(old_keys)
        return log, _tail(rest[end:])


def _covered(log: _Log, descriptor: int, status: os.stat_result) -> int:
    """How many bytes of the file the kept columns cover: 0 without a manifest, or when the
    file is not the one they were made from, nor that file grown (same inode, not shorter,
    not older, the same bytes just before the covered end)."""
    if not log.load_manifest():
        return 0
    manifest = log.manifest
    if (manifest["ino"] == status.st_ino and manifest["bytes"] <= status.st_size
            and manifest["mtime_ns"] <= status.st_mtime_ns
            and _tag(descriptor, manifest["bytes"]) == manifest["tag"]):
        return manifest["bytes"]  # type: ignore[no-any-return]
    return 0


def _tail(data: bytes) -> List[Dict[str, Any]]:
    """The record of a partial last line, if it parses (as ``read_records`` takes it)."""
    return parse_records(data) if data.strip() else []


def _extend(log: _Log, data: bytes) -> bool:
    """Add the records of ``data`` (whole lines) to the log's columns; False when the log has
    more than ``MAX_KEYS`` numeric keys."""
    manifest = log.manifest
    for chunk in _chunks(data):
        records = parse_records(chunk)
        manifest["lines"] += chunk.count(b"\n")
        if records and not manifest["records"]:
            manifest["first_has_step"] = STEP in records[0]
        _add_records(log.columns, records, manifest["records"])
        manifest["records"] += len(records)
        if len(log.columns) > MAX_KEYS:
            return False
    manifest["keys"] = {key: column.state() for key, column in log.columns.items()}
    return True


def _add_records(columns: Dict[str, Column], records: List[Dict[str, Any]], before: int
                 ) -> None:
    """Extend every column by one value per record; a key with its first number gets a column
    (NaN for the ``before`` records without it)."""
    for key in set(columns).union(*records):
        values = list(map(dict.get, records, repeat(key)))
        column = columns.get(key)
        if column is None:
            if not any(map(is_number, values)):
                continue  # no number yet: as good as missing
            column = columns[key] = Column(array("d", [NAN]) * before)
        column.append(values)


def _sign(log: _Log, descriptor: int, status: os.stat_result, covered: int) -> None:
    log.manifest.update(ino=status.st_ino, size=status.st_size, mtime_ns=status.st_mtime_ns,
                        bytes=covered, tag=_tag(descriptor, covered))


def _points(log: _Log, tail: List[Dict[str, Any]], x: str, y: str) -> Optional[Points]:
    """``read_series``'s points from the columns and the records of a partial last line."""
    count = log.manifest["records"] + len(tail)
    first_has_step = log.manifest["first_has_step"] if log.manifest["records"] else (
        bool(tail) and STEP in tail[0])
    by_line = x == STEP and not first_has_step
    columns: Dict[str, Column] = {}
    for key in {y} if by_line else {x, y}:
        column = log.columns.get(key)
        if tail:
            column = column.copy() if column else Column(array("d", [NAN]) * (count - len(tail)))
            column.append([record.get(key) for record in tail])
        if column is None:
            return [], [], True, None  # no number at all under this key
        if not column.exact:
            return None
        if not column.numbers:
            return [], [], True, None
        columns[key] = column
    ys = columns[y]
    if by_line:
        if ys.numbers == count:
            return range(count), ys.values, True, ys.extremes
        kept = list(map(operator.eq, ys.values, ys.values))  # NaN, the mark of no number, != NaN
        return array("q", compress(range(count), kept)), _kept(ys.values, kept), True, None
    xs = columns[x]
    if xs.numbers == count and ys.numbers == count:
        return xs.values, ys.values, xs.increasing, ys.extremes
    kept = list(map(operator.and_, map(operator.eq, xs.values, xs.values),
                    map(operator.eq, ys.values, ys.values)))
    return _kept(xs.values, kept), _kept(ys.values, kept), xs.increasing, None


def _kept(values: "array[float]", kept: List[bool]) -> "array[float]":
    return array("d", compress(values, kept))


def read_series_through(cache: ColumnCache, run: str, run_dir: str, log_name: str, y: str,
                        x: str = STEP) -> Series:
    """``read_series``, answered from the metric columns when its file is big enough to be kept
    there (``mlxp plot`` of million-point metrics: parsed once, not at every plot)."""
    points = cache.points(run, run_dir, log_name, y, x)
    if points is None:
        return read_series(run, run_dir, log_name, y, x)
    return Series(run, list(points[0]), list(points[1]))

