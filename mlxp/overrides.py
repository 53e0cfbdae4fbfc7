"""The command-line grammar: each argument becomes a typed, frozen ``Override``.

Pure and hand-written (no parser library), so that every error can name the argument, the
column at fault and a fix. ``format_value``/``format_override`` write values back as arguments.
"""

from __future__ import annotations

import math
import re
from enum import Enum
from typing import Any, Callable, Dict, Iterable, List, NoReturn, Sequence, Tuple, Union

from mlxp._yaml import resolve_scalar
from mlxp.errors import OverrideError, OverrideSyntaxError


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
        if math.isfinite(value):
            return float.__repr__(value)
        return ".nan" if math.isnan(value) else ".inf" if value > 0 else "-.inf"
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
             and not (in_key and ":" in text) and isinstance(resolve_scalar(text), str))
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

_FUNCTIONS = ("range", "choice")
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\(")
_RUN = re.compile(r"[^,\[\]{}()\\$]+")  # characters with no meaning in a value
_KEY_RUN = re.compile(r"[^,\[\]{}()\\$:]+")  # the same inside a mapping key
_ESCAPABLE = frozenset(",[]{}()'\"=:$~\\ \t")
_MAX_RANGE = 1_000_000


def parse_override(argument: str, index: int = 1) -> Override:
    """Parse one command-line argument.

    Args:
        argument: e.g. ``optimizer.lr=1e-3``, ``seed=1,2``, ``+a.b=[1,2]``, ``~a``.
        index: the argument's 1-based position, quoted in errors ("argument 2").

    Raises:
        OverrideSyntaxError: the argument is malformed; ``.index``, ``.argument`` and
            ``.column`` (0-based) say where, ``.reason`` what, ``.hint`` how to fix it.
    """
    return _Parser(argument, index).parse()


def parse_overrides(arguments: Sequence[str], start: int = 1) -> List[Override]:
    """Parse every argument; the first is "argument ``start``" in errors (1 by default)."""
    if isinstance(arguments, str):
        raise TypeError("parse_overrides takes a list of arguments, not one string")
    return [parse_override(argument, i) for i, argument in enumerate(arguments, start)]


class _Parser:
    """Recursive descent over one argument; every ``pos`` indexes the whole argument."""

    def __init__(self, text: str, index: int) -> None:
        self.text, self.n, self.index = text, len(text), index
        self.head = ""  # the argument up to '=', for the quoting hint

    def fail(self, reason: str, column: int, hint: bool = False) -> NoReturn:
        advice = f"to pass a comma or bracket literally, quote the value: {self.head}='...'"
        raise OverrideSyntaxError(reason, self.text, self.index, column, advice if hint else "")

    def skip_space(self, pos: int) -> int:
        while pos < self.n and self.text[pos].isspace():
            pos += 1
        return pos

    def parse(self) -> Override:
        text = self.text
        kind = next((kind for kind in (OverrideKind.DELETE, OverrideKind.FORCE, OverrideKind.ADD)
                     if text.startswith(_PREFIX[kind])), OverrideKind.SET)
        start = len(_PREFIX[kind])
        end = self.parse_key(start)
        key, self.head = text[start:end], text[:end]
        if end == self.n:
            if kind is OverrideKind.DELETE:
                return Override(kind, key, (), False, text)
            self.fail("expected '=' after the key", end)
        values, spellings, sweep_column = self.parse_value(end + 1)
        if sweep_column >= 0 and kind is OverrideKind.DELETE:
            self.fail("'~key' takes no sweep", sweep_column)
        return Override(kind, key, tuple(values), sweep_column >= 0, text, spellings)

    def parse_key(self, start: int) -> int:
        text, pos, part = self.text, start, start
        while pos < self.n and text[pos] != "=":
            char = text[pos]
            where = "a key" if pos == start else "a key part"
            if char == "." and pos == part:
                self.fail("a key cannot contain '..'" if pos > start
                          else "a key cannot start with '.'", pos)
            if char == "-" and pos == part:
                self.fail(f"{where} cannot start with '-'", pos)
            if char == "+" and pos == start:
                self.fail("too many '+': write +key=value to add a key, ++key=value to add or"
                          " set it", pos)
            if char == ".":
                part = pos + 1
            elif not (char.isalnum() or char in "_-"):
                why = (" (no spaces around '=')" if char.isspace() else
                       " (write key=value, not key:value)" if char == ":" else "")
                self.fail(f"unexpected {char!r} in the key; keys are dotted names of letters,"
                          f" digits, '_' and '-'{why}", pos)
            pos += 1
        if pos == start:
            self.fail("a key cannot be empty", pos)
        if pos == part:
            self.fail("a key cannot end with '.'", pos - 1)
        return pos

    def parse_value(self, pos: int) -> Tuple[List[Any], Tuple[str, ...], int]:
        """The value after '=': its values, their spellings, and the sweep's column (or -1)."""
        text = self.text
        pos = self.skip_space(pos)
        if pos == self.n:
            return [""], (), -1
        call = _CALL.match(text, pos)
        if call:
            name = call.group(1)
            if name not in _FUNCTIONS:
                self.fail(f"unknown function {name}(); sweep with a=1,2, range() or choice()",
                          pos, hint=True)
            values: List[Any] = []
            spellings: List[str] = []
            if name == "range":
                end = self.parse_range(pos, call.end() - 1, values)
            else:
                end = self.parse_items(call.end() - 1, lambda p: self.add_element(
                    p, values, spellings))
                if not values:
                    self.fail("choice() needs at least one value", pos)
            end = self.skip_space(end)
            if end < self.n:
                self.fail(f"unexpected {text[end]!r} after {name}(...)", end, hint=True)
            return values, tuple(spellings), pos
        values, spellings, comma = [], [], -1
        while True:
            pos = self.skip_space(self.add_element(pos, values, spellings))
            if pos == self.n:
                return (values, tuple(spellings), comma) if comma >= 0 else (values, (), -1)
            if text[pos] != ",":
                self.unexpected(pos)
            comma = pos if comma < 0 else comma
            pos += 1

    def add_element(self, pos: int, values: List[Any], spellings: List[str]) -> int:
        value, start, stop, pos = self.parse_element(pos)
        values.append(value)
        spellings.append(self.text[start:stop])
        return pos

    def parse_element(self, pos: int, in_key: bool = False) -> Tuple[Any, int, int, int]:
        """One value: returns it, where its text starts and stops, and where parsing resumes."""
        pos = self.skip_space(pos)
        if pos == self.n:
            self.missing_value(pos)
        char = self.text[pos]
        if char in "'\"":
            value, end = self.parse_quoted(pos)
            after = self.skip_space(end)
            if after < self.n and self.text[after] not in (",)]}:" if in_key else ",)]}"):
                self.fail(f"unexpected {self.text[after]!r} after a quoted string;"
                          " quote the whole value", after)
            return value, pos, end, end
        if in_key and char in "[{":
            self.fail("a mapping key cannot be a list or a mapping", pos)
        if char == "[":
            items: List[Any] = []
            end = self.parse_items(pos, lambda p: self.add_element(p, items, []))
            return items, pos, end, end
        if char == "{":
            mapping: Dict[Any, Any] = {}
            end = self.parse_items(pos, lambda p: self.add_entry(p, mapping))
            return mapping, pos, end, end
        text, literal, stop, end = self.scan_plain(pos, in_key)
        if not text:
            if in_key:
                self.fail("a mapping key cannot be empty", pos)
            self.missing_value(pos)
        return (text if literal else resolve_scalar(text)), pos, stop, end

    def add_entry(self, pos: int, mapping: Dict[Any, Any]) -> int:
        key, column, _, pos = self.parse_element(pos, in_key=True)
        pos = self.skip_space(pos)
        if pos == self.n or self.text[pos] != ":":
            self.fail("expected ':' after the mapping key", pos)
        value, _, _, pos = self.parse_element(pos + 1)
        if key in mapping:
            self.fail(f"duplicate key {key!r} in the mapping", column)
        mapping[key] = value
        return pos

    def parse_items(self, opening: int, item: Callable[[int], int]) -> int:
        """Comma-separated items up to the bracket matching the one at ``opening``; ``item``
        parses one and says where it stops. Returns the position after the closing bracket."""
        closing = {"[": "]", "{": "}", "(": ")"}[self.text[opening]]
        pos = self.skip_space(opening + 1)
        if pos < self.n and self.text[pos] == closing:
            return pos + 1
        while True:
            pos = self.skip_space(pos)
            if pos < self.n:
                pos = self.skip_space(item(pos))
            if pos == self.n:
                self.fail(f"missing {closing!r} to close this {self.text[opening]!r}", opening,
                          hint=True)
            if self.text[pos] == closing:
                return pos + 1
            if self.text[pos] != ",":
                self.unexpected(pos)
            pos += 1

    def scan_plain(self, pos: int, in_key: bool) -> Tuple[str, bool, int, int]:
        """An unquoted value: its text (edges trimmed, escapes applied), whether it must stay
        a string (escapes or ``${...}``), where its text stops, and where parsing resumes."""
        text, n, run = self.text, self.n, _KEY_RUN if in_key else _RUN
        parts: List[str] = []
        pending = ""  # spaces that count only if more text follows
        literal, stop = False, pos
        while pos < n:
            match = run.match(text, pos)
            if match:
                chunk = match.group()
                kept = chunk.rstrip()
                if kept:
                    parts += (pending, kept)
                    pending, stop = chunk[len(kept):], pos + len(kept)
                else:
                    pending += chunk
                pos = match.end()
                continue
            char = text[pos]
            if char == "\\" and pos + 1 < n and text[pos + 1] in _ESCAPABLE:
                piece, end, literal = text[pos + 1], pos + 2, True
            elif char == "$" and text.startswith("${", pos):
                end = self.scan_interpolation(pos)
                piece, literal = text[pos:end], True
            elif char in "\\$":
                piece, end = char, pos + 1
            else:
                break
            parts += (pending, piece)
            pending, pos, stop = "", end, end
        return "".join(parts), literal, stop, pos

    def scan_interpolation(self, pos: int) -> int:
        depth = 0
        for end in range(pos + 1, self.n):
            depth += {"{": 1, "}": -1}.get(self.text[end], 0)
            if depth == 0:
                return end + 1
        self.fail("unterminated '${': missing '}'", pos)

    def parse_quoted(self, pos: int) -> Tuple[str, int]:
        text, quote = self.text, self.text[pos]
        parts, start = [], pos + 1
        while True:
            end = text.find(quote, start)
            slash = text.find("\\", start, end if end >= 0 else self.n)
            if slash >= 0:  # only \\, \' and \" are escapes; other backslashes are kept
                escape = slash + 1 < self.n and text[slash + 1] in "\\'\""
                parts.append(text[start:slash] + (text[slash + 1] if escape else "\\"))
                start = slash + 1 + escape
            elif end < 0:
                self.fail(f"unterminated quoted string: missing the closing {quote}", pos)
            else:
                parts.append(text[start:end])
                return "".join(parts), end + 1

    def parse_range(self, start: int, opening: int, values: List[Any]) -> int:
        text = self.text
        items: List[Tuple[str, int]] = []

        def item(pos: int) -> int:
            end = pos
            while end < self.n and text[end] not in ",)":
                end += 1
            items.append((text[pos:end].rstrip(), pos))
            return end

        end = self.parse_items(opening, item)
        if len(items) not in (2, 3):
            self.fail("range() needs 2 or 3 numbers", start)
        numbers = [self.range_number(item, column) for item, column in items]
        if len(numbers) == 3 and numbers[2] == 0:
            self.fail("range() step cannot be 0", items[2][1])
        make: Callable[[int], Any]
        if all(isinstance(number, int) for number in numbers):
            ints = range(*numbers)
            count, make = len(ints), ints.__getitem__
        elif len(numbers) == 2:
            self.fail("range() over floats needs a step, e.g. range(0,1,0.25)", start)
        else:
            # Decimal steps: range(0,1,0.1) gives 0.3, not 0.30000000000000004.
            from decimal import ROUND_CEILING, Decimal  # only float ranges need it

            first, last, step = (Decimal(repr(number)) for number in numbers)
            steps = (last - first) / step
            count = int(steps.to_integral_value(ROUND_CEILING)) if steps > 0 else 0
            make = lambda i: float(first + i * step)  # noqa: E731
        if count == 0:
            down = numbers[0] > numbers[1] and (len(numbers) == 2 or numbers[2] > 0)
            self.fail(f"{text[start:end]} is empty" + (
                "; counting down needs a negative step, e.g. range(5,1,-1)" if down else ""), start)
        if count > _MAX_RANGE:
            self.fail(f"range() gives {count} values; at most {_MAX_RANGE} are allowed", start)
        values.extend(make(i) for i in range(count))
        return end

    def range_number(self, item: str, column: int) -> Any:
        if not item:
            self.fail("expected a number", column)
        number = resolve_scalar(item)
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            self.fail(f"range() takes numbers, not {item!r}", column)
        if not math.isfinite(number):
            self.fail("range() takes finite numbers", column)
        return number

    def missing_value(self, pos: int) -> NoReturn:
        text = self.text
        before = text[:pos].rstrip()[-1:]
        if pos < self.n and text[pos] == ",":
            self.fail("expected a value before ','", pos, hint=True)
        if before in (",", ":") and (pos == self.n or text[pos] in ")]}"):
            self.fail(f"expected a value after {before!r}", pos, hint=before == ",")
        if pos == self.n:
            self.fail("expected a value", pos)
        self.unexpected(pos)

    def unexpected(self, pos: int) -> NoReturn:
        text, char = self.text, self.text[pos]
        if char == "(":
            name = re.search(r"[A-Za-z_][A-Za-z0-9_]*\Z", text[:pos])
            if name and name.group() in _FUNCTIONS:
                self.fail(f"{name.group()}(...) must be the whole value, as in "
                          f"{self.head}={name.group()}(...)", name.start(), hint=True)
        self.fail(f"unexpected {char!r}", pos, hint=char in ",[]{}()")
