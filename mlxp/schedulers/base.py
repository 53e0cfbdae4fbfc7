"""The scheduler backend contract, the job description and the job-script renderer.

A backend is a small class of facts about one scheduler (directive prefix, native flags,
submit and cancel commands, job-id pattern, job-name rules). Rendering is a pure function of
a backend and a :class:`JobSpec`; :func:`submit` and :func:`cancel` run the scheduler's
commands through :mod:`mlxp._shell`.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, fields
from typing import ClassVar, List, Optional, Pattern, Sequence, Tuple

from mlxp._shell import ShellResult, run
from mlxp.errors import JobScriptError, SchedulerError, SubmissionError

__all__ = ["JobSpec", "Scheduler", "cancel", "render_script", "submit"]

DEFAULT_SHEBANG = "#!/bin/bash"
#: seconds a submit or cancel command may take; past it the scheduler is taken as unreachable
#: (sbatch keeps retrying a controller that does not answer).
COMMAND_TIMEOUT = 120.0

# Characters a directive value may hold without quotes (shlex's own "safe" set).
_PLAIN_VALUE = re.compile(r"[\w@%+=:,./-]+", re.ASCII)


@dataclass(frozen=True)
class JobSpec:
    """Everything one job script holds; the backend decides how to spell it.

    Args:
        job_name: the name MLXP gives the job, e.g. ``logs/3``; a backend whose scheduler
            refuses some characters changes them (:meth:`Scheduler.job_name`).
        stdout_path: where the scheduler writes the job's stdout (best absolute: schedulers
            resolve relative paths against different directories).
        stderr_path: same, for stderr.
        command: the command's arguments; each one is shell-quoted in the script.
        work_dir: the directory the script ``cd``\\ s into before the command.
        directives: the user's directive lines (``#SBATCH --time=1:00:00``), kept verbatim.
        env_lines: shell lines run before the command (``module load ...``), kept verbatim.
        post_lines: shell lines run after the command, kept verbatim.
        command_prefix: shell text put before the command, verbatim (``srun -n 1``), so that
            ``$SLURM_NTASKS`` and the like still expand inside the job.
        shebang: the script's first line.
    """

    job_name: str
    stdout_path: str
    stderr_path: str
    command: Tuple[str, ...]
    work_dir: str
    directives: Tuple[str, ...] = ()
    env_lines: Tuple[str, ...] = ()
    post_lines: Tuple[str, ...] = ()
    command_prefix: str = ""
    shebang: str = DEFAULT_SHEBANG

    def __post_init__(self) -> None:
        for name in ("command", "directives", "env_lines", "post_lines"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"JobSpec.{name} must be a sequence of strings, not a string")
            object.__setattr__(self, name, tuple(value))
        if not self.command:
            raise JobScriptError("a job needs a command", field="command")
        if not self.shebang.startswith("#!"):
            raise JobScriptError(
                f"the shebang must start with '#!', got {self.shebang!r}", field="shebang"
            )
        # A line break would smuggle extra lines into the script. Command arguments are
        # exempt: a quoted newline is an ordinary character of the argument.
        for spec_field in fields(self):
            if spec_field.name == "command":
                continue
            value = getattr(self, spec_field.name)
            for text in value if isinstance(value, tuple) else (value,):
                if "\n" in text or "\r" in text:
                    raise JobScriptError(
                        f"JobSpec.{spec_field.name} holds a line break: {text!r}",
                        field=spec_field.name,
                    )


class Scheduler:
    """One job scheduler: its directive, native flags, commands and job-id format.

    Subclasses set the class attributes; the methods derive everything else from them and are
    overridden only where a scheduler really differs (LSF reads the script on stdin, OAR takes
    directive values verbatim, the local backend starts the job itself).
    """

    #: registry key, e.g. ``"slurm"``.
    name: ClassVar[str] = ""
    #: directive prefix, e.g. ``"#SBATCH"``; None for a backend without directives.
    directive: ClassVar[Optional[str]] = None
    #: native flags, each with its separator (``"--job-name="``, ``"-N "``).
    job_name_flag: ClassVar[str] = ""
    stdout_flag: ClassVar[str] = ""
    stderr_flag: ClassVar[str] = ""
    #: the submit command without the script, e.g. ``("oarsub", "-S")``.
    submit_command: ClassVar[Tuple[str, ...]] = ()
    #: True when the submit command reads the script on stdin (``bsub < script``).
    reads_script_on_stdin: ClassVar[bool] = False
    #: True when the scheduler runs the file itself, so it must be executable.
    needs_executable_script: ClassVar[bool] = False
    #: the cancel command without the job ids, e.g. ``("scancel",)``.
    cancel_command: ClassVar[Tuple[str, ...]] = ()
    #: finds the job id in the submit command's output; group 1 is the id.
    job_id_pattern: ClassVar[Pattern[str]] = re.compile(r"(?!)")
    #: characters the scheduler refuses in a job name; each becomes ``_``.
    job_name_forbidden: ClassVar[str] = ""
    #: True when a job name must start with a letter (``job_`` is put in front otherwise).
    job_name_starts_with_letter: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    # --- the job script --------------------------------------------------------------------

    def is_directive(self, line: str) -> bool:
        """True if ``line`` is one of this scheduler's directives (``#SBATCH`` then a blank)."""
        prefix = self.directive
        if prefix is None:
            return False
        text = line.lstrip()
        return text.startswith(prefix) and (len(text) == len(prefix) or text[len(prefix)].isspace())

    def job_name(self, log_dir_name: str) -> str:
        """The job name for the run directory ``log_dir_name`` (``logs/3``) that the
        scheduler accepts, e.g. ``logs_3`` for SGE. Whitespace always becomes ``_``."""
        name = "".join(
            "_" if ch.isspace() or ch in self.job_name_forbidden else ch for ch in log_dir_name
        )
        if self.job_name_starts_with_letter and not name[:1].isalpha():
            name = "job_" + name
        return name

    def output_path(self, path: str) -> str:
        """``path`` as the stdout/stderr directive needs it (Slurm escapes its ``%`` patterns)."""
        return path

    def directive_value(self, value: str) -> str:
        """``value`` as one argument of a directive line.

        Directive lines are read by the scheduler's own parser, not by a shell. Double quotes
        are what those parsers understand (verified on Slurm and SGE, the documented form for
        PBS and LSF), and a quote or backslash inside the value has no portable escape.
        """
        if _PLAIN_VALUE.fullmatch(value):
            return value
        if '"' in value or "\\" in value:
            raise JobScriptError(
                f"{self.name} directives cannot hold a value with '\"' or '\\': {value!r}",
                value=value,
            )
        return f'"{value}"'

    def directive_line(self, flag: str, value: str) -> str:
        """One directive line, e.g. ``directive_line("--time=", "1:00:00")``."""
        if self.directive is None:
            raise JobScriptError(f"the {self.name} scheduler has no directives", flag=flag)
        return f"{self.directive} {flag}{self.directive_value(value)}"

    def header_lines(self, spec: JobSpec) -> List[str]:
        """The lines that name the job and send its output to the spec's files.

        The order (name, stderr, stdout) is MLXP's, as in the quick start's OAR example.
        """
        return [
            self.directive_line(self.job_name_flag, self.job_name(spec.job_name)),
            self.directive_line(self.stderr_flag, self.output_path(spec.stderr_path)),
            self.directive_line(self.stdout_flag, self.output_path(spec.stdout_path)),
        ]

    # --- commands --------------------------------------------------------------------------

    def submit_argv(self, script_path: str) -> List[str]:
        """The command that submits ``script_path``."""
        if self.reads_script_on_stdin:
            return list(self.submit_command)
        return [*self.submit_command, script_path]

    def submit_stdin(self, script_path: str) -> Optional[str]:
        """What the submit command reads on stdin: the script's text, or None."""
        if not self.reads_script_on_stdin:
            return None
        with open(script_path, encoding="utf-8") as handle:
            return handle.read()

    def parse_job_id(self, output: str) -> str:
        """The job id in the submit command's ``output``.

        Raises:
            SubmissionError: the output holds no job id.
        """
        found = self.job_id_pattern.search(output)
        if found is None:
            command = self.submit_command[0] if self.submit_command else "the submit command"
            raise SubmissionError(
                f"no {self.name} job id in the output of {command}:\n"
                + _indent(output or "(no output)"),
                output=output,
            )
        return found.group(1)

    def cancel_argv(self, job_ids: Sequence[str]) -> List[str]:
        """The command that cancels ``job_ids`` (one call for all of them)."""
        return [*self.cancel_command, *job_ids]

    def run_submit(self, script_path: str, timeout: Optional[float]) -> ShellResult:
        """Hand ``script_path`` to the scheduler. The local backend starts it itself."""
        return run(
            self.submit_argv(script_path), input=self.submit_stdin(script_path), timeout=timeout
        )

    def run_cancel(self, job_ids: Sequence[str], timeout: Optional[float]) -> ShellResult:
        """Ask the scheduler to cancel ``job_ids``. The local backend signals them itself."""
        return run(self.cancel_argv(job_ids), timeout=timeout)


def render_script(scheduler: Scheduler, spec: JobSpec) -> str:
    """The job script for ``spec`` in ``scheduler``'s syntax; pure: same input, same text.

    Order: shebang; job name, stderr and stdout directives; the user's directives; a blank
    line; the environment lines; ``cd`` to the work dir; the command, each argument quoted;
    the post lines.

    Raises:
        JobScriptError: a user directive is not ``scheduler``'s, or a value cannot be written
            as a directive.
    """
    for line in spec.directives:
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
    command = " ".join(shlex.quote(arg) for arg in spec.command)
    if spec.command_prefix.strip():
        command = f"{spec.command_prefix.strip()} {command}"
    lines = [
        spec.shebang,
        *scheduler.header_lines(spec),
        *spec.directives,
        "",
        *spec.env_lines,
        f"cd {shlex.quote(spec.work_dir)}",
        command,
        *spec.post_lines,
    ]
    return "\n".join(lines) + "\n"


def submit(
    scheduler: Scheduler, script_path: str, *, timeout: Optional[float] = COMMAND_TIMEOUT
) -> Tuple[str, str]:
    """Submit the job script at ``script_path`` and return ``(job_id, output)``.

    ``output`` is everything the submit command printed (stdout, then stderr).

    Raises:
        JobScriptError: the script is missing, or not executable for a scheduler that runs
            it itself (OAR, local).
        SubmissionError: the submit command is not installed, timed out, failed, or printed
            no job id; ``.output`` holds what it printed.
    """
    path = os.path.abspath(script_path)
    if not os.path.isfile(path):
        raise JobScriptError(f"no such job script: {script_path}", path=script_path)
    if scheduler.needs_executable_script and not os.access(path, os.X_OK):
        raise JobScriptError(
            f"{script_path}: {scheduler.name} runs the job script itself, so it must be"
            f" executable\n    chmod +x {shlex.quote(script_path)}",
            path=script_path,
        )
    try:
        result = scheduler.run_submit(path, timeout)
    except (OSError, TimeoutError) as exc:
        raise SubmissionError(
            f"cannot submit {script_path} to {scheduler.name}: {exc}", output="", path=script_path
        ) from exc
    if result.returncode != 0:
        raise SubmissionError(
            f"{scheduler.name} refused {script_path}"
            f" ({result.argv[0]} exited with status {result.returncode}):\n"
            + _indent(result.output or "(no output)"),
            output=result.output,
            returncode=result.returncode,
            path=script_path,
        )
    try:
        return scheduler.parse_job_id(result.output), result.output
    except SubmissionError as exc:
        raise SubmissionError(
            f"{script_path}: {exc}", output=result.output, path=script_path
        ) from exc


def cancel(
    scheduler: Scheduler, job_ids: Sequence[str], *, timeout: Optional[float] = COMMAND_TIMEOUT
) -> None:
    """Cancel ``job_ids`` with one call of the scheduler's cancel command.

    Raises:
        SchedulerError: the command is missing, timed out, or failed (e.g. SGE and OAR refuse
            ids they do not know; Slurm does not); ``.output`` holds what it printed.
    """
    if not job_ids:
        return
    try:
        result = scheduler.run_cancel(list(job_ids), timeout)
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(
            f"cannot cancel {scheduler.name} jobs {' '.join(job_ids)}: {exc}", output=""
        ) from exc
    if result.returncode != 0:
        raise SchedulerError(
            f"{scheduler.name} did not cancel jobs {' '.join(job_ids)}"
            f" ({result.argv[0]} exited with status {result.returncode}):\n"
            + _indent(result.output or "(no output)"),
            output=result.output,
            returncode=result.returncode,
        )


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
