"""Artifact files of one run: safe names, atomic writes, and the ``artifacts/.keys`` index.

An artifact lives at ``<log_dir>/artifacts/<type>/<name><suffix>``. It is written to a
temporary file in the same directory, fsynced and renamed into place, so a crash leaves the
previous version or the new one, never a torn file.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from mlxp import _layout
from mlxp._yaml import dump_yaml, load_yaml_file
from mlxp.artifacts._leftovers import remove_stale_temp_files
from mlxp.artifacts._stored_code import (
    CUSTOM_TYPES_FILE,
    MLXP_MISSING_BUILTINS,
    PYTHON_TAG,
    custom_types_entry,
    read_custom_types,
    write_custom_types,
)
from mlxp.artifacts._types import (
    BUILTIN_TYPES,
    ArtifactType,
    _write_pickle,
    get_artifact_type,
    load_pickle_with_trailer,
    registered_types,
)
from mlxp.errors import ArtifactError, InvalidNameError

TYPES_FILE = "types.yaml"  # artifacts/.keys/types.yaml: where user types' functions live
CHECKPOINTS_FILE = "checkpoints.yaml"  # artifacts/.keys/checkpoints.yaml: checkpoint names


def check_artifact_name(name: str) -> None:
    """Refuse a name that would leave ``artifacts/<type>/`` or hide among temporary files.

    Raises:
        InvalidNameError: the name is empty, absolute, contains ``..`` or a backslash, or has
            an empty or hidden (``.``-prefixed) path component.
    """
    problem = ""
    if not isinstance(name, str) or not name:
        problem = "must be a non-empty string"
    elif name.startswith("/") or os.path.isabs(name):
        problem = "must be relative to the run's artifacts directory, not absolute"
    elif ".." in name:
        problem = "must not contain '..'"
    elif "\\" in name or "\0" in name:
        problem = "must use '/' to separate directories and contain no NUL"
    elif any(not part or part.startswith(".") for part in name.split("/")):
        problem = "must not have empty or hidden ('.'-prefixed) path components"
    if problem:
        raise InvalidNameError(f"artifact name {name!r} {problem}", name=name)


def _suffixes(kind: ArtifactType) -> List[str]:
    return list(dict.fromkeys(s for s in (kind.suffix, kind.file_suffix({})) if s))


def strip_suffix(name: str, kind: ArtifactType) -> str:
    """The artifact's logical name: ``last_ckpt.pkl`` and ``last_ckpt`` both mean ``last_ckpt``."""
    for suffix in _suffixes(kind):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def find_artifact_file(type_dir: str, name: str, kind: ArtifactType) -> Optional[str]:
    """The file of artifact ``name`` under ``type_dir``: with its suffix, or bare (MLXP 1.0.5)."""
    for suffix in [*_suffixes(kind), ""]:
        path = os.path.join(type_dir, name + suffix)
        if os.path.isfile(path):
            return path
    return None


def save_artifact(obj: Any, path: str, kind: ArtifactType, trailer: Any = None) -> None:
    """Write ``obj`` to ``path`` atomically: temp file in the same directory, fsync, rename.

    ``trailer`` (pickle only) is pickled after ``obj`` in the same file, so it is replaced
    together with it: a checkpoint's record of the metrics written so far.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with _layout.replacing(path) as tmp_path:
        if kind.write is not None:
            with _layout.open_new(tmp_path) as stream:
                kind.write(obj, stream)
                if trailer is not None:
                    _write_pickle(trailer, stream)
                stream.flush()
                os.fsync(stream.fileno())
        elif kind.save is not None:
            kind.save(obj, tmp_path)
            _fsync_written(tmp_path, kind)
        else:
            raise ArtifactError(f"artifact type {kind.name!r} was recorded without a save function")


def _fsync_written(tmp_path: str, kind: ArtifactType) -> None:
    try:
        fd = os.open(tmp_path, os.O_RDONLY)
    except FileNotFoundError as error:
        raise ArtifactError(
            f"the save function of artifact type {kind.name!r} did not write the path it was"
            f" given ({tmp_path}); it must write exactly there, without adding a suffix"
        ) from error
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_artifact(path: str, artifact_type: str, trust_stored_code: bool = False) -> Any:
    """Load the artifact file at ``path`` (the Reader's entry point).

    ``path`` may omit the type's suffix. A user type not registered in this process is
    imported from the ``module:qualname`` recorded in the run's ``artifacts/.keys/types.yaml``,
    or rebuilt from the code stored in ``custom_types.yaml`` if ``trust_stored_code``.

    Raises:
        ArtifactError: unknown type, stored code not trusted or unloadable, or no file at ``path``.
        MissingDependencyError: the type's package (numpy, torch, pillow) is not installed.
    """
    if artifact_type in registered_types():
        kind = get_artifact_type(artifact_type)
    else:
        keys_dir = _keys_dir_above(path)
        recorded = None
        if keys_dir is not None and os.path.isfile(os.path.join(keys_dir, TYPES_FILE)):
            recorded = load_yaml_file(os.path.join(keys_dir, TYPES_FILE))
        kind = get_artifact_type(artifact_type, recorded, keys_dir, trust_stored_code)
    if not os.path.isfile(path):
        found = find_artifact_file(os.path.dirname(path), os.path.basename(path), kind)
        if found is None:
            raise ArtifactError(f"no {artifact_type} artifact at {path}", path=path)
        path = found
    return kind.load(path)


def load_pickle_in(directory: str, name: str) -> Any:
    """The object pickled as ``<directory>/<name>`` (``.pkl`` optional), or None if absent."""
    path = find_artifact_file(directory, name, get_artifact_type("pickle"))
    return None if path is None else load_pickle_with_trailer(path)[0]


def _keys_dir_above(path: str) -> Optional[str]:
    """``artifacts/.keys`` of the run holding ``path``: under the nearest ``artifacts/`` above."""
    directory = os.path.dirname(os.path.abspath(path))
    while os.path.dirname(directory) != directory:
        if os.path.basename(directory) == _layout.ARTIFACTS_DIR:
            keys_dir = os.path.join(directory, _layout.KEYS_DIR)
            return keys_dir if os.path.isdir(keys_dir) else None
        directory = os.path.dirname(directory)
    return None


def _names_in(entry: Any) -> List[str]:
    """Artifact names of one type in ``artifacts.yaml``: ours (a list) or MLXP 1.0.5's mapping."""
    if isinstance(entry, list):
        return [str(name) for name in entry]
    names = []
    if isinstance(entry, dict):  # MLXP 1.0.5: {".sub.dir": {base_name: ""}}, "" for the top
        for dir_key, bases in entry.items():
            prefix = "/".join(str(dir_key).lstrip(".").split(".")) if dir_key else ""
            for base in bases or {}:
                names.append(f"{prefix}/{base}" if prefix else str(base))
    return names


class RunArtifacts:
    """The artifacts of one run: write and read them, and keep ``artifacts/.keys`` current.

    ``artifacts.yaml`` is in MLXP 1.0.5's format, ``{artifact_type: {".sub.dir" or "": {file
    name: ""}}}`` with file names relative to ``artifacts/<type>/`` and with their suffix
    (``last_ckpt.pkl``; MLXP 1.0.5 wrote none), so that MLXP 1.0.5 reads the run too.
    ``types.yaml`` records ``{type: {save, load, suffix}}`` for each user type in use, or
    ``{stored_code: <python tag>, suffix}`` for one whose code is in ``custom_types.yaml``
    (MLXP's file, which also gets every user type and our built-ins MLXP lacks).
    """

    def __init__(self, artifacts_dir: str, trust_stored_code: bool = False) -> None:
        self._dir = artifacts_dir
        self._trust = trust_stored_code
        self._keys_dir = os.path.join(artifacts_dir, _layout.KEYS_DIR)
        self._names: Optional[Dict[str, List[str]]] = None
        self._types: Optional[Dict[str, Any]] = None

    def _recorded(self, file_name: str) -> Dict[str, Any]:
        path = os.path.join(self._keys_dir, file_name)
        loaded = load_yaml_file(path) if os.path.isfile(path) else None
        return loaded if isinstance(loaded, dict) else {}

    def _recorded_names(self) -> Dict[str, List[str]]:
        if self._names is None:
            self._names = {
                str(kind): _names_in(entry)
                for kind, entry in self._recorded(_layout.ARTIFACT_KEYS_FILE).items()
            }
        return self._names

    def _recorded_types(self) -> Dict[str, Any]:
        if self._types is None:
            self._types = self._recorded(TYPES_FILE)
        return self._types

    def _write_keys(self, file_name: str, data: Dict[str, Any]) -> None:
        os.makedirs(self._keys_dir, exist_ok=True)
        _layout.atomic_write_text(os.path.join(self._keys_dir, file_name), dump_yaml(data))

    def log(self, obj: Any, name: str, artifact_type: str, trailer: Any = None) -> str:
        """Save ``obj`` atomically and index it; returns the file's path (see ``save_artifact``)."""
        check_artifact_name(name)
        kind = self._type(artifact_type)
        file_name = strip_suffix(name, kind) + kind.file_suffix(obj)
        path = os.path.join(self._dir, kind.name, file_name)
        types = self._recorded_types()
        entry = _type_entry(kind)
        if entry is not None and types.get(kind.name) != entry:
            types[kind.name] = entry
            self._write_keys(TYPES_FILE, types)
        save_artifact(obj, path, kind, trailer)
        self._record_for_mlxp(kind)
        names = self._recorded_names().setdefault(kind.name, [])
        if file_name not in names:
            names.append(file_name)
            names.sort()
            self._write_keys(_layout.ARTIFACT_KEYS_FILE, _as_mlxp_names(self._recorded_names()))
        return path

    def _type(self, artifact_type: str) -> ArtifactType:
        return get_artifact_type(
            artifact_type, self._recorded_types(), self._keys_dir, self._trust
        )

    def _record_for_mlxp(self, kind: ArtifactType) -> None:
        """Put the type's code in ``custom_types.yaml`` unless MLXP 1.0.5 knows it already."""
        if kind.name in MLXP_MISSING_BUILTINS:
            save, load = MLXP_MISSING_BUILTINS[kind.name]
        elif kind.name in BUILTIN_TYPES or kind.save is None:
            return
        else:
            save, load = kind.save, kind.load
        if not hasattr(save, "__code__") or not hasattr(load, "__code__"):
            return  # a callable object: MLXP 1.0.5 could not store it either
        path = os.path.join(self._keys_dir, CUSTOM_TYPES_FILE)
        stored = read_custom_types(path)
        entry = custom_types_entry(save, load)
        if stored.get(kind.name) != entry:
            os.makedirs(self._keys_dir, exist_ok=True)
            write_custom_types(path, {**stored, kind.name: entry})

    def find(self, name: str, artifact_type: Optional[str] = None) -> Optional[str]:
        """The file of artifact ``name`` (type inferred when None), or None if there is none."""
        check_artifact_name(name)
        if artifact_type is None:
            artifact_type = self.infer_type(name)
        kind = self._type(artifact_type)
        return self._find_file(name, kind)

    def _find_file(self, name: str, kind: ArtifactType) -> Optional[str]:
        type_dir = os.path.join(self._dir, kind.name)
        return find_artifact_file(type_dir, strip_suffix(name, kind), kind)

    def load(self, name: str, artifact_type: Optional[str] = None) -> Any:
        """Load artifact ``name``; its type is looked up in ``artifacts.yaml`` when not given."""
        if artifact_type is None:
            artifact_type = self.infer_type(name)
        path = self.find(name, artifact_type)
        if path is None:
            raise ArtifactError(f"no {artifact_type} artifact {name!r} in {self._dir}", name=name)
        return self._type(artifact_type).load(path)

    def log_checkpoint(self, obj: Any, name: str, trailer: Any) -> str:
        """Pickle ``obj`` + ``trailer`` as checkpoint ``name``; returns the file's path.

        The name is indexed before the file is written, so that ``has_checkpoint`` never
        misses a checkpoint that exists; leftovers of an earlier interrupted write go first.
        """
        check_artifact_name(name)
        names = self._recorded(CHECKPOINTS_FILE).get("names") or []
        if name not in names:
            self._write_keys(CHECKPOINTS_FILE, {"names": sorted([*names, name])})
        kind = get_artifact_type("pickle")
        remove_stale_temp_files(os.path.join(self._dir, kind.name),
                                strip_suffix(name, kind) + kind.file_suffix(obj))
        return self.log(obj, name, "pickle", trailer=trailer)

    def has_checkpoint(self) -> bool:
        """Whether a checkpoint written by ``log_checkpoint`` is on disk."""
        names = self._recorded(CHECKPOINTS_FILE).get("names") or []
        return any(self.find(str(name), "pickle") for name in names)

    def remove_stale_temp_files(self) -> List[str]:
        """Remove what interrupted artifact writes of dead processes left; the paths removed."""
        return remove_stale_temp_files(self._dir)

    def load_checkpoint(self, name: str) -> Optional[Tuple[Any, Any]]:
        """``(object, trailer)`` of pickled checkpoint ``name``, or None when there is none yet."""
        path = self.find(name, "pickle")
        return None if path is None else load_pickle_with_trailer(path)

    def infer_type(self, name: str) -> str:
        """The one type under which ``name`` was logged (index first, then the files on disk).

        Raises:
            ArtifactError: no artifact of that name, or several types have one.
        """
        check_artifact_name(name)
        kinds = registered_types()
        indexed = [
            artifact_type for artifact_type, names in self._recorded_names().items()
            if any(_same_artifact(known, name, kinds.get(artifact_type)) for known in names)
        ]
        if len(indexed) == 1:
            return indexed[0]
        on_disk = [kind.name for kind in kinds.values() if self._find_file(name, kind)]
        found = indexed or on_disk
        if len(found) == 1:
            return found[0]
        if found:
            raise ArtifactError(
                f"artifact {name!r} exists as several types ({', '.join(sorted(found))});"
                " pass artifact_type",
                name=name,
            )
        raise ArtifactError(
            f"no artifact {name!r} in {self._dir}; logged so far:"
            f" {self._recorded_names() or 'none'}",
            name=name,
        )


def _same_artifact(recorded: str, name: str, kind: Optional[ArtifactType]) -> bool:
    """Whether ``name`` (with or without suffix) means the recorded file name."""
    if recorded == name:
        return True
    return kind is not None and strip_suffix(recorded, kind) == strip_suffix(name, kind)


def _type_entry(kind: ArtifactType) -> Optional[Dict[str, Any]]:
    """The ``types.yaml`` entry of a user type (None for the built-ins)."""
    if kind.import_paths:
        return {**kind.import_paths, "suffix": kind.suffix}
    if kind.stored_code:
        return {"stored_code": PYTHON_TAG, "suffix": kind.suffix}
    return None


def _as_mlxp_names(names: Dict[str, List[str]]) -> Dict[str, Dict[str, Dict[str, str]]]:
    """``artifacts.yaml`` as MLXP 1.0.5 writes it: ``{type: {".a.b" or "": {base: ""}}}``."""
    mlxp_names: Dict[str, Dict[str, Dict[str, str]]] = {}
    for artifact_type, files in names.items():
        by_dir = mlxp_names.setdefault(artifact_type, {})
        for file_name in files:
            directory, _, base = file_name.rpartition("/")
            dir_key = "." + directory.replace("/", ".") if directory else ""
            by_dir.setdefault(dir_key, {})[base] = ""
    return mlxp_names
