"""The job a submission hands from step to step: one run, its directory, its job script.

Submit mode (:mod:`mlxp.cluster.plan`) and ``mlxpsub --rerun`` (:mod:`mlxp.cluster.rerun`)
both describe each run as a :class:`Job`; :mod:`mlxp.cluster.scripts` groups them into
arrays, :mod:`mlxp.cluster.rundirs` writes their files and :mod:`mlxp.cluster.submit` hands
them to the scheduler. Both planners check array settings here before any directory is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, NamedTuple

from mlxp import _layout
from mlxp.cluster.schedulers import JobSpec, Scheduler, render_array_script
from mlxp.errors import SettingsError

__all__ = ["LAST_JOB_ARGUMENT", "Job", "RunFiles", "check_array_options"]

#: the last argument of every job's command: the job runs its task, it does not submit it.
LAST_JOB_ARGUMENT = "mlxp.use_scheduler=false"


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
