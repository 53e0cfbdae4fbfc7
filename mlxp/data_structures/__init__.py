"""MLXP's ``mlxp.data_structures`` package, kept so that code written for MLXP imports
unchanged; the names live in mlxp's own modules (docs/mlxp-names.md)."""
