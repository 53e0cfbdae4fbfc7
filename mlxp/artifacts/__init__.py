"""Artifacts: objects saved into a run directory under a type (pickle, json, numpy, ...).

``Logger.log_artifacts``/``load_artifacts`` use this package; ``load_artifact(path, type)`` is
the entry point for code that only has a file path (the Reader). See docs/logging.md.
"""

from __future__ import annotations

from mlxp.artifacts._store import (
    RunArtifacts,
    check_artifact_name,
    load_artifact,
    load_pickle_in,
    save_artifact,
)
from mlxp.artifacts._types import (
    BUILTIN_TYPES,
    ArtifactType,
    get_artifact_type,
    register_artifact_type,
    registered_types,
)

__all__ = [
    "BUILTIN_TYPES",
    "ArtifactType",
    "RunArtifacts",
    "check_artifact_name",
    "get_artifact_type",
    "load_artifact",
    "load_pickle_in",
    "register_artifact_type",
    "registered_types",
    "save_artifact",
]
