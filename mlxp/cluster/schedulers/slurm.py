"""SLURM: ``#SBATCH`` directives, ``sbatch`` / ``scancel``."""

from __future__ import annotations

import re
from typing import List, Sequence

from mlxp.cluster.schedulers.base import Scheduler

__all__ = ["SlurmScheduler"]


class SlurmScheduler(Scheduler):
    """SLURM. ``sbatch job.sh`` prints ``Submitted batch job 1234``; ``scancel 1234``.

    Slurm reads ``#SBATCH`` lines only before the script's first command, which is where the
    rendered script puts them.
    """

    name = "slurm"
    directive = "#SBATCH"
    job_name_flag = "--job-name="
    stdout_flag = "--output="
    stderr_flag = "--error="
    submit_command = ("sbatch",)
    cancel_command = ("scancel",)
    # --states=all keeps finished jobs listed for MinJobAge (300 s) after their end.
    status_command = ("squeue", "--noheader", "--states=all", "--format=%i|%T")
    status_pattern = re.compile(r"^\s*(?P<id>[^|\s]+)\|(?P<state>[A-Z_]+)\s*$", re.MULTILINE)
    # A single forgotten id makes squeue fail; in a list of several it is left out.
    unknown_job_pattern = re.compile(r"Invalid job id specified")
    final_states = frozenset(
        "BOOT_FAIL CANCELLED COMPLETED DEADLINE FAILED NODE_FAIL OUT_OF_MEMORY PREEMPTED"
        " REVOKED SPECIAL_EXIT TIMEOUT".split()
    )
    job_id_pattern = re.compile(r"^Submitted batch job (\d+)\s*$", re.MULTILINE)
    job_id_shape = re.compile(r"[0-9]+(?:_[0-9]+)?")
    job_id_example = "1234 or 1234_5 (an array task)"
    array_index_variable = "SLURM_ARRAY_TASK_ID"
    job_id_variable = "SLURM_JOB_ID"
    requeue_command = ("scontrol", "requeue")
    array_output_pattern = "%A_%a"  # the array's id, the task's index

    def array_lines(self, job_name: str, size: int, max_running: int) -> List[str]:
        """``--array=0-15%2``: tasks 0 to 15, at most 2 running at once."""
        return [self.directive_line("--array=", self.array_range(size, max_running))]

    def requeue_lines(self, warning_seconds: int) -> List[str]:
        """Requeueable, SIGUSR1 to the batch shell before the end, and logs that keep growing
        across restarts (Slurm truncates them otherwise)."""
        return [f"{self.directive} --requeue",
                self.directive_line("--signal=", f"B:USR1@{warning_seconds}"),
                self.directive_line("--open-mode=", "append")]

    def status_argv(self, job_ids: Sequence[str]) -> List[str]:
        """``squeue ... --jobs=1,2,3``: squeue takes the ids as one comma-separated list."""
        return [*self.status_command, f"--jobs={','.join(job_ids)}"]

    def output_path(self, path: str) -> str:
        """Slurm expands ``%j``, ``%A`` ... in file names; ``%%`` keeps a literal ``%``."""
        return path.replace("%", "%%")
