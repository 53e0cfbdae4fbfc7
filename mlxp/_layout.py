"""Run-directory names, log-id allocation and atomic file writes (shared by logger and reader).

A run directory is ``<parent_log_dir>/<log_id>/`` where ``log_id`` is a positive integer; see
the tree in docs/logging.md. Its name is the id in decimal without leading zeros
(``is_run_dir_name``). Ids are 1 + the largest such name, claimed with an atomic
``mkdir`` so that concurrent launches (also on a shared file system) never share a directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from typing import BinaryIO, Dict, Iterator, List, Optional, Tuple

from mlxp._paths import display_path

METADATA_DIR = "metadata"
METRICS_DIR = "metrics"
ARTIFACTS_DIR = "artifacts"
KEYS_DIR = ".keys"
CONFIG_FILE = "config.yaml"
INFO_FILE = "info.yaml"
SETTINGS_FILE = "mlxp.yaml"
METRIC_KEYS_FILE = "metrics.yaml"
ARTIFACT_KEYS_FILE = "artifacts.yaml"
METRIC_SUFFIX = ".json"
JOB_SCRIPT = "script.sh"
STDOUT_FILE = "log.stdout"
STDERR_FILE = "log.stderr"

STARTING, RUNNING, COMPLETE, FAILED = "STARTING", "RUNNING", "COMPLETE", "FAILED"
INFO_LOCK_FILE = ".info.lock"
#: ``error`` of a run stopped by ``mlxp cancel``
CANCELLED = "cancelled"
#: ``metadata/cancelled`` exists once ``mlxp cancel`` stops a run, so that the job's own
#: report of the SIGTERM it then receives cannot replace the verdict.
CANCEL_MARKER = "cancelled"
CANCEL_WAIT = 15.0
"""Seconds ``mlxp cancel`` waits, by default, for cancelled jobs to leave their scheduler (here
so that the command line states it without loading the cluster side)."""


def is_run_dir_name(name: str) -> bool:
    """Whether ``name`` is a log id as mlxp writes it: ASCII digits without leading zeros.

    So one id has one directory name: ``0099`` is not run 99, and ``٣`` (an Arabic-Indic three,
    which ``int`` accepts) is not run 3.
    """
    return name.isdigit() and name.isascii() and (name[0] != "0" or name == "0")


def run_ids(parent_log_dir: str) -> List[int]:
    """The ids whose names are taken under ``parent_log_dir``, unsorted.

    Every entry named like a log id counts, whatever it is, so that its id is never handed out
    again; one that is not a usable run directory (a file, a symbolic link loop ...) gets one
    warning on stderr, as the launcher's own warnings do.
    """
    ids = []
    try:
        with os.scandir(parent_log_dir) as entries:
            for entry in entries:
                if is_run_dir_name(entry.name):
                    ids.append(int(entry.name))
                    problem = _run_dir_problem(entry)
                    if problem is not None:
                        print(f"mlxp: warning: {display_path(entry.path)}: {problem};"
                              " new runs are numbered after it", file=sys.stderr)
    except FileNotFoundError:
        pass
    return ids


def iter_run_dirs(
    parent_log_dir: str, problems: Optional[Dict[str, str]] = None
) -> Iterator[Tuple[int, str]]:
    """``(log_id, path)`` of every run directory under ``parent_log_dir``, by id.

    Only direct children are runs. An entry that looks like a run but cannot be one is left out
    and, when ``problems`` is given, added to it as path -> what is wrong: a name with leading
    zeros, an entry named like a log id that is not a directory (a file, a broken link) or
    cannot be examined (a symbolic link loop, no permission).
    """
    found: Dict[int, str] = {}
    try:
        with os.scandir(parent_log_dir) as entries:
            for entry in entries:
                name = entry.name
                if not name.isdigit() or not name.isascii():
                    continue
                reason = _run_dir_problem(entry)
                if reason is None:
                    found[int(name)] = entry.path
                elif problems is not None:
                    problems[entry.path] = reason
    except FileNotFoundError:
        return
    for log_id in sorted(found):
        yield log_id, found[log_id]


def _run_dir_problem(entry: "os.DirEntry[str]") -> Optional[str]:
    """Why an all-digit entry is not a usable run directory, or None if it is one."""
    if not is_run_dir_name(entry.name):
        log_id = int(entry.name)
        return f"not a run directory: log ids have no leading zeros (run {log_id} is '{log_id}')"
    try:
        if entry.is_dir():  # follows a symbolic link, which is how a loop shows up
            return None
    except OSError as error:
        return f"cannot be read: {error.strerror or error}"
    if entry.is_symlink():
        return "not a run directory: a symbolic link to nothing"
    return "not a run directory: not a directory"


def allocate_run_dir(parent_log_dir: str, first_candidate: int = 0) -> Tuple[int, str]:
    """Claim a new run directory: ``(log_id, path)``; the directory exists when this returns.

    ``first_candidate`` lets a caller that allocates many ids in a row skip the listing.
    """
    os.makedirs(parent_log_dir, exist_ok=True)
    if first_candidate > 0:  # the caller knows the next free id: no need to list again
        candidate = first_candidate
    else:
        candidate = max(run_ids(parent_log_dir), default=0) + 1
    while True:
        path = os.path.join(parent_log_dir, str(candidate))
        try:
            os.mkdir(path)
        except FileExistsError:
            candidate += 1
            continue
        return candidate, path


@contextlib.contextmanager
def info_lock(log_dir: str) -> Iterator[None]:
    """Hold the run's ``info.yaml`` for one read-modify-write.

    A submitted job may start before its submitter has recorded the job id, and ``mlxp
    cancel`` marks runs that are still running: each writer takes this lock so that no
    one's fields are lost.
    """
    path = os.path.join(log_dir, METADATA_DIR, INFO_LOCK_FILE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def replacing(path: str) -> Iterator[str]:
    """A temporary path next to ``path``, renamed over ``path`` when the block succeeds.

    The block writes (and fsyncs) the temporary file; on an error it is removed and ``path``
    is left as it was. Readers see the old file or the new one, never half of one.
    """
    directory, name = os.path.split(path)
    tmp_path = os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_path)
        raise


def open_new(path: str) -> BinaryIO:
    """Create ``path`` for writing; ``0o666`` honours the umask, unlike ``mkstemp``'s 0o600."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb")


class RunIdPlanner:
    """Ids for runs made one after another: forced ones, or the next free ones per parent.

    With ``claim`` the directories are created (``allocate_run_dir``); without, the ids are
    only predicted, for a dry run that writes nothing.
    """

    def __init__(self, claim: bool, next_ids: Optional[Dict[str, int]] = None) -> None:
        self.claim = claim
        #: parent log directory -> the id to try next (mlxpsub --dry-run carries it over)
        self.next_ids: Dict[str, int] = dict(next_ids or {})

    def next_run(self, parent_log_dir: str, forced_log_id: int = -1) -> Tuple[int, str]:
        """``(log_id, path)`` of the next run under ``parent_log_dir``."""
        if forced_log_id >= 0:
            return forced_log_id, os.path.join(parent_log_dir, str(forced_log_id))
        first = self.next_ids.get(parent_log_dir, 0)
        if self.claim:
            log_id, path = allocate_run_dir(parent_log_dir, first_candidate=first)
        else:
            log_id = first or max(run_ids(parent_log_dir), default=0) + 1
            path = os.path.join(parent_log_dir, str(log_id))
        self.next_ids[parent_log_dir] = log_id + 1
        return log_id, path


def atomic_write(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old file or the new, never half."""
    with replacing(path) as tmp_path, open_new(tmp_path) as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())


def atomic_write_text(path: str, text: str) -> None:
    """``atomic_write`` for UTF-8 text."""
    atomic_write(path, text.encode("utf-8"))
