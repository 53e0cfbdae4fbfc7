"""OAR: ``#OAR`` directives, ``oarsub -S`` / ``oardel``."""

from __future__ import annotations

import os
import re
from typing import List, Optional, Sequence, Tuple

from mlxp._shell import ShellResult, run
from mlxp.errors import JobScriptError
from mlxp.cluster.schedulers.base import Scheduler

__all__ = ["OarScheduler"]

# oarsub refuses any other character in -O/-E paths ("Invalid stdout file name (bad
# character)", OAR 2.5 OAR/IO.pm).
_OAR_PATH = re.compile(r"[a-zA-Z0-9_./\-%\\ ]+")
_ARRAY_ID = re.compile(r"^OAR_ARRAY_ID=(\d+)\s*$", re.MULTILINE)


class OarScheduler(Scheduler):
    """OAR. ``oarsub -S job.sh`` prints ``[ADMISSION RULE] ...`` lines then ``OAR_JOB_ID=42``.

    ``-S`` makes oarsub read the ``#OAR`` lines and then run the file itself, so the script
    must be executable: oarsub accepts a non-executable one and the job then fails with
    "Permission denied". oarsub takes a directive's value as the rest of the line, verbatim:
    spaces need no quotes, and quotes are kept as part of the value (and refused in paths).
    ``-S`` takes a command line, split at blanks with no quoting, so the script is submitted
    as ``./script.sh`` from its own directory (which becomes the job's starting directory).
    An array job prints one ``OAR_JOB_ID=`` line per sub-job; the first is returned.
    """

    name = "oar"
    directive = "#OAR"
    job_name_flag = "-n "
    stdout_flag = "-O "
    stderr_flag = "-E "
    submit_command = ("oarsub", "-S")
    needs_executable_script = True
    cancel_command = ("oardel",)
    # ``oarstat -s -j 1 -j 2`` prints ``1: Running``, also for ended jobs; nothing for unknown ids.
    status_command = ("oarstat", "-s")
    status_pattern = re.compile(r"^(?P<id>\d+): (?P<state>\w+)\s*$", re.MULTILINE)
    final_states = frozenset({"Terminated", "Error"})
    job_id_pattern = re.compile(r"^OAR_JOB_ID=(\d+)\s*$", re.MULTILINE)
    job_id_shape = re.compile(r"[0-9]+")
    job_id_example = "1234"
    array_index_variable = "OAR_ARRAY_INDEX"
    array_first_index = 1
    array_output_pattern = "%jobid%"  # each task is a job of its own

    def array_lines(self, job_name: str, size: int, max_running: int) -> List[str]:
        """``--array 16``. OAR has no limit on the running tasks of an array: refused."""
        if max_running:
            raise JobScriptError(
                f"OAR cannot limit how many tasks of an array run at once (oarsub --array has"
                f" no throttle), so max_running={max_running} cannot be kept\n    drop"
                " --max-running (mlxp.scheduler.max_running), or limit your jobs with an OAR"
                " admission rule or a container job",
                scheduler=self.name,
            )
        return [self.directive_line("--array ", str(size))]

    def array_task_ids(self, job_id: str, output: str, size: int) -> Tuple[str, List[str]]:
        """oarsub prints each task's own ``OAR_JOB_ID=`` line, then ``OAR_ARRAY_ID=``."""
        array = _ARRAY_ID.search(output)
        return (array.group(1) if array else job_id), self.job_id_pattern.findall(output)

    def status_argv(self, job_ids: Sequence[str]) -> List[str]:
        """``oarstat -s -j 1 -j 2``: oarstat wants one ``-j`` per id."""
        return [*self.status_command, *(arg for job_id in job_ids for arg in ("-j", job_id))]

    def directive_value(self, value: str) -> str:
        """The value verbatim: oarsub would keep quotes as part of it."""
        return value

    def output_path(self, path: str) -> str:
        """``path`` checked against the characters oarsub accepts in ``-O``/``-E``."""
        if not _OAR_PATH.fullmatch(path):
            raise JobScriptError(
                f"oarsub refuses this stdout/stderr path: {path!r}\n"
                "    OAR accepts only letters, digits, spaces and _ . / - % \\ in it;"
                " choose a log directory without other characters",
                value=path,
            )
        return path

    def run_submit(self, script_path: str, timeout: Optional[float]) -> ShellResult:
        """``oarsub -S ./<name>`` from the script's directory, whose path may hold blanks.

        oarsub takes the job's launching directory from ``$PWD``, not from the process's
        working directory, so both are set.
        """
        directory, name = os.path.split(script_path)
        if any(ch.isspace() for ch in name):
            raise JobScriptError(
                f"oarsub cannot run a job script whose file name holds a blank: {name!r}",
                path=script_path,
            )
        directory = directory or os.getcwd()
        env = {**os.environ, "PWD": directory}
        return run(self.submit_argv(f"./{name}"), cwd=directory, env=env, timeout=timeout)
