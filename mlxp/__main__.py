"""The ``mlxp`` command (also ``python -m mlxp``): follow, cancel and rerun the runs of a log
directory.

    mlxp status [DIR] [--query Q]            a table of the runs, with their jobs' states
    mlxp cancel [DIR] [--query Q] [--wait S] cancel the queued and running jobs among them
    mlxp rerun [DIR] (--sweep ID | --query Q) [-j N] [--dry-run]
                                             run again the points a local sweep did not finish

DIR is ./logs by default.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import List, NoReturn, Optional, Sequence

from mlxp._entry import exit_quietly_on_closed_stdout
from mlxp._layout import RUNNING, STARTING, display_path
from mlxp.cluster.schedulers.base import GONE
from mlxp.cluster.cancel import CANCEL_WAIT, CancelResult, cancel_runs
from mlxp.cluster.runs import Run, find_runs, format_table, summarize
from mlxp.cluster.status import job_states
from mlxp.errors import MLXPError, UsageError

__all__ = ["main"]

_QUERY_HELP = (
    "only the runs matching this Reader query, e.g. \"info.status == 'RUNNING'\""
    " or 'config.seed in [1, 2]'"
)


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as ``UsageError`` so they print as one line."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def _parser() -> _Parser:
    parser = _Parser(
        prog="mlxp",
        description="Follow, cancel and rerun the runs of a parent log directory (./logs);"
        " see docs/scale-out.md and docs/sweeps.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    status = commands.add_parser(
        "status",
        help="one line per run: status, job, the scheduler's state, start, end, duration,"
        " error",
        description="One line per run: its status (info.yaml; LOST for a RUNNING run whose"
        " process is proven gone, CANCELLED for one stopped by mlxp cancel), its job and the"
        " state its scheduler gives it (one call per scheduler), its start and end time, its"
        " duration and its error.",
    )
    cancel = commands.add_parser(
        "cancel",
        help="cancel the jobs of STARTING and RUNNING runs; they become FAILED (cancelled)",
        description="Cancel the jobs of the STARTING and RUNNING runs (one call per"
        " scheduler) and record those runs FAILED with 'error: cancelled'. Finished runs"
        " are left alone.",
    )
    for command in (status, cancel):
        command.add_argument("log_dir", metavar="DIR", nargs="?", default="./logs",
                             help="the parent log directory (default: ./logs)")
        command.add_argument("--query", "-q", default="", metavar="Q", help=_QUERY_HELP)
    rerun = commands.add_parser(
        "rerun",
        help="run again, here, the FAILED and never-started points of a local sweep",
        description="Run again, on this machine, the points of a sweep started with python"
        " main.py that did not finish: with --sweep, every point without a COMPLETE run (the"
        " FAILED ones and those never started); with --query, the FAILED runs it selects."
        " Each goes into a new run directory, with the sweep's id, script and flags."
        " (mlxpsub --rerun is for submitted jobs.)",
    )
    rerun.add_argument("log_dir", metavar="DIR", nargs="?", default="./logs",
                       help="the parent log directory (default: ./logs)")
    which = rerun.add_mutually_exclusive_group(required=True)
    which.add_argument("--sweep", "-s", metavar="ID",
                       help="the sweep's id (info.sweep_id, shown by its summary)")
    which.add_argument("--query", "-q", metavar="Q", help=_QUERY_HELP)
    rerun.add_argument("--jobs", "-j", metavar="N",
                       help="points at once: a number or auto (default: the sweep's"
                       " mlxp.launcher.jobs)")
    rerun.add_argument("--dry-run", action="store_true",
                       help="list the points that would run, and run nothing")
    cancel.add_argument(
        "--wait", type=float, default=CANCEL_WAIT, metavar="SECONDS",
        help=f"how long to wait for the jobs to stop (default {CANCEL_WAIT:g})",
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``mlxp COMMAND ...``; returns the exit status (2 for usage errors, 1 for others)."""
    with exit_quietly_on_closed_stdout():  # mlxp status logs | head
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
    if args.command == "rerun":
        return _rerun(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if not os.path.isdir(args.log_dir):
                raise UsageError(f"no such directory: {args.log_dir}")
            if getattr(args, "wait", 0) < 0:
                raise UsageError(f"--wait must be 0 or more seconds, not {args.wait:g}")
            runs = find_runs(args.log_dir, args.query)
            if not runs:
                matching = f" match {args.query!r}" if args.query else ""
                print(f"no runs in {args.log_dir}{matching}")
                status = 0
            elif args.command == "status":
                status = _status(runs)
            else:
                status = _cancel(runs, args.wait)
        except MLXPError as error:
            print(f"mlxp: error: {error}", file=sys.stderr)
            status = error.exit_code
        except BrokenPipeError:  # our reader has gone (mlxp status | head): nothing to say
            raise
        except OSError as error:  # a run directory that cannot be read or written
            print(f"mlxp: error: {error}", file=sys.stderr)
            status = 1
    for warning in caught:
        print(f"mlxp: warning: {warning.message}", file=sys.stderr)
    return status


def _rerun(args: argparse.Namespace) -> int:
    from mlxp._sweep_rerun import rerun_local  # the parallel runner loads only here

    try:
        return rerun_local(args.log_dir, args.sweep, args.query, args.jobs, args.dry_run)
    except MLXPError as error:
        print(f"mlxp: error: {error}", file=sys.stderr)
        return error.exit_code


def _status(runs: List[Run]) -> int:
    states, problems = job_states(runs)
    print(format_table(runs, states))
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


def _cancel(runs: List[Run], wait: float) -> int:
    results, problems = cancel_runs(runs, wait=wait)
    for result in results:
        print(_cancel_line(result))
    cancelled = sum(result.cancelled for result in results)
    print(f"{cancelled} cancelled, {len(results) - cancelled} left alone")
    for problem in problems:
        print(f"mlxp: error: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _cancel_line(result: CancelResult) -> str:
    run = result.run
    job = f"{run.scheduler} job {run.job_id}" if run.job else "no job"
    verdict = "cancelled" if result.cancelled else "left alone"
    return f"{display_path(run.log_dir)}  {job}  {verdict} ({result.note})"


if __name__ == "__main__":
    sys.exit(main())
