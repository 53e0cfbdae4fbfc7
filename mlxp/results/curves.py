"""Curves: one metric of a run against another key of the same log, aligned across runs,
aggregated per group and downsampled to a chart's width.

``mlxp plot`` draws them and ``mlxp ui`` sends them to the browser. Non-numeric values are
skipped (a key missing from a line, a string, NaN): a point needs a number on both axes.
"""

from __future__ import annotations

import math
import operator
import os
from bisect import bisect_right
from dataclasses import dataclass
from itertools import islice
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from mlxp import _layout
from mlxp.errors import UsageError
from mlxp.results.metricfiles import is_number, read_records

__all__ = ["BANDS", "STEP", "Aggregate", "Series", "align_and_aggregate", "downsample_minmax",
           "is_increasing", "read_series", "series_bounds", "split_metric"]

STEP = "step"
"""The x key meaning the line number of the metrics file (0-based)."""
BANDS = ("minmax", "std")


@dataclass
class Series:
    """One run's curve: its points in logged order."""

    run: str
    x: List[float]
    y: List[float]


@dataclass
class Aggregate:
    """Runs aligned on their x values: at each x, the mean of the runs that have it, the band
    around it (min/max, or mean ± standard deviation) and how many runs there are."""

    x: List[float]
    mean: List[float]
    lo: List[float]
    hi: List[float]
    count: List[int]


def split_metric(metric: str, log_names: Sequence[str]) -> Tuple[str, str]:
    """``"train.loss"`` -> ``("train", "loss")``, with the longest log name that fits (a log
    name may hold dots).

    Raises:
        UsageError: no log of ``log_names`` starts ``metric``.
    """
    for log_name in sorted(log_names, key=len, reverse=True):
        if metric.startswith(log_name + ".") and len(metric) > len(log_name) + 1:
            return log_name, metric[len(log_name) + 1:]
    known = ", ".join(sorted(log_names)) or "none"
    raise UsageError(f"metric {metric!r} is not '<log>.<key>' of a known log (logs: {known})",
                     key=metric)


def read_series(run: str, run_dir: str, log_name: str, y: str, x: str = STEP) -> Series:
    """The ``(x, y)`` points of ``metrics/<log_name>.json`` where both are numbers; x is the
    line number when ``x`` is ``"step"`` (and the log has no ``step`` key of its own).
    A missing or unreadable file gives an empty series."""
    path = os.path.join(run_dir, _layout.METRICS_DIR, log_name + _layout.METRIC_SUFFIX)
    try:
        records = read_records(path)
    except OSError:
        return Series(run, [], [])
    by_line = x == STEP and not any(STEP in record for record in records[:1])
    ys_all: List[Any] = [record.get(y) for record in records]
    xs_all: List[Any] = list(range(len(records))) if by_line else [record.get(x) for record in
                                                                  records]
    if _all_numbers(xs_all) and _all_numbers(ys_all):  # the usual case, checked in C
        return Series(run, xs_all, ys_all)
    xs: List[float] = []
    ys: List[float] = []
    for x_value, y_value in zip(xs_all, ys_all):
        if is_number(x_value) and is_number(y_value):
            xs.append(x_value)
            ys.append(y_value)
    return Series(run, xs, ys)


def _all_numbers(values: List[Any]) -> bool:
    """Whether every value ``is_number``, without a Python call per value."""
    try:
        return set(map(type, values)) <= {int, float} and all(map(math.isfinite, values))
    except OverflowError:  # an int too large for a float: is_number takes it, point by point
        return False


def align_and_aggregate(series: Sequence[Series], band: str = "minmax") -> Aggregate:
    """Align the runs' curves on the union of their x values (sorted) and aggregate each x
    over the runs that have it. A run with several points at one x counts once, with their
    mean. ``band`` is ``"minmax"`` or ``"std"`` (population standard deviation).

    Raises:
        UsageError: an unknown ``band``.
    """
    if band not in BANDS:
        raise UsageError(f"band must be one of {', '.join(BANDS)}, not {band!r}", key=band)
    columns: Dict[float, List[float]] = {}
    for one in series:
        per_x: Dict[float, List[float]] = {}
        for x_value, y_value in zip(one.x, one.y):
            per_x.setdefault(x_value, []).append(y_value)
        for x_value, values in per_x.items():
            columns.setdefault(x_value, []).append(math.fsum(values) / len(values))
    result = Aggregate([], [], [], [], [])
    for x_value in sorted(columns):
        values = columns[x_value]
        mean = math.fsum(values) / len(values)
        if band == "minmax":
            low, high = min(values), max(values)
        else:
            spread = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
            low, high = mean - spread, mean + spread
        result.x.append(x_value)
        result.mean.append(mean)
        result.lo.append(min(low, mean))  # rounding must not put the mean outside its band
        result.hi.append(max(high, mean))
        result.count.append(len(values))
    return result


def downsample_minmax(xs: Sequence[float], ys: Sequence[float], width: int
                      ) -> Tuple[List[float], List[float]]:
    """At most ``2 * width`` points that keep each pixel column's lowest and highest y, in
    their original order, so that a peak survives. ``width`` buckets split the x range evenly.

    Raises:
        UsageError: ``width`` is below 1, or ``xs`` and ``ys`` differ in length.
    """
    if width < 1:
        raise UsageError(f"width must be 1 or more, not {width}", key="width")
    if len(xs) != len(ys):
        raise UsageError(f"{len(xs)} x values for {len(ys)} y values", key="xs")
    if len(xs) <= 2 * width:
        return list(xs), list(ys)
    low, high = min(xs), max(xs)
    scale = width / (high - low) if high > low else 0.0
    last = width - 1

    def bucket(x_value: float) -> int:
        return min(int((x_value - low) * scale), last)

    if _sorted_without_nan(xs, ys):
        kept = _extremes_of_sorted(xs, ys, bucket)
    else:
        lowest: Dict[int, int] = {}
        highest: Dict[int, int] = {}
        for index, (x_value, y_value) in enumerate(zip(xs, ys)):
            column = bucket(x_value)
            if column not in lowest or y_value < ys[lowest[column]]:
                lowest[column] = index
            if column not in highest or y_value > ys[highest[column]]:
                highest[column] = index
        kept = sorted(set(lowest.values()) | set(highest.values()))
    return [xs[i] for i in kept], [ys[i] for i in kept]


def is_increasing(xs: Sequence[float]) -> bool:
    """Whether ``xs`` never decreases (ties allowed)."""
    return all(map(operator.le, xs, islice(xs, 1, None)))


def _sorted_without_nan(xs: Sequence[float], ys: Sequence[float]) -> bool:
    """Whether ``xs`` never decreases and ``ys`` holds no NaN: ``min``/``max`` then pick the
    points the scan picks (the first lowest and the first highest y of each bucket)."""
    try:
        return is_increasing(xs) and not any(map(math.isnan, ys))
    except (OverflowError, TypeError):  # an int too large for a float: the scan handles it
        return False


def _extremes_of_sorted(xs: Sequence[float], ys: Sequence[float],
                        bucket: Callable[[float], int]) -> List[int]:
    """The scan's result for a sorted x, with one bisection per bucket (a bucket is a run of
    points, its number never decreasing with x) and ``min``/``max`` over its slice in C."""
    kept: List[int] = []
    start, count = 0, len(xs)
    while start < count:
        end = bisect_right(xs, bucket(xs[start]), lo=start, key=bucket)
        chunk = ys[start:end]
        kept.extend(sorted({start + chunk.index(min(chunk)), start + chunk.index(max(chunk))}))
        start = end
    return kept


def series_bounds(series: Sequence[Series]) -> Optional[Tuple[float, float, float, float]]:
    """``(x min, x max, y min, y max)`` over every point, or None without points."""
    xs = [x for one in series for x in one.x]
    ys = [y for one in series for y in one.y]
    if not xs:
        return None
    return min(xs), max(xs), min(ys), max(ys)
