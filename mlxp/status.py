"""Following and stopping submitted runs from their run directories (``mlxp status``/``cancel``).

Runs are picked with the Reader's query language. Each scheduler is asked about all of its
jobs in one call, and cancels all of them in one call: clusters rate-limit their controllers.
"""

from __future__ import annotations

import datetime
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp._process import LOST, iso_time, lost_reason, run_liveness
from mlxp._yaml import dump_yaml, load_yaml, load_yaml_file
from mlxp.errors import SchedulerError
from mlxp.reader import Reader
from mlxp.schedulers import JobStates, Scheduler, cancel, get_scheduler, query_states

__all__ = [
    "CANCELLED",
    "CANCEL_MARKER",
    "CancelResult",
    "LOST",
    "Run",
    "cancel_runs",
    "find_runs",
    "format_duration",
    "format_table",
    "job_states",
    "summarize",
]

CANCELLED, CANCEL_MARKER = _layout.CANCELLED, _layout.CANCEL_MARKER
#: how long ``cancel_runs`` waits, by default, for cancelled jobs to leave their scheduler.
CANCEL_WAIT = 15.0
_POLL_INTERVAL = 0.5
_ACTIVE = (_layout.STARTING, _layout.RUNNING)

JobKey = Tuple[str, str]  # (scheduler name, job id)


@dataclass(frozen=True)
class Run:
    """One run directory, as the status table shows it.

    Args:
        log_id: the run's id, the name of its directory.
        log_dir: the run directory.
        status: ``info.yaml``'s status (STARTING, RUNNING, COMPLETE, FAILED).
        scheduler: the scheduler's name, ``""`` for a run started without one.
        job_id: the scheduler's id of the run's job, ``""`` if it has none.
        start: ``start_date start_time``, or ``""``.
        end: ``end_date end_time``, or ``""``.
        error: the first line of ``info.yaml``'s ``error``, or ``""``.
        duration: seconds from start to end (to now for an active run), None if unknown.
        lost: why a RUNNING run is certainly no longer running, ``""`` if it may be.
        last_seen: when a lost run was last seen alive (ISO 8601), or ``""``.
        job_start_time: the local backend's record of the job's process, or ``""``.
    """

    log_id: int
    log_dir: str
    status: str
    scheduler: str = ""
    job_id: str = ""
    start: str = ""
    end: str = ""
    error: str = ""
    duration: Optional[float] = None
    lost: str = ""
    last_seen: str = ""
    job_start_time: str = ""

    @property
    def job(self) -> Optional[JobKey]:
        """``(scheduler, job_id)``, or None for a run without a scheduler job."""
        if self.scheduler and self.job_id:
            return self.scheduler, self.job_id
        return None

    @property
    def info_path(self) -> str:
        """The run's ``metadata/info.yaml``."""
        return os.path.join(self.log_dir, _layout.METADATA_DIR, _layout.INFO_FILE)

    @property
    def shown_status(self) -> str:
        """The status as shown: ``LOST`` for a RUNNING run proven gone, ``CANCELLED`` for a
        FAILED one that ``mlxp cancel`` stopped; otherwise ``info.yaml``'s."""
        if self.lost:
            return LOST
        if self.status == _layout.FAILED and self.error == CANCELLED:
            return "CANCELLED"
        return self.status


def find_runs(parent_log_dir: str, query: str = "") -> List[Run]:
    """The runs under ``parent_log_dir`` that match ``query`` (Reader syntax), by id.

    Raises:
        ReaderError: ``parent_log_dir`` is not a directory.
        QueryError: ``query`` is malformed.
    """
    return [_run_of(row.log_dir, row) for row in Reader(parent_log_dir).filter(query)]


def _run_of(log_dir: str, fields: Mapping[str, Any]) -> Run:
    def text(key: str) -> str:
        value = fields.get(f"info.{key}")
        return "" if value is None else str(value)

    info = {key[len("info."):]: value for key, value in fields.items()
            if key.startswith("info.")}
    lost = lost_reason(info, log_dir) or ""
    last_seen = run_liveness(info, log_dir)[1] if lost else None
    start = f"{text('start_date')} {text('start_time')}".strip()
    end = f"{text('end_date')} {text('end_time')}".strip()
    return Run(
        log_id=int(os.path.basename(log_dir)),
        log_dir=log_dir,
        status=text("status") or "?",
        scheduler=text("scheduler.name"),
        job_id=text("scheduler.job_id"),
        start=start,
        end=end,
        error=(text("error").splitlines() or [""])[0],
        duration=_duration(info, start, end, last_seen),
        lost=lost,
        last_seen=last_seen or "",
        job_start_time=text("scheduler.job_start_time"),
    )


def _duration(info: Mapping[str, Any], start: str, end: str, last_seen: Optional[str]
              ) -> Optional[float]:
    """Seconds the run took: ``duration_seconds``, else from its dates; an active run's so
    far, a lost run's until it was last seen."""
    recorded = info.get("duration_seconds")
    if isinstance(recorded, (int, float)) and not isinstance(recorded, bool):
        return float(recorded)
    began = _parse_date(start)
    if began is None:
        return None
    if end:
        until = _parse_date(end)
    elif last_seen:
        until = datetime.datetime.fromisoformat(last_seen).replace(tzinfo=None)
    elif info.get("status") in _ACTIVE:
        until = datetime.datetime.now()
    else:
        until = None
    return None if until is None else max(0.0, (until - began).total_seconds())


def _parse_date(text: str) -> Optional[datetime.datetime]:
    try:  # info.yaml's start_date/start_time, local time
        return datetime.datetime.strptime(text, "%d/%m/%Y %H:%M:%S")
    except ValueError:
        return None


def format_duration(seconds: Optional[float]) -> str:
    """``1h02m03s``, ``4m05s``, ``12s``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def job_states(runs: Iterable[Run]) -> Tuple[Dict[JobKey, str], List[str]]:
    """The scheduler's state of each run's job, from one status call per scheduler.

    Returns:
        The states, and the problems met (``slurm: squeue not found``). A scheduler that
        cannot be asked gives, as the state of its jobs, why not; this never raises.
    """
    states: Dict[JobKey, str] = {}
    problems: List[str] = []
    for name, (scheduler, group) in _by_scheduler(runs).items():
        if scheduler is not None:
            malformed = _malformed_ids(scheduler, group, problems)
            states.update(((name, run.job_id), "invalid job id") for run in malformed)
            group = [run for run in group if run not in malformed]
            if not group:
                continue
        ids = _job_ids(group)
        answer = (
            JobStates(dict.fromkeys(ids, "unknown scheduler"), f"unknown scheduler {name!r}")
            if scheduler is None
            else query_states(scheduler, ids)
        )
        states.update(((name, job_id), state) for job_id, state in answer.items())
        if answer.problem:
            problems.append(f"{name}: {answer.problem}")
    return states, problems


def _by_scheduler(runs: Iterable[Run]) -> Dict[str, Tuple[Optional[Scheduler], List[Run]]]:
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


def _job_ids(runs: Iterable[Run]) -> List[str]:
    return list(dict.fromkeys(run.job_id for run in runs))


def _malformed_ids(scheduler: Scheduler, group: Iterable[Run], problems: List[str]) -> List[Run]:
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


def format_table(runs: Sequence[Run], states: Mapping[JobKey, str]) -> str:
    """The status table: run id, status, job, the scheduler's state, start, end, duration,
    and the error (for a LOST run: when it was last seen and why it is taken as gone)."""
    header = ("run", "status", "job", "scheduler state", "start", "end", "duration", "error")
    rows = [
        (
            str(run.log_id),
            run.shown_status,
            f"{run.job[0]} {run.job[1]}" if run.job else "-",
            states.get(run.job, "-") if run.job else "-",
            run.start or "-",
            run.end or "-",
            format_duration(run.duration),
            f"last seen {run.last_seen or '?'}: {run.lost}" if run.lost else run.error or "-",
        )
        for run in runs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in [header, *rows]]
    return "\n".join(lines)


def summarize(runs: Sequence[Run]) -> str:
    """One line such as ``16 runs: 12 COMPLETE, 2 RUNNING, 2 STARTING`` (most frequent first)."""
    counts = Counter(run.shown_status for run in runs)
    parts = ", ".join(f"{count} {status}" for status, count in
                      sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    noun = "run" if len(runs) == 1 else "runs"
    return f"{len(runs)} {noun}" + (f": {parts}" if parts else "")


# --- cancelling -------------------------------------------------------------------------------


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
    for name, (scheduler, group) in _by_scheduler(r for r in runs if r.status in _ACTIVE).items():
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
    malformed = _malformed_ids(scheduler, group, problems)
    results.update((r.log_dir, CancelResult(r, False, "invalid job id, not cancelled"))
                   for r in malformed)
    group = [run for run in group if run not in malformed]
    if not group:
        return _Cancelling(scheduler, [], {}, refused=False)
    states = query_states(scheduler, _job_ids(group))
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
        fields = {run.job_id: {"job_start_time": run.job_start_time} for run in chosen}
        cancel(scheduler, _job_ids(chosen), fields=fields)
    except SchedulerError as error:
        # Possibly only in part: qdel and oardel fail when one id ended since the status call.
        problems.append(str(error))
        return _Cancelling(scheduler, chosen, marks, refused=True)
    return _Cancelling(scheduler, chosen, marks, refused=False)


def _wait_until_stopped(groups: Sequence[_Cancelling], wait: float) -> List[JobKey]:
    """Poll (one status call per scheduler per round) until no job is active; the stragglers."""
    pending = {g.scheduler.name: (g.scheduler, _job_ids(g.runs)) for g in groups if g.runs}
    deadline = time.monotonic() + wait
    while pending:
        for name, (scheduler, ids) in list(pending.items()):
            states = query_states(scheduler, ids)
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
            now = time.time()
            info["ended_at"] = iso_time(now)
            info["duration_seconds"] = _seconds_since(info.get("started_at"), now)
    return dump_yaml(info)


def _seconds_since(started_at: Any, now: float) -> Optional[float]:
    try:
        return round(now - datetime.datetime.fromisoformat(str(started_at)).timestamp(), 3)
    except ValueError:
        return None


def _now() -> Tuple[str, str]:
    # info.yaml's date and time formats, as the Logger writes them.
    now = time.localtime()
    return time.strftime("%d/%m/%Y", now), time.strftime("%H:%M:%S", now)


def _log_ids(runs: Iterable[Run]) -> str:
    return ", ".join(str(run.log_id) for run in runs)
