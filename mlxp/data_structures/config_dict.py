"""MLXP's ``mlxp.data_structures.config_dict``: ``ConfigDict`` is mlxp's own
(:class:`mlxp.config.ConfigDict`), and ``convert_dict`` converts nested mappings as MLXP's does.
"""

from __future__ import annotations

from typing import Any

from mlxp.config import ConfigDict

__all__ = ["ConfigDict", "convert_dict"]


def convert_dict(src_dict: Any, src_class: type = dict,
                 dst_class: type = ConfigDict) -> Any:
    """A ``dst_class`` copy of ``src_dict`` whose nested ``src_class`` mappings become
    ``dst_class`` too (``convert_dict(cfg, src_class=ConfigDict, dst_class=dict)`` gives plain
    dicts).

    MLXP's default ``src_class`` is OmegaConf's ``DictConfig``; mlxp has no OmegaConf, so it is
    ``dict`` here (a ``ConfigDict`` is a ``dict``).
    """
    return dst_class({
        key: convert_dict(value, src_class, dst_class) if isinstance(value, src_class) else value
        for key, value in src_dict.items()
    })
