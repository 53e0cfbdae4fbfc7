"""The hand-written parser behind :func:`mlxp.overrides.parse_override`: keys and values.

Recursive descent over one argument: dotted keys, values, sweeps, ``range()``/``choice()``,
quoting and escapes, with errors that name the column at fault; values typed as MLXP types
them on the command line (``mlxp._scalars``). Loaded on the first parse only.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Dict, List, NoReturn, Tuple

from mlxp._scalars import type_on_command_line
from mlxp._yaml import MAX_NESTING
from mlxp.errors import OverrideSyntaxError

__all__ = ["Parser"]

_FUNCTIONS = ("range", "choice")
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\(")
_RUN = re.compile(r"[^,\[\]{}()\\$]+")  # characters with no meaning in a value
_KEY_RUN = re.compile(r"[^,\[\]{}()\\$:]+")  # the same inside a mapping key
_ESCAPABLE = frozenset(",[]{}()'\"=:$~\\ \t")
_MAX_RANGE = 1_000_000


class Parser:
    """Recursive descent over one argument's key (``parse_key``) and value (``parse_value``);
    ``parse_override`` reads the prefix. Every ``pos`` indexes the whole argument."""

    def __init__(self, text: str, index: int) -> None:
        self.text, self.n, self.index = text, len(text), index
        self.head = ""  # the argument up to '=', for the quoting hint
        self.depth = 0  # brackets open around the current position

    def fail(self, reason: str, column: int, hint: bool = False) -> NoReturn:
        advice = f"to pass a comma or bracket literally, quote the value: {self.head}='...'"
        raise OverrideSyntaxError(reason, self.text, self.index, column, advice if hint else "")

    def skip_space(self, pos: int) -> int:
        while pos < self.n and self.text[pos].isspace():
            pos += 1
        return pos

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
        self.head = text[:pos]
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
        return (text if literal else type_on_command_line(text)), pos, stop, end

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
        if self.depth >= MAX_NESTING:  # each level costs stack frames: stop long before Python
            self.fail(f"lists and mappings nest deeper than {MAX_NESTING} levels; flatten the"
                      " value", opening)
        self.depth += 1
        try:
            return self._parse_items(opening, item)
        finally:
            self.depth -= 1

    def _parse_items(self, opening: int, item: Callable[[int], int]) -> int:
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
            if text.startswith("\\${", pos):  # an escaped interpolation, kept for the config
                end = self.scan_interpolation(pos + 1)
                piece, literal = text[pos:end], True
            elif char == "\\" and pos + 1 < n and text[pos + 1] in _ESCAPABLE:
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
        number = type_on_command_line(item)
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
