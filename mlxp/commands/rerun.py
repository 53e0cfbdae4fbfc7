"""``mlxp rerun [LOGDIR] (--sweep ID | --where Q)``: run again what a local sweep did not finish."""

from __future__ import annotations

import argparse
from typing import Any

from mlxp.commands._common import QUERY_HELP, add_logdir

NAME = "rerun"


def register(commands: Any) -> None:
    """Add ``mlxp rerun`` to the subparsers ``commands``."""
    parser = commands.add_parser(
        NAME,
        help="run again, here, the FAILED and never-started points of a local sweep",
        description="Run again, on this machine, the points of a sweep started with python"
        " main.py that did not finish: with --sweep, every point without a COMPLETE run (the"
        " FAILED ones and those never started); with --where, the FAILED runs it selects."
        " Each goes into a new run directory, with the sweep's id, script and flags."
        " (mlxpsub --rerun is for submitted jobs.)",
    )
    add_logdir(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--sweep", "-s", metavar="ID",
                       help="the sweep's id (info.sweep_id, shown by its summary)")
    which.add_argument("--where", "--query", "-q", dest="where", metavar="Q", help=QUERY_HELP)
    parser.add_argument("--jobs", "-j", metavar="N",
                        help="points at once: a number or auto (default: the sweep's"
                        " mlxp.launcher.jobs)")
    parser.add_argument("--dry-run", action="store_true",
                        help="list the points that would run, and run nothing")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the points; the exit status is the sweep's (0, 1, 130, 143)."""
    from mlxp._sweep_rerun import rerun_local  # the parallel runner loads only here

    return rerun_local(args.log_dir, args.sweep, args.where, args.jobs, args.dry_run)
