"""MWM (Moab Workload Manager): ``#MSUB`` directives, ``msub`` / ``mjobctl -c``."""

from __future__ import annotations

import re

from mlxp.schedulers.base import Scheduler

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
    job_id_pattern = re.compile(r"^\s*([\w.-]*\d[\w.-]*)\s*$", re.MULTILINE)
