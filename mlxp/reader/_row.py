"""``DataDict``: one run as a mapping whose metric and artifact columns load lazily."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict, Iterable, Iterator, Mapping, Optional

from mlxp.errors import ColumnError
from mlxp.reader import _render
from mlxp.reader._lazy import RunMetrics, resolve
from mlxp.reader._run_dir import ARTIFACT, ARTIFACT_FILE, METRIC, LazySpec

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

    Metric columns (``train.loss``) read ``metrics/train.json`` on first access. Artifact
    columns are MLXP's, one per type and directory: ``artifact.pickle.`` (the top of
    ``artifacts/pickle/``) and ``artifact.pickle..epoch_1`` (``epoch_1/``) give a mapping file
    name -> ``Artifact``, whose ``load()`` reads it. One file's name
    (``artifact.pickle.last_ckpt.pkl``) also works as a lookup giving its ``Artifact``, but is
    not listed as a column. ``log_dir`` is the run directory, or None for rows computed by a
    map. ``problems`` collects the metrics files that cannot be read (see ``RunMetrics``).
    """

    __slots__ = ("_values", "_lazy", "_metrics", "log_dir", "_trust")

    def __init__(
        self,
        values: Dict[str, Any],
        lazy: Optional[Dict[str, LazySpec]] = None,
        log_dir: Optional[str] = None,
        problems: Optional[Dict[str, str]] = None,
        trust_stored_code: bool = False,
    ) -> None:
        self._values = values
        self._lazy = lazy if lazy and log_dir else {}
        self._metrics = RunMetrics(log_dir, problems) if self._lazy and log_dir else None
        self.log_dir = log_dir
        self._trust = trust_stored_code

    def __getitem__(self, key: str) -> Any:
        value = self._values.get(key, MISSING)
        if value is not MISSING:
            return value
        spec = self._lazy.get(key)
        if spec is None:
            raise column_error(key, self)
        if spec[0] == ARTIFACT:
            return self._artifacts_in(spec[1], spec[2])
        return resolve(spec, self.log_dir, self._metrics, self._trust)  # type: ignore[arg-type]

    def _artifacts_in(self, artifact_type: str, dir_key: str) -> Dict[str, Any]:
        """MLXP's per-directory column: file name -> ``Artifact`` for one type and directory."""
        directory = dir_key[1:].replace(".", "/")
        found = {}
        for kind, group, name in self._lazy.values():
            if kind == ARTIFACT_FILE and group == artifact_type:
                parent, _, base = name.rpartition("/")
                if parent == directory:
                    found[base] = resolve(
                        (kind, group, name), self.log_dir, self._metrics,  # type: ignore[arg-type]
                        self._trust)
        return found

    def update(self, new_dict: Mapping[str, Any]) -> None:
        """Add or replace columns in place (MLXP's ``DataDict.update``), e.g. computed ones."""
        self._values = {**self._values, **new_dict}  # a copy: the Reader shares the original

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` if the row has no such column."""
        return self[key] if key in self else default

    def __contains__(self, key: object) -> bool:
        return key in self._values or key in self._lazy

    def __iter__(self) -> Iterator[str]:
        yield from self._values
        for key, spec in self._lazy.items():
            if key not in self._values and spec[0] != ARTIFACT_FILE:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def peek(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` without loading: lazy columns give ``'METRIC'``/``'ARTIFACT'``."""
        value = self._values.get(key, MISSING)
        if value is not MISSING:
            return value
        spec = self._lazy.get(key)
        if spec is None:
            return default
        return _PLACEHOLDERS.get(spec[0], _ARTIFACT_PLACEHOLDER)

    def loaded(self) -> Mapping[str, Any]:
        """The columns that hold values (``config.*``, ``info.*``, computed ones), without
        the lazy ones, as a read-only mapping: nothing to load, and fast to go through."""
        return MappingProxyType(self._values)

    def flat(self) -> Dict[str, Any]:
        """All columns as a plain dict, lazy ones as placeholders (nothing is loaded)."""
        return {key: self.peek(key) for key in self}

    def with_columns(self, extra: Mapping[str, Any]) -> "DataDict":
        """A copy with ``extra`` columns added; loaded metrics are shared, not read again."""
        row = DataDict({**self._values, **extra})
        row._lazy, row._metrics, row.log_dir = self._lazy, self._metrics, self.log_dir
        row._trust = self._trust
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
