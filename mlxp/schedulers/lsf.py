"""LSF (IBM Spectrum LSF, openlava): ``#BSUB`` directives, ``bsub < script`` / ``bkill``."""

from __future__ import annotations

import re

from mlxp.schedulers.base import Scheduler

__all__ = ["LsfScheduler"]


class LsfScheduler(Scheduler):
    """LSF. ``bsub < job.sh`` prints ``Job <5> is submitted to default queue <normal>.``

    bsub reads ``#BSUB`` lines only from a script given on stdin: ``bsub job.sh`` would run
    the file as a command and ignore them.
    """

    name = "lsf"
    directive = "#BSUB"
    job_name_flag = "-J "
    stdout_flag = "-o "
    stderr_flag = "-e "
    submit_command = ("bsub",)
    reads_script_on_stdin = True
    cancel_command = ("bkill",)
    job_id_pattern = re.compile(r"Job <(\d+)> is submitted")
