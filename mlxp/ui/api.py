"""The JSON answers of ``mlxp ui`` (``/api/...``): routing, parameters, and the data they need.

Each route takes the rest of the path and the query's parameters and returns an ``Answer``;
a refused request is a ``RouteError``, answered as ``{"error": {"message", "column"}}``. The
run data comes from ``mlxp.results`` (summaries, curves) and ``mlxp.ui.run_page``.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from typing import Any, Callable, Dict, Iterator, List, Optional

from mlxp import _layout
from mlxp.errors import QueryError, ReaderError
from mlxp.results.columns import ColumnCache
from mlxp.results.curves import BANDS, STEP, Series, align_and_aggregate
from mlxp.results.runs import (
    RunSummary,
    load_runs,
    load_summaries,
    nest,
    table_json,
    varying_keys,
)
from mlxp.results.secrets import env_keys_of, mask_config
from mlxp.ui import run_page
from mlxp.ui._http import JSON_TYPE, Answer, RouteError, error_answer, json_answer
from mlxp.ui.downsample import downsample, downsample_aggregate, window
from mlxp.ui.runs_table import RunsTable
from mlxp.ui.series_cache import Curve, SeriesCache
from mlxp.ui.tail import read_tail

Query = Dict[str, List[str]]

DEFAULT_WIDTH = 800
MAX_WIDTH = 10_000
MAX_RUNS_PER_CHART = 1000
"""Curves per /api/series or /api/groups answer (each at most 2 * width points)."""


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


def list_param(query: Query, name: str) -> List[str]:
    """A comma-separated query parameter, without empty items."""
    return [item.strip() for item in text_param(query, name).split(",") if item.strip()]


def float_param(query: Query, name: str) -> Optional[float]:
    """A number query parameter, or None when absent.

    Raises:
        RouteError: 400 naming the parameter when it is not a finite number.
    """
    text = text_param(query, name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RouteError(400, f"{name} must be a number, not {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise RouteError(400, f"{name} must be a finite number, not {text!r}")
    return value


def log_name_param(query: Query, name: str = "log") -> str:
    """A metrics log name: a plain file name, required.

    Raises:
        RouteError: 400 when missing, 404 when it could name another file.
    """
    value = text_param(query, name)
    if not value:
        raise RouteError(400, f"{name} is required (the metrics log, such as 'train')")
    if value.startswith(".") or "/" in value or "\\" in value or "\0" in value:
        raise RouteError(404, f"no metrics log {value!r}")
    return value


class Api:
    """The routes of one log directory, and the curves they keep in memory."""

    def __init__(self, logdir: str) -> None:
        self.logdir = os.path.abspath(logdir)
        self.shown_logdir = _layout.display_path(self.logdir)
        self.curves = SeriesCache(columns=ColumnCache(self.logdir))
        self.table = RunsTable(self._read_table, self._count_runs)
        self.routes: Dict[str, Callable[[str, Query], Answer]] = {
            "runs": self._runs,
            "run": self._run,
            "artifact": self._artifact,
            "series": self._series,
            "groups": self._groups,
            "tail": self._tail,
            "diff": self._diff,
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
            raise RouteError(404, f"no run {log_id!r} in {self.shown_logdir}")
        return path

    def _count_runs(self) -> int:
        try:
            with os.scandir(self.logdir) as entries:
                return sum(1 for entry in entries if _layout.is_run_dir_name(entry.name))
        except OSError:
            return 0

    def _read_table(self, where: str) -> bytes:
        as_of = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        with _reading_errors():
            text = table_json(self.logdir, where, {"logdir": self.shown_logdir, "as_of": as_of})
        return text.encode("utf-8")

    def _runs(self, rest: str, query: Query) -> Answer:
        return Answer(200, JSON_TYPE, self.table.answer(text_param(query, "where")),
                      {"Cache-Control": "no-store"})

    def _run(self, rest: str, query: Query) -> Answer:
        run_dir = self.run_dir(rest)
        return json_answer(run_page.run_page(run_dir, rest, run_status(run_dir), _mask))

    def _artifact(self, rest: str, query: Query) -> Answer:
        log_id, name = run_page.split_artifact_route(rest)
        return run_page.artifact_answer(self.run_dir(log_id), name)

    def _chart_params(self, query: Query) -> Dict[str, Any]:
        x_min, x_max = float_param(query, "xmin"), float_param(query, "xmax")
        y = text_param(query, "y")
        if not y:
            raise RouteError(400, "y is required (the metric key to draw, such as 'loss')")
        return {"log": log_name_param(query), "y": y, "x": text_param(query, "x") or STEP,
                "width": int_param(query, "width", DEFAULT_WIDTH, 1, MAX_WIDTH),
                "range": None if x_min is None and x_max is None else (
                    float("-inf") if x_min is None else x_min,
                    float("inf") if x_max is None else x_max)}

    def _curve(self, log_id: str, params: Dict[str, Any]) -> Curve:
        curve = self.curves.curve(log_id, self.run_dir(log_id), params["log"], params["y"],
                                  params["x"])
        if params["range"] is None:
            return curve
        low, high = params["range"]
        return Curve(*window(curve.x, curve.y, low, high, curve.increasing), curve.increasing)

    def _series(self, rest: str, query: Query) -> Answer:
        params = self._chart_params(query)
        ids = list_param(query, "runs")
        if len(ids) > MAX_RUNS_PER_CHART:
            raise RouteError(400, f"at most {MAX_RUNS_PER_CHART} runs per chart, not {len(ids)}")
        answer = []
        for log_id in ids:
            curve = self._curve(log_id, params)
            xs, ys = downsample(curve.x, curve.y, params["width"], curve.increasing,
                                curve.extremes)
            answer.append({"run": log_id, "x": xs, "y": ys, "points": len(curve.x),
                           "downsampled": len(xs) < len(curve.x)})
        return json_answer({"x_key": params["x"], "y_key": params["y"], "series": answer})

    def _groups(self, rest: str, query: Query) -> Answer:
        params = self._chart_params(query)
        band = text_param(query, "band") or BANDS[0]
        if band not in BANDS:
            raise RouteError(400, f"band must be one of {', '.join(BANDS)}, not {band!r}")
        by = list_param(query, "by")
        with _reading_errors():
            found = load_summaries(self.logdir, text_param(query, "where"), with_metrics=False)
        runs = [run for run in found.runs if run.status != run_page.DAMAGED]
        if len(runs) > MAX_RUNS_PER_CHART:
            raise RouteError(400, f"{len(runs)} runs match: at most {MAX_RUNS_PER_CHART} are"
                                  " grouped in one chart; narrow the filter")
        members: Dict[str, List[RunSummary]] = {}
        keys: Dict[str, Dict[str, Any]] = {}
        for run in runs:
            key = {name: run.config.get(name) for name in by}
            label = ", ".join(f"{name}={value}" for name, value in key.items()) or "all runs"
            members.setdefault(label, []).append(run)
            keys[label] = key
        groups = []
        for label, group in members.items():
            series = [Series(run.id, *map(list, self._curve(run.id, params)[:2]))
                      for run in group]
            aggregate = downsample_aggregate(align_and_aggregate(series, band), params["width"])
            groups.append({"key": keys[label], "label": label, "runs": [r.id for r in group],
                           "x": aggregate.x, "mean": aggregate.mean, "lo": aggregate.lo,
                           "hi": aggregate.hi, "count": aggregate.count})
        return json_answer({"x_key": params["x"], "y_key": params["y"], "band": band,
                            "groups": groups})

    def _diff(self, rest: str, query: Query) -> Answer:
        ids = list_param(query, "runs")
        for log_id in ids:
            self.run_dir(log_id)
        with _reading_errors():
            runs = load_runs(self.logdir, ids, with_metrics=False)
        keys = varying_keys(run.config for run in runs)
        return json_answer({"keys": keys, "values": {
            run.id: {key: run.config.get(key) for key in keys} for run in runs}})

    def _tail(self, rest: str, query: Query) -> Answer:
        log_id, _, log_name = rest.partition("/")
        run_dir = self.run_dir(log_id)
        log_name = log_name_param({"log": [log_name]})
        offset = int_param(query, "offset", 0) or 0
        ino = int_param(query, "ino", None)
        tag = text_param(query, "tag") or None
        path = os.path.join(run_dir, _layout.METRICS_DIR, log_name + _layout.METRIC_SUFFIX)
        payload: Dict[str, Any]
        try:
            payload = read_tail(path, offset, ino, tag, within=run_dir)
        except FileNotFoundError:  # nothing logged yet under that name
            payload = {"offset": 0, "ino": None, "tag": None, "reset": offset > 0,
                       "records": [], "skipped": 0}
        except OSError as error:
            payload = {"offset": offset, "ino": ino, "tag": tag, "reset": False, "records": [],
                       "skipped": 0,
                       "problem": f"metrics/{log_name}.json: {error.strerror or error}"}
        payload["status"] = run_status(run_dir)
        return json_answer(payload)


@contextlib.contextmanager
def _reading_errors() -> Iterator[None]:
    """The runs of the log directory could not be read: a bad filter (400, with its column)
    or the directory went away (404)."""
    try:
        yield
    except QueryError as error:
        raise RouteError(400, error.message, getattr(error, "column", None)) from error
    except ReaderError as error:
        raise RouteError(404, error.message) from error


def run_status(run_dir: str) -> str:
    """The status of one run as the table shows it (LOST, CANCELLED derived), from its
    ``info.yaml`` alone: a live chart polls it, so no other run is read."""
    from mlxp._yaml import load_yaml
    from mlxp.cluster.runs import run_of
    from mlxp.reader._files import read_regular_file
    from mlxp.reader._run_dir import flatten

    path = os.path.join(run_dir, _layout.METADATA_DIR, _layout.INFO_FILE)
    try:
        info = load_yaml(read_regular_file(path).decode("utf-8"), path)
    except Exception:  # noqa: BLE001 -- any damage reads as DAMAGED, never a 500
        return run_page.DAMAGED
    if not isinstance(info, dict) or not info.get("status"):
        return run_page.DAMAGED
    return run_of(run_dir, flatten("info.", info, {})).shown_status


def _mask(config: Dict[str, Any], info: Dict[str, Any]) -> Dict[str, Any]:
    """The nested ``config`` with its secrets masked (see ``mlxp.results.secrets``)."""
    env_keys = env_keys_of(info)
    if not env_keys:
        return config
    from mlxp.reader._run_dir import flatten

    return nest(mask_config(flatten("", config, {}), env_keys))
