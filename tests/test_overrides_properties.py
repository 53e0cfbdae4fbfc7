"""Properties of the grammar and of sweeps, checked on generated overrides."""

from __future__ import annotations

import fnmatch
import itertools
import math
from typing import Any, Dict, List

from hypothesis import given
from hypothesis import strategies as st
from strategies import (AWKWARD, deferred_overrides, distinct_choices, globs, group_keys,
                        intervals, keys, options, overrides, sweeps, texts, values)

from mlxp.errors import OverrideSyntaxError
from mlxp.overrides import (Glob, Interval, Override, format_override, format_value,
                            parse_override, split_package)
from mlxp.sweep import expand_sweep, format_point


@given(overrides())
def test_format_then_parse_gives_the_same_override(override: Override) -> None:
    assert parse_override(format_override(override)) == override
    assert parse_override(override.text) == override


@given(values)
def test_any_value_survives_format_value(value: Any) -> None:
    assert parse_override("k=" + format_value(value)) == Override("set", "k", (value,))


@given(texts | st.text(alphabet=AWKWARD))
def test_any_text_survives_as_one_string(text: str) -> None:
    parsed = parse_override("k=" + format_value(text))
    assert parsed.values == (text,) and type(parsed.values[0]) is str
    assert not parsed.is_sweep


@given(st.sampled_from(["", "k=", "~k=", "+k=", "k=range(", "k=choice(", "k=[", "k={"]),
       st.text(alphabet=AWKWARD + "0123456789()[]{}rangechoice", max_size=25) | st.text())
def test_any_text_parses_or_fails_with_a_caret_inside_it(prefix: str, text: str) -> None:
    argument = prefix + text
    try:
        override = parse_override(argument)
    except OverrideSyntaxError as error:
        assert 0 <= error.column <= len(argument) and error.argument == argument
        return
    assert parse_override(format_override(override)) == override
    for point in override.expand():
        assert parse_override(point.text) == point


@given(keys, distinct_choices)
def test_each_point_of_a_parsed_sweep_is_a_valid_argument(key: str, choices: List[Any]) -> None:
    swept = parse_override(f"++{key}=choice( " + " , ".join(map(format_value, choices)) + " )")
    for point, choice in zip(swept.expand(), choices):
        assert parse_override(point.text) == Override("force", key, (choice,))


def _winners(overrides: List[Override]) -> List[Override]:
    """Last wins, at the later position: computed independently of mlxp.sweep."""
    latest: Dict[str, int] = {o.key: i for i, o in enumerate(overrides)}
    return [o for i, o in enumerate(overrides) if latest[o.key] == i]


@given(sweeps)
def test_size_is_the_product_of_the_choices(overrides: List[Override]) -> None:
    sweep = expand_sweep(overrides)
    expected = math.prod(len(o.values) if o.is_sweep else 1 for o in _winners(overrides))
    assert len(sweep) == expected == len(list(sweep))


@given(sweeps)
def test_points_are_distinct_and_in_cartesian_order(overrides: List[Override]) -> None:
    sweep = expand_sweep(overrides)
    points = list(sweep)
    assert len(set(points)) == len(points)
    winners = _winners(overrides)
    choices = [o.values if o.is_sweep else (o.values[0] if o.values else None,) for o in winners]
    expected = [
        [Override(o.kind, o.key, (v,) if o.values else ()) for o, v in zip(winners, combination)]
        for combination in itertools.product(*choices)
    ]
    assert [list(point) for point in points] == expected
    assert [sweep[i] for i in range(len(sweep))] == points


@given(sweeps)
def test_a_point_read_back_from_its_line_is_the_same_point(overrides: List[Override]) -> None:
    for point in itertools.islice(expand_sweep(overrides), 20):
        assert tuple(parse_override(o.text) for o in point) == point
        assert format_point(point) == " ".join(o.text for o in point)


# ------------------------------------------- groups, glob(), interval(), shuffle(), samples

@given(deferred_overrides())
def test_groups_globs_intervals_and_shuffles_survive_format_then_parse(
        override: Override) -> None:
    assert parse_override(format_override(override)) == override


@given(group_keys, st.sampled_from(["", "+", "++", "~"]))
def test_a_group_key_keeps_its_text_and_splits_at_its_package(key: str, prefix: str) -> None:
    parsed = parse_override(f"{prefix}{key}" + ("" if prefix == "~" else "=x"))
    assert parsed.key == key
    group, package = split_package(key)
    assert group + ("" if package is None else "@" + package) == key and "@" not in group


@given(globs, options)
def test_a_glob_selects_the_sorted_options_it_includes_and_does_not_exclude(
        glob: Glob, names: List[str]) -> None:
    selected = glob.select(names)
    assert selected == sorted(set(selected)) and set(selected) <= set(names)
    for name in set(names):
        included = any(fnmatch.fnmatchcase(name, p) for p in glob.include)
        excluded = any(fnmatch.fnmatchcase(name, p) for p in glob.exclude)
        assert (name in selected) == (included and not excluded)


@given(intervals(), st.lists(st.integers(0, 9), max_size=3), st.integers(1, 20),
       st.integers(0, 2**31))
def test_a_random_search_crosses_its_samples_with_the_grid_the_same_each_time(
        interval: Interval, grid: List[int], samples: int, seed: int) -> None:
    arguments = [Override("set", "lr", (interval,), True),
                 *([Override("set", "g", tuple(range(len(grid))), True)] if grid else []),
                 Override("set", "mlxp.sweeper.samples", (samples,)),
                 Override("set", "mlxp.sweeper.seed", (seed,))]
    sweep = expand_sweep(arguments)
    points = list(sweep)
    assert len(points) == sweep.size == samples * max(len(grid), 1)
    drawn = [point[0].value for point in points]
    for value in drawn:
        assert type(value) is type(interval.start)
        assert interval.start <= value <= interval.end
        assert interval.integer or value < interval.end
    assert drawn == [point[0].value for point in expand_sweep(arguments)]
    assert [sweep[i] for i in range(len(sweep))] == points
    assert all(parse_override(o.text) == o for o in points[0])


@given(distinct_choices, st.integers(0, 2**31))
def test_a_shuffle_is_a_permutation_drawn_from_the_seed(choices: List[Any], seed: int) -> None:
    arguments = [Override("set", "a", tuple(choices), True, shuffle=True),
                 Override("set", "mlxp.sweeper.seed", (seed,))]
    order = [point[0].text for point in expand_sweep(arguments)]
    assert sorted(order) == sorted(o.text for o in Override("set", "a", choices, True).expand())
    assert order == [point[0].text for point in expand_sweep(arguments)]
