"""The import graph of design.md section 2: imports point down the layers, never up."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Set

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mlxp"

# Lower layers first; a module may import modules of a lower layer only, plus the
# same-layer edges listed in SAME_LAYER. The cluster side (mlxp.cluster) is layered module by
# module, in the order of a submission: the steps plan, scripts and rundirs share a layer, so
# none imports another; submit composes them; rerun, the launcher and mlxpsub come above.
# Following runs goes runs -> status -> cancel.
LAYERS = [
    {"mlxp._paths"},
    {"mlxp.errors", "mlxp._scalars"},
    {"mlxp._yaml", "mlxp._shell", "mlxp._forkserver", "mlxp._layout", "mlxp._signals",
     "mlxp._streams",
     "mlxp._prompts", "mlxp._entry", "mlxp._process"},
    {"mlxp.config", "mlxp.overrides", "mlxp._override_parser", "mlxp._sweep_functions",
     "mlxp._sampling", "mlxp.sweep", "mlxp.settings",
     "mlxp._cli", "mlxp._metrics", "mlxp._progress", "mlxp._override_checks", "mlxp._runlock",
     "mlxp.enumerations", "mlxp._groups", "mlxp._devices"},
    {"mlxp.logger", "mlxp._run_files", "mlxp.artifacts", "mlxp.reader", "mlxp.cluster.schedulers", "mlxp.vcs",
     "mlxp._limits", "mlxp._snapshot", "mlxp.data_structures", "mlxp.cluster.shellline",
     "mlxp._instantiate", "mlxp._defaults", "mlxp._sweep_plan"},
    {"mlxp._ranks", "mlxp._run_point", "mlxp._parallel", "mlxp.version_manager",
     "mlxp.cluster.jobscript",
     "mlxp.cluster.jobs", "mlxp.cluster.runs", "mlxp._composition"},
    {"mlxp.cluster.plan", "mlxp.cluster.scripts", "mlxp.cluster.rundirs", "mlxp.cluster.status",
     "mlxp.cluster.launches", "mlxp.results", "mlxp._sweep_rerun", "mlxp._run_logger"},
    {"mlxp.cluster.submit", "mlxp.cluster.cancel"},
    {"mlxp.launcher", "mlxp._point_composer", "mlxp._run", "mlxp.cluster.rerun", "mlxp._interactive"},
    {"mlxp.cluster.mlxpsub", "mlxp._notebook"},
    {"mlxp.ui"},  # mlxp ui: the dashboard's server, over the results' data
    {"mlxp.commands"},  # the subcommands of ``mlxp``, one module each
    # the commands, and the import paths kept for users (thin re-exports)
    {"mlxp", "mlxp.__main__", "mlxp.sub", "mlxp.status", "mlxp.schedulers", "mlxp.cluster"},
]
SAME_LAYER = {
    ("mlxp._process", "mlxp._layout"),
    ("mlxp._process", "mlxp._shell"),
    ("mlxp._forkserver", "mlxp._shell"),
    ("mlxp.settings", "mlxp.config"),
    ("mlxp.overrides", "mlxp._override_parser"),
    ("mlxp.sweep", "mlxp.overrides"),
    ("mlxp.overrides", "mlxp._sweep_functions"),
    ("mlxp._override_parser", "mlxp._sweep_functions"),
    ("mlxp._sweep_functions", "mlxp.overrides"),
    ("mlxp.sweep", "mlxp._sampling"),
    ("mlxp._sampling", "mlxp.overrides"),
    ("mlxp._cli", "mlxp.overrides"),
    ("mlxp._cli", "mlxp._override_checks"),
    ("mlxp._override_checks", "mlxp.config"),
    ("mlxp._override_checks", "mlxp.overrides"),
    ("mlxp.logger", "mlxp.artifacts"),
    ("mlxp.logger", "mlxp._run_files"),
    ("mlxp.reader", "mlxp.artifacts"),
    ("mlxp.vcs", "mlxp._snapshot"),
    ("mlxp.launcher", "mlxp._run"),
    ("mlxp.launcher", "mlxp._point_composer"),
    ("mlxp.launcher", "mlxp._interactive"),
    ("mlxp._interactive", "mlxp._run"),
}
FORBIDDEN = {
    ("mlxp.reader", "mlxp.logger"),
    ("mlxp.cluster.mlxpsub", "mlxp.launcher"),
    ("mlxp.sub", "mlxp.launcher"),
}
# Packages whose modules are layered one by one; any other package counts as one unit.
LAYERED_PACKAGES = ("mlxp.cluster",)


def _unit(module: str) -> str:
    """The layer unit of a module: packages (reader, schedulers) count as one unit."""
    parts = module.split(".")
    depth = 3 if ".".join(parts[:2]) in LAYERED_PACKAGES else 2
    return ".".join(parts[:depth]) if len(parts) > 1 else module


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Set[str]:
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("mlxp"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mlxp"):
            if node.module != "mlxp":  # ``from mlxp import _layout`` imports mlxp._layout only
                found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _rank() -> Dict[str, int]:
    return {unit: index for index, layer in enumerate(LAYERS) for unit in layer}


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_point_down(path: Path) -> None:
    rank = _rank()
    source = _module_name(path)
    source_unit = _unit(source)
    assert source_unit in rank, f"{source} is not placed in a layer of test_architecture.py"
    for target in _imports(path):
        target_unit = _unit(target)
        if target_unit not in rank or target_unit == source_unit:
            continue  # a name imported from a module, or a sibling inside one package
        assert (source_unit, target_unit) not in FORBIDDEN, f"{source} must not import {target}"
        allowed = rank[target_unit] < rank[source_unit] or (source_unit, target_unit) in SAME_LAYER
        assert allowed, f"{source} (layer {rank[source_unit]}) imports {target} (layer {rank[target_unit]})"


def test_scheduler_backends_do_not_import_each_other() -> None:
    # Private modules (``_render``, ``_commands``, ``__init__``) are shared machinery, not backends.
    backends = [p for p in (PACKAGE / "cluster" / "schedulers").glob("*.py")
                if p.stem != "base" and not p.stem.startswith("_")]
    names = {f"mlxp.cluster.schedulers.{p.stem}" for p in backends}
    for path in backends:
        own = f"mlxp.cluster.schedulers.{path.stem}"
        assert not (_imports(path) & (names - {own})), f"{own} imports another backend"


def test_only_yaml_module_imports_yaml_libraries() -> None:
    for path in MODULES:
        if path.name == "_yaml.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n == "yaml" or n.startswith(("yaml.", "ruamel")) for n in names), path


def test_only_shell_module_starts_processes() -> None:
    for path in MODULES:
        if path.name == "_shell.py":
            continue
        text = path.read_text()
        assert "import subprocess" not in text and "os.system(" not in text, path
