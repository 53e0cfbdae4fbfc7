"""Which process a run or a local job is: host, pid and start time, and whether it still runs.

A pid alone names a process only while it lives: after a SIGKILL or a reboot the same number
goes to a stranger. The start time read with it (``/proc/<pid>/stat`` field 22 with the boot
id and pid namespace on Linux, ``ps -o lstart=`` elsewhere) tells the two apart, so ``mlxp
cancel`` signals only its own job and ``mlxp status`` calls a run ``LOST`` only on proof.
"""

from __future__ import annotations

import datetime
import os
import re
import threading
import time
from typing import Any, Dict, Mapping, Optional, Tuple

from mlxp import _layout

__all__ = [
    "HEARTBEAT_FILE",
    "Heartbeat",
    "LOST",
    "check_local_pid",
    "group_leader_start",
    "host_name",
    "iso_time",
    "local_now",
    "lost_reason",
    "process_start_time",
    "run_liveness",
    "scheduler_job",
    "seconds_since",
]

#: ``metadata/heartbeat``: its modification time is the last time the run was seen alive.
HEARTBEAT_FILE = "heartbeat"
#: the status shown for a RUNNING run whose process is proven gone; never written to disk.
LOST = "LOST"
#: a heartbeat older than this many intervals proves, from another host, that a run is gone.
STALE_INTERVALS = 3

_LOCAL_JOB_ID = re.compile(r"([0-9]+)(?:_[0-9]+)?")  # a pid, or an array's pid and a task


def host_name() -> str:
    """This machine's name, as ``info.yaml``'s ``hostname`` holds it."""
    return os.uname().nodename


def process_start_time(pid: int) -> Optional[str]:
    """An opaque token for when process ``pid`` started; None if there is no such process.

    Two processes that ever had the same pid on a machine get different tokens. A zombie (it
    exited and awaits its parent) counts as gone.
    """
    fields = _proc_stat(pid)
    if fields is not None:
        return None if fields[0] == "Z" else _linux_token(fields)
    if os.path.isdir("/proc/self"):  # Linux, and no such process
        return None
    return _ps_start_time(pid)


def group_leader_start(pid: int) -> Optional[str]:
    """The start token of ``pid`` if it leads its own process group, else None.

    A zombie leader counts: its pid cannot be reused until it is reaped, and the rest of its
    group (the job's other processes) may still run.
    """
    fields = _proc_stat(pid)
    if fields is not None:
        return _linux_token(fields) if fields[2] == str(pid) else None
    if os.path.isdir("/proc/self"):
        return None
    group = _ps_field(pid, "pgid=")
    return _ps_start_time(pid) if group == str(pid) else None


def check_local_pid(job_id: str) -> int:
    """The pid in a local job id (``4242``, or ``4242_3`` for an array's task).

    Raises:
        ValueError: not a plain decimal number above 1: ``kill(0)`` and ``kill(-1)`` would
            signal this process's group and every process of the user.
    """
    found = _LOCAL_JOB_ID.fullmatch(job_id) if isinstance(job_id, str) else None
    if found is None:
        raise ValueError(f"a local job id is a process id such as 4242, not {job_id!r}")
    pid = int(found.group(1))
    if pid <= 1:
        raise ValueError(f"a local job id must be a process id above 1, not {job_id!r}")
    return pid


def _proc_stat(pid: int) -> Optional[Tuple[str, ...]]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stream:
            text = stream.read()
    except OSError:
        return None
    return tuple(text[text.rindex(")") + 2:].split())  # the name may hold blanks and ")"


def _linux_token(fields: Tuple[str, ...]) -> str:
    return f"linux:{_machine_scope()}:{fields[19]}"  # field 22: start, in clock ticks


def _machine_scope() -> str:
    """The boot and the pid namespace: pids are comparable only within both."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as stream:
            boot = stream.read().strip()
    except OSError:
        boot = "unknown-boot"
    try:
        namespace = os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        namespace = "unknown-ns"
    return f"{boot}:{namespace}"


def _ps_field(pid: int, field: str) -> Optional[str]:
    try:  # a few ms, on systems without /proc only
        from mlxp._shell import run  # starting processes is rare here: keep import mlxp light

        done = run(["ps", "-o", field, "-p", str(pid)], timeout=10)
    except (OSError, TimeoutError):
        return None
    return " ".join(done.stdout.split()) or None if done.returncode == 0 else None


def _ps_start_time(pid: int) -> Optional[str]:
    started = _ps_field(pid, "lstart=")
    return f"ps:{started.replace(' ', '_')}" if started else None


# --- liveness of a run ------------------------------------------------------------------------


def lost_reason(info: Mapping[str, Any], log_dir: str, now: Optional[float] = None
                ) -> Optional[str]:
    """Why the RUNNING run ``info`` has certainly stopped, or None when it may still run.

    Hard evidence only: on the run's own machine, its process is gone (or the pid now belongs
    to another process, or the machine rebooted); from elsewhere, its heartbeat is older than
    three of its intervals. A run without these records (older versions) is never LOST.
    """
    if info.get("status") != _layout.RUNNING:
        return None
    pid, recorded = info.get("process_id"), info.get("process_start_time")
    same_host = info.get("hostname") == host_name()
    if same_host and isinstance(pid, int) and isinstance(recorded, str):
        parts, (boot, namespace) = recorded.split(":"), _machine_scope().split(":")
        if len(parts) == 4 and parts[0] == "linux":
            if parts[1] != boot:
                return f"its machine {info['hostname']} restarted"
            if parts[2] == namespace:  # else another container's pids: the heartbeat decides
                return None if process_start_time(pid) == recorded else f"process {pid} is gone"
        elif parts[0] == "ps":
            return None if process_start_time(pid) == recorded else f"process {pid} is gone"
    interval = info.get("heartbeat_seconds")
    seen = _heartbeat_time(log_dir)
    if isinstance(interval, (int, float)) and interval > 0 and seen is not None:
        now = time.time() if now is None else now
        if now - seen > STALE_INTERVALS * interval:
            return f"no heartbeat for {now - seen:.0f} s (every {interval:g} s expected)"
    return None


def run_liveness(info: Mapping[str, Any], log_dir: str) -> Tuple[str, Optional[str]]:
    """``(status, last seen)``: ``info``'s status, or ``LOST`` with the time (ISO 8601) the
    run was last seen alive: its heartbeat, else its ``info.yaml``'s last change."""
    status = str(info.get("status") or "?")
    if lost_reason(info, log_dir) is None:
        return status, None
    seen = _heartbeat_time(log_dir)
    if seen is None:
        try:
            seen = os.stat(os.path.join(log_dir, _layout.METADATA_DIR, _layout.INFO_FILE)).st_mtime
        except OSError:
            return LOST, None
    return LOST, iso_time(seen)


def iso_time(seconds: float) -> str:
    """``seconds`` since the epoch as local ISO 8601 with its UTC offset, to the second."""
    return datetime.datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="seconds")


def local_now() -> datetime.datetime:
    """Now, in local time with its UTC offset, to the millisecond that ISO 8601 texts keep,
    so that ``duration_seconds`` is exactly ``ended_at - started_at``."""
    now = datetime.datetime.now().astimezone()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def seconds_since(started_at: Any, now: datetime.datetime) -> Optional[float]:
    """``info.yaml``'s ``duration_seconds``: from ``started_at`` (ISO 8601) to the aware
    ``now``, to the millisecond; None without a readable ``started_at``."""
    try:
        return round((now - datetime.datetime.fromisoformat(str(started_at))).total_seconds(), 3)
    except (TypeError, ValueError):
        return None


def _heartbeat_time(log_dir: str) -> Optional[float]:
    try:
        return os.stat(os.path.join(log_dir, _layout.METADATA_DIR, HEARTBEAT_FILE)).st_mtime
    except OSError:
        return None


# --- where a run runs -------------------------------------------------------------------------

# (scheduler, job id variable, array task variable, marker that the variables are its own)
_JOB_VARIABLES = (
    ("slurm", "SLURM_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_JOB_ID"),
    ("torque", "PBS_JOBID", "PBS_ARRAYID", "PBS_JOBID"),
    ("sge", "JOB_ID", "SGE_TASK_ID", "SGE_TASK_ID"),  # JOB_ID alone is too common a name
    ("oar", "OAR_JOB_ID", "OAR_ARRAY_INDEX", "OAR_JOB_ID"),
    ("lsf", "LSB_JOBID", "LSB_JOBINDEX", "LSB_JOBID"),
    ("mwm", "MOAB_JOBID", "MOAB_JOBARRAYINDEX", "MOAB_JOBID"),
)


def scheduler_job(environ: Mapping[str, str]) -> Optional[Dict[str, Optional[str]]]:
    """``{scheduler, job_id, array_task_id}`` of the scheduler job this process runs in, from
    its environment; None outside a job. ``array_task_id`` is None outside an array."""
    for name, job_variable, task_variable, marker in _JOB_VARIABLES:
        if environ.get(marker) and environ.get(job_variable):
            task = environ.get(task_variable)
            if task in ("", "undefined") or (name == "lsf" and task == "0"):
                task = None  # SGE and LSF set it outside arrays too
            return {"scheduler": name, "job_id": environ[job_variable], "array_task_id": task}
    return None


class Heartbeat:
    """Touches ``metadata/heartbeat`` every ``interval`` seconds from a daemon thread, so that
    a run that stops without a word (SIGKILL, a node failure) can be told from a live one.

    Touching only sets the file's time: the thread costs the run a few microseconds per
    interval and never fails it (an ``OSError``, a full or vanished disk, is ignored).
    """

    def __init__(self, log_dir: str, interval: float) -> None:
        self.path = os.path.join(log_dir, _layout.METADATA_DIR, HEARTBEAT_FILE)
        self.interval = interval
        self._stopped = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        """Touch the file now, then every interval until :meth:`stop`."""
        self._touch()
        self._thread = threading.Thread(target=self._beat, name="mlxp-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread; idempotent."""
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    def _beat(self) -> None:
        while not self._stopped.wait(self.interval):
            self._touch()

    def _touch(self) -> None:
        try:
            os.utime(self.path)
        except FileNotFoundError:
            try:
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o666))
            except OSError:
                pass
        except OSError:
            pass
