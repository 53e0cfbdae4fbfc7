"""``mlxp.__all__`` is sorted, complete and importable."""

from __future__ import annotations

import types

import mlxp


def test_all_is_sorted_and_importable() -> None:
    assert mlxp.__all__ == sorted(mlxp.__all__)
    for name in mlxp.__all__:
        assert hasattr(mlxp, name), name


def test_every_public_name_is_in_all() -> None:
    public = {
        name for name, value in vars(mlxp).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("mlxp")
    }
    assert public <= set(mlxp.__all__)


def test_the_namespace_holds_no_stray_helpers() -> None:
    """``from typing import Any`` or ``from __future__ import annotations`` would show up here."""
    stray = {name for name, value in vars(mlxp).items()
             if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert stray <= set(mlxp.__all__)
    assert {name for name in dir(mlxp) if not name.startswith("_")} - set(mlxp.__all__) <= {
        name for name, value in vars(mlxp).items() if isinstance(value, types.ModuleType)}


def test_mlxp_names_users_know_are_there() -> None:
    for name in ("launch", "Context", "Logger", "DefaultLogger", "MLXPError"):
        assert name in mlxp.__all__
    assert mlxp.DefaultLogger is mlxp.Logger
