"""The runs table's derived rows, cached per run and keyed by the run's index signature.

With the Reader's index warm, ``mlxp ls`` still spent most of its time deriving each run's
row from its fields: the flat config with secrets masked, the status, dates and duration. Those
depend only on the files the index's signature watches (``info.yaml``, ``config.yaml`` and the
key files), so ``<logdir>/.mlxp_rows.json`` keeps them per run with that signature. When every
run of the directory still has its signature, the table is built from this file alone: one
stat per watched file and no decoding of the (larger) index.

An active run (STARTING, RUNNING) keeps its flat info instead of its derived fields: whether it
is LOST and how long it has run depend on the clock. A signature is taken before the run is
read, so a run that changed in between is read again next time rather than kept stale.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Tuple

from mlxp import _layout
from mlxp.reader._files import read_regular_file
from mlxp.reader.index import INDEX_FILE, settled_signature, signature_holds

__all__ = ["ROW_CACHE", "ACTIVE", "CachedRow", "load_document", "metrics_current",
           "save_document", "signatures_now", "valid_rows"]

ROW_CACHE = ".mlxp_rows.json"
_FORMAT = 1
ACTIVE = (_layout.STARTING, _layout.RUNNING)

CachedRow = List[Any]
"""``[signature, masked flat config, derived, metrics, key files]``: ``derived`` is ``[status, start, end,
duration, host, job_id, sweep_id, error, lost]``, or ``{"info": flat info}`` for an active run;
``metrics`` is ``[metrics/ signature, [[log name, file signature], ...], {"<log>.<key>":
summary}]`` (``SummaryCache.trusted_part`` and the summaries), or None; ``key files``: the
per-log-name key files the signature watches."""


def _path(logdir: str) -> str:
    return os.path.join(logdir, ROW_CACHE)


def load_document(logdir: str) -> Optional[Dict[str, Any]]:
    """The cache: ``{"runs": {id: CachedRow}, "varying": [...], "config_keys": [...]}``;
    None if the file is missing, damaged or of another format (it is rebuilt then)."""
    try:
        document = json.loads(read_regular_file(_path(logdir)))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != _FORMAT:
        return None
    rows = document.get("runs")
    if not isinstance(rows, dict) or not all(
            isinstance(key, list) for key in (document.get("varying"), document.get("config_keys"))):
        return None
    if not all(isinstance(row, list) and len(row) == 5 for row in rows.values()):
        return None
    return document


def valid_rows(logdir: str) -> Optional[Tuple[Dict[str, Any], List[Tuple[str, str, CachedRow]]]]:
    """The cache and ``(id, run dir, row)`` of every run of ``logdir`` by id, if the cache
    holds each one with its current signature and the directory has nothing the Reader would
    warn about; else None (the caller reads the runs)."""
    if not os.path.exists(os.path.join(logdir, INDEX_FILE)):
        return None  # the Reader would build the index: let it
    document = load_document(logdir)
    if document is None:
        return None
    rows = document["runs"]
    not_runs: Dict[str, str] = {}
    try:
        listed = list(_layout.iter_run_dirs(logdir, not_runs))
    except OSError:
        return None
    if not_runs or len(listed) != len(rows):
        return None
    found = []
    for log_id, run_dir in listed:
        key = str(log_id)
        row = rows.get(key)
        if row is None or not _well_formed(row) or not signature_holds(run_dir, row[4], row[0]):
            return None
        found.append((key, run_dir, row))
    return document, found


def _well_formed(row: CachedRow) -> bool:
    derived, part = row[2], row[3]
    if type(derived) is list:
        shape = len(derived) == 9
    else:
        shape = type(derived) is dict and type(derived.get("info")) is dict
    return shape and type(row[1]) is dict and type(row[4]) is list and (
        part is None or type(part) is list and len(part) == 3 and type(part[1]) is list
        and type(part[2]) is dict)


def metrics_current(run_dir: str, part: Optional[List[Any]]) -> bool:
    """Whether a row's metric summaries still describe the run's metrics files: the same
    ``metrics/`` directory (so the same files) and each file's signature unchanged."""
    if part is None:
        return False
    metrics_dir = f"{run_dir}{os.sep}{_layout.METRICS_DIR}"  # a hot path: no os.path.join
    try:
        status = os.stat(metrics_dir)
    except OSError:
        return part[0] is None
    if part[0] != [status.st_ino, status.st_mtime_ns]:
        return False
    for log_name, signature in part[1]:
        try:
            status = os.stat(f"{metrics_dir}{os.sep}{log_name}{_layout.METRIC_SUFFIX}")
        except (OSError, TypeError, ValueError):  # TypeError, ValueError: a damaged cache
            return False
        if signature != [status.st_ino, status.st_size, status.st_mtime_ns]:
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


def save_document(logdir: str, rows: Dict[str, CachedRow], varying: List[str],
                  config_keys: List[str]) -> None:
    """Replace the cache. A cache that cannot be written is left alone: it only saves time."""
    document = {"format": _FORMAT, "runs": rows, "varying": varying, "config_keys": config_keys}
    try:
        # default=str: the index keeps a YAML value JSON cannot hold (a date) as text too
        data = json.dumps(document, separators=(",", ":"), default=str).encode()
        _layout.atomic_write(_path(logdir), data)
    except (OSError, ValueError):
        pass
