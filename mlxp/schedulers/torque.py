"""TORQUE / PBS: ``#PBS`` directives, ``qsub`` / ``qdel``."""

from __future__ import annotations

import re

from mlxp.schedulers.base import Scheduler

__all__ = ["TorqueScheduler"]


class TorqueScheduler(Scheduler):
    """TORQUE and PBS. ``qsub job.sh`` prints the job id, ``1234.torque-server``.

    The whole printed id is kept, server suffix included: it is what ``qstat`` and ``qdel``
    show and accept, and on a site with several servers the suffix picks the server. (Slurm's
    TORQUE wrapper prints a bare ``1234``, which also matches.) PBS wants job names to start
    with a letter and hold no blanks.
    """

    name = "torque"
    directive = "#PBS"
    job_name_flag = "-N "
    stdout_flag = "-o "
    stderr_flag = "-e "
    submit_command = ("qsub",)
    cancel_command = ("qdel",)
    job_id_pattern = re.compile(r"^\s*(\d+(?:\[\d*\])?(?:\.[\w.-]+)?)\s*$", re.MULTILINE)
    job_name_starts_with_letter = True
