"""The Reader's query language: a hand-written tokenizer and recursive-descent parser.

``config.optimizer.lr <= 1. & info.status in ['COMPLETE', 'RUNNING']`` compiles to a Python
predicate over a run's flat row (``{"config.optimizer.lr": 0.1, ...}``), so that filtering
10,000 runs is one closure call per run. Grammar, loosest binding first::

    query      := or_expr END
    or_expr    := and_expr ("|" and_expr)*
    and_expr   := not_expr ("&" not_expr)*
    not_expr   := "~" not_expr | "(" or_expr ")" | comparison
    comparison := FIELD ("==" | "!=" | "<" | ">" | "<=" | ">=") value | FIELD "in" list
    value      := STRING | NUMBER | True | true | False | false | None | null | list
    list       := "[" (value ("," value)* ","?)? "]"

A run without the field does not match a comparison, and neither does a comparison Python
cannot make (``'a' < 1``), so ``~`` of either matches. A field that no run has at all is a
typo, though: given the fields of the runs, the parser rejects it. Nesting (``(``, ``~``, ``[``)
is bounded by ``MAX_NESTING`` so that no query can exhaust the stack.
"""

from __future__ import annotations

import operator
import re
from typing import (
    AbstractSet, Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple,
)

from mlxp.errors import QueryError

SEARCHABLE_PREFIXES = ("config.", "info.")
MAX_NESTING = 100
"""The deepest a query may nest parentheses, ``~`` and lists, counted together."""

Predicate = Callable[[Mapping[str, Any]], bool]

_COMPARISONS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_CONSTANTS = {
    "True": True, "true": True, "False": False, "false": False, "None": None, "null": None
}
_EXAMPLES = {"config": "config.seed", "info": "info.status"}
_WORD_HINTS = {"and": "&", "or": "|", "not": "~"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NUMBER_START = frozenset("0123456789+-.")
# after the first dot, '/' and '@' too: info.choices names nested and packaged config groups
_WORD = re.compile(r"[^\W\d][\w\-]*(?:\.[\w\-/@]*)*")
_SYNTAX_HINT = (
    "fields start with 'config.' or 'info.'; compare with == != < > <= >= or in [...];"
    " join with & | ~ ( )"
)
_MISSING = object()


class Token(NamedTuple):
    """One lexical unit: ``kind`` (FIELD, VALUE, OP, IN, &, |, ~, (, ), [, ], ",", END)."""

    kind: str
    value: Any
    column: int
    text: str


def _error(query: str, column: int, reason: str, **fields: Any) -> QueryError:
    shown = query.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    message = (
        f"invalid query: {reason}\n    {shown}\n    {' ' * column}^\n  {_SYNTAX_HINT}"
    )
    return QueryError(message, query=query, column=column, reason=reason, **fields)


def tokenize(query: str) -> List[Token]:
    """Split ``query`` into tokens, ending with an END token.

    Raises:
        QueryError: an unknown character, an unterminated string, ``=`` for ``==`` ...
    """
    tokens: List[Token] = []
    position, length = 0, len(query)
    while position < length:
        char = query[position]
        if char.isspace():
            position += 1
            continue
        start = position
        pair = query[position : position + 2]
        number = _NUMBER.match(query, position) if char in _NUMBER_START else None
        if pair in ("==", "!=", "<=", ">="):
            tokens.append(Token("OP", pair, start, pair))
            position += 2
        elif char in "<>":
            tokens.append(Token("OP", char, start, char))
            position += 1
        elif char == "=":
            raise _error(query, start, "'=' is not a comparison; use '=='")
        elif char == "!":
            raise _error(query, start, "'!' alone is not an operator; use '!=' or '~' (not)")
        elif pair in ("&&", "||"):
            raise _error(query, start, f"use a single '{char}' to join comparisons")
        elif char in "&|~()[],":
            tokens.append(Token(char, char, start, char))
            position += 1
        elif char in "'\"":
            value, position = _read_string(query, position)
            tokens.append(Token("VALUE", value, start, query[start:position]))
        elif number:
            text = number.group()
            is_float = any(c in text for c in ".eE")
            tokens.append(Token("VALUE", float(text) if is_float else int(text), start, text))
            position = number.end()
        else:
            word_match = _WORD.match(query, position)
            if word_match is None:
                raise _error(query, start, f"unexpected character {char!r}")
            word = word_match.group()
            position = word_match.end()
            tokens.append(_classify_word(query, word, start))
    tokens.append(Token("END", None, length, ""))
    return tokens


def _read_string(query: str, start: int) -> Tuple[str, int]:
    quote = query[start]
    chars: List[str] = []
    position = start + 1
    while position < len(query):
        char = query[position]
        if char == "\\" and position + 1 < len(query):
            following = query[position + 1]
            chars.append(_ESCAPES.get(following, following))
            position += 2
        elif char == quote:
            return "".join(chars), position + 1
        else:
            chars.append(char)
            position += 1
    raise _error(query, start, f"unterminated string: the {quote} here is never closed")


def _classify_word(query: str, word: str, start: int) -> Token:
    if word == "in":
        return Token("IN", word, start, word)
    if word in _CONSTANTS:
        return Token("VALUE", _CONSTANTS[word], start, word)
    if word.lower() in _WORD_HINTS:
        symbol = _WORD_HINTS[word.lower()]
        raise _error(query, start, f"'{word}' is not an operator here; use '{symbol}'")
    return Token("FIELD", word, start, word)


class _Parser:
    """Recursive descent over the token list; each ``_parse_*`` returns a predicate."""

    def __init__(self, query: str, known_fields: Optional[AbstractSet[str]]) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.index = 0
        self.known_fields = known_fields
        self.depth = 0

    def nest(self) -> Token:
        """Consume a token that opens a nesting level (``(``, ``~``, ``[``)."""
        token = self.advance()
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(
                f"more than {MAX_NESTING} levels of '(', '~' and '[' nested in one another:"
                " write the query flatter",
                column=token.column,
            )
        return token

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, reason: str, column: Optional[int] = None) -> QueryError:
        return _error(self.query, self.current.column if column is None else column, reason)

    def parse(self) -> Predicate:
        predicate = self._parse_or()
        token = self.current
        if token.kind == ")":
            raise self.error("unmatched ')': no '(' opens it")
        if token.kind != "END":
            raise self.error(f"unexpected {token.text!r}: join comparisons with '&' or '|'")
        return predicate

    def _parse_or(self) -> Predicate:
        # A flat list, not nested pairs: a chain of 5,000 '|' must not recurse 5,000 deep.
        operands = [self._parse_and()]
        while self.current.kind == "|":
            self.advance()
            operands.append(self._parse_and())
        return _any(operands)

    def _parse_and(self) -> Predicate:
        operands = [self._parse_not()]
        while self.current.kind == "&":
            self.advance()
            operands.append(self._parse_not())
        return _all(operands)

    def _parse_not(self) -> Predicate:
        token = self.current
        if token.kind == "~":
            self.nest()
            inner = _negate(self._parse_not())
            self.depth -= 1
            return inner
        if token.kind == "(":
            self.nest()
            inner = self._parse_or()
            if self.current.kind == "END":
                raise self.error("unclosed '(': a ')' is missing", column=token.column)
            if self.current.kind != ")":
                raise self.error(
                    f"unexpected {self.current.text!r}: expected '&', '|' or ')'"
                )
            self.advance()
            self.depth -= 1
            return inner
        return self._parse_comparison()

    def _parse_comparison(self) -> Predicate:
        token = self.current
        if token.kind == "END":
            raise self.error("the query ends where a comparison should start")
        if token.kind != "FIELD":
            raise self.error(
                f"expected a field such as config.seed, found {token.text!r}"
            )
        field = _check_field(self.query, token, self.known_fields)
        self.advance()
        operator_token = self.current
        if operator_token.kind == "OP":
            self.advance()
            value = self._parse_value(after=operator_token.text)
            return _compare(field, _COMPARISONS[operator_token.value], value)
        if operator_token.kind == "IN":
            self.advance()
            if self.current.kind != "[":
                raise self.error("expected a list such as [1, 2] after 'in'")
            return _member(field, self._parse_list())
        found = "the end" if operator_token.kind == "END" else repr(operator_token.text)
        raise self.error(
            f"expected a comparison (==, !=, <, >, <=, >=, in) after {field!r}, found {found}"
        )

    def _parse_value(self, after: str) -> Any:
        token = self.current
        if token.kind == "VALUE":
            self.advance()
            return token.value
        if token.kind == "[":
            return self._parse_list()
        if token.kind == "FIELD":
            raise self.error(f"unquoted text {token.text!r}: write it in quotes, '{token.text}'")
        found = "the end" if token.kind == "END" else repr(token.text)
        raise self.error(f"expected a value after {after!r}, found {found}")

    def _parse_list(self) -> List[Any]:
        opening = self.nest()
        values: List[Any] = []
        while self.current.kind != "]":
            if self.current.kind == "END":
                raise self.error("unclosed '[': a ']' is missing", column=opening.column)
            values.append(self._parse_value(after="[" if not values else ","))
            if self.current.kind == ",":
                self.advance()
            elif self.current.kind not in ("]", "END"):
                raise self.error(f"expected ',' or ']' in the list, found {self.current.text!r}")
        self.advance()
        self.depth -= 1
        return values


def _check_field(query: str, token: Token, known_fields: Optional[AbstractSet[str]]) -> str:
    field: str = token.value
    prefix, _, rest = field.partition(".")
    if prefix + "." not in SEARCHABLE_PREFIXES:
        reason = f"unknown field {field!r}: only fields starting with 'config.' or 'info.' can"
        reason += " be searched"
        if rest:
            reason += f" (metrics such as {field!r} load lazily: filter them on the DataFrame)"
        else:
            reason += f" (did you mean 'config.{field}'?)"
        raise _error(query, token.column, reason)
    if not rest or "" in rest.split("."):
        raise _error(query, token.column, f"incomplete field name {field!r}: a key must follow"
                     f" '{prefix}.', as in {_EXAMPLES[prefix]!r}")
    if known_fields is not None and field not in known_fields:
        raise _unknown_field(query, token.column, field, known_fields)
    return field


def _unknown_field(
    query: str, column: int, field: str, known_fields: AbstractSet[str]
) -> QueryError:
    import difflib  # only a mistyped field needs it

    # Compared without their 'config.'/'info.' prefix, which would make every name look close;
    # so 'config.status' finds 'info.status' too.
    by_key: Dict[str, List[str]] = {}
    for name in sorted(known_fields):
        if name.startswith(SEARCHABLE_PREFIXES):
            by_key.setdefault(name.partition(".")[2], []).append(name)
    close = difflib.get_close_matches(field.partition(".")[2], list(by_key), n=2)
    suggestions = [name for key in close for name in by_key[key]][:2]
    reason = f"no run has the field {field!r}"
    if suggestions:
        reason += f" (did you mean {' or '.join(repr(s) for s in suggestions)}?)"
    else:
        reason += "; reader.searchable lists the fields"
    return _error(query, column, reason, field=field, suggestions=tuple(suggestions))


def _compare(field: str, compare: Callable[[Any, Any], Any], value: Any) -> Predicate:
    def predicate(row: Mapping[str, Any]) -> bool:
        found = row.get(field, _MISSING)
        if found is _MISSING:
            return False
        try:
            return bool(compare(found, value))
        except (TypeError, ValueError):
            return False

    return predicate


def _member(field: str, values: List[Any]) -> Predicate:
    def predicate(row: Mapping[str, Any]) -> bool:
        found = row.get(field, _MISSING)
        if found is _MISSING:
            return False
        try:
            return found in values
        except (TypeError, ValueError):
            return False

    return predicate


def _all(operands: List[Predicate]) -> Predicate:
    if len(operands) == 1:
        return operands[0]
    if len(operands) == 2:  # the usual case: one closure call less than all()
        left, right = operands
        return lambda row: left(row) and right(row)
    return lambda row: all(operand(row) for operand in operands)


def _any(operands: List[Predicate]) -> Predicate:
    if len(operands) == 1:
        return operands[0]
    if len(operands) == 2:
        left, right = operands
        return lambda row: left(row) or right(row)
    return lambda row: any(operand(row) for operand in operands)


def _negate(inner: Predicate) -> Predicate:
    return lambda row: not inner(row)


def _match_all(row: Mapping[str, Any]) -> bool:
    return True


def compile_query(query: str, known_fields: Optional[AbstractSet[str]] = None) -> Predicate:
    """Compile ``query`` into a predicate over a flat row; an empty query matches every run.

    Args:
        known_fields: the fields of the runs to be searched; a query field none of them has is
            an error. None checks nothing.

    Raises:
        QueryError: the query is malformed, nests more than ``MAX_NESTING`` deep, or names a
            field not in ``known_fields``; ``.column`` (0-based) points at the fault.
    """
    if not query.strip():
        return _match_all
    return _Parser(query, known_fields).parse()
