"""The local backend: the job script runs in the background on this machine."""

from __future__ import annotations

import os
import re
import shlex
import signal
from typing import List, Optional, Sequence

from mlxp._shell import ShellResult, spawn_background
from mlxp.schedulers.base import JobSpec, Scheduler

__all__ = ["LocalScheduler"]


class LocalScheduler(Scheduler):
    """Runs the job script in the background, detached from the submitting terminal.

    The script is executed directly, so its ``#!`` line picks the shell (it must be
    executable); it sends its own output to the spec's files with ``exec``, so running it by
    hand logs the same way. The job id is the pid, which is also the id of the job's process
    group: cancelling sends SIGTERM to the whole group.
    """

    name = "local"
    directive = None
    needs_executable_script = True
    job_id_pattern = re.compile(r"^(\d+)$", re.MULTILINE)

    def header_lines(self, spec: JobSpec) -> List[str]:
        """An ``exec`` redirection in place of directives."""
        return [f"exec >{shlex.quote(spec.stdout_path)} 2>{shlex.quote(spec.stderr_path)}"]

    def submit_argv(self, script_path: str) -> List[str]:
        """The script itself: its ``#!`` line names the interpreter."""
        return [script_path]

    def run_submit(self, script_path: str, timeout: Optional[float]) -> ShellResult:
        """Start the script and report its pid as the output."""
        argv = self.submit_argv(script_path)
        pid = spawn_background(argv, cwd=os.path.dirname(script_path) or None)
        return ShellResult(tuple(argv), 0, f"{pid}\n", "")

    def cancel_argv(self, job_ids: Sequence[str]) -> List[str]:
        """The equivalent ``kill`` command (:meth:`run_cancel` signals without it)."""
        return ["kill", "-TERM", "--", *(f"-{job_id}" for job_id in job_ids)]

    def run_cancel(self, job_ids: Sequence[str], timeout: Optional[float]) -> ShellResult:
        """SIGTERM each job's process group; a job that has already ended is reported."""
        gone = []
        for job_id in job_ids:
            try:
                os.killpg(int(job_id), signal.SIGTERM)
            except (ValueError, ProcessLookupError):
                gone.append(job_id)
        argv = tuple(self.cancel_argv(job_ids))
        errors = "".join(f"kill: ({job_id}) - No such process\n" for job_id in gone)
        return ShellResult(argv, 1 if gone else 0, "", errors)
