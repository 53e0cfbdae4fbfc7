"""``mlxp rerun DIR --sweep ID`` / ``--query Q``: run again, here, what a local sweep did not
finish, each point into a new run directory.

``--sweep`` takes every point of the sweep's plan (:mod:`mlxp._sweep_plan`) that has no
COMPLETE run: the FAILED ones and those that never started. ``--query`` takes the FAILED runs a
Reader query selects. A point whose run may still be RUNNING is left alone. The points run as
the sweep ran them (:mod:`mlxp._parallel`), with the sweep's id, script, flags and working
directory, ``-j`` at a time.
"""

from __future__ import annotations

import collections
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

from mlxp import _layout
from mlxp._devices import DevicePool, device_list, job_count
from mlxp._parallel import rerun_specs, run_in_parallel
from mlxp._process import lost_reason
from mlxp._progress import SweepReport
from mlxp._signals import RunInterrupted, terminate_on_signals
from mlxp._sweep_plan import PointCommand, planned_points, read_plan
from mlxp._yaml import load_yaml_file
from mlxp.errors import MLXPError, UsageError

__all__ = ["rerun_local"]

Run = Tuple[str, Dict[str, Any]]  # (log_dir, info)
# the sweep's plan, the run holding it, the points to run again
Group = Tuple[PointCommand, str, List[Tuple[str, ...]]]
_ENDED = (_layout.COMPLETE, _layout.FAILED)


def rerun_local(parent_log_dir: str, sweep_id: Optional[str], query: Optional[str],
                jobs: Optional[str], dry_run: bool) -> int:
    """Run again the unfinished points of a sweep (or the FAILED runs ``query`` selects);
    the exit code, as a sweep's."""
    runs = _runs(parent_log_dir)
    groups = (_unfinished_points(runs, sweep_id) if sweep_id is not None
              else _failed_points(parent_log_dir, runs, query or ""))
    if not any(points for _, _, points in groups):
        print("mlxp: nothing to run again: every point selected has a COMPLETE run",
              file=sys.stderr)
        return 0
    code = 0
    with terminate_on_signals(exit_on_signal=False):
        try:
            for plan, first_run, points in groups:
                if points:
                    code = max(code, _run_again(parent_log_dir, plan, first_run, points, jobs,
                                                dry_run))
                if code > 1:  # a signal stopped it: no more sweeps
                    return code
        except RunInterrupted as interruption:  # between two sweeps: nothing is running
            return interruption.exit_code
    return code


def _runs(parent_log_dir: str) -> List[Run]:
    if not os.path.isdir(parent_log_dir):
        raise UsageError(f"no such directory: {parent_log_dir}")
    runs = []
    for _, log_dir in _layout.iter_run_dirs(parent_log_dir):
        path = os.path.join(log_dir, _layout.METADATA_DIR, _layout.INFO_FILE)
        try:
            info = load_yaml_file(path) if os.path.isfile(path) else None
        except MLXPError:  # a damaged info.yaml: that run is not taken as finished
            info = None
        runs.append((log_dir, info if isinstance(info, dict) else {}))
    return runs


def _plan_of(runs: List[Run], sweep_id: str) -> Tuple[PointCommand, str]:
    """The sweep's plan and the run that holds it (written before that run started, so
    found even if the run has no ``info.yaml`` yet)."""
    for log_dir, _ in runs:
        plan = read_plan(log_dir, sweep_id)
        if plan is not None:
            return plan, log_dir
    raise UsageError(
        f"no local sweep {sweep_id!r} in this directory: its first run holds"
        f" metadata/sweep.yaml, and only sweeps run here by python main.py (mlxp 'runs' lines)"
        " have one; a run on its own goes again with python main.py <its overrides>")


def _unfinished_points(runs: List[Run], sweep_id: str) -> List[Group]:
    """The sweep's points without a COMPLETE run, in order; a point that may still run is
    left out, with a note."""
    plan, first_run = _plan_of(runs, sweep_id)
    ended: Dict[Tuple[str, ...], collections.Counter] = collections.defaultdict(
        collections.Counter)
    busy: Dict[Tuple[str, ...], List[str]] = collections.defaultdict(list)
    for log_dir, info in runs:
        if info.get("sweep_id") != sweep_id:
            continue
        point = tuple(info.get("overrides") or ())
        status = info.get("status")
        if status in _ENDED:
            ended[point][status] += 1
        elif status is not None and lost_reason(info, log_dir) is None:
            busy[point].append(_layout.display_path(log_dir))
    points = []
    for point in planned_points(plan):
        if ended[point][_layout.COMPLETE]:  # each COMPLETE run stands for one point
            ended[point][_layout.COMPLETE] -= 1
        elif busy[point]:
            where = busy[point].pop(0)
            print(f"mlxp: note: {where} ({' '.join(point)}) may still be running: left alone",
                  file=sys.stderr)
        else:
            points.append(point)
    return [(plan, first_run, points)]


def _failed_points(parent_log_dir: str, runs: List[Run], query: str) -> List[Group]:
    """The FAILED runs ``query`` selects, by sweep: their points, in run order."""
    from mlxp.reader import Reader  # the query language

    selected = {os.path.abspath(row.log_dir) for row in Reader(parent_log_dir).filter(query)}
    by_sweep: Dict[str, List[Tuple[str, ...]]] = {}
    alone = []
    for log_dir, info in runs:
        if os.path.abspath(log_dir) not in selected or info.get("status") != _layout.FAILED:
            continue
        sweep_id = info.get("sweep_id")
        if not sweep_id:
            alone.append(_layout.display_path(log_dir))
            continue
        by_sweep.setdefault(sweep_id, []).append(tuple(info.get("overrides") or ()))
    if alone:
        raise UsageError(f"{', '.join(alone)} belong to no sweep run here: run them again with"
                         " python main.py <their overrides>")
    return [(*_plan_of(runs, sweep_id), points) for sweep_id, points in by_sweep.items()]


def _run_again(parent_log_dir: str, plan: PointCommand, first_run: str,
               points: List[Tuple[str, ...]], jobs: Optional[str], dry_run: bool) -> int:
    launcher = _launcher_settings(first_run)
    devices = device_list(launcher.get("devices") or [])
    per_run = int(launcher.get("devices_per_run") or 1)
    count = job_count(jobs if jobs is not None else launcher.get("jobs", 1), devices, per_run)
    if dry_run:
        for number, point in enumerate(points, start=1):
            print(f"[{number}/{len(points)}] {' '.join(point)}".rstrip())
        return 0
    if not os.path.isdir(plan.cwd):
        raise UsageError(f"the sweep ran in {plan.cwd}, which no longer exists: run its points"
                         " with python main.py <their overrides>")
    report = SweepReport(len(points))
    report.rerun_hint = (f"mlxp rerun {_layout.display_path(parent_log_dir)}"
                         f" --sweep {plan.sweep_id}")
    return run_in_parallel(rerun_specs(points, parent_log_dir), plan, count, report,
                           DevicePool(devices, per_run), bool(launcher.get("fail_fast")))


def _launcher_settings(first_run: str) -> Dict[str, Any]:
    """The ``mlxp.launcher`` settings the sweep's first run recorded (devices, jobs)."""
    path = os.path.join(first_run, _layout.METADATA_DIR, _layout.SETTINGS_FILE)
    try:
        settings = load_yaml_file(path) if os.path.isfile(path) else {}
    except MLXPError:  # unreadable: the defaults
        settings = {}
    launcher = settings.get("launcher") if isinstance(settings, dict) else None
    return launcher if isinstance(launcher, dict) else {}
