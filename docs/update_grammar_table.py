"""Rewrite the tables of configuration-and-overrides.md from the tests that hold their cases:
the grammar (tests/test_overrides.py), the typing (tests/test_scalar_typing.py) and the
differences from Hydra (tests/fixtures/hydra_overrides.json, via tests/test_hydra_parity.py).

Usage: python docs/update_grammar_table.py
The tests' case tables are the source: the page shows exactly the cases that are tested, and
``test_docs_table_is_this_table`` fails until this script has been run after a change.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

import test_hydra_parity  # noqa: E402
import test_overrides  # noqa: E402
import test_scalar_typing  # noqa: E402


def replace_table(page: str, start: str, end: str, table: str) -> str:
    """``page`` with the text between the markers ``start`` and ``end`` replaced by ``table``."""
    before, rest = page.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n\n{table}\n\n{end}{after}"


def main() -> None:
    doc = test_overrides.DOC
    page = doc.read_text(encoding="utf-8")
    page = replace_table(page, test_overrides.TABLE_START, test_overrides.TABLE_END,
                         test_overrides.render_tables())
    page = replace_table(page, test_scalar_typing.TABLE_START, test_scalar_typing.TABLE_END,
                         test_scalar_typing.render_table())
    page = replace_table(page, test_hydra_parity.DOC_START, test_hydra_parity.DOC_END,
                         test_hydra_parity.render_differences())
    doc.write_text(page, encoding="utf-8")
    print(f"{doc.relative_to(ROOT)}: {len(test_overrides.CASES)} grammar rows,"
          f" {len(test_scalar_typing.TYPING)} typing rows,"
          f" {len(test_hydra_parity.differences())} differences from Hydra")


if __name__ == "__main__":
    main()
