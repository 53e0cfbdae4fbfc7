"""The Logger of a run point: the user's class (checked), built with mlxp's settings, the run's
info and metadata written before the task starts; and the scheduler of a job submitted with
requeue.
"""

from __future__ import annotations

import copy
import os
import sys
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from mlxp import _layout
from mlxp._ranks import RankLogger, process_rank
from mlxp._run_point import RunPoint
from mlxp._yaml import dump_yaml
from mlxp.config import ConfigDict, env_sourced_keys
from mlxp.errors import SettingsError
from mlxp.logger import Logger, RunInterrupted, read_run_config, read_run_info

if TYPE_CHECKING:
    from mlxp.cluster.schedulers import Scheduler
    from mlxp.vcs import Snapshot

__all__ = ["check_named_class", "check_resumable", "job_scheduler", "make_logger"]


def make_logger(point: RunPoint, snapshot: Optional["Snapshot"],
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


def job_scheduler(settings: ConfigDict) -> Tuple[Optional["Scheduler"], Optional[str]]:
    """This job's scheduler and job id, when it runs as a job submitted with requeue."""
    if not settings.scheduler.get("requeue") or not settings.scheduler.name:
        return None, None
    from mlxp.cluster.schedulers import current_job_id, get_scheduler

    scheduler = get_scheduler(settings.scheduler.name)
    return scheduler, current_job_id(scheduler)


def _restarted_job(settings: ConfigDict) -> bool:
    """True when the scheduler restarted the very job this run was submitted as."""
    _, job_id = job_scheduler(settings)
    if job_id is None:
        return False
    log_dir = os.path.join(settings.logger.parent_log_dir, str(settings.logger.forced_log_id))
    recorded = (read_run_info(log_dir) or {}).get("scheduler") or {}
    return str(recorded.get("job_id")) == job_id
