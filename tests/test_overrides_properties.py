"""Properties of the grammar and of sweeps, checked on generated overrides."""

from __future__ import annotations

import itertools
import math
from typing import Any, Dict, List

from hypothesis import given
from hypothesis import strategies as st
from strategies import AWKWARD, distinct_choices, keys, overrides, sweeps, texts, values

from mlxp.errors import OverrideSyntaxError
from mlxp.overrides import Override, format_override, format_value, parse_override
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
