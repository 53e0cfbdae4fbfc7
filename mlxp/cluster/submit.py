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
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple,
                    TypeVar)

from mlxp import _layout
from mlxp.cluster.jobs import Job
from mlxp.cluster.plan import plan_jobs
from mlxp.cluster.rundirs import (InfoDumper, NewRuns, RunInfo, file_stamp, scheduler_entry,
                                  write_files, write_runs)
from mlxp.cluster.schedulers import submit
from mlxp.cluster.scripts import (ARRAYS_DIR, Batch, array_name, array_parent, batch_jobs,
                                  render_array, show_scripts)
from mlxp.errors import MLXPError

if TYPE_CHECKING:
    from mlxp.vcs import Snapshot

__all__ = ["submit_jobs", "submit_points"]

# Submissions wait mostly on the scheduler, file writes on the disk: a few go at once.
_PARALLEL = 8
_OUTPUT_LINES = 12  # of a submit command's output kept in each run's info.yaml

_T = TypeVar("_T")
_R = TypeVar("_R")


def submit_points(points: Sequence[Any], flags: Sequence[str], dry_run: bool,
                  snapshot: Optional["Snapshot"] = None, sweep_id: Optional[str] = None) -> int:
    """Submit every point (``.point`` overrides, ``.config``, ``.settings``, ``.overrides``).

    Each point is one job, or a task of an array job with ``mlxp.scheduler.array``; every
    run records ``sweep_id`` in ``info.yaml``. Returns the exit code: 0 when every job was
    submitted, 1 when any was refused.

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
    records = write_runs(batch.runs, _unsubmitted_entries(batch), dump_info)
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


def _unsubmitted_entries(batch: Batch) -> List[Dict[str, Any]]:
    """Each run's ``info.scheduler`` before its job is submitted, in ``batch.runs`` order."""
    entries = [scheduler_entry(job.scheduler) for job in batch.singles]
    for group in batch.arrays:
        start = group[0].scheduler.array_first_index
        entries += [scheduler_entry(job.scheduler, None, index)
                    for index, job in enumerate(group, start=start)]
    return entries


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
        _record_refusal(record, error, scheduler_entry(job.scheduler))
        return False, f"{job.where}  {name} refused the job: {str(error).splitlines()[0]}"
    record.update(scheduler=scheduler_entry(job.scheduler, job_id, output=output))
    return True, f"{job.where}  {name} job {job_id}"


def _record_refusal(record: RunInfo, error: MLXPError, entry: Dict[str, Any]) -> None:
    entry["submit_output"] = _brief(getattr(error, "output", "") or "")
    record.update(status=_layout.FAILED, error=str(error), scheduler=entry)


def _claim_array_stem(directory: str, name: str) -> str:
    """A file name ``<name>[.N]`` free in ``directory``; ``<stem>.sh`` exists on return.

    Reruns of the same runs make arrays of the same name, and a queued OAR array still needs
    its own script (oarsub runs the file itself), so an earlier one is never replaced.
    """
    os.makedirs(directory, exist_ok=True)
    number = 1
    while True:
        stem = name if number == 1 else f"{name}.{number}"
        try:
            os.close(os.open(os.path.join(directory, stem + ".sh"),
                             os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755))
        except FileExistsError:
            number += 1
            continue
        return stem


def _submit_array(group: Sequence[Job], records: Sequence[RunInfo],
                  dump_info: InfoDumper) -> Tuple[bool, str]:
    """Submit the group's runs, already written, as one array job; record each task's id."""
    scheduler = group[0].scheduler
    directory = os.path.join(array_parent(group), ARRAYS_DIR)
    stem = _claim_array_stem(directory, array_name(group))
    path = os.path.join(directory, stem + ".sh")
    write_files([(path, render_array(group, stem), 0o777)])
    where = _layout.display_path(os.path.join(array_parent(group), array_name(group)))
    start = scheduler.array_first_index
    try:
        job_id, output = submit(scheduler, path)
    except MLXPError as error:
        for index, record in enumerate(records, start=start):
            _record_refusal(record, error, scheduler_entry(scheduler, None, index))
        return False, f"{where}  {scheduler.name} refused the array: {str(error).splitlines()[0]}"
    array_id, task_ids = scheduler.array_task_ids(job_id, output, len(group))
    kept = _brief(output)
    entries = [scheduler_entry(scheduler, task_ids[position] if position < len(task_ids) else None,
                               start + position, array_id, kept)
               for position in range(len(group))]
    _record_all(records, entries, dump_info)
    return True, f"{where}  {scheduler.name} array job {array_id} ({len(group)} tasks)"


def _record_all(records: Sequence[RunInfo], entries: Sequence[Dict[str, Any]],
                dump_info: InfoDumper) -> None:
    """Set every run's ``scheduler`` entry in one pass; a run whose job has already started
    and rewritten its ``info.yaml`` gets the entry in what the job wrote instead."""
    by_path = {record.path: (record, entry) for record, entry in zip(records, entries)}
    for record, entry in by_path.values():
        record.info["scheduler"] = entry
    left = set(write_files([(record.path, dump_info(record.info), 0o666) for record in records],
                           still_ours=lambda path: not by_path[path][0].changed()))
    for record, entry in by_path.values():
        if record.path in left:
            record.update(scheduler=entry)  # the job's own file: only the entry is added
        else:
            record.stamp = file_stamp(record.path)


def _brief(output: str) -> str:
    """``output``, its middle cut when long: OAR prints a line per task of an array."""
    lines = output.splitlines(keepends=True)
    if len(lines) <= _OUTPUT_LINES:
        return output
    head, tail = lines[: _OUTPUT_LINES // 2], lines[-_OUTPUT_LINES // 2:]
    cut = len(lines) - len(head) - len(tail)
    return "".join(head) + f"[... {cut} lines ...]\n" + "".join(tail)
