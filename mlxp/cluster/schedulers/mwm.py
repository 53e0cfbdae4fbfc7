"""MWM (Moab Workload Manager): ``#MSUB`` directives, ``msub`` / ``mjobctl -c``."""

from __future__ import annotations

import re
from typing import List

from mlxp.cluster.schedulers.base import Scheduler

__all__ = ["MwmScheduler"]


class MwmScheduler(Scheduler):
    """Moab. ``msub job.sh`` prints the job id alone on a line (``Moab.123`` or ``123``),
    between blank lines; ``mjobctl -c`` cancels."""

    name = "mwm"
    directive = "#MSUB"
    job_name_flag = "-N "
    stdout_flag = "-o "
    stderr_flag = "-e "
    submit_command = ("msub",)
    cancel_command = ("mjobctl", "-c")
    # showq lists active, eligible and blocked jobs (an ended one is GONE). A row:
    # JOBID USERNAME STATE PROCS REMAINING|WCLIMIT STARTTIME|QUEUETIME.
    status_command = ("showq",)
    status_lists_all = True
    status_pattern = re.compile(
        r"^(?P<id>[\w.-]*\d[\w.-]*)\s+\S+\s+(?P<state>[A-Z][A-Za-z]+)\s+\d+\s", re.MULTILINE
    )
    job_id_pattern = re.compile(r"^\s*([\w.-]*\d[\w.-]*)\s*$", re.MULTILINE)
    job_id_shape = re.compile(
        r"(?=[A-Za-z0-9_.-]*[0-9])[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\[[0-9]+\])?"
    )
    job_id_example = "Moab.1234 or 1234"
    array_index_variable = "MOAB_JOBARRAYINDEX"
    array_task_id_format = "{job_id}[{index}]"

    def array_lines(self, job_name: str, size: int, max_running: int) -> List[str]:
        """``-t logs/1-16[0-15]%2``: Moab names the array, then its range and limit."""
        limit = f"%{max_running}" if max_running else ""
        value = f"{self.job_name(job_name)}[{self.array_range(size, 0)}]{limit}"
        return [self.directive_line("-t ", value)]
