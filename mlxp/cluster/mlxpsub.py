"""The ``mlxpsub`` command: submit every sweep point of the python commands in a job script.

The script is read, never run (:mod:`mlxp.cluster.jobscript` takes it apart,
:mod:`mlxp.cluster.launches` tells the ``@mlxp.launch`` scripts). ``main(argv)`` runs each
launch command in submit mode, as a child process: the launcher composes its sweep points and
hands them to :func:`mlxp.cluster.submit.submit_points`. Other python commands stay lines of
the jobs. ``--rerun`` goes to :mod:`mlxp.cluster.rerun`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any, Dict, List, NoReturn, Optional, Sequence

from mlxp._entry import CLOSED_PIPE_EXIT, exit_quietly_on_closed_stdout
from mlxp._shell import run_attached
from mlxp.cluster.jobscript import ParsedScript, parse_job_script
from mlxp.cluster.launches import is_launch_script
from mlxp.errors import MLXPError, UsageError
from mlxp.settings import DRY_RUN_PLAN_ENV, SCHEDULER_ENV, SWEEP_ID_ENV
from mlxp.sweep import new_sweep_id

__all__ = ["main"]

USAGE = """usage: mlxpsub [--dry-run] [--array] [--max-running K] script.sh
       mlxpsub --rerun DIR [--query QUERY] [--dry-run] [--array] [--max-running K]"""
DEFAULT_RERUN_QUERY = "info.status == 'FAILED'"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``mlxpsub script.sh``: submit every sweep point of the script's launch commands.

    Each python command whose script uses ``@mlxp.launch`` (read, never run) runs once,
    with this interpreter, in submit mode: it checks its config and every sweep point, then
    writes and submits one job per point, or array jobs with ``--array``. Every run of one
    submission records the same ``info.sweep_id``. ``mlxpsub --rerun DIR`` submits the runs under ``DIR`` that ``--query`` selects (by
    default the FAILED ones) again, each continuing in its own directory. Returns the exit
    status: 0 when every job was submitted, 1 when any was refused, 2 for usage errors.
    Any other python command is never run here: it is a line of each job, like ``echo``.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    with exit_quietly_on_closed_stdout():  # mlxpsub --dry-run script.sh | head
        try:
            options = _parse_arguments(arguments)
            if options is None:
                print(_parser().format_help(), end="")
                return 0
            if options.rerun is not None:
                from mlxp.cluster.rerun import rerun_runs  # the Reader loads only for reruns

                return rerun_runs(options.rerun, options.query or DEFAULT_RERUN_QUERY,
                                  options.array, options.max_running or 0, options.dry_run)
            path = options.script or ""
            parsed = _read_script(path)
        except MLXPError as error:
            print(f"mlxpsub: error: {error}", file=sys.stderr)
            return error.exit_code
        for number, text in parsed.dropped:
            print(f"mlxpsub: note: {path}:{number}: left out {text!r}: each job runs in the"
                  " submit directory", file=sys.stderr)
        first_launch = parsed.commands[0].line
        for command in parsed.kept:
            where = "after" if command.line > first_launch else "before"
            print(f"mlxpsub: {path}:{command.line}: {command.script} does not use @mlxp.launch:"
                  f" not run here; each job runs it {where} its launch command")
        if options.dry_run:
            with tempfile.TemporaryDirectory(prefix="mlxpsub-") as scratch:
                # one plan of run ids for the whole script, as a submission would allocate
                plan = {DRY_RUN_PLAN_ENV: os.path.join(scratch, "plan.json")}
                return _submit_commands(parsed, options, path, plan)
        sweep_id = new_sweep_id()
        status = _submit_commands(parsed, options, path, {SWEEP_ID_ENV: sweep_id})
        if status != 2:
            print(f"mlxpsub: these runs share sweep_id {sweep_id}; select them with --query"
                  f" \"info.sweep_id == '{sweep_id}'\"", file=sys.stderr)
        return status


def _submit_commands(parsed: ParsedScript, options: argparse.Namespace, path: str,
                     environment: Dict[str, str]) -> int:
    """Run each python command of the script in submit mode, in order; the exit status."""
    failed = False
    for command in parsed.commands:
        section: Dict[str, Any] = {
            "name": parsed.scheduler,
            "option_cmd": list(parsed.directives),
            "env_cmd": list(parsed.env_lines),
            "post_cmd": list(parsed.post_lines),
            "shell_path": parsed.shebang[2:].strip(),
            "command_prefix": command.prefix,
        }
        # Only the flags given: any key set here would override the project's mlxp.yaml.
        if options.array:
            section["array"] = True
        if options.max_running is not None:
            section["max_running"] = options.max_running
        target = ["-m", command.script] if command.module else [command.script]
        child = [sys.executable, *command.options, *target, *command.arguments]
        if options.dry_run:
            child.append("--dry-run")
        sys.stdout.flush()  # our lines before the command's own
        try:
            status = run_attached(child, env={**os.environ, **environment,
                                              SCHEDULER_ENV: json.dumps(section)})
        except OSError as error:
            print(f"mlxpsub: error: {path}:{command.line}: {error}", file=sys.stderr)
            status = 1
        if status == 2:  # the command's own usage error: the rest would fail alike
            return 2
        if status == CLOSED_PIPE_EXIT:  # its reader has gone: so has ours
            raise BrokenPipeError
        failed = failed or status != 0
    return 1 if failed else 0


class _ArgumentParser(argparse.ArgumentParser):
    """argparse, with its errors raised as ours (``mlxpsub: error: ...``, exit status 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\n{USAGE}")


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"a number of tasks (0: no limit), not {text!r}")
    return int(text)


def _parser() -> _ArgumentParser:
    parser = _ArgumentParser(
        prog="mlxpsub", add_help=False, allow_abbrev=False,
        usage=USAGE[len("usage: "):],
        description="Submit one job per sweep point of the @mlxp.launch python commands in a"
        " scheduler job script (SLURM, OAR, TORQUE/PBS, SGE, MWM, LSF). The script is read,"
        " never run; other python commands run in each job, like any other line. Each run"
        " gets its own directory with its script.sh. See docs/mlxpsub.md.",
    )
    parser.add_argument("script", nargs="?", help="the job script: directives, environment"
                        " lines and python commands, e.g. python main.py seed=1,2")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the job scripts as a submission writes them, with the"
                        " run ids it would give them; write and submit nothing")
    parser.add_argument("--array", action="store_true",
                        help="submit the points of a command as array jobs")
    parser.add_argument("--max-running", type=_count, metavar="K",
                        help="at most K tasks of an array run at once (0: no limit)")
    parser.add_argument("--rerun", metavar="DIR",
                        help="submit again the runs under DIR that --query selects, each"
                        " continuing in its own directory")
    parser.add_argument("--query", help="with --rerun: a Reader query (default:"
                        f" {DEFAULT_RERUN_QUERY!r})")
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    return parser


def _parse_arguments(arguments: List[str]) -> Optional[argparse.Namespace]:
    """The options (``script`` is None with ``--rerun``), or None for ``--help``.

    Raises:
        UsageError: an unknown option, a missing or bad value, or not exactly one job script
            (none with ``--rerun``).
    """
    if "-h" in arguments or "--help" in arguments:
        return None
    options, extra = _parser().parse_known_args(arguments)
    unknown = [word for word in extra if word.startswith("-") and word != "-"]
    if unknown:
        raise UsageError(f"unknown option {unknown[0]!r}\n{USAGE}")
    scripts = [options.script, *extra] if options.script else extra
    if options.rerun is not None:
        if scripts:
            raise UsageError(f"--rerun resubmits runs and takes no job script, got {scripts}")
    elif options.query is not None:
        raise UsageError(f"--query selects the runs of --rerun DIR\n{USAGE}")
    elif len(scripts) != 1:
        what = f"one job script at a time, got {scripts}" if scripts else "missing the job script"
        raise UsageError(f"{what}\n{USAGE}")
    return options


def _read_script(path: str) -> ParsedScript:
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except FileNotFoundError as error:
        raise UsageError(f"no such job script: {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the job script {path}: {error}") from error
    return parse_job_script(text, path,
                            is_launch=lambda command: is_launch_script(command, path))

