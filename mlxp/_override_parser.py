"""The hand-written parser behind :func:`mlxp.overrides.parse_override`: keys and values.

Recursive descent over one argument: keys (dotted, ``group/sub``, ``@package``), values,
sweeps, function calls (evaluated by ``mlxp._sweep_functions``), quoting and escapes, with
errors that name the column at fault; values typed as MLXP types them on the command line
(``mlxp._scalars``). Loaded on the first parse only.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Match, NoReturn, Tuple

from mlxp._scalars import type_on_command_line
from mlxp._sweep_functions import FUNCTIONS, CallError, Choice, Range, ShuffledList, is_plain
from mlxp._sweep_functions import call as call_function
from mlxp._yaml import MAX_NESTING
from mlxp.errors import OverrideSyntaxError

__all__ = ["Parser"]

# a call: a name, then '(' (Hydra allows spaces between: ``choice (a,b)``)
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\(")
_KEYWORD = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=[ \t]*")  # name= before an argument
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_RUN = re.compile(r"[^,\[\]{}()\\$]+")  # characters with no meaning in a value
_KEY_RUN = re.compile(r"[^,\[\]{}()\\$:]+")  # the same inside a mapping key
_ESCAPABLE = frozenset(",[]{}()'\"=:$~\\ \t")


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
        """``key``, ``group/sub`` or either with ``@package``, up to '='; returns its end."""
        text, end = self.text, self.text.find("=", start)
        end = self.n if end < 0 else end
        if end > start and text[start] == "+":
            self.fail("too many '+': write +key=value to add a key, ++key=value to add or"
                      " set it", start)
        at = text.find("@", start, end)
        head_end = end if at < 0 else at
        if head_end == start:
            self.fail("a key cannot be empty", start)
        if "/" in text[start:head_end]:
            self.check_group(start, head_end)
        else:
            self.check_dotted(start, head_end, "key")
        if at >= 0:
            if text.find("@", at + 1, end) >= 0:
                self.fail("a key has at most one '@package'", text.find("@", at + 1, end))
            if at + 1 < end:
                self.check_dotted(at + 1, end, "package")
        self.head = text[:end]
        return end

    def check_dotted(self, start: int, end: int, what: str) -> None:
        """A dotted name: parts of letters, digits, '_' and '-', none empty or led by '-'."""
        text, part = self.text, start
        for pos in range(start, end):
            char = text[pos]
            where = f"a {what}" if pos == start else f"a {what} part"
            if char == "." and pos == part:
                self.fail(f"a {what} cannot contain '..'" if pos > start
                          else f"a {what} cannot start with '.'", pos)
            if char == "-" and pos == part:
                self.fail(f"{where} cannot start with '-'", pos)
            if char == ".":
                part = pos + 1
            elif not (char.isalnum() or char in "_-"):
                why = (" (no spaces around '=')" if char.isspace() else
                       " (write key=value, not key:value)" if char == ":" else
                       " (a config group is a path of names: model/backbone)"
                       if char == "/" else "")
                self.fail(f"unexpected {char!r} in the {what}; {what}s are dotted names of"
                          f" letters, digits, '_' and '-'{why}", pos)
        if end == part:
            self.fail(f"a {what} cannot end with '.'", end - 1)

    def check_group(self, start: int, end: int) -> None:
        """A config group path, ``model/backbone``: names joined by '/', without dots."""
        column = start
        for name in self.text[start:end].split("/"):
            if not _NAME.fullmatch(name):
                bad = next((i for i, char in enumerate(name) if not (
                    char.isalnum() or char in "_-") or (i == 0 and char in "-0123456789")), 0)
                what = ("cannot be empty" if not name else
                        "cannot hold '.': a group path is names joined by '/' and the package"
                        " goes after '@' (model/backbone@encoder.net)" if name[bad] == "."
                        else f"cannot hold {name[bad]!r} there")
                self.fail(f"a config group name {what}; names are letters, digits, '_' and"
                          " '-', led by a letter or '_'", column + bad)
            column += len(name) + 1

    def parse_value(self, pos: int) -> Tuple[Any, int]:
        """The value after '=': a plain value or a sweep, and the sweep's column (or -1)."""
        text, first = self.text, self.skip_space(pos)
        if first == self.n:
            return "", -1
        items: List[Tuple[Any, int, int]] = []
        pos, comma = first, -1
        while True:
            value, start, stop, pos = self.parse_element(pos)
            items.append((value, start, stop))
            pos = self.skip_space(pos)
            if pos == self.n:
                break
            if text[pos] != ",":
                self.unexpected(pos)
            comma = pos if comma < 0 else comma
            pos += 1
        if len(items) > 1:
            for value, start, stop in items:
                self.check_plain(value, start, stop, "one value of a sweep")
            return Choice([value for value, _, _ in items],
                          [text[start:stop] for _, start, stop in items], simple=True), comma
        value = items[0][0]
        if isinstance(value, Range):
            try:
                value = Choice(value.values(), shuffle=value.shuffle)
            except CallError as error:
                self.fail(f"{text[first:items[0][2]]} {error}", first)
        return value, (-1 if is_plain(value) or isinstance(value, ShuffledList) else first)

    def check_plain(self, value: Any, start: int, stop: int, where: str) -> None:
        if not is_plain(value):
            call = _CALL.match(self.text, start)
            name = call.group(1) if call else "this"
            self.fail(f"{self.text[start:stop]} cannot be {where}: {name}(...) must be the whole"
                      f" value, as in {self.head}={self.text[start:stop]}", start, hint=True)

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
            end = self.parse_items(pos, lambda p: self.add_item(p, items))
            return items, pos, end, end
        if char == "{":
            mapping: Dict[Any, Any] = {}
            end = self.parse_items(pos, lambda p: self.add_entry(p, mapping))
            return mapping, pos, end, end
        call = None if in_key else _CALL.match(self.text, pos)
        if call:
            value, end = self.parse_call(pos, call)
            return value, pos, end, end
        text, literal, stop, end = self.scan_plain(pos, in_key)
        if not text:
            if in_key:
                self.fail("a mapping key cannot be empty", pos)
            self.missing_value(pos)
        return (text if literal else type_on_command_line(text)), pos, stop, end

    def add_item(self, pos: int, items: List[Any]) -> int:
        value, start, stop, pos = self.parse_element(pos)
        self.check_plain(value, start, stop, "an item of a list")
        items.append(value)
        return pos

    def add_entry(self, pos: int, mapping: Dict[Any, Any]) -> int:
        key, column, _, pos = self.parse_element(pos, in_key=True)
        pos = self.skip_space(pos)
        if pos == self.n or self.text[pos] != ":":
            self.fail("expected ':' after the mapping key", pos)
        value, start, stop, pos = self.parse_element(pos + 1)
        self.check_plain(value, start, stop, "a value of a mapping")
        if key in mapping:
            self.fail(f"duplicate key {key!r} in the mapping", column)
        mapping[key] = value
        return pos

    def parse_call(self, start: int, call: Match[str]) -> Tuple[Any, int]:
        """``name(arg, ..., name=arg)``: the function's result and where the call ends."""
        name, text = call.group(1), self.text
        args: List[Any] = []
        kwargs: Dict[str, Any] = {}
        spellings: List[str] = []
        columns: Dict[Any, int] = {}  # where each argument starts, by position or keyword

        def argument(pos: int) -> int:
            keyword = _KEYWORD.match(text, pos)
            if keyword:
                if keyword.group(1) in kwargs:
                    self.fail(f"{name}() got {keyword.group(1)}= twice", pos)
                pos = keyword.end()
            elif kwargs:
                self.fail(f"{name}(): an argument without a name cannot follow a named one",
                          pos)
            value, first, stop, end = self.parse_element(pos)
            if keyword:
                kwargs[keyword.group(1)] = value
                columns[keyword.group(1)] = first
            else:
                columns[len(args)] = first
                args.append(value)
                spellings.append(text[first:stop])
            return end

        end = self.parse_items(call.end() - 1, argument)
        try:
            result = call_function(name, args, kwargs)
        except CallError as error:
            self.fail(str(error), columns.get(error.argument, start),
                      hint=name not in FUNCTIONS)
        if name == "choice" and isinstance(result, Choice) and result.spellings is None \
                and not kwargs and len(spellings) == len(result.values):
            result.spellings = spellings  # the points read as the user typed them
        return result, end

    def parse_items(self, opening: int, item: Callable[[int], int]) -> int:
        """Comma-separated items up to the bracket matching the one at ``opening``; ``item``
        parses one and says where it stops. Returns the position after the closing bracket."""
        if self.depth >= MAX_NESTING:  # each level costs stack frames: stop long before Python
            self.fail(f"lists, mappings and calls nest deeper than {MAX_NESTING} levels;"
                      " flatten the value", opening)
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
        char = self.text[pos]
        self.fail(f"unexpected {char!r}", pos, hint=char in ",[]{}()")
