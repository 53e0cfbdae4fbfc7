"""Running composed points: one run directory each, its lifecycle, and a job's requeue.

The launcher composes and checks every point first; this module runs them one after another
(RUNNING -> COMPLETE or FAILED), and inside a job submitted with requeue, turns the
scheduler's warning into a checkpoint, a requeue and a clean exit.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Dict, List, Optional, Tuple

from mlxp import _layout
from mlxp._ranks import RankLogger, process_rank
from mlxp._signals import RunPreempted, requeue_on_warning
from mlxp._yaml import dump_yaml
from mlxp.config import ConfigDict, config_text
from mlxp.logger import Logger, RunInterrupted, read_run_config, read_run_info
from mlxp.overrides import Override

if TYPE_CHECKING:
    from mlxp.schedulers import Scheduler
    from mlxp.vcs import Snapshot


class Context:
    """What a task receives: its config, its logger, its run's info and mlxp's settings.

    Attributes:
        config: the user's options (``configs/config.yaml`` + overrides), resolved.
        logger: the run's ``Logger``, or None with ``mlxp.use_logger=false``.
        info: what ``metadata/info.yaml`` holds at the start of the run.
        mlxp: mlxp's own settings in effect for this run.
    """

    def __init__(self, config: ConfigDict, logger: Optional[Logger],
                 info: Optional[Dict[str, Any]] = None, mlxp: Optional[ConfigDict] = None) -> None:
        self.config = config
        self.logger = logger
        self.info: Dict[str, Any] = info if info is not None else {}
        self.mlxp = mlxp if mlxp is not None else ConfigDict()
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


class RunPoint:
    """One fully composed run: its overrides, config and settings."""

    def __init__(self, point: Tuple[Override, ...], config: ConfigDict, settings: ConfigDict,
                 source: Optional[str] = None) -> None:
        self.point = point
        self.config = config
        self.settings = settings
        self.source = source  # the config file it was composed from

    def config_text(self) -> str:
        """``metadata/config.yaml``: the resolved config, with the source file's comments."""
        return config_text(self.config, self.source)

    @property
    def overrides(self) -> List[str]:
        """The point's overrides as the user wrote them."""
        return [override.text for override in self.point]


def run_points(
    task: Callable[[Context], Any],
    points: List[RunPoint],
    seeding_function: Optional[Callable[[Any], None]],
    snapshot: Optional["Snapshot"],
) -> int:
    if len(points) == 1:
        _run_one(task, points[0], seeding_function, reraise=True,
                 logger=_make_logger(points[0], snapshot))
        return 0
    failed: List[str] = []
    completed = 0
    for number, point in enumerate(points, start=1):
        logger = _make_logger(point, snapshot)
        where = _layout.display_path(logger.log_dir) if logger and logger.log_dir else "(no logger)"
        print(f"[{number}/{len(points)}] {where} {' '.join(point.overrides)}".rstrip(),
              file=sys.stderr)
        if _run_one(task, point, seeding_function, reraise=False, logger=logger):
            completed += 1
        else:
            failed.append(where)
    summary = f"{len(points)} runs: {completed} COMPLETE"
    if failed:
        summary += f", {len(failed)} FAILED ({', '.join(failed)})"
    print(summary, file=sys.stderr)
    return 1 if failed else 0


def _make_logger(point: RunPoint, snapshot: Optional["Snapshot"]) -> Optional[Logger]:
    settings = point.settings
    if not settings.use_logger:
        return None
    rank = process_rank()
    if rank:  # a process of rank >= 1 in a multi-process job: rank 0 writes the run
        return RankLogger(settings.logger.parent_log_dir, settings.logger.forced_log_id, rank)
    info: Dict[str, Any] = {"current_file_path": os.path.abspath(sys.argv[0]),
                            "overrides": point.overrides}
    if snapshot is not None:
        info["version_manager"] = snapshot.info()
    logger = Logger(
        settings.logger.parent_log_dir,
        settings.logger.forced_log_id,
        settings.logger.log_streams_to_file,
        info=info,
        resume=settings.resume,
        requeued=settings.resume and _restarted_job(settings),
    )
    if not (settings.resume and read_run_config(logger.log_dir)):  # a resumed run keeps its own
        logger.write_metadata(_layout.CONFIG_FILE, point.config_text())
    logger.write_metadata(_layout.SETTINGS_FILE, dump_yaml(settings.to_dict()))
    if snapshot is not None:
        snapshot.write_run_files(logger.metadata_dir)
    return logger


def _job_scheduler(settings: ConfigDict) -> Tuple[Optional["Scheduler"], Optional[str]]:
    """This job's scheduler and job id, when it runs as a job submitted with requeue."""
    if not settings.scheduler.get("requeue") or not settings.scheduler.name:
        return None, None
    from mlxp.schedulers import current_job_id, get_scheduler

    scheduler = get_scheduler(settings.scheduler.name)
    return scheduler, current_job_id(scheduler)


def _restarted_job(settings: ConfigDict) -> bool:
    """True when the scheduler restarted the very job this run was submitted as."""
    _, job_id = _job_scheduler(settings)
    if job_id is None:
        return False
    log_dir = os.path.join(settings.logger.parent_log_dir, str(settings.logger.forced_log_id))
    recorded = (read_run_info(log_dir) or {}).get("scheduler") or {}
    return str(recorded.get("job_id")) == job_id


def _requeue_guard(settings: ConfigDict, context: Context) -> ContextManager[None]:
    """In a job submitted with requeue: on the scheduler's warning, checkpoint and requeue."""
    scheduler, job_id = _job_scheduler(settings)
    if scheduler is None or job_id is None:
        return contextlib.nullcontext()
    from mlxp.schedulers import request_requeue

    def before_requeue() -> None:
        for hook in context.preempt_hooks:
            hook()
        request_requeue(scheduler, job_id)

    return requeue_on_warning(before_requeue)


def _run_one(
    task: Callable[[Context], Any],
    point: RunPoint,
    seeding_function: Optional[Callable[[Any], None]],
    reraise: bool,
    logger: Optional[Logger],
) -> bool:
    """Run one point; True when it completed. With ``reraise`` the task's exception escapes."""
    context = Context(
        config=point.config,
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
        completed = isinstance(error, SystemExit) and error.code in (0, None)
        if reraise or isinstance(error, (RunInterrupted, RunPreempted)):  # stops the sweep
            raise
        if not completed:
            import traceback

            traceback.print_exc()
        return completed
    if logger is not None:
        logger.finish(None)
    return True
