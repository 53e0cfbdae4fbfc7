"""``mlxp.status``: follow and cancel submitted runs from Python (``mlxp status``/``cancel``).

Kept at this import path for users; the code is in :mod:`mlxp.cluster` (``runs``, ``status``,
``cancel``).
"""

from mlxp._process import LOST
from mlxp.cluster.cancel import CANCEL_MARKER, CANCELLED, CancelResult, cancel_runs
from mlxp.cluster.runs import Run, find_runs, format_duration, format_table, summarize
from mlxp.cluster.status import job_states

__all__ = [
    "CANCELLED",
    "CANCEL_MARKER",
    "CancelResult",
    "LOST",
    "Run",
    "cancel_runs",
    "find_runs",
    "format_duration",
    "format_table",
    "job_states",
    "summarize",
]
