"""The command-line grammar: each argument becomes a typed, frozen ``Override``.

Pure; ``parse_override`` reads an argument with the hand-written parser of ``_override_parser``
(no parser library, so that every error can name the argument, the column at fault and a fix).
``format_value``/``format_override`` write values back as arguments.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, Iterable, List, Sequence, Tuple, Union

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
        key: the dotted key, e.g. ``optimizer.lr``.
        values: the typed values; one unless ``is_sweep``; none for a bare delete.
        is_sweep: True for ``a=1,2``, ``range(...)`` and ``choice(...)`` (even of one value).
        text: the argument as written; filled with ``format_override`` when left empty.
        spellings: for a sweep, each value as the user wrote it, so that points read as typed.

    Equality ignores ``text`` and ``spellings`` and is strict about types: ``a=1``,
    ``a=1.0`` and ``a=true`` are three different overrides (they write different configs).
    A plain class rather than a dataclass: ``dataclasses`` would add milliseconds to
    ``import mlxp``.
    """

    __slots__ = ("kind", "key", "values", "is_sweep", "text", "spellings")
    kind: OverrideKind
    key: str
    values: Tuple[Any, ...]
    is_sweep: bool
    text: str
    spellings: Tuple[str, ...]

    def __init__(self, kind: Union[OverrideKind, str], key: str, values: Iterable[Any] = (),
                 is_sweep: bool = False, text: str = "", spellings: Iterable[str] = ()) -> None:
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
        for name, value in (("kind", kind), ("key", key), ("values", values),
                            ("is_sweep", is_sweep), ("text", text), ("spellings", spellings)):
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

    def expand(self) -> Tuple[Override, ...]:
        """One single-valued override per value of a sweep (``(self,)`` otherwise)."""
        if not self.is_sweep:
            return (self,)
        head = f"{_PREFIX[self.kind]}{self.key}="
        spellings = self.spellings or tuple(format_value(v) for v in self.values)
        return tuple(Override(self.kind, self.key, (value,), False, head + spelling)
                     for value, spelling in zip(self.values, spellings))

    def _identity(self) -> Tuple[Any, ...]:
        return (self.kind, self.key, self.is_sweep, tuple(_canonical(v) for v in self.values))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Override):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        return (f"Override({self.kind.value!r}, {self.key!r}, {self.values!r}, "
                f"is_sweep={self.is_sweep})")


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
    if override.is_sweep and len(override.values) == 1:
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
    values, spellings, sweep_column = parser.parse_value(end + 1)
    if sweep_column >= 0 and kind is OverrideKind.DELETE:
        parser.fail("'~key' takes no sweep", sweep_column)
    return Override(kind, key, tuple(values), sweep_column >= 0, argument, spellings)


def parse_overrides(arguments: Sequence[str], start: int = 1) -> List[Override]:
    """Parse every argument; the first is "argument ``start``" in errors (1 by default)."""
    if isinstance(arguments, str):
        raise TypeError("parse_overrides takes a list of arguments, not one string")
    return [parse_override(argument, i) for i, argument in enumerate(arguments, start)]
