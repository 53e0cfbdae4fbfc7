"""Reading the files of runs that may be damaged: only regular files are ever read.

A FIFO in place of ``train.json`` would block a plain ``open`` forever and ``/dev/zero`` would
never end; a directory or a symbolic link loop fails only once read. So the file is opened
without blocking and checked with ``fstat`` on the open descriptor (no race with a rename)
before anything is read.
"""

from __future__ import annotations

import errno
import os
import stat

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFileError(OSError):
    """The path is a directory, a FIFO, a device or a socket: mlxp reads only regular files."""


def read_regular_file(path: str) -> bytes:
    """The content of ``path``, which must be a regular file (or a symbolic link to one).

    Raises:
        FileNotFoundError: there is no such file.
        NotRegularFileError: it is something else than a regular file.
        OSError: it cannot be read (no permission, a symbolic link loop ...).
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = next((name for test, name in _KINDS if test(status.st_mode)), "not a file")
            raise NotRegularFileError(errno.EINVAL, f"{kind}, not a regular file", path)
        # Usually two reads: the whole file, then the end; a file growing meanwhile is read on.
        chunks = [os.read(descriptor, status.st_size + 1 if status.st_size else 1 << 16)]
        while chunks[-1]:
            chunks.append(os.read(descriptor, 1 << 20))
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def describe(error: OSError) -> str:
    """What is wrong, without the errno number or the path (the caller names the file)."""
    return error.strerror or str(error)
