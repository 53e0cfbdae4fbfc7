"""A run directory's files as the Logger writes them and the launcher reads them back: a new
run's ``info.yaml``, how a run ended, claiming a directory for a run, and undoing a start.

Kept apart from ``mlxp.logger`` so that the Logger class holds the run's life (start, metrics,
artifacts, end) and this module the formats and checks it relies on.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

from mlxp import _layout
from mlxp._process import local_now, process_start_time, scheduler_job
from mlxp._runlock import RUN_LOCK_FILE
from mlxp._signals import RunInterrupted
from mlxp._yaml import load_yaml_file
from mlxp.errors import RunDirectoryError

__all__ = ["append_traceback", "claim_run_dir", "date_and_time", "describe_exit",
           "holds_run_data", "initial_info", "read_metadata", "read_run_config", "read_run_info",
           "remove_unused", "run_paths"]


def initial_info(log_id: int, log_dir: str, heartbeat: float) -> Dict[str, Any]:
    """A new run's ``info.yaml``: RUNNING, where and how it runs, MLXP's fields in MLXP's order."""
    now = local_now()
    start = date_and_time(now)
    return {
        "status": _layout.RUNNING,
        "current_file_path": _script_path(),
        "executable": sys.executable,
        "hostname": os.uname().nodename,  # what socket.gethostname() returns, lighter
        "process_id": os.getpid(),
        "start_date": start[0],
        "start_time": start[1],
        "end_date": None,
        "end_time": None,
        "work_dir": os.getcwd(),
        "logger": run_paths(log_id, log_dir),
        "scheduler": None,
        "version_manager": None,
        "user": _user(),
        "cmd": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "overrides": [],
        "python_version": sys.version.split()[0],
        "mlxp_version": getattr(sys.modules.get("mlxp"), "__version__", "unknown"),
        "error": None,
        # Fields MLXP 1.0.5 did not have come after its own, whose order readers may rely on.
        "started_at": now.isoformat(timespec="milliseconds"),
        "ended_at": None,
        "duration_seconds": None,
        "process_start_time": process_start_time(os.getpid()),
        "heartbeat_seconds": heartbeat or None,
        "scheduler_job": scheduler_job(os.environ),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }


def describe_exit(error: Optional[BaseException]) -> Optional[str]:
    """How a run ended, for ``info.yaml``'s ``error``: None when it completed.

    ``SystemExit`` with code 0/None is a success; a signal reads ``terminated by SIGTERM``.
    """
    if error is None:
        return None
    if isinstance(error, SystemExit):
        if error.code in (0, None):
            return None
        return f"SystemExit: exit code {error.code}"
    if isinstance(error, RunInterrupted):
        return str(error)
    if isinstance(error, KeyboardInterrupt):
        return "interrupted by SIGINT (KeyboardInterrupt)"
    return f"{type(error).__name__}: {error}"


def read_metadata(log_dir: str, file_name: str) -> Optional[Dict[str, Any]]:
    """The mapping in ``<log_dir>/metadata/<file_name>``, or None if there is none."""
    path = os.path.join(log_dir, _layout.METADATA_DIR, file_name)
    loaded = load_yaml_file(path) if os.path.isfile(path) else None
    return loaded if isinstance(loaded, dict) else None


def read_run_config(log_dir: str) -> Dict[str, Any]:
    """The config recorded in ``<log_dir>/metadata/config.yaml``, or ``{}`` if there is none.

    The launcher compares it with a resumed run's composed config.
    """
    return read_metadata(log_dir, _layout.CONFIG_FILE) or {}


def run_paths(log_id: int, log_dir: str) -> Dict[str, Any]:
    """``info.yaml``'s ``logger`` entry: the run's id and directories."""
    return {
        "log_id": log_id,
        "log_dir": log_dir,
        "metrics_dir": os.path.join(log_dir, _layout.METRICS_DIR),
        "metadata_dir": os.path.join(log_dir, _layout.METADATA_DIR),
        "artifacts_dir": os.path.join(log_dir, _layout.ARTIFACTS_DIR),
    }


def read_run_info(log_dir: str) -> Optional[Dict[str, Any]]:
    """What ``<log_dir>/metadata/info.yaml`` holds, or None if there is no such file."""
    return read_metadata(log_dir, _layout.INFO_FILE)


def claim_run_dir(log_dir: str, log_id: int, resume: bool) -> Optional[Dict[str, Any]]:
    """Create or reuse ``log_dir``; the previous ``info.yaml`` if any.

    Reuse without ``resume`` is refused once the run holds data, so two runs never mix.
    """
    os.makedirs(log_dir, exist_ok=True)
    recorded = read_run_info(log_dir)
    if not resume and holds_run_data(log_dir):
        status = recorded.get("status", "unknown") if recorded else "unknown"
        raise RunDirectoryError(
            f"run directory {log_dir} already holds the metrics or artifacts of run {log_id}"
            f" (status {status})\n  to continue it, add mlxp.resume=true (Logger(...,"
            " resume=True)); for a new run, choose another mlxp.logger.forced_log_id or -1",
            path=log_dir,
        )
    return recorded


def holds_run_data(log_dir: str) -> bool:
    """Whether a metrics file has a line or an artifact file exists (index files aside)."""
    checks = ((_layout.METRICS_DIR, _layout.METRIC_SUFFIX), (_layout.ARTIFACTS_DIR, ""))
    for sub_dir, suffix in checks:
        for root, dirs, files in os.walk(os.path.join(log_dir, sub_dir)):
            dirs[:] = [name for name in dirs if not name.startswith(".")]
            for name in files:
                path = os.path.join(root, name)
                if not name.startswith(".") and name.endswith(suffix) and os.path.getsize(path):
                    return True
    return False


def append_traceback(path: str, error: BaseException) -> None:
    """Put the task's traceback in ``log.stderr``: Python prints it only after the copy stopped."""
    if isinstance(error, SystemExit):  # Python prints no traceback for it either
        return
    import traceback  # only when a run failed

    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(text)


def _script_path() -> str:
    script = sys.argv[0] if sys.argv else ""
    return "" if script in ("", "-c") else os.path.abspath(script)  # "-c": python -c CODE


def date_and_time(now: datetime.datetime) -> Tuple[str, str]:
    """MLXP's ``start_date``/``start_time`` (and end) formats, local time."""
    return now.strftime("%d/%m/%Y"), now.strftime("%H:%M:%S")


def remove_unused(made: List[str]) -> None:
    """Remove the directories in ``made`` (deepest last in the list) that hold nothing but
    lock files: a Logger that could not start leaves no half-made run directory behind."""
    for directory in reversed(made):
        for lock_file in (_layout.INFO_LOCK_FILE, RUN_LOCK_FILE):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, lock_file))
        with contextlib.suppress(OSError):
            os.rmdir(directory)  # refuses a directory that holds anything else


def _user() -> str:
    """The login name, as ``getpass.getuser`` finds it (without importing it)."""
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if os.environ.get(variable):
            return os.environ[variable]
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # no passwd entry (containers)
        return str(os.getuid())
