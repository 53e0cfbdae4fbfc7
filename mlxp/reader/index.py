"""The run index: every run directory under a parent directory, flattened and cached.

Reading 10,000 runs' YAML costs seconds; a stat and one JSON load cost a tenth of that. So the
index keeps, per run, a stat signature of the files it was built from (inode, size, ctime,
mtime) and the flattened fields, in ``<dst_dir>/.mlxp_index.json``. A later Reader stats each
run and parses YAML only for runs that are new or whose files changed; vanished runs are dropped.

Only the direct children of ``src_dir`` named like log ids are runs, as in MLXP 1.0.5 (whose
Reader listed ``src_dir`` without descending): log ids are unique within one parent directory
only, so descending would mix runs of different sweeps under one id.

Damage is reported, never fatal, and never cached for good: a run whose metadata cannot be read
is kept as skipped only until its files' signature changes, a run with a bad key file is kept
with the problem (and without those columns), and entries that are not run directories at all
are found again by each listing. Reading one run is ``mlxp.reader._run_dir``'s job.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from mlxp import _layout
from mlxp.errors import ReaderError
from mlxp.reader._files import describe, read_regular_file
from mlxp.reader._run_dir import (
    IndexedRun,
    RunData,
    UnreadableRun,
    _distrust_recent,
    _list_key_files,
    _stat_token,
    has_metadata,
    lazy_columns,
    read_run,
    run_signature,
)

INDEX_FILE = ".mlxp_index.json"
INDEX_FORMAT = 2  # 2: signatures hold the ctime; runs read in part keep their problem
PARALLEL_THRESHOLD = 500
"""Below this many runs to read, worker processes cost more than they save."""
MAX_WORKERS = 8


def _decode(document: Any, src_dir: str) -> Dict[int, IndexedRun]:
    if not isinstance(document, dict) or document.get("format") != INDEX_FORMAT:
        return {}
    if document.get("src_dir") != src_dir:
        return {}
    field_sets = document["field_sets"]
    lazy_sets = [(m, a, lazy_columns(m, a)) for m, a in document["lazy_sets"]]
    runs: Dict[int, IndexedRun] = {}
    for log_id, signature, legacy, field_set, values, lazy_set, error in document["runs"]:
        data = RunData(dict(zip(field_sets[field_set], values)), *lazy_sets[lazy_set])
        runs[log_id] = IndexedRun(log_id, signature, legacy, data, error)
    for log_id, signature, legacy, error in document["skipped"]:
        runs[log_id] = IndexedRun(log_id, signature, legacy, None, error)
    return runs


def _encode(runs: Dict[int, IndexedRun], src_dir: str) -> bytes:
    field_sets: Dict[Tuple[str, ...], int] = {}
    lazy_sets: Dict[str, int] = {}
    lazy_values: List[Any] = []
    encoded_runs: List[Any] = []
    skipped: List[Any] = []
    for log_id in sorted(runs):
        run = runs[log_id]
        if run.data is None:
            skipped.append([log_id, run.signature, run.legacy_key_files, run.error])
            continue
        names = tuple(run.data.fields)
        field_set = field_sets.setdefault(names, len(field_sets))
        lazy_key = json.dumps([run.data.metrics, run.data.artifacts], sort_keys=True)
        if lazy_key not in lazy_sets:
            lazy_sets[lazy_key] = len(lazy_values)
            lazy_values.append([run.data.metrics, run.data.artifacts])
        encoded_runs.append(
            [log_id, run.signature, run.legacy_key_files, field_set,
             list(run.data.fields.values()), lazy_sets[lazy_key], run.error]
        )
    document = {
        "format": INDEX_FORMAT,
        "src_dir": src_dir,
        "field_sets": [list(names) for names in field_sets],
        "lazy_sets": lazy_values,
        "runs": encoded_runs,
        "skipped": skipped,
    }
    # default=str: a YAML value JSON cannot hold (a date from an explicit tag) is kept as text.
    return json.dumps(document, separators=(",", ":"), default=str).encode("utf-8")


def settled_signature(run_dir: str) -> Tuple[str, List[str]]:
    """The signature the index would keep for ``run_dir`` now, and the per-log-name key files
    it watches (``run_signature``'s second argument, to check it later). Made never to match
    again when a file changed in the last moments, as the index does."""
    key_files = [name for name in _list_key_files(run_dir, [])
                 if name != _layout.METRIC_KEYS_FILE]
    return _distrust_recent(run_signature(run_dir, key_files)), key_files


_SIGNED_FILES = tuple(os.sep + os.path.join(*parts) for parts in (
    (_layout.METADATA_DIR, _layout.INFO_FILE),
    (_layout.METADATA_DIR, _layout.CONFIG_FILE),
    (_layout.ARTIFACTS_DIR, _layout.KEYS_DIR, _layout.ARTIFACT_KEYS_FILE),
    (_layout.METRICS_DIR, _layout.KEYS_DIR, _layout.METRIC_KEYS_FILE),
))
_METRIC_KEYS_DIR = os.sep + os.path.join(_layout.METRICS_DIR, _layout.KEYS_DIR)


def signature_holds(run_dir: str, key_files: List[str], signature: str) -> bool:
    """Whether ``run_signature(run_dir, key_files)`` is still ``signature``: the same files
    in the same order, with the paths built by concatenation (``mlxp ls`` checks every run)."""
    tokens = [_stat_token(run_dir + suffix) for suffix in _SIGNED_FILES]
    if tokens[3] == "-":  # no metrics.yaml: the key files of each log name
        keys_dir = run_dir + _METRIC_KEYS_DIR
        tokens.append(_stat_token(keys_dir))
        tokens.extend(_stat_token(f"{keys_dir}{os.sep}{name}") for name in key_files)
    return "|".join(tokens) == signature


def load_cached(index_path: str, src_dir: str) -> Dict[int, IndexedRun]:
    """The runs of a saved index, or nothing if it is missing, stale in format, or damaged."""
    try:
        return _decode(json.loads(read_regular_file(index_path)), src_dir)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return {}


def _read_runs(run_dirs: List[str]) -> List[IndexedRun]:
    return [read_run(run_dir) for run_dir in run_dirs]


def _can_fork() -> bool:
    # Forking is safe only without other threads (and on macOS not even then, as far as system
    # libraries go); spawning instead would re-run the user's script in every worker. A daemon
    # process (a multiprocessing worker itself) may not have children.
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    import multiprocessing

    return not multiprocessing.current_process().daemon


def read_runs(run_dirs: List[str]) -> List[IndexedRun]:
    """``read_run`` for each directory, in worker processes when there are many.

    YAML parsing is CPU-bound and the cold index of 10,000 runs is dominated by it, so
    spreading it over the cores is the one big saving left; small updates stay in-process.
    """
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(run_dirs) < PARALLEL_THRESHOLD or workers < 2 or not _can_fork():
        return _read_runs(run_dirs)
    import concurrent.futures  # imported here: multiprocessing costs ms at `import mlxp`
    import multiprocessing

    size = -(-len(run_dirs) // (workers * 4))
    chunks = [run_dirs[i : i + size] for i in range(0, len(run_dirs), size)]
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as executor:
        return [run for chunk in executor.map(_read_runs, chunks) for run in chunk]


class IndexUpdate(NamedTuple):
    """What ``update_index`` found."""

    runs: List[IndexedRun]
    """The run directories (read in full, in part, or skipped), sorted by log id."""
    not_runs: Dict[str, str]
    """Entries named like run directories that cannot be read as one: path -> why."""
    save_error: Optional[str]
    """Why the index could not be saved, if it could not (the runs are still returned)."""


def update_index(src_dir: str, dst_dir: str, refresh: bool = False) -> IndexUpdate:
    """Bring the index of ``src_dir`` up to date and return its runs by log id.

    Raises:
        ReaderError: ``src_dir`` cannot be listed.
    """
    index_path = os.path.join(dst_dir, INDEX_FILE)
    cached = {} if refresh else load_cached(index_path, src_dir)
    runs: Dict[int, IndexedRun] = {}
    not_runs: Dict[str, str] = {}
    to_read: List[str] = []
    try:
        listed = list(_layout.iter_run_dirs(src_dir, not_runs))
    except OSError as error:
        raise ReaderError(f"cannot list {src_dir}: {describe(error)}", path=src_dir) from error
    for log_id, run_dir in listed:
        previous = cached.get(log_id)
        if previous is not None:
            if run_signature(run_dir, previous.legacy_key_files) == previous.signature:
                runs[log_id] = previous
                continue
        try:
            if has_metadata(run_dir):
                to_read.append(run_dir)
        except UnreadableRun as error:
            not_runs[run_dir] = str(error)
    for run in read_runs(to_read):
        runs[run.log_id] = run
    save_error = None
    if refresh or to_read or len(runs) != len(cached) or not os.path.exists(index_path):
        try:
            os.makedirs(dst_dir, exist_ok=True)
            _layout.atomic_write(index_path, _encode(runs, src_dir))
        except OSError as error:
            save_error = f"could not save the run index {index_path}: {error}"
    return IndexUpdate([runs[log_id] for log_id in sorted(runs)], not_runs, save_error)
