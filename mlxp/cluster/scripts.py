"""The jobs of one submission as they go to the scheduler: single jobs and array jobs.

A single job's script is its run's ``script.sh``, rendered when the job was planned. Jobs
marked ``array`` that share a scheduler, a parent directory and everything in their script
but the command form one array job, whose script goes under ``<parent>/.arrays``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp.cluster.jobs import Job
from mlxp.cluster.schedulers import render_array_script

__all__ = ["ARRAYS_DIR", "ArrayScript", "Batch", "array_script", "batch_jobs", "show_scripts"]

#: array job scripts and the scheduler's own output files, under the parent log directory.
ARRAYS_DIR = ".arrays"


class ArrayScript(NamedTuple):
    """An array job's script: the array as printed (``logs/1-16``), the script's path under
    ``.arrays`` and its text."""

    where: str
    path: str
    text: str


@dataclass(frozen=True)
class Batch:
    """The jobs of one submission: ``singles`` go one job each, each of ``arrays`` as one
    array job; both in run order."""

    singles: List[Job]
    arrays: List[List[Job]]

    @property
    def tasks(self) -> List[Tuple[Job, Optional[int]]]:
        """Every job with its index in its array (None for a single job): the singles, then
        each array's, in that order."""
        tasks: List[Tuple[Job, Optional[int]]] = [(job, None) for job in self.singles]
        for group in self.arrays:
            start = group[0].scheduler.array_first_index
            tasks += [(job, index) for index, job in enumerate(group, start=start)]
        return tasks


def batch_jobs(jobs: Sequence[Job]) -> Batch:
    """Group ``jobs`` into single jobs and arrays (several past ``max_array_size``)."""
    return Batch([job for job in jobs if not job.array],
                 list(_array_groups([job for job in jobs if job.array])))


def show_scripts(batch: Batch) -> None:
    """Print every job script of ``batch``, as ``--dry-run`` shows them."""
    for job in batch.singles:
        print(f"# {job.where}: {job.scheduler.name} job script\n{job.script}")
    for group in batch.arrays:
        stem = _array_name(group)
        where = _layout.display_path(os.path.join(_parent(group), ARRAYS_DIR, stem + ".sh"))
        print(f"# {where}: {group[0].scheduler.name} array job script, {len(group)} tasks"
              f"\n{_render_array(group, stem)}")


def array_script(group: Sequence[Job]) -> ArrayScript:
    """The script of the array job of ``group``, at a path that is free, and reserved (an
    empty file) on return.

    Reruns of the same runs make arrays of the same name, and a queued OAR array still needs
    its own script (oarsub runs the file itself), so an earlier one is never replaced: the
    script is ``<first id>-<last id>[.N].sh``.
    """
    name = _array_name(group)
    directory = os.path.join(_parent(group), ARRAYS_DIR)
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
        break
    text = _render_array(group, stem)
    where = _layout.display_path(os.path.join(_parent(group), name))
    return ArrayScript(where, os.path.join(directory, stem + ".sh"), text)


def _array_groups(jobs: Sequence[Job]) -> Iterator[List[Job]]:
    """The arrays ``jobs`` form, in run order (see :func:`batch_jobs`)."""
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
    """The array job script of ``group``, its outputs named after ``.arrays/<stem>``."""
    parent = _parent(group)
    return render_array_script(
        group[0].scheduler,
        [job.spec for job in group],
        f"{os.path.basename(parent)}/{_array_name(group)}",
        os.path.join(parent, ARRAYS_DIR, stem),
        group[0].max_running,
    )
