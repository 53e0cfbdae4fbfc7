"""Stopping submitted runs (``mlxp cancel``): their jobs cancelled, the runs recorded FAILED.

The runs come from :mod:`mlxp.cluster.runs`; each scheduler is asked about its jobs
(:mod:`mlxp.cluster.status`) and cancels all of them in one call: clusters rate-limit their
controllers.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from mlxp import _layout
from mlxp._process import local_now, seconds_since
from mlxp._yaml import dump_yaml, load_yaml, load_yaml_file
from mlxp.cluster.runs import JobKey, Run
from mlxp.cluster.schedulers import Scheduler, cancel, query_states
from mlxp.cluster.status import by_scheduler, job_fields, job_ids, malformed_ids
from mlxp.errors import SchedulerError

__all__ = ["CANCELLED", "CANCEL_MARKER", "CANCEL_WAIT", "CancelResult", "cancel_runs"]

CANCELLED, CANCEL_MARKER = _layout.CANCELLED, _layout.CANCEL_MARKER
CANCEL_WAIT = _layout.CANCEL_WAIT
_POLL_INTERVAL = 0.5
_ACTIVE = (_layout.STARTING, _layout.RUNNING)


@dataclass(frozen=True)
class CancelResult:
    """What ``cancel_runs`` did to one run.

    Args:
        run: the run, as it was found.
        cancelled: True if its job was cancelled and the run is now FAILED with ``error:
            cancelled``.
        note: what happened, in a few words (``was RUNNING``, ``already COMPLETE``, ...).
    """

    run: Run
    cancelled: bool
    note: str


def cancel_runs(
    runs: Sequence[Run], *, wait: float = CANCEL_WAIT
) -> Tuple[List[CancelResult], List[str]]:
    """Cancel the jobs of the STARTING and RUNNING runs, and record them FAILED/cancelled.

    Per scheduler: one status call finds the jobs still queued or running; their runs get
    ``metadata/cancelled`` and ``status: FAILED, error: cancelled`` in ``info.yaml``; one
    cancel call stops them all. A job that receives SIGTERM then records its own FAILED
    status ("terminated by SIGTERM"), and a job that started meanwhile records RUNNING, so
    this waits (up to ``wait`` seconds) until the scheduler lists none of the jobs as active
    and writes ``cancelled`` again over what a job wrote, keeping its other fields. A run
    that reached COMPLETE first keeps it: its task did finish. If the scheduler refused the
    cancel, the runs whose jobs still run get their ``info.yaml`` back.

    Returns:
        One result per run, in order, and the problems met (a scheduler that could not be
        asked, or refused the cancel).
    """
    results: Dict[str, CancelResult] = {}
    problems: List[str] = []
    for run in runs:
        if run.status not in _ACTIVE:
            results[run.log_dir] = CancelResult(run, False, f"already {run.status}")
        elif run.job is None:
            results[run.log_dir] = CancelResult(run, False, "no scheduler job to cancel")
    groups: List[_Cancelling] = []
    for name, (scheduler, group) in by_scheduler(r for r in runs if r.status in _ACTIVE).items():
        if scheduler is None:
            results.update((r.log_dir, CancelResult(r, False, f"unknown scheduler {name!r}"))
                           for r in group)
            problems.append(f"unknown scheduler {name!r}: runs {_log_ids(group)} left as they are")
        else:
            groups.append(_start_cancel(scheduler, group, results, problems))
    stopping = _wait_until_stopped(groups, wait)
    for cancelling in groups:
        for run in cancelling.runs:
            if cancelling.refused and run.job in stopping:
                _undo_mark(run, *cancelling.marks[run.log_dir])
                results[run.log_dir] = CancelResult(
                    run, False, f"{cancelling.scheduler.name} refused to cancel it"
                )
            else:
                results[run.log_dir] = _settle(run, still_stopping=run.job in stopping)
    return [results[run.log_dir] for run in runs], problems


@dataclass
class _Cancelling:
    """The runs of one scheduler being cancelled, with their ``info.yaml`` before and after."""

    scheduler: Scheduler
    runs: List[Run]
    marks: Dict[str, Tuple[str, str]]
    refused: bool


def _start_cancel(
    scheduler: Scheduler, group: List[Run], results: Dict[str, CancelResult], problems: List[str]
) -> _Cancelling:
    """Mark the runs of ``group`` whose jobs are still active, then cancel those jobs."""
    malformed = malformed_ids(scheduler, group, problems)
    results.update((r.log_dir, CancelResult(r, False, "invalid job id, not cancelled"))
                   for r in malformed)
    group = [run for run in group if run not in malformed]
    if not group:
        return _Cancelling(scheduler, [], {}, refused=False)
    states = query_states(scheduler, job_ids(group), fields=job_fields(group))
    if states.problem:
        results.update((r.log_dir, CancelResult(r, False, states.problem)) for r in group)
        problems.append(
            f"cannot ask {scheduler.name} about runs {_log_ids(group)}: {states.problem}"
        )
        return _Cancelling(scheduler, [], {}, refused=False)
    chosen = []
    for run in group:
        state = states[run.job_id]
        if scheduler.is_active(state):
            chosen.append(run)
        else:
            note = f"job already {state} in {scheduler.name}; run left {run.status}"
            results[run.log_dir] = CancelResult(run, False, note)
    marks = {run.log_dir: _mark_cancelled(run) for run in chosen}
    try:
        cancel(scheduler, job_ids(chosen), fields=job_fields(chosen))
    except SchedulerError as error:
        # Possibly only in part: qdel and oardel fail when one id ended since the status call.
        problems.append(str(error))
        return _Cancelling(scheduler, chosen, marks, refused=True)
    return _Cancelling(scheduler, chosen, marks, refused=False)


def _wait_until_stopped(groups: Sequence[_Cancelling], wait: float) -> List[JobKey]:
    """Poll (one status call per scheduler per round) until no job is active; the stragglers."""
    pending = {g.scheduler.name: (g.scheduler, job_ids(g.runs)) for g in groups if g.runs}
    fields = {g.scheduler.name: job_fields(g.runs) for g in groups}
    deadline = time.monotonic() + wait
    while pending:
        for name, (scheduler, ids) in list(pending.items()):
            states = query_states(scheduler, ids, fields=fields[name])
            active = [job_id for job_id in ids if scheduler.is_active(states[job_id])]
            if active and not states.problem:
                pending[name] = (scheduler, active)
            else:
                del pending[name]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(_POLL_INTERVAL)
    return [(name, job_id) for name, (_, ids) in pending.items() for job_id in ids]


def _mark_cancelled(run: Run) -> Tuple[str, str]:
    """Write the marker, then FAILED/cancelled into ``info.yaml``: ``(text before, after)``."""
    marker = os.path.join(run.log_dir, _layout.METADATA_DIR, CANCEL_MARKER)
    _layout.atomic_write_text(marker, " ".join(_now()) + "\n")
    with _layout.info_lock(run.log_dir):  # the job's Logger writes under the same lock
        with open(run.info_path, encoding="utf-8") as stream:
            before = stream.read()
        after = _cancelled_text(load_yaml(before, run.info_path))
        _layout.atomic_write_text(run.info_path, after)
    return before, after


def _undo_mark(run: Run, before: str, after: str) -> None:
    """Put back the ``info.yaml`` replaced by ``_mark_cancelled``, unless the job rewrote it."""
    try:
        os.unlink(os.path.join(run.log_dir, _layout.METADATA_DIR, CANCEL_MARKER))
    except FileNotFoundError:
        pass
    with _layout.info_lock(run.log_dir):
        with open(run.info_path, encoding="utf-8") as stream:
            if stream.read() != after:
                return
        _layout.atomic_write_text(run.info_path, before)


def _settle(run: Run, still_stopping: bool) -> CancelResult:
    """Write ``cancelled`` again over what the job recorded meanwhile, unless it completed."""
    was = f"was {run.status}"
    with _layout.info_lock(run.log_dir):
        info = load_yaml_file(run.info_path)
        if info.get("status") == _layout.COMPLETE:
            return CancelResult(run, False, "COMPLETE before the cancel reached it")
        if info.get("status") != _layout.FAILED or info.get("error") != CANCELLED:
            _layout.atomic_write_text(run.info_path, _cancelled_text(info))
    if still_stopping:
        was += "; its job was still stopping when the wait ended; see mlxp status"
    return CancelResult(run, True, was)


def _cancelled_text(info: Dict[str, Any]) -> str:
    """``info`` as YAML with status FAILED and error cancelled; an end time if it had none."""
    info = dict(info, status=_layout.FAILED, error=CANCELLED)
    if not info.get("end_date"):
        info["end_date"], info["end_time"] = _now()
        if "ended_at" in info:  # a run recorded by a Logger that writes these fields
            now = local_now()
            info["ended_at"] = now.isoformat(timespec="milliseconds")
            info["duration_seconds"] = seconds_since(info.get("started_at"), now)
    return dump_yaml(info)


def _now() -> Tuple[str, str]:
    # info.yaml's date and time formats, as the Logger writes them.
    now = time.localtime()
    return time.strftime("%d/%m/%Y", now), time.strftime("%H:%M:%S", now)


def _log_ids(runs: Iterable[Run]) -> str:
    return ", ".join(str(run.log_id) for run in runs)
