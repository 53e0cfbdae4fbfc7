"""MLXP's enumerations, for code written for MLXP: ``from mlxp.enumerations import Status``.

Each value is mlxp's own constant (``Status.COMPLETE.value`` is what ``info.yaml`` holds), so
comparing with ``ctx.info.status`` or a Reader column works as with MLXP.
"""

from __future__ import annotations

from enum import Enum

from mlxp import _layout


class Status(Enum):
    """A run's ``info.status``."""

    STARTING = _layout.STARTING
    COMPLETE = _layout.COMPLETE
    RUNNING = _layout.RUNNING
    FAILED = _layout.FAILED


class Directories(Enum):
    """The directories of a run directory."""

    Metrics = _layout.METRICS_DIR
    Metadata = _layout.METADATA_DIR
    Artifacts = _layout.ARTIFACTS_DIR


class SearchableKeys(Enum):
    """The prefixes of the keys a Reader query can search."""

    Info = "info."
    Config = "config."


class DataFrameType(Enum):
    """The values of ``Reader.filter(result_format=...)``."""

    Pandas = "pandas"
    DataFrame = "datadict"
