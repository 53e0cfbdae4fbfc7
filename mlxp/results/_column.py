"""One metric key's values as float64, NaN where a record has no number for it, and what is
known of them: how many are numbers, whether they never decrease, whether every int was held
exactly, and the extremes of each block of values, with which a chart's pixel columns are found
without visiting every value (``mlxp.results.columns`` keeps them all on disk)."""

from __future__ import annotations

import math
import operator
from array import array
from itertools import compress
from typing import Any, List, NamedTuple, Optional, Sequence

from mlxp.results.curves import is_increasing
from mlxp.results.metricfiles import is_number

__all__ = ["BLOCK", "NAN", "Column", "Extremes", "block_extremes"]

BLOCK = 64
"""Values per block of ``Extremes``: a pixel column of a million points covers a few dozens."""

NAN = float("nan")
"""The mark of a record without a number (``is_number``) for the key."""
_EXACT = 2 ** 53  # the largest int a float64 holds exactly (past it, read_series keeps the int)


class Extremes(NamedTuple):
    """The lowest and the highest value of each ``block`` values in a row (the last block may
    be shorter)."""

    block: int
    lowest: Sequence[float]
    highest: Sequence[float]


def block_extremes(values: Sequence[float], block: int = BLOCK) -> Extremes:
    """The ``Extremes`` of ``values``, which must all be numbers (no NaN)."""
    listed = values.tolist() if isinstance(values, array) else list(values)
    starts = range(0, len(listed), block)
    return Extremes(block, array("d", [min(listed[i:i + block]) for i in starts]),
                    array("d", [max(listed[i:i + block]) for i in starts]))


class Column:
    """One key's values, NaN where a record has no number for it, and what is known of them."""

    def __init__(self, values: "array[float]", numbers: int = 0, exact: bool = True,
                 increasing: bool = True, last: Optional[float] = None) -> None:
        self.values = values
        self.numbers = numbers
        """How many values are numbers (``is_number``)."""
        self.exact = exact
        """False once an int that a float64 cannot hold exactly was seen."""
        self.increasing = increasing
        """Whether the numbers never decrease."""
        self.last = last
        self.extremes: Optional[Extremes] = None
        """The block extremes of the values when known (read from disk, or just written)."""

    def state(self) -> List[Any]:
        """What is known of the values, as the manifest keeps it (``Column(values, *state)``)."""
        return [self.numbers, self.exact, self.increasing, self.last]

    def copy(self) -> "Column":
        """A column to extend without changing this one (which a cache may share)."""
        return Column(array("d", self.values), *self.state())

    def append(self, values: List[Any]) -> None:
        """Add the values of one more record each."""
        self.extremes = None
        types = set(map(type, values))
        if types <= {int, float} and _all_finite(values):
            if int in types and not _ints_exact(values):
                self.exact = False
            chunk = array("d", values)
            numbers = chunk
        else:
            chunk = array("d", map(self._as_float, values))
            numbers = array("d", compress(chunk, map(operator.eq, chunk, chunk)))  # not NaN
        if numbers:
            self.increasing = (self.increasing and (self.last is None or numbers[0] >= self.last)
                               and is_increasing(numbers))
            self.last = numbers[-1]
            self.numbers += len(numbers)
        self.values.extend(chunk)

    def _as_float(self, value: Any) -> float:
        if not is_number(value):
            return NAN
        if type(value) is int and not -_EXACT <= value <= _EXACT:
            self.exact = False
            return 0.0  # a placeholder: the column is not used once inexact
        return float(value)


def _all_finite(values: List[Any]) -> bool:
    try:
        return all(map(math.isfinite, values))
    except OverflowError:  # an int too large for a float
        return False


def _ints_exact(values: List[Any]) -> bool:
    """Whether every int of ``values`` (ints and finite floats) converts to a float exactly."""
    if -_EXACT <= min(values) and max(values) <= _EXACT:
        return True
    return all(-_EXACT <= value <= _EXACT for value in values if type(value) is int)
