"""The metrics of one run: JSON Lines files written one whole line per system call.

Each ``metrics/<log_name>.json`` stays open, unbuffered and in append mode: a line is encoded
and checked first, then handed to the kernel in a single ``write``, so a bad value writes
nothing. A process killed in the middle of that ``write`` can leave a partial last line; it
is cut off when the file is opened for writing again (resume, requeue), and the Reader skips
it meanwhile. ``metrics/.keys/<log_name>.yaml`` lists the keys ever logged under that name as
``{key: ''}``, MLXP 1.0.5's format, so that its Reader reads the run too; it is rewritten only
when a new key appears. (Runs of earlier mlxp versions have one ``metrics.yaml`` instead.) bench/bench_metrics_designs.py compares this with
padding lines to page boundaries (the design it replaced): docs/benchmarks.md.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from typing import Any, Callable, Dict, NoReturn, Optional, Set

from mlxp import _layout
from mlxp._yaml import dump_yaml, load_yaml, load_yaml_file
from mlxp.errors import InvalidNameError, MetricValueError

PROTECTED_NAMES = frozenset({"info", "config", "mlxp", "artifacts"})
ATTEMPT_PREFIX = ".attempt-"  # metrics/.attempt-<n>/: an earlier attempt's lines, set aside
_MAX_DEPTH = 64
_TAIL_CHUNK = 65536

# json.dumps(obj) with default arguments calls this very encoder; calling it directly skips
# dumps' argument checks on the hot path. Its defaults write NaN/Infinity as Python reads them.
_encode = json.JSONEncoder().encode


class _File:
    """One open metrics file and what the hot path needs of it."""

    __slots__ = ("stream", "write", "keys")

    def __init__(self, stream: Any, keys: Set[str]) -> None:
        self.stream = stream
        self.write: Callable[[bytes], Optional[int]] = stream.write
        self.keys = keys  # every key ever logged under this name


class MetricsLog:
    """The open metrics files of a run directory's ``metrics/``.

    Args:
        metrics_dir: the run's ``metrics`` directory (exists).
        known_keys: keys recorded by a previous session (resume), per log name.
        before_open: called before a file is opened for writing (the Logger takes its run
            lock there, so that logging again after ``close`` is guarded too).
    """

    def __init__(self, metrics_dir: str, known_keys: Optional[Dict[str, Set[str]]] = None,
                 before_open: Optional[Callable[[], None]] = None) -> None:
        self._dir = metrics_dir
        self._keys: Dict[str, Set[str]] = dict(known_keys or {})
        self._files: Dict[str, _File] = {}
        self._before_open = before_open
        # A write the kernel takes only in part is completed before another thread's line.
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
        except (TypeError, ValueError, RecursionError):  # numpy/torch scalars, or not JSON
            line = _encode(_checked(metrics, log_name))
        else:
            if line.find("{", 1) != -1:  # a nested mapping (or a brace in a string): its
                line = _encode(_checked(metrics, log_name))  # keys must not collide as text
        if not file.keys.issuperset(metrics):
            self._add_keys(log_name, file.keys, metrics)
        data = (line + "\n").encode()
        with self._lock:
            written = file.write(data)
            if written != len(data):
                _finish_partial_write(file, data, written or 0)

    def _open(self, log_name: str) -> _File:
        check_log_name(log_name)
        if self._before_open is not None:
            self._before_open()
        path = os.path.join(self._dir, log_name + _layout.METRIC_SUFFIX)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
        stream = open(fd, "ab", buffering=0)  # unbuffered: each write() is one system call
        _end_last_line(fd)
        keys = self._keys.setdefault(log_name, set())
        file = self._files[log_name] = _File(stream, keys)
        return file

    def _add_keys(self, log_name: str, known: Set[str], metrics: Dict[str, Any]) -> None:
        """Record the new keys of ``metrics``; nothing changes unless every one is valid."""
        new = [_recordable_key(key, log_name) for key in metrics if key not in known]
        recorded = {key: "" for key in sorted(known.union(new))}
        keys_dir = os.path.join(self._dir, _layout.KEYS_DIR)
        os.makedirs(keys_dir, exist_ok=True)
        _layout.atomic_write_text(os.path.join(keys_dir, log_name + ".yaml"), dump_yaml(recorded))
        known.update(new)

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
            if size > target:
                os.truncate(os.path.join(self._dir, name + _layout.METRIC_SUFFIX), target)

    def end_partial_lines(self) -> None:
        """Cut off the partial last line a killed writer left in any file (see the module)."""
        for name in self.sizes():
            path = os.path.join(self._dir, name + _layout.METRIC_SUFFIX)
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
            try:
                _end_last_line(fd)
            finally:
                os.close(fd)

    def holds_lines(self) -> bool:
        """Whether any metrics file has something in it."""
        return any(self.sizes().values())

    def set_aside(self) -> str:
        """Move every metrics file and the keys index to a new ``.attempt-<n>/``; its name.

        The run's metrics start over; the earlier attempt's lines stay on disk, where the
        Reader does not look (it ignores dot-directories).
        """
        self.close()
        taken = [int(name[len(ATTEMPT_PREFIX):]) for name in os.listdir(self._dir)
                 if name.startswith(ATTEMPT_PREFIX) and name[len(ATTEMPT_PREFIX):].isdigit()]
        attempt = f"{ATTEMPT_PREFIX}{max(taken, default=0) + 1}"
        target = os.path.join(self._dir, attempt)
        os.mkdir(target)
        moved = [name + _layout.METRIC_SUFFIX for name in self.sizes()] + [_layout.KEYS_DIR]
        for file_name in moved:
            source = os.path.join(self._dir, file_name)
            if os.path.exists(source):
                os.rename(source, os.path.join(target, file_name))
        self._keys.clear()
        return attempt

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
            self._files.clear()


def _end_last_line(fd: int) -> None:
    """Cut off a partial last line a killed writer left, or end one that is whole JSON."""
    size = os.fstat(fd).st_size
    if not size or os.pread(fd, 1, size - 1) == b"\n":
        return
    start = size
    while start > 0:
        chunk_start = max(0, start - _TAIL_CHUNK)
        newline = os.pread(fd, start - chunk_start, chunk_start).rfind(b"\n")
        if newline != -1:
            start = chunk_start + newline + 1
            break
        start = chunk_start
    try:
        whole = isinstance(json.loads(os.pread(fd, size - start, start)), dict)
    except ValueError:  # no proper prefix of a JSON object parses: this one was torn
        whole = False
    if whole:
        os.write(fd, b"\n")
    else:
        os.ftruncate(fd, start)


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
    """The keys recorded per log name in ``metrics/.keys`` (empty when there are none).

    Reads ``<log_name>.yaml`` files (``{key: ''}``) and the single ``metrics.yaml``
    (``{log_name: [keys]}``) of runs written by earlier mlxp versions.
    """
    keys_dir = os.path.join(metrics_dir, _layout.KEYS_DIR)
    try:
        names = sorted(name for name in os.listdir(keys_dir) if name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    keys: Dict[str, Set[str]] = {}
    for name in names:
        recorded = load_yaml_file(os.path.join(keys_dir, name))
        if not isinstance(recorded, dict):
            continue
        if name == _layout.METRIC_KEYS_FILE and all(isinstance(v, list) for v in recorded.values()):
            for log_name, listed in recorded.items():
                keys.setdefault(str(log_name), set()).update(str(key) for key in listed or ())
        else:
            keys.setdefault(name[: -len(".yaml")], set()).update(str(key) for key in recorded)
    return keys


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


def _check_key_type(key: Any, log_name: str) -> None:
    if not isinstance(key, str):
        raise MetricValueError(
            f"metric name {key!r} in log {log_name!r} is a {type(key).__name__}; metric"
            " names must be strings. Nothing was written",
            key=key,
        )


def _recordable_key(key: Any, log_name: str) -> str:
    """``key`` as the plain string ``metrics.yaml`` records, or ``MetricValueError``."""
    _check_key_type(key, log_name)
    plain = str.__str__(key)  # numpy.str_ and other str subclasses: the text alone
    try:
        text = dump_yaml([plain])
        readable = bool(text.encode("utf-8")) and load_yaml(text) == [plain]
    except (UnicodeError, ValueError):
        readable = False
    if not readable:
        raise MetricValueError(
            f"metric name {key!r} in log {log_name!r} cannot be recorded as text (a lone"
            " surrogate, or a character YAML cannot keep); rename it. Nothing was written",
            key=key,
        )
    return plain


def _checked(metrics: Dict[Any, Any], log_name: str) -> Dict[str, Any]:
    """``metrics`` with every value made JSON-ready, or ``MetricValueError`` naming the key."""
    for key in metrics:
        _check_key_type(key, log_name)
    return {key: _metric_value(key, value, 0) for key, value in metrics.items()}


def _metric_value(key: str, value: Any, depth: int) -> Any:
    """``value`` as something JSON can hold, or ``MetricValueError`` naming ``key``."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 9000:
        _refuse(key, "an integer too long to write as decimal digits (log it as a float)")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        converted = value.item()  # a numpy/torch scalar or 0-d array, duck-typed
        if isinstance(converted, (int, float, bool)):
            return converted
    if depth < _MAX_DEPTH and isinstance(value, (list, tuple)):
        return [_metric_value(f"{key}[{i}]", item, depth + 1) for i, item in enumerate(value)]
    if depth < _MAX_DEPTH and isinstance(value, dict):
        return _nested_mapping(key, value, depth)
    what = f"a {type(value).__name__}"
    if getattr(value, "ndim", 0):
        what += f" with {value.ndim} dimensions (log .tolist() or a single number)"
    elif depth >= _MAX_DEPTH:
        what = "nested too deeply (does it contain itself?)"
    _refuse(key, what + ", which cannot be written as JSON")


def _nested_mapping(key: str, value: Dict[Any, Any], depth: int) -> Dict[str, Any]:
    """A nested mapping with JSON's text keys; two keys writing the same text are refused."""
    converted: Dict[str, Any] = {}
    for inner, item in value.items():
        text = _json_key(f"{key}.{inner!r}", inner)
        if text in converted:
            _refuse(f"{key}.{text}", f"written twice: {inner!r} and another key both become"
                    f" the JSON key {text!r}")
        converted[text] = _metric_value(f"{key}.{text}", item, depth + 1)
    return converted


def _json_key(where: str, key: Any) -> str:
    """The JSON text of a nested mapping's key, as ``json.dumps`` writes it."""
    if isinstance(key, str):
        return str.__str__(key)
    if key is None or isinstance(key, (bool, float)):
        return str(_encode(key))
    if isinstance(key, int) and key.bit_length() <= 9000:
        return str(int(key))
    _refuse(where, f"a key of type {type(key).__name__}; JSON keys are strings or numbers")


def _refuse(key: str, what: str) -> NoReturn:
    raise MetricValueError(
        f"metric {key!r} is {what}; log numbers, strings, booleans, None, or lists/dicts of"
        " them. Nothing was written",
        key=key,
    )
