"""The config directory as Hydra sees it: config groups (directories) and options (YAML files).

``configs/model/vit.yaml`` is option ``vit`` of group ``model``; its config path is
``model/vit``. Each file is read once per launch (``ConfigRepository.load``), whatever the
number of sweep points that select it.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional, Tuple

from mlxp._yaml import list_item_lines, load_yaml, read_yaml_text
from mlxp.errors import ConfigFileError, ConfigGroupError

YAML_SUFFIXES = (".yaml", ".yml")
_HEADER = re.compile(r"#\s*@(\w+)\s+(\S+)\s*$")


class ConfigFile:
    """One loaded config file.

    Attributes:
        path: the file.
        content: its options, without the ``defaults`` list.
        defaults: the raw items of its ``defaults:`` list, each with its line: ``(item, line)``.
        package: its ``# @package`` header, or None.
    """

    __slots__ = ("path", "content", "defaults", "package", "entries")

    def __init__(self, path: str, content: Dict[str, Any], defaults: List[Tuple[Any, int]],
                 package: Optional[str]) -> None:
        self.path = path
        self.content = content
        self.defaults = defaults
        self.package = package
        self.entries: Optional[List[Any]] = None  # the defaults, parsed once by mlxp._defaults


class ConfigRepository:
    """Finds groups, options and config files under one config directory."""

    def __init__(self, config_dir: str) -> None:
        self.config_dir = os.path.normpath(config_dir)  # errors name configs/x.yaml, not ./configs
        self._loaded: Dict[str, Optional[ConfigFile]] = {}
        self._options: Dict[str, List[str]] = {}

    def file_path(self, config_path: str) -> Optional[str]:
        """The file of ``model/vit`` (``.yaml`` or ``.yml``), or None if there is none."""
        _check_inside(config_path)
        base = os.path.join(self.config_dir, *config_path.split("/"))
        # a directory named config.yaml is found, so that reading it says what is wrong
        candidates = [base] if base.endswith(YAML_SUFFIXES) else [base + s for s in YAML_SUFFIXES]
        return next((path for path in candidates if os.path.exists(path)), None)

    def is_group(self, group: str) -> bool:
        """True when ``group`` (``model``, ``model/backbone``) is a directory of configs."""
        if not group or group.startswith((".", "/")) or ".." in group.split("/"):
            return False
        return os.path.isdir(os.path.join(self.config_dir, *group.split("/")))

    def options(self, group: str) -> List[str]:
        """The options of ``group``, sorted: the names of its YAML files."""
        if group not in self._options:
            directory = os.path.join(self.config_dir, *group.split("/")) if group else \
                self.config_dir
            try:
                names = os.listdir(directory)
            except OSError:
                names = []
            self._options[group] = sorted(
                os.path.splitext(name)[0] for name in names
                if name.endswith(YAML_SUFFIXES) and os.path.isfile(os.path.join(directory, name)))
        return self._options[group]

    def all_configs(self) -> List[str]:
        """Every config path under the directory (``config``, ``model/vit``), for did-you-mean."""
        found = []
        for directory, subdirectories, names in os.walk(self.config_dir):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
            relative = os.path.relpath(directory, self.config_dir)
            prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
            found += [prefix + os.path.splitext(name)[0] for name in sorted(names)
                      if name.endswith(YAML_SUFFIXES)]
        return found

    def load(self, config_path: str) -> Optional[ConfigFile]:
        """The file of ``config_path``, read once; None when it does not exist.

        Raises:
            ConfigFileError: the file is not valid YAML, its top level is not a mapping, or its
                ``defaults`` is not a list.
        """
        if config_path not in self._loaded:
            path = self.file_path(config_path)
            self._loaded[config_path] = None if path is None else _read(path)
        return self._loaded[config_path]


def _check_inside(config_path: str) -> None:
    """A group or option name stays inside the config directory."""
    parts = config_path.strip("/").split("/")
    if ".." in parts or "" in parts or any(part.startswith(".") for part in parts):
        raise ConfigGroupError(f"{config_path!r} is not a config inside the config directory;"
                               " name a group and option such as 'model/vit'")


def _read(path: str) -> ConfigFile:
    text = read_yaml_text(path)
    data = load_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigFileError("the top level must be a mapping of option names to values",
                              path=path, line=1, column=1)
    defaults: List[Tuple[Any, int]] = []
    if "defaults" in data:
        items = data.pop("defaults")
        key_line, lines = list_item_lines(text, "defaults")
        if not isinstance(items, list):
            raise ConfigFileError("'defaults' must be a list of entries such as '- model: resnet'",
                                  path=path, line=key_line)
        defaults = [(item, lines[n] if n < len(lines) else key_line or 1)
                    for n, item in enumerate(items)]
    return ConfigFile(path, data, defaults, _package_header(text, path))


def _package_header(text: str, path: str) -> Optional[str]:
    """The ``# @package NAME`` line among the comments that open the file, if any."""
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if not re.match(r"#\s*@", line):
            return None
        header = _HEADER.match(line)
        if header is None:
            raise ConfigFileError("a header line is '# @package NAME'", path=path, line=number)
        if header.group(1) == "package":
            return header.group(2)
    return None
