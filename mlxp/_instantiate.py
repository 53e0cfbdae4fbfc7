"""``mlxp.instantiate``: build the objects a config describes with ``_target_`` nodes.

Hydra users write ``model: {_target_: mypkg.Net, width: 64}`` and call ``instantiate``; this
module gives the same semantics (``_args_``, ``_partial_``, ``_recursive_``, ``_convert_``, call
keywords merged over the config) on mlxp's ``ConfigDict``. Modules are imported only when a
node is built; errors name the node's key and the import path.
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any, Dict, List, Sequence, Tuple

from mlxp.config import ConfigDict
from mlxp.errors import InstantiationError

__all__ = ["instantiate"]

TARGET, ARGS, PARTIAL, RECURSIVE, CONVERT = ("_target_", "_args_", "_partial_", "_recursive_",
                                             "_convert_")
#: keys of a ``_target_`` node that steer the build and are not passed to the target
_FLAGS = (TARGET, PARTIAL, RECURSIVE, CONVERT)
#: Hydra's ``_convert_`` values; mlxp has no structured configs, so the last three agree
_CONVERT_MODES = ("none", "partial", "object", "all")


def instantiate(config: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Build what ``config`` describes: ``config._target_`` called with the other keys.

    Args:
        config: a mapping with ``_target_`` (the dotted import path of a class or function),
            a mapping without one (its ``_target_`` nodes are built, the rest kept), a list
            (each item built), or None (returned as is). ``_args_`` holds positional
            arguments; ``_partial_: true`` returns a ``functools.partial`` instead of calling;
            ``_recursive_: false`` passes nested nodes unbuilt; ``_convert_: all`` (or
            ``partial``, ``object``) passes mappings as plain ``dict`` instead of ``ConfigDict``.
        args: positional arguments; when given they replace ``_args_``.
        kwargs: keyword arguments merged over the config's keys (mappings merge key by key),
            so a value only known at run time (``params=model.parameters()``) can be passed.

    Returns:
        What the target returned, or for a mapping without ``_target_`` a ``ConfigDict`` (a
        ``dict`` with ``_convert_``), for a list a list.

    Raises:
        InstantiationError: a target that cannot be imported or is not callable, a misused
            ``_args_``/``_partial_``/``_recursive_``/``_convert_``, or a target that raised (the
            target's own exception is chained as ``__cause__``, with its traceback).
    """
    if config is None:
        return None
    if isinstance(config, dict):
        node = _merged(config, kwargs)
        flags = {flag: node.pop(flag) for flag in (RECURSIVE, CONVERT, PARTIAL) if flag in node}
        if args and TARGET not in node:
            raise InstantiationError(
                f"positional arguments were given but the node has no {TARGET} to pass them to",
                key=TARGET)
        return _build_node(node, "", args, _recursive(flags, True, ""),
                           _convert(flags, "none", ""), _partial(flags, ""))
    if isinstance(config, (list, tuple)):
        flags = {flag: kwargs.pop(flag) for flag in (RECURSIVE, CONVERT, PARTIAL) if flag in kwargs}
        if _partial(flags, ""):
            raise InstantiationError(f"{PARTIAL}=True cannot apply to a list; set it in the"
                                     " items that should be partial", key=PARTIAL)
        if args or kwargs:
            raise InstantiationError(
                "arguments were given with a list; a list has no target to pass them to:"
                " build its items one by one", key="")
        return _build(list(config), "", _recursive(flags, True, ""), _convert(flags, "none", ""))
    raise InstantiationError(
        f"mlxp.instantiate takes a config mapping or list, not {type(config).__name__}"
        f" {config!r}", key="")


def _build(value: Any, key: str, recursive: bool, convert: str) -> Any:
    """``value`` with every ``_target_`` node in it built, children of a node being built."""
    if isinstance(value, dict):
        return _build_node(value, key, (), recursive, convert, partial=False)
    if isinstance(value, list):
        return [_build(item, _join(key, str(index)), recursive, convert)
                for index, item in enumerate(value)]
    return value


def _build_node(node: Dict[str, Any], key: str, args: Tuple[Any, ...], recursive: bool,
                convert: str, partial: bool) -> Any:
    # a node's own flags win over what its parent passed down (partial is never inherited)
    recursive = _recursive(node, recursive, key)
    convert = _convert(node, convert, key)
    partial = _partial(node, key) if PARTIAL in node else partial
    if TARGET not in node:  # kept, its children built (even with _recursive_: false, as Hydra)
        built = {name: _build(value, _join(key, str(name)), recursive, convert)
                 for name, value in node.items()}
        return built if convert != "none" else _config_dict(built)
    target_key = _join(key, TARGET)
    target = _locate(node[TARGET], target_key)
    keywords: Dict[str, Any] = {}
    for name, value in node.items():
        if name in _FLAGS:
            continue
        if recursive:
            value = _build(value, _join(key, str(name)), recursive, convert)
        keywords[name] = _converted(value) if convert != "none" else value
    positional = keywords.pop(ARGS, [])
    if not isinstance(positional, (list, tuple)):
        raise InstantiationError(
            f"{_join(key, ARGS)} must be a list of positional arguments, not"
            f" {type(positional).__name__} {positional!r}", key=_join(key, ARGS))
    return _call(target, tuple(args or positional), keywords, partial, target_key,
                 _name(node[TARGET]))


def _call(target: Any, args: Tuple[Any, ...], keywords: Dict[str, Any], partial: bool,
          key: str, name: str) -> Any:
    if partial:
        return functools.partial(target, *args, **keywords)
    try:
        return target(*args, **keywords)
    except Exception as error:  # the user's own: chained below, with its traceback
        raise InstantiationError(
            f"{key}: {name}(...) raised {type(error).__name__}: {error}", key=key, target=name,
        ) from error


# --- flags ----------------------------------------------------------------------------------


def _recursive(flags: Dict[str, Any], inherited: bool, key: str) -> bool:
    return _boolean(flags, RECURSIVE, inherited, key)


def _partial(flags: Dict[str, Any], key: str) -> bool:
    return _boolean(flags, PARTIAL, False, key)


def _boolean(flags: Dict[str, Any], flag: str, default: bool, key: str) -> bool:
    value = flags.get(flag, default)
    if not isinstance(value, bool):
        raise InstantiationError(f"{_join(key, flag)} must be true or false, not {value!r}",
                                 key=_join(key, flag))
    return value


def _convert(flags: Dict[str, Any], inherited: str, key: str) -> str:
    value = flags.get(CONVERT, inherited)
    mode = str(getattr(value, "value", value)).lower()  # Hydra's ConvertMode enum, or its name
    if mode not in _CONVERT_MODES:
        raise InstantiationError(
            f"{_join(key, CONVERT)} must be one of {', '.join(_CONVERT_MODES)}, not {value!r}",
            key=_join(key, CONVERT))
    return mode


# --- values ---------------------------------------------------------------------------------


def _merged(config: Dict[str, Any], overrides: Dict[str, Any]) -> ConfigDict:
    """A copy of ``config`` with ``overrides`` merged in: mappings key by key, anything else
    replaced. Containers are copied, other values passed by reference (a model, a tensor)."""
    merged = _copied(config)
    for name, value in overrides.items():
        current = merged.get(name)
        if isinstance(current, dict) and isinstance(value, dict):
            dict.__setitem__(merged, name, _merged(current, value))
        else:
            dict.__setitem__(merged, name, _copied(value))
    return merged  # type: ignore[no-any-return]


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return _config_dict({name: _copied(item) for name, item in value.items()})
    if isinstance(value, (list, tuple)):
        return [_copied(item) for item in value]
    return value


def _config_dict(items: Dict[str, Any]) -> ConfigDict:
    """A ConfigDict holding ``items`` as they are: built objects that happen to be dicts (an
    ``OrderedDict`` a target returned) are not turned into ConfigDicts."""
    node = ConfigDict()
    for name, value in items.items():
        dict.__setitem__(node, name, value)
    return node


def _converted(value: Any) -> Any:
    """``_convert_: all``: config mappings become plain dicts; built objects stay as they are."""
    if isinstance(value, ConfigDict):
        return {name: _converted(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_converted(item) for item in value]
    return value


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


# --- targets --------------------------------------------------------------------------------


def _name(target: Any) -> str:
    if isinstance(target, str):
        return target
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', target)}"


def _locate(target: Any, key: str) -> Any:
    """The callable that ``target`` (a dotted import path, or already a callable) names."""
    if not isinstance(target, str):
        if callable(target):
            return target
        raise InstantiationError(
            f"{key} must be the dotted import path of a class or function, such as"
            f" torch.nn.Linear, not {type(target).__name__} {target!r}", key=key, target=target)
    parts = target.split(".")
    if not all(part.isidentifier() for part in parts):
        raise InstantiationError(
            f"{key}: {target!r} is not a dotted import path such as mypkg.models.Net"
            " (relative paths are not supported)", key=key, target=target)
    found = _import(parts[0], target, key)
    for depth, part in enumerate(parts[1:], start=1):
        found = _attribute(found, parts[:depth], part, target, key)
    if not callable(found):
        raise InstantiationError(
            f"{key}: {target!r} is a {type(found).__name__}, not a class or function; _target_"
            " names something to call", key=key, target=target)
    return found


def _attribute(parent: Any, path: List[str], part: str, target: str, key: str) -> Any:
    """``parent.part``, importing the submodule ``path.part`` when ``parent`` is a package."""
    if hasattr(parent, part):
        return getattr(parent, part)
    owner = ".".join(path)
    if hasattr(parent, "__path__"):  # a package: the name may be a submodule not yet imported
        module = _import(f"{owner}.{part}", target, key, missing_ok=True)
        if module is not None:
            return module
    raise InstantiationError(
        f"{key}: cannot import {target!r}: {owner!r} has no attribute {part!r}", key=key,
        target=target, suggestions=_close(part, _names_in(parent)))


def _import(module: str, target: str, key: str, missing_ok: bool = False) -> Any:
    """The module, None if it does not exist and ``missing_ok``; an error that names the
    key otherwise. A module that exists but fails to import keeps its own error as cause."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != module:  # the module exists; something it imports does not
            raise _import_failed(module, target, key, error) from error
        if missing_ok:
            return None
        raise InstantiationError(
            f"{key}: cannot import {target!r}: there is no module {module!r} (is it installed,"
            " or its directory on sys.path?)", key=key, target=target,
            suggestions=_close(module, _top_level_modules())) from None
    except Exception as error:  # the user's module raised while it was imported
        raise _import_failed(module, target, key, error) from error


def _import_failed(module: str, target: str, key: str, error: Exception) -> InstantiationError:
    return InstantiationError(
        f"{key}: importing {module!r} for {target!r} raised {type(error).__name__}: {error}",
        key=key, target=target)


def _names_in(parent: Any) -> List[str]:
    names = [name for name in dir(parent) if not name.startswith("_")]
    if hasattr(parent, "__path__"):
        import pkgutil  # only on this error path

        names += [info.name for info in pkgutil.iter_modules(parent.__path__)]
    return names


def _top_level_modules() -> List[str]:
    import pkgutil  # only on this error path

    return [*sys.builtin_module_names, *(info.name for info in pkgutil.iter_modules())]


def _close(name: str, candidates: Sequence[str]) -> List[str]:
    import difflib  # only on the error path

    return difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
