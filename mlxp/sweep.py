"""Overrides -> the sweep's concrete points, lazily, in a fixed order: a grid crossed with
the samples of a random search, with config-group globs and shuffles resolved.

A point is a tuple of single-valued ``Override`` objects: the launcher applies them to a config
in order, and ``format_point`` writes them as the ``key=value ...`` text of a progress line.
``new_sweep_id`` names the runs of one command.
"""

from __future__ import annotations

import itertools
import math
import operator
import os
import random
import sys
import time
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple,
                    Union, overload)

from mlxp._sampling import (SEED_KEY, SampledAxis, check_samples, draw_seed, shuffled,
                            sweeper_settings)
from mlxp.errors import OverrideError
from mlxp.overrides import Glob, Interval, Override, format_value

Point = Tuple[Override, ...]


GroupOptions = Callable[[str], Optional[Sequence[str]]]


class Sweep(Sequence[Point]):
    """The cartesian product of some overrides' values, computed point by point.

    The first override varies slowest: ``lr=10.,1. seed=1,2`` gives ``(10., 1)``, ``(10., 2)``,
    ``(1., 1)``, ``(1., 2)``. When a key is given twice, the last argument wins and takes the
    later position, so the points apply overrides in the order the user wrote the winners.
    Overrides that are not sweeps appear in every point. ``sweep[i]`` costs one step per key,
    which lets array jobs pick their point without expanding the others.

    A random search (``interval()`` overrides) is one more axis: its ``samples`` random
    points, placed where the first interval was written, crossed with the grid of the other
    sweeps. ``glob()`` overrides are replaced by the options they select, ``shuffle()`` by
    values in a drawn order.

    Attributes:
        overrides: the overrides that remain once duplicate keys are dropped, in point order,
            with globs and shuffles resolved (and the drawn seed last, when one was drawn).
        size: the number of points (``len()`` too, unless it exceeds ``sys.maxsize``).
        seed: the seed of the random parts; None when the sweep has none.
        seed_drawn: True when no seed was set and ``seed`` was drawn for this sweep.
        added: the overrides the sweep added to every point (``mlxp.sweeper.seed=<seed>``
            when it drew one): a command re-run with them draws the same points.
    """

    def __init__(self, overrides: Iterable[Override], group_options: Optional[GroupOptions] = None,
                 sweeper: Optional[Dict[str, Any]] = None) -> None:
        winners: Dict[str, Override] = {}
        for override in overrides:
            winners.pop(override.key, None)  # re-inserted: the later position counts
            winners[override.key] = override
        chosen = [_select_glob(o, group_options) if o.is_deferred and not o.shuffle
                  and isinstance(o.values[0], Glob) else o for o in winners.values()]
        intervals = [o for o in chosen if o.is_deferred and isinstance(o.values[0], Interval)]
        samples, seed = sweeper_settings(chosen, sweeper)
        check_samples(intervals, samples)
        self.seed: Optional[int] = seed
        self.seed_drawn = False
        self.added: Tuple[Override, ...] = ()
        if seed is None and any(o.is_deferred for o in chosen):
            self.seed, self.seed_drawn = draw_seed(), True
            self.added = (Override("set", SEED_KEY, (self.seed,)),)
            chosen += self.added
        rng = random.Random(self.seed)
        chosen = [shuffled(o, rng) if o.shuffle else o for o in chosen]
        self.overrides: Tuple[Override, ...] = tuple(chosen)
        # an axis per override, but one for all intervals; ``_slots`` finds each override's
        # axis and its place in the axis's picks
        self._axes: List[Sequence[Tuple[Override, ...]]] = []
        self._slots: List[Tuple[int, int]] = []
        sampled = -1
        for override in chosen:
            if override in intervals:
                if sampled < 0:
                    sampled = len(self._axes)
                    self._axes.append(SampledAxis(intervals, samples, self.seed or 0))
                self._slots.append((sampled, intervals.index(override)))
            else:
                self._slots.append((len(self._axes), 0))
                self._axes.append(tuple((o,) for o in override.expand()))
        self.size: int = math.prod(len(axis) for axis in self._axes)
        # without a random search each axis is one override's values: a plain product
        self._grid = None if intervals else tuple(o.expand() for o in chosen)

    def __len__(self) -> int:
        return self.size

    @property
    def shape(self) -> Tuple[int, ...]:
        """The size of each axis (an override, or all intervals together), in point order;
        ``size`` is their product."""
        return tuple(len(axis) for axis in self._axes)

    def _point(self, digits: Sequence[int]) -> Point:
        picks = [axis[digit] for axis, digit in zip(self._axes, digits)]
        return tuple(picks[axis][slot] for axis, slot in self._slots)

    def __iter__(self) -> Iterator[Point]:
        if self._grid is not None:
            return itertools.product(*self._grid)
        return map(self._point, itertools.product(*(range(len(axis)) for axis in self._axes)))

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
        digits: List[int] = []
        for axis in reversed(self._axes):  # the last axis is the fastest digit
            position, digit = divmod(position, len(axis))
            digits.append(digit)
        return self._point(digits[::-1])

    def __repr__(self) -> str:
        keys = ", ".join(override.key for override in self.overrides)
        return f"<Sweep of {self.size} point{'s' * (self.size != 1)} over {keys or 'no keys'}>"


def _select_glob(override: Override, group_options: Optional[GroupOptions]) -> Override:
    """The glob's options of the override's group, as a sweep over them."""
    pattern: Glob = override.values[0]
    options = group_options(override.key) if group_options is not None else None
    if options is None:
        raise OverrideError(
            f"{override.text!r}: glob() selects options of a config group; {override.key!r} is"
            " not a group (a directory of option files next to config.yaml); sweep a value"
            " with key=a,b instead", key=override.key, argument=override.text)
    selected = pattern.select(options)
    if not selected:
        raise OverrideError(
            f"{override.text!r} selects none of the options of {override.key!r}:"
            f" {', '.join(sorted(options)) or '(none)'}", key=override.key,
            argument=override.text)
    return Override(override.kind, override.key, selected, True, spellings=[
        format_value(option) for option in selected])


def expand_sweep(overrides: Iterable[Override], group_options: Optional[GroupOptions] = None,
                 sweeper: Optional[Dict[str, Any]] = None) -> Sweep:
    """The points of the sweep the overrides describe (see ``Sweep`` for order and duplicates).

    Nothing is expanded until the points are iterated or indexed; ``len()`` is immediate.

    Args:
        overrides: the parsed command line.
        group_options: the options of a config group, by the override's key as written
            (``model``, ``model@encoder``); None for a key that is no group. A ``glob()``
            needs it.
        sweeper: the ``mlxp.sweeper`` settings of mlxp.yaml (``samples``, ``seed``); the
            command line's ``mlxp.sweeper.*`` overrides win over them.

    A sweep with random parts (``shuffle()``, ``interval()``) and no seed draws one, prints
    it once on stderr and adds ``mlxp.sweeper.seed=<seed>`` to every point, so that each run
    records it with its settings and the same points can be drawn again.

    Raises:
        OverrideError: a glob of a key that is no group, or that selects nothing; an
            interval without ``mlxp.sweeper.samples``; a sweeper setting of the wrong type.
    """
    sweep = Sweep(overrides, group_options, sweeper)
    if sweep.seed_drawn:
        print(f"mlxp: note: this sweep's random order and points come from seed {sweep.seed};"
              f" draw the same again with {SEED_KEY}={sweep.seed}", file=sys.stderr)
    return sweep


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
