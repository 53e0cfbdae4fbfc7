"""What every command-line entry point (the launcher, ``mlxpsub``, ``mlxp``) shares.

``python main.py --dry-run | head`` closes the pipe after ten lines: the program should stop
there, quietly, as ``yes | head`` does, not end with a ``BrokenPipeError`` traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Iterator

__all__ = ["CLOSED_PIPE_EXIT", "exit_quietly_on_closed_stdout"]

#: the exit status of a program killed by SIGPIPE, which is what a shell expects here
CLOSED_PIPE_EXIT = 128 + signal.SIGPIPE


@contextlib.contextmanager
def exit_quietly_on_closed_stdout() -> Iterator[None]:
    """Inside the block, stdout closed by its reader ends the program quietly, status 141.

    Only output to stdout is concerned: any other ``BrokenPipeError`` (a socket of the
    user's task) propagates as usual. Stdout is flushed at the end of the block, so that a
    closed pipe is noticed here rather than when Python exits.
    """
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        if not _stdout_is_closed():
            raise
        # Python flushes stdout again at exit; pointing it at /dev/null keeps that quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        raise SystemExit(CLOSED_PIPE_EXIT) from None


def _stdout_is_closed() -> bool:
    """True when stdout is a pipe whose reader has gone."""
    import select

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(event & select.POLLERR for _, event in poller.poll(0))
