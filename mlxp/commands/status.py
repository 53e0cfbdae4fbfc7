"""``mlxp status [LOGDIR]``: one line per run, with its job's state from its scheduler."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlxp.commands._common import add_logdir, add_where, check_logdir, clean, no_runs_line

NAME = "status"


def register(commands: Any) -> None:
    """Add ``mlxp status`` to the subparsers ``commands``."""
    parser = commands.add_parser(
        NAME,
        help="one line per run: status, job, the scheduler's state, start, end, duration,"
        " error",
        description="One line per run: its status (info.yaml; LOST for a RUNNING run whose"
        " process is proven gone, CANCELLED for one stopped by mlxp cancel), its job and the"
        " state its scheduler gives it (one call per scheduler), its start and end time, its"
        " duration and its error.",
    )
    add_logdir(parser)
    add_where(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the status table; 1 when a scheduler could not be asked."""
    from mlxp._layout import RUNNING, STARTING
    from mlxp.cluster.runs import find_runs, format_table, summarize
    from mlxp.cluster.schedulers.base import GONE
    from mlxp.cluster.status import job_states

    check_logdir(args.log_dir)
    runs = find_runs(args.log_dir, args.where)
    if not runs:
        print(no_runs_line(args.log_dir, args.where))
        return 0
    states, problems = job_states(runs)
    print(clean(format_table(runs, states), keep_newlines=True))
    print(summarize(runs))
    lost = [r for r in runs if r.status in (STARTING, RUNNING) and not r.lost and r.job
            and states[r.job] == GONE]
    if lost:
        print(
            f"note: {len(lost)} STARTING/RUNNING run{'s' if len(lost) > 1 else ''}"
            f" ({', '.join(str(run.log_id) for run in lost)}) no longer in the scheduler:"
            " the job ended without recording it (killed, or its node failed)"
        )
    for problem in problems:
        print(f"mlxp: error: cannot ask {problem}", file=sys.stderr)
    return 1 if problems else 0

