"""The command-line grammar: each argument becomes a typed, frozen ``Override``.

Pure; ``parse_override`` reads an argument with the hand-written parser of ``_override_parser``
(no parser library, so that every error can name the argument, the column at fault and a fix).
``format_value``/``format_override`` write values back as arguments.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, FrozenSet, Iterable, List, Optional, Sequence, Tuple, Union

from mlxp._scalars import type_on_command_line
from mlxp.errors import OverrideError


class OverrideKind(str, Enum):
    """What an override does to its key; compares equal to its plain name (``"set"``)."""

    SET = "set"
    ADD = "add"
    FORCE = "force"
    DELETE = "delete"


_PREFIX = {OverrideKind.SET: "", OverrideKind.ADD: "+", OverrideKind.FORCE: "++",
           OverrideKind.DELETE: "~"}


class Override:
    """One command-line argument, parsed; immutable.

    Attributes:
        kind: set (``a=v``), add (``+a=v``), force (``++a=v``) or delete (``~a``, ``~a=v``).
        values: the typed values; one unless ``is_sweep``; none for a bare delete.
        key: the key as written: ``optimizer.lr``, a config group ``model/backbone``, or a
            group with a package ``model@encoder`` (``split_package`` separates them).
        is_sweep: True for ``a=1,2``, ``range(...)``, ``choice(...)`` (even of one value),
            ``glob(...)`` and ``interval(...)``; the last two hold one ``Glob`` or ``Interval``
            that ``expand_sweep`` turns into points.
        text: the argument as written; filled with ``format_override`` when left empty.
        spellings: for a sweep, each value as the user wrote it, so that points read as typed.
        shuffle: ``shuffle(...)``: ``expand_sweep`` puts the sweep's values (or the list
            value) in an order drawn from ``mlxp.sweeper.seed``.

    Equality ignores ``text`` and ``spellings`` and is strict about types: ``a=1``,
    ``a=1.0`` and ``a=true`` are three different overrides (they write different configs).
    A plain class rather than a dataclass: ``dataclasses`` would add milliseconds to
    ``import mlxp``.
    """

    __slots__ = ("kind", "key", "values", "is_sweep", "text", "spellings", "shuffle")
    kind: OverrideKind
    key: str
    values: Tuple[Any, ...]
    is_sweep: bool
    text: str
    spellings: Tuple[str, ...]
    shuffle: bool

    def __init__(self, kind: Union[OverrideKind, str], key: str, values: Iterable[Any] = (),
                 is_sweep: bool = False, text: str = "", spellings: Iterable[str] = (),
                 shuffle: bool = False) -> None:
        kind = OverrideKind(kind)
        values = tuple(values)
        spellings = tuple(spellings)
        if is_sweep and (kind is OverrideKind.DELETE or not values):
            raise OverrideError(f"a sweep of {key!r} needs values and cannot delete")
        counts = (0, 1) if kind is OverrideKind.DELETE else (1,)
        if not is_sweep and len(values) not in counts:
            raise OverrideError(f"override of {key!r} needs exactly one value")
        if spellings and len(spellings) != len(values):
            raise OverrideError(f"override of {key!r} needs one spelling per value")
        if shuffle and not (is_sweep or (values and isinstance(values[0], list))):
            raise OverrideError(f"shuffle() of {key!r} needs a sweep or a list")
        if any(isinstance(value, (Glob, Interval)) for value in values) and not (
                is_sweep and len(values) == 1 and not shuffle):
            raise OverrideError(f"a glob() or interval() of {key!r} must be its only value")
        for name, value in (("kind", kind), ("key", key), ("values", values),
                            ("is_sweep", is_sweep), ("text", text), ("spellings", spellings),
                            ("shuffle", bool(shuffle))):
            object.__setattr__(self, name, value)
        if not text:
            object.__setattr__(self, "text", format_override(self))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Override is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Override is immutable: cannot delete {name!r}")

    @property
    def value(self) -> Any:
        """The single value, as a fresh copy: sweep points share their lists and dicts."""
        if self.is_sweep or len(self.values) != 1:
            raise OverrideError(f"{self.text!r} does not have a single value")
        return _fresh(self.values[0])

    @property
    def is_deferred(self) -> bool:
        """True when only ``expand_sweep`` can give the values: a ``glob()`` needs the group's
        options, an ``interval()`` random draws, a ``shuffle()`` the sweep's seed."""
        return self.shuffle or (self.is_sweep and isinstance(self.values[0], (Glob, Interval)))

    def expand(self) -> Tuple[Override, ...]:
        """One single-valued override per value of a sweep (``(self,)`` otherwise).

        Raises:
            OverrideError: the override ``is_deferred``: expand it with ``expand_sweep``.
        """
        if self.is_deferred:
            raise OverrideError(f"{self.text!r} is expanded by expand_sweep, which knows the"
                                " config groups and the sweep's seed")
        if not self.is_sweep:
            return (self,)
        head = f"{_PREFIX[self.kind]}{self.key}="
        spellings = self.spellings or tuple(format_value(v) for v in self.values)
        return tuple(Override(self.kind, self.key, (value,), False, head + spelling)
                     for value, spelling in zip(self.values, spellings))

    def _identity(self) -> Tuple[Any, ...]:
        return (self.kind, self.key, self.is_sweep, self.shuffle,
                tuple(_canonical(v) for v in self.values))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Override):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        shuffle = ", shuffle=True" if self.shuffle else ""
        return (f"Override({self.kind.value!r}, {self.key!r}, {self.values!r}, "
                f"is_sweep={self.is_sweep}{shuffle})")


def split_package(key: str) -> Tuple[str, Optional[str]]:
    """A key as written -> (the key or config group, its package or None).

    ``model@encoder`` -> ``("model", "encoder")``; ``model@`` -> ``("model", "")`` (the global
    package); ``optimizer.lr`` -> ``("optimizer.lr", None)``.
    """
    group, at, package = key.partition("@")
    return group, (package if at else None)


class _Frozen:
    """Immutable value objects: set in ``__init__`` through ``object.__setattr__`` only."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def _fields(self) -> Tuple[Any, ...]:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._fields()))


class Glob(_Frozen):
    """``glob(include, exclude=...)``: the options of a config group that match, as a sweep.

    Attributes:
        include: the patterns an option must match (one at least), ``fnmatch`` style.
        exclude: the patterns an option must not match.
    """

    __slots__ = ("include", "exclude")
    include: Tuple[str, ...]
    exclude: Tuple[str, ...]

    def __init__(self, include: Union[str, Iterable[str]],
                 exclude: Union[str, Iterable[str]] = ()) -> None:
        object.__setattr__(self, "include", (include,) if isinstance(include, str)
                           else tuple(include))
        object.__setattr__(self, "exclude", (exclude,) if isinstance(exclude, str)
                           else tuple(exclude))

    def _fields(self) -> Tuple[Any, ...]:
        return (self.include, self.exclude)

    def select(self, options: Iterable[str]) -> List[str]:
        """The options that match an include pattern and no exclude pattern, sorted (as
        Hydra lists a group's options); matching is case-sensitive on every system."""
        from fnmatch import fnmatchcase  # only sweeps over groups need it

        def matches(option: str, patterns: Tuple[str, ...]) -> bool:
            return any(fnmatchcase(option, pattern) for pattern in patterns)

        return sorted(option for option in set(options)
                      if matches(option, self.include) and not matches(option, self.exclude))

    def __repr__(self) -> str:
        return f"Glob(include={list(self.include)!r}, exclude={list(self.exclude)!r})"


class Interval(_Frozen):
    """``interval(start, end)``: a random-search axis, sampled by ``expand_sweep``.

    Floats are drawn uniformly in ``[start, end)``, integers (``int(interval(1, 8))``) in
    ``[start, end]``; the tag ``log`` (``tag(log, interval(...))``) draws log-uniformly.

    Attributes:
        start, end: the bounds, both int or both float, ``start < end``.
        tags: the ``tag()`` words; ``log`` is the one mlxp reads.
    """

    __slots__ = ("start", "end", "tags")
    start: Union[int, float]
    end: Union[int, float]
    tags: FrozenSet[str]

    def __init__(self, start: Union[int, float], end: Union[int, float],
                 tags: Iterable[str] = ()) -> None:
        tags = frozenset(tags)
        for bound in (start, end):
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) or bound != bound \
                    or bound in (float("inf"), float("-inf")):
                raise OverrideError(f"interval() takes finite numbers, not {bound!r}")
        if not start < end:
            raise OverrideError(f"interval({start!r}, {end!r}) is empty: the start must be"
                                " smaller than the end")
        if "log" in tags and start <= 0:
            raise OverrideError(f"a log interval needs a positive start, not {start!r}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "tags", tags)

    @property
    def log(self) -> bool:
        """Sampled log-uniformly: tagged ``log``."""
        return "log" in self.tags

    @property
    def integer(self) -> bool:
        """Draws integers: both bounds are ints (``int(interval(...))``)."""
        return isinstance(self.start, int) and isinstance(self.end, int)

    def _fields(self) -> Tuple[Any, ...]:
        return (_canonical(self.start), _canonical(self.end), self.tags)

    def __repr__(self) -> str:
        tags = f", tags={sorted(self.tags)!r}" if self.tags else ""
        return f"Interval({self.start!r}, {self.end!r}{tags})"


def _canonical(value: Any) -> Any:
    """A hashable, type-tagged stand-in for a value: 1, 1.0 and True differ, nan equals nan."""
    if value is None or isinstance(value, (bool, str)):
        return (type(value).__name__, value)
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", float.__repr__(value))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((_canonical(k), _canonical(v)) for k, v in value.items()))
    return ("other", value)


def _fresh(value: Any) -> Any:
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------- writing

_PLAIN_STRING = re.compile(r"[^\s,\[\]{}()'\"\\]+")


def format_value(value: Any) -> str:
    """Write one typed value as override text that parses back to the same value.

    A ``Glob`` or ``Interval`` is written as the call that makes it: ``glob(*,exclude=vit*)``.

    Strings are quoted only when they would otherwise be typed (``'1'``, ``'null'``), split
    (commas, brackets), trimmed (edge spaces) or are hard to read (spaces, control
    characters); lists and mappings use the compact flow form ``[1,2]``, ``{k:1}``.

    Raises:
        TypeError: the value is not None, bool, int, float, str, list, tuple or dict.
    """
    return _format(value, in_key=False)


def _format(value: Any, in_key: bool) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float.__repr__(value)  # also inf, -inf, nan: ``.inf`` is a string here
    if isinstance(value, str):
        return _format_string(value, in_key)
    if isinstance(value, (list, tuple)) and not in_key:
        return "[" + ",".join(_format(v, False) for v in value) + "]"
    if isinstance(value, dict) and not in_key:
        return "{" + ",".join(f"{_format(k, True)}:{_format(v, False)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, Glob) and not in_key:
        patterns = [_format(list(p) if len(p) != 1 else p[0], False)
                    for p in (value.include, value.exclude)]
        return f"glob({patterns[0]}" + (f",exclude={patterns[1]})" if value.exclude else ")")
    if isinstance(value, Interval) and not in_key:
        text = f"interval({_format(value.start, False)},{_format(value.end, False)})"
        if value.integer:
            text = f"int({text})"
        return f"tag({','.join(sorted(value.tags))},{text})" if value.tags else text
    raise TypeError(f"cannot write a {type(value).__name__} as an override value")


def _format_string(text: str, in_key: bool) -> str:
    plain = (_PLAIN_STRING.fullmatch(text) and text.isprintable()
             and not (in_key and ":" in text) and isinstance(type_on_command_line(text), str))
    if plain:
        return text
    quote = '"' if "'" in text and '"' not in text else "'"
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def format_override(override: Override) -> str:
    """Write an override as an argument that ``parse_override`` maps back to an equal one."""
    head = _PREFIX[override.kind] + override.key
    if not override.values:
        return head
    body = ",".join(format_value(v) for v in override.values)
    if override.shuffle:
        one = override.is_sweep and len(override.values) == 1
        body = f"shuffle(choice({body}))" if one else f"shuffle({body})"
    elif override.is_sweep and len(override.values) == 1 and not override.is_deferred:
        body = f"choice({body})"
    return f"{head}={body}"


# ---------------------------------------------------------------------------------- parsing


def parse_override(argument: str, index: int = 1) -> Override:
    """Parse one command-line argument.

    Args:
        argument: e.g. ``optimizer.lr=1e-3``, ``seed=1,2``, ``+a.b=[1,2]``, ``~a``.
        index: the argument's 1-based position, quoted in errors ("argument 2").

    Raises:
        OverrideSyntaxError: the argument is malformed; ``.index``, ``.argument`` and
            ``.column`` (0-based) say where, ``.reason`` what, ``.hint`` how to fix it.
    """
    from mlxp._override_parser import Parser  # not loaded by ``import mlxp``: first parse only
    from mlxp._sweep_functions import Choice, ShuffledList

    parser = Parser(argument, index)
    kind = next((kind for kind in (OverrideKind.DELETE, OverrideKind.FORCE, OverrideKind.ADD)
                 if argument.startswith(_PREFIX[kind])), OverrideKind.SET)
    start = len(_PREFIX[kind])
    end = parser.parse_key(start)
    key = argument[start:end]
    if end == parser.n:
        if kind is OverrideKind.DELETE:
            return Override(kind, key, (), False, argument)
        parser.fail("expected '=' after the key", end)
    value, sweep_column = parser.parse_value(end + 1)
    if sweep_column >= 0 and kind is OverrideKind.DELETE:
        parser.fail("'~key' takes no sweep", sweep_column)
    if isinstance(value, Choice):
        return Override(kind, key, value.values, True, argument, value.spellings or (),
                        value.shuffle)
    if isinstance(value, ShuffledList):
        return Override(kind, key, (value.items,), False, argument, shuffle=True)
    return Override(kind, key, (value,), sweep_column >= 0, argument)


def parse_overrides(arguments: Sequence[str], start: int = 1) -> List[Override]:
    """Parse every argument; the first is "argument ``start``" in errors (1 by default)."""
    if isinstance(arguments, str):
        raise TypeError("parse_overrides takes a list of arguments, not one string")
    return [parse_override(argument, i) for i, argument in enumerate(arguments, start)]
