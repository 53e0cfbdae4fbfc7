"""Running composed points: one run directory each, its lifecycle, and a job's requeue.

The launcher checks every point first; this module composes each again as it runs them, one
after another (RUNNING -> COMPLETE or FAILED), or hands them to :mod:`mlxp._parallel` to run
several at once, each in its own process, reporting through
:class:`mlxp._progress.SweepReport`; inside a job submitted with requeue, it turns the
scheduler's warning into a checkpoint, a requeue and a clean exit.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import os
import sys
from collections.abc import Sequence as SequenceABC
from typing import (TYPE_CHECKING, Any, Callable, ContextManager, Dict, Iterator, List, Optional,
                    Sequence, Tuple, Union, overload)

from mlxp import _layout
from mlxp._devices import DevicePool, device_list, job_count
from mlxp._progress import SweepReport, read_tail
from mlxp._ranks import RankLogger, process_rank
from mlxp._signals import RunPreempted, requeue_on_warning
from mlxp._yaml import dump_yaml
from mlxp.config import ConfigDict, config_text, env_sourced_keys
from mlxp.errors import LoggerError, SettingsError
from mlxp.logger import Logger, RunInterrupted, describe_exit, read_run_config, read_run_info
from mlxp.overrides import Override
from mlxp.settings import POINT_RUN_ENV
from mlxp.sweep import Point, Sweep

if TYPE_CHECKING:
    from mlxp._sweep_plan import PointCommand
    from mlxp.cluster.schedulers import Scheduler
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


class RunPoint:
    """One fully composed run: its overrides, config (resolved, and as written) and settings.

    ``logger_class`` and ``version_manager_class`` are the user's classes named by
    ``mlxp.logger.name`` / ``mlxp.version_manager.name``, or None for mlxp's own.
    """

    def __init__(self, point: Tuple[Override, ...], config: ConfigDict, settings: ConfigDict,
                 source: Optional[str] = None, unresolved: Optional[ConfigDict] = None,
                 logger_class: Optional[type] = None,
                 version_manager_class: Optional[type] = None,
                 choices: Optional[Dict[str, Optional[str]]] = None) -> None:
        self.point = point
        self.config = config
        self.settings = settings
        self.source = source  # the config file it was composed from
        self.unresolved = config if unresolved is None else unresolved
        self.logger_class = logger_class
        self.version_manager_class = version_manager_class
        self.choices = choices or {}  # each config group's option: recorded as info.choices

    def config_text(self) -> str:
        """``metadata/config.yaml``: the resolved config, with the source file's comments."""
        return config_text(self.config, self.source)

    @property
    def overrides(self) -> List[str]:
        """The point's overrides as the user wrote them."""
        return [override.text for override in self.point]


class SweepPoints(SequenceABC[RunPoint]):
    """The sweep's points, each composed when it is used (its config, its settings, checked).

    Nothing holds every composed config: a dry run prints each point as soon as it is
    composed, and a run composes each point again when it starts.
    """

    def __init__(self, sweep: Sweep, compose: Callable[[Point], RunPoint]) -> None:
        self.sweep = sweep
        self.compose = compose
        self.first = compose(sweep[0])

    def __len__(self) -> int:
        return len(self.sweep)

    def __iter__(self) -> Iterator[RunPoint]:
        return map(self.compose, self.sweep)

    @overload
    def __getitem__(self, index: int) -> RunPoint: ...

    @overload
    def __getitem__(self, index: slice) -> List[RunPoint]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[RunPoint, List[RunPoint]]:
        if isinstance(index, slice):
            return [self.compose(point) for point in self.sweep[index]]
        return self.compose(self.sweep[index])

    def check_all(self) -> None:
        """Compose every point once, so that a bad one fails before anything runs (the first
        was composed, and checked, already: a single run composes it only once more, to run)."""
        for point in itertools.islice(self.sweep, 1, None):
            self.compose(point)


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
                              logger=_make_logger(points[0], snapshot, sweep_id))
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
            logger = _make_logger(point, snapshot, sweep_id)
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
        logger = _make_logger(point, snapshot, sweep_id, log_dir)
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


def _make_logger(point: RunPoint, snapshot: Optional["Snapshot"],
                 sweep_id: Optional[str] = None, log_dir: Optional[str] = None
                 ) -> Optional[Logger]:
    """The point's Logger, in a new run directory, or in ``log_dir`` (claimed for it by a
    parallel runner; its recorded settings stay the point's own)."""
    settings = point.settings
    if not settings.use_logger:
        return None
    rank = process_rank()
    if rank:  # a process of rank >= 1 in a multi-process job: rank 0 writes the run
        return RankLogger(settings.logger.parent_log_dir, settings.logger.forced_log_id, rank)
    info: Dict[str, Any] = {"current_file_path": os.path.abspath(sys.argv[0]),
                            "overrides": point.overrides,
                            "sweep_id": _recorded_sweep_id(settings) or sweep_id}
    if point.choices:
        info["choices"] = point.choices
    from_env = env_sourced_keys(point.unresolved)
    if from_env:  # so that readers can mask secrets: config.yaml holds them resolved
        info["config_from_env"] = from_env
    if snapshot is not None:
        info["version_manager"] = snapshot.info()
    placed = settings
    if log_dir is not None:
        placed = copy.deepcopy(settings)
        placed.logger.parent_log_dir, log_id = os.path.split(log_dir)
        placed.logger.forced_log_id = int(log_id)
    logger = _build_logger(point.logger_class or Logger, placed, {
        "info": info,
        "resume": settings.resume,
        "requeued": settings.resume and _restarted_job(settings),
        "heartbeat": settings.logger.heartbeat,
    })
    try:
        if not (settings.resume and read_run_config(logger.log_dir)):  # a resumed run keeps its own
            logger.write_metadata(_layout.CONFIG_FILE, point.config_text())
        logger.write_metadata(_layout.SETTINGS_FILE, dump_yaml(settings.to_dict()))
        if snapshot is not None:
            snapshot.write_run_files(logger.metadata_dir)
    except RunInterrupted as interruption:  # a signal before the task started: FAILED
        logger.finish(interruption)
        raise
    return logger


def check_named_class(cls: Optional[type], key: str, name: str, source: str) -> Optional[type]:
    """``cls`` if it can serve as ``mlxp.<key>``: a subclass of ``mlxp.Logger`` for
    ``logger.name``, a class with MLXP's version-manager methods for ``version_manager.name``.

    Raises:
        SettingsError: it cannot; the message names ``source`` (the file or the command line).
    """
    if cls is None:
        return None
    if key == "logger.name" and not issubclass(cls, Logger):
        raise SettingsError(f"mlxp.{key} {name!r} is not a subclass of mlxp.Logger; derive it"
                            " from mlxp.Logger (or mlxp.DefaultLogger)", key=key, path=source)
    needed = ("make_working_directory", "get_info")
    missing = [method for method in needed if not callable(getattr(cls, method, None))]
    if key == "version_manager.name" and missing:
        raise SettingsError(f"mlxp.{key} {name!r} has no method {', '.join(missing)}(); derive it"
                            " from mlxp.version_manager.VersionManager (see"
                            " docs/version-manager.md)", key=key, path=source)
    return cls


def check_resumable(logger_class: Optional[type]) -> None:
    """A resumed run needs a logger class that takes ``resume=`` (mlxp's own does).

    Raises:
        SettingsError: ``logger_class.__init__`` does not take it.
    """
    accepted = None if logger_class is None else _keywords(logger_class)
    if logger_class is not None and accepted is not None and "resume" not in accepted:
        raise SettingsError(
            f"mlxp.resume=true needs {logger_class.__qualname__}.__init__ to accept the keyword"
            " 'resume': add **kwargs to it and pass them on to super().__init__",
            key="logger.name")


def _build_logger(logger_class: type, settings: ConfigDict, extras: Dict[str, Any]) -> Logger:
    """``logger_class`` built with MLXP's ``logger.*`` keys, plus mlxp's own keywords where its
    ``__init__`` takes them: a subclass written for MLXP (three arguments) still works, and its
    run's info is recorded after it is built."""
    accepted = _keywords(logger_class)
    passed = {key: value for key, value in extras.items() if accepted is None or key in accepted}
    logger: Logger = logger_class(parent_log_dir=settings.logger.parent_log_dir,
                                  forced_log_id=settings.logger.forced_log_id,
                                  log_streams_to_file=settings.logger.log_streams_to_file, **passed)
    if "info" not in passed:
        logger.update_info(**extras["info"])
    return logger


def _keywords(cls: type) -> Optional[set]:
    """The keyword names ``cls(...)`` takes, or None when it takes any (``**kwargs``)."""
    if cls is Logger:  # takes every keyword mlxp passes: no need to import inspect (ms per run)
        return None
    import inspect  # only for a user's logger class: ``import mlxp`` stays light

    parameters = inspect.signature(cls).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters}


def _recorded_sweep_id(settings: ConfigDict) -> Optional[str]:
    """The sweep a submitted job or a resumed run was started in: it stays in that sweep."""
    if settings.logger.forced_log_id < 0:
        return None
    log_dir = os.path.join(settings.logger.parent_log_dir, str(settings.logger.forced_log_id))
    recorded = read_run_info(log_dir) or {}
    if settings.resume or recorded.get("status") == _layout.STARTING:
        return recorded.get("sweep_id")
    return None


def _job_scheduler(settings: ConfigDict) -> Tuple[Optional["Scheduler"], Optional[str]]:
    """This job's scheduler and job id, when it runs as a job submitted with requeue."""
    if not settings.scheduler.get("requeue") or not settings.scheduler.name:
        return None, None
    from mlxp.cluster.schedulers import current_job_id, get_scheduler

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
