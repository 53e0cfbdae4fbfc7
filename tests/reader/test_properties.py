"""Property: ``filter`` selects exactly the runs a plain Python evaluation of the query selects,
and rejects a query naming a field that no run has.

Queries are generated as trees, rendered with the fewest parentheses the precedence rules
allow (so precedence is exercised too), and evaluated directly on the tree.
"""

from __future__ import annotations

import operator
import tempfile
from typing import Any, Dict, List, NamedTuple, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlxp.errors import QueryError
from mlxp.reader import Reader
from mlxp.reader.query import compile_query

from .runs import make_run

FIELDS = ["config.a", "config.b", "config.group.c", "info.status", "config.absent"]
OPERATORS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
STATUSES = ["COMPLETE", "FAILED", "RUNNING"]
_MISSING = object()

scalars = st.one_of(
    st.integers(-3, 3),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.5, 1.0, -2.5, 1e-3, 10.0]),
    st.booleans(),
    st.none(),
    st.text(alphabet="ab '\"\\é", max_size=3),
    st.sampled_from(STATUSES),
)


class Compare(NamedTuple):
    field: str
    op: str
    value: Any
    spelling: int  # which spelling of True/None, which quote


class Member(NamedTuple):
    field: str
    values: Tuple[Any, ...]
    spelling: int


class Not(NamedTuple):
    inner: Any


class And(NamedTuple):
    left: Any
    right: Any


class Or(NamedTuple):
    left: Any
    right: Any


leaves = st.one_of(
    st.builds(Compare, st.sampled_from(FIELDS), st.sampled_from(sorted(OPERATORS)), scalars,
              st.integers(0, 1)),
    st.builds(Member, st.sampled_from(FIELDS), st.lists(scalars, max_size=3).map(tuple),
              st.integers(0, 1)),
)
queries = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(Not, children), st.builds(And, children, children), st.builds(Or, children, children)
    ),
    max_leaves=6,
)


def render_value(value: Any, spelling: int) -> str:
    if value is True or value is False:
        return str(value) if spelling else str(value).lower()
    if value is None:
        return "None" if spelling else "null"
    if isinstance(value, str):
        quote = "'" if spelling else '"'
        return quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote
    return repr(value)


PRECEDENCE = {Or: 1, And: 2, Not: 3, Compare: 4, Member: 4}


def render(node: Any) -> str:
    """The query text of ``node``, parenthesised only where precedence requires it."""

    def child(inner: Any, needed: int) -> str:
        text = render(inner)
        return f"({text})" if PRECEDENCE[type(inner)] < needed else text

    if isinstance(node, Compare):
        return f"{node.field} {node.op} {render_value(node.value, node.spelling)}"
    if isinstance(node, Member):
        items = ", ".join(render_value(value, node.spelling) for value in node.values)
        return f"{node.field} in [{items}]"
    if isinstance(node, Not):
        return "~" + child(node.inner, 3)
    symbol = " & " if isinstance(node, And) else " | "
    level = PRECEDENCE[type(node)]
    return child(node.left, level) + symbol + child(node.right, level)


def evaluate(node: Any, row: Dict[str, Any]) -> bool:
    """What the query means, in plain Python: missing fields and type errors do not match."""
    if isinstance(node, (Compare, Member)):
        found = row.get(node.field, _MISSING)
        if found is _MISSING:
            return False
        try:
            if isinstance(node, Member):
                return found in node.values
            return bool(OPERATORS[node.op](found, node.value))
        except TypeError:
            return False
    if isinstance(node, Not):
        return not evaluate(node.inner, row)
    if isinstance(node, And):
        return evaluate(node.left, row) and evaluate(node.right, row)
    return evaluate(node.left, row) or evaluate(node.right, row)


def fields_in_order(node: Any) -> List[str]:
    """The fields of ``node``'s comparisons, left to right as rendered."""
    if isinstance(node, (Compare, Member)):
        return [node.field]
    if isinstance(node, Not):
        return fields_in_order(node.inner)
    return fields_in_order(node.left) + fields_in_order(node.right)


class RunSpec(NamedTuple):
    config: Dict[str, Any]
    status: str

    def row(self) -> Dict[str, Any]:
        """The flat row, built by hand rather than by the index's flattening."""
        row = {"info.status": self.status}
        for key in ("a", "b"):
            if key in self.config:
                row[f"config.{key}"] = self.config[key]
        if "c" in self.config.get("group", {}):
            row["config.group.c"] = self.config["group"]["c"]
        return row


@st.composite
def run_specs(draw: Any) -> RunSpec:
    config: Dict[str, Any] = {}
    for key in ("a", "b"):
        if draw(st.booleans()):
            config[key] = draw(scalars)
    if draw(st.booleans()):
        config["group"] = {"c": draw(scalars)}
    return RunSpec(config, draw(st.sampled_from(STATUSES)))


@settings(max_examples=500, deadline=None)
@given(query=queries, spec=run_specs())
def test_compiled_query_agrees_with_python(query: Any, spec: RunSpec) -> None:
    row = spec.row()
    assert compile_query(render(query))(row) is evaluate(query, row)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries, specs=st.lists(run_specs(), min_size=1, max_size=6))
def test_filter_selects_what_python_selects(query: Any, specs: List[RunSpec]) -> None:
    with tempfile.TemporaryDirectory() as parent:
        for log_id, spec in enumerate(specs, start=1):
            make_run(parent, log_id, config=spec.config, info={"status": spec.status})
        reader = Reader(parent)
        present = set().union(*(spec.row() for spec in specs))
        unknown = [field for field in fields_in_order(query) if field not in present]
        if unknown:  # no run has it: a typo, not a query that matches nothing
            with pytest.raises(QueryError) as caught:
                reader.filter(render(query))
            assert caught.value.field == unknown[0]
            return
        selected = [row["info.logger.log_id"] for row in reader.filter(render(query))]
    expected = [i for i, spec in enumerate(specs, start=1) if evaluate(query, spec.row())]
    assert selected == expected
