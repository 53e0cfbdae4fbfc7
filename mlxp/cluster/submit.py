"""Submitting: planned jobs go to their scheduler, and each run records its job's id.

Where a submission starts (:func:`submit_points` for submit mode; ``mlxpsub --rerun`` plans
its own jobs and calls :func:`submit_jobs`). The jobs are grouped
(:mod:`mlxp.cluster.scripts`), every run's files are written in one pass
(:mod:`mlxp.cluster.rundirs`), then each job or array is submitted: ``info.yaml`` records the
scheduler's ids, and a refused submission marks its runs FAILED with the scheduler's message.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Iterator, List, Optional, Sequence, Tuple, TypeVar

from mlxp import _layout
from mlxp.cluster.jobs import Job
from mlxp.cluster.plan import plan_jobs
from mlxp.cluster.rundirs import (InfoDumper, NewRuns, RunInfo, record_array, record_job,
                                  record_refusal, write_files, write_runs)
from mlxp.cluster.schedulers import submit
from mlxp.cluster.scripts import array_script, batch_jobs, show_scripts
from mlxp.errors import MLXPError

if TYPE_CHECKING:
    from mlxp.vcs import Snapshot

__all__ = ["submit_jobs", "submit_points"]

# Submissions wait mostly on the scheduler, file writes on the disk: a few go at once.
_PARALLEL = 8

_T = TypeVar("_T")
_R = TypeVar("_R")


def submit_points(points: Sequence[Any], flags: Sequence[str], dry_run: bool,
                  snapshot: Optional["Snapshot"] = None, sweep_id: Optional[str] = None) -> int:
    """Submit every point (``.point`` overrides, ``.config``, ``.settings``, ``.overrides``).

    Each point is one job, or a task of an array job with ``mlxp.scheduler.array``; every
    run records ``sweep_id`` in ``info.yaml``. Returns the exit code: 0 when
    every job was submitted, 1 when any was refused.

    Raises:
        MLXPError: settings that cannot be kept, checked before any run directory is made.
    """
    new_runs = NewRuns(snapshot, sweep_id)
    jobs = plan_jobs(points, flags, dry_run, snapshot, new_runs.contents)
    return submit_jobs(jobs, dry_run)


def submit_jobs(jobs: Sequence[Job], dry_run: bool) -> int:
    """Submit ``jobs``, print one line per job or array, and return the exit code.

    Jobs marked ``array`` go as array jobs (see :func:`~mlxp.cluster.scripts.batch_jobs`).
    Returns 0 when everything was submitted, 1 otherwise.
    """
    batch = batch_jobs(jobs)
    if dry_run:
        show_scripts(batch)
        return 0
    dump_info = InfoDumper()
    records = write_runs(batch.tasks, dump_info)
    failed: List[str] = []
    singles = batch.singles
    results = _parallel(_submit_single, list(zip(singles, records)))
    for job, (submitted, line) in zip(singles, results):
        _report(submitted, line, [job], failed)
    position = len(singles)
    for group in batch.arrays:
        group_records = records[position:position + len(group)]
        _report(*_submit_array(group, group_records, dump_info), group, failed)
        position += len(group)
    if failed:
        print(f"{len(jobs)} runs: {len(jobs) - len(failed)} submitted, {len(failed)} FAILED"
              f" ({', '.join(failed)})", file=sys.stderr)
        return 1
    return 0


def _report(submitted: bool, line: str, group: Sequence[Job], failed: List[str]) -> None:
    print(line, file=sys.stdout if submitted else sys.stderr, flush=True)
    if not submitted:
        failed.extend(job.where for job in group)


def _parallel(function: Callable[[_T], _R], items: Sequence[_T]) -> Iterator[_R]:
    """``map(function, items)``, a few at a time, each result in order as soon as it is in."""
    if len(items) <= 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(max_workers=min(_PARALLEL, len(items))) as pool:
        yield from pool.map(function, items)


def _submit_single(item: Tuple[Job, RunInfo]) -> Tuple[bool, str]:
    """Submit one run's ``script.sh``; ``(submitted, line to print)``."""
    job, record = item
    name = job.scheduler.name
    try:
        job_id, output = submit(job.scheduler, os.path.join(job.log_dir, _layout.JOB_SCRIPT))
    except MLXPError as error:
        record_refusal(record, error, job.scheduler)
        return False, f"{job.where}  {name} refused the job: {str(error).splitlines()[0]}"
    record_job(record, job.scheduler, job_id, output)
    return True, f"{job.where}  {name} job {job_id}"


def _submit_array(group: Sequence[Job], records: Sequence[RunInfo],
                  dump_info: InfoDumper) -> Tuple[bool, str]:
    """Submit the group's runs, already written, as one array job; record each task's id."""
    scheduler = group[0].scheduler
    script = array_script(group)
    write_files([(script.path, script.text, 0o777)])
    where = script.where
    start = scheduler.array_first_index
    try:
        job_id, output = submit(scheduler, script.path)
    except MLXPError as error:
        for index, record in enumerate(records, start=start):
            record_refusal(record, error, scheduler, index)
        return False, f"{where}  {scheduler.name} refused the array: {str(error).splitlines()[0]}"
    array_id, task_ids = scheduler.array_task_ids(job_id, output, len(group))
    record_array(records, scheduler, array_id, task_ids, output, dump_info)
    return True, f"{where}  {scheduler.name} array job {array_id} ({len(group)} tasks)"
