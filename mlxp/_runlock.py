"""One writing process per run directory: a lock file held while a Logger has the run open.

Two processes appending to one run (a double resume, a requeued job overlapping its previous
instance) would interleave their metrics. The lock is ``flock`` on ``metadata/.run.lock``,
taken without waiting; the kernel drops it when its holder exits, even on SIGKILL. The file
names the holder's host and pid, for the error the next writer gets. Loggers of one process
share the lock: reopening a run in a notebook cell is not a second writer.
"""

from __future__ import annotations

import fcntl
import os
from typing import Dict, List

from mlxp import _layout
from mlxp.errors import RunLockedError

RUN_LOCK_FILE = ".run.lock"

# lock file path -> [open fd, number of holders in this process]
_HELD: Dict[str, List[int]] = {}


class RunLock:
    """The run lock of ``log_dir``; ``acquire`` and ``release`` pair up, per holder."""

    def __init__(self, log_dir: str) -> None:
        self._log_dir = log_dir
        self._path = os.path.realpath(os.path.join(log_dir, _layout.METADATA_DIR, RUN_LOCK_FILE))
        self.held = False

    def acquire(self) -> None:
        """Take the lock, or raise ``RunLockedError`` naming the live holder; idempotent."""
        if self.held:
            return
        shared = _HELD.get(self._path)
        if shared is not None:
            shared[1] += 1
        else:
            _HELD[self._path] = [_lock_or_raise(self._path, self._log_dir), 1]
        self.held = True

    def release(self) -> None:
        """Give the lock up (the last holder of this process closes the file); idempotent."""
        if not self.held:
            return
        self.held = False
        shared = _HELD[self._path]
        shared[1] -= 1
        if shared[1] == 0:
            del _HELD[self._path]
            os.close(shared[0])  # closing the file releases the flock


def _lock_or_raise(path: str, log_dir: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 256, 0).decode("utf-8", errors="replace").split()
        os.close(fd)
        host, pid = (holder + ["unknown", "unknown"])[:2]
        raise RunLockedError(
            f"run directory {log_dir} is being written by another process: pid {pid} on host"
            f" {host}. Two writers would mix their metrics; wait for it to end (or stop it),"
            " or use another run directory (mlxp.logger.forced_log_id)",
            path=log_dir, host=host, pid=pid,
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.uname().nodename} {os.getpid()}\n".encode(), 0)
    return fd
