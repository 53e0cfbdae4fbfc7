"""Overrides that look like mistakes, caught before anything runs: a near miss of an
existing key, a new key where new keys need ``+``, a mapping replaced by a non-mapping, a
Hydra setting (``hydra.*``, which mlxp has no use for), and (a warning only) a leaf whose type
changes.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from mlxp._scalars import type_in_file
from mlxp.config import closest_key, iter_leaf_keys
from mlxp.errors import ConfigKeyError, OverrideError
from mlxp.overrides import Override, format_value


def check_new_key(config: Dict[str, Any], override: Override, config_name: str,
                  strict: bool, submitting: bool) -> str:
    """Check ``key=value`` on a key missing from ``config``; returns the warning to print.

    Raises:
        ConfigKeyError: the key is a near miss of an existing one, or ``strict``
            (``mlxp.strict_overrides``), or ``submitting`` (submit mode): ``+key`` is needed.
    """
    key = override.key
    near_miss = near_miss_key(config, key)
    why = (f"it is not in {config_name}, and so close to an existing option that it is taken"
           " for a typo" if near_miss
           else "mlxp.strict_overrides is on" if strict
           else "in submit mode (mlxp.use_scheduler=true) a new key needs '+'" if submitting
           else "")
    suggestion = near_miss or closest_key(config, key)
    if why:
        raise ConfigKeyError(
            f"unknown option {key!r} in {override.text}: {why}; fix the key, or write"
            f" +{key}=... to add it",
            key=key,
            suggestions=[suggestion] if suggestion else [],
        )
    hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
    return f"mlxp: warning: {key!r} is not in {config_name}; adding it{hint}"


# What mlxp does instead of each part of Hydra's config (``hydra.<part>`` or ``hydra/<part>``).
_INSTEAD_OF_HYDRA = {
    "run": "each run goes to <parent_log_dir>/<id>: set mlxp.logger.parent_log_dir=DIR",
    "sweep": "each run of a sweep goes to <parent_log_dir>/<id>: set"
             " mlxp.logger.parent_log_dir=DIR",
    "mode": "a sweep (key=a,b) runs every point without any mode or flag",
    "launcher": "submit to a scheduler with mlxpsub, or mlxp.use_scheduler=true",
    "sweeper": "sweeps are written in the overrides: key=a,b or key=range(0,10)",
    "job": "a run executes in the directory it is launched from; its files go to"
           " <parent_log_dir>/<id>",
    "output_subdir": "each run's config and settings go to <parent_log_dir>/<id>/metadata",
    "job_logging": "mlxp configures no logging; mlxp.logger.log_streams_to_file=true"
                   " keeps stdout and stderr in the run's directory",
}
_INSTEAD_OF_HYDRA["hydra_logging"] = _INSTEAD_OF_HYDRA["verbose"] = _INSTEAD_OF_HYDRA["job_logging"]


def check_not_hydra(argument: str, index: int) -> None:
    """Refuse an override of Hydra's own config (``hydra.run.dir=...``, ``hydra/launcher=x``).

    mlxp has no Hydra config: such a key would silently become a new option of the user's.

    Raises:
        OverrideError: the override's key starts with ``hydra.`` or ``hydra/``; the message
            says what mlxp does instead.
    """
    key = argument.lstrip("+~").split("=", 1)[0].strip()
    if key != "hydra" and not key.startswith(("hydra.", "hydra/")):
        return
    part = key[len("hydra."):].split(".", 1)[0].split("/", 1)[0]
    instead = _INSTEAD_OF_HYDRA.get(part, "mlxp's own settings are the mlxp.* keys"
                                          " (configs/mlxp.yaml)")
    raise OverrideError(
        f"argument {index}: {argument!r} sets Hydra's config, which mlxp does not have: "
        f"{instead} (see docs/migrating-from-mlxp.md)", key=key, argument=argument, index=index)


def check_replacement(override: Override, current: Any, value: Any,
                      config_name: str) -> Optional[str]:
    """Check ``key=value`` over the existing ``current``; returns a warning to print, or None.

    Raises:
        ConfigKeyError: ``current`` is a mapping and ``value`` is not (``++key`` replaces it).
    """
    key = override.key
    if isinstance(current, dict) and not isinstance(value, dict):
        raise ConfigKeyError(
            f"{override.text} would replace the mapping {key!r} by"
            f" {'null' if value is None else 'a ' + type(value).__name__}; set one of its keys"
            f" ({key}.<name>=...), or write ++{key}=... to replace the whole mapping",
            key=key,
        )
    change = type_change(current, value)
    if change is None:
        return None
    return (f"mlxp: warning: {override.text} changes {key!r} from {change[0]} (its type in"
            f" {config_name}) to {change[1]}{_as_the_file_reads_it(current, value, config_name)}")


def _as_the_file_reads_it(current: Any, value: Any, config_name: str) -> str:
    """The fix when ``value`` is a string only because the command line types differently
    from the file (as in MLXP): ``use_cuda=no`` is the string 'no', which Python takes for
    true, while ``use_cuda: no`` in the file is False."""
    if not isinstance(value, str):
        return ""
    in_file = type_in_file(value)
    if isinstance(in_file, str) or type_change(current, in_file) is not None:
        return ""
    return (f"; on the command line {value!r} is a string, while {config_name} reads it as"
            f" {in_file!r}: write {format_value(in_file)}")


def near_miss_key(tree: Dict[str, Any], key: str) -> Optional[str]:
    """The existing dotted key that ``key`` most likely misspells, or None.

    Stricter than the did-you-mean of ``closest_key``, since a near miss stops a launch:
    same depth, one part different, and that part one edit away (a letter added, dropped,
    changed or two swapped; two edits for names of eight letters or more) or different only
    in case. ``optimizer.lrr`` misses ``optimizer.lr``; ``model.num_layers`` is a new option
    beside ``model.num_units``; names of one or two letters (``x``, ``wd``) never miss.
    """
    parts = key.split(".")
    for existing in iter_leaf_keys(tree):
        other = existing.split(".")
        if len(other) != len(parts):
            continue
        differing = [(a, b) for a, b in zip(parts, other) if a != b]
        if len(differing) != 1:
            continue
        new, old = differing[0]
        if new.isdigit() and old.isdigit():  # list indexes
            continue
        allowed = 2 if min(len(new), len(old)) >= 8 else 1 if max(len(new), len(old)) >= 3 else 0
        if _edit_distance(new.lower(), old.lower(), allowed) <= allowed:
            return existing
    return None


def _edit_distance(a: str, b: str, cap: int) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b``, or ``cap + 1`` once past ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    before: List[int] = []
    row = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        previous, before, row = before, row, [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            row[j] = min(before[j] + 1, row[j - 1] + 1, before[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                row[j] = min(row[j], previous[j - 2] + 1)
        if min(row) > cap:
            return cap + 1
    return row[-1]


def type_change(old: Any, new: Any) -> Optional[Tuple[str, str]]:
    """``(old type, new type)`` when setting ``new`` over ``old`` changes what kind of value
    an option holds, else None. Ints and floats are both numbers; None on either side, and
    a ``${...}`` whose type is known only once resolved, change nothing."""
    if old is None or new is None or _is_reference(old) or _is_reference(new):
        return None
    old_name, new_name = _type_name(old), _type_name(new)
    numbers = ("int", "float")
    if old_name == new_name or (old_name in numbers and new_name in numbers):
        return None
    return old_name, new_name


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "mapping"
    return "list" if isinstance(value, (list, tuple)) else type(value).__name__
