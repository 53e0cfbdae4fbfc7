"""The local backend: the job script runs in the background on this machine."""

from __future__ import annotations

import os
import re
import shlex
import signal
from typing import Any, Dict, List, Mapping, Optional, Sequence

from mlxp._process import check_local_pid, group_leader_start
from mlxp._shell import ShellResult, spawn_background
from mlxp.errors import SchedulerError
from mlxp.cluster.schedulers.base import GONE, JobSpec, Scheduler

__all__ = ["LocalScheduler"]


class LocalScheduler(Scheduler):
    """Runs the job script in the background, detached from the submitting terminal.

    The script is executed directly, so its ``#!`` line picks the shell (it must be
    executable); it sends its own output to the spec's files with ``exec``, so running it by
    hand logs the same way. The job id is the pid, which is also the id of the job's process
    group: cancelling sends SIGTERM to the whole group, but only while that group's leader
    is the process started then: its start time is recorded with the id (``job_start_time``)
    and checked again before the signal, so a pid reused by another process is left alone.
    """

    name = "local"
    directive = None
    needs_executable_script = True
    job_id_pattern = re.compile(r"^(\d+)$", re.MULTILINE)
    _start_pattern = re.compile(r"^process start time: (\S+)$", re.MULTILINE)
    job_id_shape = re.compile(r"[0-9]+(?:_[0-9]+)?")
    job_id_example = "4242 or 4242_3 (a process id)"
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
        """Start the script; the output is its pid, then the start time that identifies it."""
        argv = self.submit_argv(script_path)
        started: List[Optional[str]] = []
        pid = spawn_background(argv, cwd=os.path.dirname(script_path) or None,
                               while_unreaped=lambda pid: started.append(group_leader_start(pid)))
        output = f"{pid}\n" + (f"process start time: {started[0]}\n" if started[0] else "")
        return ShellResult(tuple(argv), 0, output, "")

    def check_job_id(self, job_id: str) -> str:
        """``job_id`` if it is a process id above 1 (``kill(-1)`` signals every process).

        Raises:
            SchedulerError: it is not; ``.job_id`` holds it.
        """
        try:
            check_local_pid(job_id)
        except (TypeError, ValueError) as exc:
            raise SchedulerError(
                f"{job_id!r} is not a valid local job id: {exc}; correct scheduler.job_id in the"
                " run's metadata/info.yaml",
                job_id=job_id, scheduler=self.name,
            ) from exc
        return job_id

    def job_fields(self, job_id: str, output: str) -> Dict[str, str]:
        """``job_start_time``: when the job's process started, so that a later process
        given the same pid is never taken for it."""
        found = self._start_pattern.search(output)
        return {"job_start_time": found.group(1)} if found else {}

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

    def proven_gone(self, job_id: str, fields: Mapping[str, Any]) -> bool:
        """True if a start time was recorded and the job's pid no longer leads a group that
        started then: the job ended, and ``ps`` would describe another process."""
        recorded = fields.get("job_start_time")
        return bool(recorded) and group_leader_start(check_local_pid(job_id)) != recorded

    def run_cancel(self, job_ids: Sequence[str], timeout: Optional[float],
                   fields: Mapping[str, Mapping[str, Any]]) -> ShellResult:
        """SIGTERM each job's process group if its leader is still the job's own process.

        A job is signalled only when its id is a pid above 1, that pid leads its process
        group, and it started when ``fields[job_id]["job_start_time"]`` says; any other job
        is reported and left alone (it ended, and its pid may be another process's now).
        """
        refused = []
        for pid, job_id in {check_local_pid(job_id): job_id for job_id in job_ids}.items():
            recorded = (fields.get(job_id) or {}).get("job_start_time")
            if not recorded:
                refused.append(f"kill: ({job_id}) - not signalled: no start time was recorded"
                               f" with this job, so process {pid} cannot be proven to be it")
                continue
            if group_leader_start(pid) != recorded:
                refused.append(f"kill: ({job_id}) - not signalled: process {pid} is not the"
                               " job's any more (it started at another time, or leads no"
                               " process group): the job has ended")
                continue
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                refused.append(f"kill: ({job_id}) - No such process")
        argv = tuple(self.cancel_argv(job_ids))
        return ShellResult(argv, 1 if refused else 0, "", "".join(f"{line}\n" for line in refused))
