"""The jobs of one submission as they go to the scheduler: single jobs and array jobs.

A single job's script is its run's ``script.sh``, rendered when the job was planned. Jobs
marked ``array`` that share a scheduler, a parent directory and everything in their script
but the command form one array job, whose script goes under ``<parent>/.arrays``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Sequence, Tuple

from mlxp import _layout
from mlxp.cluster.jobs import Job
from mlxp.cluster.schedulers import render_array_script

__all__ = ["ARRAYS_DIR", "Batch", "array_name", "array_parent", "batch_jobs", "render_array",
           "show_scripts"]

#: array job scripts and the scheduler's own output files, under the parent log directory.
ARRAYS_DIR = ".arrays"


@dataclass(frozen=True)
class Batch:
    """The jobs of one submission: ``singles`` go one job each, each of ``arrays`` as one
    array job; both in run order."""

    singles: List[Job]
    arrays: List[List[Job]]

    @property
    def runs(self) -> List[Job]:
        """Every job: the singles, then each array's, in that order."""
        return [*self.singles, *(job for group in self.arrays for job in group)]


def batch_jobs(jobs: Sequence[Job]) -> Batch:
    """Group ``jobs`` into single jobs and arrays (several past ``max_array_size``)."""
    return Batch([job for job in jobs if not job.array],
                 list(_array_groups([job for job in jobs if job.array])))


def show_scripts(batch: Batch) -> None:
    """Print every job script of ``batch``, as ``--dry-run`` shows them."""
    for job in batch.singles:
        print(f"# {job.where}: {job.scheduler.name} job script\n{job.script}")
    for group in batch.arrays:
        stem = array_name(group)
        where = _layout.display_path(os.path.join(array_parent(group), ARRAYS_DIR, stem + ".sh"))
        print(f"# {where}: {group[0].scheduler.name} array job script, {len(group)} tasks"
              f"\n{render_array(group, stem)}")


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


def array_parent(group: Sequence[Job]) -> str:
    """The parent log directory of the array's runs."""
    return os.path.dirname(group[0].log_dir)


def array_name(group: Sequence[Job]) -> str:
    """``<first run id>-<last run id>``, e.g. ``1-16``."""
    return f"{os.path.basename(group[0].log_dir)}-{os.path.basename(group[-1].log_dir)}"


def render_array(group: Sequence[Job], stem: str) -> str:
    """The array job script of ``group``, its outputs named after ``.arrays/<stem>``."""
    parent = array_parent(group)
    return render_array_script(
        group[0].scheduler,
        [job.spec for job in group],
        f"{os.path.basename(parent)}/{array_name(group)}",
        os.path.join(parent, ARRAYS_DIR, stem),
        group[0].max_running,
    )
