"""Overrides -> the sweep's concrete points, lazily, in a fixed order.

A point is a tuple of single-valued ``Override`` objects: the launcher applies them to a config
in order, and ``format_point`` writes them as the ``key=value ...`` text of a progress line.
``new_sweep_id`` names the runs of one command.
"""

from __future__ import annotations

import itertools
import math
import operator
import os
import time
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple, Union, overload

from mlxp.overrides import Override

Point = Tuple[Override, ...]


class Sweep(Sequence[Point]):
    """The cartesian product of some overrides' values, computed point by point.

    The first override varies slowest: ``lr=10.,1. seed=1,2`` gives ``(10., 1)``, ``(10., 2)``,
    ``(1., 1)``, ``(1., 2)``. When a key is given twice, the last argument wins and takes the
    later position, so the points apply overrides in the order the user wrote the winners.
    Overrides that are not sweeps appear in every point. ``sweep[i]`` costs one step per key,
    which lets array jobs pick their point without expanding the others.

    Attributes:
        overrides: the overrides that remain once duplicate keys are dropped, in point order.
        size: the number of points (``len()`` too, unless it exceeds ``sys.maxsize``).
    """

    def __init__(self, overrides: Iterable[Override]) -> None:
        winners: Dict[str, Override] = {}
        for override in overrides:
            winners.pop(override.key, None)  # re-inserted: the later position counts
            winners[override.key] = override
        self.overrides: Tuple[Override, ...] = tuple(winners.values())
        self._choices = tuple(override.expand() for override in self.overrides)
        self.size: int = math.prod(len(choices) for choices in self._choices)

    def __len__(self) -> int:
        return self.size

    @property
    def shape(self) -> Tuple[int, ...]:
        """The number of values of each override, in point order; ``size`` is their product."""
        return tuple(len(choices) for choices in self._choices)

    def __iter__(self) -> Iterator[Point]:
        return itertools.product(*self._choices)

    @overload
    def __getitem__(self, index: int) -> Point: ...

    @overload
    def __getitem__(self, index: slice) -> List[Point]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Point, List[Point]]:
        if isinstance(index, slice):
            return [self[i] for i in range(self.size)[index]]
        position = operator.index(index)
        if position < 0:
            position += self.size
        if not 0 <= position < self.size:
            raise IndexError(f"point {index} of a sweep of {self.size}")
        picks: List[Override] = []
        for choices in reversed(self._choices):  # the last key is the fastest digit
            position, digit = divmod(position, len(choices))
            picks.append(choices[digit])
        return tuple(reversed(picks))

    def __repr__(self) -> str:
        keys = ", ".join(override.key for override in self.overrides)
        return f"<Sweep of {self.size} point{'s' * (self.size != 1)} over {keys or 'no keys'}>"


def expand_sweep(overrides: Iterable[Override]) -> Sweep:
    """The points of the sweep the overrides describe (see ``Sweep`` for order and duplicates).

    Nothing is expanded until the points are iterated or indexed; ``len()`` is immediate.
    """
    return Sweep(overrides)


def new_sweep_id() -> str:
    """A fresh id for the runs of one command, e.g. ``20261201-150708-3fa2c1``.

    Every run of a launch (and of an mlxpsub submission) records it as ``info.sweep_id``, so
    that the Reader, ``mlxp status`` and ``mlxp cancel`` can select the sweep with the query
    ``info.sweep_id == '...'``. The time makes ids sort by launch; the random part keeps two
    launches of the same second apart.
    """
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{os.urandom(3).hex()}"


def format_point(point: Iterable[Override]) -> str:
    """The point as ``key=value key=value``, each value spelled as the user wrote it.

    Each ``override.text`` in a point is one valid argument; a job script quotes them one by one.
    """
    return " ".join(override.text for override in point)
