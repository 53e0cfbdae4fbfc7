"""The run index: every run directory under a parent directory, flattened and cached.

Reading 10,000 runs' YAML costs seconds; a stat and one JSON load cost a tenth of that. So the
index keeps, per run, a stat signature of the files it was built from (inode, size, mtime)
and the flattened fields, in ``<dst_dir>/.mlxp_index.json``. A later Reader stats each run and
parses YAML only for runs that are new or whose files changed; vanished runs are dropped.

Only the direct children of ``src_dir`` with all-digit names are runs, as in MLXP 1.0.5 (whose
Reader listed ``src_dir`` without descending): log ids are unique within one parent directory
only, so descending would mix runs of different sweeps under one id.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple

from mlxp import _layout
from mlxp._yaml import load_yaml_file
from mlxp.errors import ConfigFileError

INDEX_FILE = ".mlxp_index.json"
INDEX_FORMAT = 1
METRIC, ARTIFACT = "metric", "artifact"
PARALLEL_THRESHOLD = 500
"""Below this many runs to read, worker processes cost more than they save."""
MAX_WORKERS = 8
RACY_WINDOW_NS = 2_000_000_000

# A lazy column: ("metric", log_name, key) or ("artifact", artifact_type, name).
LazySpec = Tuple[str, str, str]


class RunData(NamedTuple):
    """What one run directory holds, as read from its metadata and key files."""

    fields: Dict[str, Any]
    """``config.<dotted>`` and ``info.<dotted>`` values."""
    metrics: Dict[str, List[str]]
    """log name -> metric keys."""
    artifacts: Dict[str, List[str]]
    """artifact type -> names relative to ``artifacts/<type>/``."""
    lazy: Dict[str, LazySpec]
    """The lazily loaded columns (see ``lazy_columns``), shared by runs that have the same."""


class IndexedRun(NamedTuple):
    """One entry of the index: a readable run (``error`` None) or a skipped one."""

    log_id: int
    signature: str
    legacy_key_files: List[str]
    """MLXP 1.0.5 key files (``metrics/.keys/<log_name>.yaml``) the signature watches."""
    data: Optional[RunData]
    error: Optional[str]


class _UnreadableRun(Exception):
    """A run directory cannot be indexed; the Reader names it in one warning and skips it."""


def flatten(prefix: str, mapping: Dict[Any, Any], out: Dict[str, Any]) -> Dict[str, Any]:
    """Add ``mapping``'s leaves to ``out`` under dotted names; empty mappings add nothing."""
    for key, value in mapping.items():
        name = prefix + (key if isinstance(key, str) else str(key))
        if isinstance(value, dict):
            flatten(name + ".", value, out)
        else:
            out[name] = value
    return out


def _artifact_keys_path(run_dir: str) -> str:
    return os.path.join(
        run_dir, _layout.ARTIFACTS_DIR, _layout.KEYS_DIR, _layout.ARTIFACT_KEYS_FILE
    )


def _stat_token(path: str) -> str:
    try:
        stat = os.stat(path)
    except OSError:
        return "-"
    return f"{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"


def run_signature(run_dir: str, legacy_key_files: Iterable[str] = ()) -> str:
    """Identify the state of the files a run's index entry comes from.

    The inode catches atomic replacements within one mtime tick. When ``metrics.yaml`` is
    absent the ``.keys`` directory is watched too, so that MLXP 1.0.5's per-log-name key files
    appearing (or being rewritten in place) are noticed.
    """
    metadata = os.path.join(run_dir, _layout.METADATA_DIR)
    keys_dir = os.path.join(run_dir, _layout.METRICS_DIR, _layout.KEYS_DIR)
    tokens = [
        _stat_token(os.path.join(metadata, _layout.INFO_FILE)),
        _stat_token(os.path.join(metadata, _layout.CONFIG_FILE)),
        _stat_token(_artifact_keys_path(run_dir)),
    ]
    metric_keys = _stat_token(os.path.join(keys_dir, _layout.METRIC_KEYS_FILE))
    tokens.append(metric_keys)
    if metric_keys == "-":
        tokens.append(_stat_token(keys_dir))
        tokens.extend(_stat_token(os.path.join(keys_dir, name)) for name in legacy_key_files)
    return "|".join(tokens)


def _distrust_recent(signature: str) -> str:
    """Make a signature that can never match again if a file changed in the last moments.

    File systems stamp mtimes with a coarse clock (a few ms), so a file rewritten in place
    with the same size within one tick keeps its signature. As git does with its "racily
    clean" entries, such a run is read once more by the next Reader, when it has settled.
    """
    recent = time.time_ns() - RACY_WINDOW_NS
    for token in signature.split("|"):
        if token != "-" and int(token.rsplit(":", 1)[1]) >= recent:
            return signature + "|racy"
    return signature


def _load_mapping(path: str, what: str, required: bool) -> Dict[Any, Any]:
    try:
        loaded = load_yaml_file(path)
    except FileNotFoundError as error:
        if required:
            raise _UnreadableRun(f"no {what}") from error
        return {}
    except (ConfigFileError, OSError) as error:
        raise _UnreadableRun(str(error)) from error
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise _UnreadableRun(f"{what} holds a {type(loaded).__name__}, not a mapping")
    return loaded


def _as_key_list(value: Any) -> List[str]:
    # Ours: a list of keys. MLXP 1.0.5: a mapping {key: ''}.
    if isinstance(value, dict):
        return [str(key) for key in value]
    if isinstance(value, list):
        return [str(key) for key in value]
    return []


def _list_key_files(run_dir: str) -> List[str]:
    keys_dir = os.path.join(run_dir, _layout.METRICS_DIR, _layout.KEYS_DIR)
    try:
        with os.scandir(keys_dir) as entries:
            return sorted(e.name for e in entries if e.name.endswith(".yaml") and e.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return []


def _read_metric_keys(run_dir: str, key_files: List[str]) -> Dict[str, List[str]]:
    keys_dir = os.path.join(run_dir, _layout.METRICS_DIR, _layout.KEYS_DIR)
    metrics: Dict[str, List[str]] = {}
    for name in key_files:
        content = _load_mapping(os.path.join(keys_dir, name), f"metrics/.keys/{name}", False)
        if name == _layout.METRIC_KEYS_FILE and all(isinstance(v, list) for v in content.values()):
            for log_name, keys in content.items():
                metrics[str(log_name)] = _as_key_list(keys)
        else:  # MLXP 1.0.5: one file per log name, {key: ''}
            log_name = name[: -len(".yaml")]
            metrics[log_name] = sorted(set(metrics.get(log_name, [])) | set(_as_key_list(content)))
    return metrics


def _read_artifact_names(run_dir: str) -> Dict[str, List[str]]:
    content = _load_mapping(_artifact_keys_path(run_dir), "artifacts/.keys/artifacts.yaml", False)
    artifacts: Dict[str, List[str]] = {}
    for artifact_type, entries in content.items():
        names: List[str] = []
        if isinstance(entries, list):  # ours: [relative names]
            names = [str(name) for name in entries]
        elif isinstance(entries, dict):
            for key, value in entries.items():
                if isinstance(value, dict):  # MLXP 1.0.5: {".sub.dir" or "": {name: ''}}
                    directory = "/".join(part for part in str(key or "").split(".") if part)
                    names.extend(f"{directory}/{n}" if directory else str(n) for n in value)
                else:
                    names.append(str(key))
        artifacts[str(artifact_type)] = names
    return artifacts


def read_run(run_dir: str) -> IndexedRun:
    """Read one run directory; its signature is taken before reading, so a change made while
    reading makes the next Reader read the run again.

    A run whose ``metadata/info.yaml`` is missing or whose files are malformed comes back
    with ``data`` None and the reason in ``error``.
    """
    key_files = _list_key_files(run_dir)
    legacy = [name for name in key_files if name != _layout.METRIC_KEYS_FILE]
    signature = run_signature(run_dir, legacy)
    log_id = int(os.path.basename(run_dir))
    metadata = os.path.join(run_dir, _layout.METADATA_DIR)
    try:
        # A run written by a plain Logger has no config.yaml: its config is empty.
        config = _load_mapping(os.path.join(metadata, _layout.CONFIG_FILE), "config.yaml", False)
        info = _load_mapping(os.path.join(metadata, _layout.INFO_FILE), "metadata/info.yaml", True)
        metrics = _read_metric_keys(run_dir, key_files)
        artifacts = _read_artifact_names(run_dir)
    except _UnreadableRun as error:
        reason = str(error).replace(run_dir + os.sep, "")  # the warning names the run already
        return IndexedRun(log_id, _distrust_recent(signature), legacy, None, reason)
    fields = flatten("info.", info, flatten("config.", config, {}))
    data = RunData(fields, metrics, artifacts, lazy_columns(metrics, artifacts))
    return IndexedRun(log_id, _distrust_recent(signature), legacy, data, None)


def lazy_columns(
    metrics: Dict[str, List[str]], artifacts: Dict[str, List[str]]
) -> Dict[str, LazySpec]:
    """The lazily loaded columns of a run: ``<log_name>.<key>`` and ``artifact.<type>.<name>``."""
    columns: Dict[str, LazySpec] = {}
    for log_name, keys in metrics.items():
        for key in keys:
            columns[f"{log_name}.{key}"] = (METRIC, log_name, key)
    for artifact_type, names in artifacts.items():
        for name in names:
            columns[f"{ARTIFACT}.{artifact_type}.{name}"] = (ARTIFACT, artifact_type, name)
    return columns


def scan_run_dirs(src_dir: str) -> Dict[int, str]:
    """log id -> path of every all-digit directory directly under ``src_dir``."""
    try:
        with os.scandir(src_dir) as entries:
            return {int(e.name): e.path for e in entries if e.name.isdigit() and e.is_dir()}
    except FileNotFoundError:
        return {}


def _decode(document: Any, src_dir: str) -> Dict[int, IndexedRun]:
    if not isinstance(document, dict) or document.get("format") != INDEX_FORMAT:
        return {}
    if document.get("src_dir") != src_dir:
        return {}
    field_sets = document["field_sets"]
    lazy_sets = [(m, a, lazy_columns(m, a)) for m, a in document["lazy_sets"]]
    runs: Dict[int, IndexedRun] = {}
    for log_id, signature, legacy, field_set, values, lazy_set in document["runs"]:
        data = RunData(dict(zip(field_sets[field_set], values)), *lazy_sets[lazy_set])
        runs[log_id] = IndexedRun(log_id, signature, legacy, data, None)
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
             list(run.data.fields.values()), lazy_sets[lazy_key]]
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


def load_cached(index_path: str, src_dir: str) -> Dict[int, IndexedRun]:
    """The runs of a saved index, or nothing if it is missing, stale in format, or damaged."""
    try:
        with open(index_path, "rb") as stream:
            return _decode(json.loads(stream.read()), src_dir)
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


def update_index(
    src_dir: str, dst_dir: str, refresh: bool = False
) -> Tuple[List[IndexedRun], Optional[str]]:
    """Bring the index of ``src_dir`` up to date and return its runs by log id.

    Returns:
        The runs (readable and skipped) sorted by log id, and a message if the index could not
        be saved (the runs are still returned).
    """
    index_path = os.path.join(dst_dir, INDEX_FILE)
    cached = {} if refresh else load_cached(index_path, src_dir)
    runs: Dict[int, IndexedRun] = {}
    to_read: List[str] = []
    for log_id, run_dir in scan_run_dirs(src_dir).items():
        previous = cached.get(log_id)
        if previous is not None:
            if run_signature(run_dir, previous.legacy_key_files) == previous.signature:
                runs[log_id] = previous
                continue
        if os.path.isdir(os.path.join(run_dir, _layout.METADATA_DIR)):
            to_read.append(run_dir)
        # else: an id being allocated, or not a run directory at all
    for run in read_runs(to_read):
        runs[run.log_id] = run
    save_error = None
    if refresh or to_read or len(runs) != len(cached) or not os.path.exists(index_path):
        try:
            os.makedirs(dst_dir, exist_ok=True)
            _layout.atomic_write(index_path, _encode(runs, src_dir))
        except OSError as error:
            save_error = f"could not save the run index {index_path}: {error}"
    return [runs[log_id] for log_id in sorted(runs)], save_error
