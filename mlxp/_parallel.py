"""Running a sweep's points several at once on this machine, each in a process of its own.

Each point runs as ``python main.py <its overrides>`` would (never a fork of this process: CUDA
and the user's imports do not survive one): forked by a helper that has imported only mlxp
(:mod:`mlxp._forkserver`), or started afresh if the helper cannot start. It runs in the run
directory this process claimed for it, in point order, so the ids are those of a sequential
sweep. Its output goes to the run's
``log.stdout`` and ``log.stderr``; the terminal gets :class:`~mlxp._progress.SweepReport`'s
lines. Each point's process leads a process group of its own, created here: a Ctrl-C or a
SIGTERM reaches this process only, which passes it on to those groups, and to nothing else.
"""

from __future__ import annotations

import os
import select
import signal
import time
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp._devices import DevicePool
from mlxp._forkserver import ForkedPoint, ForkServer
from mlxp._process import local_now, seconds_since
from mlxp._progress import SweepReport, read_tail
from mlxp._shell import spawn_group
from mlxp._signals import RunInterrupted, deferred_signals
from mlxp._sweep_plan import PointCommand, record_plan
from mlxp._yaml import dump_yaml
from mlxp.logger import Logger, read_metadata, read_run_info
from mlxp.settings import POINT_RUN_ENV, SWEEP_ID_ENV

__all__ = ["PointSpec", "STOP_GRACE", "run_in_parallel"]

#: seconds a stopped point has to record its end before its process group is killed
STOP_GRACE = 20.0
_POLL = 0.05  # seconds between checks where pidfd_open is missing


class PointSpec:
    """One point to run: its overrides, and the parent log directory of its run (None without
    a logger: ``mlxp.use_logger=false``)."""

    def __init__(self, overrides: Sequence[str], parent_log_dir: Optional[str]) -> None:
        self.overrides = list(overrides)
        self.parent_log_dir = parent_log_dir


class _Running:
    """A started point: its process, run directory and devices."""

    def __init__(self, number: int, spec: PointSpec, log_dir: Optional[str],
                 devices: Optional[str]) -> None:
        self.number = number
        self.spec = spec
        self.log_dir = log_dir
        self.devices = devices
        self.process: Any = None
        self.pidfd: Optional[int] = None
        self.stopped_by: Optional[str] = None  # why this runner stopped it, if it did


def run_in_parallel(points: Iterable[PointSpec], command: PointCommand, jobs: int,
                    report: SweepReport, devices: DevicePool, fail_fast: bool = False) -> int:
    """Run ``points`` (started in order, ``jobs`` at a time); the sweep's exit code."""
    runner = _Runner(command, jobs, report, devices, fail_fast)
    try:
        runner.run(points)
    except RunInterrupted as interruption:
        runner.stop_all(interruption.signum, str(interruption))
        report.interrupt(interruption)
    except BaseException:  # a run directory that cannot be made: stop what runs, then say why
        runner.stop_all(signal.SIGTERM, "stopped: the sweep could not go on")
        raise
    finally:
        runner.close()
    return report.finish()


class _Runner:
    def __init__(self, command: PointCommand, jobs: int, report: SweepReport,
                 devices: DevicePool, fail_fast: bool) -> None:
        self.command = command
        self.jobs = jobs
        self.report = report
        self.devices = devices
        self.fail_fast = fail_fast
        self.running: List[_Running] = []
        self.planner = _layout.RunIdPlanner(claim=True)
        self.server: Optional[ForkServer] = None
        self.server_failed = False

    def _fork_server(self) -> Optional[ForkServer]:
        """The helper that forks the points, started with the first; None if it cannot start
        or has ended (each point then starts afresh, and fails as such if its interpreter is
        missing)."""
        if self.server is None and not self.server_failed:
            try:
                self.server = ForkServer(self.command.program)
            except OSError:
                self.server_failed = True
        return None if self.server is None or self.server.gone else self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server.wait(STOP_GRACE)

    def run(self, points: Iterable[PointSpec]) -> None:
        pending = iter(enumerate(points, start=1))
        exhausted = False
        while True:
            while not exhausted and len(self.running) < self.jobs:
                with deferred_signals():  # a run directory is never left without its process
                    started = next(pending, None)
                    if started is None:
                        exhausted = True
                    else:
                        self._start(*started)
            if not self.running:
                return
            ended = self._wait(None)
            with deferred_signals():
                failed = [running for running in ended if self._settle(running)]
            if failed and self.fail_fast:
                self.report.stop_early("stopped at the first failure (mlxp.launcher.fail_fast)")
                self.stop_all(signal.SIGTERM, "stopped by mlxp.launcher.fail_fast")
                return

    def _start(self, number: int, spec: PointSpec) -> None:
        log_dir = None
        if spec.parent_log_dir is not None:
            _, log_dir = self.planner.next_run(spec.parent_log_dir)
        where = _layout.display_path(log_dir) if log_dir else "(no logger)"
        running = _Running(number, spec, log_dir, self.devices.take())
        self.report.start(number, where, spec.overrides)
        self.running.append(running)
        env = {**os.environ, **self.command.environment(), SWEEP_ID_ENV: self.command.sweep_id}
        # a point, even without a run directory: it reports its failure as a sweep's point does
        env[POINT_RUN_ENV] = os.path.abspath(log_dir) if log_dir is not None else ""
        if running.devices is not None:
            env["CUDA_VISIBLE_DEVICES"] = running.devices
        try:
            if number == 1 and log_dir is not None:  # what mlxp rerun needs to know
                record_plan(log_dir, self.command, self.report.total)
            argv = self.command.argv(spec.overrides)
            outputs = [None if log_dir is None else os.path.join(log_dir, name)
                       for name in (_layout.STDOUT_FILE, _layout.STDERR_FILE)]
            server = self._fork_server()
            try:
                if server is not None:
                    running.process = server.start(argv, self.command.cwd, env, *outputs)
                    return
            except OSError:
                if server is not None and not server.gone:  # it could not fork this point
                    raise
            running.process = spawn_group(argv, cwd=self.command.cwd, env=env,
                                          stdout_path=outputs[0], stderr_path=outputs[1])
        except OSError as error:  # no interpreter, no script, a full disk: this point fails
            running.stopped_by = f"could not start: {error}"
            return
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is not None:
            try:  # the child is not reaped yet, so its pid still names it
                running.pidfd = pidfd_open(running.process.pid)
            except OSError:  # an old kernel: poll instead
                running.pidfd = None

    def _wait(self, timeout: Optional[float]) -> List[_Running]:
        """The points whose process has ended (reaped), waiting up to ``timeout`` for one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.server is not None:
                with deferred_signals():  # a message half read would be lost
                    self.server.collect()
            ended = [r for r in self.running if r.process is None or r.process.poll() is not None]
            if ended:
                for running in ended:
                    self.running.remove(running)
                    if running.pidfd is not None:
                        os.close(running.pidfd)
                return ended
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return []
            forked = [isinstance(r.process, ForkedPoint) for r in self.running]
            fds = [r.pidfd for r in self.running if r.pidfd is not None]
            if any(forked) and self.server is not None:
                fds.append(self.server.fileno())  # the helper says when its points end
            if all(r.pidfd is not None or fork for r, fork in zip(self.running, forked)):
                select.select(fds, [], [], left)
            else:
                time.sleep(_POLL if left is None else min(_POLL, left))

    def _settle(self, running: _Running) -> bool:
        """Report how a point ended (recording FAILED if its process could not); True if it
        failed."""
        self.devices.give(running.devices)
        code = None if running.process is None else running.process.returncode
        if running.log_dir is None:
            if code == 0:
                self.report.complete(running.number)
                return False
            self.report.fail(running.number, running.stopped_by or _describe_code(code, ""))
            return True
        info = read_run_info(running.log_dir) or {}
        if info.get("status") not in (_layout.COMPLETE, _layout.FAILED):
            reason = running.stopped_by or _describe_code(code)
            _record_failed(running, reason, info, self.command.sweep_id)
            info = {"status": _layout.FAILED, "error": reason}
        _drop_empty_logs(running.log_dir)
        if info["status"] == _layout.COMPLETE:
            self.report.complete(running.number)
            return False
        stderr_path = os.path.join(running.log_dir, _layout.STDERR_FILE)
        tail = [] if running.stopped_by else read_tail(stderr_path)
        has_traceback = any(line.startswith("Traceback") for line in read_tail(stderr_path, 200))
        self.report.fail(running.number, info.get("error") or "",
                         _layout.display_path(stderr_path) if has_traceback else None, tail)
        return True

    def stop_all(self, signum: int, reason: str) -> None:
        """Pass ``signum`` on to every running point, wait for them to record their end (a
        second signal, or ``STOP_GRACE`` seconds, kills them), and report each."""
        for running in self.running:
            running.stopped_by = reason
            _signal_group(running, signum)
        deadline = time.monotonic() + STOP_GRACE
        while self.running:
            try:
                left = deadline - time.monotonic()
                ended = self._wait(left) if left > 0 else []
                if not ended and left <= 0:  # past the grace: no more waiting
                    self._kill_all()
                    deadline = time.monotonic() + STOP_GRACE
                with deferred_signals():
                    for running in ended:
                        self._settle(running)
            except RunInterrupted:  # a second Ctrl-C: no more waiting either
                self._kill_all()

    def _kill_all(self) -> None:
        for running in self.running:
            _signal_group(running, signal.SIGKILL)


def _signal_group(running: _Running, signum: int) -> None:
    """Signal the process group this runner created for the point, while its leader is not
    yet reaped: until then no other process can have that group id."""
    process = running.process
    if process is None or process.poll() is not None:
        return
    if isinstance(process, ForkedPoint):  # the helper signals it, if it has not reaped it
        process.signal_group(signum)
        return
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:  # ended meanwhile; it will be reaped and reported
        pass


def _describe_code(code: Optional[int], when: str = " before its run started") -> str:
    if code is None:
        return "did not start"
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}{when}"


def _record_failed(running: _Running, reason: str, info: Dict[str, Any], sweep_id: str) -> None:
    """Record FAILED for a point whose process ended without recording its end."""
    log_dir = running.log_dir
    assert log_dir is not None
    if not info:  # it never got as far as its Logger: its info.yaml is written here
        parent, log_id = os.path.split(log_dir)
        logger = Logger(parent, int(log_id), heartbeat=0, info={
            "overrides": running.spec.overrides, "sweep_id": sweep_id, "process_id": None,
            "cuda_visible_devices": running.devices})
        logger.finish(_Stopped(reason))
        logger.update_info(error=reason)  # the reason alone, not an exception's description
        return
    now = local_now()
    with _layout.info_lock(log_dir):  # killed outright: its Logger left it RUNNING
        fields = dict(read_run_info(log_dir) or info, status=_layout.FAILED, error=reason,
                      end_date=now.strftime("%d/%m/%Y"), end_time=now.strftime("%H:%M:%S"),
                      ended_at=now.isoformat(timespec="milliseconds"))
        fields["duration_seconds"] = seconds_since(fields.get("started_at"), now)
        _layout.atomic_write_text(
            os.path.join(log_dir, _layout.METADATA_DIR, _layout.INFO_FILE), dump_yaml(fields))


class _Stopped(Exception):
    """The end of a point whose process could not record it."""


def _drop_empty_logs(log_dir: str) -> None:
    """Remove the output files this runner made when they stayed empty and the run does not
    log its streams: a quiet point leaves the files a sequential sweep leaves."""
    settings = read_metadata(log_dir, _layout.SETTINGS_FILE) or {}
    if (settings.get("logger") or {}).get("log_streams_to_file"):
        return
    for name in (_layout.STDOUT_FILE, _layout.STDERR_FILE):
        path = os.path.join(log_dir, name)
        try:
            if os.path.getsize(path) == 0:
                os.unlink(path)
        except FileNotFoundError:
            pass


def points_of(run_points: Iterable[Any]) -> Iterable[PointSpec]:
    """The launcher's composed points as the runner needs them (each composed when used)."""
    for point in run_points:
        settings = point.settings
        yield PointSpec(point.overrides,
                        settings.logger.parent_log_dir if settings.use_logger else None)


def rerun_specs(points: Sequence[Tuple[str, ...]], parent_log_dir: str) -> List[PointSpec]:
    """``mlxp rerun``'s points: each into a new run directory under ``parent_log_dir``."""
    return [PointSpec(point, parent_log_dir) for point in points]
