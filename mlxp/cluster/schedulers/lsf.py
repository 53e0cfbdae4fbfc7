"""LSF (IBM Spectrum LSF, openlava): ``#BSUB`` directives, ``bsub < script`` / ``bkill``."""

from __future__ import annotations

import re
from typing import Dict, List, Sequence

from mlxp.cluster.schedulers.base import Scheduler

__all__ = ["LsfScheduler"]

# A bjobs row whose jobid is bare and whose jobindex is not 0: an array element.
_ELEMENT_ROW = re.compile(r"^(\s*\d+)\s+([1-9]\d*)(?=\s+[A-Z]+\s*$)", re.MULTILINE)


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
    # bjobs still lists a job for CLEAN_PERIOD (1 h) after it ended, as DONE or EXIT. A row:
    # jobid, jobindex (0 for a plain job), stat; jobid is 104[2] with LSB_BJOBS_DISPLAY_ENH=Y.
    status_command = ("bjobs", "-noheader", "-o", "jobid jobindex stat")
    status_pattern = re.compile(
        r"^\s*(?P<id>\d+(?:\[\d+\])?)(?:\s+\d+)?\s+(?P<state>[A-Z]+)\s*$", re.MULTILINE
    )
    unknown_job_pattern = re.compile(r"Job <[^>]*> is not found")
    final_states = frozenset({"DONE", "EXIT"})
    job_id_pattern = re.compile(r"Job <(\d+)> is submitted")
    job_id_shape = re.compile(r"[0-9]+(?:\[[0-9]+\])?")
    job_id_example = "1234 or 1234[5] (an array task)"
    array_index_variable = "LSB_JOBINDEX"
    job_id_variable = "LSB_JOBID"
    requeue_command = ("brequeue",)
    array_first_index = 1
    array_output_pattern = "%J_%I"  # the array's id, the task's index
    array_task_id_format = "{job_id}[{index}]"

    def parse_status(self, output: str, job_ids: Sequence[str]) -> Dict[str, str]:
        """An array element's row ``104 2 RUN`` is read as ``104[2] RUN``."""
        output = _ELEMENT_ROW.sub(lambda m: f"{m.group(1)}[{m.group(2)}]", output)
        return super().parse_status(output, job_ids)

    def requeue_lines(self, warning_seconds: int) -> List[str]:
        """Rerunnable (``-r``), and SIGUSR1 ``-wt`` minutes before the end (``-wa``)."""
        minutes = max(1, -(-warning_seconds // 60))
        return [f"{self.directive} -r", f"{self.directive} -wa USR1",
                f"{self.directive} -wt {minutes}"]

    def array_job_name(self, job_name: str, size: int, max_running: int) -> str:
        """``logs_1-16[1-16]%2``: bsub takes the range and the limit in the name, which for
        an array may hold only letters, digits and ``. - _``."""
        name = re.sub(r"[^A-Za-z0-9._-]", "_", job_name)
        limit = f"%{max_running}" if max_running else ""
        return f"{name}[{self.array_range(size, 0)}]{limit}"

    def array_lines(self, job_name: str, size: int, max_running: int) -> List[str]:
        """None: the name already makes the job an array."""
        return []
