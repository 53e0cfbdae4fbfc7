"""Job scripts: one run's script, and one array job script for many runs; pure functions.

Same input, same text: every value is quoted, the user's directive lines pass through verbatim.
"""

from __future__ import annotations

import shlex
from typing import Sequence

from mlxp.errors import JobScriptError
from mlxp.cluster.schedulers.base import JobSpec, Scheduler

__all__ = ["render_array_script", "render_script"]


def render_script(scheduler: Scheduler, spec: JobSpec) -> str:
    """The job script for ``spec`` in ``scheduler``'s syntax; pure: same input, same text.

    Order: shebang; job name, stderr and stdout directives; the user's directives; a blank
    line; the environment lines; ``cd`` to the work dir; the command, each argument quoted;
    the post lines.

    Raises:
        JobScriptError: a user directive is not ``scheduler``'s, or a value cannot be written
            as a directive.
    """
    _check_directives(scheduler, spec.directives)
    lines = [
        spec.shebang,
        *scheduler.header_lines(spec),
        *spec.directives,
        "",
        *spec.env_lines,
        f"cd {shlex.quote(spec.work_dir)}",
        _command_line(spec),
        *spec.post_lines,
    ]
    return "\n".join(lines) + "\n"


def render_array_script(
    scheduler: Scheduler,
    tasks: Sequence[JobSpec],
    job_name: str,
    output_stem: str,
    max_running: int = 0,
) -> str:
    """One array job script that runs ``tasks[i]`` as the array's i-th task; pure.

    A ``case`` on the scheduler's task-index variable picks the task: it sends the task's
    output to the task's own stdout/stderr files (appending, so a rerun keeps the earlier
    attempts) and sets ``mlxp_command`` to the task's full command line, quoted once more.
    The environment lines, the ``cd`` and the post lines, which all tasks share, follow, and
    ``eval`` runs the command exactly as the task's own job script would. The script needs a
    POSIX shell (sh, bash, zsh, ksh), not csh.

    Args:
        scheduler: the backend.
        tasks: the job of each task; they must share their :attr:`JobSpec.array_key`.
        job_name: the array's name, e.g. ``logs/1-16``.
        output_stem: the scheduler's own stdout/stderr files start with this path.
        max_running: at most this many tasks run at once; 0 for no limit.

    Raises:
        JobScriptError: no tasks, tasks that differ in more than their command and outputs,
            a scheduler without job arrays (or without a limit, for ``max_running``), or a
            directive that is not the scheduler's.
    """
    variable = scheduler.array_index_variable
    if variable is None:
        raise JobScriptError(
            f"the {scheduler.name} scheduler has no job arrays; submit without --array",
            scheduler=scheduler.name,
        )
    if not tasks:
        raise JobScriptError("an array job needs at least one task", field="tasks")
    first = tasks[0]
    if any(task.array_key != first.array_key for task in tasks):
        raise JobScriptError(
            "the tasks of one array job must share their directives, environment, work"
            " directory and post lines",
            field="tasks",
        )
    _check_directives(scheduler, first.directives)
    start = scheduler.array_first_index
    lines = [
        first.shebang,
        *scheduler.array_header_lines(job_name, output_stem, len(tasks), max_running),
        *first.directives,
        "",
        f'case "${variable}" in',
    ]
    for index, task in enumerate(tasks, start=start):
        stdout, stderr = shlex.quote(task.stdout_path), shlex.quote(task.stderr_path)
        lines.append(f"  {index}) exec >>{stdout} 2>>{stderr}")
        lines.append(f"     mlxp_command={shlex.quote(_command_line(task))} ;;")
    last = start + len(tasks) - 1
    lines += [
        f'  *) echo "mlxp: this array has tasks {start}-{last}, not ${{{variable}:-none}}" >&2',
        "     exit 1 ;;",
        "esac",
        *first.env_lines,
        f"cd {shlex.quote(first.work_dir)}",
        'eval "$mlxp_command"',
        *first.post_lines,
    ]
    return "\n".join(lines) + "\n"


def _check_directives(scheduler: Scheduler, directives: Sequence[str]) -> None:
    for line in directives:
        if scheduler.directive is None:
            if not line.lstrip().startswith("#"):
                raise JobScriptError(
                    f"the {scheduler.name} scheduler takes no directives, got {line!r}",
                    line_text=line,
                )
        elif not scheduler.is_directive(line):
            raise JobScriptError(
                f"{line!r} is not a {scheduler.directive} directive for {scheduler.name}",
                line_text=line,
            )


def _command_line(spec: JobSpec) -> str:
    """The command as one shell line: the prefix verbatim, each argument quoted."""
    command = " ".join(shlex.quote(arg) for arg in spec.command)
    if spec.command_prefix.strip():
        command = f"{spec.command_prefix.strip()} {command}"
    return command
