"""mlxp's own settings: the schema, the defaults, ``configs/mlxp.yaml`` and ``mlxp.*`` overrides.

Every key is checked against the schema: an unknown key or a value of the wrong type is an
error naming the file (or the command line) and the valid choices, because silently falling
back to a default sends runs to the wrong place. The schema holds every key of MLXP 1.0.5's
mlxp.yaml, so that an MLXP project's file is read unchanged.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Dict, Optional, Sequence, Tuple

from mlxp.config import ConfigDict, closest_key, load_mapping
from mlxp.errors import SettingsError

#: mlxpsub hands the scheduler section of a job script to the launcher in this variable (JSON).
SCHEDULER_ENV = "MLXP_SCHEDULER"
#: a run re-executed from a version-manager snapshot finds its launch record through this.
SNAPSHOT_ENV = "MLXP_SNAPSHOT"
#: the ``info.sweep_id`` of the runs a command makes, handed to the processes that make them
#: (mlxpsub's python commands, a launch re-run from a snapshot).
SWEEP_ID_ENV = "MLXP_SWEEP_ID"
#: mlxpsub --dry-run: a JSON file of the next run id per log directory, so that the python
#: commands of one script predict the ids one submission would give them.
DRY_RUN_PLAN_ENV = "MLXP_DRY_RUN_PLAN"
#: a point started by the parallel runner: the run directory its parent claimed for it.
POINT_RUN_ENV = "MLXP_POINT_RUN"

SCHEDULER_NAMES = ("slurm", "oar", "torque", "sge", "mwm", "lsf", "local")

# key -> (accepted types, default, allowed values or None)
_Leaf = Tuple[Tuple[type, ...], Any, Optional[Tuple[Any, ...]]]
_LINES = (list, str)

SCHEMA: Dict[str, Any] = {
    "logger": {
        "name": ((str,), "mlxp.DefaultLogger", None),
        "parent_log_dir": ((str,), "./logs", None),
        "forced_log_id": ((int,), -1, None),
        "log_streams_to_file": ((bool,), False, None),
        "heartbeat": ((int, float), 60.0, None),
    },
    "version_manager": {
        "name": ((str,), "mlxp.GitVM", None),
        "parent_work_dir": ((str,), "./.work_dir", None),
        "compute_requirements": ((bool,), False, None),
    },
    "use_version_manager": ((bool,), False, None),
    "use_scheduler": ((bool,), False, None),
    "use_logger": ((bool,), True, None),
    "interactive_mode": ((bool,), True, None),
    "resume": ((bool,), False, None),
    "strict_overrides": ((bool,), False, None),
    "max_sweep_points": ((int,), 1_000_000, None),
    "resolve": ((bool,), True, None),
    "as_ConfigDict": ((bool,), True, None),  # MLXP's; ctx.config is always a ConfigDict
    "sweeper": {  # random parts of a sweep: interval() samples, shuffle() and sample order
        "samples": ((int,), 0, None),
        "seed": ((int, type(None)), None, None),
    },
    "scheduler": {
        "name": ((str, type(None)), None, SCHEDULER_NAMES + (None,)),
        "option_cmd": (_LINES, [], None),
        "env_cmd": (_LINES, [], None),
        "post_cmd": (_LINES, [], None),
        "before_cmd": (_LINES, [], None),
        "shell_path": ((str,), "/bin/bash", None),
        "command_prefix": ((str,), "", None),
        "array": ((bool,), False, None),
        "max_running": ((int,), 0, None),
        "max_array_size": ((int,), 1000, None),
        "requeue": ((bool,), False, None),
        "requeue_warning": ((int,), 120, None),
    },
    # running a sweep's points here: how many at once, on which devices (docs/sweeps.md)
    "launcher": {
        "jobs": ((int, str), 1, None),  # a number, or "auto"
        "devices": ((list, str, int), [], None),  # "0,1,2,3", [0, 1, 2, 3]
        "devices_per_run": ((int,), 1, None),
        "fail_fast": ((bool,), False, None),
    },
}


def _is_leaf(entry: Any) -> bool:
    return isinstance(entry, tuple)


def _defaults(schema: Dict[str, Any]) -> Dict[str, Any]:
    return {
        key: (list(entry[1]) if isinstance(entry[1], list) else entry[1])
        if _is_leaf(entry)
        else _defaults(entry)
        for key, entry in schema.items()
    }


def default_settings() -> ConfigDict:
    """The settings every run starts from (see docs/configuration-and-overrides.md)."""
    return ConfigDict(_defaults(SCHEMA))


def _schema_keys(schema: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    flat: Dict[str, Any] = {}
    for key, entry in schema.items():
        flat[prefix + key] = entry
        if not _is_leaf(entry):
            flat.update(_schema_keys(entry, f"{prefix}{key}."))
    return flat


_FLAT_SCHEMA = _schema_keys(SCHEMA)


# Words MLXP 1.0.5's settings took for a boolean (OmegaConf's BooleanNode), on the command line
# too, where the override grammar reads them as strings: mlxp.use_logger=no.
_BOOLEAN_WORDS = {**dict.fromkeys(("true", "yes", "on", "y", "1"), True),
                  **dict.fromkeys(("false", "no", "off", "n", "0"), False)}


def _type_name(types: Sequence[type]) -> str:
    names = {list: "a list of lines", str: "a string", int: "an integer", bool: "true or false",
             type(None): "null", float: "a number"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def set_setting(settings: ConfigDict, key: str, value: Any, source: Optional[str] = None) -> None:
    """Check ``key`` (dotted, without ``mlxp.``) and ``value`` against the schema, then set it.

    Raises:
        SettingsError: unknown key, wrong type, or a value outside the allowed choices.
    """
    entry = _FLAT_SCHEMA.get(key)
    where = source or "command line"
    if entry is None:
        suggestion = closest_key(_defaults(SCHEMA), key)
        hint = f" (did you mean 'mlxp.{suggestion}'?)" if suggestion else ""
        raise SettingsError(
            f"unknown mlxp setting 'mlxp.{key}'{hint}",
            key=key,
            path=where,
            choices=sorted(f"mlxp.{k}" for k, e in _FLAT_SCHEMA.items() if _is_leaf(e)),
        )
    if not _is_leaf(entry):
        if not isinstance(value, dict):
            raise SettingsError(
                f"'mlxp.{key}' must be a mapping with keys {', '.join(entry)}", key=key, path=where
            )
        for sub_key, sub_value in value.items():
            set_setting(settings, f"{key}.{sub_key}", sub_value, source)
        return
    types, _, choices = entry
    if bool in types and not isinstance(value, bool):
        value = _BOOLEAN_WORDS.get(str(value).lower(), value)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise SettingsError(
            f"'mlxp.{key}' must be {_type_name(types)}, not {value!r}", key=key, path=where
        )
    if choices is not None and value not in choices:
        raise SettingsError(
            f"'mlxp.{key}' cannot be {value!r}",
            key=key,
            path=where,
            choices=[str(c) for c in choices if c is not None],
        )
    if isinstance(value, str) and list in types:
        value = [line for line in value.splitlines() if line.strip()]
    node = settings
    *parents, last = key.split(".")
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = ConfigDict()
        node = node[part]
    node[last] = value


def load_settings(config_dir: str, settings_name: str = "mlxp.yaml") -> ConfigDict:
    """Defaults updated by ``<config_dir>/mlxp.yaml`` when it exists (its inside of ``mlxp:``)."""
    settings = default_settings()
    path = os.path.join(config_dir, settings_name)
    if os.path.exists(path):
        data = load_mapping(path)
        if set(data) == {"mlxp"} and isinstance(data["mlxp"], dict):
            data = data["mlxp"]  # also accept a file that repeats the section name
        for key, value in data.items():
            set_setting(settings, key, value, source=path)
    return settings


#: the ``name`` settings that choose a class, and the names that mean mlxp's own one
CLASS_SETTINGS = {
    "logger.name": ("mlxp.DefaultLogger", "DefaultLogger", "mlxp.Logger", "Logger"),
    "version_manager.name": ("mlxp.GitVM", "GitVM"),
}


def named_class(settings: ConfigDict, key: str, task_dir: str, source: str) -> Optional[type]:
    """The user's class chosen by the setting ``key`` (``logger.name``), or None for mlxp's own.

    Nothing is imported for mlxp's default names. A dotted path ``pkg.module.Class`` is imported
    with the caller's ``sys.path``, falling back to ``task_dir`` (the directory of the task's
    file), so that a package next to ``main.py`` is found wherever the launch starts from. A
    bare name (``DefaultLogger``) is looked up in ``mlxp``.

    Raises:
        SettingsError: the path is malformed, its module cannot be found, or it names no class.
            The user's own errors while their module is imported propagate unchanged.
    """
    section, _, field = key.partition(".")
    name = settings[section][field]
    if name in CLASS_SETTINGS[key]:
        return None
    where = f"mlxp.{key} {name!r}"
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        raise SettingsError(f"{where} is not a dotted path to a class such as"
                            " mypkg.module.MyClass", key=key, path=source)
    module_name, attribute = (".".join(parts[:-1]), parts[-1]) if len(parts) > 1 else ("mlxp", name)
    module = _import_module(module_name, task_dir, key, where, source)
    found = getattr(module, attribute, None)
    if not isinstance(found, type):
        import difflib  # only for an error message

        close = difflib.get_close_matches(attribute, [n for n in dir(module) if n[:1].isupper()], 1)
        hint = f" (did you mean {module_name}.{close[0]}?)" if close else ""
        what = "has no class" if found is None else "holds no class named"
        raise SettingsError(f"{where}: module {module_name!r} {what} {attribute!r}{hint}",
                            key=key, path=source)
    return found


def _import_module(module_name: str, task_dir: str, key: str, where: str, source: str) -> Any:
    added = task_dir not in sys.path
    if added:  # last, so that the user's own sys.path wins
        sys.path.append(task_dir)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if not (module_name == missing or module_name.startswith(missing + ".")):
            raise  # a module *their* module imports is missing: their own error, with its traceback
        raise SettingsError(
            f"{where} cannot be imported: no module named {missing!r}; put the package next to"
            f" the task's file ({task_dir}) or install it", key=key, path=source) from error
    finally:
        if added and task_dir in sys.path:
            sys.path.remove(task_dir)
