"""The only importer of yaml and ruamel.yaml: fast loads typed as MLXP types them, block dumps.

The loader keeps PyYAML's C parser and types scalars by the table of ``mlxp._scalars`` (as
OmegaConf's loader, which MLXP reads ``config.yaml`` with), so a config loads in microseconds.
"""

from __future__ import annotations

import functools
import math
import os
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

import yaml

from mlxp._scalars import MERGE_TAG, type_in_file, yaml_types
from mlxp.errors import ConfigFileError

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _resolvers() -> Dict[Optional[str], list]:
    """PyYAML's ``yaml_implicit_resolvers`` for ``yaml_types()``: first character -> [(tag,
    pattern)]."""
    table: Dict[Optional[str], list] = {}
    for tag, pattern, first_chars, _ in yaml_types():
        for char in first_chars:
            table.setdefault(char, []).append((tag, pattern))
    return table


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """PyYAML's (C) safe loader typing as MLXP does (through ``_typed_loader()``); duplicate
    and complex keys refused."""

    source_path = "<string>"

    def construct_mapping(self, node: Any, deep: bool = False) -> Dict[Any, Any]:
        seen: Dict[Any, Any] = {}
        for key_node, _ in node.value:
            mark = key_node.start_mark
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigFileError(
                    "a key must be a plain value, not a list or a mapping; write it as a"
                    " string", path=self.source_path, line=mark.line + 1,
                    column=mark.column + 1)
            if key_node.tag == MERGE_TAG:  # merged keys may be overridden: not duplicates
                continue
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                first_mark, first_text = seen[key]
                why = (f"duplicate key {key!r} (first defined on line {first_mark.line + 1});"
                       " remove one of them" if first_text == key_node.value else
                       f"duplicate key {key_node.value!r}: read as {key!r}, as is {first_text!r}"
                       f" on line {first_mark.line + 1}; quote both to keep them apart, or"
                       " remove one")
                raise ConfigFileError(why, path=self.source_path, line=mark.line + 1,
                                      column=mark.column + 1)
            seen[key] = (mark, key_node.value)
        return super().construct_mapping(node, deep=deep)


def _constructor(convert: Callable[[str], Any]) -> Callable[[Any, Any], Any]:
    return lambda loader, node: convert(loader.construct_scalar(node))


_Loader.add_constructor(
    "tag:yaml.org,2002:map", lambda loader, node: loader.construct_mapping(node, deep=True)
)


@functools.lru_cache(maxsize=None)
def _typed_loader() -> Any:
    """``_Loader`` typing by ``yaml_types()``, made on the first load: ``import mlxp`` then
    compiles no pattern."""
    _Loader.yaml_implicit_resolvers = _resolvers()
    for tag, _, _, convert in yaml_types():  # merge: ``x: <<`` is the text
        _Loader.add_constructor(tag, _constructor(convert))
    return _Loader

# --- limits: what a malicious or broken file cannot make mlxp do ---------------------------

#: the environment variable that raises the bound on values reached through aliases.
ALIAS_LIMIT_ENV = "MLXP_YAML_MAX_ALIAS_NODES"
#: values a document may reach through aliases (``*name``, ``<<: *name``) beyond its own.
DEFAULT_ALIAS_LIMIT = 100_000
#: how deep lists and mappings may nest, in a file and in an override value.
MAX_NESTING = 100


def alias_limit() -> int:
    """The bound on alias expansion: ``$MLXP_YAML_MAX_ALIAS_NODES`` or 100,000."""
    text = os.environ.get(ALIAS_LIMIT_ENV, "")
    try:
        return max(int(text), 0) if text.strip() else DEFAULT_ALIAS_LIMIT
    except ValueError:
        return DEFAULT_ALIAS_LIMIT


def _may_exceed_limits(text: str) -> bool:
    """False when ``text`` has no alias and too few ``: [ { - ?`` to nest past the limit:
    the common case, which then skips the walk over the node graph."""
    return "*" in text or sum(text.count(char) for char in ":[{-?") > MAX_NESTING


def _children(node: Any) -> List[Any]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_node_graph(root: Any, path: str) -> None:
    """Refuse a node graph whose aliases expand past ``alias_limit()`` values (an alias bomb
    turns 300 bytes into billions of values), that refers to itself, or nests too deep.

    The graph is what the parser built: an alias is the anchored node shared, so counting
    its expanded size with one visit per node costs no more than the file's own size. The
    recursion stops at ``MAX_NESTING`` levels, far below Python's own limit.
    """
    sizes: Dict[int, int] = {}  # id of a list or mapping node -> its expanded size; -1: open
    distinct = [0]

    def expanded_size(node: Any, depth: int) -> int:
        if type(node) is yaml.ScalarNode:
            distinct[0] += 1
            return 1
        key = id(node)
        known = sizes.get(key)
        if known is not None:
            if known < 0:
                _fail_at(node, path, "an alias refers to the mapping or list it is in, which"
                                     " would make the value infinite; remove the alias")
            return known
        if depth > MAX_NESTING:
            _fail_at(node, path, _TOO_DEEP)
        sizes[key] = -1
        distinct[0] += 1
        total = 1
        for child in _children(node):
            total += expanded_size(child, depth + 1)
        sizes[key] = total
        return total

    limit = alias_limit()
    if expanded_size(root, 1) - distinct[0] > limit:
        node = root
        while True:  # point at the innermost node whose expansion crosses the limit
            bigger = [child for child in _children(node) if sizes.get(id(child), 1) > limit]
            if not bigger:
                break
            node = bigger[0]
        _fail_at(node, path, f"aliases here expand to {sizes[id(node)]:,} values, more than the"
                             f" {limit:,} allowed; write the values out, or raise the bound"
                             f" with the environment variable {ALIAS_LIMIT_ENV}")


def _fail_at(node: Any, path: str, reason: str) -> None:
    mark = node.start_mark
    raise ConfigFileError(reason, path=path, line=mark.line + 1, column=mark.column + 1)


# --- errors --------------------------------------------------------------------------------

_TAB = "tab characters cannot indent YAML; use spaces"
_TOO_DEEP = f"lists and mappings nest deeper than {MAX_NESTING} levels; flatten the structure"
_PLAIN_PROBLEMS = (
    ("found character that cannot start any token", "a tab character", _TAB),
    ("found a tab character that violates indentation", "", _TAB),
    ("found a tab character where an indentation space is expected", "", _TAB),
    ("did not find expected ',' or ']'", "", "unterminated list: a '[' is missing its ']'"),
    ("did not find expected ',' or '}'", "", "unterminated mapping: a '{' is missing its '}'"),
    ("mapping values are not allowed", "", "unexpected ':'; quote the value if it contains"
     " ': ', or fix the indentation"),
    ("exceeded maximum nesting depth", "", _TOO_DEEP),
    ("found unknown escape character", "", "unknown backslash escape in a double-quoted string;"
     " write \\\\ for a backslash, or use single quotes"),
)
# Problems reported at the end of the file whose cause is where an open construct started.
_OPENED_AT_CONTEXT = (
    ("while scanning a quoted scalar", "unterminated quoted string: the quote opened here is"
     " never closed"),
)


def _explain(error: yaml.MarkedYAMLError, text: str) -> Tuple[str, Any]:
    """A plain-words reason for ``error``, and the mark it is about."""
    problem = error.problem or "invalid YAML"
    mark = error.problem_mark
    for context, plain in _OPENED_AT_CONTEXT:
        if (error.context or "").startswith(context) and error.context_mark is not None:
            return plain, error.context_mark
    for known, needs, plain in _PLAIN_PROBLEMS:
        if problem.startswith(known):
            if needs == "a tab character":
                lines = text.splitlines()
                line = lines[mark.line] if mark and mark.line < len(lines) else ""
                if "\t" not in line[: mark.column + 1]:
                    break
            return plain, mark
    return problem, mark or error.context_mark


def load_yaml(text: str, path: str = "<string>") -> Any:
    """Parse YAML text, typed as MLXP types it (``type_in_file``); errors name
    ``path:line:column``.

    Raises:
        ConfigFileError: the text is not valid YAML, has a complex or duplicate key, nests
            deeper than ``MAX_NESTING`` or expands its aliases past ``alias_limit()``.
    """
    try:
        loader = _typed_loader()(text)
        loader.source_path = path
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            if _may_exceed_limits(text):
                _check_node_graph(root, path)
            return loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        reason, mark = _explain(error, text)
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise ConfigFileError(reason, path=path, line=line, column=column) from error
    except yaml.YAMLError as error:
        raise ConfigFileError(str(error), path=path) from error


def load_yaml_file(path: str) -> Any:
    """Read and parse one YAML file (see ``load_yaml``).

    Raises:
        ConfigFileError: also when ``path`` is a directory or not UTF-8 text.
        OSError: ``path`` cannot be read (``FileNotFoundError`` when it is missing).
    """
    return load_yaml(read_yaml_text(path), path)


def read_yaml_text(path: str) -> str:
    """The text of a YAML file.

    Raises:
        ConfigFileError: ``path`` is a directory or not UTF-8 text.
        OSError: ``path`` cannot be read.
    """
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except UnicodeDecodeError as error:
        raise ConfigFileError("not UTF-8 text", path=path) from error
    except IsADirectoryError as error:
        raise ConfigFileError("is a directory, not a YAML file; remove or rename it",
                              path=path) from error


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Block-style dumper that quotes any string a YAML reader might type: ours, PyYAML's
    YAML 1.1 and the YAML 1.2 core schema (``'yes'``, ``'1e-3'``, ``'0o17'``, ``'2024-01-01'``),
    so that the files read back the same everywhere (through ``_typed_dumper()``)."""


_CORE_12 = (  # YAML 1.2 core-schema spellings not covered above (https://yaml.org/spec/1.2.2/)
    ("tag:yaml.org,2002:int", r"^(?:0o[0-7]+|[-+]?[0-9]+)$", "0123456789-+"),
    ("tag:yaml.org,2002:float", r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$",
     "-+0123456789."),
)


@functools.lru_cache(maxsize=None)
def _typed_dumper() -> Any:
    """``_Dumper`` with every resolver it quotes by, made on the first dump."""
    table = {key: list(value)
             for key, value in yaml.resolver.Resolver.yaml_implicit_resolvers.items()}
    for char, pairs in _resolvers().items():
        table.setdefault(char, []).extend(pairs)
    for tag, pattern, first_chars in _CORE_12:
        for char in first_chars:
            table.setdefault(char, []).append((tag, re.compile(pattern)))
    _Dumper.yaml_implicit_resolvers = table
    return _Dumper


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
        Dumper=_typed_dumper(),
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
            tree[_quoted_if_typed(key)] = _quoted_if_typed(value)


def _quoted_if_typed(value: Any) -> Any:
    """``value`` with each string that ``load_yaml`` would type (``'yes'``, ``'1:30'``) marked
    for quotes: ruamel.yaml quotes by YAML 1.2 rules, which leave those plain."""
    if isinstance(value, str):
        if isinstance(type_in_file(value), str):
            return value
        from ruamel.yaml.scalarstring import SingleQuotedScalarString

        return SingleQuotedScalarString(value)
    if isinstance(value, dict):
        return {_quoted_if_typed(key): _quoted_if_typed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_quoted_if_typed(item) for item in value]
    return value


def list_item_lines(text: str, key: str) -> Tuple[Optional[int], List[int]]:
    """The 1-based line of the top-level ``key`` in YAML ``text`` and of each item of its list,
    so that an error about one item (a defaults entry) can name its line. Parsed only as far
    as the node graph; ``(None, [])`` when there is no such key."""
    try:
        root = yaml.compose(text, Loader=_BaseLoader)
    except yaml.YAMLError:
        return None, []
    if not isinstance(root, yaml.MappingNode):
        return None, []
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            items = value_node.value if isinstance(value_node, yaml.SequenceNode) else []
            return key_node.start_mark.line + 1, [item.start_mark.line + 1 for item in items]
    return None, []
