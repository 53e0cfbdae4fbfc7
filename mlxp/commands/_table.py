"""Aligned text tables that fit a terminal: cells are cleaned and capped, and the columns that
do not fit are left out (the caller says how many)."""

from __future__ import annotations

import os
import shutil
import sys
from typing import List, Optional, Sequence, Tuple

from mlxp.commands._common import clean, truncate

MAX_CELL = 40
"""No cell is wider than this: a long error or path would push every other column away."""
GAP = "  "


def terminal_width() -> Optional[int]:
    """The width to fit: ``$COLUMNS``, else the terminal's; None (no limit) for a pipe or a
    file, so that ``mlxp ls > runs.txt`` keeps every column."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def fit_table(header: Sequence[str], rows: Sequence[Sequence[str]], width: Optional[int],
              keep: int = 1) -> Tuple[List[str], int]:
    """The lines of the table and how many columns were left out to fit ``width``.

    The first ``keep`` columns are always shown; the others are added from the left while they
    fit, and the rest is left out. Cells are cleaned of control characters and cut at
    ``MAX_CELL``.
    """
    # the test first: most cells are short and plain, and 10,000 runs make 100,000 cells
    table = [[cell if len(cell) <= MAX_CELL and cell.isprintable()
              else truncate(clean(cell), MAX_CELL) for cell in row] for row in [header, *rows]]
    widths = [max(map(len, column)) for column in zip(*table)]
    shown = 0
    used = 0
    for index, column_width in enumerate(widths):
        needed = column_width + (len(GAP) if shown else 0)
        if index >= keep and width is not None and used + needed > width:
            break  # the columns shown stay the leftmost ones, in order
        shown += 1
        used += needed
    kept = widths[:shown]
    lines = [GAP.join([cell.ljust(size) for cell, size in zip(row, kept)]).rstrip()
             for row in table]
    if width is not None:
        lines = [truncate(line, width) for line in lines]
    return lines, len(header) - shown
