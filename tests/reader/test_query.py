"""The query language: what each query selects, and where each malformed query is at fault."""

from __future__ import annotations

import math

import pytest

from mlxp.errors import QueryError
from mlxp.reader import Reader
from mlxp.reader.query import MAX_NESTING, compile_query, tokenize

from .runs import make_run

ROW = {
    "config.seed": 1,
    "config.optimizer.lr": 0.1,
    "config.optimizer.name": "sgd",
    "config.model.num_units": 100,
    "config.use_bias": True,
    "config.dropout": None,
    "config.layers": [1, 2],
    "config.data-set.name": "cifar",
    "info.status": "COMPLETE",
    "info.logger.log_id": 3,
    "info.choices.server/db": "mysql",
    "info.choices.db@backup": "sqlite",
}


@pytest.mark.parametrize(
    "query, expected",
    [
        pytest.param("", True, id="empty-matches-all"),
        pytest.param("   ", True, id="blank-matches-all"),
        pytest.param("config.seed == 1", True, id="eq-int"),
        pytest.param("config.seed == 1.0", True, id="eq-int-float"),
        pytest.param("config.seed != 1", False, id="ne"),
        pytest.param("config.optimizer.lr < 1.", True, id="lt-trailing-dot"),
        pytest.param("config.optimizer.lr > .05", True, id="gt-leading-dot"),
        pytest.param("config.optimizer.lr <= 0.1", True, id="le-equal"),
        pytest.param("config.optimizer.lr >= 1e-1", True, id="ge-exponent"),
        pytest.param("config.optimizer.lr > -1", True, id="negative-number"),
        pytest.param("config.optimizer.lr == +0.1", True, id="plus-sign"),
        pytest.param("config.optimizer.name == 'sgd'", True, id="single-quoted"),
        pytest.param('config.optimizer.name == "sgd"', True, id="double-quoted"),
        pytest.param("config.optimizer.name=='sgd'", True, id="no-spaces"),
        pytest.param("config.optimizer.name in ['adam', 'sgd']", True, id="in-list"),
        pytest.param("config.optimizer.name in ['adam',]", False, id="in-trailing-comma"),
        pytest.param("config.seed in []", False, id="in-empty-list"),
        pytest.param("~ config.seed in [2, 3]", True, id="not-in"),
        pytest.param("config.use_bias == True", True, id="True"),
        pytest.param("config.use_bias == true", True, id="true-lowercase"),
        pytest.param("config.use_bias != false", True, id="false-lowercase"),
        pytest.param("config.use_bias == False", False, id="False"),
        pytest.param("config.dropout == None", True, id="None"),
        pytest.param("config.dropout == null", True, id="null"),
        pytest.param("config.layers == [1, 2]", True, id="list-equality"),
        pytest.param("config.data-set.name == 'cifar'", True, id="hyphen-in-key"),
        pytest.param("info.choices.server/db == 'mysql'", True, id="nested-group-choice"),
        pytest.param("info.choices.db@backup == 'sqlite'", True, id="packaged-group-choice"),
        pytest.param("info.status == 'COMPLETE' & config.seed == 1", True, id="and"),
        pytest.param("info.status == 'FAILED' | config.seed == 1", True, id="or"),
        pytest.param("info.status == 'FAILED' | config.seed == 2", False, id="or-neither"),
        pytest.param("~(config.seed == 1)", False, id="not-parenthesised"),
        pytest.param("~~(config.seed == 1)", True, id="double-not"),
        pytest.param("config.seed == 2 & config.seed == 2 | config.seed == 1", True,
                     id="and-binds-tighter"),
        pytest.param("config.seed == 2 & (config.seed == 2 | config.seed == 1)", False, id="parentheses"),
        pytest.param("~ config.seed == 2 & config.seed == 1", True, id="not-binds-tighter-than-and"),
        pytest.param("((config.seed == 1))", True, id="nested-parentheses"),
        pytest.param("info.logger.log_id >= 3", True, id="info-nested"),
        pytest.param("config.missing == 1", False, id="missing-field-eq"),
        pytest.param("config.missing != 1", False, id="missing-field-ne"),
        pytest.param("config.missing in [1]", False, id="missing-field-in"),
        pytest.param("~ config.missing == 1", True, id="not-missing-field"),
        pytest.param("config.optimizer.name < 1", False, id="incompatible-types"),
        pytest.param("config.dropout > 0", False, id="none-ordering"),
        pytest.param("~ config.optimizer.name < 1", True, id="not-incompatible"),
        pytest.param("config.optimizer.name == 1", False, id="string-vs-number"),
        pytest.param("config.optimizer.name == 's\\'gd'", False, id="escaped-quote"),
        pytest.param("(" * MAX_NESTING + "config.seed == 1" + ")" * MAX_NESTING, True,
                     id="deepest-parentheses"),
        pytest.param("~" * MAX_NESTING + "config.seed == 1", True, id="deepest-not"),
        pytest.param("config.layers == " + "[" * (MAX_NESTING - 1) + "[1, 2]"
                     + "]" * (MAX_NESTING - 1), False, id="deepest-lists"),
        pytest.param(" | ".join(["config.seed == 2"] * 5000 + ["config.seed == 1"]), True,
                     id="long-or-chain"),
        pytest.param(" & ".join(["config.seed == 1"] * 5000), True, id="long-and-chain"),
    ],
)
def test_query_selects(query: str, expected: bool) -> None:
    assert compile_query(query)(ROW) is expected


@pytest.mark.parametrize(
    "text, value",
    [
        pytest.param("'it\\'s'", "it's", id="escaped-single-quote"),
        pytest.param('"say \\"hi\\""', 'say "hi"', id="escaped-double-quote"),
        pytest.param("'a\\\\b'", "a\\b", id="escaped-backslash"),
        pytest.param("'tab\\there'", "tab\there", id="escaped-tab"),
        pytest.param("'é ü 日本'", "é ü 日本", id="non-ascii"),
        pytest.param("'a & b | ~c'", "a & b | ~c", id="operators-inside-string"),
        pytest.param("10", 10, id="int"),
        pytest.param("10.", 10.0, id="float-trailing-dot"),
        pytest.param("1e3", 1000.0, id="exponent"),
    ],
)
def test_literal_values(text: str, value: object) -> None:
    token = tokenize(f"config.x == {text}")[2]
    assert token.kind == "VALUE"
    assert token.value == value and type(token.value) is type(value)


def test_nan_never_equal() -> None:
    assert compile_query("config.x == 1")({"config.x": math.nan}) is False
    assert compile_query("config.x != 1")({"config.x": math.nan}) is True


@pytest.mark.parametrize(
    "query, column, reason",
    [
        pytest.param("train.loss < 1", 0, "unknown field 'train.loss'", id="unknown-prefix"),
        pytest.param("config.a == 1 & train.loss < 1", 16, "unknown field", id="unknown-prefix-later"),
        pytest.param("seed == 1", 0, "did you mean 'config.seed'", id="no-prefix"),
        pytest.param("config == 1", 0, "incomplete field name 'config'", id="prefix-only"),
        pytest.param("config..a == 1", 0, "incomplete field name", id="empty-key"),
        pytest.param("config.a = 1", 9, "'=' is not a comparison; use '=='", id="single-equals"),
        pytest.param("config.a ! 1", 9, "'!' alone", id="bang"),
        pytest.param("config.a == 1 && config.b == 2", 14, "single '&'", id="double-ampersand"),
        pytest.param("config.a == 1 || config.b == 2", 14, "single '|'", id="double-pipe"),
        pytest.param("config.a == 1 and config.b == 2", 14, "use '&'", id="and-word"),
        pytest.param("config.a == 1 or config.b == 2", 14, "use '|'", id="or-word"),
        pytest.param("not config.a == 1", 0, "use '~'", id="not-word"),
        pytest.param("(config.a == 1", 0, "unclosed '('", id="unclosed-paren"),
        pytest.param("((config.a == 1)", 0, "unclosed '('", id="unclosed-outer-paren"),
        pytest.param("config.a == 1)", 13, "unmatched ')'", id="unmatched-paren"),
        pytest.param("()", 1, "expected a field", id="empty-parentheses"),
        pytest.param("config.a in [1, 2", 12, "unclosed '['", id="unclosed-bracket"),
        pytest.param("config.a in [1 2]", 15, "expected ',' or ']'", id="list-missing-comma"),
        pytest.param("config.a in 1", 12, "expected a list", id="in-without-list"),
        pytest.param("config.a == 'x", 12, "unterminated string", id="unterminated-string"),
        pytest.param("config.a == COMPLETE", 12, "write it in quotes", id="unquoted-string"),
        pytest.param("config.a ==", 11, "expected a value after '=='", id="missing-value"),
        pytest.param("config.a", 8, "expected a comparison", id="missing-operator"),
        pytest.param("config.a 1", 9, "expected a comparison", id="value-without-operator"),
        pytest.param("config.a == 1 config.b == 2", 14, "join comparisons", id="trailing-garbage"),
        pytest.param("config.a == 1 2", 14, "join comparisons", id="trailing-value"),
        pytest.param("config.a == 1 &", 15, "ends where a comparison", id="dangling-and"),
        pytest.param("1 == config.a", 0, "expected a field", id="value-first"),
        pytest.param("config.a == 1 @", 14, "unexpected character '@'", id="unknown-character"),
        pytest.param("config.a == 1 # note", 14, "unexpected character '#'", id="comment"),
        pytest.param("(" * 5000 + "config.a == 1" + ")" * 5000, MAX_NESTING,
                     f"more than {MAX_NESTING} levels", id="5000-parentheses"),
        pytest.param("~" * 5000 + "config.a == 1", MAX_NESTING, "levels", id="5000-nots"),
        pytest.param("config.a == " + "[" * 5000, 12 + MAX_NESTING, "levels", id="5000-brackets"),
        pytest.param("~(" * 2500 + "config.a == 1" + ")" * 2500, MAX_NESTING, "levels",
                     id="nots-and-parentheses-count-together"),
    ],
)
def test_query_errors(query: str, column: int, reason: str) -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(query)
    error = caught.value
    assert error.column == column
    assert error.query == query
    assert reason in error.reason
    lines = str(error).splitlines()
    assert lines[0] == f"invalid query: {error.reason}"
    assert lines[1] == f"    {query}"
    assert lines[2] == "    " + " " * column + "^"
    assert "'config.'" in lines[3] and "'info.'" in lines[3]


def test_query_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        compile_query("config.a = 1")


def test_caret_aligned_with_tabs() -> None:
    with pytest.raises(QueryError) as caught:
        compile_query("config.a\t= 1")
    lines = str(caught.value).splitlines()
    assert lines[1] == "    config.a = 1"
    assert lines[2] == "    " + " " * 9 + "^"


KNOWN = frozenset(ROW)


@pytest.mark.parametrize(
    "query, column, field, suggestions",
    [
        pytest.param("config.sed == 1", 0, "config.sed", ("config.seed",), id="typo"),
        pytest.param("config.seed == 1 & config.optimizer.l < 1", 19, "config.optimizer.l",
                     ("config.optimizer.lr", "config.optimizer.name"), id="second-field"),
        pytest.param("info.staus == 'COMPLETE'", 0, "info.staus", ("info.status",), id="info"),
        pytest.param("config.status == 'COMPLETE'", 0, "config.status", ("info.status",),
                     id="other-prefix"),
        pytest.param("~(config.zzz in [1])", 2, "config.zzz", (), id="nothing-close"),
    ],
)
def test_fields_no_run_has_are_errors(
    query: str, column: int, field: str, suggestions: tuple
) -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(query, KNOWN)
    error = caught.value
    assert (error.column, error.field, error.suggestions) == (column, field, suggestions)
    assert error.reason.startswith(f"no run has the field {field!r}")
    if suggestions:
        assert error.reason.endswith(f"(did you mean {' or '.join(map(repr, suggestions))}?)")
    else:
        assert "reader.searchable lists the fields" in error.reason
    assert str(error).splitlines()[2] == "    " + " " * column + "^"


def test_reader_rejects_a_field_no_run_has(tmp_path) -> None:
    make_run(str(tmp_path), 1, config={"seed": 1}, metrics={"train": [{"loss": 1.0}]})
    make_run(str(tmp_path), 2, config={"seed": 2, "dropout": 0.1})
    reader = Reader(str(tmp_path))
    assert [row["config.seed"] for row in reader.filter("config.dropout == 0.1")] == [2]
    assert [row["config.seed"] for row in reader.filter("~ config.dropout == 0.1")] == [1]
    with pytest.raises(QueryError) as caught:
        reader.filter("info.status == 'COMPLETE' & config.sed == 1")
    assert (caught.value.field, caught.value.column) == ("config.sed", 28)
    assert caught.value.suggestions == ("config.seed",)
    with pytest.raises(QueryError) as caught:  # metric columns are not offered: not searchable
        reader.filter("config.los < 1")
    assert caught.value.suggestions == ()


def test_without_runs_no_field_is_an_error(tmp_path) -> None:
    assert Reader(str(tmp_path)).filter("config.sed == 1") == []
