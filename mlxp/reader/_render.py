"""Showing tables of runs without pandas: plain text for ``repr`` and HTML for notebooks.

Lazy cells show as ``<metric>`` / ``<artifact>`` so that displaying a frame never reads a
metrics file.
"""

from __future__ import annotations

from typing import Any, List, Sequence

from mlxp.errors import MissingDependencyError

MAX_ROWS = 50
MAX_TEXT_COLUMNS = 8
CELL_WIDTH = 24


def import_pandas() -> Any:
    """Import pandas on demand.

    Raises:
        MissingDependencyError: pandas is not installed.
    """
    try:
        import pandas
    except ImportError as error:
        raise MissingDependencyError(
            "pandas is needed to convert results to a pandas DataFrame;"
            " install it with: pip install 'mlxp[pandas]'",
            package="pandas",
        ) from error
    return pandas


def _cell(value: Any, width: int) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 3] + "..."


def text_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], labels: Sequence[str]) -> str:
    """A fixed-width table of at most ``MAX_ROWS`` rows and ``MAX_TEXT_COLUMNS`` columns."""
    shown_columns = list(columns)
    elided = len(shown_columns) > MAX_TEXT_COLUMNS
    keep = MAX_TEXT_COLUMNS // 2
    if elided:
        positions = list(range(keep)) + list(range(len(columns) - keep, len(columns)))
    else:
        positions = list(range(len(columns)))
    header = ["", *(_cell(columns[i], CELL_WIDTH) for i in positions)]
    body = [
        [label, *(_cell(row[i], CELL_WIDTH) for i in positions)]
        for label, row in zip(labels[:MAX_ROWS], rows[:MAX_ROWS])
    ]
    if elided:
        header.insert(keep + 1, "...")
        for line in body:
            line.insert(keep + 1, "...")
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip()
             for line in [header, *body]]
    if len(rows) > MAX_ROWS:
        lines.append(f"... {len(rows) - MAX_ROWS} more rows")
    lines.append(f"[{len(rows)} rows x {len(columns)} columns]")
    return "\n".join(lines)


def html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], labels: Sequence[str]) -> str:
    """An HTML table of at most ``MAX_ROWS`` rows, every column shown."""
    import html  # only notebooks need it; it costs milliseconds at import

    parts: List[str] = ['<table class="mlxp-frame" border="1">', "<thead><tr><th></th>"]
    parts.extend(f"<th>{html.escape(str(column))}</th>" for column in columns)
    parts.append("</tr></thead><tbody>")
    for label, row in zip(labels[:MAX_ROWS], rows[:MAX_ROWS]):
        parts.append(f"<tr><th>{html.escape(label)}</th>")
        parts.extend(f"<td>{html.escape(_cell(value, 80))}</td>" for value in row)
        parts.append("</tr>")
    parts.append("</tbody></table>")
    more = f"{len(rows) - MAX_ROWS} more rows; " if len(rows) > MAX_ROWS else ""
    parts.append(f"<p>{more}{len(rows)} rows &times; {len(columns)} columns</p>")
    return "".join(parts)
