"""Loading (limits, error positions) and the block dumpers of mlxp._yaml; how scalars are
typed is tested in test_scalar_typing.py."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st
from strategies import TYPED_WORDS

from mlxp._scalars import type_in_file
from mlxp._yaml import dump_yaml, dump_yaml_like, load_yaml
from mlxp.errors import ConfigFileError


@pytest.mark.parametrize("text", ["1" * 65, "-" + "9" * 300, "+" + "1" * 100],
                         ids=["65-digits", "minus-300-digits", "plus-100-digits"])
def test_integers_of_any_length_are_ints(text: str) -> None:
    assert type_in_file(text) == int(text) and type(type_in_file(text)) is int
    assert load_yaml(f"big: {text}\n") == {"big": int(text)}


def test_nan_is_a_float() -> None:
    assert math.isnan(load_yaml("x: .nan")["x"])


def test_mappings_keep_the_files_order() -> None:
    assert list(load_yaml("b: 1\na: 2\nc: 3\n")) == ["b", "a", "c"]


@pytest.mark.parametrize(
    "text, line, column, words",
    [
        pytest.param("a: [1, 2\nb: 3\n", 2, 2, "unterminated list", id="unterminated-list"),
        pytest.param("a: {x: 1\nb: 3\n", 2, 2, "unterminated mapping", id="unterminated-map"),
        pytest.param("a:\n\tb: 3\n", 2, 1, "tab characters cannot indent YAML", id="tab"),
        pytest.param("a: 1\na: 2\n", 2, 1, "duplicate key 'a' (first defined on line 1)",
                     id="duplicate-key"),
        pytest.param("m:\n  x: 1\n  x: 2\n", 3, 3, "duplicate key 'x'", id="nested-duplicate"),
        pytest.param("yes: 1\nYes: 2\n", 2, 1, "duplicate key 'Yes': read as True, as is 'yes' on"
                     " line 1; quote both", id="duplicate-key-spelled-differently"),
        pytest.param("a: b: c\n", 1, 5, "unexpected ':'", id="colon-in-value"),
        pytest.param("a: \"open\n", 1, 4, "unterminated quoted string: the quote opened here",
                     id="open-quote"),
        pytest.param("a: 1\nb: 'open\nc: 3\n", 2, 4, "unterminated quoted string", id="open-single-quote"),
        pytest.param("a:\n  b: 1\n\tc: 2\n", 3, 1, "tab characters cannot indent YAML; use spaces",
                     id="tab-after-indented-line"),
        pytest.param("a: 1\nb:\n\tc: 2\n", 3, 1, "tab characters cannot indent YAML; use spaces",
                     id="tab-on-line-3"),
        pytest.param("? [a, b]\n: 1\n", 1, 3, "a key must be a plain value, not a list",
                     id="complex-key-list"),
        pytest.param("x: 1\n{a: 1}: 2\n", 2, 1, "a key must be a plain value", id="complex-key-map"),
        pytest.param("a: &a [1, *a]\n", 1, 4, "an alias refers to the mapping or list it is in",
                     id="self-referring-alias"),
        pytest.param("a: " + "[" * 101 + "]" * 101, 1, 103, "nest deeper than 100 levels",
                     id="flow-nesting-101"),
        pytest.param("".join("  " * i + f"k{i}:\n" for i in range(102)), 101, 201,
                     "nest deeper than 100 levels", id="block-nesting-101"),
        pytest.param('x: 1\ny: "C:\\qb"\n', 2, 7, "unknown backslash escape in a double-quoted"
                     " string; write \\\\ for a backslash, or use single quotes", id="bad-escape"),
        pytest.param("a: " + "[" * 3000 + "]" * 3000, 1, 1003, "nest deeper than 100 levels", id="flow-nesting-3000"),
    ],
)
def test_errors_name_file_line_and_column(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_yaml(text, "configs/config.yaml")
    error = caught.value
    assert (error.path, error.line, error.column) == ("configs/config.yaml", line, column)
    assert words in str(error)
    assert str(error).startswith(f"configs/config.yaml:{line}:{column}: ")


@pytest.mark.parametrize(
    "value",
    ["1e-3", "yes", "no", "on", "null", "~", "true", "10.", "", " padded ", "a: b", "#x",
     "0o17", "017", "1_000", ".inf", "[1]", "{a: 1}", "- x", "'quoted'", "ünïcode", "Yes",
     "OFF", "TRUE", "0x1f", "0b101", "1:30", "1:30.5", "2024-01-01", "-.5", "1e5", "=", "<<"],
)
def test_strings_that_look_typed_survive_a_dump(value: str) -> None:
    assert load_yaml(dump_yaml({"v": value}))["v"] == value


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x85\u2028\u2029\ufeff")),
    st.sampled_from(TYPED_WORDS),
)
_keys = st.text("abcdefghij_", min_size=1, max_size=6) | st.sampled_from(TYPED_WORDS)
_trees = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text("abcxyz_", min_size=1, max_size=5), children, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(_keys, _trees, max_size=5))
def test_dump_then_load_is_the_identity(tree: dict) -> None:
    assert load_yaml(dump_yaml(tree)) == tree
    assert list(load_yaml(dump_yaml(tree)) or {}) == list(tree)


@given(st.dictionaries(_keys, _trees, max_size=5))
def test_writing_over_a_commented_file_gives_back_the_data(tree: dict) -> None:
    source = "# comment\nkeep: 1  # trailing\nnested:\n  x: 10.  # float\n"
    assert load_yaml(dump_yaml_like(source, tree)) == tree


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("base: &base {x: 1, y: 2}\nm:\n  <<: *base\n  y: 3\n",
                     {"base": {"x": 1, "y": 2}, "m": {"x": 1, "y": 3}}, id="merge-then-override"),
        pytest.param("b: &b {x: 1}\nc: &c {z: 2}\nm:\n  <<: [*b, *c]\n  w: 0\n",
                     {"b": {"x": 1}, "c": {"z": 2}, "m": {"x": 1, "z": 2, "w": 0}},
                     id="merge-two-anchors"),
        pytest.param("lr: &lr 0.1\nopt: {lr: *lr, wd: *lr}\n", {"lr": 0.1, "opt": {"lr": 0.1, "wd": 0.1}},
                     id="scalar-alias"),
        pytest.param("a: &a [1, 2]\nb: [*a, *a]\n", {"a": [1, 2], "b": [[1, 2], [1, 2]]},
                     id="list-alias"),
        pytest.param("m: {x: <<}\n", {"m": {"x": "<<"}}, id="merge-sign-as-a-value"),
        pytest.param("'<<': 3\n", {"<<": 3}, id="quoted-merge-sign-is-a-key"),
    ],
)
def test_anchors_aliases_and_merge_keys(text: str, expected: dict) -> None:
    assert load_yaml(text) == expected


def _alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [" + ",".join(["lol"] * 9) + "]"]
    lines += [f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_the_line_that_crosses_the_bound() -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_yaml(_alias_bomb(9), "configs/config.yaml")
    # 9**6 values under a5 (line 6) cross the 100,000 bound; a4's 9**5 do not.
    assert (caught.value.line, caught.value.column) == (6, 5)
    assert "more than the 100,000 allowed" in str(caught.value)
    assert "MLXP_YAML_MAX_ALIAS_NODES" in str(caught.value)


def test_the_alias_bound_can_be_raised_and_lowered(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _alias_bomb(5)  # about 66,000 values through aliases
    assert len(load_yaml(text)["a4"]) == 9
    monkeypatch.setenv("MLXP_YAML_MAX_ALIAS_NODES", "1000")
    with pytest.raises(ConfigFileError, match="more than the 1,000 allowed"):
        load_yaml(text)
    monkeypatch.setenv("MLXP_YAML_MAX_ALIAS_NODES", "10000000")
    assert len(load_yaml(_alias_bomb(7))["a6"]) == 9


def test_a_large_file_without_aliases_is_not_limited() -> None:
    text = "".join(f"k{i}: [{i}, {i}, {i}]\n" for i in range(22_000))  # 110,000 values
    assert len(load_yaml(text)) == 22_000


def test_a_directory_is_not_a_yaml_file(tmp_path) -> None:
    from mlxp._yaml import load_yaml_file

    (tmp_path / "config.yaml").mkdir()
    with pytest.raises(ConfigFileError, match="is a directory, not a YAML file") as caught:
        load_yaml_file(str(tmp_path / "config.yaml"))
    assert caught.value.path == str(tmp_path / "config.yaml")
