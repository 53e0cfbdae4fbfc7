"""The functions of the override grammar, with Hydra 1.3's meaning: ``choice range interval
glob tag sort shuffle`` and the casts ``int float str bool``.

Each takes the parsed arguments (plain values, or the sweeps other functions return) and
returns a plain value or a sweep; the parser turns a ``CallError`` into an error at the column
of the call or of the argument at fault. Loaded with the parser, on the first parse.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from mlxp.errors import OverrideError
from mlxp.overrides import Glob, Interval, format_value

__all__ = ["CallError", "Choice", "FUNCTIONS", "Range", "ShuffledList", "call", "is_plain"]

MAX_RANGE = 1_000_000


class CallError(ValueError):
    """A function was called with arguments it does not take; the message says which, and
    ``argument`` (a position or a keyword) which argument, when one is at fault."""

    def __init__(self, message: str, argument: Union[int, str, None] = None) -> None:
        super().__init__(message)
        self.argument = argument


class Choice:
    """A sweep over listed values: ``a,b`` (``simple``), ``choice(a,b)``, a sorted or cast
    sweep. ``spellings`` are the values as written, when they still are the values."""

    def __init__(self, values: Sequence[Any], spellings: Optional[Sequence[str]] = None,
                 simple: bool = False, shuffle: bool = False) -> None:
        self.values, self.simple, self.shuffle = list(values), simple, shuffle
        self.spellings = list(spellings) if spellings is not None else None


class Range:
    """``range(start, stop, step)``, kept as its bounds until its values are needed, so that
    ``int()``/``float()`` cast the bounds as Hydra does."""

    def __init__(self, start: Any, stop: Any, step: Any, shuffle: bool = False) -> None:
        self.start, self.stop, self.step, self.shuffle = start, stop, step, shuffle

    def values(self) -> List[Any]:
        """The values; ints when the bounds are, floats counted without drift otherwise.

        Raises:
            CallError: the range is empty or too long; its message follows the call's text.
        """
        numbers = (self.start, self.stop, self.step)
        check_bounds(numbers, ("start", "stop", "step"))
        make: Callable[[int], Any]
        if all(isinstance(number, int) for number in numbers):
            ints = range(*numbers)
            count, make = len(ints), ints.__getitem__
        else:
            # Decimal steps: range(0,1,0.1) gives 0.3, not 0.30000000000000004.
            from decimal import ROUND_CEILING, Decimal  # only float ranges need it

            first, last, step = (Decimal(repr(float(number))) for number in numbers)
            steps = (last - first) / step
            count = int(steps.to_integral_value(ROUND_CEILING)) if steps > 0 else 0
            make = lambda i: float(first + i * step)  # noqa: E731
        if count == 0:
            down = self.start > self.stop and self.step > 0
            raise CallError("is empty" + (
                "; counting down needs a negative step, e.g. range(5,1,-1)" if down else ""))
        if count > MAX_RANGE:
            raise CallError(f"gives {count} values; at most {MAX_RANGE} are allowed")
        return [make(i) for i in range(count)]


def check_bounds(numbers: Sequence[Any], names: Sequence[str]) -> None:
    """range()'s arguments: finite numbers (not booleans), a step other than 0."""
    for number, name in zip(numbers, names):
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise CallError(f"range() takes numbers, not {_spelled(number)}", name)
        if not math.isfinite(number):
            raise CallError("range() takes finite numbers", name)
    if numbers[2] == 0:
        raise CallError("range() step cannot be 0", names[2])


def _spelled(value: Any) -> str:
    try:
        return repr(format_value(value))
    except TypeError:
        return _name(value)


class ShuffledList:
    """``shuffle([a,b,c])``: a list value whose order ``expand_sweep`` draws."""

    def __init__(self, items: List[Any]) -> None:
        self.items = items


_List = list  # sort() and shuffle() take an argument named list, as in Hydra
_PLAIN = (type(None), bool, int, float, str, list, dict)


def is_plain(value: Any) -> bool:
    """A value a config can hold (not a sweep, not a shuffled list)."""
    return isinstance(value, _PLAIN)


def _name(value: Any) -> str:
    return {Choice: "a choice sweep", Range: "a range()", Interval: "an interval()",
            Glob: "a glob()", ShuffledList: "a shuffled list"}.get(type(value), repr(value))


def _values_or_choice(args: Sequence[Any], value: Any, function: str) -> Any:
    """Hydra's convention: one argument is the value, several a simple choice sweep."""
    if args and value is not None:
        raise CallError(f"{function}() takes its value by position or as value=, not both")
    if value is not None:
        return value
    if not args:
        raise CallError(f"{function}() needs a value")
    if len(args) == 1:
        return args[0]
    for arg in args:
        if not is_plain(arg):
            raise CallError(f"{function}() of several values cannot take {_name(arg)}")
    return Choice(args, simple=True)


# --- casts ---------------------------------------------------------------------------------


def _to_int(value: Any) -> Any:
    try:
        return int(value)
    except (ValueError, OverflowError) as error:
        raise CallError(f"cannot make {value!r} an int ({error})") from error


def _to_float(value: Any) -> Any:
    try:
        return float(value)
    except ValueError as error:
        raise CallError(f"cannot make {value!r} a float") from error


def _to_str(value: Any) -> Any:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _to_bool(value: Any) -> Any:
    if isinstance(value, str):
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise CallError(f"cannot make {value!r} a bool: only true and false are")
    return bool(value)


_CASTS: Dict[str, Callable[[Any], Any]] = {"int": _to_int, "float": _to_float, "str": _to_str,
                                           "bool": _to_bool}


def _cast(name: str, value: Any) -> Any:
    """Cast a value, each item of a list, each value of a mapping or each value of a sweep."""
    if isinstance(value, dict):
        return {key: _cast(name, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cast(name, item) for item in value]
    if isinstance(value, ShuffledList):
        return ShuffledList(_cast(name, value.items))
    if isinstance(value, Choice):
        return Choice([_cast(name, item) for item in value.values], None, value.simple,
                      value.shuffle)
    if isinstance(value, Range):
        if name not in ("int", "float"):
            raise CallError(f"a range() can be cast to int or float, not {name}")
        start, stop, step = (_cast(name, bound) for bound in (value.start, value.stop, value.step))
        return Range(start, stop, step, shuffle=value.shuffle)
    if isinstance(value, Interval):
        if name not in ("int", "float"):
            raise CallError(f"an interval() can be cast to int or float, not {name}")
        return _interval(_CASTS[name](value.start), _CASTS[name](value.end), value.tags)
    if isinstance(value, Glob):
        raise CallError(f"a glob() cannot be cast to {name}")
    if value is None and name != "bool":
        raise CallError(f"cannot make null {'an' if name == 'int' else 'a'} {name}")
    return _CASTS[name](value)


def _caster(name: str) -> Callable[..., Any]:
    def cast(*args: Any, value: Any = None) -> Any:
        return _cast(name, _values_or_choice(args, value, name))

    return cast


# --- sweeps --------------------------------------------------------------------------------


def _interval(start: Any, end: Any, tags: Any = ()) -> Interval:
    try:
        return Interval(start, end, tags)
    except OverrideError as error:
        raise CallError(str(error)) from error


def choice(*args: Any) -> Choice:
    if not args:
        raise CallError("choice() needs at least one value")
    if len(args) == 1 and isinstance(args[0], Choice):
        if not args[0].simple:
            raise CallError("a choice() cannot hold another choice()")
        inner = args[0]
        return Choice(inner.values, inner.spellings, False, inner.shuffle)
    for arg in args:
        if not is_plain(arg):
            raise CallError(f"choice() takes values, not {_name(arg)}")
    return Choice(args)


def range_(start: Any, stop: Any = None, step: Any = 1) -> Range:
    if stop is None:
        check_bounds((start, 1, step), ("start", "", "step"))
        start, stop = 0, start
    check_bounds((start, stop, step), ("start", "stop", "step"))
    return Range(start, stop, step)


def interval(start: Any, end: Any) -> Interval:
    for bound, name in ((start, "start"), (end, "end")):
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise CallError(f"interval() takes numbers, not {_spelled(bound)}", name)
    return _interval(float(start), float(end))


def glob(include: Any, exclude: Any = None) -> Glob:
    patterns: List[Tuple[str, ...]] = []
    for name, given in (("include", include), ("exclude", [] if exclude is None else exclude)):
        items = given if isinstance(given, list) else [given]
        for item in items:
            if not isinstance(item, str):
                raise CallError(f"glob() {name} takes patterns, not {item!r}; quote an option"
                                f" named like a number: glob('{item}')", name)
        patterns.append(tuple(items))
    return Glob(*patterns)


def tag(*args: Any, sweep: Any = None) -> Any:
    if sweep is not None:
        args = (*args, sweep)
    if not args or not isinstance(args[-1], (Choice, Range, Interval)):
        raise CallError("the last argument of tag() must be a choice(), range() or interval()")
    *tags, tagged = args
    for word in tags:
        if not isinstance(word, str):
            raise CallError(f"tag() takes words, not {word!r}")
    if isinstance(tagged, Interval):  # the one sweep whose tags mlxp reads (log)
        return _interval(tagged.start, tagged.end, tags)
    return tagged


def sort(*args: Any, sweep: Any = None, list: Any = None, reverse: Any = False) -> Any:
    if not isinstance(reverse, bool):
        raise CallError(f"sort() takes reverse=true or reverse=false, not {reverse!r}")
    given = [arg for arg in (list, sweep) if arg is not None]
    value = given[0] if given else _values_or_choice(args, None, "sort")
    if isinstance(value, Range):
        value = Choice(value.values())
    try:
        if isinstance(value, Choice):
            order = sorted(range(len(value.values)), key=value.values.__getitem__,
                           reverse=reverse)
            spellings = value.spellings and [value.spellings[i] for i in order]
            return Choice([value.values[i] for i in order], spellings, value.simple)
        if isinstance(value, _List):
            return sorted(value, reverse=reverse)
        if isinstance(value, ShuffledList):
            return sorted(value.items, reverse=reverse)
    except TypeError as error:
        raise CallError(f"cannot sort values of different types ({error})") from error
    if is_plain(value):
        return value
    raise CallError(f"sort() cannot sort {_name(value)}")


def shuffle(*args: Any, sweep: Any = None, list: Any = None) -> Any:
    given = [arg for arg in (list, sweep) if arg is not None]
    value = given[0] if given else _values_or_choice(args, None, "shuffle")
    if isinstance(value, Choice):
        return Choice(value.values, value.spellings, value.simple, shuffle=True)
    if isinstance(value, Range):
        return Range(value.start, value.stop, value.step, shuffle=True)
    if isinstance(value, _List):
        return ShuffledList(value)
    if isinstance(value, ShuffledList):
        return value
    if is_plain(value):
        return [value]
    raise CallError(f"shuffle() cannot shuffle {_name(value)}")


FUNCTIONS: Dict[str, Callable[..., Any]] = {
    "choice": choice, "range": range_, "interval": interval, "glob": glob, "tag": tag,
    "sort": sort, "shuffle": shuffle, **{name: _caster(name) for name in _CASTS},
}


def call(name: str, args: Sequence[Any], kwargs: Dict[str, Any]) -> Any:
    """Call the grammar's function ``name``.

    Raises:
        CallError: unknown function, arguments it does not take, or values it refuses.
    """
    function = FUNCTIONS.get(name)
    if function is None:
        raise CallError(f"unknown function {name}(); the functions are"
                        f" {', '.join(sorted(FUNCTIONS))}")
    import inspect  # only once a value calls a function

    signature = inspect.signature(function)
    try:
        signature.bind(*args, **kwargs)
    except TypeError as error:
        raise CallError(f"{name}(): {error}") from error
    try:
        return function(*args, **kwargs)
    except CallError as error:
        names = list(signature.parameters)
        if isinstance(error.argument, str) and error.argument in names[:len(args)]:
            error.argument = names.index(error.argument)  # given by position
        raise
