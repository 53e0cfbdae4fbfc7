"""The scheduler backend contract and the job description.

A backend is a small class of facts about one scheduler (directive prefix, native flags,
submit and cancel commands, job-id pattern, job-name rules); :class:`JobSpec` is what one job
script holds. Rendering is in ``_render.py``, running the commands in ``_commands.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import (Any, ClassVar, Dict, FrozenSet, List, Mapping, Optional, Pattern, Sequence,
                    Tuple)

from mlxp._shell import ShellResult, run
from mlxp.errors import JobScriptError, SchedulerError, SettingsError, SubmissionError

__all__ = ["GONE", "JobSpec", "Scheduler"]

DEFAULT_SHEBANG = "#!/bin/bash"
#: the state of a job its scheduler no longer lists: it has ended (its run's status says how)
#: or never existed. Slurm forgets finished jobs after MinJobAge (300 s), SGE and Moab at once.
GONE = "gone"

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

    @property
    def array_key(self) -> Tuple[object, ...]:
        """What the tasks of one array job share: everything but the name, outputs and command."""
        return (self.work_dir, self.directives, self.env_lines, self.post_lines,
                self.command_prefix, self.shebang)


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
    #: the whole of a valid job id (a task's too), checked before an id reaches a command:
    #: never a leading ``-`` (an option), a blank or a shell character.
    job_id_shape: ClassVar[Pattern[str]] = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\[\]-]*")
    #: valid ids, as error messages show them.
    job_id_example: ClassVar[str] = "1234"
    #: characters the scheduler refuses in a job name; each becomes ``_``.
    job_name_forbidden: ClassVar[str] = ""
    #: True when a job name must start with a letter (``job_`` is put in front otherwise).
    job_name_starts_with_letter: ClassVar[bool] = False
    #: the status command without job ids; one call answers for many jobs.
    status_command: ClassVar[Tuple[str, ...]] = ()
    #: True when the status command takes no ids and lists every job (SGE's ``qstat -u '*'``).
    status_lists_all: ClassVar[bool] = False
    #: one job in the status command's output (multi-line); named groups ``id`` and ``state``.
    status_pattern: ClassVar[Pattern[str]] = re.compile(r"(?!)")
    #: what the status command prints when it fails only because it no longer knows an id.
    unknown_job_pattern: ClassVar[Pattern[str]] = re.compile(r"(?!)")
    #: states of a job that has ended but is still listed (Slurm's ``COMPLETED``, OAR's ``Error``).
    final_states: ClassVar[FrozenSet[str]] = frozenset()
    #: the variable that holds an array task's index inside the job; None: no job arrays.
    array_index_variable: ClassVar[Optional[str]] = None
    #: the index of an array's first task (SGE, LSF and OAR count from 1).
    array_first_index: ClassVar[int] = 0
    #: the scheduler's own pattern that makes an array task's output file name unique.
    array_output_pattern: ClassVar[str] = ""
    #: how one task's id is written, from the array's id and the task's index.
    array_task_id_format: ClassVar[str] = "{job_id}_{index}"
    #: the environment variable that holds a running job's own id.
    job_id_variable: ClassVar[Optional[str]] = None
    #: the command that puts a running job back in the queue, without the id; () if none.
    requeue_command: ClassVar[Tuple[str, ...]] = ()

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

    def requeue_lines(self, warning_seconds: int) -> List[str]:
        """Directives that make the job requeueable and warn it (SIGUSR1) before it is stopped.

        Raises:
            SettingsError: mlxp cannot requeue this scheduler's jobs.
        """
        raise SettingsError(
            f"mlxp.scheduler.requeue is not supported for {self.name}; it works with slurm,"
            " sge, torque and lsf", key="scheduler.requeue")

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

    def check_job_id(self, job_id: str) -> str:
        """``job_id`` if it has the shape of this scheduler's ids (:attr:`job_id_shape`).

        Ids come from ``info.yaml``, a file anyone may edit: ``-a`` would be read as an option.

        Raises:
            SchedulerError: it has not; ``.job_id`` holds it.
        """
        if not (isinstance(job_id, str) and self.job_id_shape.fullmatch(job_id)):
            raise SchedulerError(
                f"{job_id!r} is not a valid {self.name} job id (ids look like"
                f" {self.job_id_example}); correct scheduler.job_id in the run's"
                " metadata/info.yaml",
                job_id=job_id, scheduler=self.name,
            )
        return job_id

    def cancel_argv(self, job_ids: Sequence[str]) -> List[str]:
        """The command that cancels ``job_ids`` (one call for all of them)."""
        return [*self.cancel_command, *job_ids]

    def run_submit(self, script_path: str, timeout: Optional[float]) -> ShellResult:
        """Hand ``script_path`` to the scheduler. The local backend starts it itself."""
        return run(
            self.submit_argv(script_path), input=self.submit_stdin(script_path), timeout=timeout
        )

    def job_fields(self, job_id: str, output: str) -> Dict[str, str]:
        """What ``info.yaml`` keeps with a submitted job's id besides it, from the submit
        command's ``output``: the local backend's ``job_start_time``."""
        return {}

    def proven_gone(self, job_id: str, fields: Mapping[str, Any]) -> bool:
        """True when the job's own record (``fields``, see :meth:`job_fields`) proves it has
        ended, without asking the scheduler: a local job whose pid is another process's now."""
        return False

    def run_cancel(self, job_ids: Sequence[str], timeout: Optional[float],
                   fields: Mapping[str, Mapping[str, Any]]) -> ShellResult:
        """Ask the scheduler to cancel ``job_ids``. The local backend signals them itself,
        after checking each one against its ``fields`` (see :meth:`job_fields`)."""
        return run(self.cancel_argv(job_ids), timeout=timeout)

    # --- job states (see query_states) -------------------------------------------------------

    def status_argv(self, job_ids: Sequence[str]) -> List[str]:
        """The command that lists the states of ``job_ids`` (one call for all of them)."""
        if self.status_lists_all:
            return list(self.status_command)
        return [*self.status_command, *job_ids]

    def parse_status(self, output: str, job_ids: Sequence[str]) -> Dict[str, str]:
        """The state of each of ``job_ids`` in the status command's ``output``; GONE if unlisted.

        Array jobs are matched loosely, because schedulers list them in several shapes: an
        array's id gets the states of its listed tasks (``7`` from ``7_0`` and ``7_[2-3]``), a
        task id the state of its own line, of a pending range holding it, or of its array's
        line (SGE lists tasks under the array's id).
        """
        listed = [(m.group("id"), m.group("state")) for m in self.status_pattern.finditer(output)]
        return {job_id: _state_of(job_id, listed) for job_id in job_ids}

    def is_active(self, state: str) -> bool:
        """True while a job in ``state`` may still run, or is still being stopped."""
        return state != GONE and state not in self.final_states

    # --- job arrays (see render_array_script) ------------------------------------------------

    def array_job_name(self, job_name: str, size: int, max_running: int) -> str:
        """The name of an array job of ``size`` tasks (LSF also puts the range in it)."""
        return self.job_name(job_name)

    def array_lines(self, job_name: str, size: int, max_running: int) -> List[str]:
        """The directives that make the job an array of ``size`` tasks, at most
        ``max_running`` of them at once (0: no limit).

        Raises:
            JobScriptError: the scheduler has no job arrays, or no limit on running tasks.
        """
        raise JobScriptError(
            f"mlxp does not know how to submit {self.name} job arrays; submit without --array"
            " (one job per run)",
            scheduler=self.name,
        )

    def array_header_lines(
        self, job_name: str, output_stem: str, size: int, max_running: int
    ) -> List[str]:
        """Name, stderr and stdout directives of an array job, then its array directives.

        The scheduler's own output files are ``<output_stem>.<pattern>.stdout``: each task
        sends its output to its run directory, so these hold only what comes before that.
        """
        pattern = f".{self.array_output_pattern}" if self.array_output_pattern else ""
        stem = self.output_path(output_stem) + pattern
        name = self.array_job_name(job_name, size, max_running)
        return [
            self.directive_line(self.job_name_flag, name),
            self.directive_line(self.stderr_flag, stem + ".stderr"),
            self.directive_line(self.stdout_flag, stem + ".stdout"),
            *self.array_lines(job_name, size, max_running),
        ]

    def array_range(self, size: int, max_running: int) -> str:
        """``first-last`` of ``size`` tasks, with ``%max_running`` when there is a limit."""
        first = self.array_first_index
        limit = f"%{max_running}" if max_running else ""
        return f"{first}-{first + size - 1}{limit}"

    def array_task_ids(self, job_id: str, output: str, size: int) -> Tuple[str, List[str]]:
        """``(array id, each task's id)`` of a submitted array, from its job id and output."""
        first = self.array_first_index
        return job_id, [
            self.array_task_id_format.format(job_id=job_id, index=index)
            for index in range(first, first + size)
        ]


def _state_of(job_id: str, listed: Sequence[Tuple[str, str]]) -> str:
    """``job_id``'s state among the ``(listed id, state)`` pairs; see ``parse_status``."""
    own = [state for listed_id, state in listed if _covers(listed_id, job_id)]
    tasks = [state for listed_id, state in listed if _array_of(listed_id) == job_id]
    array = [state for listed_id, state in listed if listed_id == _array_of(job_id)]
    found = own or tasks or array
    return ",".join(dict.fromkeys(found)) if found else GONE


# An array task (``7_3``, ``7.3``, ``7[3]``) or a range of them (``7_[2-3,5%2]``, ``7[1-4]``).
_ARRAY_TASK = re.compile(r"(\d+)([_.]?)\[?([\d,:%-]*)\]?")


def _array_of(job_id: str) -> Optional[str]:
    """The array's id of a task id (``7`` for ``7_3``), None for a plain job id."""
    found = _ARRAY_TASK.fullmatch(job_id)
    return found.group(1) if found and found.group(3) else None


def _covers(listed_id: str, job_id: str) -> bool:
    """True if ``listed_id`` is ``job_id``, or a range of array tasks that holds it."""
    if listed_id == job_id:
        return True
    listed, wanted = _ARRAY_TASK.fullmatch(listed_id), _ARRAY_TASK.fullmatch(job_id)
    if not (listed and wanted and "[" in listed_id and wanted.group(3).isdigit()):
        return False
    if listed.group(1, 2) != wanted.group(1, 2):
        return False
    index = int(wanted.group(3))
    for part in listed.group(3).split("%")[0].split(","):  # "%2" caps running tasks (Slurm)
        bounds, _, step = part.partition(":")  # "1-4:2" (SGE's step)
        first, _, last = bounds.partition("-")
        last, step = last or first, step or "1"
        if not (first.isdigit() and last.isdigit() and step.isdigit() and int(step) > 0):
            continue
        if int(first) <= index <= int(last) and (index - int(first)) % int(step) == 0:
            return True
    return False


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
