"""What the ``mlxp`` subcommands share: their argument conventions and terminal output.

One convention for every command: LOGDIR is optional and defaults to ``./logs``; a RUN is a
run directory (``logs/3``) or a run id inside ``--logdir``; a query is ``--where`` (or its
older name ``--query``/``-q``) in the Reader's language. Every text that comes from a run
passes through :func:`clean` before it reaches the terminal: a config value holding an ANSI
escape must not recolour, move the cursor or retitle the user's terminal.
"""

from __future__ import annotations

import argparse
import os
import re
from typing import Any, NoReturn

from mlxp.errors import UsageError

DEFAULT_LOGDIR = "./logs"
QUERY_HELP = (
    "only the runs matching this Reader query, e.g. \"info.status == 'COMPLETE'\""
    " or 'config.seed in [1, 2]'"
)
# C0 and C1 control characters, DEL, and the Unicode controls that reorder or hide text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class CommandParser(argparse.ArgumentParser):
    """argparse, with its errors raised as ``UsageError`` so they print as one line."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def add_logdir(parser: argparse.ArgumentParser) -> None:
    """The optional LOGDIR positional argument."""
    parser.add_argument("log_dir", metavar="LOGDIR", nargs="?", default=DEFAULT_LOGDIR,
                        help=f"the parent log directory (default: {DEFAULT_LOGDIR})")


def add_where(parser: argparse.ArgumentParser) -> None:
    """``--where Q`` (also ``--query``/``-q``, the older name)."""
    parser.add_argument("--where", "--query", "-q", dest="where", default="", metavar="Q",
                        help=QUERY_HELP)


def add_logdir_option(parser: argparse.ArgumentParser) -> None:
    """``--logdir DIR``, where run ids given as RUN are looked up."""
    parser.add_argument("--logdir", default=DEFAULT_LOGDIR, metavar="DIR",
                        help=f"where run ids are looked up (default: {DEFAULT_LOGDIR})")


def check_logdir(path: str) -> None:
    """Raises: UsageError: ``path`` is not a directory."""
    if not os.path.isdir(path):
        raise UsageError(f"no such directory: {path} (give the parent log directory, such as"
                         " ./logs)", path=path)


def no_runs_line(log_dir: str, where: str) -> str:
    """What a command prints when no run matches."""
    matching = f" match {clean(where)!r}" if where else ""
    return f"no runs in {clean(log_dir)}{matching}"


def clean(value: Any, keep_newlines: bool = False) -> str:
    """``value`` as text safe for a terminal: each control character is written as an escape
    (``\\x1b``), so it shows instead of acting. Newlines are kept when asked (multi-line
    errors), tabs become spaces."""
    text = value if isinstance(value, str) else format_value(value)
    if text.isprintable():  # the usual case, and a fast test: no control character at all
        return text
    text = text.replace("\t", "    ")
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_escape, line) for line in text.split("\n"))
    return _CONTROL.sub(_escape, text)


def _escape(match: "re.Match[str]") -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def format_value(value: Any) -> str:
    """A config or metric value as a table shows it: floats with 6 significant digits."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = f"{value:.6g}"
        # 1.0 stays 1.0: a config showing 1 next to 0.001 would read as an int
        return text + ".0" if text.lstrip("-").isdigit() else text
    return str(value)


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending with an ellipsis when cut."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + "…" if width > 0 else ""
