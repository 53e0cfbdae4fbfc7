"""How unquoted text becomes a value, as MLXP 1.0.5 types it: ``type_in_file`` for
``config.yaml`` (OmegaConf 2.3's YAML loader) and ``type_on_command_line`` for overrides (Hydra
1.3's grammar). The two differ as they do in MLXP: ``yes`` is True in the file, a string on the
command line; ``.inf`` is a float only in the file, ``inf`` only on the command line.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any, Callable, Dict, List, Pattern, Tuple

# --- config.yaml: YAML 1.1 as PyYAML's SafeLoader reads it, with OmegaConf 2.3's changes ---

# Patterns as text: compiled on the first load (``yaml_types``), not on ``import mlxp``.
_NULL = r"^(?:~|null|Null|NULL|)$"
_BOOL = (r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE"
         r"|on|On|ON|off|Off|OFF)$")  # not y/n: ``y: 1`` is a coordinate
_INT = r"""^(?:[-+]?0b[01_]+                      # binary
    |[-+]?0[0-7_]+                                 # octal: 012 is 10
    |[-+]?(?:0|[1-9][0-9_]*)                       # decimal, 1_000 is 1000
    |[-+]?0x[0-9a-fA-F_]+                          # hexadecimal
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"""        # base 60: 1:30 is 90
_FLOAT = r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?   # OmegaConf: 1.5e3
    |[-+]?[0-9]+(?:_[0-9]+)*[eE][-+]?[0-9]+                # OmegaConf: 1e-3, no dot
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*          # base 60: 1:30.5 is 90.5
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$"""
#: the tag of ``<<``, the merge key of ``<<: *base``.
MERGE_TAG = "tag:yaml.org,2002:merge"


def _to_null(text: str) -> None:
    return None


def _to_bool(text: str) -> Any:
    lowered = text.lower()
    return True if lowered in ("yes", "true", "on") else False if lowered in (
        "no", "false", "off") else text  # ``!!bool maybe`` stays as written


def _split_sign(text: str) -> Tuple[int, str]:
    text = text.replace("_", "")
    if text[:1] in "+-":
        return (-1 if text[0] == "-" else 1), text[1:]
    return 1, text


def _base_60(digits: str, convert: Callable[[str], Any]) -> Any:
    total: Any = 0
    for part in digits.split(":"):
        total = total * 60 + convert(part)
    return total


def _to_int(text: str) -> Any:
    sign, digits = _split_sign(text)
    try:
        if digits.startswith("0b"):
            return sign * int(digits[2:], 2)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if ":" in digits:
            return sign * _base_60(digits, int)
        if digits.startswith("0") and digits != "0":
            return sign * int(digits, 8)
        return sign * int(digits)
    except ValueError:  # ``0b_``, or longer than Python converts (sys.get_int_max_str_digits)
        return text


def _to_float(text: str) -> Any:
    sign, digits = _split_sign(text)
    digits = digits.lower()
    if digits == ".inf":
        return sign * math.inf
    if digits == ".nan":
        return math.nan
    try:
        return sign * (_base_60(digits, float) if ":" in digits else float(digits))
    except ValueError:  # ``!!float abc``: an explicit tag on text that is no number
        return text


_YAML_TYPES = (  # (tag, pattern, the characters a match can start with, conversion)
    ("tag:yaml.org,2002:bool", _BOOL, tuple("yYnNtTfFoO"), _to_bool),
    ("tag:yaml.org,2002:float", _FLOAT, tuple("-+0123456789."), _to_float),
    ("tag:yaml.org,2002:int", _INT, tuple("-+0123456789"), _to_int),
    (MERGE_TAG, r"^<<$", ("<",), str),
    ("tag:yaml.org,2002:null", _NULL, ("~", "n", "N", ""), _to_null),
)


@functools.lru_cache(maxsize=None)
def yaml_types() -> Tuple[Tuple[str, Pattern[str], Tuple[str, ...], Callable[[str], Any]], ...]:
    """(tag, pattern, the characters a match can start with, conversion), in PyYAML's order:
    the table that ``type_in_file`` and the loader of ``mlxp._yaml`` both type by."""
    return tuple((tag, re.compile(pattern, re.X), first_chars, convert)
                 for tag, pattern, first_chars, convert in _YAML_TYPES)


@functools.lru_cache(maxsize=None)
def _by_first_char() -> Dict[str, List[Tuple[Pattern[str], Callable[[str], Any]]]]:
    table: Dict[str, List[Tuple[Pattern[str], Callable[[str], Any]]]] = {}
    for tag, pattern, first_chars, convert in yaml_types():
        for char in first_chars if tag != MERGE_TAG else ():  # ``<<`` as a value is text
            table.setdefault(char, []).append((pattern, convert))
    return table


def type_in_file(text: str) -> Any:
    """Type an unquoted scalar as ``config.yaml`` types it: as MLXP 1.0.5 (OmegaConf) does.

    ``1e-3`` -> 0.001, ``yes``/``off`` -> True/False, ``012`` -> 10, ``0x1f`` -> 31,
    ``1:30`` -> 90, ``1_000`` -> 1000, ``.inf`` -> inf; ``y``, ``0o17``, ``2024-01-01`` and
    ``inf`` stay strings. Integers of any length are ints, as in Python; only one longer than
    Python will convert from text (4,300 digits) stays a string.
    """
    if not text:
        return None
    for pattern, convert in _by_first_char().get(text[0], ()):
        if pattern.match(text):
            return convert(text)
    return text


# --- the command line: Hydra 1.3's lexer ---------------------------------------------------

# A plain value is typed when the whole of it is one INT, FLOAT, BOOL or NULL token, and is a
# string otherwise (``0x1f`` is the tokens 0 and x1f, so a string).
_UNSIGNED = r"(?:0|[1-9](?:_?[0-9])*)"  # no leading zero: 012 is a string
_DIGITS = r"[0-9](?:_?[0-9])*"
_POINT_FLOAT = rf"(?:{_UNSIGNED}\.|{_UNSIGNED}?\.{_DIGITS})"  # 10.  .5  1.5
# Patterns as text: ``re`` compiles them on the first override, not on ``import mlxp``.
_INT_TOKEN = rf"[-+]?{_UNSIGNED}"
_FLOAT_TOKEN = (rf"(?i)[-+]?(?:{_POINT_FLOAT}|(?:{_UNSIGNED}|{_POINT_FLOAT})[eE][-+]?{_DIGITS}"
                r"|inf|nan)")  # inf, -inf, NaN; ``.inf`` is the tokens . and inf, so a string
_WORDS = {"true": True, "false": False, "null": None}  # in any case: TRUE, trUe, Null


def type_on_command_line(text: str) -> Any:
    """Type an unquoted command-line value as MLXP 1.0.5 (Hydra 1.3's grammar) does.

    ``1e-3`` -> 0.001, ``1_000`` -> 1000, ``trUe`` -> True, ``NULL`` -> None, ``inf`` -> inf;
    ``yes``, ``off``, ``012``, ``0x1f``, ``1:30``, ``~`` and ``.inf`` stay strings. Unlike
    Hydra, an integer longer than Python converts from text (4,300 digits) is a string, not an
    error.
    """
    if re.fullmatch(_INT_TOKEN, text):
        try:
            return int(text)
        except ValueError:  # past sys.get_int_max_str_digits()
            return text
    if re.fullmatch(_FLOAT_TOKEN, text):
        return float(text)
    lowered = text.lower()
    return _WORDS[lowered] if lowered in _WORDS else text
