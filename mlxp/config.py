"""The configuration tree: ConfigDict, loading config.yaml, dotted keys, interpolation.

A ``ConfigDict`` is a plain ``dict`` (so it pickles, compares and serialises like one) whose
keys are also attributes at every level, and which prints as block YAML in the file's order.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from mlxp._layout import display_path
from mlxp._yaml import dump_yaml, dump_yaml_like, load_yaml_file
from mlxp.errors import ConfigAttributeError, ConfigFileError, ConfigKeyError, InterpolationError


class ConfigDict(dict):
    """A dict with attribute access at every level: ``cfg.optimizer.lr``.

    Nested mappings become ``ConfigDict`` and mappings inside lists too, when built or set.
    ``str(cfg)`` is block YAML in insertion order, which for a loaded file is the file's order
    (without a final newline, so that ``print(cfg)`` shows no blank line).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, _wrap(value))

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            if name.startswith("__"):  # copy/pickle probe dunders: behave like a plain object
                raise AttributeError(name) from None
            raise ConfigAttributeError(
                f"no option {name!r} in the config", key=name, suggestions=_close(name, self)
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise ConfigAttributeError(
                f"no option {name!r} in the config", key=name, suggestions=_close(name, self)
            ) from None

    def __str__(self) -> str:
        return dump_yaml(self.to_dict()).rstrip("\n") if self else "{}"

    def __repr__(self) -> str:
        return f"ConfigDict({dict.__repr__(self)})"

    def __deepcopy__(self, memo: Dict[int, Any]) -> "ConfigDict":
        return ConfigDict(_plain(self))

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def to_dict(self) -> Dict[str, Any]:
        """A deep copy made of plain dicts and lists (for YAML/JSON writers and pickling)."""
        return _plain(self)  # type: ignore[no-any-return]


def _wrap(value: Any) -> Any:
    if isinstance(value, dict) and not isinstance(value, ConfigDict):
        return ConfigDict(value)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


# --- loading -------------------------------------------------------------------------------


def config_file(config_dir: str, config_name: str = "config") -> str:
    """The path of the config file ``config_name`` (``.yaml`` added) in ``config_dir``."""
    file_name = config_name if config_name.endswith((".yaml", ".yml")) else f"{config_name}.yaml"
    return os.path.join(config_dir, file_name)


def load_config(config_dir: str, config_name: str = "config") -> ConfigDict:
    """Load ``<config_dir>/<config_name>.yaml``; a missing directory or file is created empty.

    Raises:
        ConfigFileError: the file is not valid YAML or its top level is not a mapping.
    """
    path = config_file(config_dir, config_name)
    if not os.path.exists(path):
        os.makedirs(config_dir, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
        print(
            f"mlxp: created an empty {display_path(path)}; add your default options to it",
            file=sys.stderr,
        )
        return ConfigDict()
    return ConfigDict(load_mapping(path))


def load_mapping(path: str) -> Dict[str, Any]:
    """Load a YAML file whose top level must be a mapping (an empty file is ``{}``)."""
    data = load_yaml_file(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigFileError(
            f"the top level must be a mapping of option names to values, not a {_kind(data)}",
            path=path,
            line=1,
            column=1,
        )
    return data


def _kind(value: Any) -> str:
    names: Dict[type, str] = {list: "list", str: "string"}
    return names.get(type(value), type(value).__name__)


def config_text(config: ConfigDict, source_path: Optional[str] = None) -> str:
    """What a run's ``metadata/config.yaml`` holds: ``config``, written over the file it came
    from when that file has comments, so that they are kept (``#`` costs a round trip)."""
    if source_path:
        try:
            with open(source_path, encoding="utf-8") as stream:
                source = stream.read()
        except OSError:
            source = ""
        if "#" in source:
            return dump_yaml_like(source, config.to_dict())
    return dump_yaml(config.to_dict())


# --- dotted keys ---------------------------------------------------------------------------


def iter_leaf_keys(tree: Dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Every dotted key of ``tree``, mappings included (``model``, ``model.num_units``)."""
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        yield dotted
        if isinstance(value, dict):
            yield from iter_leaf_keys(value, dotted + ".")


def _close(key: str, tree: Dict[str, Any]) -> List[str]:
    import difflib  # only on the error path: it costs a few milliseconds to import

    return difflib.get_close_matches(key, list(iter_leaf_keys(tree)), n=1, cutoff=0.6)


def closest_key(tree: Dict[str, Any], key: str) -> Optional[str]:
    """The existing dotted key most like ``key``, for "did you mean" messages."""
    matches = _close(key, tree)
    return matches[0] if matches else None


def _parts(key: str) -> List[str]:
    return key.split(".")


def _index_or_key(container: Any, part: str) -> Any:
    if isinstance(container, list) and part.lstrip("-").isdigit():
        return int(part)
    return part


def lookup(tree: Dict[str, Any], key: str) -> Tuple[bool, Any]:
    """``(found, value)`` for a dotted ``key`` (list items by index: ``layers.0``)."""
    node: Any = tree
    for part in _parts(key):
        index = _index_or_key(node, part)
        try:
            node = node[index]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, node


def _parent(tree: Dict[str, Any], key: str, create: bool) -> Tuple[Any, Any]:
    node: Any = tree
    parts = _parts(key)
    for depth, part in enumerate(parts[:-1]):
        index = _index_or_key(node, part)
        try:
            child = node[index]
            missing = False
        except (KeyError, IndexError, TypeError):
            child, missing = None, True
        if not isinstance(child, (dict, list)):
            if not (create and missing and isinstance(node, dict)):
                prefix = ".".join(parts[: depth + 1])
                raise ConfigKeyError(
                    f"cannot set {key!r}: {prefix!r} is not a mapping", key=key
                )
            child = ConfigDict()
            node[index] = child
            child = node[index]
        node = child
    return node, _index_or_key(node, parts[-1])


def assign(tree: Dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted ``key``, creating intermediate mappings."""
    parent, last = _parent(tree, key, create=True)
    try:
        parent[last] = _wrap(value)
    except (IndexError, TypeError) as error:
        raise ConfigKeyError(f"cannot set {key!r}: {error}", key=key) from error


def remove(tree: Dict[str, Any], key: str) -> None:
    """Delete a dotted ``key``; ``ConfigKeyError`` (with a suggestion) if it is missing."""
    found, _ = lookup(tree, key)
    if not found:
        raise ConfigKeyError(
            f"cannot delete {key!r}: no such option", key=key, suggestions=_close(key, tree)
        )
    parent, last = _parent(tree, key, create=False)
    del parent[last]


def merge(base: Dict[str, Any], other: Dict[str, Any]) -> None:
    """Deep-merge ``other`` into ``base`` in place: mappings merge, anything else replaces."""
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value


# --- interpolation -------------------------------------------------------------------------

_REFERENCE = re.compile(r"\$\{([^${}]*)\}")
_OPENING = re.compile(r"(\\*)\$\{")  # a '${' and the backslashes before it
_BODY = re.compile(r"([^${}]*)\}")


def resolve(tree: ConfigDict) -> ConfigDict:
    r"""Resolve every ``${a.b}``, ``${oc.env:VAR}``, ``${oc.env:VAR,default}`` and ``${env:VAR}``.

    A value that is exactly one reference takes the referenced value's type; a reference inside
    a longer text is formatted into it. ``\${...}`` is the literal text ``${...}`` and ``\\${a}``
    a backslash followed by ``a``'s value, as in OmegaConf; other backslashes are kept. Returns a
    new tree; ``tree`` is left as it was, and references are read from it, so that a resolved
    literal ``${...}`` is never resolved again.
    """
    source = ConfigDict(_plain(tree))
    resolved = ConfigDict(_plain(tree))
    for key in list(iter_leaf_keys(source)):
        _, value = lookup(source, key)
        if isinstance(value, str) and "${" in value:
            assign(resolved, key, _resolve_value(source, key, value, ()))
        elif isinstance(value, list):
            assign(resolved, key, _resolve_list(source, key, value))
    return resolved


def _resolve_list(tree: ConfigDict, key: str, items: List[Any]) -> List[Any]:
    out = []
    for position, item in enumerate(items):
        item_key = f"{key}.{position}"
        if isinstance(item, str) and "${" in item:
            item = _resolve_value(tree, item_key, item, ())
        elif isinstance(item, list):
            item = _resolve_list(tree, item_key, item)
        out.append(item)
    return out


def _resolve_value(tree: ConfigDict, key: str, text: str, seen: Sequence[str]) -> Any:
    whole = _REFERENCE.fullmatch(text)
    if whole:
        return _resolve_reference(tree, key, whole.group(1), seen)
    pieces: List[str] = []
    position = 0
    for opening in _OPENING.finditer(text):  # a reference's body holds no '$': no overlap
        slashes = len(opening.group(1))
        pieces.append(text[position:opening.start()] + "\\" * (slashes // 2))
        position = opening.end()
        if slashes % 2:  # escaped: the literal text '${'
            pieces.append("${")
            continue
        body = _BODY.match(text, position)
        if body is None:
            raise InterpolationError("unterminated '${'; close it with '}', or write \\${ for"
                                     " a literal '${'", key, text[opening.start():])
        value = _resolve_reference(tree, key, body.group(1), seen)
        pieces.append(dump_yaml(value).strip() if isinstance(value, (dict, list)) else str(value))
        position = body.end()
    pieces.append(text[position:])
    return "".join(pieces)


def _resolve_reference(tree: ConfigDict, key: str, expression: str, seen: Sequence[str]) -> Any:
    body = expression.strip()
    resolver, _, argument = body.partition(":")
    if argument and resolver in ("oc.env", "env"):
        name, comma, default = argument.partition(",")
        name = name.strip()
        if name in os.environ:
            return os.environ[name]
        if comma:  # a string, as the variable would be (OmegaConf's oc.env), or null
            default = default.strip()
            return None if default.lower() == "null" else default.strip("'\"")
        raise InterpolationError(
            f"environment variable {name!r} is not set; set it or give a default:"
            f" ${{oc.env:{name},default}}",
            key,
            f"${{{expression}}}",
        )
    if ":" in body:
        raise InterpolationError(
            f"unknown resolver {resolver!r}; known: oc.env, env", key, f"${{{expression}}}"
        )
    if body in seen or body == key:
        chain = " -> ".join([*seen, body])
        raise InterpolationError(f"circular reference ({chain})", key, f"${{{expression}}}")
    found, value = lookup(tree, body)
    if not found:
        suggestion = closest_key(tree, body)
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        raise InterpolationError(f"no option {body!r}{hint}", key, f"${{{expression}}}")
    if isinstance(value, str) and "${" in value:
        return _resolve_value(tree, body, value, [*seen, key])
    return _plain(value)


def env_sourced_keys(tree: Dict[str, Any]) -> List[str]:
    """The dotted keys of ``tree``'s values that hold an environment variable once resolved.

    A value is env-sourced when it references ``${oc.env:...}``/``${env:...}``, or another
    key that is (``auth: ${token}``), so that a secret copied around is still known as one.
    A list counts as one value. The launcher records them in ``info.yaml``
    (``config_from_env``): ``metadata/config.yaml`` holds the resolved values and nothing else
    tells where they came from.
    """
    references: Dict[str, List[str]] = {}
    for key, value in _leaf_values(tree, ""):
        text = str(value) if isinstance(value, list) else value
        if isinstance(text, str) and "${" in text:
            references[key] = [body.strip() for body in _REFERENCE.findall(text)]
    sourced: List[str] = []
    changed = True
    while changed:  # a reference to an env-sourced key makes a key env-sourced in turn
        changed = False
        for key, bodies in references.items():
            if key not in sourced and any(_reads_env(body, sourced) for body in bodies):
                sourced.append(key)
                changed = True
    return sorted(sourced)


def _leaf_values(tree: Dict[str, Any], prefix: str) -> Iterator[Tuple[str, Any]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaf_values(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _reads_env(body: str, sourced: List[str]) -> bool:
    resolver, colon, _ = body.partition(":")
    if colon:
        return resolver in ("oc.env", "env")
    return any(body == key or body.startswith(key + ".") or key.startswith(body + ".")
               for key in sourced)
