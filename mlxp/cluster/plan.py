"""Planning a submission: each sweep point becomes a :class:`~mlxp.cluster.jobs.Job`.

The launcher has already composed and checked every point. Here each point's settings are
checked against its scheduler, it gets a run id (its run directory, not written yet) and a
``script.sh`` that re-runs the task with that point's overrides pinned to that directory.
:mod:`mlxp.cluster.submit` takes the jobs from there.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp.cluster.jobs import LAST_JOB_ARGUMENT, Job, RunFiles, check_array_options
from mlxp.cluster.schedulers import JobSpec, Scheduler, get_scheduler, render_script
from mlxp.config import ConfigDict
from mlxp.errors import SettingsError
from mlxp.overrides import format_value
from mlxp.settings import DRY_RUN_PLAN_ENV, SCHEDULER_ENV, set_setting

if TYPE_CHECKING:
    from mlxp.vcs import Snapshot

__all__ = ["job_command", "job_spec", "plan_jobs", "scheduler_of", "take_handed_over_scheduler"]

# Overrides that steer the submission itself; the job's own command line leaves them out.
_SUBMIT_ONLY = ("mlxp.use_scheduler", "mlxp.scheduler.", "mlxp.logger.forced_log_id",
                "mlxp.logger.parent_log_dir")


def take_handed_over_scheduler(settings: ConfigDict) -> None:
    """Apply the scheduler section mlxpsub put in the environment, and remove it from there.

    Removing it keeps it out of the jobs' environment (SLURM exports the submitter's).
    """
    handed_over = os.environ.pop(SCHEDULER_ENV, None)
    if handed_over is None:
        return
    try:
        section = json.loads(handed_over)
    except ValueError as error:
        raise SettingsError(f"{SCHEDULER_ENV} is not valid JSON: {error}", key="scheduler") from error
    set_setting(settings, "scheduler", section, source=f"${SCHEDULER_ENV}")
    set_setting(settings, "use_scheduler", True, source=f"${SCHEDULER_ENV}")


def scheduler_of(settings: ConfigDict) -> Scheduler:
    """The backend named by ``mlxp.scheduler.name``; an error if submit mode has none."""
    name = settings.scheduler.name
    if not name:
        raise SettingsError(
            "mlxp.use_scheduler=true needs a scheduler: set mlxp.scheduler.name (slurm, oar,"
            " torque, sge, mwm, lsf or local), or submit with mlxpsub script.sh",
            key="scheduler.name",
        )
    return get_scheduler(name)


def job_command(overrides: Sequence[Any], flags: Sequence[str], log_id: int, parent: str,
                snapshot: Optional["Snapshot"] = None, requeue_on: Optional[str] = None
                ) -> List[str]:
    """The job's command: this interpreter, the task's script, the point, the pinned run dir.

    ``requeue_on`` names the scheduler of a requeueable job: the job then resumes its run
    whenever it starts again, and knows whom to ask for a requeue.
    """
    kept = [o.text for o in overrides if not o.key.startswith(_SUBMIT_ONLY)]
    if requeue_on:
        kept += ["mlxp.resume=true", f"mlxp.scheduler.name={requeue_on}",
                 "mlxp.scheduler.requeue=true"]
    script = snapshot.task_path(os.path.abspath(sys.argv[0])) if snapshot else sys.argv[0]
    return [
        sys.executable,
        script,
        *flags,
        *kept,
        f"mlxp.logger.forced_log_id={log_id}",
        "mlxp.logger.parent_log_dir=" + format_value(parent),
        LAST_JOB_ARGUMENT,
    ]


def _directives(scheduler: Scheduler, lines: Sequence[str]) -> Tuple[str, ...]:
    """MLXP's ``option_cmd`` held options without the prefix; full lines are kept as they are."""
    prefix = scheduler.directive or "#"
    return tuple(line if line.lstrip().startswith("#") else f"{prefix} {line}" for line in lines)


def _requeue_lines(scheduler: Scheduler, section: ConfigDict) -> List[str]:
    """The requeue directives; errors when this scheduler or script cannot requeue."""
    if section.post_cmd:
        raise SettingsError(
            "mlxp.scheduler.requeue runs the python command with exec (so that the scheduler's"
            " warning reaches it): lines after the command cannot run; move them before it:"
            f" {section.post_cmd[0]!r}", key="scheduler.post_cmd")
    return scheduler.requeue_lines(section.requeue_warning)


def job_spec(scheduler: Scheduler, settings: ConfigDict, log_dir: str, command: List[str],
             snapshot: Optional["Snapshot"] = None) -> JobSpec:
    """What ``script.sh`` of the run in ``log_dir`` holds.

    With a version-manager snapshot the job runs from it, and finds its launch record through
    an ``export`` in the script: OAR and SGE do not pass the submitter's environment on.
    """
    section = settings.scheduler
    parent = os.path.dirname(log_dir)
    env_lines = tuple(section.env_cmd) + tuple(section.before_cmd)
    directives = _directives(scheduler, section.option_cmd)
    prefix = section.get("command_prefix", "")
    if section.requeue:
        directives += tuple(_requeue_lines(scheduler, section))
        prefix = f"exec {prefix}".strip()
    work_dir = os.getcwd()
    if snapshot is not None:
        variable, record = next(iter(snapshot.environment().items()))
        env_lines += (f"export {variable}={shlex.quote(record)}",)
        work_dir = snapshot.work_dir(work_dir)
    return JobSpec(
        job_name=f"{os.path.basename(parent)}/{os.path.basename(log_dir)}",
        stdout_path=os.path.join(log_dir, _layout.STDOUT_FILE),
        stderr_path=os.path.join(log_dir, _layout.STDERR_FILE),
        command=tuple(command),
        work_dir=work_dir,
        directives=directives,
        env_lines=env_lines,
        post_lines=tuple(section.post_cmd),
        command_prefix=prefix,
        shebang=f"#!{section.shell_path}",
    )


def plan_jobs(points: Sequence[Any], flags: Sequence[str], dry_run: bool,
              snapshot: Optional["Snapshot"], contents: Callable[[Any, str], RunFiles]
              ) -> List[Job]:
    """Check every point's job, then allocate its run directory (in order); the jobs.

    ``contents(point, log_dir)`` gives what a run's files hold, when they are written. Each
    distinct settings' job script is rendered once for a stand-in directory first, so
    that a script that cannot be written (a line break in a path) stops the submission
    before any run directory is made.
    """
    schedulers = []
    checked: Dict[str, Scheduler] = {}
    for point in points:
        key = repr(point.settings.to_dict())
        if key not in checked:
            checked[key] = _checked_scheduler(point, flags, snapshot)
        schedulers.append(checked[key])
    planner = _layout.RunIdPlanner(claim=not dry_run, next_ids=_read_plan() if dry_run else None)
    jobs = []
    for point, scheduler in zip(points, schedulers):
        settings = point.settings
        log_id, log_dir = planner.next_run(settings.logger.parent_log_dir,
                                           settings.logger.forced_log_id)
        spec = _spec(point, scheduler, flags, log_id, log_dir, snapshot)
        section = settings.scheduler
        jobs.append(Job(scheduler, log_dir, spec, render_script(scheduler, spec),
                        functools.partial(contents, point, log_dir),
                        section.array, section.max_running, section.max_array_size))
    if dry_run:
        _write_plan(planner)
    return jobs


def _checked_scheduler(point: Any, flags: Sequence[str], snapshot: Optional["Snapshot"]
                       ) -> Scheduler:
    """The point's scheduler, once its settings and a job script for them are known to work."""
    scheduler = scheduler_of(point.settings)
    section = point.settings.scheduler
    check_array_options(scheduler, section.array, section.max_running, section.max_array_size)
    stand_in = os.path.join(point.settings.logger.parent_log_dir, "0")
    render_script(scheduler, _spec(point, scheduler, flags, 0, stand_in, snapshot))
    return scheduler


def _spec(point: Any, scheduler: Scheduler, flags: Sequence[str], log_id: int, log_dir: str,
          snapshot: Optional["Snapshot"]) -> JobSpec:
    settings = point.settings
    requeue_on = scheduler.name if settings.scheduler.requeue else None
    command = job_command(point.point, flags, log_id, settings.logger.parent_log_dir, snapshot,
                          requeue_on)
    return job_spec(scheduler, settings, log_dir, command, snapshot)


def _read_plan() -> Dict[str, int]:
    """The next run ids that the earlier commands of an ``mlxpsub --dry-run`` planned."""
    path = os.environ.get(DRY_RUN_PLAN_ENV)
    if not path or not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as stream:
        plan = json.load(stream)
    return {str(parent): int(next_id) for parent, next_id in plan.items()}


def _write_plan(planner: _layout.RunIdPlanner) -> None:
    path = os.environ.get(DRY_RUN_PLAN_ENV)
    if path:
        _layout.atomic_write_text(path, json.dumps(planner.next_ids))
