"""How a path is shown to the user: relative to the working directory when it is below it.

Errors (the bottom layer) and the run layout both show paths, so the rule lives here, once.
"""

from __future__ import annotations

import os

__all__ = ["display_path"]


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it is below it (``logs/3``,
    ``configs/config.yaml``), else as given."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
