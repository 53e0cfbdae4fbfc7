"""Values are typed as MLXP 1.0.5 types them: ``config.yaml`` as OmegaConf 2.3's YAML loader
does, the command line as Hydra 1.3's override grammar does (each row measured with both).

docs/configuration-and-overrides.md prints this table ("How values are typed");
``test_docs_table_is_this_table`` keeps the two equal, and ``python docs/update_grammar_table.py``
rewrites the page's copy.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from projects import make_project, read_yaml, run_main

from mlxp._scalars import type_in_file, type_on_command_line
from mlxp._yaml import load_yaml
from mlxp.overrides import format_value, parse_override

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration-and-overrides.md"
TABLE_START = "<!-- typing-table: start (generated from tests/test_scalar_typing.py) -->"
TABLE_END = "<!-- typing-table: end -->"
INF, NAN = math.inf, math.nan

# text written unquoted, its value in config.yaml, its value on the command line
TYPING = [
    pytest.param("yes", True, "yes", id="yes"),
    pytest.param("Yes", True, "Yes", id="Yes"),
    pytest.param("off", False, "off", id="off"),
    pytest.param("on", True, "on", id="on"),
    pytest.param("y", "y", "y", id="y"),
    pytest.param("true", True, True, id="true"),
    pytest.param("TRUE", True, True, id="TRUE"),
    pytest.param("trUe", "trUe", True, id="trUe"),
    pytest.param("False", False, False, id="False"),
    pytest.param("null", None, None, id="null"),
    pytest.param("NuLL", "NuLL", None, id="NuLL"),
    pytest.param("~", None, "~", id="tilde"),
    pytest.param("42", 42, 42, id="int"),
    pytest.param("-7", -7, -7, id="negative-int"),
    pytest.param("1_000", 1000, 1000, id="underscores"),
    pytest.param("1" * 65, int("1" * 65), int("1" * 65), id="int-of-65-digits"),
    pytest.param("012", 10, "012", id="leading-zero"),
    pytest.param("0x1f", 31, "0x1f", id="hexadecimal"),
    pytest.param("0b101", 5, "0b101", id="binary"),
    pytest.param("1:30", 90, "1:30", id="base-60"),
    pytest.param("0o17", "0o17", "0o17", id="0o-octal"),
    pytest.param("2024-01-01", "2024-01-01", "2024-01-01", id="date"),
    pytest.param("1e-3", 0.001, 0.001, id="exponent"),
    pytest.param("1e-05", 1e-05, 1e-05, id="exponent-as-python-prints-it"),
    pytest.param("10.", 10.0, 10.0, id="trailing-dot"),
    pytest.param(".5", 0.5, 0.5, id="leading-dot"),
    pytest.param("-.5", "-.5", -0.5, id="signed-leading-dot"),
    pytest.param(".inf", INF, ".inf", id="dot-inf"),
    pytest.param("-.inf", -INF, "-.inf", id="minus-dot-inf"),
    pytest.param(".nan", NAN, ".nan", id="dot-nan"),
    pytest.param("inf", "inf", INF, id="inf"),
    pytest.param("-inf", "-inf", -INF, id="minus-inf"),
    pytest.param("nan", "nan", NAN, id="nan"),
    pytest.param("1.2.3", "1.2.3", "1.2.3", id="version"),
    pytest.param("cpu", "cpu", "cpu", id="word"),
]


def same(value: Any, expected: Any) -> bool:
    """Equal and of the same type; NaN is NaN."""
    if type(value) is not type(expected):
        return False
    return value == expected or (isinstance(value, float) and math.isnan(value)
                                 and math.isnan(expected))


@pytest.mark.parametrize("text, in_file, on_command_line", TYPING)
def test_config_file_types_as_mlxp(text: str, in_file: Any, on_command_line: Any) -> None:
    loaded = load_yaml(f"key: {text}\nlist: [{text}]\n{text}: key\n")
    assert same(loaded["key"], in_file) and same(loaded["list"][0], in_file)
    assert any(same(key, in_file) for key in loaded)  # keys are typed too
    assert same(type_in_file(text), in_file)


@pytest.mark.parametrize("text, in_file, on_command_line", TYPING)
def test_command_line_types_as_mlxp(text: str, in_file: Any, on_command_line: Any) -> None:
    assert same(parse_override(f"key={text}").value, on_command_line)
    assert same(type_on_command_line(text), on_command_line)
    assert same(parse_override(f"+mlxp.key=[{text}]").value[0], on_command_line)
    sweep = parse_override(f"key={text},{text}")
    assert all(same(value, on_command_line) for value in sweep.values)


def test_a_run_sees_both_typings_and_keeps_them(tmp_path: Path) -> None:
    """As a user sees it: the values in ``ctx.config``, and in ``metadata/config.yaml``."""
    main = """
        import json, mlxp

        @mlxp.launch(config_path="./configs")
        def task(ctx):
            print("TYPED " + json.dumps({k: [type(v).__name__, repr(v)]
                                         for k, v in ctx.config.items()}))

        if __name__ == "__main__":
            task()
    """
    rows = [case.values for case in TYPING]
    config = "".join(f"file{i}: {text}  # as written\n" for i, (text, _, _) in enumerate(rows))
    project = make_project(tmp_path / "project", main=main, config=config)
    result = run_main(project, *(f"+cli{i}={text}" for i, (text, _, _) in enumerate(rows)))
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("TYPED "))
    printed = json.loads(line[len("TYPED "):])
    expected = {f"{side}{i}": value for i, (_, in_file, on_command_line) in enumerate(rows)
                for side, value in (("file", in_file), ("cli", on_command_line))}
    assert printed == {key: [type(value).__name__, repr(value)] for key, value in expected.items()}
    stored = read_yaml(next(project.glob("logs/*/metadata/config.yaml")))
    assert all(same(stored[key], value) for key, value in expected.items()), stored


# ------------------------------------------------------------------ properties

@given(st.integers())
def test_an_int_as_python_writes_it_is_that_int_in_both(number: int) -> None:
    for text in (str(number), f"{number:_}"):
        assert same(type_in_file(text), number)
        assert same(parse_override(f"k={text}").value, number)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_as_mlxp_writes_it_is_that_float_in_both(number: float) -> None:
    text = format_value(number)  # Python's repr: 1e-05, 0.1, -0.0
    assert same(type_in_file(text), number)
    assert same(parse_override(f"k={text}").value, number)
    assert same(load_yaml(f"k: {text}")["k"], number)


# ------------------------------------------------------------------ the table in the docs

def render_table() -> str:
    """The Markdown table of ``TYPING``, as the docs page holds it."""
    rows = [f"| {_written(text)} | {_show(in_file)} | {_show(on_command_line)} |"
            for text, in_file, on_command_line in (case.values for case in TYPING)]
    return "\n".join(["| written | in `config.yaml` | on the command line |", "|---|---|---|",
                      *rows])


def _written(text: str) -> str:
    return f"`{text[:3]}...` ({len(text)} digits)" if len(text) > 20 else f"`{text}`"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"string `{value!r}`"
    if isinstance(value, int) and not isinstance(value, bool) and len(str(value)) > 12:
        return "int (any length)"
    return f"`{value!r}`"


def test_docs_table_is_this_table() -> None:
    page = DOC.read_text(encoding="utf-8")
    assert TABLE_START in page and TABLE_END in page, f"{DOC} lost its table markers"
    inside = page.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()
    assert inside == render_table(), "run: python docs/update_grammar_table.py"


@pytest.mark.parametrize(
    "in_file, argument, fix",
    [
        pytest.param("use_cuda: yes", "use_cuda=no", "write false", id="no-is-a-string"),
        pytest.param("use_cuda: true", "use_cuda=off", "write false", id="off-is-a-string"),
        pytest.param("mask: 0xff", "mask=0x0f", "write 15", id="hex-is-a-string"),
        pytest.param("limit: 1.0", "limit=.inf", "write inf", id="dot-inf-is-a-string"),
    ],
)
def test_a_value_typed_only_in_the_file_gets_the_fix(tmp_path: Path, in_file: str,
                                                     argument: str, fix: str) -> None:
    project = make_project(tmp_path / "project", config=f"num_epoch: 1\n{in_file}\n")
    result = run_main(project, "--cfg", argument)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and warnings[0].startswith("mlxp: warning: "), warnings
    assert "is a string, while configs/config.yaml reads it as" in warnings[0]
    assert warnings[0].endswith(fix)
