"""``mlxp cancel [LOGDIR]``: cancel the jobs of the STARTING and RUNNING runs."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlxp._layout import CANCEL_WAIT
from mlxp.commands._common import add_logdir, add_where, check_logdir, clean, no_runs_line
from mlxp.errors import UsageError

NAME = "cancel"


def register(commands: Any) -> None:
    """Add ``mlxp cancel`` to the subparsers ``commands``."""
    parser = commands.add_parser(
        NAME,
        help="cancel the jobs of STARTING and RUNNING runs; they become FAILED (cancelled)",
        description="Cancel the jobs of the STARTING and RUNNING runs (one call per"
        " scheduler) and record those runs FAILED with 'error: cancelled'. Finished runs"
        " are left alone.",
    )
    add_logdir(parser)
    add_where(parser)
    parser.add_argument(
        "--wait", type=float, default=CANCEL_WAIT, metavar="SECONDS",
        help=f"how long to wait for the jobs to stop (default {CANCEL_WAIT:g})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Cancel and print one line per run; 1 when a scheduler refused or could not be asked."""
    from mlxp._layout import display_path
    from mlxp.cluster.cancel import cancel_runs
    from mlxp.cluster.runs import find_runs

    check_logdir(args.log_dir)
    if args.wait < 0:
        raise UsageError(f"--wait must be 0 or more seconds, not {args.wait:g}")
    runs = find_runs(args.log_dir, args.where)
    if not runs:
        print(no_runs_line(args.log_dir, args.where))
        return 0
    results, problems = cancel_runs(runs, wait=args.wait)
    for result in results:
        job = f"{result.run.scheduler} job {result.run.job_id}" if result.run.job else "no job"
        verdict = "cancelled" if result.cancelled else "left alone"
        print(clean(f"{display_path(result.run.log_dir)}  {job}  {verdict} ({result.note})"))
    cancelled = sum(result.cancelled for result in results)
    print(f"{cancelled} cancelled, {len(results) - cancelled} left alone")
    for problem in problems:
        print(f"mlxp: error: {clean(problem)}", file=sys.stderr)
    return 1 if problems else 0
