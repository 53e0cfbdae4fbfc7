"""The metrics of one run: JSON Lines files written one whole line per system call.

Each ``metrics/<log_name>.json`` stays open, unbuffered and in append mode: a line is encoded
and checked first, then handed to the kernel in a single ``write`` that never crosses a page
boundary, so a bad value writes nothing and a killed process leaves whole lines only.
``metrics/.keys/metrics.yaml`` lists the keys ever logged per log name; it is rewritten only
when a new key appears.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from typing import Any, Callable, Dict, Optional, Set

from mlxp import _layout
from mlxp._yaml import dump_yaml, load_yaml_file
from mlxp.errors import InvalidNameError, MetricValueError

PROTECTED_NAMES = frozenset({"info", "config", "mlxp", "artifacts"})
_MAX_DEPTH = 64

# json.dumps(obj) with default arguments calls this very encoder; calling it directly skips
# dumps' argument checks on the hot path. Its defaults write NaN/Infinity as Python reads them.
_encode = json.JSONEncoder().encode

# The kernel copies a write into the page cache one page at a time and gives up between two
# pages when the process is being killed (SIGKILL), so a line crossing a page boundary can be
# torn there. A line that would cross one is therefore moved to the next page, the previous
# line taking the gap as trailing spaces (valid JSON). 4096 divides every page size in use.
_PAGE = 4096


class _File:
    """One open metrics file and what the hot path needs of it."""

    __slots__ = ("stream", "write", "keys", "end", "patch_fd")

    def __init__(self, stream: Any, keys: Set[str], end: int, patch_fd: int) -> None:
        self.stream = stream
        self.write: Callable[[bytes], Optional[int]] = stream.write
        self.keys = keys  # every key ever logged under this name
        self.end = end  # where this process's next line will start
        self.patch_fd = patch_fd  # the same file without O_APPEND, to pad the last line


class MetricsLog:
    """The open metrics files of a run directory's ``metrics/``.

    Args:
        metrics_dir: the run's ``metrics`` directory (exists).
        known_keys: keys recorded by a previous session (resume), per log name.
    """

    def __init__(self, metrics_dir: str, known_keys: Optional[Dict[str, Set[str]]] = None) -> None:
        self._dir = metrics_dir
        self._keys: Dict[str, Set[str]] = dict(known_keys or {})
        self._files: Dict[str, _File] = {}
        # Threads logging at once must not pad a line while another one is being appended.
        self._lock = threading.Lock()

    def log(self, metrics: Dict[str, Any], log_name: str) -> None:
        """Append ``metrics`` as one line to ``<log_name>.json`` (see ``Logger.log_metrics``)."""
        file = self._files.get(log_name)
        if file is None:
            file = self._open(log_name)
        if metrics.__class__ is not dict:
            metrics = _as_dict(metrics)
        try:
            line = _encode(metrics)
        except (TypeError, ValueError):  # numpy/torch scalars, or a value that is not JSON
            line = _encode({key: _metric_value(key, value, 0) for key, value in metrics.items()})
        if not file.keys.issuperset(metrics):
            self._add_keys(log_name, file.keys, metrics)
        data = (line + "\n").encode()
        size = len(data)
        with self._lock:
            end = file.end
            if end % _PAGE + size > _PAGE:
                end = _start_next_page(file, end, size)
            written = file.write(data)
            if written != size:
                _finish_partial_write(file, data, written or 0)
            file.end = end + size

    def _open(self, log_name: str) -> _File:
        check_log_name(log_name)
        path = os.path.join(self._dir, log_name + _layout.METRIC_SUFFIX)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
        stream = open(fd, "ab", buffering=0)  # unbuffered: each write() is one system call
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            size += stream.write(b"\n")  # end a torn line some other writer left
        keys = self._keys.setdefault(log_name, set())
        file = self._files[log_name] = _File(stream, keys, size, os.open(path, os.O_WRONLY))
        return file

    def _add_keys(self, log_name: str, known: Set[str], metrics: Dict[str, Any]) -> None:
        for key in metrics:
            if not isinstance(key, str):
                raise MetricValueError(
                    f"metric name {key!r} in log {log_name!r} is a {type(key).__name__}; metric"
                    " names must be strings. Nothing was written",
                    key=key,
                )
        known.update(metrics)
        keys_dir = os.path.join(self._dir, _layout.KEYS_DIR)
        os.makedirs(keys_dir, exist_ok=True)
        recorded = {name: sorted(keys) for name, keys in self._keys.items() if keys}
        _layout.atomic_write_text(
            os.path.join(keys_dir, _layout.METRIC_KEYS_FILE), dump_yaml(recorded)
        )

    def sizes(self) -> Dict[str, int]:
        """The byte size of every metrics file: where each log stands (lines end on a boundary)."""
        sizes = {}
        for entry in os.scandir(self._dir):
            if entry.name.endswith(_layout.METRIC_SUFFIX) and entry.is_file():
                sizes[entry.name[: -len(_layout.METRIC_SUFFIX)]] = entry.stat().st_size
        return sizes

    def rewind(self, sizes: Dict[str, int]) -> None:
        """Cut every metrics file back to ``sizes`` (a log missing from it back to empty).

        Lines logged after a checkpoint describe work a resumed run is about to redo.
        """
        for name, size in self.sizes().items():
            target = sizes.get(name, 0)
            if size <= target:
                continue
            fd = os.open(os.path.join(self._dir, name + _layout.METRIC_SUFFIX), os.O_RDWR)
            try:
                os.ftruncate(fd, target)
                if target and os.pread(fd, 1, target - 1) == b" ":
                    os.pwrite(fd, b"\n", target - 1)  # the newline padding had replaced
            finally:
                os.close(fd)
            if name in self._files:
                self._files[name].end = target

    def flush(self) -> None:
        """fsync every open file, so the lines survive a machine crash too."""
        for file in self._files.values():
            os.fsync(file.stream.fileno())

    def close(self) -> None:
        """fsync and close every open file; logging again reopens them."""
        try:
            self.flush()
        finally:
            for file in self._files.values():
                file.stream.close()
                os.close(file.patch_fd)
            self._files.clear()


def _start_next_page(file: _File, end: int, size: int) -> int:
    """Pad the last line to the page boundary so the next one starts a page; the new end."""
    fd = file.stream.fileno()
    actual_end = os.fstat(fd).st_size
    if size > _PAGE or actual_end != end or os.pread(fd, 1, end - 1) != b"\n":
        return actual_end  # a line longer than a page, or another process appends too
    boundary = end - end % _PAGE + _PAGE
    padding = b" " * (boundary - end) + b"\n"  # replaces the last newline, within its page
    try:
        if os.pwrite(file.patch_fd, padding, end - 1) == len(padding):
            return boundary
    except OSError:  # disk full: keep the line where it was, unpadded
        pass
    os.pwrite(file.patch_fd, b"\n", end - 1)
    os.ftruncate(fd, end)
    return end


def _finish_partial_write(file: _File, data: bytes, written: int) -> None:
    """Write the rest of a line the kernel took only in part, or take the part back."""
    try:
        while written < len(data):
            count = file.write(data[written:])
            if not count:
                raise OSError(errno.ENOSPC, "no progress writing a metrics line")
            written += count
    except OSError:  # disk full: leave the file as it was before this line
        fd = file.stream.fileno()
        os.ftruncate(fd, os.fstat(fd).st_size - written)
        raise


def recorded_metric_keys(metrics_dir: str) -> Dict[str, Set[str]]:
    """The keys ``metrics/.keys/metrics.yaml`` lists per log name (empty when missing)."""
    path = os.path.join(metrics_dir, _layout.KEYS_DIR, _layout.METRIC_KEYS_FILE)
    recorded = load_yaml_file(path) if os.path.isfile(path) else None
    if not isinstance(recorded, dict):
        return {}
    return {str(name): set(keys or ()) for name, keys in recorded.items()}


def check_log_name(log_name: str) -> None:
    """Refuse a protected log name or one that is not a plain file name.

    Raises:
        InvalidNameError: ``info``, ``config``, ``mlxp``, ``artifacts``; empty; contains
            ``/`` or ``\\``; starts with ``.``.
    """
    if log_name in PROTECTED_NAMES:
        raise InvalidNameError(
            f"log_name {log_name!r} is reserved by mlxp ({', '.join(sorted(PROTECTED_NAMES))});"
            " pick another name",
            name=log_name,
        )
    if (
        not isinstance(log_name, str) or not log_name or log_name.startswith(".")
        or any(char in log_name for char in "/\\\0")
    ):
        raise InvalidNameError(
            f"log_name {log_name!r} must be a plain file name (no '/', not starting with '.')",
            name=log_name,
        )


def _as_dict(metrics: Any) -> Dict[str, Any]:
    if isinstance(metrics, dict):
        return metrics
    if hasattr(metrics, "keys") and hasattr(metrics, "__getitem__"):
        return {key: metrics[key] for key in metrics.keys()}
    raise MetricValueError(
        f"log_metrics takes a mapping of metric names to values, not a {type(metrics).__name__}",
        key=None,
    )


def _metric_value(key: str, value: Any, depth: int) -> Any:
    """``value`` as something JSON can hold, or ``MetricValueError`` naming ``key``."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        converted = value.item()  # a numpy/torch scalar or 0-d array, duck-typed
        if isinstance(converted, (int, float, bool)):
            return converted
    if depth < _MAX_DEPTH and isinstance(value, (list, tuple)):
        return [_metric_value(f"{key}[{i}]", item, depth + 1) for i, item in enumerate(value)]
    if depth < _MAX_DEPTH and isinstance(value, dict):
        return {str(k): _metric_value(f"{key}.{k}", v, depth + 1) for k, v in value.items()}
    what = f"a {type(value).__name__}"
    if getattr(value, "ndim", 0):
        what += f" with {value.ndim} dimensions (log .tolist() or a single number)"
    elif depth >= _MAX_DEPTH:
        what = "nested too deeply (does it contain itself?)"
    raise MetricValueError(
        f"metric {key!r} is {what}, which cannot be written as JSON; log numbers, strings,"
        " booleans, None, or lists/dicts of them. Nothing was written",
        key=key,
    )
