"""Which python commands of a job script are ``@mlxp.launch`` scripts, decided statically.

``mlxpsub`` runs only launch scripts on the submitting machine, in submit mode; any other
python command (``python read.py``) stays a shell line of each job. The script is parsed with
:mod:`ast`, never imported nor run: it is a launch when a decorator or call refers to
``mlxp.launch`` (``@mlxp.launch(...)``, ``import mlxp as m`` then ``@m.launch``,
``from mlxp import launch`` then ``@launch(...)``).
"""

from __future__ import annotations

import ast
import os
import sys
from importlib.machinery import PathFinder
from typing import List, NoReturn, Set, Union

from mlxp.cluster.shellline import PythonCommand
from mlxp.errors import JobScriptError

__all__ = ["is_launch_script", "uses_mlxp_launch"]

_MODULES = ("mlxp", "mlxp.launcher")  # where ``launch`` is importable from


def uses_mlxp_launch(source: Union[str, bytes], filename: str = "<script>") -> bool:
    """True if ``source`` decorates or calls ``mlxp.launch``, under any name it imports.

    ``bytes`` are decoded as Python decodes a source file (its coding line, a BOM, UTF-8).

    Raises:
        SyntaxError: ``source`` is not valid Python.
        ValueError: ``source`` holds a null byte.
    """
    tree = ast.parse(source, filename=filename)
    modules: Set[str] = set()  # names bound to mlxp (import mlxp; import mlxp as m)
    launches: Set[str] = set()  # names bound to mlxp.launch (from mlxp import launch as L)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in _MODULES:  # import mlxp.launcher binds mlxp as well
                    modules.add(alias.asname or alias.name)
                    modules.add(alias.asname or "mlxp")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in _MODULES:
            launches.update(alias.asname or alias.name for alias in node.names
                            if alias.name == "launch")

    def refers_to_launch(expression: ast.expr) -> bool:
        if isinstance(expression, ast.Name):
            return expression.id in launches
        return (isinstance(expression, ast.Attribute) and expression.attr == "launch"
                and _dotted(expression.value) in modules)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and refers_to_launch(node.func):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                refers_to_launch(decorator) for decorator in node.decorator_list):
            return True
    return False


def is_launch_script(command: PythonCommand, job_script: str, cwd: str = "") -> bool:
    """True if the script (or module) ``command`` runs uses ``@mlxp.launch``.

    Relative paths and modules are found from ``cwd`` (default: the current directory), as
    the command would when run there.

    Raises:
        JobScriptError: the script cannot be found, read or parsed; names the job script's
            line and says how to fix it. A command is never skipped silently.
    """
    cwd = cwd or os.getcwd()
    path = _module_file(command, job_script, cwd) if command.module else os.path.join(
        cwd, command.script)
    try:
        with open(path, "rb") as stream:
            source = stream.read()
    except OSError as error:
        _fail(command, job_script, f"cannot read {command.script}: {error.strerror}")
    try:
        return uses_mlxp_launch(source, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        _fail(command, job_script, f"cannot parse {command.script}: {error}")


def _module_file(command: PythonCommand, job_script: str, cwd: str) -> str:
    """The source file ``python -m module`` would run, found without importing anything."""
    search: List[str] = [cwd, *sys.path[1:]]  # python -m puts its directory first
    spec = None
    parts = command.script.split(".")
    for depth in range(1, len(parts) + 1):
        spec = PathFinder.find_spec(".".join(parts[:depth]), search)
        if spec is None:
            _fail(command, job_script, f"no module named {'.'.join(parts[:depth])!r} from {cwd}")
        search = list(spec.submodule_search_locations or [])
    if spec is not None and spec.submodule_search_locations:  # a package runs its __main__
        spec = PathFinder.find_spec(f"{command.script}.__main__",
                                    list(spec.submodule_search_locations))
    origin = spec.origin if spec is not None else None
    if not origin or not origin.endswith(".py"):
        _fail(command, job_script, f"module {command.script!r} has no Python source to read")
    return origin


def _dotted(expression: ast.expr) -> str:
    """``a.b.c`` for a chain of names and attributes, ``""`` for anything else."""
    if isinstance(expression, ast.Name):
        return expression.id
    if isinstance(expression, ast.Attribute):
        head = _dotted(expression.value)
        return f"{head}.{expression.attr}" if head else ""
    return ""


def _fail(command: PythonCommand, job_script: str, reason: str) -> NoReturn:
    raise JobScriptError(
        f"{job_script}:{command.line}: {reason}: mlxpsub reads each python command's script"
        " (never runs it) to tell an @mlxp.launch script, submitted once per sweep point,"
        " from any other, which each job runs as a shell line\n"
        "    make the script readable from the directory mlxpsub runs in, or, for a line that"
        " is not a launch, hide it from mlxpsub: bash -c 'python ...'",
        path=job_script,
        line=command.line,
    )
