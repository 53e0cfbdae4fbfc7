"""Defaults lists, read as Hydra reads them: entries with their file and line, and the tree a
group selection makes of them, flattened into the order in which configs merge.

A config's ``defaults:`` names other configs (``- /shared/base``) and group options
(``- model: resnet``, ``- optional db: mysql``, ``- model@encoder: resnet``,
``- override model: vit``); ``_self_`` places the config's own options among them (last when
absent). Overrides (in a defaults list or on the command line) pick another option for a group
wherever it appears in the tree; the command line wins, then the later entries.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from mlxp._groups import ConfigRepository
from mlxp.errors import ConfigGroupError

SELF = "_self_"
MANDATORY = "???"
COMMAND_LINE = "the command line"


class Entry:
    """One item of a defaults list (or a ``+group=option`` of the command line).

    ``kind`` is ``self``, ``config`` (``name`` a config path) or ``group`` (``name`` a group,
    ``option`` its option: a name, None for nothing, or a list of names).
    """

    __slots__ = ("kind", "name", "option", "package", "optional", "override", "appended",
                 "path", "line")

    def __init__(self, kind: str, name: str, option: Any = None, package: Optional[str] = None,
                 optional: bool = False, override: bool = False, appended: bool = False,
                 path: Optional[str] = None, line: Optional[int] = None) -> None:
        self.kind, self.name, self.option, self.package = kind, name, option, package
        self.optional, self.override, self.appended = optional, override, appended
        self.path, self.line = path, line

    def where(self) -> str:
        return COMMAND_LINE if self.path is None else f"{self.path}:{self.line}"


def parse_entry(item: Any, path: str, line: int) -> Entry:
    """One raw item of ``path``'s defaults list.

    Raises:
        ConfigGroupError: the item is not a string or a one-key mapping of a group to an option.
    """
    def fail(why: str) -> ConfigGroupError:
        return ConfigGroupError(why, path=path, line=line)

    if isinstance(item, str):
        name, at, package = item.partition("@")
        if name == SELF:
            if at:
                raise fail("_self_ takes no @package; write the package in a '# @package' header")
            return Entry("self", SELF, path=path, line=line)
        return Entry("config", name, package=package if at else None, path=path, line=line)
    if not isinstance(item, dict) or len(item) != 1:
        raise fail("a defaults entry is a config name ('- base'), '_self_', or one group and its"
                   " option ('- model: resnet')")
    (key, option), = item.items()
    words = str(key).split()
    keywords, group_key = words[:-1], words[-1] if words else ""
    if not group_key or any(word not in ("optional", "override") for word in keywords):
        raise fail(f"{key!r} is not a group: write 'model', 'optional model' or 'override model'")
    if isinstance(option, list) and all(isinstance(one, str) for one in option):
        pass
    elif option is not None and not isinstance(option, str):
        raise fail(f"the option of {group_key!r} must be a name, a list of names or null,"
                   f" not {option!r}")
    if any("${" in name for name in (option if isinstance(option, list) else [option or ""])):
        raise fail(f"the option of {group_key!r} is an interpolation, which mlxp does not resolve"
                   " in defaults lists; name the option, and choose another on the command"
                   f" line ({group_key}=OPTION) or with an 'override' entry")
    group, at, package = group_key.partition("@")
    return Entry("group", group, option, package if at else None, "optional" in keywords,
                 "override" in keywords, path=path, line=line)


class GroupSelection:
    """The command line's group overrides: ``model=vit``, ``+model=vit``, ``~model``."""

    def __init__(self) -> None:
        self.choices: Dict[str, str] = {}  # override key (``model@encoder``) -> option
        self.appends: List[Entry] = []
        self.deletions: Dict[str, Optional[str]] = {}


class Node:
    """A config in the defaults tree: where it came from, where its options go."""

    __slots__ = ("entry", "config_path", "group", "key", "option", "package", "base_dir",
                 "children", "deleted", "parent", "chosen_by")

    def __init__(self, entry: Optional[Entry], config_path: str, group: Optional[str],
                 key: Optional[str], option: Optional[str], package: str, base_dir: str,
                 parent: Optional["Node"]) -> None:
        self.entry, self.config_path, self.group, self.key = entry, config_path, group, key
        self.option, self.package, self.base_dir, self.parent = option, package, base_dir, parent
        self.children: Optional[List["Node"]] = None  # a "_self_" child is the config itself
        self.deleted = False
        self.chosen_by: Optional[str] = None  # where an override chose the option


class Merge:
    """One step of composition: put ``config_path``'s own options at ``package``."""

    __slots__ = ("config_path", "package", "parent", "is_self")

    def __init__(self, config_path: str, package: str, parent: Optional[str],
                 is_self: bool) -> None:
        self.config_path, self.package = config_path, package
        self.parent, self.is_self = parent, is_self


def join_package(parent: str, package: str) -> str:
    """``package`` inside ``parent``; a ``_global_`` in the result starts again from the root."""
    joined = package if not parent else parent if not package else f"{parent}.{package}"
    cut = joined.rfind("_global_")
    return joined if cut < 0 else joined[cut + len("_global_") + 1:]


class DefaultsTree:
    """The defaults tree of a primary config under a group selection (Hydra's algorithm).

    Attributes:
        root: the primary config's node.
        merges: the configs to merge, in order.
        choices: the option chosen for each group (override key -> option, None for none).
    """

    def __init__(self, repo: ConfigRepository, primary: str, selection: GroupSelection) -> None:
        self.repo = repo
        self.overrides: Dict[str, Tuple[str, Optional[Entry], List[bool]]] = {
            key: (option, None, [False]) for key, option in selection.choices.items()}
        self.deletions = selection.deletions
        self.deletions_used: Set[str] = set()
        self.known: Dict[str, Tuple[Optional[str], Node]] = {}
        self.keys_of_group: Dict[str, Set[str]] = {}
        self.appends = selection.appends
        base_dir = primary.rpartition("/")[0]
        self.root = Node(None, primary, None, None, None, "", base_dir, None)
        self._expand(self.root, ())
        self._check_overrides_used()
        self.merges: List[Merge] = []
        self._flatten(self.root)
        self._check_no_duplicates()
        self.choices = {key: option for key, (option, node) in self.known.items()
                        if not node.deleted}

    # --- building -------------------------------------------------------------------------

    def _expand(self, node: Node, stack: Tuple[str, ...]) -> None:
        if node.key is not None:
            if self._is_deleted(node):
                node.deleted = True
                return
            self._know(node)
            if node.option is None:
                return
            if node.option == MANDATORY:
                raise self._error(node, f"no option chosen for group {node.group!r}: choose one"
                                        f" with {node.key}=OPTION")
        loaded = self.repo.load(node.config_path)
        if loaded is None:
            if node.entry is not None and node.entry.optional:
                node.deleted = True
                return
            raise self._missing(node)
        if node.config_path in stack:
            chain = " -> ".join((*stack, node.config_path))
            raise self._error(node, f"the defaults lists form a cycle: {chain}; remove one of"
                                    " these entries")
        if node.entry is not None:
            relative = node.entry.name.lstrip("/")
            if node.key is None:  # a config entry: its group is the directory it is in
                relative = relative.rpartition("/")[0]
            node.package = self._package(node.entry, node.parent, relative, loaded.package)
        elif loaded.package not in (None, "_group_"):  # the primary config's own header
            node.package = join_package("", f"_global_.{loaded.package}")
        if loaded.entries is None:
            loaded.entries = [parse_entry(item, loaded.path, line) for item, line in loaded.defaults]
        entries = list(loaded.entries)
        selves = [entry for entry in entries if entry.kind == "self"]
        if len(selves) > 1:
            raise ConfigGroupError(f"_self_ appears twice in the defaults list (first on line"
                                   f" {selves[0].line}); keep one", path=loaded.path,
                                   line=selves[1].line)
        is_primary = node.parent is None
        if not selves and (entries or (is_primary and self.appends)):
            entries.append(Entry("self", SELF))
        if is_primary:
            entries += self.appends
        self._collect_overrides(node, entries, loaded.path)
        children: List[Node] = []
        for entry in reversed(entries):  # later entries override earlier ones: seen first
            if entry.override:
                continue
            if entry.kind == "self":
                children.append(Node(entry, node.config_path, None, None, None, node.package,
                                     node.base_dir, node))
                continue
            for child in reversed(self._children(entry, node)):
                self._expand(child, (*stack, node.config_path))
                children.append(child)
        node.children = list(reversed(children)) or None  # None: a leaf, merged as a whole

    def _children(self, entry: Entry, parent: Node) -> List[Node]:
        """The nodes of one entry: one, or one per name of an option list."""
        if entry.kind == "config":
            relative = entry.name.lstrip("/")
            path = relative if entry.name.startswith("/") or not parent.base_dir else \
                f"{parent.base_dir}/{relative}"
            node = Node(entry, path, None, None, None, "", path.rpartition("/")[0], parent)
            node.package = self._package(entry, parent, relative.rpartition("/")[0], None)
            return [node]
        group = self.group_path(entry, parent)
        key = self.override_key(entry, parent)
        option = entry.option
        if key in self.overrides:
            option, source, used = self.overrides[key]
            used[0] = True
        else:
            source = entry
        if isinstance(option, list):
            return [self._child_of_list(entry, parent, group, name) for name in option]
        node = Node(entry, f"{group}/{option}", group, key, option, "", group, parent)
        node.chosen_by = None if source is entry else (source.where() if source else COMMAND_LINE)
        return [node]

    def _child_of_list(self, entry: Entry, parent: Node, group: str, name: str) -> Node:
        relative = entry.name.lstrip("/")
        config_entry = Entry("config", f"{'/' if entry.name.startswith('/') else ''}"
                             f"{relative}/{name}", None, entry.package, entry.optional,
                             path=entry.path, line=entry.line)
        node = Node(config_entry, f"{group}/{name}", None, None, None, "", group, parent)
        node.package = self._package(config_entry, parent, relative, None)
        return node

    def _collect_overrides(self, node: Node, entries: Sequence[Entry], path: str) -> None:
        """``override`` entries, which go at the end of a list; the first seen wins."""
        last: Optional[Entry] = None
        for entry in entries:
            if entry.kind == "self":
                continue
            if last is not None and not (entry.override or entry.appended):
                raise ConfigGroupError(
                    f"'override {last.name}' comes before '{entry.name}': override entries go at"
                    " the end of the defaults list", path=path, line=last.line)
            if entry.override:
                last = entry
                key = self.override_key(entry, node)
                if key not in self.overrides:
                    self.overrides[key] = (entry.option, entry, [False])

    def _is_deleted(self, node: Node) -> bool:
        key = node.key or ""
        if key not in self.deletions or self.deletions[key] not in (None, node.option):
            return False
        self.deletions_used.add(key)
        return True

    def _know(self, node: Node) -> None:
        """Record the group's option; one group in one package takes one option."""
        assert node.key is not None and node.group is not None
        if node.key in self.known and self.known[node.key][0] != node.option:
            first = self.known[node.key][1]
            raise self._error(node, f"group {node.key!r} is chosen twice, as {first.option!r}"
                                    f" ({first.entry.where() if first.entry else ''}) and as"
                                    f" {node.option!r}: keep one, or write"
                                    f" 'override {node.key}: {node.option}'")
        self.known.setdefault(node.key, (node.option, node))
        self.keys_of_group.setdefault(node.group, set()).add(node.key)

    # --- names and packages ---------------------------------------------------------------

    @staticmethod
    def group_path(entry: Entry, parent: Node) -> str:
        relative = entry.name.lstrip("/")
        if entry.name.startswith("/") or not parent.base_dir:
            return relative
        return f"{parent.base_dir}/{relative}"

    def _package(self, entry: Entry, parent: Optional[Node], relative_group: str,
                 header: Optional[str]) -> str:
        parent_package = parent.package if parent is not None else ""
        package = entry.package
        if package is None and header is not None and header != "_group_":
            package = "_global_" if header in ("", "_global_") else f"_global_.{header}"
        if package is None:
            package = relative_group.replace("/", ".")
        elif package == "_here_":
            package = ""
        elif "_group_" in package:
            group = self.group_path(entry, parent) if parent else relative_group
            if entry.kind == "config":
                group = group.rpartition("/")[0]
            package = "_global_." + package.replace("_group_", group.replace("/", "."))
        return join_package(parent_package, package)

    def override_key(self, entry: Entry, parent: Node) -> str:
        """How the command line names this group: ``model``, ``model@encoder``."""
        group = self.group_path(entry, parent)
        package = self._package(entry, parent, entry.name.lstrip("/"), None)
        default = group.replace("/", ".")
        return group if package == default else f"{group}@{package or '_global_'}"

    # --- checks and errors ----------------------------------------------------------------

    def _check_overrides_used(self) -> None:
        for key, (option, source, used) in self.overrides.items():
            if used[0]:
                continue
            group = key.partition("@")[0]
            if key in self.known and source is not None:  # Hydra reads later entries first
                chooser = self.known[key][1].entry
                raise ConfigGroupError(
                    f"'override {key}' is read after {key!r} was chosen"
                    f" ({chooser.where() if chooser else COMMAND_LINE}): list the entry that"
                    f" brings in {source.path} after that one", path=source.path,
                    line=source.line, group=group, options=self.repo.options(group))
            known = sorted(self.keys_of_group.get(group, ()))
            hint = f"; did you mean {' or '.join(known)}?" if known else ""
            append = (f"; to add it to the defaults list write +{key}={option}"
                      if source is None else "")
            if source is not None and "@" in key and known:
                append = (f" (an override is read in the package of its config,"
                          f" {key.partition('@')[2].rpartition('.')[0] or '_global_'}: give"
                          f" {source.path} a '# @package _global_' header)")
            raise ConfigGroupError(f"cannot override {key!r}: no {key!r} in the defaults"
                                   f" list{hint}{append}",
                                   path=source.path if source else None,
                                   line=source.line if source else None, group=group,
                                   options=self.repo.options(group))
        for key, deleted in self.deletions.items():
            if key not in self.deletions_used:
                what = f"{key}={deleted}" if deleted is not None else key
                raise ConfigGroupError(f"cannot delete {what!r}: no {what!r} in the defaults"
                                       " list", group=key.partition("@")[0])

    def _flatten(self, node: Node) -> None:
        for child in node.children or ():
            if child.entry is not None and child.entry.kind == "self":
                parent = node.parent.config_path if node.parent else None
                self.merges.append(Merge(node.config_path, node.package, parent, True))
            elif child.children is not None:
                self._flatten(child)
            elif not child.deleted and (child.key is None or child.option is not None):
                self.merges.append(Merge(child.config_path, child.package, node.config_path,
                                         False))
        if node.children is None and node.parent is None:
            self.merges.append(Merge(node.config_path, node.package, None, True))

    def _check_no_duplicates(self) -> None:
        seen: Dict[str, Node] = {}
        for node in self._group_nodes(self.root):
            if node.key in seen:
                first = seen[node.key]
                raise self._error(node, f"group {node.key!r} appears twice in the defaults"
                                        f" (also {first.entry.where() if first.entry else ''});"
                                        f" use {node.key}=OPTION to change its option")
            seen[node.key or ""] = node

    def _group_nodes(self, node: Node) -> List[Node]:
        found = []
        for child in node.children or ():
            if child.key is not None and not child.deleted and child.option is not None:
                found.append(child)
            if child.entry is None or child.entry.kind != "self":
                found += self._group_nodes(child)
        return found

    def _error(self, node: Node, message: str) -> ConfigGroupError:
        entry = node.entry
        return ConfigGroupError(message, path=entry.path if entry else None,
                                line=entry.line if entry else None, group=node.group,
                                options=self.repo.options(node.group) if node.group else ())

    def _missing(self, node: Node) -> ConfigGroupError:
        import difflib  # only on the error path: it costs milliseconds to import

        if node.parent is None:
            return ConfigGroupError(f"no config {node.config_path!r}")
        if node.group is None:
            return self._error(node, f"no config {node.config_path!r} in the config directory;"
                                     " fix the entry or add the file")
        if not self.repo.is_group(node.group):
            groups = [path.rpartition("/")[0] for path in self.repo.all_configs() if "/" in path]
            close = difflib.get_close_matches(node.group, sorted(set(groups)), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return self._error(node, f"no config group {node.group!r}: no directory"
                                     f" {node.group}/ in the config directory{hint}")
        options = self.repo.options(node.group)
        close = difflib.get_close_matches(str(node.option), options, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        chosen = f", chosen on {node.chosen_by}" if node.chosen_by else ""
        return self._error(node, f"group {node.group!r} has no option {node.option!r}"
                                 f"{chosen}{hint}")
