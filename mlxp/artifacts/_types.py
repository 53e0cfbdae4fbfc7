"""Artifact types: the built-ins (pickle, json, numpy, torch, image) and user-registered ones.

numpy, torch and Pillow are imported only when an artifact of their type is saved or loaded.
A user type is remembered by the import paths of its functions, so that another process (a
Reader) can load its artifacts; functions no other process can import (defined inside a
function, or in the script run as ``__main__``) are stored as code instead (``_stored_code``).
"""

from __future__ import annotations

import importlib
import json
import os
import re
from typing import Any, BinaryIO, Callable, Dict, Optional, Tuple

from mlxp.artifacts._stored_code import (
    CUSTOM_TYPES_FILE,
    check_storable,
    load_stored_functions,
    read_custom_types,
)
from mlxp.errors import ArtifactError, InvalidNameError, MissingDependencyError

_TYPE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_SUFFIX = re.compile(r"^\.[A-Za-z0-9_.-]+$")


class ArtifactType:
    """How to save and load one kind of artifact.

    Built-in types stream into an open binary file (``write(obj, stream)``); user types keep
    MLXP's ``save(obj, path)`` signature. ``load(path)`` returns the object. ``import_paths``
    (user types) is ``{"save": "module:qualname", "load": ...}``; ``stored_code`` (user types
    no other process can import) is ``{"save": marshalled code, "load": ...}``.
    """

    __slots__ = ("name", "suffix", "load", "write", "save", "import_paths", "stored_code")

    def __init__(
        self,
        name: str,
        suffix: str,
        load: Callable[[str], Any],
        write: Optional[Callable[[Any, BinaryIO], None]] = None,
        save: Optional[Callable[[Any, str], None]] = None,
        import_paths: Optional[Dict[str, str]] = None,
        stored_code: Optional[Dict[str, bytes]] = None,
    ) -> None:
        self.name = name
        self.suffix = suffix
        self.load = load
        self.write = write
        self.save = save
        self.import_paths = import_paths
        self.stored_code = stored_code

    def file_suffix(self, obj: Any) -> str:
        """The suffix the file for ``obj`` gets (numpy: ``.npz`` for a mapping of arrays)."""
        if self.name == "numpy" and isinstance(obj, dict):
            return ".npz"
        return self.suffix


def _require(module: str, package: str, artifact_type: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingDependencyError(
            f"artifact type {artifact_type!r} needs the {package!r} package; install it with"
            f" 'pip install {package}'",
            package=package,
        ) from error


# --- built-in types ---------------------------------------------------------------------------


def _write_pickle(obj: Any, stream: BinaryIO) -> None:
    import pickle  # here, not at the top: it costs a millisecond of every `import mlxp`

    pickle.dump(obj, stream, protocol=pickle.HIGHEST_PROTOCOL)


def _load_pickle(path: str) -> Any:
    return load_pickle_with_trailer(path)[0]


def load_pickle_with_trailer(path: str) -> Tuple[Any, Any]:
    """The object pickled in ``path``, and the second pickle after it (None if there is none).

    A checkpoint carries a small trailer after its object; ``pickle.load`` stops at the end
    of the first object, so any pickle reader still gets the object alone.
    """
    import pickle

    with open(path, "rb") as stream:
        try:
            obj = pickle.load(stream)
        except ModuleNotFoundError as error:
            if error.name == "dill":  # checkpoints written by MLXP 1.0.5 may reference dill
                raise MissingDependencyError(
                    f"{path} was pickled with dill (MLXP 1.0.5); install it with 'pip install"
                    " dill'",
                    package="dill",
                ) from error
            raise
        try:
            trailer = pickle.load(stream)
        except Exception:  # no trailer, or bytes some other tool appended: only a hint is lost
            trailer = None
    return obj, trailer


def _write_json(obj: Any, stream: BinaryIO) -> None:
    try:
        text = json.dumps(obj)
    except (TypeError, ValueError) as error:
        raise ArtifactError(
            f"cannot save a {type(obj).__name__} as a json artifact: {error}; use the pickle"
            " type for arbitrary objects"
        ) from error
    stream.write(text.encode("utf-8"))


def _load_json(path: str) -> Any:
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def _write_numpy(obj: Any, stream: BinaryIO) -> None:
    np = _require("numpy", "numpy", "numpy")
    if isinstance(obj, dict):
        np.savez(stream, **obj)
    else:
        np.save(stream, np.asarray(obj), allow_pickle=False)


def _load_numpy(path: str) -> Any:
    np = _require("numpy", "numpy", "numpy")
    loaded = np.load(path, allow_pickle=False)
    if hasattr(loaded, "files"):  # an .npz archive: a mapping of arrays, read eagerly
        with loaded:
            return {key: loaded[key] for key in loaded.files}
    return loaded


def _write_torch(obj: Any, stream: BinaryIO) -> None:
    _require("torch", "torch", "torch").save(obj, stream)


def _load_torch(path: str) -> Any:
    torch = _require("torch", "torch", "torch")
    # Artifacts are this project's own files, so full unpickling is as trusted as the pickle
    # type; tensors come back on the CPU so that a machine without the GPU can read them.
    return torch.load(path, map_location="cpu", weights_only=False)


def _write_image(obj: Any, stream: BinaryIO) -> None:
    if hasattr(obj, "savefig"):  # a matplotlib Figure: matplotlib is already imported
        obj.savefig(stream, format="png", bbox_inches="tight")
        return
    image_module = _require("PIL.Image", "pillow", "image")
    if not isinstance(obj, image_module.Image):
        _require("numpy", "numpy", "image")
        obj = image_module.fromarray(obj)
    obj.save(stream, format="PNG")


def _load_image(path: str) -> Any:
    image = _require("PIL.Image", "pillow", "image").open(path)
    image.load()  # read the pixels now, so the file is closed before returning
    return image


BUILTIN_TYPES: Dict[str, ArtifactType] = {
    kind.name: kind
    for kind in (
        ArtifactType("pickle", ".pkl", _load_pickle, write=_write_pickle),
        ArtifactType("json", ".json", _load_json, write=_write_json),
        ArtifactType("numpy", ".npy", _load_numpy, write=_write_numpy),
        ArtifactType("torch", ".pt", _load_torch, write=_write_torch),
        ArtifactType("image", ".png", _load_image, write=_write_image),
    )
}
_registry: Dict[str, ArtifactType] = dict(BUILTIN_TYPES)


# --- user types -------------------------------------------------------------------------------


def _import_path(function: Callable[..., Any], role: str, type_name: str) -> Optional[str]:
    """``module:qualname`` of ``function`` if another process can import it, else None.

    Raises:
        ArtifactError: ``function`` is not callable.
    """
    if not callable(function):
        raise ArtifactError(
            f"the {role} function of artifact type {type_name!r} is not callable; pass a"
            " function defined with 'def'"
        )
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not module or not qualname or module == "__main__" or "<" in qualname:
        return None  # a script's, a local function, a lambda, a partial: stored as code
    try:
        found = resolve_import_path(f"{module}:{qualname}", type_name)
    except ArtifactError:
        return None
    return f"{module}:{qualname}" if found is function else None


def resolve_import_path(import_path: str, type_name: str) -> Any:
    """The object ``module:qualname`` names (used to load user types in another process)."""
    module_name, _, qualname = import_path.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        in_script = module_name == "__main__"
        hint = " (defined in the script that ran; move it to a module)" if in_script else ""
        raise ArtifactError(
            f"artifact type {type_name!r}: cannot import {import_path}{hint}; call"
            f" mlxp.register_artifact_type({type_name!r}, save, load) first"
        ) from error
    return target


def register_artifact_type(
    name: str,
    save: Callable[[Any, str], None],
    load: Callable[[str], Any],
    suffix: str = "",
) -> None:
    """Teach ``log_artifacts``/``load_artifacts`` a new type, as ``save(obj, path)``/``load(path)``.

    Functions importable as ``module:qualname`` are recorded by that path; others (defined
    inside a function or in the script, MLXP 1.0.5's pattern) are stored as code in the run,
    which a Reader runs only with ``trust_stored_code=True``. Registering the same functions
    again is harmless.

    Raises:
        ArtifactError: a function is not callable, or is a closure that cannot be stored; a
            built-in or already-registered name.
        InvalidNameError: ``name`` cannot be a directory name, or ``suffix`` is not ``.x``.
    """
    if not _TYPE_NAME.match(name or ""):
        raise InvalidNameError(
            f"artifact type {name!r} must be letters, digits, '_', '-' or '.', not starting"
            " with '.' or '-'",
            name=name,
        )
    if suffix and not _SUFFIX.match(suffix):
        raise InvalidNameError(f"suffix {suffix!r} must look like '.txt'", name=suffix)
    if name in BUILTIN_TYPES:
        raise ArtifactError(f"artifact type {name!r} is built in and cannot be replaced")
    save_path, load_path = _import_path(save, "save", name), _import_path(load, "load", name)
    paths: Optional[Dict[str, str]] = None
    code: Optional[Dict[str, bytes]] = None
    if save_path and load_path:
        paths = {"save": save_path, "load": load_path}
    else:
        code = {"save": check_storable(save, "save", name),
                "load": check_storable(load, "load", name)}
    known = _registry.get(name)
    if known is not None and (known.import_paths, known.stored_code, known.suffix) != (
        paths, code, suffix
    ):
        raise ArtifactError(
            f"artifact type {name!r} is already registered with other functions or suffix"
            f" ({known.import_paths or 'stored code'}, suffix {known.suffix!r}); pick another"
            " name"
        )
    _registry[name] = ArtifactType(
        name, suffix, load, save=save, import_paths=paths, stored_code=code
    )


def get_artifact_type(
    name: str,
    recorded: Optional[Dict[str, Any]] = None,
    keys_dir: Optional[str] = None,
    trust_stored_code: bool = False,
) -> ArtifactType:
    """The type called ``name``: registered here, or as a run recorded it.

    ``recorded`` is the run's ``types.yaml``; ``keys_dir`` its ``artifacts/.keys``, whose
    ``custom_types.yaml`` holds stored code (run only if ``trust_stored_code``).

    Raises:
        ArtifactError: the type is unknown, or its stored code may not or cannot run.
    """
    known = _registry.get(name)
    if known is not None:
        return known
    entry = (recorded or {}).get(name)
    if isinstance(entry, dict) and "load" in entry:
        load = resolve_import_path(entry["load"], name)
        save = resolve_import_path(entry["save"], name) if "save" in entry else None
        return ArtifactType(name, entry.get("suffix", ""), load, save=save, import_paths=entry)
    if keys_dir is not None and (entry is None or isinstance(entry, dict)):
        tag = entry.get("stored_code") if isinstance(entry, dict) else None
        stored = read_custom_types(os.path.join(keys_dir, CUSTOM_TYPES_FILE))
        if entry is not None or name in stored:
            save, load = load_stored_functions(name, keys_dir, trust_stored_code, tag)
            suffix = entry.get("suffix", "") if isinstance(entry, dict) else ""
            return ArtifactType(name, suffix, load, save=save)
    raise ArtifactError(
        f"unknown artifact type {name!r}; known types: {', '.join(sorted(_registry))}. Register"
        " new ones with mlxp.register_artifact_type(name, save, load)"
    )


def registered_types() -> Dict[str, ArtifactType]:
    """The types known in this process, built-ins first (a copy)."""
    return dict(_registry)
