"""``mlxp.compose`` and ``mlxp.compose_sweep``: the config a launch would give its task, in a
notebook or any Python code, without running anything.

Both go through the launcher's own composition, so a config composes here exactly as
``python main.py overrides...`` would compose it; nothing is written.
"""

from __future__ import annotations

import os
from typing import List, Sequence

from mlxp._interactive import command_line_of
from mlxp._run_point import RunPoint, SweepPoints
from mlxp.config import ConfigDict, config_file
from mlxp.errors import ConfigFileError, OverrideError
from mlxp._point_composer import compose_points

__all__ = ["compose", "compose_sweep"]


def compose(config_path: str = "configs", overrides: Sequence[str] = (),
            config_name: str = "config") -> ConfigDict:
    """The config of one run: ``<config_path>/<config_name>.yaml`` with ``overrides`` applied.

    Args:
        config_path: the config directory; a relative path starts from the current directory.
        overrides: command-line overrides, e.g. ``["optimizer.lr=0.1", "+tag=test"]``.
        config_name: the primary config file, without ``.yaml`` (``--config-name``).

    Returns:
        What the task would get as ``ctx.config`` (resolved, unless ``mlxp.resolve=false``).

    Raises:
        OverrideError: an override sweeps (``lr=0.1,0.2``); ``compose_sweep`` returns every
            point.
        MLXPError: a missing config file, a malformed override, a bad key or setting, as the
            launcher would refuse them.
    """
    points = _points(config_path, overrides, config_name, "mlxp.compose")
    for override in points.sweep.overrides:
        if override.is_sweep:
            raise OverrideError(
                f"mlxp.compose gives the config of one run, and {override.text!r} sweeps"
                f" ({len(override.values)} values); use mlxp.compose_sweep(...) for the"
                " config of every point, or give it one value", key=override.key,
                argument=override.text, index=list(overrides).index(override.text) + 1)
    return _config(points.first)


def compose_sweep(config_path: str = "configs", overrides: Sequence[str] = (),
                  config_name: str = "config") -> List[ConfigDict]:
    """The config of every point of the sweep ``overrides`` describes, in the order a launch
    runs them (the first override varies slowest). Arguments as for :func:`compose`."""
    points = _points(config_path, overrides, config_name, "mlxp.compose_sweep")
    return [_config(point) for point in points]


def _points(config_path: str, overrides: Sequence[str], config_name: str,
            caller: str) -> SweepPoints:
    command_line = command_line_of(overrides, config_name, caller)
    config_dir = os.path.abspath(config_path)
    path = config_file(config_dir, command_line.config_name)
    if not os.path.isfile(path):  # a launch would create it; composing writes nothing
        raise ConfigFileError(
            f"no config file here (config_path={config_path!r} starts from the current"
            f" directory, {os.getcwd()}); give the directory that holds {config_name}.yaml",
            path=path)
    return compose_points(config_dir, command_line, os.getcwd(), None)


def _config(point: RunPoint) -> ConfigDict:
    return point.config if point.settings.resolve else point.unresolved
