"""The version manager's questions on a terminal: which untracked files to add, whether to
commit. Each reads answers from ``stdin`` and writes to ``stderr``, so tests pass streams.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, TextIO

__all__ = ["DEFAULT_COMMIT_MESSAGE", "ask_commit_message", "ask_files_to_add"]

DEFAULT_COMMIT_MESSAGE = "mlxp: commit all changes before a run"


def ask_files_to_add(paths: Sequence[str], stdin: TextIO, stderr: TextIO) -> List[str]:
    """Ask which untracked ``paths`` to add: numbers or ranges, ``a`` for all, Enter for none.

    A malformed answer is explained and the question asked again; end of input means none.
    """
    stderr.write(f"mlxp: untracked files ({len(paths)}), left out of the run unless committed:\n")
    stderr.write("".join(f"  {number:>3}  {path}\n" for number, path in enumerate(paths, 1)))
    while True:
        answer = _ask("Add which files? numbers (1 3 or 2-4), a for all, Enter for none: ",
                      stdin, stderr)
        if answer is None or not answer.strip():
            return []
        if answer.strip().lower() in ("a", "all"):
            return list(paths)
        chosen = _parse_numbers(answer, len(paths))
        if chosen is not None:
            return [paths[number - 1] for number in chosen]
        stderr.write(f"  please answer with numbers from 1 to {len(paths)}, a or Enter\n")


def ask_commit_message(stdin: TextIO, stderr: TextIO) -> Optional[str]:
    """Ask whether to commit every change now (``y``/``n``, asked again otherwise).

    Returns:
        The commit message (the default one for an empty answer), or None for no.
    """
    while True:
        answer = _ask("Commit all changes now, so that the run executes them? [y/n]: ",
                      stdin, stderr)
        if answer is None or answer.strip().lower() in ("n", "no"):
            return None
        if answer.strip().lower() in ("y", "yes"):
            break
        stderr.write("  please answer y or n\n")
    message = _ask(f"Commit message [{DEFAULT_COMMIT_MESSAGE}]: ", stdin, stderr)
    return (message or "").strip() or DEFAULT_COMMIT_MESSAGE


def _ask(question: str, stdin: TextIO, stderr: TextIO) -> Optional[str]:
    stderr.write(question)
    stderr.flush()
    line = stdin.readline()
    return line.rstrip("\r\n") if line else None


def _parse_numbers(answer: str, count: int) -> Optional[List[int]]:
    """``"1 3,5-6"`` -> ``[1, 3, 5, 6]``; None when a part is not a number in 1..count."""
    chosen: List[int] = []
    for part in answer.replace(",", " ").split():
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            return None
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= first <= last <= count:
            return None
        chosen.extend(n for n in range(first, last + 1) if n not in chosen)
    return chosen
