"""TORQUE / PBS: ``#PBS`` directives, ``qsub`` / ``qdel``."""

from __future__ import annotations

import re
from typing import Dict, List, Sequence, Tuple

from mlxp.cluster.schedulers.base import Scheduler

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
    # A row: Job ID, Name, User, Time Use, S, Queue. Ended jobs stay listed as C (TORQUE's
    # keep_completed) or vanish; PBS Pro then says "Job has finished".
    status_command = ("qstat",)
    status_pattern = re.compile(
        r"^(?P<id>\d+(?:\[\d*\])?)\S*\s+\S+\s+\S+\s+\S+\s+(?P<state>[A-Z])\s+\S+\s*$",
        re.MULTILINE,
    )
    unknown_job_pattern = re.compile(r"Unknown Job Id|Job has finished")
    final_states = frozenset({"C", "F"})
    job_id_pattern = re.compile(r"^\s*(\d+(?:\[\d*\])?(?:\.[\w.-]+)?)\s*$", re.MULTILINE)
    job_id_shape = re.compile(r"[0-9]+(?:\[[0-9]*\])?(?:\.[A-Za-z0-9_][A-Za-z0-9_.-]*)?")
    job_id_example = "1234.server or 1234[5].server"
    job_name_starts_with_letter = True
    array_index_variable = "PBS_ARRAYID"
    job_id_variable = "PBS_JOBID"
    requeue_command = ("qrerun",)

    def requeue_lines(self, warning_seconds: int) -> List[str]:
        """Rerunnable (``-r y``); TORQUE sends no warning, so a restart resumes the run but no
        checkpoint hook is called first."""
        return [f"{self.directive} -r y"]

    def array_lines(self, job_name: str, size: int, max_running: int) -> List[str]:
        """``-t 0-15%2``: tasks 0 to 15, at most 2 running at once (TORQUE's slot limit)."""
        return [self.directive_line("-t ", self.array_range(size, max_running))]

    def array_task_ids(self, job_id: str, output: str, size: int) -> Tuple[str, List[str]]:
        """qsub prints the array as ``1234[].server``; task 3 is ``1234[3].server``."""
        number, brackets, rest = job_id.partition("[]")
        if not brackets:
            number, dot, server = job_id.partition(".")
            rest = dot + server
        return job_id, [f"{number}[{index}]{rest}" for index in range(size)]

    def parse_status(self, output: str, job_ids: Sequence[str]) -> Dict[str, str]:
        """Ids are matched without their ``.server`` suffix, which qstat may cut short."""
        short = {job_id: job_id.split(".", 1)[0] for job_id in job_ids}
        found = super().parse_status(output, list(short.values()))
        return {job_id: found[key] for job_id, key in short.items()}
