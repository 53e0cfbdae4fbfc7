"""``mlxp diff RUN RUN...``: the config keys whose values differ between runs, side by side."""

from __future__ import annotations

import argparse
from typing import Any

from mlxp.commands._common import add_logdir_option, clean, format_value

NAME = "diff"


def register(commands: Any) -> None:
    """Add ``mlxp diff`` to the subparsers ``commands``."""
    parser = commands.add_parser(
        NAME,
        help="the config keys that differ between runs",
        description="The config keys whose values differ between the runs (a key that some"
        " of them lack too), one row per key and one column per run; secrets from the"
        " environment masked.",
    )
    parser.add_argument("runs", metavar="RUN", nargs="+",
                        help="run directories (logs/3) or run ids inside --logdir; two or more")
    add_logdir_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the differing keys."""
    from mlxp.commands._table import fit_table, terminal_width
    from mlxp.errors import UsageError
    from mlxp.results.runs import load_run, resolve_run, varying_keys

    if len(args.runs) < 2:
        raise UsageError("mlxp diff needs two runs or more (mlxp show prints one)")
    summaries = [load_run(resolve_run(arg, args.logdir)) for arg in args.runs]
    keys = varying_keys(summary.config for summary in summaries)
    names = ", ".join(clean(summary.dir) for summary in summaries)
    if not keys:
        print(f"no config key differs between {names}")
        return 0
    header = ["key", *(summary.dir for summary in summaries)]
    rows = [[key, *(format_value(summary.config[key]) if key in summary.config else "(absent)"
                    for summary in summaries)] for key in keys]
    lines, hidden = fit_table(header, rows, terminal_width(), keep=1)
    print("\n".join(lines))
    noun = "key differs" if len(keys) == 1 else "keys differ"
    note = f"; {hidden} run column(s) did not fit the terminal" if hidden else ""
    print(f"{len(keys)} config {noun}{note}")
    return 0
