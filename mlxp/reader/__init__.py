"""Reading runs back: ``Reader`` queries a parent log directory and returns ``DataFrame``s."""

from __future__ import annotations

from mlxp.reader.frame import DataDict, DataFrame, GroupedDataFrame
from mlxp.reader.reader import Reader

__all__ = ["DataDict", "DataFrame", "GroupedDataFrame", "Reader"]
