"""The ``mlxp`` command (also ``python -m mlxp``): look at, follow and cancel the runs of a log
directory. Each subcommand lives in its own module (``COMMANDS``); this one only registers
them and turns errors into one ``mlxp: error: ...`` line.

    mlxp ls [LOGDIR]                 a table of the runs: varying config, last metrics
    mlxp show RUN                    one run: status, error, config, metrics, paths
    mlxp diff RUN RUN...             the config keys that differ between runs
    mlxp plot [LOGDIR] --metric M    curves of a metric as SVG (and PNG with matplotlib)
    mlxp ui [LOGDIR]                 a local web dashboard of the runs (until Ctrl-C)
    mlxp status [LOGDIR]             the runs with their jobs' states
    mlxp cancel [LOGDIR]             cancel the queued and running jobs among them
    mlxp rerun [LOGDIR] --sweep ID   run again the points a local sweep did not finish

LOGDIR is ./logs by default; RUN is a run directory (logs/3) or an id inside --logdir.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from typing import Optional, Sequence

from mlxp._entry import exit_quietly_on_closed_stdout
from mlxp.commands._common import CommandParser, clean
from mlxp.errors import MLXPError, UsageError

__all__ = ["COMMANDS", "main"]

#: the modules of the subcommands, in the order ``mlxp --help`` lists them
COMMANDS = (
    "mlxp.commands.ls",
    "mlxp.commands.show",
    "mlxp.commands.diff",
    "mlxp.commands.plot",
    "mlxp.commands.ui",
    "mlxp.commands.status",
    "mlxp.commands.cancel",
    "mlxp.commands.rerun",
)


def _parser() -> CommandParser:
    parser = CommandParser(
        prog="mlxp",
        description="Look at, follow, cancel and rerun the runs of a parent log directory"
        " (./logs); see docs/looking-at-results.md, docs/scale-out.md and docs/sweeps.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    commands.required = True
    for module in COMMANDS:
        importlib.import_module(module).register(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``mlxp COMMAND ...``; returns the exit status (2 for usage errors, 1 for others)."""
    with exit_quietly_on_closed_stdout():  # mlxp ls logs | head
        return _main(argv)


def _main(argv: Optional[Sequence[str]]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as done:  # --help
        return int(done.code or 0)
    except UsageError as error:
        print(f"mlxp: error: {error}", file=sys.stderr)
        return error.exit_code
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = int(args.run(args))
        except MLXPError as error:
            print(f"mlxp: error: {_safe(str(error))}", file=sys.stderr)
            status = error.exit_code
        except BrokenPipeError:  # our reader has gone (mlxp ls | head): nothing to say
            raise
        except OSError as error:  # a run directory that cannot be read or written
            print(f"mlxp: error: {_safe(str(error))}", file=sys.stderr)
            status = 1
    for warning in caught:
        print(f"mlxp: warning: {_safe(str(warning.message))}",
              file=sys.stderr)
    return status


def _safe(message: str) -> str:
    # a message may quote a run's text (a config value, a path): no control character
    return clean(message, keep_newlines=True)


if __name__ == "__main__":
    sys.exit(main())
