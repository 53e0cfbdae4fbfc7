"""Reading a run's metrics files (``metrics/<log>.json``, JSON lines) and summarising them.

``mlxp ls`` shows the last, min and max of every metric of thousands of runs: reading every
file each time would cost seconds. The summaries are kept in ``<logdir>/.mlxp_summaries.json``,
next to the Reader's index, per file with the (inode, size, mtime) they were computed from; a
file that changed is read again. Files changed in the last two seconds are not cached (a file
rewritten within one mtime tick would keep its signature, as the Reader's index knows too).
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any, Dict, Iterable, List, Optional, Tuple

from mlxp import _layout
from mlxp.reader._files import read_regular_file

__all__ = ["SUMMARY_CACHE", "MetricSummary", "SummaryCache", "is_number", "metric_files",
           "read_records", "summarize_records"]

SUMMARY_CACHE = ".mlxp_summaries.json"
_CACHE_FORMAT = 2  # 2: each run's listing of metrics/ too
_RACY_WINDOW_NS = 2_000_000_000

MetricSummary = Dict[str, float]
"""``{"last": ..., "min": ..., "max": ..., "count": ...}`` of one key's numeric values."""


def is_number(value: Any) -> bool:
    """A finite int or float (booleans and NaN are not plotted or summarised)."""
    if type(value) is int:
        return True
    return type(value) is float and math.isfinite(value)


def read_records(path: str) -> List[Dict[str, Any]]:
    """The records of a JSON lines file, in order. Malformed lines are skipped and so is a
    partial last line, unless it already parses (a crash or a live writer leaves those).

    Raises:
        OSError: the file cannot be read, or is not a regular file.
    """
    return parse_records(read_regular_file(path))


def parse_records(data: bytes) -> List[Dict[str, Any]]:
    """``read_records`` of a file's bytes."""
    text = data.decode("utf-8", errors="replace")
    complete, _, tail = text.rpartition("\n")
    if tail.strip():
        complete = f"{complete}\n{tail}" if complete else tail
    # the usual case: one C-level parse of the whole file, lines turned into array items (a
    # blank or malformed line fails it, and the lines are then taken one by one). One item per
    # line, or a line such as '{"a": 1}, {"b": 2}' (malformed alone) would count as two.
    parsed = _as_dicts("[" + complete.replace("\n", ",") + "]", complete.count("\n") + 1)
    if parsed is not None:
        return parsed
    lines = complete.split("\n") if complete else []
    filled = [line for line in lines if line.strip()]
    parsed = _as_dicts("[" + ",".join(filled) + "]", len(filled))
    if parsed is not None:
        return parsed
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if type(record) is dict:
            records.append(record)
    return records


def _as_dicts(array_text: str, lines: int) -> Optional[List[Dict[str, Any]]]:
    try:
        records = json.loads(array_text)
    except ValueError:
        return None
    if len(records) != lines or records and set(map(type, records)) != {dict}:
        return None
    return records


def summarize_records(records: Iterable[Dict[str, Any]]) -> Dict[str, MetricSummary]:
    """Per key: the last, min and max of its numeric values, and how many there are."""
    stats: Dict[str, List[Any]] = {}
    for record in records:
        for key, value in record.items():
            if not is_number(value):
                continue
            found = stats.get(key)
            if found is None:
                stats[key] = [value, value, value, 1]
            else:
                found[0] = value
                if value < found[1]:
                    found[1] = value
                if value > found[2]:
                    found[2] = value
                found[3] += 1
    return {key: {"last": s[0], "min": s[1], "max": s[2], "count": s[3]}
            for key, s in stats.items()}


def metric_files(run_dir: str) -> List[Tuple[str, str]]:
    """``(log name, path)`` of each metrics file of a run, sorted by log name."""
    metrics_dir = os.path.join(run_dir, _layout.METRICS_DIR)
    try:
        names = os.listdir(metrics_dir)
    except OSError:
        return []
    suffix = _layout.METRIC_SUFFIX
    return [(name[: -len(suffix)], os.path.join(metrics_dir, name)) for name in sorted(names)
            if name.endswith(suffix) and not name.startswith(".")]


class SummaryCache:
    """The metric summaries of the runs of ``logdir``, from the cache file where it is current.

    Args:
        logdir: the parent log directory.
        cache_dir: where the cache file lives (default: ``logdir``, like the Reader's index).
    """

    def __init__(self, logdir: str, cache_dir: Optional[str] = None) -> None:
        self.path = os.path.join(cache_dir or logdir, SUMMARY_CACHE)
        self._entries: Dict[str, List[Any]] = self._load()
        self._changed = False
        self.problems: Dict[str, str] = {}
        """Metrics files that could not be read -> why."""

    def _load(self) -> Dict[str, List[Any]]:
        try:
            document = json.loads(read_regular_file(self.path))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("format") != _CACHE_FORMAT:
            return {}
        entries = document.get("files")
        return entries if isinstance(entries, dict) else {}

    def run_summaries(self, log_id: str, run_dir: str) -> Dict[str, MetricSummary]:
        """``{"<log>.<key>": summary}`` for every metrics file of one run."""
        found: Dict[str, MetricSummary] = {}
        for log_name, path in self._metric_files(log_id, run_dir):
            for key, summary in self._file_summaries(f"{log_id}/{log_name}", path).items():
                found[f"{log_name}.{key}"] = summary
        return found

    def trusted_part(self, log_id: str, run_dir: str) -> Optional[List[Any]]:
        """After ``run_summaries``: ``[metrics/ signature, [[log name, file signature], ...]]``
        of the run as just seen, or None if a file changed too recently to trust (or could not
        be read). The row cache keeps it to check the run's summaries without this cache."""
        listing = self._entries.get(f"{log_id}/")
        if listing is None:
            return None if os.path.isdir(os.path.join(run_dir, _layout.METRICS_DIR)) else [None, []]
        files = []
        for log_name in listing[1]:
            entry = self._entries.get(f"{log_id}/{log_name}")
            if entry is None:
                return None
            files.append([log_name, entry[0]])
        return [listing[0], files]

    def _metric_files(self, log_id: str, run_dir: str) -> List[Tuple[str, str]]:
        # The listing is kept under "<id>/" with the directory's signature: a file created,
        # renamed or removed changes the directory's mtime, so one stat replaces a listing.
        metrics_dir = f"{run_dir}{os.sep}{_layout.METRICS_DIR}"  # a hot path: no os.path.join
        try:
            status = os.stat(metrics_dir)
        except OSError:
            return []
        signature = [status.st_ino, status.st_mtime_ns]
        cached = self._entries.get(f"{log_id}/")
        if isinstance(cached, list) and len(cached) == 2 and cached[0] == signature:
            return [(name, f"{metrics_dir}{os.sep}{name}{_layout.METRIC_SUFFIX}")
                    for name in cached[1]]
        files = metric_files(run_dir)
        self._remember(f"{log_id}/", signature, [name for name, _ in files], status.st_mtime_ns)
        return files

    def _remember(self, entry: str, signature: List[int], value: Any, mtime_ns: int) -> None:
        """Cache ``value`` unless its file changed too recently to trust its signature."""
        if mtime_ns < time.time_ns() - _RACY_WINDOW_NS:
            self._entries[entry] = [signature, value]
            self._changed = True
        elif entry in self._entries:
            del self._entries[entry]
            self._changed = True

    def _file_summaries(self, entry: str, path: str) -> Dict[str, MetricSummary]:
        try:
            status = os.stat(path)
        except OSError as error:
            self.problems[path] = error.strerror or str(error)
            return {}
        signature = [status.st_ino, status.st_size, status.st_mtime_ns]
        cached = self._entries.get(entry)
        if isinstance(cached, list) and len(cached) == 2 and cached[0] == signature:
            return cached[1]  # type: ignore[no-any-return]
        try:
            summaries = summarize_records(read_records(path))
        except OSError as error:
            self.problems[path] = error.strerror or str(error)
            return {}
        # kept as mappings, bigger than lists but decoded by json's C code into what is used
        self._remember(entry, signature, summaries, status.st_mtime_ns)
        return summaries

    def save(self, log_ids: Iterable[str]) -> None:
        """Write the cache back if it changed, keeping only the runs in ``log_ids``. A cache
        that cannot be written is left alone: it only saves time."""
        if not self._changed:  # the runs deleted since are dropped at the next change
            return
        keep = set(log_ids)
        for entry in [entry for entry in self._entries if entry.partition("/")[0] not in keep]:
            del self._entries[entry]
        document = {"format": _CACHE_FORMAT, "files": self._entries}
        try:
            _layout.atomic_write(self.path, json.dumps(document, separators=(",", ":")).encode())
        except OSError:
            pass
