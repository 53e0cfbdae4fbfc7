"""A launched task run from Python rather than from a command line: ``task.run(...)``, and
``task()`` in a Jupyter kernel.

A kernel's ``sys.argv`` is its own (``ipykernel_launcher.py -f kernel-1234.json``), never the
user's overrides, so the task does not parse it there. ``run_in_process`` runs composed points
in this process, as a command-line launch would, and returns their run directories; mlxp's
errors are raised rather than turned into an exit status.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Callable, List, Optional, Sequence, Union

from mlxp import _layout
from mlxp._cli import CommandLine, parse_command_line
from mlxp._limits import checked_arguments
from mlxp._run import Context, run_points
from mlxp._run_point import SweepPoints
from mlxp._signals import RunInterrupted, terminate_on_signals
from mlxp.errors import RunFailedError, SettingsError, UsageError
from mlxp.logger import describe_exit
from mlxp.sweep import new_sweep_id

#: ``sys.argv[0]`` of the kernels that start Python with a connection file (Jupyter, Colab)
_KERNEL_LAUNCHERS = ("ipykernel_launcher.py", "colab_kernel_launcher.py")
#: where ipykernel compiles a notebook's cells (``/tmp/ipykernel_1234/5678.py``)
_CELL_DIRECTORY = re.compile(r"ipykernel_\d+")

RunDirectories = Union[Optional[str], List[Optional[str]]]


def in_jupyter_kernel(argv: Optional[Sequence[str]] = None) -> bool:
    """True when ``argv`` (``sys.argv`` by default) is a Jupyter kernel's own command line.

    A kernel passes its connection file (``-f /path/kernel-1234.json``; VS Code writes
    ``--f=/path/kernel-v2-1234.json`` after other flags). Both the connection file and a kernel
    (``ipykernel`` loaded, or its launcher as ``argv[0]``) are needed: a script whose user
    passes ``-f x.json`` still gets mlxp's "unknown flag" error.
    """
    argv = getattr(sys, "argv", []) if argv is None else argv  # embedded Pythons have none
    if not argv or not _connection_file(argv[1:]):
        return False
    return "ipykernel" in sys.modules or os.path.basename(argv[0]) in _KERNEL_LAUNCHERS


def _connection_file(arguments: Sequence[str]) -> bool:
    for position, argument in enumerate(arguments):
        flag, equals, value = argument.partition("=")
        if flag not in ("-f", "--f"):
            continue
        if not equals and position + 1 < len(arguments):
            value = arguments[position + 1]
        if value.endswith(".json"):
            return True
    return False


def task_directory(task: Callable[..., Any]) -> str:
    """The directory that the task's relative paths start from: its file's, or the current
    directory for a task defined in a notebook cell (or in ``python -c``), which has no file."""
    path = os.path.abspath(task.__code__.co_filename)
    directory = os.path.dirname(path)
    if os.path.isfile(path) and not _CELL_DIRECTORY.fullmatch(os.path.basename(directory)):
        return directory
    return os.getcwd()


def command_line_of(overrides: Sequence[str], config_name: str, caller: str) -> CommandLine:
    """The command line that ``overrides`` would be: overrides only, no flags.

    Raises:
        UsageError: a flag, a value that is not text, or ``overrides`` given as one string.
    """
    if isinstance(overrides, str):
        raise UsageError(f"{caller}(overrides=...) takes a list of overrides, such as"
                         f" [{overrides!r}], not one string")
    for text in overrides:
        if not isinstance(text, str):
            raise UsageError(f"{caller}(overrides=...) takes overrides as text, such as"
                             f" 'lr=0.1', not {type(text).__name__} {text!r}")
        if text.startswith("-"):
            raise UsageError(f"{caller}(overrides=...) takes overrides only, not the flag"
                             f" {text!r}; pass config_name=... for --config-name")
    return parse_command_line(["--config-name", config_name, *checked_arguments(overrides)])


def run_in_process(task: Callable[[Context], Any], points: SweepPoints,
                   seeding_function: Optional[Callable[[Any], None]]) -> RunDirectories:
    """Run every point in this process, as ``python main.py ...`` would; their run directories
    (one path, or a list for a sweep; None for a run without logger).

    Raises:
        SettingsError: ``mlxp.use_scheduler``, ``mlxp.use_version_manager`` or
            ``mlxp.launcher.jobs`` asks for other processes (jobs, the snapshot's copy of the
            script, points in parallel).
        RunFailedError: a point of a sweep FAILED; ``.run_dirs`` and ``.failed`` say which.
        RunInterrupted: a signal (Ctrl-C: also a ``KeyboardInterrupt``) stopped the runs.
        The task's own exception, for a single run, with its traceback.
    """
    settings = points.first.settings
    for key, reason in (("use_scheduler", "submits jobs"),
                        ("use_version_manager", "runs the task from a snapshot of its code in"
                                                " another process")):
        if settings[key]:
            raise SettingsError(
                f"mlxp.{key}=true {reason}, which task.run(...) cannot do in this process:"
                " launch it from a terminal (python main.py ...), or set it to false", key=key)
    if settings.launcher.jobs != 1:
        raise SettingsError(
            f"mlxp.launcher.jobs={settings.launcher.jobs} runs points in processes of their own;"
            " task.run(...) runs them in this process, one after another: launch the sweep from"
            " a terminal (python main.py ... -j N), or drop mlxp.launcher.jobs",
            key="launcher.jobs")
    points.check_all()  # a bad point fails before the first one runs
    recorder = _Recorder(task)
    try:
        with terminate_on_signals(exit_on_signal=False):
            code = run_points(recorder, points, seeding_function, None, new_sweep_id())
    except SystemExit as exit_request:  # sys.exit(0) in the task is a completed run
        if describe_exit(exit_request) is not None:
            raise
        code = 0
    if code >= 128:  # the sweep summary is printed; the signal goes on to the caller
        raise RunInterrupted.from_signal(code - 128)
    if recorder.failures:
        failed = [run_dir for run_dir, _ in recorder.failures]
        where = ("each traceback is in its run's log.stderr" if all(failed) else
                 "runs without logger printed their traceback above")
        raise RunFailedError(
            f"{len(failed)} of {len(recorder.run_dirs)} runs FAILED:"
            f" {', '.join(_shown(run_dir) for run_dir in failed)}; {where}",
            run_dirs=recorder.run_dirs, failed=failed,
        ) from recorder.failures[0][1]
    if any(override.is_sweep for override in points.sweep.overrides):
        return recorder.run_dirs
    return recorder.run_dirs[0] if recorder.run_dirs else None


def _shown(run_dir: Optional[str]) -> str:
    return _layout.display_path(run_dir) if run_dir else "(a run without logger)"


class _Recorder:
    """The task, noting the run directory of each point it runs and the errors that end one."""

    def __init__(self, task: Callable[[Context], Any]) -> None:
        self.task = task
        self.run_dirs: List[Optional[str]] = []
        self.failures: List[tuple] = []  # (run directory, error)

    def __call__(self, context: Context) -> Any:
        run_dir = context.logger.log_dir if context.logger is not None else None
        self.run_dirs.append(run_dir)
        try:
            return self.task(context)
        except BaseException as error:
            if describe_exit(error) is not None and not isinstance(error, RunInterrupted):
                self.failures.append((run_dir, error))
            raise
