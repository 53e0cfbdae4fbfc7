"""The JSON answers of ``mlxp ui`` (``/api/...``): routing, parameters, and the data they need.

Each route takes the rest of the path and the query's parameters and returns an ``Answer``;
a refused request is a ``RouteError``, answered as ``{"error": {"message", "column"}}``. The
run data comes from ``mlxp.results`` (summaries, curves) and ``mlxp.ui.run_page``.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional

from mlxp import _layout
from mlxp.ui import run_page
from mlxp.ui._http import Answer, RouteError, error_answer, json_answer
from mlxp.ui.tail import read_tail

Query = Dict[str, List[str]]


def text_param(query: Query, name: str, default: str = "") -> str:
    """The last value of a query parameter."""
    values = query.get(name)
    return values[-1] if values else default


def int_param(query: Query, name: str, default: Optional[int], low: int = 0,
              high: int = 1 << 62) -> Optional[int]:
    """An integer query parameter within ``[low, high]``.

    Raises:
        RouteError: 400 naming the parameter when it is not such an integer.
    """
    text = text_param(query, name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise RouteError(400, f"{name} must be an integer, not {text!r}") from None
    if not low <= value <= high:
        raise RouteError(400, f"{name} must be between {low} and {high}, not {value}")
    return value


class Api:
    """The routes of one log directory."""

    def __init__(self, logdir: str) -> None:
        self.logdir = os.path.abspath(logdir)
        self.routes: Dict[str, Callable[[str, Query], Answer]] = {
            "run": self._run,
            "artifact": self._artifact,
            "tail": self._tail,
        }

    def answer(self, route: str, query: Query) -> Answer:
        """The answer to ``/api/<route>?<query>``."""
        name, _, rest = route.partition("/")
        handler = self.routes.get(name)
        try:
            if handler is None:
                raise RouteError(404, f"no such API: /api/{name}")
            return handler(rest, query)
        except RouteError as error:
            return error_answer(error)

    def run_dir(self, log_id: str) -> str:
        """The directory of run ``log_id``.

        Raises:
            RouteError: 404 when ``log_id`` is not a log id or there is no such run.
        """
        path = os.path.join(self.logdir, log_id)
        if not _layout.is_run_dir_name(log_id) or not os.path.isdir(path):
            raise RouteError(404, f"no run {log_id!r} in {_layout.display_path(self.logdir)}")
        return path

    def status(self, run_dir: str) -> str:
        """The run's status as recorded in ``info.yaml`` (DAMAGED when unreadable)."""
        from mlxp._yaml import load_yaml
        from mlxp.reader._files import read_regular_file

        path = os.path.join(run_dir, _layout.METADATA_DIR, _layout.INFO_FILE)
        try:
            info = load_yaml(read_regular_file(path).decode("utf-8"), path)
        except Exception:  # noqa: BLE001 -- any damage reads as DAMAGED, never a 500
            return run_page.DAMAGED
        status = info.get("status") if isinstance(info, dict) else None
        return str(status) if status else run_page.DAMAGED

    def _run(self, rest: str, query: Query) -> Answer:
        run_dir = self.run_dir(rest)
        return json_answer(run_page.run_page(run_dir, rest, self.status(run_dir), _no_mask))

    def _artifact(self, rest: str, query: Query) -> Answer:
        log_id, name = run_page.split_artifact_route(rest)
        return run_page.artifact_answer(self.run_dir(log_id), name)

    def _tail(self, rest: str, query: Query) -> Answer:
        log_id, _, log_name = rest.partition("/")
        run_dir = self.run_dir(log_id)
        if not log_name or log_name.startswith(".") or "/" in log_name or "\0" in log_name:
            raise RouteError(404, f"no metrics log {log_name!r}: a tail URL is"
                                  " /api/tail/<run id>/<log name>")
        offset = int_param(query, "offset", 0) or 0
        ino = int_param(query, "ino", None)
        tag = text_param(query, "tag") or None
        path = os.path.join(run_dir, _layout.METRICS_DIR, log_name + _layout.METRIC_SUFFIX)
        payload: Dict[str, Any]
        try:
            payload = read_tail(path, offset, ino, tag)
        except FileNotFoundError:  # nothing logged yet under that name
            payload = {"offset": 0, "ino": None, "tag": None, "reset": offset > 0,
                       "records": [], "skipped": 0}
        except OSError as error:
            payload = {"offset": offset, "ino": ino, "tag": tag, "reset": False, "records": [],
                       "skipped": 0,
                       "problem": f"metrics/{log_name}.json: {error.strerror or error}"}
        payload["status"] = self.status(run_dir)
        return json_answer(payload)


def _no_mask(mapping: Dict[str, Any]) -> Dict[str, Any]:
    return mapping
