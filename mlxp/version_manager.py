"""MLXP's ``mlxp.version_manager``: the interface a custom version manager implements and the
built-in ``GitVM``, both defined in :mod:`mlxp.vcs` (docs/version-manager.md)."""

from mlxp.vcs import GitVM, VersionManager

__all__ = ["GitVM", "VersionManager"]
