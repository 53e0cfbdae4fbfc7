"""Submit mode: each sweep point becomes a run directory with a job script, handed to a scheduler.

The launcher has already composed and checked every point. Here each point gets its run
directory (status STARTING), an executable ``script.sh`` that re-runs the task with that
point's overrides pinned to that directory, and one submission. A refused submission marks its
run FAILED with the scheduler's message and the others go on.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp._yaml import dump_yaml
from mlxp.config import ConfigDict
from mlxp.errors import MLXPError, SettingsError
from mlxp.logger import Logger
from mlxp.overrides import format_value
from mlxp.schedulers import JobSpec, Scheduler, get_scheduler, render_script, submit
from mlxp.settings import SCHEDULER_ENV, set_setting

if TYPE_CHECKING:
    from mlxp.vcs import Snapshot

_PARALLEL_SUBMISSIONS = 8

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
                snapshot: Optional["Snapshot"] = None) -> List[str]:
    """The job's command: this interpreter, the task's script, the point, the pinned run dir."""
    kept = [o.text for o in overrides if not o.key.startswith(_SUBMIT_ONLY)]
    script = snapshot.task_path(os.path.abspath(sys.argv[0])) if snapshot else sys.argv[0]
    return [
        sys.executable,
        script,
        *flags,
        *kept,
        f"mlxp.logger.forced_log_id={log_id}",
        "mlxp.logger.parent_log_dir=" + format_value(parent),
        "mlxp.use_scheduler=false",
    ]


def _directives(scheduler: Scheduler, lines: Sequence[str]) -> Tuple[str, ...]:
    """MLXP's ``option_cmd`` held options without the prefix; full lines are kept as they are."""
    prefix = scheduler.directive or "#"
    return tuple(line if line.lstrip().startswith("#") else f"{prefix} {line}" for line in lines)


def job_spec(scheduler: Scheduler, settings: ConfigDict, log_dir: str, command: List[str],
             snapshot: Optional["Snapshot"] = None) -> JobSpec:
    """What ``script.sh`` of the run in ``log_dir`` holds.

    With a version-manager snapshot the job runs from it, and finds its launch record through
    an ``export`` in the script: OAR and SGE do not pass the submitter's environment on.
    """
    section = settings.scheduler
    parent = os.path.dirname(log_dir)
    env_lines = tuple(section.env_cmd) + tuple(section.before_cmd)
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
        directives=_directives(scheduler, section.option_cmd),
        env_lines=env_lines,
        post_lines=tuple(section.post_cmd),
        command_prefix=section.get("command_prefix", ""),
        shebang=f"#!{section.shell_path}",
    )


@dataclass
class _Job:
    """One point, with its run directory allocated and its job script rendered."""

    point: Any
    scheduler: Scheduler
    log_id: int
    log_dir: str
    script: str
    snapshot: Optional["Snapshot"]

    @property
    def where(self) -> str:
        return _layout.display_path(self.log_dir)


def _plan(points: Sequence[Any], flags: Sequence[str], dry_run: bool,
          snapshot: Optional["Snapshot"]) -> List[_Job]:
    """Allocate every point's run directory (in order) and render its job script."""
    next_ids: Dict[str, int] = {}
    jobs = []
    for point in points:
        settings = point.settings
        parent = settings.logger.parent_log_dir
        log_id = settings.logger.forced_log_id
        if log_id >= 0:
            log_dir = os.path.join(parent, str(log_id))
        elif dry_run:
            log_id = next_ids.get(parent) or max(_layout.run_ids(parent), default=0) + 1
            log_dir = os.path.join(parent, str(log_id))
        else:
            log_id, log_dir = _layout.allocate_run_dir(parent, first_candidate=next_ids.get(parent, 0))
        next_ids[parent] = log_id + 1
        scheduler = scheduler_of(settings)
        command = job_command(point.point, flags, log_id, parent, snapshot)
        spec = job_spec(scheduler, settings, log_dir, command, snapshot)
        jobs.append(_Job(point, scheduler, log_id, log_dir, render_script(scheduler, spec),
                         snapshot))
    return jobs


def _submit_job(job: _Job) -> Tuple[bool, str]:
    """Write the run's metadata and script, submit it; ``(submitted, line to print)``."""
    settings = job.point.settings
    name = job.scheduler.name
    logger = Logger(settings.logger.parent_log_dir, job.log_id, info={
        "status": _layout.STARTING,
        "current_file_path": os.path.abspath(sys.argv[0]),
        "overrides": job.point.overrides,
        "scheduler": {"name": name, "job_id": None, "submit_output": None},
        "version_manager": job.snapshot.info() if job.snapshot else None,
    })
    logger.write_metadata(_layout.CONFIG_FILE, dump_yaml(job.point.config.to_dict()))
    logger.write_metadata(_layout.SETTINGS_FILE, dump_yaml(settings.to_dict()))
    if job.snapshot is not None:
        job.snapshot.write_run_files(logger.metadata_dir)
    script_path = os.path.join(job.log_dir, _layout.JOB_SCRIPT)
    _layout.atomic_write_text(script_path, job.script)
    os.chmod(script_path, 0o755)
    try:
        job_id, output = submit(job.scheduler, script_path)
    except MLXPError as error:
        output = getattr(error, "output", "") or ""
        logger.update_info(scheduler={"name": name, "job_id": None, "submit_output": output})
        logger.set_status(_layout.FAILED, error=str(error))
        return False, f"{job.where}  {name} refused the job: {str(error).splitlines()[0]}"
    logger.update_info(scheduler={"name": name, "job_id": job_id, "submit_output": output})
    return True, f"{job.where}  {name} job {job_id}"


def submit_points(points: Sequence[Any], flags: Sequence[str], dry_run: bool,
                  snapshot: Optional["Snapshot"] = None) -> int:
    """Submit every point (``.point`` overrides, ``.config``, ``.settings``, ``.overrides``).

    A few submissions run at once: each waits mostly on the scheduler and on fsync, and
    concurrent fsyncs share the file system's journal commits. Lines print in point order.
    Returns the exit code: 0 when every job was submitted, 1 when any was refused.
    """
    jobs = _plan(points, flags, dry_run, snapshot)
    if dry_run:
        for job in jobs:
            print(f"# {job.where}: {job.scheduler.name} job script\n{job.script}")
        return 0
    from concurrent.futures import ThreadPoolExecutor

    failed = []
    with ThreadPoolExecutor(max_workers=min(_PARALLEL_SUBMISSIONS, len(jobs))) as pool:
        for job, (submitted, line) in zip(jobs, pool.map(_submit_job, jobs)):
            print(line, file=sys.stdout if submitted else sys.stderr, flush=True)
            if not submitted:
                failed.append(job.where)
    if failed:
        print(f"{len(jobs)} jobs: {len(jobs) - len(failed)} submitted, {len(failed)} FAILED"
              f" ({', '.join(failed)})", file=sys.stderr)
        return 1
    return 0
