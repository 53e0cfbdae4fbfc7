"""Running composed points: one run directory each, its lifecycle, and a job's requeue.

The launcher checks every point first; this module composes each again as it runs them, one
after another (RUNNING -> COMPLETE or FAILED), or hands them to :mod:`mlxp._parallel` to run
several at once, each in its own process, reporting through
:class:`mlxp._progress.SweepReport`; inside a job submitted with requeue, it turns the
scheduler's warning into a checkpoint, a requeue and a clean exit.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Dict, List, Optional, Sequence

from mlxp import _layout
from mlxp._devices import DevicePool, device_list, job_count
from mlxp._progress import SweepReport, read_tail
from mlxp._ranks import RankLogger, process_rank
from mlxp._run_logger import job_scheduler, make_logger
from mlxp._run_point import RunPoint
from mlxp._signals import RunPreempted, requeue_on_warning
from mlxp.config import ConfigDict
from mlxp.errors import LoggerError
from mlxp.logger import Logger, RunInterrupted, describe_exit
from mlxp.settings import POINT_RUN_ENV

if TYPE_CHECKING:
    from mlxp._sweep_plan import PointCommand
    from mlxp.vcs import Snapshot


class Context:
    """What a task receives: its config, its logger, its run's info and mlxp's settings.

    Attributes:
        config: the user's options (``configs/config.yaml`` + overrides), resolved unless
            ``mlxp.resolve`` is false.
        logger: the run's ``Logger`` (of the class ``mlxp.logger.name``), or None with
            ``mlxp.use_logger=false``.
        info: what ``metadata/info.yaml`` holds at the start of the run (``ctx.info.status``).
        mlxp: mlxp's own settings in effect for this run (``ctx.mlxp.logger.parent_log_dir``).
    """

    def __init__(self, config: ConfigDict, logger: Optional[Logger],
                 info: Optional[Dict[str, Any]] = None, mlxp: Optional[Dict[str, Any]] = None) -> None:
        self.config = config
        self.logger = logger
        # attribute access at every level, as MLXP's DictConfig gives it
        self.info = ConfigDict(info or {})
        self.mlxp = mlxp if isinstance(mlxp, ConfigDict) else ConfigDict(mlxp or {})
        self.preempt_hooks: List[Callable[[], Any]] = []

    def on_preempt(self, hook: Callable[[], Any]) -> None:
        """Call ``hook`` (save a checkpoint) when the scheduler warns the job will be stopped.

        Only for jobs submitted with ``mlxp.scheduler.requeue=true``: after the hooks, the job
        is requeued and resumes this run directory, where ``ctx.logger.load_checkpoint()``
        finds what the hook saved.
        """
        self.preempt_hooks.append(hook)

    def __repr__(self) -> str:
        log_dir = self.logger.log_dir if self.logger else None
        return f"Context(log_dir={log_dir!r}, config={dict(self.config)!r})"


def local_jobs(settings: ConfigDict, flag: Optional[str] = None) -> int:
    """How many points of a sweep run at once here: ``-j``/``--jobs`` or ``mlxp.launcher.jobs``.

    Raises:
        SettingsError: not a positive number nor ``auto``, or more than the devices allow.
    """
    launcher = settings.launcher
    return job_count(launcher.jobs if flag is None else flag, device_list(launcher.devices),
                     launcher.devices_per_run)


def run_points(
    task: Callable[[Context], Any],
    points: Sequence[RunPoint],
    seeding_function: Optional[Callable[[Any], None]],
    snapshot: Optional["Snapshot"],
    sweep_id: Optional[str] = None,
    command: Optional["PointCommand"] = None,
    jobs: int = 1,
) -> int:
    """Run every point; the exit code (see :mod:`mlxp._progress`).

    A single run lets the task's exception (and its traceback) or ``sys.exit`` code escape.
    In a sweep a failed point does not stop the others (unless ``mlxp.launcher.fail_fast``):
    its traceback goes to its run's ``log.stderr`` and the terminal gets its line; a signal
    stops the sweep, with a summary. With ``jobs`` > 1 or devices to share out, the points run
    as processes of ``command``, ``jobs`` at a time.
    """
    point_dir = os.environ.pop(POINT_RUN_ENV, None)  # not for the task's own subprocesses
    if point_dir is not None and len(points) == 1:
        return _run_as_point(task, points[0], seeding_function, snapshot, sweep_id,
                             point_dir or None)
    if len(points) == 1:
        unrecorded = _run_one(task, points[0], seeding_function, reraise=True,
                              logger=make_logger(points[0], snapshot, sweep_id))
        return 0 if unrecorded is None else 1  # the Logger's line said why
    settings = points[0].settings
    report = SweepReport(len(points))
    if command is not None and settings.use_logger:
        report.rerun_hint = (f"mlxp rerun {_layout.display_path(settings.logger.parent_log_dir)}"
                             f" --sweep {command.sweep_id}")
    devices = device_list(settings.launcher.devices)
    if command is not None and (jobs > 1 or devices):
        from mlxp._parallel import points_of, run_in_parallel

        pool = DevicePool(devices, settings.launcher.devices_per_run)
        return run_in_parallel(points_of(points), command, jobs, report, pool,
                               settings.launcher.fail_fast)
    logger: Optional[Logger] = None
    try:
        for number, point in enumerate(points, start=1):
            logger = make_logger(point, snapshot, sweep_id)
            if number == 1 and command is not None and logger and logger.log_dir:
                from mlxp._sweep_plan import record_plan  # what a rerun needs to know

                record_plan(logger.log_dir, command, len(points))
            where = _layout.display_path(logger.log_dir) if logger and logger.log_dir else "(no logger)"
            report.start(number, where, point.overrides)
            error = _run_one(task, point, seeding_function, reraise=False, logger=logger)
            if error is None:
                report.complete(number)
                continue
            traceback_path = _keep_traceback(logger, error)
            report.fail(number, describe_exit(error) or "", traceback_path,
                        read_tail(traceback_path) if traceback_path else ())
            if point.settings.launcher.fail_fast:
                report.stop_early("stopped at the first failure (mlxp.launcher.fail_fast)")
                break
    except RunInterrupted as interruption:
        if logger is not None and logger.get_info().get("status") == _layout.RUNNING:
            logger.finish(interruption)  # the signal came before the task started
        report.interrupt(interruption)
    return report.finish()


def _run_as_point(task: Callable[[Context], Any], point: RunPoint,
                  seeding_function: Optional[Callable[[Any], None]],
                  snapshot: Optional["Snapshot"], sweep_id: Optional[str],
                  log_dir: Optional[str]) -> int:
    """Run one point of a parallel sweep in the run directory its runner claimed: as a point
    of a sequential sweep does (its traceback kept in ``log.stderr``); 1 if it failed."""
    logger: Optional[Logger] = None
    try:
        logger = make_logger(point, snapshot, sweep_id, log_dir)
        error = _run_one(task, point, seeding_function, reraise=False, logger=logger)
    except RunInterrupted as interruption:
        if logger is not None and logger.get_info().get("status") == _layout.RUNNING:
            logger.finish(interruption)  # the signal came before the task started
        raise
    if error is None:
        return 0
    _keep_traceback(logger, error)
    return 1


def _keep_traceback(logger: Optional[Logger], error: BaseException) -> Optional[str]:
    """Append the task's traceback to its run's ``log.stderr``; the path shown, if any.

    Without a run directory of its own (``mlxp.use_logger=false``, a process of rank >= 1) it
    goes to the terminal instead.
    """
    if isinstance(error, SystemExit) or error.__traceback__ is None:
        return None  # an exit code says it all; an error never raised has no traceback
    import traceback  # only when a point failed

    if logger is None or isinstance(logger, RankLogger):  # rank 0 keeps the run's files
        traceback.print_exception(type(error), error, error.__traceback__)
        return None
    path = os.path.join(logger.log_dir, _layout.STDERR_FILE)
    if not logger.log_streams_to_file:  # otherwise the Logger has written it there already
        with open(path, "a", encoding="utf-8") as stream:
            traceback.print_exception(type(error), error, error.__traceback__, file=stream)
    return _layout.display_path(path)


def _requeue_guard(settings: ConfigDict, context: Context) -> ContextManager[None]:
    """In a job submitted with requeue: on the scheduler's warning, checkpoint and requeue."""
    scheduler, job_id = job_scheduler(settings)
    if scheduler is None or job_id is None:
        return contextlib.nullcontext()
    from mlxp.cluster.schedulers import request_requeue

    def before_requeue() -> None:
        for hook in context.preempt_hooks:
            hook()
        if process_rank() == 0:  # one request per job, not one per process of it
            request_requeue(scheduler, job_id)

    return requeue_on_warning(before_requeue)


def _run_one(
    task: Callable[[Context], Any],
    point: RunPoint,
    seeding_function: Optional[Callable[[Any], None]],
    reraise: bool,
    logger: Optional[Logger],
) -> Optional[BaseException]:
    """Run one point; None when it completed, else what ended it (a ``LoggerError`` when it
    completed but its end could not be recorded).

    With ``reraise`` the task's exception escapes; a signal or a requeue always does.
    """
    context = Context(
        # mlxp.resolve=false: the task sees ${...} as written (metadata/config.yaml is resolved)
        config=point.config if point.settings.resolve else point.unresolved,
        logger=logger,
        info=logger.get_info() if logger else {},
        mlxp=point.settings,
    )
    try:
        if seeding_function is not None:
            seeding_function(point.config.seed)
        with _requeue_guard(point.settings, context):
            task(context)
    except BaseException as error:  # the task's own error, sys.exit, or a signal
        if logger is not None:
            logger.finish(error)
        if reraise or isinstance(error, (RunInterrupted, RunPreempted)):  # stops the sweep
            raise
        return None if describe_exit(error) is None else error
    if logger is not None and not logger.finish(None):
        return LoggerError(f"the task completed, but its status could not be written to"
                           f" {_layout.display_path(logger.log_dir)}/metadata/info.yaml (see the"
                           " line above); mlxp status shows the run as LOST")
    return None
