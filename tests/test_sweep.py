"""Sweep expansion: order, duplicates, sizes, indexing, and how points read."""

from __future__ import annotations

import math
import re
import sys
from typing import Any, List

import pytest

from mlxp.errors import OverrideError
from mlxp.overrides import Glob, Override, parse_overrides, split_package
from mlxp.sweep import Sweep, expand_sweep, format_point, new_sweep_id


def sweep_of(*arguments: str) -> Sweep:
    return expand_sweep(parse_overrides(arguments))


def lines(*arguments: str) -> List[str]:
    return [format_point(point) for point in sweep_of(*arguments)]


def values(*arguments: str) -> List[tuple]:
    return [tuple(o.value for o in point) for point in sweep_of(*arguments)]


def test_first_argument_varies_slowest_as_in_the_quick_start() -> None:
    assert lines("optimizer.lr=10.,1.", "seed=1,2") == [
        "optimizer.lr=10. seed=1",  # the quick start's logs/1/script.sh line
        "optimizer.lr=10. seed=2",
        "optimizer.lr=1. seed=1",
        "optimizer.lr=1. seed=2",
    ]
    assert values("optimizer.lr=10.,1.", "seed=1,2") == [(10.0, 1), (10.0, 2), (1.0, 1), (1.0, 2)]


def test_overrides_that_are_not_sweeps_appear_in_every_point() -> None:
    assert lines("a=1,2", "+b.c=x", "~d", "e=3,4") == [
        "a=1 +b.c=x ~d e=3", "a=1 +b.c=x ~d e=4", "a=2 +b.c=x ~d e=3", "a=2 +b.c=x ~d e=4",
    ]


def test_a_key_given_twice_keeps_the_last_value_at_the_later_position() -> None:
    assert lines("a=1,2", "b=3", "a=5") == ["b=3 a=5"]
    # Applying a point in order must give what the arguments say: a.x ends up 3.
    assert lines("a.x=2", "a={x: 1}", "a.x=3") == ["a={x: 1} a.x=3"]


def test_the_last_argument_wins_whatever_its_kind() -> None:
    assert lines("a=1", "~a") == ["~a"]
    assert lines("~a", "+a=1,2") == ["+a=1", "+a=2"]


@pytest.mark.parametrize(
    "arguments, expected",
    [
        pytest.param(["x=[1,2],[3,4]"], [([1, 2],), ([3, 4],)], id="sweep-of-two-lists"),
        pytest.param(["data.device='a,b'"], [("a,b",)], id="quoted-comma-is-one-point"),
        pytest.param(["optimizer.lr=[1,2]"], [([1, 2],)], id="a-list-is-one-point"),
        pytest.param(["seed=range(1,4)"], [(1,), (2,), (3,)], id="range"),
        pytest.param(["seed=choice(5,6)"], [(5,), (6,)], id="choice"),
        pytest.param(["seed=choice(5)"], [(5,)], id="choice-of-one"),
        pytest.param(["a=${x},${y}"], [("${x}",), ("${y}",)], id="interpolations"),
        pytest.param(["a=${oc.env:X,1}"], [("${oc.env:X,1}",)], id="env-default"),
        pytest.param([], [()], id="no-overrides-is-one-empty-point"),
    ],
)
def test_points(arguments: List[str], expected: List[tuple]) -> None:
    assert values(*arguments) == expected


@pytest.mark.parametrize(
    "arguments, size",
    [
        pytest.param(["a=1"], 1, id="single"),
        pytest.param(["a=1,2,3", "b=x,y"], 6, id="product"),
        pytest.param(["a=1,2", "a=3,4,5"], 3, id="duplicate-key"),
        pytest.param(["a=range(0,1000)", "b=range(0,1000)", "c=range(0,1000)"], 10**9,
                     id="billion"),
    ],
)
def test_size_is_known_without_expanding(arguments: List[str], size: int) -> None:
    sweep = sweep_of(*arguments)
    assert len(sweep) == sweep.size == size


def test_indexing_matches_iteration_and_needs_no_expansion() -> None:
    sweep = sweep_of("a=1,2,3", "b=x,y", "c=true")
    points = list(sweep)
    assert [sweep[i] for i in range(len(sweep))] == points
    assert sweep[-1] == points[-1] and sweep[1:4] == points[1:4] and sweep[::-2] == points[::-2]
    huge = sweep_of("a=range(0,1000)", "b=range(0,1000)", "c=range(0,1000)")
    assert [o.value for o in huge[123_456_789]] == [123, 456, 789]


@pytest.mark.parametrize("index", [6, -7, 100])
def test_index_out_of_range(index: int) -> None:
    with pytest.raises(IndexError):
        sweep_of("a=1,2,3", "b=x,y")[index]


def test_a_sweep_larger_than_len_allows_still_has_a_size_and_points() -> None:
    sweep = sweep_of(*(f"k{i}=range(0,1000)" for i in range(7)))
    assert sweep.size == 10**21 > sys.maxsize
    with pytest.raises(OverflowError):
        len(sweep)
    assert [o.value for o in sweep[sweep.size - 1]] == [999] * 7


def test_a_sweep_can_be_iterated_again_in_the_same_order() -> None:
    sweep = sweep_of("a=3,1,2", "b=range(0,3)")
    assert list(sweep) == list(sweep)


def test_points_do_not_share_mutable_values() -> None:
    first, second = sweep_of("x=[1]", "seed=1,2")
    value: Any = first[0].value
    value.append(2)
    assert second[0].value == [1]


def test_each_override_of_a_point_is_one_valid_argument() -> None:
    sweep = sweep_of("lr=range(0,1,0.5)", "name=x y,'a,b'", "+c=[1, 2]")
    for point in sweep:
        assert tuple(parse_overrides([o.text for o in point])) == point
    assert format_point(sweep[0]) == "lr=0.0 name=x y +c=[1, 2]"
    assert format_point(sweep[-1]) == "lr=0.5 name='a,b' +c=[1, 2]"


def test_points_of_built_overrides_use_the_canonical_spelling() -> None:
    sweep = expand_sweep([Override("set", "a", ("x,y", 1.0), is_sweep=True)])
    assert [format_point(p) for p in sweep] == ["a='x,y'", "a=1.0"]


def test_expand_sweep_takes_any_iterable_and_repr_says_what_it_is() -> None:
    sweep = expand_sweep(o for o in parse_overrides(["a=1,2", "b=3"]))
    assert repr(sweep) == "<Sweep of 2 points over a, b>"
    assert repr(expand_sweep([])) == "<Sweep of 1 point over no keys>"
    assert [o.key for o in sweep.overrides] == ["a", "b"]


@pytest.mark.parametrize("arguments, shape", [
    pytest.param(["a=1,2", "b=range(0,3)", "c=4"], (2, 3, 1), id="two-axes-and-a-constant"),
    pytest.param(["a=1,2", "a=5"], (1,), id="last-wins"),
    pytest.param([], (), id="no-override"),
])
def test_shape_gives_each_overrides_number_of_values(arguments: List[str], shape: tuple) -> None:
    sweep = sweep_of(*arguments)
    assert sweep.shape == shape
    assert sweep.size == math.prod(shape)


def test_sweep_ids_are_fresh_and_safe_to_quote_in_a_query() -> None:
    ids = {new_sweep_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", sweep_id) for sweep_id in ids)


# --------------------------------------------------------------- config groups: glob()

GROUPS = {"model": ["vit_b", "resnet", "alexnet", "vit_l"], "model@encoder": ["small", "big"]}


def group_sweep(*arguments: str) -> Sweep:
    return expand_sweep(parse_overrides(arguments), group_options=GROUPS.get)


@pytest.mark.parametrize("argument, selected", [
    pytest.param("model=glob(*)", ["alexnet", "resnet", "vit_b", "vit_l"], id="all-sorted"),
    pytest.param("model=glob(*,exclude=vit*)", ["alexnet", "resnet"], id="exclude"),
    pytest.param("model=glob([a*,r*],exclude=[al*])", ["resnet"], id="lists"),
    pytest.param("model=glob(vit_?)", ["vit_b", "vit_l"], id="question-mark"),
    pytest.param("model@encoder=glob(*)", ["big", "small"], id="group-with-package"),
])
def test_a_glob_sweeps_the_group_options_it_selects(argument: str, selected: List[str]) -> None:
    key = argument.split("=", 1)[0]
    assert [format_point(p) for p in group_sweep(argument)] == [f"{key}={s}" for s in selected]


def test_a_glob_mixes_with_other_sweeps_first_argument_slowest() -> None:
    points = [format_point(p) for p in group_sweep("seed=1,2", "model=glob(vit*)", "lr=0.1")]
    assert points == ["seed=1 model=vit_b lr=0.1", "seed=1 model=vit_l lr=0.1",
                      "seed=2 model=vit_b lr=0.1", "seed=2 model=vit_l lr=0.1"]
    assert group_sweep("seed=1,2", "model=glob(vit*)")[3][1].value == "vit_l"


@pytest.mark.parametrize("group_options", [None, lambda key: None], ids=["none", "not-a-group"])
def test_a_glob_of_a_key_that_is_no_group_is_an_error_naming_it(group_options: Any) -> None:
    with pytest.raises(OverrideError) as caught:
        expand_sweep(parse_overrides(["optimizer=glob(*)"]), group_options=group_options)
    assert "glob() selects options of a config group; 'optimizer' is not a group" in str(
        caught.value)
    assert caught.value.argument == "optimizer=glob(*)"


def test_a_glob_that_selects_nothing_lists_the_options() -> None:
    with pytest.raises(OverrideError, match="selects none of the options of 'model': alexnet,"
                                            " resnet, vit_b, vit_l"):
        group_sweep("model=glob(x*)")


@pytest.mark.parametrize("key, split", [
    pytest.param("model", ("model", None), id="plain"),
    pytest.param("optimizer.lr", ("optimizer.lr", None), id="dotted"),
    pytest.param("model@encoder", ("model", "encoder"), id="package"),
    pytest.param("model/backbone@encoder.net", ("model/backbone", "encoder.net"), id="nested"),
    pytest.param("db@", ("db", ""), id="global-package"),
])
def test_split_package(key: str, split: tuple) -> None:
    assert split_package(key) == split
    assert parse_overrides([f"+{key}=x"])[0].key == key  # the key keeps its text


def test_glob_is_an_immutable_hashable_value() -> None:
    glob = Glob(["a*", "b*"], "c*")
    assert (glob.include, glob.exclude) == (("a*", "b*"), ("c*",))
    assert glob == Glob(("a*", "b*"), ["c*"]) and hash(glob) == hash(Glob(["a*", "b*"], ["c*"]))
    assert glob.select(["b2", "c1", "a1", "a1"]) == ["a1", "b2"]
    with pytest.raises(AttributeError):
        glob.include = ("*",)  # type: ignore[misc]


# --------------------------------------------------- random parts: samples, seed, shuffle()


@pytest.mark.parametrize("arguments, words", [
    pytest.param(["a=interval(0,1)"], "set mlxp.sweeper.samples=N", id="interval-without-samples"),
    pytest.param(["a=interval(0,1)", "mlxp.sweeper.samples=-1"], "must be a whole number >= 0",
                 id="negative-samples"),
    pytest.param(["a=interval(0,1)", "mlxp.sweeper.samples=true"], "must be a whole number",
                 id="boolean-samples"),
    pytest.param(["a=shuffle(1,2)", "mlxp.sweeper.seed=x"], "must be an integer or null",
                 id="word-seed"),
    pytest.param(["a=shuffle(1,2)", "mlxp.sweeper.seed=1,2"], "take one value",
                 id="swept-seed"),
])
def test_sweeper_settings_errors_name_the_setting(arguments: List[str], words: str) -> None:
    with pytest.raises(OverrideError, match=re.escape(words)):
        sweep_of(*arguments)


def test_the_sweeper_section_of_mlxp_yaml_gives_samples_and_seed_under_the_command_line() -> None:
    overrides = parse_overrides(["a=interval(0,1)"])
    from_file = expand_sweep(overrides, sweeper={"samples": 3, "seed": 5})
    assert (from_file.size, from_file.seed, from_file.added) == (3, 5, ())
    assert [format_point(p) for p in expand_sweep(
        overrides + parse_overrides(["mlxp.sweeper.samples=2"]),
        sweeper={"samples": 3, "seed": 5})] == [f"{format_point(p)} mlxp.sweeper.samples=2"
                                                for p in list(from_file)[:2]]


def test_samples_without_an_interval_change_nothing() -> None:
    assert lines("a=1,2", "mlxp.sweeper.samples=5") == [
        "a=1 mlxp.sweeper.samples=5", "a=2 mlxp.sweeper.samples=5"]


def test_a_sweep_without_random_parts_draws_no_seed(capsys: Any) -> None:
    sweep = sweep_of("a=1,2")
    assert (sweep.seed, sweep.seed_drawn, sweep.added) == (None, False, ())
    assert capsys.readouterr().err == ""


def test_a_drawn_seed_is_added_to_every_point_and_printed_once(capsys: Any) -> None:
    sweep = sweep_of("a=shuffle(1,2,3)", "x=shuffle([1,2,3])")
    assert sweep.seed_drawn and sweep.added == (Override("set", "mlxp.sweeper.seed",
                                                         (sweep.seed,)),)
    assert all(point[-1] == sweep.added[0] for point in sweep)
    assert capsys.readouterr().err.count(f"mlxp.sweeper.seed={sweep.seed}") == 1
    again = sweep_of("a=shuffle(1,2,3)", "x=shuffle([1,2,3])", f"mlxp.sweeper.seed={sweep.seed}")
    assert [p[:2] for p in again] == [p[:2] for p in sweep]
    assert sorted(again[0][1].value) == [1, 2, 3]
