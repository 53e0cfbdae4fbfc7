"""mlxp: reproducible, logged, queryable machine-learning experiments.

``@mlxp.launch`` turns a function into a command-line experiment, ``mlxp.Logger`` gives any
script a run directory, ``mlxp.Reader`` queries finished runs, and ``mlxpsub`` submits sweeps
to a cluster's scheduler.
"""

from __future__ import annotations

from mlxp.config import ConfigDict
from mlxp.errors import MLXPError
from mlxp.launcher import Context, launch
from mlxp.logger import Logger

__version__ = "0.1.0.dev0"

DefaultLogger = Logger

__all__ = [
    "ConfigDict",
    "Context",
    "DefaultLogger",
    "Logger",
    "MLXPError",
    "__version__",
    "launch",
]
