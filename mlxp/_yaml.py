"""The only importer of yaml and ruamel.yaml: YAML 1.2 typing, fast loads, block dumps.

ML configs are written with YAML 1.2 in mind (``1e-3`` is a float, ``yes`` is a word), while
PyYAML resolves YAML 1.1. The loader and dumper here swap in YAML 1.2 core-schema resolvers and
keep PyYAML's C parser, so loading a config costs tens of microseconds, not hundreds.
"""

from __future__ import annotations

import math
import re
from typing import Any, Dict, Optional

import yaml

from mlxp.errors import ConfigFileError

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_CORE_RESOLVERS = (
    ("tag:yaml.org,2002:null", _NULL, "~nN"),
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789."),
)


def _core_resolvers() -> Dict[Optional[str], list]:
    table: Dict[Optional[str], list] = {}
    for tag, pattern, first_chars in _CORE_RESOLVERS:
        for char in list(first_chars) + ([""] if tag.endswith("null") else []):
            table.setdefault(char, []).append((tag, pattern))
    return table


def resolve_scalar(text: str) -> Any:
    """Type an unquoted scalar the way a YAML 1.2 config would (``1e-3`` -> 0.001, ``yes`` -> 'yes')."""
    if not text or len(text) > 64:  # long texts are words: skip the regexes
        return None if text == "" else text
    first = text[0]
    if first in "~nN" and _NULL.match(text):
        return None
    if first in "tTfF" and _BOOL.match(text):
        return text[0] in "tT"
    if first in "-+0123456789.":
        if _INT.match(text):
            if text.startswith("0o"):
                return int(text[2:], 8)
            if text.startswith("0x"):
                return int(text[2:], 16)
            return int(text)
        if _FLOAT.match(text):
            lowered = text.lower()
            if lowered.endswith("inf"):
                return -math.inf if lowered.startswith("-") else math.inf
            if lowered.endswith("nan"):
                return math.nan
            return float(text)
    return text


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """PyYAML's (C) safe loader with YAML 1.2 scalars and duplicate keys refused."""

    yaml_implicit_resolvers = _core_resolvers()

    def construct_mapping(self, node: Any, deep: bool = False) -> Dict[Any, Any]:
        seen: Dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                mark = key_node.start_mark
                raise ConfigFileError(
                    f"duplicate key {key!r} (first defined on line {seen[key].line + 1});"
                    " remove one of them",
                    path=getattr(self, "source_path", mark.name),
                    line=mark.line + 1,
                    column=mark.column + 1,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _construct_scalar_12(loader: Any, node: Any) -> Any:
    return resolve_scalar(loader.construct_scalar(node))


for _tag in ("null", "bool", "int", "float"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct_scalar_12)
_Loader.add_constructor(
    "tag:yaml.org,2002:map", lambda loader, node: loader.construct_mapping(node, deep=True)
)

_PLAIN_PROBLEMS = (
    ("found character that cannot start any token", "a tab character", "tab characters cannot"
     " indent YAML; use spaces"),
    ("did not find expected ',' or ']'", "", "unterminated list: a '[' is missing its ']'"),
    ("did not find expected ',' or '}'", "", "unterminated mapping: a '{' is missing its '}'"),
    ("mapping values are not allowed", "", "unexpected ':'; quote the value if it contains"
     " ': ', or fix the indentation"),
    ("found unexpected end of stream", "", "unterminated quoted string"),
)


def _explain(error: yaml.MarkedYAMLError, text: str) -> str:
    problem = error.problem or "invalid YAML"
    mark = error.problem_mark
    for known, needs, plain in _PLAIN_PROBLEMS:
        if problem.startswith(known):
            if needs == "a tab character":
                line = text.splitlines()[mark.line] if mark and mark.line < len(
                    text.splitlines()) else ""
                if "\t" not in line[: mark.column + 1]:
                    break
            return plain
    return problem


def load_yaml(text: str, path: str = "<string>") -> Any:
    """Parse YAML text with YAML 1.2 scalars; errors name ``path:line:column``."""
    try:
        loader = _Loader(text)
        loader.source_path = path
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise ConfigFileError(_explain(error, text), path=path, line=line, column=column) from error
    except yaml.YAMLError as error:
        raise ConfigFileError(str(error), path=path) from error


def load_yaml_file(path: str) -> Any:
    """Read and parse one YAML file (see ``load_yaml``)."""
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except UnicodeDecodeError as error:
        raise ConfigFileError("not UTF-8 text", path=path) from error
    return load_yaml(text, path)


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Block-style dumper that quotes any string YAML 1.1 *or* 1.2 would read as non-string."""

    yaml_implicit_resolvers = {
        key: list(value) for key, value in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }


for _char, _pairs in _core_resolvers().items():
    _Dumper.yaml_implicit_resolvers.setdefault(_char, []).extend(_pairs)


def _represent_mapping(dumper: Any, data: Any) -> Any:
    return dumper.represent_dict(data)


_Dumper.add_multi_representer(dict, _represent_mapping)


def _represent_float(dumper: Any, data: float) -> Any:
    if data != data:
        text = ".nan"
    elif data in (math.inf, -math.inf):
        text = ".inf" if data > 0 else "-.inf"
    else:
        text = repr(data)
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_Dumper.add_representer(float, _represent_float)


def dump_yaml(data: Any) -> str:
    """Block YAML in the mapping's own key order, readable back by ``load_yaml``."""
    return yaml.dump(  # type: ignore[no-any-return]
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )


def dump_yaml_like(source_text: str, data: Dict[str, Any]) -> str:
    """``data`` written over ``source_text``: its comments, order and spelling kept.

    Values that did not change keep the file's own text (``lr: 10.``, ``'cpu'``); changed
    and new ones are written fresh. ruamel.yaml does the round trip, imported only here.
    """
    from ruamel.yaml import YAML

    round_trip = YAML()
    round_trip.width = 1_000_000
    round_trip.preserve_quotes = True
    tree = round_trip.load(source_text)
    if not isinstance(tree, dict):
        return dump_yaml(data)
    _update_in_place(tree, data)
    import io

    stream = io.StringIO()
    round_trip.dump(tree, stream)
    return stream.getvalue()


def _update_in_place(tree: Any, data: Dict[str, Any]) -> None:
    for key in [key for key in tree if key not in data]:
        del tree[key]
    for key, value in data.items():
        current = tree.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _update_in_place(current, value)
        elif key not in tree or current != value or isinstance(current, bool) != isinstance(
                value, bool):  # 1 == True, yet they are different options
            tree[key] = value

