"""The launcher's command line: flags, overrides, and ``--help``.

Every argument that is not a flag is an override (see docs/configuration-and-overrides.md).
"""

from __future__ import annotations

import os
from typing import List, Optional, Sequence

from mlxp._override_checks import check_not_hydra
from mlxp.errors import UsageError
from mlxp.overrides import Override, parse_overrides

_VALUE_FLAGS = {
    "--config-name": "config_name",
    "-cn": "config_name",
    "--config-path": "config_path",
    "-cp": "config_path",
    "--jobs": "jobs",
    "-j": "jobs",
}
_SWITCHES = {"--help": "help", "-h": "help", "--dry-run": "dry_run", "--multirun": "multirun",
             "-m": "multirun", "--resolve": "resolve"}
_CFG_FLAGS = ("--cfg", "-c")
#: Hydra's values of ``--cfg``; mlxp prints "job" and "all", refuses "hydra" (it has no Hydra
#: config), and keeps ``--cfg`` alone: every run's resolved config
CFG_CHOICES = ("job", "hydra", "all")
#: what ``--info`` prints, as Hydra's flag of that name; alone it prints both
INFO_CHOICES = ("defaults", "defaults-tree")


class CommandLine:
    """What the user asked for on the command line."""

    def __init__(self) -> None:
        self.overrides: List[Override] = []
        self.config_name = "config"
        self.config_path: Optional[str] = None
        self.help = False
        self.show_config: Optional[str] = None  # None: not asked; else "", "job" or "all"
        self.resolve = False  # Hydra's --resolve, with --cfg job|all
        self.multirun = False  # Hydra's -m: accepted, and not needed
        self.dry_run = False
        self.info: Optional[str] = None  # None: not asked; else "", "defaults", "defaults-tree"
        self.jobs: Optional[str] = None  # -j/--jobs: points run at once (mlxp.launcher.jobs)


def parse_command_line(argv: Sequence[str]) -> CommandLine:
    """Split ``argv`` into flags and overrides; overrides are parsed (and checked) here.

    Raises:
        UsageError: an unknown flag, or a flag missing its value.
        OverrideSyntaxError: a malformed override.
    """
    command_line = CommandLine()
    override_texts: List[str] = []
    position = 0
    while position < len(argv):
        argument = argv[position]
        name, equals, inline_value = argument.partition("=")
        if name.startswith("-j") and name[2:].isdigit():  # -j4, as make takes it
            name, equals, inline_value = "-j", "=", name[2:]
        if name in _VALUE_FLAGS:
            if equals:
                value = inline_value
            elif position + 1 < len(argv):
                position += 1
                value = argv[position]
            else:
                raise UsageError(f"{name} needs a value, e.g. {name} NAME")
            setattr(command_line, _VALUE_FLAGS[name], value)
        elif name in _CFG_FLAGS:
            if not equals and position + 1 < len(argv) and _is_cfg_choice(argv[position + 1]):
                position += 1
                inline_value = argv[position]
            command_line.show_config = _cfg_choice(name, inline_value)
        elif name == "--info":
            if not equals and position + 1 < len(argv) and _is_cfg_choice(argv[position + 1]):
                position += 1
                inline_value = argv[position]
            if inline_value not in ("", *INFO_CHOICES):
                raise UsageError(f"--info takes defaults or defaults-tree (or nothing), not"
                                 f" {inline_value!r}; --cfg prints the composed config")
            command_line.info = inline_value
        elif argument in _SWITCHES:
            setattr(command_line, _SWITCHES[argument], True)
        elif argument.startswith("-"):
            known = ", ".join(sorted({*_VALUE_FLAGS, *_SWITCHES, *_CFG_FLAGS, "--info"}))
            raise UsageError(
                f"unknown flag {argument!r}; the flags are {known}, and every other argument"
                " is an override such as key=value"
            )
        else:
            check_not_hydra(argument, len(override_texts) + 1)
            override_texts.append(argument)
        position += 1
    _check_config_name(command_line.config_name)
    if command_line.resolve and not command_line.show_config:
        raise UsageError("--resolve goes with --cfg job or --cfg all (--cfg alone prints the"
                         " resolved config)")
    command_line.overrides = [_device_list(o) for o in parse_overrides(override_texts)]
    return command_line


def _device_list(override: Override) -> Override:
    """``mlxp.launcher.devices=0,1,2,3`` lists the devices of one sweep; it is not a sweep."""
    if override.key != "mlxp.launcher.devices" or not override.is_sweep:
        return override
    return Override(override.kind, override.key, (list(override.values),), text=override.text)


def _is_cfg_choice(argument: str) -> bool:
    """A word after ``--cfg`` or ``--info`` is its value; an override (``key=value``,
    ``~key``) is not."""
    return not argument.startswith(("-", "+", "~")) and "=" not in argument


def _cfg_choice(flag: str, value: str) -> str:
    if value == "hydra":
        raise UsageError(f"{flag} hydra: mlxp has no Hydra config; {flag} all prints the config"
                         " and mlxp's own settings (the mlxp: section)")
    if value not in ("", *CFG_CHOICES):
        raise UsageError(f"{flag} takes job or all (or nothing), not {value!r}")
    return value


def _check_config_name(name: str) -> None:
    """A config name stays inside the config directory: ``../x`` would read, or create, a
    file elsewhere."""
    normal = os.path.normpath(name) if name else ""
    if not normal or normal == "." or os.path.isabs(name) or normal.split(os.sep)[0] == "..":
        raise UsageError(
            f"--config-name {name!r} is not a file inside the config directory; give a name"
            " such as 'config' or 'experiments/large', and --config-path DIR to read from"
            " another directory"
        )


_GRAMMAR = """\
overrides (each argument is one):
  key=value          set an option (a new key is added, with a warning;
                     a near miss of an existing key needs +key, as does
                     any new key when submitting jobs)
  +key=value         add a new option;  ++key=value  add or set
  ~key               delete an option
  key=1,2,3          sweep: one run per value (several sweeps: every combination)
  key=range(0,10,2)  sweep over a range;  key=choice(a,b)  sweep, explicit form
  key='a,b'          a string with a comma (quotes stop the sweep)
  key=[1,2]          a list;  key={a: 1}  a mapping
  model=vit          choose option vit of config group model (configs/model/);
                     +model=vit adds a group, ~model removes it
  mlxp.use_logger=false   change one of mlxp's own settings

flags:
  --help, -h                 show this help and exit
  --cfg, -c [job|all]        print the composed config of every run and exit:
                             alone, resolved; job, as written (Hydra's form);
                             all, with mlxp's settings; --resolve resolves ${...}
  --info [defaults|defaults-tree]
                             print the defaults list (configs in merge order,
                             their package and parent) and/or tree, and exit
  --multirun, -m             accepted for Hydra users, and not needed
  --dry-run                  list the runs and their directories, write nothing
  --config-name, -cn NAME    use NAME.yaml in the config directory
  --config-path, -cp DIR     read the config from DIR
  --jobs, -j N|auto          run up to N points of a sweep at once, each in
                             its own process (mlxp.launcher.jobs; default 1)"""


def usage(program: str, config_keys: Sequence[str]) -> str:
    """The ``--help`` text: usage, the grammar in brief, and the config's current options."""
    keys = "\n".join(f"  {key}" for key in config_keys) or "  (none yet)"
    return f"usage: {program} [flags] [overrides...]\n\n{_GRAMMAR}\n\noptions in the config:\n{keys}"
