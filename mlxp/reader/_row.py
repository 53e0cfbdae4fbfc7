"""``DataDict``: one run as a read-only mapping whose metric and artifact columns load lazily."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, Mapping, Optional

from mlxp.errors import ColumnError
from mlxp.reader import _render
from mlxp.reader._lazy import RunMetrics, resolve
from mlxp.reader._run_dir import METRIC, LazySpec

_PLACEHOLDERS = {METRIC: "METRIC"}
_ARTIFACT_PLACEHOLDER = "ARTIFACT"
MISSING = object()
"""Marks an absent value where None is a legitimate one."""


def column_error(column: str, known: Iterable[str]) -> ColumnError:
    """A ``ColumnError`` for ``column`` suggesting the closest of the ``known`` columns."""
    import difflib  # only a mistyped column needs it

    suggestions = difflib.get_close_matches(column, list(known), n=2)
    return ColumnError(f"unknown column {column!r}", column=column, suggestions=suggestions)


class DataDict(Mapping[str, Any]):
    """One run (or one result row) as a read-only mapping of column name to value.

    Metric columns (``train.loss``) read ``metrics/train.json`` on first access; artifact
    columns (``artifact.pickle.last_ckpt.pkl``) give an ``Artifact`` whose ``load()`` reads it.
    ``log_dir`` is the run directory, or None for rows computed by a map. ``problems``
    collects the metrics files that cannot be read (see ``RunMetrics``).
    """

    __slots__ = ("_values", "_lazy", "_metrics", "log_dir")

    def __init__(
        self,
        values: Dict[str, Any],
        lazy: Optional[Dict[str, LazySpec]] = None,
        log_dir: Optional[str] = None,
        problems: Optional[Dict[str, str]] = None,
    ) -> None:
        self._values = values
        self._lazy = lazy if lazy and log_dir else {}
        self._metrics = RunMetrics(log_dir, problems) if self._lazy and log_dir else None
        self.log_dir = log_dir

    def __getitem__(self, key: str) -> Any:
        value = self._values.get(key, MISSING)
        if value is not MISSING:
            return value
        spec = self._lazy.get(key)
        if spec is None:
            raise column_error(key, self)
        return resolve(spec, self.log_dir, self._metrics)  # type: ignore[arg-type]

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` if the row has no such column."""
        return self[key] if key in self else default

    def __contains__(self, key: object) -> bool:
        return key in self._values or key in self._lazy

    def __iter__(self) -> Iterator[str]:
        yield from self._values
        for key in self._lazy:
            if key not in self._values:
                yield key

    def __len__(self) -> int:
        return len(self._values) + sum(1 for key in self._lazy if key not in self._values)

    def peek(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` without loading: lazy columns give ``'METRIC'``/``'ARTIFACT'``."""
        value = self._values.get(key, MISSING)
        if value is not MISSING:
            return value
        spec = self._lazy.get(key)
        if spec is None:
            return default
        return _PLACEHOLDERS.get(spec[0], _ARTIFACT_PLACEHOLDER)

    def flat(self) -> Dict[str, Any]:
        """All columns as a plain dict, lazy ones as placeholders (nothing is loaded)."""
        return {key: self.peek(key) for key in self}

    def with_columns(self, extra: Mapping[str, Any]) -> "DataDict":
        """A copy with ``extra`` columns added; loaded metrics are shared, not read again."""
        row = DataDict({**self._values, **extra})
        row._lazy, row._metrics, row.log_dir = self._lazy, self._metrics, self.log_dir
        return row

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataDict):
            return NotImplemented
        return self.log_dir == other.log_dir and self.flat() == other.flat()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.flat())

    def _repr_html_(self) -> str:
        columns = list(self)
        return _render.html_table(columns, [[self.peek(c) for c in columns]], ["0"])
