"""One run directory read for the index: its metadata and key files, and their signature.

The signature (inode, size, ctime, mtime of each file read) lets the index tell a run that
changed from one that did not with a stat per file. Damage never raises: a run whose metadata
cannot be read comes back skipped, with the reason; one with a bad key file comes back without
those columns, and what is missing.
"""

from __future__ import annotations

import os
import stat
import time
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple

from mlxp import _layout
from mlxp._yaml import load_yaml
from mlxp.errors import ConfigFileError
from mlxp.reader._files import describe, read_regular_file

METRIC, ARTIFACT, ARTIFACT_FILE = "metric", "artifact", "artifact file"
RACY_WINDOW_NS = 2_000_000_000

# A lazy column: ("metric", log_name, key), ("artifact", artifact_type, ".sub.dir" or "") for
# MLXP's per-directory columns, or ("artifact file", artifact_type, name) for per-file lookups.
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
    """One entry of the index: a run read in full, a run read in part (``data`` and ``error``:
    a key file could not be read, so some columns are missing) or a skipped one (``data`` None).
    """

    log_id: int
    signature: str
    legacy_key_files: List[str]
    """Per-log-name key files (``metrics/.keys/<log_name>.yaml``, written by mlxp and by
    MLXP 1.0.5) the signature watches."""
    data: Optional[RunData]
    error: Optional[str]


class UnreadableRun(Exception):
    """A file of a run cannot be read; the Reader names the run in one warning."""


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
    # The ctime changes with the permissions and the owner too, so that a file made readable
    # again is read again. The mtime comes last for _distrust_recent.
    try:
        status = os.stat(path)
    except OSError:
        return "-"
    return f"{status.st_ino}:{status.st_size}:{status.st_ctime_ns}:{status.st_mtime_ns}"


def run_signature(run_dir: str, legacy_key_files: Iterable[str] = ()) -> str:
    """Identify the state of the files a run's index entry comes from.

    The inode catches atomic replacements within one mtime tick. When the single
    ``metrics.yaml`` of earlier mlxp versions is absent, the ``.keys`` directory is watched
    too, so that per-log-name key files appearing (or being rewritten in place) are noticed.
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
        loaded = load_yaml(read_regular_file(path).decode("utf-8"), path)
    except FileNotFoundError as error:
        if required:
            raise UnreadableRun(f"no {what}") from error
        return {}
    except OSError as error:
        raise UnreadableRun(f"{what}: {describe(error)}") from error
    except UnicodeDecodeError as error:
        raise UnreadableRun(f"{what}: not UTF-8 text") from error
    except ConfigFileError as error:
        raise UnreadableRun(str(error)) from error
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise UnreadableRun(f"{what} holds a {type(loaded).__name__}, not a mapping")
    return loaded


def _as_key_list(value: Any) -> List[str]:
    # Ours: a list of keys. MLXP 1.0.5: a mapping {key: ''}.
    if isinstance(value, dict):
        return [str(key) for key in value]
    if isinstance(value, list):
        return [str(key) for key in value]
    return []


def _list_key_files(run_dir: str, problems: List[str]) -> List[str]:
    # Every *.yaml entry, whatever it is: one that is not a regular file is reported when read.
    keys_dir = os.path.join(run_dir, _layout.METRICS_DIR, _layout.KEYS_DIR)
    try:
        with os.scandir(keys_dir) as entries:
            return sorted(e.name for e in entries if e.name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as error:
        problems.append(f"metrics/.keys: {describe(error)}; the metric columns are missing")
        return []


def _read_metric_keys(
    run_dir: str, key_files: List[str], problems: List[str]
) -> Dict[str, List[str]]:
    keys_dir = os.path.join(run_dir, _layout.METRICS_DIR, _layout.KEYS_DIR)
    metrics: Dict[str, List[str]] = {}
    for name in key_files:
        try:
            content = _load_mapping(os.path.join(keys_dir, name), f"metrics/.keys/{name}", False)
        except UnreadableRun as error:  # the run itself is intact: keep it, without these
            problems.append(f"{error}; its metric columns are missing")
            continue
        if name == _layout.METRIC_KEYS_FILE and all(isinstance(v, list) for v in content.values()):
            for log_name, keys in content.items():
                metrics[str(log_name)] = _as_key_list(keys)
        else:  # mlxp and MLXP 1.0.5: one file per log name, {key: ''}
            log_name = name[: -len(".yaml")]
            metrics[log_name] = sorted(set(metrics.get(log_name, [])) | set(_as_key_list(content)))
    return metrics


def _read_artifact_names(run_dir: str, problems: List[str]) -> Dict[str, List[str]]:
    what = "artifacts/.keys/artifacts.yaml"
    try:
        content = _load_mapping(_artifact_keys_path(run_dir), what, False)
    except UnreadableRun as error:
        problems.append(f"{error}; the artifact columns are missing")
        return {}
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

    A run whose ``metadata/info.yaml`` is missing or whose metadata files are malformed comes
    back with ``data`` None and the reason in ``error``; one whose key files cannot be read
    comes back with the rest of its data, and what is missing in ``error``.
    """
    problems: List[str] = []
    key_files = _list_key_files(run_dir, problems)
    legacy = [name for name in key_files if name != _layout.METRIC_KEYS_FILE]
    signature = _distrust_recent(run_signature(run_dir, legacy))
    log_id = int(os.path.basename(run_dir))
    metadata = os.path.join(run_dir, _layout.METADATA_DIR)
    try:
        # A run written by a plain Logger has no config.yaml: its config is empty.
        config = _load_mapping(
            os.path.join(metadata, _layout.CONFIG_FILE), "metadata/config.yaml", False
        )
        info = _load_mapping(os.path.join(metadata, _layout.INFO_FILE), "metadata/info.yaml", True)
        fields = flatten("info.", info, flatten("config.", config, {}))
    except UnreadableRun as error:
        return IndexedRun(log_id, signature, legacy, None, _relative(str(error), run_dir))
    metrics = _read_metric_keys(run_dir, key_files, problems)
    artifacts = _read_artifact_names(run_dir, problems)
    data = RunData(fields, metrics, artifacts, lazy_columns(metrics, artifacts))
    problem = _relative("; ".join(problems), run_dir) if problems else None
    return IndexedRun(log_id, signature, legacy, data, problem)


def _relative(reason: str, run_dir: str) -> str:
    return reason.replace(run_dir + os.sep, "")  # the warning names the run already


def lazy_columns(
    metrics: Dict[str, List[str]], artifacts: Dict[str, List[str]]
) -> Dict[str, LazySpec]:
    """The lazily loaded columns of a run: ``<log_name>.<key>``, MLXP's per-directory
    ``artifact.<type>.<dir key>`` (``artifact.pickle.`` for the top, ``artifact.pickle..a.b``
    for ``a/b/``), and the per-file ``artifact.<type>.<name>`` lookups (not listed as columns).
    """
    columns: Dict[str, LazySpec] = {}
    for log_name, keys in metrics.items():
        for key in keys:
            columns[f"{log_name}.{key}"] = (METRIC, log_name, key)
    for artifact_type, names in artifacts.items():
        for name in names:
            directory = name.rpartition("/")[0]
            dir_key = "." + directory.replace("/", ".") if directory else ""
            columns.setdefault(f"{ARTIFACT}.{artifact_type}.{dir_key}",
                               (ARTIFACT, artifact_type, dir_key))
    for artifact_type, names in artifacts.items():
        for name in names:
            columns.setdefault(f"{ARTIFACT}.{artifact_type}.{name}",
                               (ARTIFACT_FILE, artifact_type, name))
    return columns


def has_metadata(run_dir: str) -> bool:
    """Whether ``run_dir`` has a ``metadata/`` directory to read.

    Without one it is an id being allocated, or not a run directory at all: passed over in
    silence, as in MLXP 1.0.5.

    Raises:
        UnreadableRun: there is a ``metadata`` but it cannot be read as a directory.
    """
    try:
        mode = os.stat(os.path.join(run_dir, _layout.METADATA_DIR)).st_mode
    except FileNotFoundError:
        return False
    except OSError as error:
        raise UnreadableRun(f"metadata: {describe(error)}") from error
    if not stat.S_ISDIR(mode):
        raise UnreadableRun("metadata is not a directory")
    return True
