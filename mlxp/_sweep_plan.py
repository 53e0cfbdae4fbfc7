"""A local sweep's plan: how to start one of its points, and every point it was to run.

When a sweep starts here, the launcher records in its first run's ``metadata/sweep.yaml``
(atomically, before that run starts) the command that runs one point (interpreter, script,
flags, working directory) and the sweep's overrides, from which its points are expanded again. So after a crash, a Ctrl-C or a ``fail_fast``, the points that never started are
known, and ``mlxp rerun`` can run them, with the FAILED ones, into new run directories.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp._cli import parse_command_line
from mlxp._process import host_name, process_start_time
from mlxp._yaml import dump_yaml, load_yaml_file
from mlxp.errors import UsageError
from mlxp.settings import SNAPSHOT_ENV
from mlxp.sweep import expand_sweep

PLAN_FILE = "sweep.yaml"


class PointCommand:
    """How to start one point of a sweep as a fresh process: ``python main.py <point>``.

    Attributes:
        program: the interpreter and the script (``[python, path]``, or ``[python, -m, mod]``).
        flags: ``--config-name``/``--config-path`` as the launch had them.
        cwd: the working directory of the launch (a snapshot's, with the version manager).
        overrides: the whole command's overrides, sweeps unexpanded.
        sweep_id: the id every run of the sweep records.
        snapshot: the version manager's launch record, when the launch runs from a snapshot.
    """

    def __init__(self, program: Sequence[str], flags: Sequence[str], cwd: str,
                 overrides: Sequence[str], sweep_id: str, snapshot: Optional[str] = None) -> None:
        self.program = list(program)
        self.flags = list(flags)
        self.cwd = cwd
        self.overrides = list(overrides)
        self.sweep_id = sweep_id
        self.snapshot = snapshot

    @classmethod
    def of_this_launch(cls, flags: Sequence[str], overrides: Sequence[str],
                       sweep_id: str) -> "PointCommand":
        """The command that runs this process's script again, as it was started."""
        spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        if spec is not None and spec.name:  # python -m package.main
            program = [sys.executable, "-m", spec.name]
        else:
            program = [sys.executable, os.path.abspath(sys.argv[0])]
        return cls(program, flags, os.getcwd(), overrides, sweep_id,
                   os.environ.get(SNAPSHOT_ENV))

    def argv(self, point_overrides: Sequence[str]) -> List[str]:
        """The command line of one point."""
        return [*self.program, *self.flags, *point_overrides]

    def environment(self) -> Dict[str, str]:
        """What a point's process needs in its environment besides this one's."""
        return {SNAPSHOT_ENV: self.snapshot} if self.snapshot else {}

    def to_dict(self) -> Dict[str, Any]:
        return {"sweep_id": self.sweep_id, "program": self.program, "flags": self.flags,
                "cwd": self.cwd, "overrides": self.overrides, "snapshot": self.snapshot}


def _this_process() -> Dict[str, Any]:
    """Who runs the sweep: so that a rerun can tell whether it is still running."""
    return {"hostname": host_name(), "process_id": os.getpid(),
            "process_start_time": process_start_time(os.getpid())}


def record_plan(log_dir: str, command: PointCommand, total: int) -> None:
    """Write the sweep's plan into its first run, ``log_dir``, before that run starts."""
    metadata = os.path.join(log_dir, _layout.METADATA_DIR)
    os.makedirs(metadata, exist_ok=True)
    _layout.atomic_write_text(os.path.join(metadata, PLAN_FILE),
                              dump_yaml({**command.to_dict(), "points": total,
                                         "launcher": _this_process()}))


def read_plan(log_dir: str, sweep_id: str) -> Optional[PointCommand]:
    """The plan of ``sweep_id`` if the run ``log_dir`` is its first run, else None.

    Raises:
        UsageError: the plan cannot be read, or the sweep is still running.
    """
    path = os.path.join(log_dir, _layout.METADATA_DIR, PLAN_FILE)
    if not os.path.isfile(path):
        return None
    try:
        fields = load_yaml_file(path)
        if fields["sweep_id"] != sweep_id:
            return None
        _check_ended(fields.get("launcher") or {}, sweep_id)
        return PointCommand(fields["program"], fields["flags"], fields["cwd"],
                            fields["overrides"], fields["sweep_id"], fields.get("snapshot"))
    except (KeyError, TypeError) as error:
        raise UsageError(f"cannot read the sweep plan {_layout.display_path(path)}: {error}"
                         "; rerun those points with python main.py <their overrides>") from error


def _check_ended(launcher: Dict[str, Any], sweep_id: str) -> None:
    """Refuse to run again the points of a sweep that is still running: it would start its
    never-started points too."""
    pid, started = launcher.get("process_id"), launcher.get("process_start_time")
    if (launcher.get("hostname") == host_name() and isinstance(pid, int) and started
            and process_start_time(pid) == started):
        raise UsageError(f"sweep {sweep_id} is still running (process {pid}): wait for it to"
                         " end, or stop it (Ctrl-C, or kill -TERM the process), then rerun")


def planned_points(command: PointCommand) -> List[Tuple[str, ...]]:
    """Every point of the sweep, in order, as the override texts its runs record."""
    overrides = parse_command_line(command.overrides).overrides
    return [tuple(override.text for override in point) for point in expand_sweep(overrides)]
