"""The states of submitted runs' jobs, as ``mlxp status`` shows them.

Runs are picked with the Reader's query language (:mod:`mlxp.cluster.runs` reads and shows
them). Each scheduler is asked about all of its jobs in one call: clusters rate-limit their
controllers. :mod:`mlxp.cluster.cancel` asks the same way before it cancels.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

from mlxp import _layout
from mlxp.cluster.runs import JobKey, Run
from mlxp.cluster.schedulers import JobStates, Scheduler, get_scheduler, query_states
from mlxp.errors import SchedulerError

__all__ = ["by_scheduler", "job_fields", "job_ids", "job_states", "malformed_ids"]


def job_states(runs: Iterable[Run]) -> Tuple[Dict[JobKey, str], List[str]]:
    """The scheduler's state of each run's job, from one status call per scheduler.

    Returns:
        The states, and the problems met (``slurm: squeue not found``). A scheduler that
        cannot be asked gives, as the state of its jobs, why not; this never raises.
    """
    states: Dict[JobKey, str] = {}
    problems: List[str] = []
    for name, (scheduler, group) in by_scheduler(runs).items():
        if scheduler is not None:
            malformed = malformed_ids(scheduler, group, problems)
            states.update(((name, run.job_id), "invalid job id") for run in malformed)
            group = [run for run in group if run not in malformed]
            if not group:
                continue
        ids = job_ids(group)
        answer = (
            JobStates(dict.fromkeys(ids, "unknown scheduler"), f"unknown scheduler {name!r}")
            if scheduler is None
            else query_states(scheduler, ids, fields=job_fields(group))
        )
        states.update(((name, job_id), state) for job_id, state in answer.items())
        if answer.problem:
            problems.append(f"{name}: {answer.problem}")
    return states, problems


def by_scheduler(runs: Iterable[Run]) -> Dict[str, Tuple[Optional[Scheduler], List[Run]]]:
    """The runs that have a job, by scheduler name; None for a backend not registered here
    (one the user's own code registers)."""
    groups: Dict[str, Tuple[Optional[Scheduler], List[Run]]] = {}
    for run in runs:
        if run.job is None:
            continue
        if run.scheduler not in groups:
            try:
                groups[run.scheduler] = (get_scheduler(run.scheduler), [])
            except SchedulerError:
                groups[run.scheduler] = (None, [])
        groups[run.scheduler][1].append(run)
    return groups


def job_ids(runs: Iterable[Run]) -> List[str]:
    return list(dict.fromkeys(run.job_id for run in runs))


def job_fields(runs: Iterable[Run]) -> Dict[str, Dict[str, str]]:
    """What each job's ``info.yaml`` entry records to identify it, by job id."""
    return {run.job_id: {"job_start_time": run.job_start_time} for run in runs
            if run.job_start_time}


def malformed_ids(scheduler: Scheduler, group: Iterable[Run], problems: List[str]) -> List[Run]:
    """The runs whose recorded job id has not ``scheduler``'s shape, each named in
    ``problems``: such an id never reaches a command (``-a`` would be read as an option)."""
    malformed = []
    for run in group:
        try:
            scheduler.check_job_id(run.job_id)
        except SchedulerError as error:
            problems.append(f"run {_layout.display_path(run.log_dir)}: {error}")
            malformed.append(run)
    return malformed
