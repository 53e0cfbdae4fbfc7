"""The tables a Reader returns: ``DataFrame`` (a list of ``DataDict`` rows) and its groups.

Names and behaviours are MLXP 1.0.5's, so that analysis scripts keep working: ``df[:]["col"]``,
``diff()``, ``groupby()`` keyed by tuples such as ``(10.0,)``, ``aggregate((mean, "train.loss"))``
giving ``fmean.train.loss``, ``filter((argmin, col), bygroups=...)``. Rows load metric and
artifact columns on first access; pandas is imported only by ``toPandas()``.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Mapping, Sequence, Tuple, Union

from mlxp.errors import ReaderError
from mlxp.reader import _maps, _render
from mlxp.reader._row import MISSING, DataDict, column_error

__all__ = ["DataDict", "DataFrame", "GroupedDataFrame"]
GroupKey = Tuple[Any, ...]


def _to_list(keys: Union[str, Sequence[str]]) -> List[str]:
    listed = [keys] if isinstance(keys, str) else list(keys)
    if not all(isinstance(key, str) for key in listed):
        raise ReaderError(f"column names must be strings, not {keys!r}")
    return listed


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, _hashable(item)) for key, item in value.items())
    return value


def _same(first: Any, other: Any) -> bool:
    if first is other:
        return True
    if isinstance(first, float) and isinstance(other, float) and first != first:
        return other != other  # NaN in every row does not vary
    try:
        return bool(first == other)
    except (TypeError, ValueError):  # numpy arrays compare elementwise
        return False


def _sort_value(value: Any) -> Tuple[bool, Any]:
    return (value is None, 0 if value is None else value)


class DataFrame(List[DataDict]):
    """Runs (or result rows) as a list of ``DataDict``; shown as a table.

    ``df[i]`` is a row, ``df[a:b]`` a DataFrame, ``df["col"]`` (and MLXP's ``df[:]["col"]``)
    the column as a list, with None for rows that lack it.
    """

    def __init__(self, rows: Iterable[DataDict] = ()) -> None:
        super().__init__(rows)
        for row in self:
            if not isinstance(row, DataDict):
                raise ReaderError(f"a DataFrame holds DataDict rows, not {type(row).__name__}")

    def __getitem__(self, index: Any) -> Any:  # type: ignore[override]
        if isinstance(index, str):
            return self.column(index)
        if isinstance(index, slice):
            return DataFrame(super().__getitem__(index))
        return super().__getitem__(index)

    def column(self, key: str) -> List[Any]:
        """The values of column ``key``, one per row (None where a row lacks it).

        Raises:
            ColumnError: no row has this column.
        """
        values = [row[key] if key in row else MISSING for row in self]
        if self and all(value is MISSING for value in values):
            raise column_error(key, self.keys())
        return [None if value is MISSING else value for value in values]

    def keys(self) -> List[str]:
        """The column names of all rows, in order of first appearance."""
        return list(dict.fromkeys(key for row in self for key in row))

    def diff(self, start_key: str = "config") -> List[str]:
        """The columns starting with ``start_key`` whose value is not the same in every row."""
        differing = []
        for key in self.keys():
            if not key.startswith(start_key):
                continue
            values = [row[key] if key in row else MISSING for row in self]
            if any(not _same(values[0], value) for value in values[1:]):
                differing.append(key)
        return differing

    def groupby(self, group_keys: Union[str, Sequence[str]]) -> "GroupedDataFrame":
        """Group rows by the values of ``group_keys``; groups are keyed by value tuples.

        Raises:
            ColumnError: a key is not a column of the frame.
        """
        keys = _to_list(group_keys)
        if self:
            known = self.keys()
            for key in keys:
                if key not in known:
                    raise column_error(key, known)
        groups: Dict[GroupKey, List[DataDict]] = {}
        for row in self:
            group = tuple(_hashable(row.get(key)) for key in keys)
            try:
                groups.setdefault(group, []).append(row)
            except TypeError as error:
                raise ReaderError(f"cannot group by {keys}: {group!r} is not hashable") from error
        try:
            order = sorted(groups)
        except TypeError:  # values of mixed types: keep the order of appearance
            order = list(groups)
        return GroupedDataFrame(keys, {group: DataFrame(groups[group]) for group in order})

    def aggregate(self, maps: _maps.Maps) -> "DataFrame":
        """One row: ``function(column values)`` for each map and column (``fmean.train.loss``)."""
        outputs = _maps.columnwise(self.column, _maps.normalize_maps(maps, "Columnwise"))
        return DataFrame([DataDict(outputs)])

    def apply(self, maps: _maps.Maps, map_type: str = "Generic") -> "DataFrame":
        """Apply maps the ``map_type`` way: 'Generic', 'Columnwise', 'Rowwise' or 'Pointwise'.

        Raises:
            ReaderError: an unknown ``map_type`` or a malformed map.
        """
        if map_type not in _maps.MAP_TYPES:
            raise ReaderError(
                f"map_type must be one of {', '.join(_maps.MAP_TYPES)}, not {map_type!r}"
            )
        normal = _maps.normalize_maps(maps, map_type)
        if map_type == "Rowwise":
            rows = _maps.rowwise(self, normal)
        elif map_type == "Pointwise":
            rows = _maps.pointwise(self, normal)
        else:
            apply_maps = _maps.columnwise if map_type == "Columnwise" else _maps.generic
            rows, _ = _maps.split_rows(apply_maps(self.column, normal), len(self))
        return DataFrame(DataDict(values) for values in rows)

    def transform(self, maps: _maps.Maps) -> "DataFrame":
        """Columnwise maps that return one value per row, e.g. a running minimum."""
        outputs = _maps.columnwise(self.column, _maps.normalize_maps(maps, "Columnwise"))
        rows, reduced = _maps.split_rows(outputs, len(self))
        if reduced and self:
            raise ReaderError("a transform must return one value per row; use aggregate to reduce")
        return DataFrame(DataDict(values) for values in rows)

    def map(self, maps: _maps.Maps) -> "DataFrame":
        """Pointwise maps: ``function(row[col])`` for each row and column."""
        rows = _maps.pointwise(self, _maps.normalize_maps(maps, "Pointwise"))
        return DataFrame(DataDict(values) for values in rows)

    def filter(
        self, filter_map: _maps.Map, bygroups: Union[None, str, Sequence[str]] = None
    ) -> "DataFrame":
        """Keep the rows for which ``function(column values...)`` returns a true value.

        With ``bygroups``, the function sees one group at a time (e.g. the best run per group).

        Raises:
            ReaderError: not exactly one map, or its function does not return one boolean per row.
        """
        if bygroups:
            return self.groupby(bygroups).filter(filter_map, ungroup=True)  # type: ignore[no-any-return]
        normal = _maps.normalize_maps(filter_map, "Generic")
        if len(normal) != 1 or len(normal[0][2]) != 1:
            raise ReaderError("filter takes a single map with a single output")
        if not self:
            return DataFrame()
        function, inputs, _ = normal[0]
        mask = function(*(self.column(name) for name in inputs))
        if not _maps.is_per_row(mask, len(self)):
            raise ReaderError(
                f"a filter function must return one boolean per row ({len(self)}), got {mask!r}"
            )
        return DataFrame(row for row, keep in zip(self, mask) if keep)

    def sort(  # type: ignore[override]  # MLXP's signature, not list.sort's
        self, by: Union[str, Sequence[str]], ascending: bool = True
    ) -> "DataFrame":
        """Rows sorted by the columns ``by``; rows lacking a value come last."""
        keys = _to_list(by)
        try:
            ordered = sorted(
                self,
                key=lambda row: tuple(_sort_value(row.get(k)) for k in keys),
                reverse=not ascending,
            )
        except TypeError as error:
            raise ReaderError(f"cannot sort by {keys}: their values are not comparable") from error
        return DataFrame(ordered)

    def merge(self, new_df: "DataFrame") -> "DataFrame":
        """Rows of both frames side by side (the same number of rows), e.g. after ``map``."""
        if len(new_df) != len(self):
            raise ReaderError(f"cannot merge {len(new_df)} rows into {len(self)} rows")
        return DataFrame(row.with_columns(dict(new.items())) for row, new in zip(self, new_df))

    def toPandas(self, lazy: bool = True) -> Any:  # noqa: N802 (MLXP's name)
        """A pandas DataFrame of the rows; with ``lazy`` metric columns show as placeholders.

        Raises:
            MissingDependencyError: pandas is not installed.
        """
        pandas = _render.import_pandas()
        records = [row.flat() if lazy else dict(row.items()) for row in self]
        return pandas.DataFrame(records, columns=self.keys())

    def _table(self) -> Tuple[List[str], List[List[Any]], List[str]]:
        columns = self.keys()
        rows = [[row.peek(c, "") for c in columns] for row in self]
        return columns, rows, [str(i) for i in range(len(self))]

    def __repr__(self) -> str:
        return _render.text_table(*self._table())

    def _repr_html_(self) -> str:
        return _render.html_table(*self._table())


class GroupedDataFrame(Mapping[GroupKey, Any]):
    """Groups of a DataFrame: a mapping from value tuples such as ``(10.0,)`` to DataFrames.

    Each operation of DataFrame applies group by group; ``ungroup=True`` (or ``ungroup()``)
    concatenates the results and adds the group keys as columns.
    """

    def __init__(self, group_keys: List[str], grouped_dict: Dict[GroupKey, Any]) -> None:
        self.group_keys = list(group_keys)
        self.grouped_dict = grouped_dict

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, tuple) and key not in self.grouped_dict:
            key = (key,)
        return self.grouped_dict[key]

    def __iter__(self) -> Iterator[GroupKey]:
        return iter(self.grouped_dict)

    def __len__(self) -> int:
        return len(self.grouped_dict)

    def ungroup(self) -> Union[DataFrame, "GroupedDataFrame"]:
        """Concatenate the groups into one DataFrame, adding the group keys as columns."""
        if any(isinstance(group, GroupedDataFrame) for group in self.grouped_dict.values()):
            return GroupedDataFrame(
                self.group_keys, {key: group.ungroup() for key, group in self.grouped_dict.items()}
            )
        rows: List[DataDict] = []
        for key, group in self.grouped_dict.items():
            extra = dict(zip(self.group_keys, key))
            rows.extend(row.with_columns(extra) for row in group)
        return DataFrame(rows)

    def _each(self, operation: str, argument: Any, ungroup: bool = False, **options: Any) -> Any:
        result = GroupedDataFrame(
            self.group_keys,
            {key: getattr(group, operation)(argument, **options) for key, group in self.items()},
        )
        return result.ungroup() if ungroup else result

    def apply(self, maps: _maps.Maps, map_type: str = "Generic", ungroup: bool = False) -> Any:
        """``DataFrame.apply`` on each group."""
        return self._each("apply", maps, ungroup, map_type=map_type)

    def aggregate(self, maps: _maps.Maps, ungroup: bool = False) -> Any:
        """``DataFrame.aggregate`` on each group: one row per group."""
        return self._each("aggregate", maps, ungroup)

    def transform(self, maps: _maps.Maps, ungroup: bool = False) -> Any:
        """``DataFrame.transform`` on each group."""
        return self._each("transform", maps, ungroup)

    def map(self, maps: _maps.Maps, ungroup: bool = False) -> Any:
        """``DataFrame.map`` on each group."""
        return self._each("map", maps, ungroup)

    def sort(
        self, by: Union[str, Sequence[str]], ascending: bool = True, ungroup: bool = False
    ) -> Any:
        """``DataFrame.sort`` within each group."""
        return self._each("sort", by, ungroup, ascending=ascending)

    def groupby(self, group_keys: Union[str, Sequence[str]]) -> "GroupedDataFrame":
        """Group each group further: a GroupedDataFrame of GroupedDataFrames."""
        return self._each("groupby", group_keys)  # type: ignore[no-any-return]

    def filter(
        self,
        filter_map: _maps.Map,
        bygroups: Union[None, str, Sequence[str]] = None,
        ungroup: bool = False,
    ) -> Any:
        """``DataFrame.filter`` on each group, or on the groups of ``bygroups`` instead.

        With ``bygroups`` the rows are regrouped by those columns, filtered, and grouped back
        by this object's keys: e.g. the best learning rate (``bygroups``) for each model.
        """
        if not bygroups:
            return self._each("filter", filter_map, ungroup)
        ungrouped = self.ungroup()
        filtered = ungrouped.groupby(bygroups).filter(filter_map, ungroup=True)
        return filtered if ungroup else filtered.groupby(self.group_keys)

    def select(self, key_list: Sequence[Any]) -> "GroupedDataFrame":
        """The groups whose keys are in ``key_list`` (tuples, or plain values for one key)."""
        wanted = {key if isinstance(key, tuple) else (key,) for key in key_list}
        return GroupedDataFrame(
            self.group_keys, {k: g for k, g in self.grouped_dict.items() if k in wanted}
        )

    def toPandas(self, lazy: bool = True) -> Any:  # noqa: N802 (MLXP's name)
        """A pandas DataFrame indexed by the group keys (a MultiIndex for several keys).

        Raises:
            MissingDependencyError: pandas is not installed.
        """
        pandas = _render.import_pandas()
        if not self.grouped_dict:
            return pandas.DataFrame()
        frames = [group.toPandas(lazy=lazy) for group in self.grouped_dict.values()]
        return pandas.concat(frames, keys=list(self.grouped_dict), names=self.group_keys)

    def _table(self) -> Tuple[List[str], List[List[Any]], List[str]]:
        labelled: List[Tuple[str, DataDict]] = []

        def walk(grouped: "GroupedDataFrame", prefix: Tuple[Any, ...]) -> None:
            for key, group in grouped.items():
                if isinstance(group, GroupedDataFrame):
                    walk(group, prefix + key)
                else:
                    labelled.extend((repr(prefix + key), row) for row in group)

        walk(self, ())
        columns = list(dict.fromkeys(key for _, row in labelled for key in row))
        rows = [[row.peek(c, "") for c in columns] for _, row in labelled]
        return columns, rows, [label for label, _ in labelled]

    def __repr__(self) -> str:
        return f"groups by {self.group_keys}\n" + _render.text_table(*self._table())

    def _repr_html_(self) -> str:
        return f"<p>groups by {self.group_keys}</p>" + _render.html_table(*self._table())
