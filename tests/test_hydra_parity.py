"""The override grammar against Hydra 1.3's: every argument of Hydra's own parser tests.

``tests/fixtures/hydra_overrides.json`` holds what Hydra makes of each (written by
``tests/fixtures/make_hydra_overrides.py`` with Hydra installed), and more arguments written
for mlxp, run through Hydra the same way (``"from": "mlxp"``). Each argument must give the
same result in mlxp (the same typed value, sweep, interval, glob, or an error in both), or carry
a ``difference`` saying why mlxp differs on purpose; docs/configuration-and-overrides.md lists
those differences (``python docs/update_grammar_table.py`` writes that list from the table).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

from mlxp.errors import OverrideError
from mlxp.overrides import Glob, Interval, parse_override
from tests.original import original_env, original_python

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration-and-overrides.md"
DOC_START = "<!-- hydra-differences: start (generated from tests/fixtures/hydra_overrides.json) -->"
DOC_END = "<!-- hydra-differences: end -->"
TABLE_PATH = FIXTURES / "hydra_overrides.json"
TABLE: List[Dict[str, Any]] = json.loads(TABLE_PATH.read_text("utf-8"))


def encode(value: Any) -> Any:
    """The table's JSON form of a value: floats and mappings tagged, so types stay apart."""
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, dict):
        return {"dict": [[encode(key), encode(item)] for key, item in value.items()]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    return value


def _any_order(values: Any) -> List[Any]:
    return sorted((encode(v) for v in values), key=json.dumps)


def mlxp_result(argument: str) -> Dict[str, Any]:
    """What mlxp makes of an argument, in the form of the table's ``hydra`` entries."""
    try:
        override = parse_override(argument)
    except OverrideError as error:
        return {"error": str(error).splitlines()[0]}
    result: Dict[str, Any] = {"kind": override.kind.value, "key": override.key}
    first = override.values[0] if override.values else None
    if isinstance(first, Glob):
        result["glob"] = {"include": list(first.include), "exclude": list(first.exclude)}
    elif isinstance(first, Interval):
        result["interval"] = [encode(first.start), encode(first.end)]
        result["tags"] = sorted(first.tags)
    elif override.is_sweep:
        values = list(override.values)
        result["sweep"] = _any_order(values) if override.shuffle else encode(values)
        result["shuffled"] = override.shuffle
    elif override.shuffle:
        result["value"], result["shuffled"] = _any_order(first), True
    elif override.values:
        result["value"] = encode(first)
    return result


def outcome(entry: Dict[str, Any]) -> str:
    """``same``, ``refused`` (mlxp errs where Hydra gives a value) or ``different``."""
    hydra, mlxp = entry["hydra"], mlxp_result(entry["argument"])
    if ("error" in hydra and "error" in mlxp) or hydra == mlxp:
        return "same"
    return "refused" if "error" in mlxp else "different"


@pytest.mark.parametrize("entry", TABLE, ids=[e["argument"] for e in TABLE])
def test_mlxp_gives_hydras_result_or_says_why_not(entry: Dict[str, Any]) -> None:
    result = outcome(entry)
    if result == "same":
        assert "difference" not in entry, (
            "mlxp now gives Hydra's result: drop this argument's difference from"
            f" {TABLE_PATH.name}")
    else:
        assert entry.get("difference"), (
            f"{result}: Hydra gives {entry['hydra']}, mlxp {mlxp_result(entry['argument'])};"
            f" match Hydra, or give the reason as this argument's difference in {TABLE_PATH.name}")


def test_the_table_covers_hydras_parser_tests() -> None:
    arguments = [entry["argument"] for entry in TABLE]
    assert len(arguments) == len(set(arguments))
    assert sum("from" not in entry for entry in TABLE) == 415


def differences() -> List[Dict[str, Any]]:
    """The table's entries where mlxp differs from Hydra, each with its reason."""
    return [entry for entry in TABLE if entry.get("difference")]


def _shown(result: Dict[str, Any]) -> str:
    if "error" in result:
        return "refused: " + result["error"].split(": ", 1)[-1]
    shown = {k: v for k, v in result.items() if k not in ("kind", "key", "shuffled")}
    text = json.dumps(shown, ensure_ascii=False).replace('{"float": "', "").replace('"}', "")
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def render_differences() -> str:
    """The docs' table of the differences: the argument, what each gives, and why."""
    rows = [f"| `{e['argument']}` | {_shown(e['hydra'])} | {_shown(mlxp_result(e['argument']))}"
            f" | {e['difference']} |" for e in differences()]
    return "\n".join(["| argument | Hydra 1.3 | mlxp | why |", "|---|---|---|---|", *rows])


def test_the_docs_list_every_difference_with_its_reason() -> None:
    page = DOC.read_text(encoding="utf-8")
    assert DOC_START in page and DOC_END in page, f"{DOC} lost its markers"
    listed = page.split(DOC_START, 1)[1].split(DOC_END, 1)[0].strip()
    assert listed == render_differences(), "run: python docs/update_grammar_table.py"


def test_the_table_is_what_hydra_gives_today() -> None:
    """Hydra, run live, still gives the table's results (skips without the MLXP 1.0.5 venv;
    fails in CI, which sets MLXP_REQUIRE_ORIGINAL=1)."""
    python = original_python()
    printed = subprocess.run([python, str(FIXTURES / "make_hydra_overrides.py"), "--print"],
                             capture_output=True, text=True, timeout=300, cwd="/",
                             env=original_env())
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == TABLE, (
        "the table is stale: rewrite it with python tests/fixtures/make_hydra_overrides.py")
