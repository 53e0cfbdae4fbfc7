"""Composing a launch's sweep points: each point's config and mlxp settings, with its
overrides applied and checked (a likely typo, a resumed run's changed config, a class that
cannot be imported), once per distinct group selection and settings overrides.

The launcher and notebooks (``mlxp.compose``) take their points from here; nothing runs.
"""

from __future__ import annotations

import copy
import functools
import os
import sys
from typing import Any, Callable, Dict, Optional, Tuple

from mlxp._cli import CommandLine
from mlxp._composition import GroupComposer, copy_config, mentions_reference
from mlxp._limits import check_parent_log_dir, check_sweep_size
from mlxp._override_checks import check_new_key, check_replacement
from mlxp._run_logger import check_named_class, check_resumable
from mlxp._run_point import RunPoint, SweepPoints
from mlxp.config import ConfigDict, assign, lookup, remove, resolve
from mlxp.errors import ConfigKeyError, SettingsError
from mlxp.logger import read_run_config
from mlxp.overrides import Override
from mlxp.settings import SCHEDULER_ENV, load_settings, named_class, set_setting
from mlxp.sweep import Point, expand_sweep

__all__ = ["SETTINGS_PREFIX", "compose_points", "flat_config"]

SETTINGS_PREFIX = "mlxp."


def compose_points(
    config_dir: str,
    command_line: CommandLine,
    task_dir: str,
    seeding_function: Optional[Callable[[Any], None]],
) -> SweepPoints:
    """The sweep's points, composed lazily; its first point and its size are checked here."""
    composer = _Composer(config_dir, command_line, task_dir, seeding_function)
    points = SweepPoints(composer.sweep, composer.compose)
    check_sweep_size(composer.sweep, points.first.settings.max_sweep_points)
    return points


class _Composer:
    """Composes one point: the config and settings with its overrides applied, checked."""

    def __init__(self, config_dir: str, command_line: CommandLine, task_dir: str,
                 seeding_function: Optional[Callable[[Any], None]]) -> None:
        self.config_dir = config_dir
        self.task_dir = task_dir
        self.seeding_function = seeding_function
        self.groups = GroupComposer(config_dir, command_line.config_name)
        self.source = self.groups.source
        self.base_settings = load_settings(config_dir)
        if SCHEDULER_ENV in os.environ:
            from mlxp.cluster.plan import take_handed_over_scheduler

            take_handed_over_scheduler(self.base_settings)
        self.sweep = expand_sweep(command_line.overrides, group_options=self.groups.group_options,
                                  sweeper=self.base_settings.sweeper)
        command_line.overrides += self.sweep.added  # a re-run (from a snapshot) draws the same
        self.warned: set = set()  # keys warned about once, however often they are composed
        self.checked_dirs: set = set()
        self.first_settings: Optional[ConfigDict] = None
        self.classes: Dict[Tuple[str, str], Optional[type]] = {}
        self.settings_cache: Dict[Tuple[Override, ...], Dict[str, Any]] = {}

    def compose(self, point: Point) -> RunPoint:
        group_overrides, value_overrides = self.groups.split(point)
        composition = self.groups.compose(group_overrides)  # once per distinct selection
        settings = copy_config(self._settings(tuple(
            override for override in value_overrides if override.key.startswith(SETTINGS_PREFIX))))
        config = copy_config(composition.config)
        references = composition.has_references
        for override in value_overrides:
            if not override.key.startswith(SETTINGS_PREFIX):
                _apply(override, config, settings, self.warned, self.config_dir)
                references = references or mentions_reference(override.values)
        # without any ${...}, resolving would only copy the config: most sweeps skip it
        unresolved, config = config, resolve(config) if references else config
        if self.seeding_function is not None and "seed" not in config:
            raise ConfigKeyError(
                "a seeding_function was given but the config has no 'seed' option;"
                " add 'seed: 0' to config.yaml",
                key="seed",
            )
        if settings.resume:
            _check_resume(config, settings)
        self._check_same_mode(settings)
        # imported only when used, as MLXP builds them only then
        logger_class = self._named_class(settings, "logger.name", point, settings.use_logger)
        manager_class = self._named_class(settings, "version_manager.name", point,
                                          settings.use_version_manager)
        if settings.resume:
            check_resumable(logger_class)
        return RunPoint(tuple(point), config, settings, self.source, unresolved,
                        logger_class, manager_class, composition.choices)

    def _settings(self, overrides: Tuple[Override, ...]) -> Dict[str, Any]:
        """mlxp's settings with these ``mlxp.*`` overrides, checked, composed once per distinct
        tuple (a sweep rarely varies them): each point gets its own copy."""
        if overrides not in self.settings_cache:
            settings = copy.deepcopy(self.base_settings)
            for override in overrides:
                _apply(override, ConfigDict(), settings, self.warned, self.config_dir)
            _anchor_paths(settings, self.task_dir)
            if settings.logger.parent_log_dir not in self.checked_dirs:
                check_parent_log_dir(settings.logger.parent_log_dir)
                self.checked_dirs.add(settings.logger.parent_log_dir)
            if settings.logger.forced_log_id >= 0 and self.sweep.size > 1:
                raise SettingsError(
                    f"mlxp.logger.forced_log_id puts a run in one directory; a sweep of"
                    f" {self.sweep.size} points needs one each: drop forced_log_id",
                    key="logger.forced_log_id")
            self.settings_cache[overrides] = settings.to_dict()
        return self.settings_cache[overrides]

    def _named_class(self, settings: ConfigDict, key: str, point: Point,
                     used: bool) -> Optional[type]:
        """The user's class of ``mlxp.<key>``, imported (and checked) once per name."""
        if not used:
            return None
        section, _, field = key.partition(".")
        name = settings[section][field]
        if (key, name) not in self.classes:
            on_command_line = any(f"{SETTINGS_PREFIX}{key}.".startswith(o.key + ".") for o in point)
            source = "command line" if on_command_line else os.path.relpath(
                os.path.join(self.config_dir, "mlxp.yaml"))
            self.classes[key, name] = check_named_class(
                named_class(settings, key, self.task_dir, source), key, name, source)
        return self.classes[key, name]

    def _check_same_mode(self, settings: ConfigDict) -> None:
        """Every point of a launch is submitted, or every point runs here, from the same code."""
        if self.first_settings is None:
            self.first_settings = settings
            return
        for key in ("use_scheduler", "use_version_manager"):
            if settings[key] != self.first_settings[key]:
                raise SettingsError(
                    f"mlxp.{key} is the same for every point of a sweep; sweep it in separate"
                    " commands", key=key)


def _apply(
    override: Override, config: ConfigDict, settings: ConfigDict, warned: set, config_dir: str
) -> None:
    """Apply one single-valued override to ``config`` (or, for ``mlxp.*``, to ``settings``).

    A likely typo stops the launch instead of running with the default: a new key that nearly
    matches an existing one needs ``+``, and so does every new key in submit mode, where a
    mistake would cost a whole cluster sweep. A mapping is replaced by a non-mapping only with
    ``++``; other changes of a value's type are a warning.
    """
    key, kind = override.key, override.kind
    value = override.value if override.values else None
    if key.startswith(SETTINGS_PREFIX):
        if kind == "delete":
            raise ConfigKeyError(f"mlxp settings cannot be deleted: {key!r}", key=key)
        set_setting(settings, key[len(SETTINGS_PREFIX):], value)
        return
    found, current = lookup(config, key)
    config_name = _display_name(config_dir)
    if kind == "delete":
        remove(config, key)
        return
    if kind == "add" and found:
        raise ConfigKeyError(
            f"cannot add {key!r}: it is already in the config; use {key}=... or ++{key}=...",
            key=key,
        )
    if kind == "set" and not found:
        warning: Optional[str] = check_new_key(config, override, config_name,
                                               settings.strict_overrides, settings.use_scheduler)
    elif kind == "set":
        warning = check_replacement(override, current, value, config_name)
    else:
        warning = None
    if warning and (kind, key) not in warned:  # once per key, not once per sweep point
        warned.add((kind, key))
        print(warning, file=sys.stderr)
    assign(config, key, value)


@functools.lru_cache(maxsize=None)
def _display_name(config_dir: str) -> str:
    """How warnings name the config file (relpath costs as much as applying an override)."""
    return os.path.relpath(os.path.join(config_dir, "config.yaml"))


def _check_resume(config: ConfigDict, settings: ConfigDict) -> None:
    """A resumed run continues one recorded run with the very config it started with."""
    log_id = settings.logger.forced_log_id
    if log_id < 0:
        raise SettingsError("mlxp.resume=true needs the id of the run to continue:"
                            " add mlxp.logger.forced_log_id=<id>", key="resume")
    recorded = read_run_config(os.path.join(settings.logger.parent_log_dir, str(log_id)))
    if recorded and recorded != config.to_dict():
        before, now = flat_config(recorded), flat_config(config)
        changed = sorted(key for key in set(before) | set(now)
                         if before.get(key, _MISSING) != now.get(key, _MISSING))
        raise ConfigKeyError(
            f"run {log_id} was started with another config; a resumed run keeps its config"
            f" (differs at {', '.join(repr(k) for k in changed)}): drop those overrides, or start"
            " a new run without mlxp.resume",
            key=changed[0],
        )


_MISSING = object()


def flat_config(tree: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; an empty mapping stays a value."""
    flat: Dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(flat_config(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _anchor_paths(settings: ConfigDict, task_dir: str) -> None:
    """Relative paths in the settings are relative to the task's file, not the cwd."""
    for section, key in (("logger", "parent_log_dir"), ("version_manager", "parent_work_dir")):
        path = os.path.expanduser(settings[section][key])
        settings[section][key] = os.path.normpath(os.path.join(task_dir, path))
