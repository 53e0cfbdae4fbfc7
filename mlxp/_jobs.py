"""Handing prepared runs to a scheduler: one job per run, or array jobs of many runs.

Submit mode and ``mlxpsub --rerun`` both describe each run as a :class:`Job` (its directory,
its job script, what its files hold); here every run's files are written (status STARTING)
in one pass (with :mod:`mlxp._jobfiles`), the runs are submitted, ``info.yaml`` records the
scheduler's ids, and a refused submission marks its runs FAILED.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import (Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple,
                    TypeVar)

from mlxp import _layout
from mlxp._jobfiles import InfoDumper, RunInfo, file_stamp, write_files
from mlxp.errors import MLXPError, SettingsError
from mlxp.schedulers import JobSpec, Scheduler, render_array_script, submit

#: array job scripts and the scheduler's own output files, under the parent log directory.
ARRAYS_DIR = ".arrays"
#: the last argument of every job's command: the job runs its task, it does not submit it.
LAST_JOB_ARGUMENT = "mlxp.use_scheduler=false"
# Submissions wait mostly on the scheduler, file writes on the disk: a few go at once.
_PARALLEL = 8
_OUTPUT_LINES = 12  # of a submit command's output kept in each run's info.yaml

_T = TypeVar("_T")
_R = TypeVar("_R")


class RunFiles(NamedTuple):
    """What a run holds once submitted: ``info`` (status STARTING; ``scheduler`` is set by
    the submission) and other ``files``, by path relative to the run directory."""

    info: Dict[str, Any]
    files: Dict[str, str]


@dataclass
class Job:
    """One run to submit.

    Args:
        scheduler: where it goes.
        log_dir: its run directory (absolute).
        spec: the job that runs it.
        script: ``spec`` rendered, the run's ``script.sh``: the job as it would run alone.
        contents: what the run's files hold; called only when the run is submitted, once its
            ``metadata`` directory exists.
        array: submit it as a task of an array job.
        max_running: at most this many tasks of its array run at once (0: no limit).
        max_array_size: its array holds at most this many tasks.
    """

    scheduler: Scheduler
    log_dir: str
    spec: JobSpec
    script: str
    contents: Callable[[], RunFiles]
    array: bool = False
    max_running: int = 0
    max_array_size: int = 1000

    @property
    def where(self) -> str:
        """The run directory as printed, e.g. ``logs/3``."""
        return _layout.display_path(self.log_dir)


def check_array_options(scheduler: Scheduler, array: bool, max_running: int,
                        max_array_size: int) -> None:
    """Refuse array settings that cannot be kept, before any run directory is made.

    Raises:
        SettingsError: a negative limit, or ``max_running`` without arrays.
        JobScriptError: the scheduler has no job arrays, or cannot limit running tasks.
    """
    if max_running < 0 or max_array_size < 1:
        raise SettingsError(
            f"mlxp.scheduler.max_running must be >= 0 (0: no limit) and max_array_size >= 1,"
            f" not {max_running} and {max_array_size}",
            key="scheduler.max_running" if max_running < 0 else "scheduler.max_array_size",
        )
    if max_running and not array:
        raise SettingsError(
            f"max_running={max_running} limits the running tasks of array jobs: add --array"
            " (mlxp.scheduler.array=true), or drop --max-running (mlxp.scheduler.max_running)",
            key="scheduler.max_running",
        )
    if array:
        probe = JobSpec("probe", "probe.stdout", "probe.stderr", ("true",), "/")
        render_array_script(scheduler, [probe], "probe", "probe", max_running)


def submit_jobs(jobs: Sequence[Job], dry_run: bool) -> int:
    """Submit ``jobs``, print one line per job or array, and return the exit code.

    Jobs marked ``array`` go as array jobs: those sharing a scheduler, a parent directory and
    everything in their script but the command form one array (several past
    ``max_array_size``), in run order. Returns 0 when everything was submitted, 1 otherwise.
    """
    singles = [job for job in jobs if not job.array]
    arrays = list(_array_groups([job for job in jobs if job.array]))
    if dry_run:
        for job in singles:
            print(f"# {job.where}: {job.scheduler.name} job script\n{job.script}")
        for group in arrays:
            stem = _array_name(group)
            where = _layout.display_path(os.path.join(_parent(group), ARRAYS_DIR, stem + ".sh"))
            print(f"# {where}: {group[0].scheduler.name} array job script, {len(group)} tasks"
                  f"\n{_render_array(group, stem)}")
        return 0
    entries = [_entry(job.scheduler) for job in singles]
    for group in arrays:
        start = group[0].scheduler.array_first_index
        entries += [_entry(job.scheduler, None, index)
                    for index, job in enumerate(group, start=start)]
    dump_info = InfoDumper()
    ordered = [*singles, *(job for group in arrays for job in group)]
    records = _write_runs(ordered, entries, dump_info)
    failed: List[str] = []
    results = _parallel(_submit_single, list(zip(singles, records)))
    for job, (submitted, line) in zip(singles, results):
        _report(submitted, line, [job], failed)
    position = len(singles)
    for group in arrays:
        group_records = records[position:position + len(group)]
        _report(*_submit_array(group, group_records, dump_info), group, failed)
        position += len(group)
    if failed:
        print(f"{len(jobs)} runs: {len(jobs) - len(failed)} submitted, {len(failed)} FAILED"
              f" ({', '.join(failed)})", file=sys.stderr)
        return 1
    return 0


def _entry(scheduler: Scheduler, job_id: Optional[str] = None, index: Optional[int] = None,
           array_id: Optional[str] = None, output: Optional[str] = None) -> Dict[str, Any]:
    """``info.scheduler``: ``name, job_id, submit_output``, and for an array's task
    ``array_id`` and ``array_index`` after ``job_id``; then what the backend keeps to find
    the job again (``job_start_time`` for local jobs)."""
    entry: Dict[str, Any] = {"name": scheduler.name, "job_id": job_id}
    if index is not None:
        entry.update(array_id=array_id, array_index=index)
    entry["submit_output"] = output
    if job_id and output:
        entry.update(scheduler.job_fields(job_id, output))
    return entry


def _write_runs(jobs: Sequence[Job], entries: Sequence[Dict[str, Any]],
                dump_info: InfoDumper) -> List[RunInfo]:
    """Every run's files, ``script.sh`` and ``info.yaml`` (STARTING, ``entries``) in one pass."""
    files: List[Tuple[str, str, int]] = []
    records = []
    for job, entry in zip(jobs, entries):
        os.makedirs(os.path.join(job.log_dir, _layout.METADATA_DIR), exist_ok=True)
        contents = job.contents()
        files += [(os.path.join(job.log_dir, name), text, 0o666)
                  for name, text in contents.files.items()]
        files.append((os.path.join(job.log_dir, _layout.JOB_SCRIPT), job.script, 0o777))
        record = RunInfo(job.log_dir, {**contents.info, "scheduler": entry})
        files.append((record.path, dump_info(record.info), 0o666))
        records.append(record)
    write_files(files)
    for record in records:
        record.stamp = file_stamp(record.path)
    return records


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
        _record_refusal(record, error, _entry(job.scheduler))
        return False, f"{job.where}  {name} refused the job: {str(error).splitlines()[0]}"
    record.update(scheduler=_entry(job.scheduler, job_id, output=output))
    return True, f"{job.where}  {name} job {job_id}"


def _record_refusal(record: RunInfo, error: MLXPError, entry: Dict[str, Any]) -> None:
    entry["submit_output"] = _brief(getattr(error, "output", "") or "")
    record.update(status=_layout.FAILED, error=str(error), scheduler=entry)


def _array_groups(jobs: Sequence[Job]) -> Iterator[List[Job]]:
    """The arrays ``jobs`` form, in run order (see :func:`submit_jobs`)."""
    groups: Dict[Tuple[Any, ...], List[Job]] = {}
    for job in jobs:
        key = (job.scheduler, os.path.dirname(job.log_dir), job.spec.array_key,
               job.max_running, job.max_array_size)
        groups.setdefault(key, []).append(job)
    for group in groups.values():
        size = group[0].max_array_size
        for start in range(0, len(group), size):
            yield group[start:start + size]


def _parent(group: Sequence[Job]) -> str:
    return os.path.dirname(group[0].log_dir)


def _array_name(group: Sequence[Job]) -> str:
    """``<first run id>-<last run id>``, e.g. ``1-16``."""
    return f"{os.path.basename(group[0].log_dir)}-{os.path.basename(group[-1].log_dir)}"


def _render_array(group: Sequence[Job], stem: str) -> str:
    parent = _parent(group)
    return render_array_script(
        group[0].scheduler,
        [job.spec for job in group],
        f"{os.path.basename(parent)}/{_array_name(group)}",
        os.path.join(parent, ARRAYS_DIR, stem),
        group[0].max_running,
    )


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
    directory = os.path.join(_parent(group), ARRAYS_DIR)
    stem = _claim_array_stem(directory, _array_name(group))
    path = os.path.join(directory, stem + ".sh")
    write_files([(path, _render_array(group, stem), 0o777)])
    where = _layout.display_path(os.path.join(_parent(group), _array_name(group)))
    start = scheduler.array_first_index
    try:
        job_id, output = submit(scheduler, path)
    except MLXPError as error:
        for index, record in enumerate(records, start=start):
            _record_refusal(record, error, _entry(scheduler, None, index))
        return False, f"{where}  {scheduler.name} refused the array: {str(error).splitlines()[0]}"
    array_id, task_ids = scheduler.array_task_ids(job_id, output, len(group))
    kept = _brief(output)
    entries = [_entry(scheduler, task_ids[position] if position < len(task_ids) else None,
                      start + position, array_id, kept) for position in range(len(group))]
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
