"""mlxp: reproducible, logged, queryable machine-learning experiments.

``@mlxp.launch`` turns a function into a command-line experiment, ``mlxp.Logger`` gives any
script a run directory, ``mlxp.Reader`` queries finished runs, and ``mlxpsub`` submits sweeps
to a cluster's scheduler.
"""

# No ``from __future__ import annotations`` and no ``from typing import ...`` here: both would
# leave names (``annotations``, ``Any``) in the package's namespace, for users to stumble on.
import typing as _typing

from mlxp.config import ConfigDict
from mlxp.errors import MLXPError
from mlxp.launcher import Context, launch
from mlxp.logger import Logger, RunInterrupted, terminate_on_signals

__version__ = "0.1.0.dev0"

DefaultLogger = Logger

# Imported on first use, so that ``import mlxp`` in a training script stays light.
_LAZY = {
    "Reader": "mlxp.reader",
    "DataFrame": "mlxp.reader",
    "GitVM": "mlxp.vcs",
    "register_artifact_type": "mlxp.artifacts",
    "instantiate": "mlxp._instantiate",
    "compose": "mlxp._notebook",
    "compose_sweep": "mlxp._notebook",
}

__all__ = [
    "ConfigDict",
    "Context",
    "DataFrame",
    "DefaultLogger",
    "GitVM",
    "Logger",
    "MLXPError",
    "Reader",
    "RunInterrupted",
    "__version__",
    "compose",
    "compose_sweep",
    "instantiate",
    "launch",
    "register_artifact_type",
    "terminate_on_signals",
]


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mlxp' has no attribute {name!r}")


def __dir__() -> _typing.List[str]:
    return sorted(set(globals()) | set(_LAZY))
