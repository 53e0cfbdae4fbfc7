"""The local backend: the job script runs in the background on this machine."""

from __future__ import annotations

import os
import re
import shlex
import signal
from typing import Dict, List, Optional, Sequence

from mlxp._shell import ShellResult, spawn_background
from mlxp.schedulers.base import GONE, JobSpec, Scheduler

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
    # ``ps -o pid=,stat= -p 1,2`` (Linux and BSD): a row per live pid, exit 1 if none is.
    status_command = ("ps", "-o", "pid=,stat=")
    status_pattern = re.compile(r"^\s*(?P<id>\d+)\s+(?P<state>\S+)", re.MULTILINE)
    unknown_job_pattern = re.compile(r"\A\Z")
    final_states = frozenset({"ended"})
    array_index_variable = "MLXP_ARRAY_TASK_ID"

    def array_header_lines(
        self, job_name: str, output_stem: str, size: int, max_running: int
    ) -> List[str]:
        """Started without a task index, the script runs each task itself (``"$0"`` with the
        index set), ``max_running`` at a time, one after another for 0: every task of a
        local array shares this machine."""
        stdout, stderr = (shlex.quote(f"{output_stem}.{name}") for name in ("stdout", "stderr"))
        variable = self.array_index_variable
        return [
            f'if [ -z "${{{variable}:-}}" ]; then',
            f"  exec >>{stdout} 2>>{stderr}",
            f'  seq 0 {size - 1} | xargs -P {max(max_running, 1)} -I{{}} env {variable}={{}} "$0"',
            "  exit",
            "fi",
        ]

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

    def status_argv(self, job_ids: Sequence[str]) -> List[str]:
        """``ps -o pid=,stat= -p 1,2``: the job ids are pids (an array task's, ``12_3``, is
        its array's pid and its index)."""
        pids = dict.fromkeys(job_id.split("_")[0] for job_id in job_ids)
        return [*self.status_command, "-p", ",".join(pids)]

    def parse_status(self, output: str, job_ids: Sequence[str]) -> Dict[str, str]:
        """``running``, or ``ended`` for a zombie: it exited and awaits its parent's reaping."""
        states = super().parse_status(output, job_ids)
        return {
            job_id: state if state == GONE else ("ended" if state.startswith("Z") else "running")
            for job_id, state in states.items()
        }

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
