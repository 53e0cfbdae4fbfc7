"""``mlxpsub --rerun DIR --query Q``: submit chosen runs again, each into its own directory.

Each run's ``script.sh`` already pins its directory; it is read back into the job it
describes, ``mlxp.resume=true`` is added to the command (the run continues: metrics appended,
``resumes`` counted), and the run goes back to STARTING before :mod:`mlxp.cluster.submit`
submits it, alone or in an array.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
from typing import Any, Dict, List, Sequence, Set, Tuple

from mlxp import _layout
from mlxp.cluster.jobs import LAST_JOB_ARGUMENT, Job, RunFiles, check_array_options
from mlxp.cluster.schedulers import JobSpec, Scheduler, get_scheduler, query_states, render_script
from mlxp.cluster.schedulers.base import GONE
from mlxp.cluster.submit import submit_jobs
from mlxp.errors import JobScriptError, MLXPError, UsageError
from mlxp.logger import read_metadata

__all__ = ["RESUME", "read_job_spec", "rerun_runs"]

RESUME = "mlxp.resume=true"
_PROBE = JobSpec("probe", "/probe", "/probe", ("true",), "/")


def rerun_runs(parent_log_dir: str, query: str, array: bool, max_running: int,
               dry_run: bool) -> int:
    """Resubmit the runs under ``parent_log_dir`` that ``query`` selects; the exit code.

    Every selected run is checked before anything is written. Returns 0 when all were
    submitted (or none matched), 1 when a submission was refused, 2 when a run cannot be
    rerun (still queued or running, no ``script.sh``, an edited script).
    """
    try:
        jobs = _plan(parent_log_dir, query, array, max_running)
    except MLXPError as error:
        print(f"mlxpsub: error: {error}", file=sys.stderr)
        return error.exit_code
    if not jobs:
        print(f"mlxpsub: no run under {parent_log_dir} matches {query!r}: nothing to submit",
              file=sys.stderr)
        return 0
    return submit_jobs(jobs, dry_run)


def _plan(parent_log_dir: str, query: str, array: bool, max_running: int) -> List[Job]:
    from mlxp.reader import Reader  # the query language and the run index

    if not os.path.isdir(parent_log_dir):
        raise UsageError(f"--rerun: no such directory: {parent_log_dir}")
    rows = Reader(parent_log_dir).filter(query)
    log_dirs = [row.log_dir for row in rows]
    infos = [(read_metadata(log_dir, _layout.INFO_FILE) or {}) for log_dir in log_dirs]
    busy = _still_queued_or_running(log_dirs, infos)
    if busy:
        raise UsageError(
            f"{len(busy)} of the selected runs may still be queued or running: {', '.join(busy)}"
            "\n    a second job in the same directory would mix their results; select ended"
            " runs, e.g. --query \"info.status == 'FAILED'\", or cancel them first",
        )
    checked: Set[Tuple[str, int]] = set()
    jobs = []
    for log_dir, info in zip(log_dirs, infos):
        job = _job_of(log_dir, info, array, max_running)
        if (job.scheduler.name, job.max_array_size) not in checked:
            check_array_options(job.scheduler, array, max_running, job.max_array_size)
            checked.add((job.scheduler.name, job.max_array_size))
        jobs.append(job)
    return jobs


def _still_queued_or_running(log_dirs: Sequence[str], infos: Sequence[Dict[str, Any]]
                             ) -> List[str]:
    """The STARTING or RUNNING runs whose job the scheduler may still run, described.

    A run left RUNNING by a job killed outright (SIGKILL, out of memory, a node that died)
    can be rerun: its scheduler, asked once for all such jobs, no longer lists the job as
    queued or running. A job that cannot be asked about counts as running.
    """
    jobs: Dict[str, List[Tuple[str, str, str]]] = {}
    busy = []
    for log_dir, info in zip(log_dirs, infos):
        status = info.get("status")
        if status not in (_layout.STARTING, _layout.RUNNING):
            continue
        where = _layout.display_path(log_dir)
        entry = info.get("scheduler") or {}
        if entry.get("name") and entry.get("job_id"):
            jobs.setdefault(entry["name"], []).append((where, status, str(entry["job_id"])))
        else:
            busy.append(f"{where} ({status}, no job id to ask its scheduler about)")
    for name, runs in jobs.items():
        scheduler = get_scheduler(name)
        states = query_states(scheduler, [job_id for _, _, job_id in runs])
        busy += [f"{where} ({status}, {name} job {job_id}: {states.get(job_id, GONE)})"
                 for where, status, job_id in runs
                 if scheduler.is_active(states.get(job_id, GONE))]
    return busy


def _job_of(log_dir: str, info: Dict[str, Any], array: bool, max_running: int) -> Job:
    """The job that continues the run in ``log_dir``: its own script, resumed."""
    where = _layout.display_path(log_dir)
    section = (read_metadata(log_dir, _layout.SETTINGS_FILE) or {}).get("scheduler") or {}
    name = (info.get("scheduler") or {}).get("name") or section.get("name")
    script_path = os.path.join(log_dir, _layout.JOB_SCRIPT)
    if not name or not os.path.isfile(script_path):
        raise UsageError(
            f"{where} was not submitted to a scheduler (no scheduler in its metadata, or no"
            f" {_layout.JOB_SCRIPT}): continue it with python <your script> <its overrides>"
            f" mlxp.logger.forced_log_id={os.path.basename(log_dir)} {RESUME}",
        )
    scheduler = get_scheduler(name)
    with open(script_path, encoding="utf-8") as stream:
        spec = read_job_spec(scheduler, stream.read(), log_dir)
    command = tuple(word for word in spec.command[:-1] if not word.startswith("mlxp.resume="))
    spec = dataclasses.replace(spec, command=(*command, RESUME, spec.command[-1]))
    script = render_script(scheduler, spec)
    restarted = RunFiles({**info, "status": _layout.STARTING, "error": None}, {})
    return Job(scheduler, log_dir, spec, script, lambda: restarted, array, max_running,
               int(section.get("max_array_size") or 1000))


def read_job_spec(scheduler: Scheduler, text: str, log_dir: str) -> JobSpec:
    """The job whose rendering is ``text``: the ``script.sh`` submit mode wrote in ``log_dir``.

    The layout is :func:`~mlxp.cluster.schedulers.render_script`'s; the command is the line that
    ends with submit mode's last argument, after the ``cd`` line. The result is checked by
    rendering it again, so a script that was edited by hand is refused, never misread.

    Raises:
        JobScriptError: ``text`` is not a script that submit mode rendered for ``log_dir``.
    """
    try:
        spec = _parse_rendered(scheduler, text, log_dir)
        same = render_script(scheduler, spec) == text
    except ValueError:  # no such line, a lone quote, or a JobSpec that cannot be
        same = False
    if not same:
        path = os.path.join(log_dir, _layout.JOB_SCRIPT)
        raise JobScriptError(
            f"{_layout.display_path(path)} is not the job script mlxp wrote for this run"
            " (edited by hand, or its directory moved), so it cannot be resubmitted safely"
            f"\n    submit it yourself after adding {RESUME} to its python command",
            path=path,
        )
    return spec


def _parse_rendered(scheduler: Scheduler, text: str, log_dir: str) -> JobSpec:
    lines = text.split("\n")
    start = 1 + len(scheduler.header_lines(_PROBE))
    blank = lines.index("", start)
    end = max(i for i, line in enumerate(lines) if line.endswith(" " + LAST_JOB_ARGUMENT))
    cd = max(i for i in range(blank + 1, end) if lines[i].startswith("cd "))
    cd_words = shlex.split(lines[cd])
    if len(cd_words) != 2:
        raise ValueError(lines[cd])
    prefix, command = _split_prefix("\n".join(lines[cd + 1:end + 1]))
    if command[-1] != LAST_JOB_ARGUMENT:
        raise ValueError(command[-1])
    parent = os.path.dirname(log_dir)
    return JobSpec(
        job_name=f"{os.path.basename(parent)}/{os.path.basename(log_dir)}",
        stdout_path=os.path.join(log_dir, _layout.STDOUT_FILE),
        stderr_path=os.path.join(log_dir, _layout.STDERR_FILE),
        command=command,
        work_dir=cd_words[1],
        directives=tuple(lines[start:blank]),
        env_lines=tuple(lines[blank + 1:cd]),
        post_lines=tuple(lines[end + 1:-1]),
        command_prefix=prefix,
        shebang=lines[0],
    )


def _split_prefix(line: str) -> Tuple[str, Tuple[str, ...]]:
    """``(verbatim prefix, command)`` of a rendered command line: the command is the longest
    tail of words that, each quoted, reads exactly as written."""
    words = shlex.split(line)
    for first in range(len(words)):
        tail = " ".join(shlex.quote(word) for word in words[first:])
        if line == tail:
            return "", tuple(words)
        if line.endswith(" " + tail):
            return line[: -len(tail) - 1], tuple(words[first:])
    raise ValueError(line)

