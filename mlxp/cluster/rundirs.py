"""Writing the run directories of a submission: ``script.sh``, ``metadata/`` and ``info.yaml``.

What a new run's files hold (:class:`NewRuns`), every file written with one ``sync``
(:func:`write_runs`), then the scheduler's answer recorded in ``info.yaml`` (``record_*``)
through :class:`RunInfo`, which gives way to a job that started, and rewrote its file, before
its submission was recorded.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp._yaml import dump_yaml, load_yaml_file
from mlxp.cluster.jobs import Job, RunFiles
from mlxp.cluster.schedulers import Scheduler
from mlxp.errors import MLXPError
from mlxp.logger import Logger, run_paths

if TYPE_CHECKING:
    from mlxp.vcs import Snapshot

__all__ = ["InfoDumper", "NewRuns", "RunInfo", "file_stamp", "record_array", "record_job",
           "record_refusal", "scheduler_entry", "write_files", "write_runs"]

_OUTPUT_LINES = 12  # of a submit command's output kept in each run's info.yaml


class NewRuns:
    """The files of the new runs of one submission, mostly alike from one run to the next.

    ``info.yaml`` is the Logger's, made once: the fields of this process (host, user, date)
    are every run's. The settings of a sweep's points are usually the same text too.
    """

    def __init__(self, snapshot: Optional["Snapshot"], sweep_id: Optional[str]) -> None:
        self.snapshot = snapshot
        self.sweep_id = sweep_id
        self.template: Optional[Dict[str, Any]] = None
        self.settings_texts: Dict[str, str] = {}

    def contents(self, point: Any, log_dir: str) -> RunFiles:
        """The run's metadata (status STARTING), its snapshot files written already."""
        settings = point.settings.to_dict()
        key = repr(settings)
        if key not in self.settings_texts:
            self.settings_texts[key] = dump_yaml(settings)
        log_id = int(os.path.basename(log_dir))
        info = {
            **self._template(log_dir, log_id),
            "status": _layout.STARTING,
            "logger": run_paths(log_id, log_dir),
            "overrides": point.overrides,
        }
        if self.snapshot is not None:
            self.snapshot.write_run_files(os.path.join(log_dir, _layout.METADATA_DIR))
        metadata = {
            _layout.CONFIG_FILE: point.config_text(),
            _layout.SETTINGS_FILE: self.settings_texts[key],
        }
        return RunFiles(info, {os.path.join(_layout.METADATA_DIR, name): text
                               for name, text in metadata.items()})

    def _template(self, log_dir: str, log_id: int) -> Dict[str, Any]:
        if self.template is None:
            logger = Logger(os.path.dirname(log_dir), log_id, info={
                "current_file_path": os.path.abspath(sys.argv[0]),
                "version_manager": self.snapshot.info() if self.snapshot else None,
                "sweep_id": self.sweep_id,
            })
            self.template = logger.get_info()
            logger.close()  # frees the run directory for the job, which may start at once
        return self.template


def scheduler_entry(scheduler: Scheduler, job_id: Optional[str] = None,
                    index: Optional[int] = None, array_id: Optional[str] = None,
                    output: Optional[str] = None) -> Dict[str, Any]:
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


def write_runs(tasks: Sequence[Tuple[Job, Optional[int]]], dump_info: InfoDumper
               ) -> List[RunInfo]:
    """Every run's files, ``script.sh`` and ``info.yaml`` (STARTING, its job not submitted
    yet) in one pass; ``tasks`` pairs each job with its index in its array, or None."""
    files: List[Tuple[str, str, int]] = []
    records = []
    for job, index in tasks:
        os.makedirs(os.path.join(job.log_dir, _layout.METADATA_DIR), exist_ok=True)
        contents = job.contents()
        files += [(os.path.join(job.log_dir, name), text, 0o666)
                  for name, text in contents.files.items()]
        files.append((os.path.join(job.log_dir, _layout.JOB_SCRIPT), job.script, 0o777))
        entry = scheduler_entry(job.scheduler, None, index)
        record = RunInfo(job.log_dir, {**contents.info, "scheduler": entry})
        files.append((record.path, dump_info(record.info), 0o666))
        records.append(record)
    write_files(files)
    for record in records:
        record.stamp = file_stamp(record.path)
    return records


def record_job(record: RunInfo, scheduler: Scheduler, job_id: str, output: str) -> None:
    """Record the id of the run's job, submitted alone."""
    record.update(scheduler=scheduler_entry(scheduler, job_id, output=output))


def record_refusal(record: RunInfo, error: MLXPError, scheduler: Scheduler,
                   index: Optional[int] = None) -> None:
    """Mark the run FAILED with the scheduler's refusal of its job (or array, at ``index``)."""
    entry = scheduler_entry(scheduler, None, index)
    entry["submit_output"] = _brief(getattr(error, "output", "") or "")
    record.update(status=_layout.FAILED, error=str(error), scheduler=entry)


def record_array(records: Sequence[RunInfo], scheduler: Scheduler, array_id: str,
                 task_ids: Sequence[str], output: str, dump_info: InfoDumper) -> None:
    """Record every task's ids of one array job in one pass; a run whose job has already
    started and rewritten its ``info.yaml`` gets the entry in what the job wrote instead."""
    kept = _brief(output)
    start = scheduler.array_first_index
    entries = [scheduler_entry(scheduler, task_ids[position] if position < len(task_ids) else None,
                               start + position, array_id, kept)
               for position in range(len(records))]
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


class RunInfo:
    """A run's ``metadata/info.yaml`` as this submission last wrote it.

    A fast scheduler may start a job before its submission is recorded; the job then
    rewrites the file (status RUNNING). An update notices that the file changed and sets only
    the ``scheduler`` entry in what the job wrote, so the run never goes back to STARTING.
    """

    def __init__(self, log_dir: str, info: Dict[str, Any]) -> None:
        self.path = os.path.join(log_dir, _layout.METADATA_DIR, _layout.INFO_FILE)
        self.info = info
        self.stamp: Optional[Tuple[int, int]] = None

    def changed(self) -> bool:
        """True if someone else has replaced the file since this submission wrote it."""
        return file_stamp(self.path) != self.stamp

    def update(self, **fields: Any) -> None:
        """Merge ``fields`` into the file and rewrite it atomically, under the run's info lock
        (the job's own Logger takes it too)."""
        with _layout.info_lock(os.path.dirname(os.path.dirname(self.path))):
            if self.changed():
                self._take_over(fields)
            self.info.update(fields)
            _layout.atomic_write_text(self.path, dump_yaml(self.info))
            self.stamp = file_stamp(self.path)

    def _take_over(self, fields: Dict[str, Any]) -> None:
        """Continue from what the job wrote; only the scheduler's ids are still ours to add."""
        current = load_yaml_file(self.path)
        self.info = current if isinstance(current, dict) else {}
        for key in list(fields):
            if key != "scheduler":
                del fields[key]


class InfoDumper:
    """``info.yaml`` texts, dumped one top-level key at a time, each piece remembered.

    The runs of a sweep share most of their info (host, user, date, executable), and a run's
    two writes (STARTING, then with its job's id) differ only in ``scheduler``. Dumping
    ``{key: value}`` alone gives that key's part of the whole mapping's block YAML, so a
    thousand runs cost a few thousand small dumps instead of two thousand whole ones.
    """

    def __init__(self) -> None:
        self._pieces: Dict[Tuple[str, str], str] = {}

    def __call__(self, info: Dict[str, Any]) -> str:
        parts = []
        for key, value in info.items():
            token = (key, repr(value))
            if token not in self._pieces:
                self._pieces[token] = dump_yaml({key: value})
            parts.append(self._pieces[token])
        return "".join(parts)


def file_stamp(path: str) -> Optional[Tuple[int, int]]:
    """``(inode, mtime)`` of ``path``, which a replaced file changes; None if it is missing."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns


def write_files(files: Sequence[Tuple[str, str, int]],
                still_ours: Callable[[str], bool] = lambda path: True) -> List[str]:
    """Write each ``(path, text, mode)`` so that a crash never leaves a torn file, with one
    ``sync`` for them all; ``mode`` is for a file this creates (``0o755``: executable).

    A new file is written in place: until ``sync`` returns nothing has been submitted, so a
    crash only leaves an abandoned run. An existing file is replaced by a renamed temp file
    after the sync, and left as it is if ``still_ours(path)`` has turned false by then; those
    paths are returned. One fsync per file would cost about a millisecond each on a
    journaling file system (every fsync of a new file commits the journal); one sync commits
    a thousand files at once.
    """
    renames: List[Tuple[str, str]] = []
    left: List[str] = []
    try:
        for path, text, mode in files:
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            except FileExistsError:
                directory, name = os.path.split(path)
                temp = os.path.join(directory, f".{name}.{os.getpid()}.tmp")
                descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
                renames.append((temp, path))
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(text)
        os.sync()
        for temp, path in renames:
            if still_ours(path):
                os.replace(temp, path)
            else:
                os.unlink(temp)
                left.append(path)
    except BaseException:
        for temp, _ in renames:
            if os.path.exists(temp):
                os.unlink(temp)
        raise
    return left
