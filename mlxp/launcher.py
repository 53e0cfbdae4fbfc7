"""``@mlxp.launch`` and ``Context``: from a command line to one or many finished runs.

The launcher reads the command line, checks the config of every sweep point *before*
anything runs (so a typo fails fast and writes nothing), then runs each point, composed again
when it starts, in its own run directory: RUNNING -> COMPLETE or FAILED (:mod:`mlxp._run`).
A dry run prints each point as soon as it is composed. In submit mode
(``mlxp.use_scheduler=true``) the checked points go to the cluster side instead
(:func:`mlxp.cluster.submit.submit_points`), which writes and submits one job each.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, TypeVar, overload

from mlxp import _layout
from mlxp._cli import CommandLine, parse_command_line, usage
from mlxp._composition import GroupComposer
from mlxp._entry import exit_quietly_on_closed_stdout
from mlxp._interactive import (RunDirectories, command_line_of, in_jupyter_kernel,
                               run_in_process, task_directory)
from mlxp._limits import checked_arguments
from mlxp._point_composer import compose_points, flat_config
from mlxp._run import Context, local_jobs, run_points
from mlxp._run_point import RunPoint, SweepPoints
from mlxp._signals import RunPreempted
from mlxp._sweep_plan import PointCommand
from mlxp.config import ConfigDict
from mlxp.errors import MLXPError, RunDirectoryError
from mlxp.logger import terminate_on_signals
from mlxp.overrides import format_value
from mlxp.settings import SNAPSHOT_ENV, SWEEP_ID_ENV
from mlxp.sweep import expand_sweep, new_sweep_id

if TYPE_CHECKING:
    from mlxp.vcs import Snapshot

Task = TypeVar("Task", bound=Callable[..., Any])


@overload
def launch(config_path: Task) -> Callable[..., Any]: ...


@overload
def launch(config_path: str = "./configs", seeding_function: Optional[Callable[[Any], None]] = None
           ) -> Callable[[Task], Callable[..., Any]]: ...


def launch(config_path: Any = "./configs",
           seeding_function: Optional[Callable[[Any], None]] = None) -> Any:
    """Turn ``task(ctx)`` into a command-line program that runs it as logged experiments.

    Args:
        config_path: the directory of ``config.yaml`` (and ``mlxp.yaml``), relative to the
            file that defines the task (to the current directory in a notebook).
        seeding_function: called with ``config.seed`` before each run.

    The decorated function is called without arguments: ``my_task()`` reads ``sys.argv``
    (in a Jupyter kernel, whose ``sys.argv`` is the kernel's, it runs the config as it is).
    ``my_task.run(overrides=[...])`` runs it from Python (docs/notebooks.md).
    ``@mlxp.launch`` without parentheses takes the defaults.
    """
    if callable(config_path):  # @mlxp.launch without parentheses: the task itself
        return launch()(config_path)

    def decorator(task: Task) -> Callable[..., Any]:
        @functools.wraps(task)
        def run_from_command_line(*args: Any, **kwargs: Any) -> Any:
            if args or kwargs:  # called with an explicit context: a plain function call
                return task(*args, **kwargs)
            if in_jupyter_kernel():  # sys.argv is the kernel's own, not overrides
                return run()
            code = _main(task, config_path, seeding_function, sys.argv[1:])
            if code:
                sys.exit(code)
            return None

        def run(overrides: Sequence[str] = (), config_name: str = "config") -> RunDirectories:
            """Run the task in this process with ``overrides``, as ``python main.py
            overrides...`` would; its run directory, or a list of them for a sweep.

            Raises:
                MLXPError: a bad override, config or setting (nothing ran), or a FAILED run
                    of a sweep (``RunFailedError``); a single run raises the task's own error.
            """
            task_dir = task_directory(task)
            command_line = command_line_of(overrides, config_name, "task.run")
            points = compose_points(os.path.join(task_dir, config_path), command_line,
                                     task_dir, seeding_function)
            return run_in_process(task, points, seeding_function)

        run_from_command_line.run = run  # type: ignore[attr-defined]
        return run_from_command_line

    return decorator


def _main(
    task: Callable[[Context], Any],
    config_path: str,
    seeding_function: Optional[Callable[[Any], None]],
    argv: Sequence[str],
) -> int:
    task_file = os.path.abspath(task.__code__.co_filename)
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "mlxp"
    # one id for every run this command makes; a launch re-run from a snapshot keeps its own
    sweep_id = os.environ.pop(SWEEP_ID_ENV, None) or new_sweep_id()
    try:
        with exit_quietly_on_closed_stdout():  # python main.py --dry-run | head
            snapshot = _running_snapshot(task_file)
            # from a snapshot, relative paths still point into the user's own project
            task_dir = os.path.dirname(snapshot.original_path(task_file) if snapshot else task_file)
            command_line = parse_command_line(checked_arguments(argv))
            if command_line.multirun:
                print(f"{program}: note: -m/--multirun is not needed: a sweep (key=a,b) runs"
                      " every point without it; ignoring it", file=sys.stderr)
            config_dir = command_line.config_path or os.path.join(task_dir, config_path)
            if command_line.help:
                print(usage(program, _safe_keys(config_dir, command_line)))
                return 0
            if command_line.info is not None:
                _print_defaults(config_dir, command_line)
                return 0
            points = compose_points(config_dir, command_line, task_dir, seeding_function)
            if command_line.show_config is not None:
                _print_configs(points, command_line.show_config, command_line.resolve)
                return 0
            settings = points.first.settings
            if command_line.dry_run and not settings.use_scheduler:
                _print_dry_run(points)
                return 0
            if not command_line.dry_run:
                points.check_all()  # a bad point fails before the first one runs
            jobs = local_jobs(settings, command_line.jobs)
            if snapshot is None and settings.use_version_manager:
                if command_line.dry_run:  # submit mode: show the scripts a submission writes
                    snapshot = _preview_snapshot(points.first, task_file, program)
                else:
                    snapshot = _prepare_snapshot(points.first, task_file)
                    if not settings.use_scheduler:  # the whole launch runs again, from it
                        return _rerun_from_snapshot(snapshot, task_file, command_line, sweep_id)
            if settings.use_scheduler:
                from mlxp.cluster.submit import submit_points  # the cluster side loads only here

                return submit_points(points, _forwarded_flags(command_line),
                                     command_line.dry_run, snapshot, sweep_id)
    except MLXPError as error:
        print(f"{program}: error: {error}", file=sys.stderr)
        return error.exit_code
    try:
        # SIGTERM/Ctrl-C: the run is FAILED, exit 143/130; a sweep prints its summary first
        with terminate_on_signals():
            command = PointCommand.of_this_launch(
                _forwarded_flags(command_line), [o.text for o in command_line.overrides], sweep_id)
            return run_points(task, points, seeding_function, snapshot, sweep_id, command, jobs)
    except RunPreempted as preemption:
        print(f"{program}: {preemption}", file=sys.stderr)
        return 0
    except RunDirectoryError as error:
        print(f"{program}: error: {error}", file=sys.stderr)
        return error.exit_code


def _print_configs(points: SweepPoints, form: str, resolved: bool) -> None:
    """``--cfg``: alone, each run's config resolved; ``job`` as written (Hydra's default,
    ``--resolve`` resolves it); ``all`` adds the ``mlxp:`` settings where Hydra adds ``hydra:``."""
    for point in points:  # each printed as soon as it is composed
        if len(points) > 1:
            print(f"# {' '.join(point.overrides)}")
        config = point.config if resolved or not form else point.unresolved
        print(ConfigDict({**config, "mlxp": point.settings}) if form == "all" else config)


def _print_defaults(config_dir: str, command_line: CommandLine) -> None:
    """``--info``: the defaults list and/or tree of each distinct group selection."""
    from mlxp._composition import format_defaults_list, format_defaults_tree

    groups = GroupComposer(config_dir, command_line.config_name)
    sweep = expand_sweep(command_line.overrides, group_options=groups.group_options)
    selections = list(dict.fromkeys(groups.split(point)[0] for point in sweep))
    for selection in selections:
        if len(selections) > 1:
            print(f"# {' '.join(override.text for override in selection)}")
        tree = groups.compose(selection).tree
        shown = [format_defaults_list(tree)] if command_line.info != "defaults-tree" else []
        if command_line.info != "defaults":
            shown.append(format_defaults_tree(tree))
        print("\n\n".join(shown))


def _running_snapshot(task_file: str) -> Optional["Snapshot"]:
    if SNAPSHOT_ENV not in os.environ:  # the usual case: no need to import mlxp.vcs
        return None
    from mlxp.vcs import running_snapshot

    return running_snapshot(task_file)


def _version_manager(point: RunPoint, interactive: bool) -> Any:
    """GitVM, or the user's ``mlxp.version_manager.name`` built as MLXP builds it: with the
    other ``version_manager.*`` keys."""
    from mlxp.vcs import GitVM

    settings = point.settings
    keys = {key: value for key, value in settings.version_manager.items() if key != "name"}
    if point.version_manager_class is None:
        return GitVM(**keys, interactive_mode=interactive,
                     parent_log_dir=settings.logger.parent_log_dir)
    return point.version_manager_class(**keys)


def _prepare_snapshot(point: RunPoint, task_file: str) -> "Snapshot":
    """The snapshot of this launch, by GitVM or the user's version manager."""
    from mlxp.vcs import snapshot_from_manager

    manager = _version_manager(point, point.settings.interactive_mode)
    if callable(getattr(manager, "prepare", None)):
        return manager.prepare(task_file)  # type: ignore[no-any-return]
    return snapshot_from_manager(manager, task_file,
                                 point.settings.version_manager.parent_work_dir)


def _preview_snapshot(point: RunPoint, task_file: str, program: str) -> Optional["Snapshot"]:
    """The snapshot a submission would make, so that a dry run shows the same job scripts
    (their ``cd`` into it and ``export`` of its record); nothing is written. None, with a
    note, for a user's version manager: only making its working directory would tell."""
    if point.version_manager_class is not None:
        print(f"{program}: note: {point.settings.version_manager.name} makes its working"
              " directory only when the jobs are submitted: these scripts leave out its cd and"
              " export", file=sys.stderr)
        return None
    return _version_manager(point, interactive=False).preview(task_file)  # type: ignore[no-any-return]


def _rerun_from_snapshot(snapshot: "Snapshot", task_file: str, command_line: CommandLine,
                         sweep_id: str) -> int:
    """Run this same launch again with the snapshot's copy of the task, and its exit code."""
    from mlxp._shell import run_attached

    jobs = ["--jobs", command_line.jobs] if command_line.jobs is not None else []
    argv = [sys.executable, snapshot.task_path(task_file), *_forwarded_flags(command_line),
            *jobs, *(override.text for override in command_line.overrides)]
    return run_attached(argv, cwd=snapshot.work_dir(os.getcwd()),
                        env={**os.environ, **snapshot.environment(), SWEEP_ID_ENV: sweep_id})


def _forwarded_flags(command_line: CommandLine) -> List[str]:
    """The flags a submitted job needs to compose the same config."""
    flags = []
    if command_line.config_name != "config":
        flags += ["--config-name", command_line.config_name]
    if command_line.config_path:
        flags += ["--config-path", os.path.abspath(command_line.config_path)]
    return flags


def _safe_keys(config_dir: str, command_line: CommandLine) -> List[str]:
    try:
        config = GroupComposer(config_dir, command_line.config_name).compose_config(())
    except MLXPError as error:
        return [f"(cannot read the config: {error})"]
    return [f"{key}={format_value(value)}" for key, value in flat_config(config).items()]


def _print_dry_run(points: SweepPoints) -> None:
    """One line per point, printed as soon as it is composed; the ids a run would get."""
    planner = _layout.RunIdPlanner(claim=False)
    for number, point in enumerate(points, start=1):
        logger = point.settings.logger
        _, path = planner.next_run(logger.parent_log_dir, logger.forced_log_id)
        location = _layout.display_path(path)
        print(f"[{number}/{len(points)}] {location} {' '.join(point.overrides)}".rstrip())
