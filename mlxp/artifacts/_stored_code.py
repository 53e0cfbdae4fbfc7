"""Artifact types whose functions cannot be imported: kept as compiled code in the run.

MLXP 1.0.5's documented pattern registers ``save``/``load`` functions defined inside ``main``
or in the script itself, which no other process can import. As MLXP does, their code objects
are stored with ``marshal`` in ``artifacts/.keys/custom_types.yaml`` (``{type: {load: !!binary,
save: !!binary}}``), so MLXP 1.0.5 reads them too. ``types.yaml`` records which Python
wrote them: marshal data is tied to the interpreter's bytecode version.

Stored code is a program: it runs only when the reader opts in (``trust_stored_code=True``).
The functions see builtins plus ``os`` and ``json`` as globals (MLXP ran them in a module that
had those); anything else they use must be imported inside them.
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import sys
import types
from typing import Any, Callable, Dict, Optional, Tuple

from mlxp import _layout
from mlxp._yaml import dump_yaml, load_yaml_file
from mlxp.errors import ArtifactError, ConfigFileError

CUSTOM_TYPES_FILE = "custom_types.yaml"  # artifacts/.keys/custom_types.yaml: MLXP's name
PYTHON_TAG = f"{sys.implementation.cache_tag}-{importlib.util.MAGIC_NUMBER.hex()}"
"""Which bytecode this interpreter's marshal data holds (``cpython-311-a70d0d0a``)."""


def check_storable(function: Callable[..., Any], role: str, type_name: str) -> bytes:
    """The marshalled code of ``function``, which another process can rebuild.

    Raises:
        ArtifactError: ``function`` is not a plain Python function, or uses variables of the
            function it is defined in (a closure cannot be rebuilt from its code alone).
    """
    code = getattr(function, "__code__", None)
    if not isinstance(code, types.CodeType):
        raise ArtifactError(
            f"the {role} function of artifact type {type_name!r} is not a Python function"
            " (a functools.partial or a callable object?); define it with 'def'"
        )
    if getattr(function, "__closure__", None):
        raise ArtifactError(
            f"the {role} function of artifact type {type_name!r} uses variables of the function"
            f" it is defined in ({', '.join(code.co_freevars)}); a Reader in another process"
            " cannot rebuild it: import or compute them inside it, or define it at the top"
            " level of a module"
        )
    return marshal.dumps(code)


def custom_types_entry(save: Callable[..., Any], load: Callable[..., Any]) -> Dict[str, bytes]:
    """MLXP 1.0.5's ``custom_types.yaml`` entry for a type: the marshalled code of both."""
    return {"load": marshal.dumps(load.__code__), "save": marshal.dumps(save.__code__)}


def _json_save(obj: Any, path: str) -> None:
    import json as json_module  # inside: MLXP runs this code with its own globals

    with open(path, "w", encoding="utf-8") as stream:
        json_module.dump(obj, stream)


def _json_load(path: str) -> Any:
    import json as json_module

    with open(path, encoding="utf-8") as stream:
        return json_module.load(stream)


MLXP_MISSING_BUILTINS: Dict[str, Tuple[Callable[..., Any], Callable[..., Any]]] = {
    "json": (_json_save, _json_load),
}
"""Our built-in types MLXP 1.0.5 lacks: written to ``custom_types.yaml`` so that it reads them."""


def _not_trusted(type_name: str, where: str) -> ArtifactError:
    return ArtifactError(
        f"artifact type {type_name!r} is stored as Python code in {where}; mlxp runs stored"
        " code only when asked to. If you trust these runs, read them with"
        " mlxp.Reader(..., trust_stored_code=True); or call"
        f" mlxp.register_artifact_type({type_name!r}, save, load) with the same functions first",
        artifact_type=type_name,
    )


def _function(blob: Any, role: str, type_name: str, where: str) -> Callable[..., Any]:
    try:
        code = marshal.loads(blob)
    except (ValueError, EOFError, TypeError) as error:
        raise ArtifactError(
            f"the {role} code of artifact type {type_name!r} in {where} cannot be loaded by this"
            f" Python ({sys.version.split()[0]}): it was stored by another Python version. Read"
            " the run with the Python version that wrote it, or call"
            f" mlxp.register_artifact_type({type_name!r}, save, load) first",
            artifact_type=type_name,
        ) from error
    if not isinstance(code, types.CodeType) or code.co_freevars:
        raise ArtifactError(f"the {role} entry of artifact type {type_name!r} in {where} is not"
                            " a function's code", artifact_type=type_name)
    namespace = {"__builtins__": __builtins__, "__name__": "mlxp_stored_code", "os": os,
                 "json": json}
    return types.FunctionType(code, namespace, role)


def load_stored_functions(
    type_name: str, keys_dir: str, trust: bool, python_tag: Optional[str]
) -> Tuple[Callable[..., Any], Callable[..., Any]]:
    """``(save, load)`` of ``type_name`` rebuilt from ``<keys_dir>/custom_types.yaml``.

    Raises:
        ArtifactError: the file has no such type; ``trust`` is false; the code was written by
            another Python version (``python_tag`` from ``types.yaml``, None if not recorded).
    """
    path = os.path.join(keys_dir, CUSTOM_TYPES_FILE)
    where = os.path.join(os.path.basename(os.path.dirname(keys_dir)), ".keys", CUSTOM_TYPES_FILE)
    entry = read_custom_types(path).get(type_name)
    if not isinstance(entry, dict) or "load" not in entry:
        raise ArtifactError(
            f"unknown artifact type {type_name!r}: {path} does not hold it. Register it with"
            f" mlxp.register_artifact_type({type_name!r}, save, load) before reading",
            artifact_type=type_name,
        )
    if not trust:
        raise _not_trusted(type_name, path)
    if python_tag is not None and python_tag != PYTHON_TAG:
        raise ArtifactError(
            f"artifact type {type_name!r} in {path} was stored by {python_tag} and this is"
            f" {PYTHON_TAG}: compiled code does not carry across Python versions. Read the run"
            f" with the Python version that wrote it, or call"
            f" mlxp.register_artifact_type({type_name!r}, save, load) first",
            artifact_type=type_name,
        )
    load = _function(entry["load"], "load", type_name, where)
    save = _function(entry["save"], "save", type_name, where) if "save" in entry else load
    return save, load


def read_custom_types(path: str) -> Dict[str, Any]:
    """The mapping in ``custom_types.yaml`` (``!!binary`` values), empty if there is none."""
    if not os.path.isfile(path):
        return {}
    try:
        loaded = load_yaml_file(path)
    except (OSError, ConfigFileError) as error:
        raise ArtifactError(f"{path} cannot be read: {error}", path=path) from error
    return loaded if isinstance(loaded, dict) else {}


def write_custom_types(path: str, entries: Dict[str, Any]) -> None:
    """Write ``custom_types.yaml`` atomically, in MLXP 1.0.5's format."""
    _layout.atomic_write_text(path, dump_yaml(entries))
