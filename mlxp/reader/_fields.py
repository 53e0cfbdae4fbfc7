"""``Reader.fields`` / ``Reader.searchable``: column name -> type, usable as MLXP's table.

MLXP 1.0.5 returned a pandas DataFrame indexed by "Fields" with one "Type" column; its code
and tests use ``.empty``, ``.index`` (``.index.str.startswith("config")``) and printing. This
is a dict (``fields["config.seed"]`` keeps working) that offers those without pandas.
"""

from __future__ import annotations

from typing import Any, Dict, List

from mlxp.reader import _render


class _MaskList(List[bool]):
    """Booleans that combine elementwise with ``|`` and ``&``, as a pandas mask does."""

    def __or__(self, other: Any) -> "_MaskList":  # type: ignore[override]
        return _MaskList(a or b for a, b in zip(self, other))

    def __and__(self, other: Any) -> "_MaskList":
        return _MaskList(a and b for a, b in zip(self, other))


class _StringMethods:
    """``index.str``: the few vectorised string tests MLXP code applies to field names."""

    def __init__(self, names: List[str]) -> None:
        self._names = names

    def startswith(self, prefix: Any) -> _MaskList:
        return _MaskList(name.startswith(prefix) for name in self._names)

    def endswith(self, suffix: Any) -> _MaskList:
        return _MaskList(name.endswith(suffix) for name in self._names)

    def contains(self, text: str) -> _MaskList:
        return _MaskList(text in name for name in self._names)


class FieldIndex(List[str]):
    """The field names, sorted; ``.str.startswith(...)`` gives one boolean per name."""

    @property
    def str(self) -> _StringMethods:
        return _StringMethods(self)


class FieldTable(Dict[str, str]):
    """Field name -> type name(s), sorted by name; also a table (``index``, ``empty``)."""

    @property
    def empty(self) -> bool:
        """Whether there is no field (pandas' spelling)."""
        return not self

    @property
    def index(self) -> FieldIndex:
        """The field names, as the index of MLXP's table."""
        return FieldIndex(self)

    def toPandas(self) -> Any:  # noqa: N802 (MLXP's name)
        """MLXP 1.0.5's table: a pandas DataFrame indexed by ``Fields`` with a ``Type`` column.

        Raises:
            MissingDependencyError: pandas is not installed.
        """
        pandas = _render.import_pandas()
        frame = pandas.DataFrame(list(self.items()), columns=["Fields", "Type"])
        return frame.set_index("Fields")

    def __repr__(self) -> str:
        rows = [[kind] for kind in self.values()]
        return _render.text_table(["Type"], rows, list(self)).replace(
            "[{} rows x 1 columns]".format(len(self)), f"[{len(self)} fields]"
        )

    def _repr_html_(self) -> str:
        return _render.html_table(["Type"], [[kind] for kind in self.values()], list(self))
