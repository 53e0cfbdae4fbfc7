"""MLXP's "maps": ``(function, input columns[, output names])`` applied to a DataFrame.

Four ways to apply one, as in MLXP 1.0.5:

- Columnwise (``aggregate``, ``transform``): ``function(values of one column)`` per input
  column; output ``f<function>.<column>`` each (``fmean.train.loss``).
- Generic (``apply``, ``filter``): ``function(column1 values, column2 values, ...)`` once;
  output ``f<function>.<col1>_<col2>``.
- Rowwise: ``function(row[col1], row[col2], ...)`` per row; output named as Generic.
- Pointwise (``map``): ``function(row[col])`` per row and column; output named as Columnwise.

A Columnwise or Generic output that is a sequence with one item per row gives one row per
input row; anything else reduces the frame to one row.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple, Union

from mlxp.errors import ReaderError

Map = Tuple[Any, ...]
"""``(function, column or tuple of columns[, output name or tuple of names])``."""
Maps = Union[Map, List[Map]]
NormalMap = Tuple[Callable[..., Any], Tuple[str, ...], Tuple[str, ...]]
ColumnGetter = Callable[[str], List[Any]]

MAP_TYPES = ("Generic", "Columnwise", "Rowwise", "Pointwise")


def _names(value: Any, what: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ReaderError(f"{what} must be a column name or a tuple of names, not {value!r}")


def _function_name(function: Callable[..., Any]) -> str:
    return getattr(function, "__name__", type(function).__name__)


def normalize_maps(maps: Maps, map_type: str) -> List[NormalMap]:
    """Check ``maps`` and fill in default output names.

    Raises:
        ReaderError: a map is not ``(callable, columns[, names])``, or names do not match.
    """
    listed = maps if isinstance(maps, list) else [maps]
    normal: List[NormalMap] = []
    for item in listed:
        if not isinstance(item, tuple) or len(item) not in (2, 3) or not callable(item[0]):
            raise ReaderError(
                f"a map is a tuple (function, columns) or (function, columns, names), not {item!r}"
            )
        function, inputs = item[0], _names(item[1], "the input columns of a map")
        prefix = "f" + _function_name(function)
        if len(item) == 3:
            outputs = _names(item[2], "the output names of a map")
        elif map_type in ("Columnwise", "Pointwise"):
            outputs = tuple(f"{prefix}.{column}" for column in inputs)
        else:
            outputs = (f"{prefix}.{'_'.join(inputs)}",)
        if map_type in ("Columnwise", "Pointwise") and len(outputs) != len(inputs):
            raise ReaderError(
                f"a {map_type.lower()} map needs one output name per input column:"
                f" {len(inputs)} columns, {len(outputs)} names"
            )
        normal.append((function, inputs, outputs))
    return normal


def _as_dict(names: Tuple[str, ...], outputs: Any) -> Dict[str, Any]:
    if len(names) == 1:
        return {names[0]: outputs}
    if not isinstance(outputs, tuple) or len(outputs) != len(names):
        raise ReaderError(
            f"a map named {len(names)} outputs {names} but its function returned {outputs!r}"
        )
    return dict(zip(names, outputs))


def is_per_row(value: Any, size: int) -> bool:
    """True if ``value`` is a sequence holding one item per row (strings do not count)."""
    if isinstance(value, (str, bytes, dict)):
        return False
    try:
        return len(value) == size
    except TypeError:
        return False


def columnwise(column: ColumnGetter, maps: List[NormalMap]) -> Dict[str, Any]:
    """``function(column values)`` for each map and input column."""
    result: Dict[str, Any] = {}
    for function, inputs, outputs in maps:
        result.update(zip(outputs, (function(column(name)) for name in inputs)))
    return result


def generic(column: ColumnGetter, maps: List[NormalMap]) -> Dict[str, Any]:
    """``function(column1 values, column2 values, ...)`` once per map."""
    result: Dict[str, Any] = {}
    for function, inputs, outputs in maps:
        result.update(_as_dict(outputs, function(*(column(name) for name in inputs))))
    return result


def rowwise(rows: Sequence[Any], maps: List[NormalMap]) -> List[Dict[str, Any]]:
    """``function(row[col1], row[col2], ...)`` for each row and map."""
    result = []
    for row in rows:
        values: Dict[str, Any] = {}
        for function, inputs, outputs in maps:
            values.update(_as_dict(outputs, function(*(row[name] for name in inputs))))
        result.append(values)
    return result


def pointwise(rows: Sequence[Any], maps: List[NormalMap]) -> List[Dict[str, Any]]:
    """``function(row[col])`` for each row, map and input column."""
    result = []
    for row in rows:
        values: Dict[str, Any] = {}
        for function, inputs, outputs in maps:
            values.update(zip(outputs, (function(row[name]) for name in inputs)))
        result.append(values)
    return result


def split_rows(outputs: Dict[str, Any], size: int) -> Tuple[List[Dict[str, Any]], bool]:
    """Turn per-column outputs into rows; the flag says whether they reduce to one row.

    Raises:
        ReaderError: some outputs have one value per row and others do not.
    """
    per_row = [is_per_row(value, size) for value in outputs.values()]
    if per_row and all(per_row):
        return [{name: value[i] for name, value in outputs.items()} for i in range(size)], False
    if any(per_row):
        mixed = [name for name, flag in zip(outputs, per_row) if not flag]
        raise ReaderError(
            f"some map outputs have one value per row and others do not: {', '.join(mixed)}"
        )
    return [outputs], True
