"""The runs of a parent log directory as ``mlxp status`` shows them: one :class:`Run` per
directory, read with the Reader, with its derived status (LOST, CANCELLED) and duration.
"""

from __future__ import annotations

import datetime
import functools
import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp._process import LOST, lost_reason, run_liveness
from mlxp.reader import Reader

__all__ = ["JobKey", "Run", "find_runs", "format_duration", "format_table", "parse_date",
           "run_from_info", "run_of", "summarize"]

JobKey = Tuple[str, str]  # (scheduler name, job id)
_ACTIVE = (_layout.STARTING, _layout.RUNNING)


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
        if self.status == _layout.FAILED and self.error == _layout.CANCELLED:
            return "CANCELLED"
        return self.status


def find_runs(parent_log_dir: str, query: str = "") -> List[Run]:
    """The runs under ``parent_log_dir`` that match ``query`` (Reader syntax), by id.

    Raises:
        ReaderError: ``parent_log_dir`` is not a directory.
        QueryError: ``query`` is malformed.
    """
    # loaded(): the info fields without loading any metrics file
    return [run_of(row.log_dir, row.loaded()) for row in Reader(parent_log_dir).filter(query)]


def run_of(log_dir: str, fields: Mapping[str, Any]) -> Run:
    """The :class:`Run` of a Reader row (``fields``: its flat ``info.*`` columns at least)."""
    return run_from_info(log_dir, {key[5:]: value for key, value in fields.items()
                                   if key.startswith("info.")})


def run_from_info(log_dir: str, info: Mapping[str, Any]) -> Run:
    """The :class:`Run` of a run directory whose flat ``info.yaml`` fields (dotted keys,
    without the ``info.`` prefix) are ``info``."""
    def text(key: str) -> str:
        value = info.get(key)
        return "" if value is None else str(value)

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
    began = parse_date(start)
    if began is None:
        return None
    if end:
        until = parse_date(end)
    elif last_seen:
        until = datetime.datetime.fromisoformat(last_seen).replace(tzinfo=None)
    elif info.get("status") in _ACTIVE:
        until = datetime.datetime.now()
    else:
        until = None
    return None if until is None else max(0.0, (until - began).total_seconds())


@functools.lru_cache(maxsize=1024)  # runs of a sweep share their dates; strptime is slow
def parse_date(text: str) -> Optional[datetime.datetime]:
    """``info.yaml``'s ``start_date start_time`` (local time), or None."""
    try:  # info.yaml's start_date/start_time, local time
        return datetime.datetime.strptime(text, "%d/%m/%Y %H:%M:%S")
    except ValueError:
        return None


def format_duration(seconds: Optional[float]) -> str:
    """``1h02m03s``, ``4m05s``, ``12s``, ``0.4s`` (a quick run is not ``0s``); ``-`` when
    unknown."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{max(seconds, 0.0):.1f}s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


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
