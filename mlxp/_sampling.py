"""The random parts of a sweep, all drawn from one seed (``mlxp.sweeper.seed``) so that the
same command gives the same points: the order of a ``shuffle()`` and the points of a random
search over ``interval()`` axes.
"""

from __future__ import annotations

import math
import os
import random
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mlxp.errors import OverrideError
from mlxp.overrides import Interval, Override

__all__ = ["SampledAxis", "draw_seed", "shuffled", "sweeper_settings"]

SEED_KEY = "mlxp.sweeper.seed"
SAMPLES_KEY = "mlxp.sweeper.samples"


def draw_seed() -> int:
    """A fresh seed, printable and short enough to type back: 0 <= seed < 2**31."""
    return int.from_bytes(os.urandom(4), "big") >> 1


def sweeper_settings(overrides: Sequence[Override], sweeper: Optional[Dict[str, Any]]
                     ) -> Tuple[int, Optional[int]]:
    """``(samples, seed)``: the command line's ``mlxp.sweeper.*`` over mlxp.yaml's section.

    Raises:
        OverrideError: a sweep of these settings, or a value of the wrong type.
    """
    found = {"samples": (sweeper or {}).get("samples", 0), "seed": (sweeper or {}).get("seed")}
    for override in overrides:
        if override.key in ("mlxp.sweeper", SAMPLES_KEY, SEED_KEY) and override.values:
            if override.is_sweep:
                raise OverrideError(f"{override.text!r}: the sweeper's settings take one value;"
                                    " run one command per seed or sample count",
                                    key=override.key, argument=override.text)
            value = override.values[0]
            if override.key == "mlxp.sweeper":
                found.update(value if isinstance(value, dict) else {})
            else:
                found[override.key.rsplit(".", 1)[1]] = value
    samples, seed = found["samples"], found["seed"]
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
        raise OverrideError(f"mlxp.sweeper.samples must be a whole number >= 0, not {samples!r}",
                            key=SAMPLES_KEY)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise OverrideError(f"mlxp.sweeper.seed must be an integer or null, not {seed!r}",
                            key=SEED_KEY)
    return samples, seed


def shuffled(override: Override, rng: random.Random) -> Override:
    """The override with its sweep's values (or its list value) in an order drawn by ``rng``."""
    if not override.is_sweep:
        items = list(override.values[0])
        rng.shuffle(items)
        return Override(override.kind, override.key, (items,), False)
    order = list(range(len(override.values)))
    rng.shuffle(order)
    spellings = override.spellings
    return Override(override.kind, override.key, [override.values[i] for i in order], True,
                    spellings=[spellings[i] for i in order] if spellings else ())


def _draw(interval: Interval, rng: random.Random) -> Any:
    start, end = interval.start, interval.end
    if interval.integer:
        if not interval.log:
            return rng.randint(int(start), int(end))
        drawn = math.exp(rng.uniform(math.log(start), math.log(end + 1)))
        return min(int(drawn), int(end))  # floor of [start, end+1): each integer its share
    if interval.log:
        drawn = math.exp(math.log(start) + rng.random() * (math.log(end) - math.log(start)))
    else:
        drawn = start + rng.random() * (end - start)
    # rounding may land on an edge: keep every draw inside [start, end)
    return min(max(drawn, start), math.nextafter(end, start))


class SampledAxis(Sequence[Tuple[Override, ...]]):
    """The ``samples`` random points of the interval overrides: sample ``j`` draws each of
    them, in argument order, from its own generator seeded by ``(seed, j)``; so any sample
    is computed alone (array tasks, streaming dry runs) and is the same every time."""

    def __init__(self, overrides: Sequence[Override], samples: int, seed: int) -> None:
        self.overrides, self.samples, self.seed = tuple(overrides), samples, seed
        self._last: Tuple[int, Tuple[Override, ...]] = (-1, ())

    def __len__(self) -> int:
        return self.samples

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(self.samples)[index]]
        if not 0 <= index < self.samples:
            raise IndexError(f"sample {index} of {self.samples}")
        if self._last[0] != index:  # the slower axes repeat one sample for many points
            rng = random.Random(f"mlxp-sample:{self.seed}:{index}")
            self._last = (index, tuple(
                Override(o.kind, o.key, (_draw(o.values[0], rng),)) for o in self.overrides))
        return self._last[1]


def check_samples(intervals: List[Override], samples: int) -> None:
    """Random-search axes need ``mlxp.sweeper.samples``: there is no grid of an interval.

    Raises:
        OverrideError: an interval without samples, naming the argument.
    """
    if intervals and samples == 0:
        first = intervals[0]
        raise OverrideError(
            f"{first.text!r} is a random-search axis: set mlxp.sweeper.samples=N (on the command"
            " line or in mlxp.yaml) to draw N points", key=first.key, argument=first.text)
