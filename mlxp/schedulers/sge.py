"""SGE (Son of / Univa / Open Grid Engine): ``#$`` directives, ``qsub`` / ``qdel``."""

from __future__ import annotations

import re

from mlxp.schedulers.base import Scheduler

__all__ = ["SgeScheduler"]


class SgeScheduler(Scheduler):
    """SGE. ``qsub job.sh`` prints ``Your job 77 ("logs_3") has been submitted``.

    qsub refuses job names with ``/ : @ \\ * ?`` or a leading digit ("is not a valid object
    name"), and a name with blanks, so ``logs/3`` becomes ``logs_3``. Without ``-cwd`` a job
    starts in ``$HOME``; the rendered script ``cd``\\ s into its work dir itself. Queues in
    ``posix_compliant`` shell mode ignore the ``#!`` line: add ``#$ -S /bin/bash`` there.
    """

    name = "sge"
    directive = "#$"
    job_name_flag = "-N "
    stdout_flag = "-o "
    stderr_flag = "-e "
    submit_command = ("qsub",)
    cancel_command = ("qdel",)
    job_id_pattern = re.compile(
        r"^Your job(?:-array)? (\d+)\S* \(.*\) has been submitted", re.MULTILINE
    )
    job_name_forbidden = "/:@\\*?"
    job_name_starts_with_letter = True
