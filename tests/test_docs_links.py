"""Every relative link in README.md and docs/ points to a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    for target in LINK.findall(page.read_text()):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_every_area_has_its_page() -> None:
    names = {page.stem for page in PAGES}
    for area in ("getting-started", "configuration-and-overrides", "sweeps", "logging",
                 "reading", "schedulers", "mlxpsub", "version-manager", "errors", "benchmarks",
                 "migrating-from-mlxp", "scale-out"):
        assert area in names, f"docs/{area}.md is missing"
