"""Job scripts taken apart without running them: the shebang, the scheduler's directives,
environment lines, python commands (each line split by :mod:`mlxp.cluster.shellline`) and
post lines. ``mlxpsub`` (:mod:`mlxp.cluster.mlxpsub`) submits what this finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

from mlxp.errors import JobScriptError
from mlxp.cluster.schedulers import available, detect_scheduler, get_scheduler
from mlxp.cluster.schedulers.base import DEFAULT_SHEBANG
from mlxp.cluster.shellline import LAUNCHERS, PythonCommand, ShellLine

__all__ = ["LAUNCHERS", "ParsedScript", "PythonCommand", "parse_job_script"]


@dataclass(frozen=True)
class ParsedScript:
    """A job script split into the parts a generated job script is built from.

    Args:
        path: the script's path, as given.
        scheduler: name of the scheduler its directives are for.
        shebang: its ``#!`` line, ``#!/bin/bash`` if it has none.
        directives: its directive lines, in order, verbatim.
        env_lines: shell lines before the first python command, verbatim.
        commands: its python commands, in order.
        post_lines: shell lines after the first python command, verbatim.
        dropped: ``(line, text)`` of the ``cd`` lines and plain ``X=1`` assignments left out
            (the job ``cd``\\ s into the submit directory itself), for a note to the user.
        kept: the python commands that are not launches, kept as environment or post lines
            (``python read.py``), for a note to the user.
    """

    path: str
    scheduler: str
    shebang: str
    directives: Tuple[str, ...]
    env_lines: Tuple[str, ...]
    commands: Tuple[PythonCommand, ...]
    post_lines: Tuple[str, ...]
    dropped: Tuple[Tuple[int, str], ...] = ()
    kept: Tuple[PythonCommand, ...] = ()


def parse_job_script(text: str, path: str,
                     is_launch: Optional[Callable[[PythonCommand], bool]] = None
                     ) -> ParsedScript:
    """Split the job script ``text`` (read from ``path``) without running any of it.

    Blank lines and comments are skipped, ``\\`` continuations joined, directive lines pick
    the scheduler. Each line whose command is ``python`` (possibly after launchers such as
    ``srun -n 1`` or ``VAR=value`` words) is a python command; ``is_launch`` tells which of
    them are launches (default: all; mlxpsub passes
    :func:`mlxp.cluster.launches.is_launch_script`). Other lines, the other python commands
    included, are environment lines before the first launch and post lines after it.

    Raises:
        JobScriptError: no directive, directives of two schedulers, no python command, or a
            python command mlxpsub cannot take apart (``-c``, a pipe, ``$VAR``...), or one
            ``is_launch`` cannot decide on; names the file and line.
    """
    lines = _logical_lines(text)
    shebang = DEFAULT_SHEBANG
    if lines and lines[0][0] == 1 and lines[0][1].startswith("#!"):
        shebang = lines.pop(0)[1].strip()
    found = detect_scheduler(text, path)
    if found is None:
        raise JobScriptError(
            f"{path}: no scheduler directive: mlxpsub cannot tell where to submit\n"
            "    add the directives of your scheduler, e.g. '#SBATCH --time=1:00:00';"
            f" known prefixes: {_known_prefixes()}",
            path=path,
            line=None,
        )
    directives: List[str] = []
    env_lines: List[str] = []
    post_lines: List[str] = []
    commands: List[PythonCommand] = []
    dropped: List[Tuple[int, str]] = []
    kept: List[PythonCommand] = []
    for number, line in lines:
        stripped = line.strip()
        if found.is_directive(stripped):
            directives.append(stripped)
        elif not stripped or stripped.startswith("#"):
            continue
        else:
            words = ShellLine(line, path, number)
            command, launch = _python_command(words, is_launch)
            if launch and command is not None:
                commands.append(command)
            elif command is not None:
                kept.append(command)
                (post_lines if commands else env_lines).append(line.rstrip())
            elif words.is_cd() or words.is_assignment_only():
                dropped.append((number, stripped))
            else:
                (post_lines if commands else env_lines).append(line.rstrip())
    if not commands:
        what = "no @mlxp.launch python command" if kept else "no python command"
        raise JobScriptError(
            f"{path}: {what}: mlxpsub submits one job per sweep point of each"
            " 'python script.py ...' line whose script uses @mlxp.launch",
            path=path,
            line=None,
        )
    return ParsedScript(
        path=path,
        scheduler=found.name,
        shebang=shebang,
        directives=tuple(directives),
        env_lines=tuple(env_lines),
        commands=tuple(commands),
        post_lines=tuple(post_lines),
        dropped=tuple(dropped),
        kept=tuple(kept),
    )


def _python_command(words: ShellLine, is_launch: Optional[Callable[[PythonCommand], bool]]
                    ) -> Tuple[Optional[PythonCommand], bool]:
    """The line's python command, if any, and whether it is a launch.

    Only a launch is taken apart and must pass every check: any other python command is a
    shell line of the jobs, so a pipe or ``$VAR`` after its script is fine there.
    """
    try:
        command = words.python_command()
    except JobScriptError as error:
        try:
            command = words.script_only()
        except JobScriptError:
            command = None
        if command is None or is_launch is None or is_launch(command):
            raise error
        return command, False
    return command, command is not None and (is_launch is None or is_launch(command))


def _logical_lines(text: str) -> List[Tuple[int, str]]:
    """``(first line number, text)`` of each line once ``\\``-newlines are joined."""
    result: List[Tuple[int, str]] = []
    parts: List[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        trailing = len(raw) - len(raw.rstrip("\\"))
        # A comment does not continue onto the next line, even after a backslash.
        if trailing % 2 == 1 and not (not parts and raw.lstrip().startswith("#")):
            parts.append(raw[:-1])
            continue
        parts.append(raw)
        result.append((start, "".join(parts)))
        parts = []
    if parts:
        result.append((start, "".join(parts)))
    return result


def _known_prefixes() -> str:
    prefixes = (get_scheduler(name).directive for name in available())
    return ", ".join(sorted(p for p in prefixes if p))
