"""Starting processes: the one place in mlxp that does it (but for the points of a parallel
sweep, which the helper this module starts forks: :mod:`mlxp._forkserver`).

Commands are argument lists, never a string for a shell, so no value is ever re-interpreted by
one. A command that is not installed raises ``FileNotFoundError`` naming it (it is not a result
of the program: there is no program), and a time limit that runs out raises ``TimeoutError``;
callers turn both into their own errors, with the hint that fits their situation.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from typing import Callable, List, Mapping, Optional, Sequence, Tuple

__all__ = ["ShellResult", "run", "run_attached", "spawn_background", "spawn_group"]


@dataclass(frozen=True)
class ShellResult:
    """What a finished command did: its ``argv``, exit status and decoded output."""

    argv: Tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout then stderr, for messages that quote everything the command printed."""
        parts = [text.strip("\n") for text in (self.stdout, self.stderr) if text.strip()]
        return "\n".join(parts)


def run(
    argv: Sequence[str],
    *,
    input: Optional[str] = None,
    cwd: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    timeout: Optional[float] = None,
) -> ShellResult:
    """Run ``argv`` to completion and capture its output (undecodable bytes are replaced).

    Args:
        argv: the program and its arguments; ``argv[0]`` is looked up on ``PATH``.
        input: text written to the command's stdin; without it stdin is ``/dev/null``, so a
            command that would prompt cannot hang.
        cwd: working directory of the command.
        env: the command's whole environment; None inherits this process's.
        timeout: seconds after which the command is killed.

    Returns:
        The exit status and output; a non-zero status is not an error here.

    Raises:
        FileNotFoundError: ``argv[0]`` is not an executable on ``PATH``.
        TimeoutError: the command ran longer than ``timeout`` (it has been killed).
    """
    args = _checked(argv)
    try:
        done = subprocess.run(
            args,
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            errors="replace",
            cwd=cwd,
            env=None if env is None else dict(env),
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise _not_found(args, cwd) from exc
    except subprocess.TimeoutExpired as exc:
        raise TimeoutError(f"{args[0]} did not finish within {timeout:g} s and was killed") from exc
    return ShellResult(tuple(args), done.returncode, done.stdout, done.stderr)


def run_attached(
    argv: Sequence[str],
    *,
    cwd: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
) -> int:
    """Run ``argv`` to completion on this process's terminal (its output is not captured).

    Returns:
        The exit status.

    Raises:
        FileNotFoundError: ``argv[0]`` is not an executable on ``PATH``.
    """
    args = _checked(argv)
    try:
        return subprocess.call(args, cwd=cwd, env=None if env is None else dict(env))
    except FileNotFoundError as exc:
        raise _not_found(args, cwd) from exc


def spawn_background(
    argv: Sequence[str],
    *,
    cwd: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    while_unreaped: Optional[Callable[[int], None]] = None,
) -> int:
    """Start ``argv`` detached from this process and return its pid without waiting.

    The child gets a session (and process group) of its own, whose id is its pid, so that a
    Ctrl-C in the submitting terminal does not reach it and ``os.killpg(pid, ...)`` stops it
    with all of its children. Its stdin, stdout and stderr are ``/dev/null``: a job writes its
    own log files.

    ``while_unreaped(pid)`` is called before the child can be reaped, so that its pid still
    names it even if it has already exited (the local backend reads its start time then).

    Raises:
        FileNotFoundError: ``argv[0]`` does not exist.
        PermissionError: ``argv[0]`` is not executable.
    """
    args = _checked(argv)
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env=None if env is None else dict(env),
            start_new_session=True,
            close_fds=True,
        )
    except FileNotFoundError as exc:
        raise _not_found(args, cwd) from exc
    if while_unreaped is not None:
        while_unreaped(process.pid)
    # Dropping the Popen object is deliberate: the subprocess module reaps the child later.
    return process.pid


def spawn_group(
    argv: Sequence[str],
    *,
    cwd: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    stdout_path: Optional[str] = None,
    stderr_path: Optional[str] = None,
    pass_fds: Sequence[int] = (),
) -> "subprocess.Popen[bytes]":
    """Start ``argv`` as the leader of a new session and process group, and keep its handle.

    The caller alone passes signals on to it (``os.killpg(process.pid, ...)`` while
    ``process.poll()`` is None): a Ctrl-C in the terminal does not reach it directly. Its
    output is appended to ``stdout_path`` / ``stderr_path`` (this process's own streams when
    None); its stdin is ``/dev/null``; of this process's other files it keeps ``pass_fds``.

    Raises:
        OSError: ``argv[0]`` cannot be run, or an output file cannot be opened.
    """
    args = _checked(argv)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    outputs = [None if path is None else os.open(path, flags, 0o666)
               for path in (stdout_path, stderr_path)]
    try:
        return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=outputs[0],
                                stderr=outputs[1], cwd=cwd,
                                env=None if env is None else dict(env),
                                start_new_session=True, close_fds=True,
                                pass_fds=tuple(pass_fds))
    except FileNotFoundError as exc:
        raise _not_found(args, cwd) from exc
    finally:
        for fd in outputs:
            if fd is not None:
                os.close(fd)


def _checked(argv: Sequence[str]) -> List[str]:
    if isinstance(argv, str) or not argv:
        raise TypeError(f"argv must be a non-empty list of strings, not {argv!r}")
    return [os.fspath(arg) for arg in argv]


def _not_found(args: Sequence[str], cwd: Optional[str]) -> FileNotFoundError:
    program = args[0]
    if os.sep in program:
        where = f" (relative to {cwd})" if cwd and not os.path.isabs(program) else ""
        return FileNotFoundError(f"no such program: {program}{where}")
    return FileNotFoundError(f"command not found: {program} (it is not on PATH)")
