"""SGE (Son of / Univa / Open Grid Engine): ``#$`` directives, ``qsub`` / ``qdel``."""

from __future__ import annotations

import re
from typing import List

from mlxp.cluster.schedulers.base import Scheduler

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
    # qstat lists queued and running jobs only, so an ended job is GONE (``qacct`` answers for
    # one job per call). A row: job-ID prior name user state ...; states qw, r, t, dr, Eqw ...
    status_command = ("qstat", "-u", "*")
    status_lists_all = True
    status_pattern = re.compile(
        r"^\s*(?P<id>\d+)\s+\S+\s+\S+\s+\S+\s+(?P<state>[a-zA-Z]+)\s", re.MULTILINE
    )
    job_id_pattern = re.compile(
        r"^Your job(?:-array)? (\d+)\S* \(.*\) has been submitted", re.MULTILINE
    )
    job_id_shape = re.compile(r"[0-9]+(?:\.[0-9]+)?")
    job_id_example = "1234 or 1234.5 (an array task)"
    job_name_forbidden = "/:@\\*?"
    job_name_starts_with_letter = True
    array_index_variable = "SGE_TASK_ID"
    job_id_variable = "JOB_ID"
    requeue_command = ("qmod", "-rj")
    array_first_index = 1
    array_output_pattern = "$JOB_ID.$TASK_ID"  # qsub's own pseudo variables, not the shell's
    array_task_id_format = "{job_id}.{index}"

    def requeue_lines(self, warning_seconds: int) -> List[str]:
        """Rerunnable (``-r y``); SGE's own warning (``-notify``) is SIGUSR2, not SIGUSR1, so a
        restart resumes the run but no checkpoint hook is called first."""
        return [f"{self.directive} -r y"]

    def array_lines(self, job_name: str, size: int, max_running: int) -> List[str]:
        """``-t 1-16`` and, with a limit, ``-tc 2`` (tasks 1 to 16, at most 2 running)."""
        lines = [self.directive_line("-t ", self.array_range(size, 0))]
        if max_running:
            lines.append(self.directive_line("-tc ", str(max_running)))
        return lines
