"""What a row loads on first access: metric columns (JSON Lines files) and artifacts.

A run's ``metrics/<log_name>.json`` is read once, when the first of its columns is asked for,
and kept: the other columns of the same file then cost nothing. A file that cannot be read
(no permission, a directory, a FIFO) gives empty columns and one warning per Reader.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, Dict, List, Optional, Tuple

from mlxp import _layout
from mlxp.errors import ArtifactError
from mlxp.reader._files import describe, read_regular_file


def _parse_lines(text: str, path: str) -> List[Dict[str, Any]]:
    """Parse JSON Lines text, skipping what a crash or a concurrent writer can leave.

    An unterminated last line is a line still being written (or a torn write): it is used
    only if it already parses, since no proper prefix of a JSON object is itself one.
    """
    complete, _, tail = text.rpartition("\n")
    if complete.strip():
        try:  # one C-level parse for the whole file: 10x faster than one call per line
            records = json.loads("[" + complete.replace("\n", ",") + "]")
            if all(type(record) is dict for record in records):
                return records + _parse_tail(tail)
        except ValueError:
            pass
    records = []
    bad_lines = []
    for number, line in enumerate(complete.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad_lines.append(number)
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            bad_lines.append(number)
    if bad_lines:
        shown = ", ".join(str(n) for n in bad_lines[:5]) + (" ..." if len(bad_lines) > 5 else "")
        warnings.warn(f"{path}: skipped {len(bad_lines)} malformed line(s): {shown}", stacklevel=6)
    return records + _parse_tail(tail)


def _parse_tail(tail: str) -> List[Dict[str, Any]]:
    if not tail.strip():
        return []
    try:
        record = json.loads(tail)
    except ValueError:
        return []
    return [record] if isinstance(record, dict) else []


def read_metric_columns(path: str) -> Dict[str, List[Any]]:
    """``{key: [values in logged order]}`` for one metrics file; a missing file gives ``{}``.

    A key missing from some lines has fewer values than there are lines, as in MLXP.

    Raises:
        OSError: the file cannot be read, or is not a regular file.
    """
    try:
        text = read_regular_file(path).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return {}
    return _columns(_parse_lines(text, path))


def _columns(records: List[Dict[str, Any]]) -> Dict[str, List[Any]]:
    if not records:
        return {}
    first = records[0]
    if all(len(record) == len(first) for record in records):
        try:  # the usual case, every line with the same keys: one comprehension per key
            return {key: [record[key] for record in records] for key in first}
        except KeyError:
            pass
    keys = dict.fromkeys(key for record in records for key in record)
    return {key: [record[key] for record in records if key in record] for key in keys}


def report_once(problems: Dict[str, str], path: str, reason: str) -> None:
    """Warn that ``path`` cannot be read, unless ``problems`` (path -> why) has it already."""
    if path not in problems:
        problems[path] = reason
        warnings.warn(f"{path}: {reason}", stacklevel=5)


class RunMetrics:
    """The metric files of one run, each read on first use and then kept.

    ``problems`` (path -> why) collects the files that cannot be read; a Reader shares one
    among all its rows so that each file is reported once.
    """

    __slots__ = ("metrics_dir", "_files", "_problems")

    def __init__(self, log_dir: str, problems: Optional[Dict[str, str]] = None) -> None:
        self.metrics_dir = os.path.join(log_dir, _layout.METRICS_DIR)
        self._files: Dict[str, Dict[str, List[Any]]] = {}
        self._problems = {} if problems is None else problems

    def column(self, log_name: str, key: str) -> List[Any]:
        """The values of ``key`` in ``metrics/<log_name>.json`` (a fresh list each call)."""
        columns = self._files.get(log_name)
        if columns is None:
            path = os.path.join(self.metrics_dir, log_name + _layout.METRIC_SUFFIX)
            try:
                columns = read_metric_columns(path)
            except OSError as error:
                reason = f"cannot be read ({describe(error)}): its {log_name}.* columns are empty"
                report_once(self._problems, path, reason)
                columns = {}
            self._files[log_name] = columns
        return list(columns.get(key, ()))


class Artifact:
    """A file a run logged with ``log_artifacts``; ``load()`` reads it.

    ``trust_stored_code``: a user type known only by the code the run stored may run it
    (``Reader(..., trust_stored_code=True)``).
    """

    __slots__ = ("name", "artifact_type", "path", "trust_stored_code")

    def __init__(self, name: str, artifact_type: str, path: str,
                 trust_stored_code: bool = False) -> None:
        self.name = name
        self.artifact_type = artifact_type
        self.path = path
        self.trust_stored_code = trust_stored_code

    def load(self) -> Any:
        """Read the artifact with the loader of its type.

        Raises:
            ArtifactError: no loader knows this artifact type, or its stored code may not run.
        """
        try:
            from mlxp.artifacts import load_artifact  # type: ignore[attr-defined]
        except ImportError:
            return _load_builtin(self.path, self.artifact_type)
        return load_artifact(self.path, self.artifact_type, self.trust_stored_code)

    def __repr__(self) -> str:
        return f"Artifact({self.artifact_type}:{self.name})"


def _load_builtin(path: str, artifact_type: str) -> Any:
    kind = artifact_type
    if kind not in ("pickle", "json"):
        suffix = os.path.splitext(path)[1]
        kind = {".pkl": "pickle", ".pickle": "pickle", ".json": "json"}.get(suffix, kind)
    if kind == "pickle":
        import pickle

        with open(path, "rb") as stream:
            return pickle.load(stream)
    if kind == "json":
        with open(path, encoding="utf-8") as stream:
            return json.load(stream)
    raise ArtifactError(
        f"cannot load {path}: no loader for artifact type {artifact_type!r}",
        path=path,
        artifact_type=artifact_type,
    )


def resolve(spec: Tuple[str, str, str], log_dir: str, metrics: RunMetrics,
            trust_stored_code: bool = False) -> Any:
    """The value of a metric or per-file artifact column ``spec`` (see ``lazy_columns``)."""
    kind, group, name = spec
    if kind == "metric":
        return metrics.column(group, name)
    path = os.path.join(log_dir, _layout.ARTIFACTS_DIR, group, *name.split("/"))
    return Artifact(name, group, path, trust_stored_code)
