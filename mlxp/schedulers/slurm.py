"""SLURM: ``#SBATCH`` directives, ``sbatch`` / ``scancel``."""

from __future__ import annotations

import re

from mlxp.schedulers.base import Scheduler

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
    job_id_pattern = re.compile(r"^Submitted batch job (\d+)\s*$", re.MULTILINE)

    def output_path(self, path: str) -> str:
        """Slurm expands ``%j``, ``%A`` ... in file names; ``%%`` keeps a literal ``%``."""
        return path.replace("%", "%%")
