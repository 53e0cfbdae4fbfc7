"""YAML 1.2 typing, error positions and the block dumper (mlxp._yaml)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from mlxp._yaml import dump_yaml, dump_yaml_like, load_yaml, resolve_scalar
from mlxp.errors import ConfigFileError


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("1e-3", 0.001, id="exponent-without-dot-is-float"),
        pytest.param("10.", 10.0, id="trailing-dot-float"),
        pytest.param(".5", 0.5, id="leading-dot-float"),
        pytest.param("-2.5E+2", -250.0, id="signed-exponent"),
        pytest.param("42", 42, id="int"),
        pytest.param("-7", -7, id="negative-int"),
        pytest.param("017", 17, id="leading-zero-is-decimal"),
        pytest.param("0o17", 15, id="octal"),
        pytest.param("0x1F", 31, id="hex"),
        pytest.param("true", True, id="true"),
        pytest.param("False", False, id="False"),
        pytest.param("yes", "yes", id="yes-stays-string"),
        pytest.param("no", "no", id="no-stays-string"),
        pytest.param("on", "on", id="on-stays-string"),
        pytest.param("off", "off", id="off-stays-string"),
        pytest.param("null", None, id="null"),
        pytest.param("~", None, id="tilde-null"),
        pytest.param(".inf", math.inf, id="inf"),
        pytest.param("-.inf", -math.inf, id="minus-inf"),
        pytest.param("1_000", "1_000", id="underscore-number-is-string"),
        pytest.param("1:30", "1:30", id="sexagesimal-is-string"),
        pytest.param("cpu", "cpu", id="word"),
        pytest.param("2024-01-01", "2024-01-01", id="date-stays-string"),
    ],
)
def test_scalars_are_typed_like_yaml_1_2(text: str, expected: object) -> None:
    assert resolve_scalar(text) == expected
    assert type(resolve_scalar(text)) is type(expected)
    loaded = load_yaml(f"key: {text}\n")["key"]
    assert loaded == expected and type(loaded) is type(expected)


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
        pytest.param("a: b: c\n", 1, 5, "unexpected ':'", id="colon-in-value"),
        pytest.param("a: \"open\n", 2, 1, "unterminated quoted string", id="open-quote"),
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
     "0o17", "017", "1_000", ".inf", "[1]", "{a: 1}", "- x", "'quoted'", "ünïcode"],
)
def test_strings_that_look_typed_survive_a_dump(value: str) -> None:
    assert load_yaml(dump_yaml({"v": value}))["v"] == value


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x85\u2028\u2029\ufeff")),
)
_trees = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text("abcxyz_", min_size=1, max_size=5), children, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(st.text("abcdefghij_", min_size=1, max_size=6), _trees, max_size=5))
def test_dump_then_load_is_the_identity(tree: dict) -> None:
    assert load_yaml(dump_yaml(tree)) == tree
    assert list(load_yaml(dump_yaml(tree)) or {}) == list(tree)


@given(st.dictionaries(st.text("abcdefghij_", min_size=1, max_size=6), _trees, max_size=5))
def test_writing_over_a_commented_file_gives_back_the_data(tree: dict) -> None:
    source = "# comment\nkeep: 1  # trailing\nnested:\n  x: 10.  # float\n"
    assert load_yaml(dump_yaml_like(source, tree)) == tree
