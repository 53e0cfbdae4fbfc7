"""Curves cut to a chart's width before they leave the server: min and max per pixel column.

``mlxp.results.curves.downsample_minmax`` visits every point in Python, which costs about half
a second for a million points. Curves are nearly always logged with an increasing x (step,
epoch, time), so here the pixel columns are found by bisection and each column's extremes by
the built-in ``min``/``max`` over a slice, which run in C: a million points take a few
hundredths of a second (bench/bench_ui.py). A curve read from the column cache also comes with
the lowest and highest of each block of 64 values: a pixel column then looks at the values of
the blocks at its two edges and at the kept extremes of those inside: the same points, for a
million of them in about a fifth of the time. Other curves go through the general function.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from typing import List, Optional, Sequence, Tuple

from mlxp.results.columns import Extremes
from mlxp.results.curves import Aggregate, downsample_minmax, is_increasing

Points = Tuple[List[float], List[float]]


def column_edges(xs: Sequence[float], width: int) -> List[int]:
    """For a non-decreasing ``xs``: the index where each of ``width`` equal slices of the x range
    starts, and ``len(xs)`` at the end (empty columns repeat an index)."""
    low, high = xs[0], xs[-1]
    step = (high - low) / width
    inner = [bisect_left(xs, low + step * column) for column in range(1, width)] if step else []
    return [0, *inner, len(xs)]


def _extremes(values: Sequence[float], start: int, end: int, lowest: bool = True,
              highest: bool = True) -> List[int]:
    """The indices of the lowest and highest of ``values[start:end]``."""
    chunk = _listed(values[start:end])
    found = []
    if lowest:
        found.append(start + chunk.index(min(chunk)))
    if highest:
        found.append(start + chunk.index(max(chunk)))
    return found


def _extremes_by_block(values: Sequence[float], extremes: Extremes, start: int, end: int
                       ) -> List[int]:
    """``_extremes(values, start, end)``, visiting only the values of the blocks that stick
    out of the range and, inside it, each block's kept lowest and highest."""
    size = extremes.block
    first, last = -(-start // size), end // size  # the blocks wholly inside the range
    if last - first < 2:
        return _extremes(values, start, end)
    head, tail = _listed(values[start:first * size]), _listed(values[last * size:end])
    found = []
    for pick, table in ((min, extremes.lowest), (max, extremes.highest)):
        blocks = table[first:last]
        in_head, in_blocks = pick(head) if head else None, pick(blocks)
        value = pick(part for part in (in_head, in_blocks, pick(tail) if tail else None)
                     if part is not None)
        # the first value equal to it, as ``list.index`` finds it: the parts are in order, and
        # the first block holding it is the first block whose extreme it is
        if value == in_head:
            found.append(start + head.index(value))
        elif value == in_blocks:
            block = first + blocks.index(value)
            found.append(block * size + _listed(values[block * size:(block + 1) * size]).index(
                value))
        else:
            found.append(last * size + tail.index(value))
    return found


def _listed(values: Sequence[float]) -> List[float]:
    """A slice as a list: an array's values are boxed once here, not at every pass over them."""
    if isinstance(values, list):
        return values
    return values.tolist() if isinstance(values, array) else list(values)


def downsample(xs: Sequence[float], ys: Sequence[float], width: int,
               increasing: Optional[bool] = None, extremes: Optional[Extremes] = None
               ) -> Points:
    """At most ``2 * width`` of the points, in order, keeping each pixel column's lowest and
    highest y so that a peak survives; the points themselves when there are few enough.

    ``increasing`` says whether ``xs`` never decreases, when the caller knows (None: check);
    ``extremes``, the block extremes of ``ys`` if known (the same points, found faster).
    """
    if len(xs) <= 2 * width:
        return list(xs), list(ys)
    if not (is_increasing(xs) if increasing is None else increasing):
        return downsample_minmax(xs, ys, width)
    edges = column_edges(xs, width)
    kept: List[int] = []
    for start, end in zip(edges, edges[1:]):
        if start < end:
            found = (_extremes(ys, start, end) if extremes is None
                     else _extremes_by_block(ys, extremes, start, end))
            kept.extend(sorted(set(found)))
    return [xs[i] for i in kept], [ys[i] for i in kept]


def window(xs: Sequence[float], ys: Sequence[float], x_min: float, x_max: float,
           increasing: Optional[bool] = None) -> Points:
    """The points with ``x_min <= x <= x_max`` (a zoomed chart asks for its range only)."""
    if is_increasing(xs) if increasing is None else increasing:
        start, end = bisect_left(xs, x_min), bisect_right(xs, x_max)
        return list(xs[start:end]), list(ys[start:end])
    inside = [(x, y) for x, y in zip(xs, ys) if x_min <= x <= x_max]
    return [x for x, _ in inside], [y for _, y in inside]


def downsample_aggregate(aggregate: Aggregate, width: int) -> Aggregate:
    """A group's mean and band cut to ``width`` columns: per column, the points holding the
    lowest and highest mean, the lowest ``lo`` and the highest ``hi`` (x is sorted)."""
    if len(aggregate.x) <= 2 * width:
        return aggregate
    edges = column_edges(aggregate.x, width)
    kept: List[int] = []
    for start, end in zip(edges, edges[1:]):
        if start < end:
            picked = set(_extremes(aggregate.mean, start, end))
            picked.update(_extremes(aggregate.lo, start, end, highest=False))
            picked.update(_extremes(aggregate.hi, start, end, lowest=False))
            kept.extend(sorted(picked))
    return Aggregate([aggregate.x[i] for i in kept], [aggregate.mean[i] for i in kept],
                     [aggregate.lo[i] for i in kept], [aggregate.hi[i] for i in kept],
                     [aggregate.count[i] for i in kept])
