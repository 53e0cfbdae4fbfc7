"""Curves: reading a metric against another key, aligning runs, downsampling."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlxp.errors import UsageError
from mlxp.results.metricfiles import is_number
from mlxp.results.curves import (Series, align_and_aggregate, downsample_minmax, read_series,
                                 split_metric)

from tests.reader.runs import metrics_lines, records_line_by_line, write_file
from tests.strategies import curve_points, finite_numbers, run_curves


@pytest.mark.parametrize("rows, x, expected", [
    pytest.param([{"loss": 3}, {"loss": 2}], "step", ([0, 1], [3, 2]), id="step-is-line-number"),
    pytest.param([{"e": 0, "loss": 3}, {"e": 1, "loss": 2}], "e", ([0, 1], [3, 2]), id="other-key"),
    pytest.param([{"e": 0, "loss": 3}, {"loss": 2}, {"e": 2, "loss": "x"}, {"e": 3, "loss": 1.5}],
                 "e", ([0, 3], [3, 1.5]), id="points-need-two-numbers"),
    pytest.param([{"loss": 3}, {"acc": 1}, {"loss": 1}], "step", ([0, 2], [3, 1]),
                 id="step-counts-every-line"),
    pytest.param([{"step": 10, "loss": 3}, {"step": 20, "loss": 1}], "step", ([10, 20], [3, 1]),
                 id="a-logged-step-key-wins"),
    pytest.param([], "step", ([], []), id="empty"),
])
def test_read_series(tmp_path: Path, rows: list, x: str, expected: Tuple[list, list]) -> None:
    write_file(str(tmp_path / "metrics" / "train.json"), metrics_lines(rows))
    series = read_series("1", str(tmp_path), "train", "loss", x)
    assert (series.x, series.y) == expected


def test_a_missing_metrics_file_is_an_empty_series(tmp_path: Path) -> None:
    assert read_series("1", str(tmp_path), "train", "loss").x == []


@pytest.mark.parametrize("metric, logs, expected", [
    pytest.param("train.loss", ["train", "test"], ("train", "loss"), id="plain"),
    pytest.param("train.eval.loss", ["train", "train.eval"], ("train.eval", "loss"), id="dotted-log"),
    pytest.param("train.a.b", ["train"], ("train", "a.b"), id="dotted-key"),
])
def test_split_metric(metric: str, logs: List[str], expected: Tuple[str, str]) -> None:
    assert split_metric(metric, logs) == expected


def test_split_metric_names_the_known_logs() -> None:
    with pytest.raises(UsageError, match="logs: test, train"):
        split_metric("val.loss", ["train", "test"])


@pytest.mark.parametrize("series, band, expected", [
    pytest.param([([0, 1], [1.0, 3.0]), ([0, 1], [3.0, 5.0])], "minmax",
                 ([0, 1], [2.0, 4.0], [1.0, 3.0], [3.0, 5.0], [2, 2]), id="minmax"),
    pytest.param([([0, 1], [1.0, 3.0]), ([0, 1], [3.0, 5.0])], "std",
                 ([0, 1], [2.0, 4.0], [1.0, 3.0], [3.0, 5.0], [2, 2]), id="std"),
    pytest.param([([0, 1, 2], [1.0, 1.0, 1.0]), ([0, 1], [3.0, 3.0])], "minmax",
                 ([0, 1, 2], [2.0, 2.0, 1.0], [1.0, 1.0, 1.0], [3.0, 3.0, 1.0], [2, 2, 1]),
                 id="a-run-ended-early"),
    pytest.param([([1, 0], [2.0, 4.0]), ([2], [6.0])], "minmax",
                 ([0, 1, 2], [4.0, 2.0, 6.0], [4.0, 2.0, 6.0], [4.0, 2.0, 6.0], [1, 1, 1]),
                 id="union-sorted"),
    pytest.param([([0, 0], [1.0, 3.0]), ([0], [4.0])], "minmax",
                 ([0], [3.0], [2.0], [4.0], [2]), id="repeated-x-averaged-per-run"),
])
def test_align_and_aggregate(series: list, band: str, expected: tuple) -> None:
    found = align_and_aggregate([Series(str(i), x, y) for i, (x, y) in enumerate(series)], band)
    assert (found.x, found.mean, found.lo, found.hi, found.count) == expected


def test_an_unknown_band_is_refused() -> None:
    with pytest.raises(UsageError, match="minmax, std"):
        align_and_aggregate([], "iqr")


@given(run_curves, st.sampled_from(["minmax", "std"]))
def test_aggregate_counts_the_runs_at_each_x_and_brackets_the_mean(
        curves: List[List[Tuple[int, float]]], band: str) -> None:
    series = [Series(str(i), [p[0] for p in c], [p[1] for p in c]) for i, c in enumerate(curves)]
    found = align_and_aggregate(series, band)
    assert found.x == sorted({x for one in series for x in one.x})
    for x, low, mean, high, count in zip(found.x, found.lo, found.mean, found.hi, found.count):
        assert count == sum(x in one.x for one in series)
        assert low <= mean <= high


@pytest.mark.parametrize("xs, ys, width, expected", [
    pytest.param([0, 1, 2], [5, 6, 7], 2, ([0, 1, 2], [5, 6, 7]), id="few-points-kept"),
    pytest.param(list(range(8)), [0, 9, 1, 1, 1, 1, -5, 1], 2,
                 ([0, 1, 4, 6], [0, 9, 1, -5]), id="peaks-survive"),
    pytest.param([0] * 6, [3, 1, 2, 5, 0, 4], 1, ([0, 0], [5, 0]), id="one-x-value"),
])
def test_downsample_minmax(xs: list, ys: list, width: int, expected: tuple) -> None:
    assert downsample_minmax(xs, ys, width) == expected


@given(curve_points, st.integers(1, 50))
def test_downsampling_keeps_order_extremes_and_the_bound(points: List[Tuple[float, float]],
                                                          width: int) -> None:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    out_x, out_y = downsample_minmax(xs, ys, width)
    assert len(out_x) <= max(2 * width, len(xs)) and len(out_x) == len(out_y)
    assert len(out_x) <= 2 * width or (out_x, out_y) == (xs, ys)
    remaining = iter(zip(xs, ys))  # a subsequence: every kept point, in the original order
    assert all(point in remaining for point in zip(out_x, out_y))
    if ys:
        assert min(out_y) == min(ys) and max(out_y) == max(ys)


@pytest.mark.parametrize("width, xs, ys", [
    pytest.param(0, [1], [1], id="zero-width"),
    pytest.param(5, [1, 2], [1], id="lengths-differ"),
])
def test_downsample_refuses_bad_arguments(width: int, xs: list, ys: list) -> None:
    with pytest.raises(UsageError):
        downsample_minmax(xs, ys, width)


@pytest.mark.parametrize("text, expected", [
    pytest.param('{"x": 0, "y": 1}\n\n{"x": 1, "y": 2}\n', ([0, 1], [1, 2]), id="blank-line"),
    pytest.param('{"x": 0, "y": 1}\n  \n{"x": 1, "y": 2}\r\n', ([0, 1], [1, 2]), id="spaces-crlf"),
    pytest.param('{"x": 0, "y": 1}\n{"x": 1, "y"\n{"x": 2, "y": 3}\n', ([0, 2], [1, 3]),
                 id="torn-line"),
    pytest.param('{"x": 0, "y": 1}\n{"x": 1, "y": 2}', ([0, 1], [1, 2]), id="last-line-whole"),
    pytest.param('{"x": 0, "y": 1}\n{"x": 1, "y": 2', ([0], [1]), id="last-line-partial"),
    pytest.param('{"x": 0, "y": 1}\n[1]\n{"x": 2, "y": 3}\n', ([0, 2], [1, 3]), id="not-a-mapping"),
    pytest.param('{"x": 0, "y": true}\n{"x": 1, "y": NaN}\n{"x": 2, "y": "3"}\n{"x": 3, "y": 4}\n',
                 ([3], [4]), id="non-numbers"),
    pytest.param('{"x": 0, "y": 1e999}\n{"x": 1, "y": -1}\n', ([1], [-1]), id="overflow-to-inf"),
    pytest.param('{"x": 0, "y": %d}\n{"x": 1, "y": 2.5}\n' % 10**400, ([0, 1], [10**400, 2.5]),
                 id="int-too-large-for-a-float"),
])
def test_read_series_of_damaged_or_odd_files(tmp_path: Path, text: str,
                                             expected: Tuple[list, list]) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "train.json").write_text(text)
    series = read_series("1", str(tmp_path), "train", "y", "x")
    assert (series.x, series.y) == expected
    assert [type(v) for v in series.x + series.y] == [type(v) for v in expected[0] + expected[1]]


_record_values = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3)


@given(st.lists(st.one_of(
    st.dictionaries(st.sampled_from(["x", "y", "z"]), _record_values, max_size=3).map(json.dumps),
    st.sampled_from(["", " ", "not json", "[1, 2]", '{"x": 1', "\r"]),
), max_size=12), st.booleans())
def test_read_series_matches_a_line_by_line_reading(tmp_path_factory: Any, lines: List[str],
                                                    newline_at_end: bool) -> None:
    run_dir = tmp_path_factory.mktemp("run")
    (run_dir / "metrics").mkdir()
    text = "\n".join(lines) + ("\n" if newline_at_end and lines else "")
    (run_dir / "metrics" / "train.json").write_text(text)
    records = records_line_by_line(text)
    for x in ("x", "step"):
        by_line = x == "step" and not any("step" in record for record in records[:1])
        points = [(number if by_line else record.get(x), record.get("y"))
                  for number, record in enumerate(records)]
        points = [(a, b) for a, b in points if is_number(a) and is_number(b)]
        series = read_series("1", str(run_dir), "train", "y", x)
        assert list(zip(series.x, series.y)) == points


def _scanned_minmax(xs: List[float], ys: List[float], width: int) -> Tuple[list, list]:
    """The reference: every point visited, each bucket's first lowest and first highest y."""
    if len(xs) <= 2 * width:
        return xs, ys
    low, high = min(xs), max(xs)
    scale = width / (high - low) if high > low else 0.0
    lowest: dict = {}
    highest: dict = {}
    for index, (x, y) in enumerate(zip(xs, ys)):
        column = min(int((x - low) * scale), width - 1)
        if column not in lowest or y < ys[lowest[column]]:
            lowest[column] = index
        if column not in highest or y > ys[highest[column]]:
            highest[column] = index
    kept = sorted(set(lowest.values()) | set(highest.values()))
    return [xs[i] for i in kept], [ys[i] for i in kept]


_coarse = st.integers(-5, 5) | st.sampled_from([0.5, -0.5, 1.0, 2.0, 1e-300, 1e300])


@given(st.lists(st.tuples(_coarse | finite_numbers, _coarse | finite_numbers), min_size=1,
                max_size=300), st.integers(1, 40), st.booleans())
def test_downsampling_a_sorted_curve_keeps_what_a_scan_keeps(points: List[Tuple[float, float]],
                                                             width: int, sort: bool) -> None:
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    if sort:
        xs.sort()
    assert downsample_minmax(xs, ys, width) == _scanned_minmax(xs, ys, width)
