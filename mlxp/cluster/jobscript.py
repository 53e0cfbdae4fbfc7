"""Job scripts taken apart without running them: the shebang, the scheduler's directives,
environment lines, python commands (each split into prefix, interpreter, script and
arguments) and post lines. ``mlxpsub`` (:mod:`mlxp.cluster.mlxpsub`) submits what this finds.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from typing import Callable, List, NoReturn, Optional, Tuple

from mlxp.errors import JobScriptError
from mlxp.cluster.schedulers import available, detect_scheduler, get_scheduler
from mlxp.cluster.schedulers.base import DEFAULT_SHEBANG

__all__ = ["LAUNCHERS", "ParsedScript", "PythonCommand", "parse_job_script"]

#: commands that may come before ``python`` on a command line and are kept with it.
LAUNCHERS = frozenset(
    "srun mpirun mpiexec aprun jsrun ibrun ccc_mprun env time timeout nohup nice ionice"
    " numactl taskset stdbuf singularity apptainer uv conda pixi poetry pipenv".split()
)
_PYTHON = re.compile(r"python\d*(\.\d+)?")  # python, python3, python3.11, by basename
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_EXPANSION_START = re.compile(r"[A-Za-z_{(0-9@*#?$!-]")  # what follows '$' in an expansion
# Bash's brace expansion: {a,b} and {1..3} (not ${x}): one word becomes several.
_BRACE_EXPANSION = re.compile(r"(?<!\$)\{[^{}]*,[^{}]*\}|\{(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])"
                              r"(\.\.-?\d+)?\}")
_ESCAPED_IN_DOUBLE_QUOTES = frozenset('$`"\\\n')  # bash keeps any other backslash there
_OPERATORS = frozenset(";&|<>()")
# Interpreter options that take a value: -c (refused), -m (the module), -X and -W.
_OPTIONS_WITH_VALUE = frozenset("cmXW")


@dataclass(frozen=True)
class PythonCommand:
    """One python command line of a job script.

    Args:
        prefix: the shell text before the interpreter (``srun -n 1``), kept verbatim so
            that ``$SLURM_NTASKS`` and the like still expand inside the job; ``""`` if none.
        interpreter: as written: ``python``, ``python3.11``, ``/opt/venv/bin/python``.
        script: the script's path, or the module's name when ``module`` is true.
        arguments: the words after the script, unquoted as the shell would (overrides).
        line: 1-based line of the command in the job script (its first line if continued).
        options: interpreter options before the script (``-u``, ``-X dev``).
        module: the command is ``python -m <script>``.
    """

    prefix: str
    interpreter: str
    script: str
    arguments: Tuple[str, ...]
    line: int
    options: Tuple[str, ...] = ()
    module: bool = False

    @property
    def argv(self) -> Tuple[str, ...]:
        """The command without its prefix, as an argument list."""
        target = ("-m", self.script) if self.module else (self.script,)
        return (self.interpreter, *self.options, *target, *self.arguments)


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
            words = _Words(line, path, number)
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


def _python_command(words: "_Words", is_launch: Optional[Callable[[PythonCommand], bool]]
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


def _unquoted_only(word: str) -> str:
    """``word`` with every quoted or backslash-escaped character replaced by NUL, so that a
    pattern finds only the characters bash gives a meaning to."""
    out: List[str] = []
    quote: Optional[str] = None
    escaped = False
    for ch in word:
        if escaped:
            out.append("\0")
            escaped = False
        elif quote:
            quote = None if ch == quote else quote
            escaped = quote == '"' and ch == "\\"
            out.append("\0")
        elif ch in "'\"\\":
            quote = None if ch == "\\" else ch
            escaped = ch == "\\"
            out.append("\0")
        else:
            out.append(ch)
    return "".join(out)


def _unquote(word: str) -> Optional[str]:
    """The word as bash hands it to the command (quotes removed), or None for an open quote.

    Outside quotes a backslash keeps the next character; inside single quotes nothing is
    special; inside double quotes a backslash is removed only before ``$``, a backquote,
    ``"``, ``\\`` and a newline, and kept before anything else (``"\\d"`` stays ``\\d``).
    """
    out: List[str] = []
    quote: Optional[str] = None
    i = 0
    while i < len(word):
        ch = word[i]
        if quote == "'":
            quote = None if ch == "'" else quote
            out.append("" if ch == "'" else ch)
        elif quote == '"' and ch == '"':
            quote = None
        elif ch == "\\" and i + 1 < len(word) and (
                quote is None or word[i + 1] in _ESCAPED_IN_DOUBLE_QUOTES):
            i += 1
            out.append("" if word[i] == "\n" else word[i])
        elif quote is None and ch in "'\"":
            quote = ch
        else:
            out.append(ch)
        i += 1
    return None if quote else "".join(out)


class _Words:
    """The words of one shell line, with where quoting leaves operators and expansions."""

    def __init__(self, line: str, path: str, number: int) -> None:
        self.line, self.path, self.number = line, path, number
        self.spans: List[Tuple[int, int]] = []
        self.expansions: List[int] = []
        self.operators: List[int] = []
        self.open_quote: Optional[str] = None
        self._scan()
        self.values = [self._value(start, end) for start, end in self.spans]

    def _scan(self) -> None:
        text, quote, start, i = self.line, None, None, 0
        while i < len(text):
            ch = text[i]
            if quote == "'":
                quote = None if ch == "'" else quote
            elif quote == '"':
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    quote = None
                elif self._expands(i, quoted=True):
                    self.expansions.append(i)
            elif ch.isspace():
                if start is not None:
                    self.spans.append((start, i))
                    start = None
            elif ch == "#" and start is None:
                break  # a comment runs to the end of the line
            else:
                start = i if start is None else start
                if ch == "\\":
                    i += 1
                elif ch in "'\"":
                    quote = ch
                elif self._expands(i):
                    self.expansions.append(i)
                elif ch in _OPERATORS:
                    self.operators.append(i)
            i += 1
        if start is not None:
            self.spans.append((start, min(i, len(text))))
        self.open_quote = quote

    def _expands(self, i: int, quoted: bool = False) -> bool:
        """A backquote or ``$`` expansion starts at ``i``; unquoted, ``$'...'`` and ``$"..."``
        count too (bash's ANSI-C and locale quoting, which mlxpsub does not interpret)."""
        line, ch = self.line, self.line[i]
        if ch == "`":
            return True
        return ch == "$" and (bool(_EXPANSION_START.match(line, i + 1))
                              or (not quoted and line[i + 1:i + 2] in ("'", '"')))

    def _value(self, start: int, end: int) -> str:
        word = self.line[start:end]
        unquoted = _unquote(word)
        return word if unquoted is None else unquoted

    def is_cd(self) -> bool:
        return bool(self.values) and self.values[0] == "cd"

    def is_assignment_only(self) -> bool:
        return all(_ASSIGNMENT.match(self.line, start) for start, _ in self.spans)

    def python_command(self) -> Optional[PythonCommand]:
        """The python command on this line, or None if the line runs something else."""
        index = self._interpreter_index()
        if index is None:
            return None
        if self.open_quote:
            self._fail(f"unterminated {self.open_quote} quote in a python command")
        if self.operators and self.line[self.operators[0]] in "()":
            index = next(k for k, (a, b) in enumerate(self.spans) if a <= self.operators[0] < b)
            self._fail(
                f"unquoted {self.line[self.operators[0]]!r} in {self.values[index]!r}: bash"
                " stops at it with a syntax error, so the script cannot run as written; quote"
                f" the argument: {shlex.quote(self.values[index])}",
            )
        if self.operators:
            self._fail(
                f"{self.line[self.operators[0]]!r} in a python command: mlxpsub does not run"
                " the script, so pipes, redirections and command lists cannot be kept"
                " (the job's output goes to log.stdout and log.stderr)",
            )
        interpreter_start = self.spans[index][0]
        late = [i for i in self.expansions if i >= interpreter_start]
        if late:
            word = next(self.line[a:b] for a, b in self.spans if a <= late[0] < b)
            self._fail(
                f"shell expansion in {word!r}: mlxpsub reads the script without running it,"
                " so write the value out (expansions are fine before the interpreter, e.g."
                " 'srun -n $SLURM_NTASKS python ...', and in environment lines)",
            )
        for start, end in self.spans[index:]:
            if _BRACE_EXPANSION.search(_unquoted_only(self.line[start:end])):
                word = self.values[self.spans.index((start, end))]
                self._fail(
                    f"unquoted braces in {self.line[start:end]!r}: bash expands them into"
                    f" several words; quote the argument: {shlex.quote(word)}",
                )
        options, module, script, arguments = self._split_interpreter_words(
            self.values[index + 1:])
        return PythonCommand(
            prefix=self.line[:interpreter_start].strip(),
            interpreter=self.values[index],
            script=script,
            arguments=arguments,
            line=self.number,
            options=options,
            module=module,
        )

    def script_only(self) -> Optional[PythonCommand]:
        """The python command as far as its script, the words after the first operator or
        expansion left out; None when the script itself is not plain text."""
        index = self._interpreter_index()
        if index is None or self.open_quote:
            return None
        start = self.spans[index][0]
        cut = min([*self.operators, *(i for i in self.expansions if i >= start)],
                  default=len(self.line))
        plain = []
        for (_, end), value in zip(self.spans[index + 1:], self.values[index + 1:]):
            if end > cut:
                break
            plain.append(value)
        options, module, script, arguments = self._split_interpreter_words(plain)
        return PythonCommand(self.line[:start].strip(), self.values[index], script, arguments,
                             self.number, options, module)

    def _interpreter_index(self) -> Optional[int]:
        """Index of the interpreter word; only launchers and ``VAR=value`` may come before."""
        for index, value in enumerate(self.values):
            name = os.path.basename(value)
            if _PYTHON.fullmatch(name):
                return index
            if index == 0 and name not in LAUNCHERS and not _ASSIGNMENT.match(value):
                return None
        return None

    def _split_interpreter_words(
        self, after_interpreter: List[str]
    ) -> Tuple[Tuple[str, ...], bool, str, Tuple[str, ...]]:
        """``(options, module, script, arguments)`` from the words after the interpreter."""
        words = list(after_interpreter)
        options: List[str] = []
        while words and words[0].startswith("-") and words[0] != "-":
            word = words.pop(0)
            if word.startswith("--"):
                options.append(word)
                continue
            # A cluster of one-letter flags (-uB); the first of -c -m -X -W takes a value,
            # attached (-Xdev) or as the next word, and ends the cluster.
            for position in range(1, len(word)):
                flag = word[position]
                if flag not in _OPTIONS_WITH_VALUE:
                    continue
                if flag == "c":
                    self._fail("'python -c' has no script: mlxpsub submits scripts or modules")
                attached = word[position + 1 :]
                if not attached and not words:
                    self._fail(f"python option -{flag} needs a value")
                value = attached or words.pop(0)
                if position > 1:
                    options.append(word[:position])
                if flag == "m":
                    return tuple(options), True, value, tuple(words)
                options.extend([f"-{flag}", value])
                break
            else:
                options.append(word)
        if not words or words[0] == "-":
            self._fail("python command without a script: mlxpsub submits scripts or modules")
        return tuple(options), False, words[0], tuple(words[1:])

    def _fail(self, reason: str) -> NoReturn:
        raise JobScriptError(
            f"{self.path}:{self.number}: {reason}\n    {self.line.strip()}",
            path=self.path,
            line=self.number,
        )
