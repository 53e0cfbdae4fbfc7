"""Running a scheduler's commands through :mod:`mlxp._shell`: submit, cancel, requeue, and
the batched status query (one call per scheduler for many jobs).
"""

from __future__ import annotations

import os
import shlex
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Type

from mlxp._shell import ShellResult, run
from mlxp.errors import JobScriptError, SchedulerError, SubmissionError
from mlxp.cluster.schedulers.base import GONE, Scheduler, _indent

__all__ = [
    "JobStates",
    "cancel",
    "current_job_id",
    "query_states",
    "request_requeue",
    "submit",
]

#: seconds a submit or cancel command may take; past it the scheduler is taken as unreachable
#: (sbatch keeps retrying a controller that does not answer).
COMMAND_TIMEOUT = 120.0
#: seconds a status command may take: a status table should not hang on one dead scheduler.
STATUS_TIMEOUT = 30.0


def current_job_id(scheduler: Scheduler) -> Optional[str]:
    """The id of the job this process runs in, from the scheduler's variable; None outside."""
    variable = scheduler.job_id_variable
    return os.environ.get(variable) or None if variable else None


def request_requeue(scheduler: Scheduler, job_id: str, *,
                    timeout: Optional[float] = COMMAND_TIMEOUT) -> None:
    """Ask the scheduler to put the running job ``job_id`` back in its queue.

    Raises:
        SchedulerError: the scheduler cannot requeue jobs, or refused.
    """
    if not scheduler.requeue_command:
        raise SchedulerError(f"mlxp cannot requeue {scheduler.name} jobs", job_id=job_id)
    scheduler.check_job_id(job_id)
    _run_checked(lambda: run([*scheduler.requeue_command, job_id], timeout=timeout),
                 SchedulerError, f"requeue {scheduler.name} job {job_id}",
                 f"{scheduler.name} did not requeue job {job_id}")


def _run_checked(call: Callable[[], ShellResult], error: Type[SchedulerError], doing: str,
                 refused: str, **fields: Any) -> ShellResult:
    """Run a scheduler command; ``error`` (with what it printed) if it cannot run or fails."""
    try:
        result = call()
    except (OSError, TimeoutError) as exc:
        raise error(f"cannot {doing}: {exc}", output="", **fields) from exc
    if result.returncode != 0:
        raise error(
            f"{refused} ({result.argv[0]} exited with status {result.returncode}):\n"
            + _indent(result.output or "(no output)"),
            output=result.output,
            returncode=result.returncode,
            **fields,
        )
    return result


def submit(
    scheduler: Scheduler, script_path: str, *, timeout: Optional[float] = COMMAND_TIMEOUT
) -> Tuple[str, str]:
    """Submit the job script at ``script_path`` and return ``(job_id, output)``.

    ``output`` is everything the submit command printed (stdout, then stderr).

    Raises:
        JobScriptError: the script is missing, or not executable for a scheduler that runs
            it itself (OAR, local).
        SubmissionError: the submit command is not installed, timed out, failed, or printed
            no job id; ``.output`` holds what it printed.
    """
    path = os.path.abspath(script_path)
    if not os.path.isfile(path):
        raise JobScriptError(f"no such job script: {script_path}", path=script_path)
    if scheduler.needs_executable_script and not os.access(path, os.X_OK):
        raise JobScriptError(
            f"{script_path}: {scheduler.name} runs the job script itself, so it must be"
            f" executable\n    chmod +x {shlex.quote(script_path)}",
            path=script_path,
        )
    result = _run_checked(lambda: scheduler.run_submit(path, timeout), SubmissionError,
                          f"submit {script_path} to {scheduler.name}",
                          f"{scheduler.name} refused {script_path}", path=script_path)
    try:
        return scheduler.parse_job_id(result.output), result.output
    except SubmissionError as exc:
        raise SubmissionError(
            f"{script_path}: {exc}", output=result.output, path=script_path
        ) from exc


def cancel(
    scheduler: Scheduler, job_ids: Sequence[str], *,
    fields: Optional[Mapping[str, Mapping[str, Any]]] = None,
    timeout: Optional[float] = COMMAND_TIMEOUT,
) -> None:
    """Cancel ``job_ids`` with one call of the scheduler's cancel command.

    Args:
        fields: each job's ``info.yaml`` scheduler entry, by id: the local backend signals a
            job only if its process still matches the ``job_start_time`` recorded there.

    Raises:
        SchedulerError: an id has not the scheduler's shape (nothing is cancelled), or the
            command is missing, timed out, or failed (e.g. SGE and OAR refuse ids they do not
            know; Slurm does not); ``.output`` holds what it printed.
    """
    if not job_ids:
        return
    for job_id in job_ids:
        scheduler.check_job_id(job_id)
    ids = " ".join(job_ids)
    _run_checked(lambda: scheduler.run_cancel(list(job_ids), timeout, fields or {}),
                 SchedulerError,
                 f"cancel {scheduler.name} jobs {ids}",
                 f"{scheduler.name} did not cancel jobs {ids}")


class JobStates(Dict[str, str]):
    """Job id -> the scheduler's state for it, from one status call.

    ``problem`` is None when the scheduler answered; otherwise it says why not (``squeue not
    found``), and the jobs it left unanswered have that text as their state.
    """

    def __init__(self, states: Dict[str, str], problem: Optional[str] = None) -> None:
        super().__init__(states)
        self.problem = problem


def query_states(
    scheduler: Scheduler, job_ids: Sequence[str], *,
    fields: Optional[Mapping[str, Mapping[str, Any]]] = None,
    timeout: Optional[float] = STATUS_TIMEOUT,
) -> JobStates:
    """The state of each of ``job_ids``, asked with one call of ``scheduler``'s status command.

    ``fields`` (each job's ``info.yaml`` scheduler entry, by id) lets a backend answer
    :data:`GONE` for a job its record proves ended (a local job whose pid was reused).

    One call per scheduler, never one per job: clusters rate-limit their controllers. Never
    raises for the scheduler's sake, so that a table of runs still shows what is known: a
    missing command, a timeout or a failure becomes ``.problem`` and the state of each job the
    output does not list. A job the scheduler no longer knows is :data:`GONE`.
    """
    ids = list(dict.fromkeys(job_ids))
    malformed = {}
    for job_id in ids:
        try:
            scheduler.check_job_id(job_id)
        except SchedulerError as error:
            malformed[job_id] = str(error).split(";")[0]
    if malformed:  # never handed to a command: it could read one as an option
        ids = [job_id for job_id in ids if job_id not in malformed]
        answer = (query_states(scheduler, ids, fields=fields, timeout=timeout) if ids
                  else JobStates({}))
        problems = [answer.problem] if answer.problem else []
        problems += list(malformed.values())
        return JobStates({**answer, **malformed}, "; ".join(problems))
    records = fields or {}
    ended = [job_id for job_id in ids if scheduler.proven_gone(job_id, records.get(job_id) or {})]
    if ended:
        rest = [job_id for job_id in ids if job_id not in ended]
        answer = query_states(scheduler, rest, timeout=timeout) if rest else JobStates({})
        return JobStates({**answer, **dict.fromkeys(ended, GONE)}, answer.problem)
    if not ids:
        return JobStates({})
    argv = scheduler.status_argv(ids)
    program = argv[0]
    try:
        result = run(argv, timeout=timeout)
    except FileNotFoundError:
        problem = f"{program} not found"
        return JobStates(dict.fromkeys(ids, problem), problem)
    except (OSError, TimeoutError) as exc:
        problem = f"{program} failed: {exc}"
        return JobStates(dict.fromkeys(ids, problem), problem)
    states = scheduler.parse_status(result.stdout, ids)
    if result.returncode == 0 or scheduler.unknown_job_pattern.search(result.output):
        return JobStates(states)
    first_line = (result.output or "no output").splitlines()[0].strip()
    problem = f"{program} failed (exit {result.returncode}): {first_line}"
    return JobStates({k: problem if v == GONE else v for k, v in states.items()}, problem)
