"""One line of a job script read as bash would split it, without running it: its words with
quotes removed, where quoting leaves operators and expansions, and the python command on it.
:mod:`mlxp.cluster.jobscript` reads a whole script with it.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from typing import List, NoReturn, Optional, Tuple

from mlxp.errors import JobScriptError

__all__ = ["LAUNCHERS", "PythonCommand", "ShellLine"]

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


class ShellLine:
    """The words of one shell line, with where quoting leaves operators and expansions.

    Methods that find the line unusable raise :class:`~mlxp.errors.JobScriptError` naming
    ``path`` and line ``number``.
    """

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
