"""Hypothesis strategies shared by the property tests (one place, as attrs keeps them)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from mlxp.overrides import Override, OverrideKind, format_value

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

# Curves: finite numbers as metrics hold them, and runs' (x, y) series on shared x values.
finite_numbers = st.integers(-10**6, 10**6) | st.floats(-1e6, 1e6, allow_nan=False)
curve_points = st.lists(st.tuples(finite_numbers, finite_numbers), max_size=300)
run_curves = st.lists(
    st.lists(st.tuples(st.integers(0, 30), st.floats(-1e3, 1e3, allow_nan=False)), max_size=40),
    min_size=1, max_size=6,
)
