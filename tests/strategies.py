"""Hypothesis strategies shared by the property tests (one place, as attrs keeps them)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from mlxp.overrides import Glob, Interval, Override, OverrideKind, format_value

# Characters that mean something to the grammar, mixed with plain and non-ASCII text, so that
# generated strings hit the quoting rules often rather than by luck.
AWKWARD = ",[]{}()'\"\\ \t\n$:~=#@%^*+-.xyz019éßж日本🚀\u00a0\u2028"

key_parts = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,7}", fullmatch=True) | st.integers(
    0, 99).map(str)
keys = st.lists(key_parts, min_size=1, max_size=4).map(".".join)

# Words that config.yaml or the command line reads as a number, a boolean or null (the two
# type differently, as in MLXP), so that generated strings must be quoted to stay strings.
TYPED_WORDS = ["yes", "No", "ON", "off", "y", "TRUE", "trUe", "NuLL", "null", "~", "", "1_000",
               "012", "0x1f", "0b101", "1:30", "1:30.5", "0o17", "2024-01-01", "1e-3", "1e-05",
               "-.5", ".5e3", ".inf", "-.inf", ".nan", "inf", "-inf", "nan", "10.", "<<", "="]
texts = st.text() | st.text(alphabet=AWKWARD, max_size=12) | st.sampled_from(TYPED_WORDS)
scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats() | texts)
mapping_keys = texts | st.integers(-1000, 1000)

values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(mapping_keys, children, max_size=4),
    max_leaves=10,
)

# Choices of one sweep, all different. Mappings are left out: two with the same items in
# another order are equal values but are written differently.
distinct_choices = st.lists(
    st.recursive(scalars, lambda children: st.lists(children, max_size=3), max_leaves=5),
    min_size=1,
    max_size=4,
    unique_by=format_value,
)


@st.composite
def overrides(draw: Any, sweep: bool = True) -> Override:
    """Any override the grammar can write: every kind, scalar or nested values, sweeps."""
    kind = draw(st.sampled_from(list(OverrideKind)))
    key = draw(keys)
    if kind is OverrideKind.DELETE:
        return Override(kind, key, tuple(draw(st.lists(values, max_size=1))))
    if sweep and draw(st.booleans()):
        return Override(kind, key, tuple(draw(distinct_choices)), is_sweep=True)
    return Override(kind, key, (draw(values),))


sweeps = st.lists(overrides(), max_size=4)

# Keys of config groups, as a Hydra user writes them: model, model/backbone, model@encoder.
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,5}", fullmatch=True)
group_keys = st.builds(
    lambda path, package: "/".join(path) + ("" if package is None else "@" + package),
    st.lists(_names, min_size=1, max_size=3), st.none() | st.just("") | keys)

# fnmatch patterns over a small alphabet, so that they often match the options
_patterns = st.text(alphabet="ab*?[]!", min_size=1, max_size=4)
globs = st.builds(Glob, st.lists(_patterns, min_size=1, max_size=3),
                  st.lists(_patterns, max_size=2))
options = st.lists(st.text(alphabet="ab_", min_size=1, max_size=3), max_size=8)

_finite = st.floats(-1e6, 1e6, allow_nan=False)
_positive = st.floats(1e-9, 1e6)


@st.composite
def intervals(draw: Any) -> Interval:
    """Any interval the grammar makes: floats or ints, uniform or log."""
    log = draw(st.booleans())
    if draw(st.booleans()):
        start = draw(st.integers(1 if log else -1000, 1000))
        return Interval(start, start + draw(st.integers(1, 1000)), ["log"] if log else [])
    start = draw(_positive if log else _finite)
    return Interval(start, start + draw(st.floats(1e-3, 1e6)), ["log"] if log else [])


@st.composite
def deferred_overrides(draw: Any) -> Override:
    """Overrides that expand_sweep resolves: glob(), interval() and shuffle(), on group keys."""
    kind = draw(st.sampled_from([OverrideKind.SET, OverrideKind.ADD, OverrideKind.FORCE]))
    key = draw(group_keys)
    which = draw(st.sampled_from(["glob", "interval", "shuffle-sweep", "shuffle-list"]))
    if which == "glob":
        return Override(kind, key, (draw(globs),), is_sweep=True)
    if which == "interval":
        return Override(kind, key, (draw(intervals()),), is_sweep=True)
    if which == "shuffle-sweep":
        return Override(kind, key, tuple(draw(distinct_choices)), is_sweep=True, shuffle=True)
    return Override(kind, key, (draw(st.lists(values, max_size=4)),), shuffle=True)

# Words of a job-script line that bash passes without running or expanding anything: plain
# characters, backslash escapes, single- and double-quoted parts (with the escapes bash keeps
# and removes inside double quotes). No unquoted ~ * ? [ { } # that bash would expand.
_UNQUOTED = "abc=.,:-_/@%+019é"
_QUOTABLE = "abc=., ;|&()<>{}*?[]~#'\\$`\"é\t"
_word_parts = st.one_of(
    st.text(_UNQUOTED, min_size=1, max_size=4),
    st.sampled_from(_QUOTABLE + "xn").map(lambda char: "\\" + char),
    st.text(_QUOTABLE.replace("'", ""), max_size=5).map(lambda text: f"'{text}'"),
    st.lists(st.one_of(
        st.text(_QUOTABLE.translate(str.maketrans("", "", '"\\$`')), min_size=1, max_size=3),
        # the four characters bash unescapes inside double quotes, and others it does not
        st.sampled_from('$`"\\' * 3 + "xn'{ ").map(lambda char: "\\" + char),
    ), max_size=4).map(lambda parts: '"' + "".join(parts) + '"'),
)
shell_words = st.lists(st.lists(_word_parts, min_size=1, max_size=4).map("".join),
                       min_size=1, max_size=3).map(" ".join)


@st.composite
def group_trees(draw: Any) -> Any:
    """A config tree of 1-3 groups with 1-4 options each (small int contents), the option the
    defaults list picks for each group, and the options a command line picks instead (None:
    left as the defaults say)."""
    names = draw(st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), min_size=1, max_size=3,
                          unique=True))
    contents = {name: draw(st.lists(st.dictionaries(st.sampled_from("abc"), st.integers(0, 9),
                                                    max_size=3), min_size=1, max_size=4))
                for name in names}
    defaults = {name: draw(st.integers(0, len(contents[name]) - 1)) for name in names}
    chosen = {name: draw(st.none() | st.integers(0, len(contents[name]) - 1)) for name in names}
    return contents, defaults, chosen


# Curves: finite numbers as metrics hold them, and runs' (x, y) series on shared x values.
finite_numbers = st.integers(-10**6, 10**6) | st.floats(-1e6, 1e6, allow_nan=False)
curve_points = st.lists(st.tuples(finite_numbers, finite_numbers), max_size=300)
run_curves = st.lists(
    st.lists(st.tuples(st.integers(0, 30), st.floats(-1e3, 1e3, allow_nan=False)), max_size=40),
    min_size=1, max_size=6,
)

# A metrics file's lines as a live writer and a crash leave them: records with missing keys,
# booleans, NaN, strings, ints too large for a float, a `step` key or not, and lines that are
# blank, torn or not a mapping.
metric_values = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats()
                 | st.text(max_size=3))
metric_lines = st.lists(st.one_of(
    st.dictionaries(st.sampled_from(["x", "y", "step"]), metric_values, max_size=3).map(
        lambda record: json.dumps(record)),
    st.sampled_from(["", " ", "not json", "[1, 2]", '{"x": 1', "\r", '{"x": 1}, {"y": 2}']),
), max_size=30)
