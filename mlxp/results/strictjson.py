"""JSON text a browser's ``JSON.parse`` accepts: no NaN, no infinity, unknown types as text.

Python's ``json`` writes ``NaN`` and ``Infinity``, which are not JSON: one such value in a run's
config would make the browser refuse the whole runs table.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["strict_json"]


def strict_json(value: Any) -> str:
    """``value`` as compact strict JSON: non-finite floats become null, unknown types (a date
    read from YAML) their text."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"), default=str)
    except ValueError:  # a NaN somewhere: rare, so the slow walk runs only then
        return json.dumps(_finite(value), allow_nan=False, separators=(",", ":"), default=str)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
