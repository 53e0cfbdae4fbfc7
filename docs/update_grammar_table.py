"""Rewrite the grammar tables of configuration-and-overrides.md from tests/test_overrides.py.

Usage: python docs/update_grammar_table.py
The tests' case table is the source: the page shows exactly the arguments that are tested, and
``test_docs_table_is_this_table`` fails until this script has been run after a change.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import test_overrides as cases  # noqa: E402


def main() -> None:
    page = cases.DOC.read_text(encoding="utf-8")
    before, rest = page.split(cases.TABLE_START, 1)
    _, after = rest.split(cases.TABLE_END, 1)
    table = cases.render_tables()
    cases.DOC.write_text(f"{before}{cases.TABLE_START}\n\n{table}\n\n{cases.TABLE_END}{after}",
                         encoding="utf-8")
    print(f"{cases.DOC.relative_to(ROOT)}: {len(cases.CASES)} rows")


if __name__ == "__main__":
    main()
