"""The runs table's rows, cached per run and keyed by the run's index signature.

With the Reader's index warm, ``mlxp ls`` and ``mlxp ui`` still spent most of their time
deriving each run's row (the flat config with secrets masked, the status, dates, duration,
metric summaries) and then encoding it. Those depend only on the files the index's signature
and the metrics files' signatures watch, so ``<logdir>/.mlxp_rows.json`` keeps each run's row
as the JSON text ``/api/runs`` sends. When every run of the directory still has its signature,
the table is that file's rows: one stat per watched file, no decoding of the (larger) index,
and for ``mlxp ui`` no decoding nor encoding of the rows either.

The file is JSON lines: a header ``{"format": 2, "varying": [...], "config_keys": [...],
"crc32": ...}`` (the checksum of the rest: a damaged file is never trusted, since ``mlxp ui``
sends the rows' text as it is), then one line per run of tab-separated fields (JSON escapes tabs and newlines in its text):
id, signature, key files, metrics signature, status, metric keys and the row (``CachedRow``).

An active run (STARTING, RUNNING) keeps its flat info instead of its derived fields: whether it
is LOST and how long it has run depend on the clock. A signature is taken before the run is
read, so a run that changed in between is read again next time rather than kept stale.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from mlxp import _layout
from mlxp.reader._files import read_regular_file
from mlxp.reader.index import INDEX_FILE, settled_signature, signature_holds

__all__ = ["ROW_CACHE", "ACTIVE", "CachedRow", "Header", "load_rows", "metrics_current", "metrics_signature",
           "save_rows", "signatures_now", "valid_rows", "valid_rows_of"]

ROW_CACHE = ".mlxp_rows.json"
_FORMAT = 2
_FIELDS = 7
ACTIVE = (_layout.STARTING, _layout.RUNNING)

Header = Dict[str, Any]
"""``{"format": 2, "varying": [config keys that vary], "config_keys": [every config key],
"crc32": checksum of the lines after the header}``."""


@dataclass
class CachedRow:
    """One run as the cache keeps it."""

    log_id: str
    run_dir: str
    signature: str
    """The index's signature of the run (``settled_signature``) when the row was derived."""
    key_files: List[str]
    """The per-log-name key files the signature watches."""
    metrics_signature: str
    """The signatures of the metrics files the row's summaries come from
    (``metrics_signature``); empty when they cannot be trusted."""
    status: str
    """The status shown; empty for an active run, whose row is derived at each read."""
    metric_keys: str
    """JSON text: the sorted ``<log>.<key>`` names of the row's metric summaries."""
    row: str
    """JSON text: ``RunSummary.to_json()`` of a settled run; ``{"config": flat masked config,
    "info": flat info, "metrics": summaries}`` of an active one."""

    def to_line(self) -> str:
        fields = (self.log_id, self.signature, _compact(self.key_files),
                  self.metrics_signature, self.status, self.metric_keys, self.row)
        return "\t".join(fields)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _path(logdir: str) -> str:
    return os.path.join(logdir, ROW_CACHE)


def load_rows(logdir: str) -> Optional[Tuple[Header, Dict[str, List[str]]]]:
    """The header and each run's line split into its fields, by id; None if the file is
    missing, damaged (its checksum differs) or of another format: it is rebuilt then."""
    try:
        first, _, body = read_regular_file(_path(logdir)).partition(b"\n")
        header = json.loads(first)
        if not isinstance(header, dict) or header.get("crc32") != zlib.crc32(body):
            return None
        lines = body.decode("utf-8").split("\n")
    except (OSError, ValueError):
        return None
    if header.get("format") != _FORMAT or lines.pop() != "" or not all(
            isinstance(header.get(key), list) for key in ("varying", "config_keys")):
        return None
    rows: Dict[str, List[str]] = {}
    for line in lines:
        fields = line.split("\t", _FIELDS - 1)
        if len(fields) != _FIELDS:
            return None
        rows[fields[0]] = fields
    return header, rows


def valid_rows(logdir: str) -> Optional[Tuple[Header, List[CachedRow]]]:
    """The header and every run of ``logdir`` by id, if the cache holds each one with its
    current signature and the directory has nothing the Reader would warn about; else None
    (the caller reads the runs)."""
    loaded = _loaded(logdir)
    if loaded is None:
        return None
    header, lines = loaded
    not_runs: Dict[str, str] = {}
    try:
        listed = list(_layout.iter_run_dirs(logdir, not_runs))
    except OSError:
        return None
    if not_runs or len(listed) != len(lines):
        return None
    found = []
    for log_id, run_dir in listed:
        row = _unchanged(lines.get(str(log_id)), run_dir)
        if row is None:
            return None
        found.append(row)
    return header, found


def valid_rows_of(logdir: str, log_ids: List[str]) -> Optional[List[CachedRow]]:
    """The rows of the runs ``log_ids`` (in that order), if the cache holds each one with its
    current signature; else None. The other runs are not checked (a chart of a few runs)."""
    loaded = _loaded(logdir)
    if loaded is None:
        return None
    found = []
    for log_id in log_ids:
        row = _unchanged(loaded[1].get(log_id), os.path.join(logdir, log_id))
        if row is None:
            return None
        found.append(row)
    return found


def _unchanged(fields: Optional[List[str]], run_dir: str) -> Optional[CachedRow]:
    """The row of a run's line if the run still has the signature it was cached with; None
    for a run the cache does not hold, a damaged line or a run that changed."""
    row = None if fields is None else _parsed(fields, run_dir)
    if row is None or not signature_holds(run_dir, row.key_files, row.signature):
        return None
    return row


def _loaded(logdir: str) -> Optional[Tuple[Header, Dict[str, List[str]]]]:
    if not os.path.exists(os.path.join(logdir, INDEX_FILE)):
        return None  # the Reader would build the index: let it
    return load_rows(logdir)


def _parsed(fields: List[str], run_dir: str) -> Optional[CachedRow]:
    """A line's row, or None when a field is not what the writer writes (a damaged cache)."""
    log_id, signature, key_files, metrics, status, metric_keys, row = fields
    try:
        files = [] if key_files == "[]" else json.loads(key_files)
    except ValueError:
        return None
    if type(files) is not list or not (metric_keys.startswith("[") and row.startswith("{")):
        return None
    return CachedRow(log_id, run_dir, signature, files, metrics, status, metric_keys, row)


def metrics_signature(part: Optional[List[Any]]) -> str:
    """``SummaryCache.trusted_part`` as a line keeps it: ``ino:mtime`` of ``metrics/`` (or
    ``none``), then ``/name/ino:size:mtime`` per metrics file (a log name holds no ``/``);
    empty when the summaries cannot be trusted."""
    if part is None:
        return ""
    files = "".join(f"/{name}/{':'.join(map(str, signature))}" for name, signature in part[1])
    return ("none" if part[0] is None else ":".join(map(str, part[0]))) + files


def metrics_current(run_dir: str, signature: str) -> bool:
    """Whether a row's metric summaries still describe the run's metrics files: the same
    ``metrics/`` directory (so the same files) and each file's signature unchanged."""
    if not signature:
        return False
    fields = signature.split("/")
    metrics_dir = f"{run_dir}{os.sep}{_layout.METRICS_DIR}"  # a hot path: no os.path.join
    try:
        status = os.stat(metrics_dir)
    except OSError:
        return fields == ["none"]
    if fields[0] != f"{status.st_ino}:{status.st_mtime_ns}" or len(fields) % 2 == 0:
        return False
    for log_name, expected in zip(fields[1::2], fields[2::2]):
        try:
            status = os.stat(f"{metrics_dir}{os.sep}{log_name}{_layout.METRIC_SUFFIX}")
        except (OSError, ValueError):  # ValueError: a damaged cache (a NUL in the name)
            return False
        if expected != f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}":
            return False
    return True


def signatures_now(logdir: str) -> Dict[str, Tuple[str, List[str]]]:
    """Each run directory's signature and watched key files (``settled_signature``), taken
    before it is read: a row is cached only with the signature of files at least as old as
    what it was derived from."""
    try:
        return {run_dir: settled_signature(run_dir) for _, run_dir in _layout.iter_run_dirs(logdir)}
    except OSError:
        return {}


def save_rows(logdir: str, rows: List[CachedRow], varying: List[str],
              config_keys: List[str]) -> None:
    """Replace the cache. A cache that cannot be written is left alone: it only saves time."""
    try:
        body = "".join(f"{row.to_line()}\n" for row in rows).encode("utf-8")
        header = {"format": _FORMAT, "varying": varying, "config_keys": config_keys,
                  "crc32": zlib.crc32(body)}
        _layout.atomic_write(_path(logdir), _compact(header).encode("utf-8") + b"\n" + body)
    except (OSError, ValueError):
        pass
