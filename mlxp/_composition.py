"""Composing a config from its defaults list and the command line's group overrides.

``GroupComposer`` tells group overrides (``model=vit``: ``configs/model/`` is a directory) from
value overrides, and composes each distinct group selection once: a sweep of 10,000 points over
a few groups composes a handful of configs, and each point copies one.
"""

from __future__ import annotations

import collections
import copy
import os
import sys
from typing import Any, Dict, Iterable, List, Optional, Tuple

from mlxp._defaults import DefaultsTree, Entry, GroupSelection, Node
from mlxp._groups import ConfigRepository
from mlxp._layout import display_path
from mlxp.config import ConfigDict, config_file, merge
from mlxp.errors import ConfigGroupError
from mlxp.overrides import Override, split_package

SETTINGS_PREFIX = "mlxp."
DEFAULT_CONFIG = "config"
#: distinct group selections kept composed; a sweep over more composes some again
CACHE_SIZE = 256


class Composition:
    """A composed config (``${...}`` as written) and how it was made.

    Attributes:
        config: the options, before value overrides.
        choices: the option of each group (``{"model": "vit", "model/backbone": "small"}``),
            what Hydra calls ``hydra.runtime.choices``.
        tree: the defaults tree, for ``--info defaults``.
        has_references: whether some value holds a ``${...}`` to resolve.
    """

    __slots__ = ("config", "choices", "tree", "has_references")

    def __init__(self, config: Dict[str, Any], choices: Dict[str, Optional[str]],
                 tree: DefaultsTree) -> None:
        self.config = config
        self.choices = choices
        self.tree = tree
        self.has_references = mentions_reference(config)


def mentions_reference(value: Any) -> bool:
    """True when ``value`` holds a ``${...}`` somewhere: resolving it would change it."""
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(mentions_reference(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(mentions_reference(item) for item in value)
    return False


class GroupComposer:
    """Composes ``config_name`` in ``config_dir`` under group selections, with a cache."""

    def __init__(self, config_dir: str, config_name: str = DEFAULT_CONFIG) -> None:
        self.repo = ConfigRepository(config_dir)
        self.primary = config_name[:-len(".yaml")] if config_name.endswith(".yaml") else \
            config_name[:-len(".yml")] if config_name.endswith(".yml") else config_name
        self.source = config_file(config_dir, config_name)
        self._check_primary(config_dir, config_name)
        self._cache: "collections.OrderedDict[Tuple[str, ...], Composition]" = \
            collections.OrderedDict()
        self._groups: Dict[str, bool] = {}

    def _check_primary(self, config_dir: str, config_name: str) -> None:
        """The default ``config.yaml`` is created empty when missing (the quick start's
        promise); any other missing name is a typo, and nothing is created for it."""
        if self.repo.file_path(self.primary) is not None:
            return
        if config_name == DEFAULT_CONFIG:
            os.makedirs(config_dir, exist_ok=True)
            with open(self.source, "a", encoding="utf-8"):
                pass
            print(f"mlxp: created an empty {display_path(self.source)}; add your default"
                  " options to it", file=sys.stderr)
            return
        import difflib  # only on the error path: it costs milliseconds to import

        existing = [path for path in self.repo.all_configs() if path != "mlxp"]
        close = difflib.get_close_matches(self.primary, existing, n=3)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        raise ConfigGroupError(
            f"--config-name {config_name!r}: no {display_path(self.source)}{hint}; the configs"
            f" in {display_path(config_dir)} are: {_listed(existing)}",
            group=None)

    def is_group_override(self, override: Override) -> bool:
        """True when ``override`` picks a group's option: its key names a group directory
        (``model``, ``model/backbone``, ``model@encoder``) and its value is not a mapping."""
        key = override.key
        if key.startswith(SETTINGS_PREFIX):
            return False
        group, _ = split_package(key)
        if group not in self._groups:
            self._groups[group] = self.repo.is_group(group)
        if not self._groups[group]:
            return False
        return not (override.values and isinstance(override.values[0], dict))

    def group_options(self, key: str) -> Optional[List[str]]:
        """The options of the group a key names (``model``, ``model@encoder``), None when it
        names no group: what ``glob()`` selects from (``mlxp.sweep.expand_sweep``)."""
        group, _ = split_package(key)
        if key.startswith(SETTINGS_PREFIX) or not self.repo.is_group(group):
            return None
        return self.repo.options(group)

    def split(self, point: Iterable[Override]) -> Tuple[Tuple[Override, ...], List[Override]]:
        """The point's group overrides and its value overrides, each in the point's order."""
        groups: List[Override] = []
        values: List[Override] = []
        for override in point:
            (groups if self.is_group_override(override) else values).append(override)
        return tuple(groups), values

    def compose(self, group_overrides: Tuple[Override, ...]) -> Composition:
        """The config of one group selection, composed once and kept (see ``CACHE_SIZE``).

        The caller gets the cached object: copy ``config`` before changing it.

        Raises:
            ConfigGroupError: an unknown group or option, a cycle, a group chosen twice, ...
        """
        key = tuple(override.text for override in group_overrides)  # cheaper to hash
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        tree = DefaultsTree(self.repo, self.primary, _selection(group_overrides))
        config: Dict[str, Any] = {}
        for step in tree.merges:
            loaded = self.repo.load(step.config_path)
            assert loaded is not None  # the tree holds only configs it loaded
            merge(config, _at_package(copy.deepcopy(loaded.content), step.package))
        composition = Composition(config, tree.choices, tree)
        self._cache[key] = composition
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return composition

    def compose_config(self, group_overrides: Tuple[Override, ...]) -> ConfigDict:
        """A fresh copy of the composed config of one selection, the caller's to change."""
        return copy_config(self.compose(group_overrides).config)


def copy_config(tree: Dict[str, Any]) -> ConfigDict:
    """A deep copy of a tree of plain dicts and lists as a ``ConfigDict``, made directly: a
    sweep makes one per point, and ``ConfigDict(tree)`` checks every value on the way."""
    copied = ConfigDict()
    for key, value in tree.items():
        dict.__setitem__(copied, key, _copied(value))
    return copied


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return copy_config(value)
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def _listed(names: List[str], limit: int = 20) -> str:
    shown = ", ".join(names[:limit]) or "none"
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _at_package(content: Dict[str, Any], package: str) -> Dict[str, Any]:
    for part in reversed(package.split(".") if package else ()):
        content = {part: content}
    return content


def _option(override: Override) -> str:
    value = override.value
    if isinstance(value, str):
        return value
    if value is None:
        raise ConfigGroupError(f"{override.text}: a group's option is a name; to choose no"
                               f" option of {override.key!r} write ~{override.key}",
                               group=override.key.partition("@")[0])
    return override.text.partition("=")[2]  # model=1 chooses model/1.yaml


def _selection(overrides: Iterable[Override]) -> GroupSelection:
    selection = GroupSelection()
    for override in overrides:
        group, package = split_package(override.key)
        if override.kind == "delete":
            selection.deletions[override.key] = _option(override) if override.values else None
        elif override.kind == "add":
            selection.appends.append(Entry("group", group, _option(override), package,
                                           appended=True))
        elif override.kind == "force":
            raise ConfigGroupError(f"{override.text}: ++ does not apply to config groups; write"
                                   f" {override.key}=OPTION to change the option of a group in"
                                   f" the defaults list, +{override.key}=OPTION to add it",
                                   group=group)
        else:
            selection.choices[override.key] = _option(override)
    return selection


# --- --info defaults ---------------------------------------------------------------------------


def format_defaults_list(tree: DefaultsTree) -> str:
    """The configs in merge order, with their package and parent (Hydra's ``--info defaults``)."""
    rows = [("Config path", "Package", "_self_", "Parent")]
    rows += [(step.config_path, step.package, str(step.is_self), step.parent or "<root>")
             for step in tree.merges]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |"
             for row in rows]
    rule = "-" * len(lines[0])
    return "\n".join(["Defaults List", "*************", lines[0], rule, *lines[1:], rule])


def format_defaults_tree(tree: DefaultsTree) -> str:
    """The defaults tree, indented, each config under the one whose list names it."""
    lines = ["Defaults Tree", "*************", "<root>:"]
    _tree_lines(tree.root, 1, lines)
    return "\n".join(lines)


def _tree_lines(node: Node, depth: int, lines: List[str]) -> None:
    indent = "  " * depth
    label = _label(node)
    if not node.children:
        lines.append(indent + label)
        return
    lines.append(f"{indent}{label}:")
    for child in node.children:
        if child.entry is not None and child.entry.kind == "self":
            lines.append(f"{indent}  _self_")
        else:
            _tree_lines(child, depth + 1, lines)


def _label(node: Node) -> str:
    if node.key is None:
        return node.config_path
    option = "null" if node.option is None else node.option
    deleted = " (deleted)" if node.deleted else ""
    return f"{node.key}: {option}{deleted}"

