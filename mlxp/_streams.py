"""Copy the process's stdout and stderr into files while still showing them (``tee``).

The copy happens at the file-descriptor level: fd 1 and fd 2 are pointed at pipes and a
thread per stream copies what arrives to the original destination and to the file. So the
output of C extensions and of child processes is captured too, not only Python's ``print``.
Where ``sys.stdout`` does not write to fd 1 (a Jupyter kernel's), it is copied as well.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, List, Optional, TextIO, Union

_CHUNK = 65536
_JOIN_TIMEOUT = 5.0


class _TeeFd:
    """One redirected descriptor: fd -> pipe -> thread -> (original destination, file)."""

    def __init__(self, fd: int, path: str, stream: Optional[TextIO]) -> None:
        self._fd = fd
        self._stream = stream
        self._file_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        self._saved_fd = os.dup(fd)
        read_end, write_end = os.pipe()
        self._flush_python_stream()
        os.dup2(write_end, fd)
        os.close(write_end)
        self._thread = threading.Thread(
            target=self._copy, args=(read_end,), name=f"mlxp-tee-fd{fd}", daemon=True
        )
        self._thread.start()

    def _flush_python_stream(self) -> None:
        if self._stream is not None:
            try:
                self._stream.flush()
            except (OSError, ValueError):  # closed or broken by the task: nothing to save
                pass

    def _copy(self, read_end: int) -> None:
        # The pipe must be drained whatever happens to the destinations: once it is full, the
        # task would block on its next print. A destination that fails (a full disk, a closed
        # terminal) is dropped and the other one kept.
        destinations = [self._file_fd, self._saved_fd]
        try:
            while True:
                data = os.read(read_end, _CHUNK)
                if not data:
                    return
                for destination in list(destinations):
                    try:
                        _write_all(destination, data)
                    except OSError:
                        destinations.remove(destination)
        finally:
            os.close(read_end)

    def restore(self) -> None:
        """Point the descriptor back where it was and let the thread drain the pipe."""
        self._flush_python_stream()
        # Replacing fd drops the pipe's last write end we hold: the thread then reads EOF,
        # unless a child process still holds it; the thread is a daemon, so never wait forever.
        os.dup2(self._saved_fd, self._fd)
        self._thread.join(_JOIN_TIMEOUT)
        if not self._thread.is_alive():
            os.close(self._saved_fd)
            os.close(self._file_fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:  # a daemon started with stdout closed: nothing to copy
        return False
    return True


def _same_file(fd: int, path: str) -> bool:
    """True when ``fd`` already writes to ``path`` (a job whose scheduler redirects there)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


class _TeeText:
    """``sys.stdout`` or ``sys.stderr`` replaced by a copy into the file, for a stream that
    does not write to its descriptor: a Jupyter kernel sends ``print`` to the notebook over
    its own channel, which the descriptor's copy never sees."""

    def __init__(self, name: str, path: str) -> None:
        self._name = name
        self._stream = getattr(sys, name)
        self._file = open(path, "a", encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                          buffering=1)
        setattr(sys, name, self)

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        try:
            self._file.write(text)
        except (OSError, ValueError):  # a full disk, or closed: the notebook still shows it
            pass
        return written

    def flush(self) -> None:
        self._stream.flush()
        try:
            self._file.flush()
        except (OSError, ValueError):
            pass

    def __getattr__(self, attribute: str) -> Any:  # encoding, isatty, fileno, ...
        return getattr(self._stream, attribute)

    def restore(self) -> None:
        """Put the stream back (unless the task replaced it meanwhile) and close the file."""
        if getattr(sys, self._name) is self:
            setattr(sys, self._name, self._stream)
        self._file.close()


def _writes_to_fd(stream: Optional[TextIO], fd: int) -> bool:
    """Whether what ``stream`` is given reaches descriptor ``fd`` (a terminal's, a file's)."""
    try:
        return stream is None or stream.fileno() == fd
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is an OSError
        return False


class StreamTee:
    """Copy fd 1 to ``stdout_path`` and fd 2 to ``stderr_path`` until ``close()``, and also
    ``sys.stdout``/``sys.stderr`` when they do not write to those descriptors (a notebook).

    A stream that already goes to its file (a scheduler job whose ``--output`` is
    ``log.stdout``) is left alone rather than written twice, and a closed one is skipped.
    """

    def __init__(self, stdout_path: str, stderr_path: str) -> None:
        self._tees: List[Union[_TeeFd, _TeeText]] = []
        try:
            for fd, name, path in ((1, "stdout", stdout_path), (2, "stderr", stderr_path)):
                stream = getattr(sys, name)
                if _is_open(fd) and not _same_file(fd, path):
                    self._tees.append(_TeeFd(fd, path, stream))
                if not _writes_to_fd(stream, fd):
                    self._tees.append(_TeeText(name, path))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Restore stdout and stderr (in reverse order) and close the files; idempotent."""
        while self._tees:
            self._tees.pop().restore()
