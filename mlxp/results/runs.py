"""The runs of a log directory as ``mlxp ls`` and ``mlxp ui`` show them: one summary per run.

Built on the Reader (its index makes 10,000 runs fast), with the status a user should see
(LOST, CANCELLED; DAMAGED for a run that cannot be read), the flat config with its secrets
masked, and the last/min/max/count of every metric, cached per metrics file. When no run
changed since the last table, the rows come from ``mlxp.results.rowcache`` without the Reader.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Collection, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from mlxp._layout import METADATA_DIR
from mlxp.cluster.runs import parse_date, run_from_info
from mlxp.errors import UsageError
from mlxp.reader import Reader
from mlxp.results.metricfiles import MetricSummary, SummaryCache
from mlxp.results.rowcache import (
    ACTIVE,
    CachedRow,
    Header,
    metrics_current,
    metrics_signature,
    save_rows,
    signatures_now,
    valid_rows,
    valid_rows_of,
)
from mlxp.results.secrets import env_keys_of, mask_config
from mlxp.results.strictjson import strict_json

__all__ = ["DAMAGED", "RunSummaries", "RunSummary", "load_run", "load_summaries", "nest",
           "load_runs", "resolve_run", "table_json", "varying_keys"]

DAMAGED = "DAMAGED"
_CONFIG, _INFO = "config.", "info."


@dataclass
class RunSummary:
    """One run: what the runs table shows of it. ``config`` and ``info`` are flat (dotted
    keys, without the ``config.``/``info.`` prefix); ``config`` has its secrets masked."""

    id: str
    dir: str
    status: str
    start: Optional[str] = None
    end: Optional[str] = None
    duration: Optional[float] = None
    host: Optional[str] = None
    job_id: Optional[str] = None
    sweep_id: Optional[str] = None
    error: Optional[str] = None
    config: Dict[str, Any] = field(default_factory=dict)
    metrics: Dict[str, MetricSummary] = field(default_factory=dict)
    lost: Optional[str] = None
    """Why a RUNNING run is taken as gone (its status is LOST)."""
    problem: Optional[str] = None
    """What could not be read: the whole run (DAMAGED) or a part of it."""
    info_source: Optional["_Infos"] = field(default=None, repr=False, compare=False)
    """Where ``info`` is read from when it was not given (a row from the row cache)."""
    _info: Optional[Dict[str, Any]] = field(default=None, init=False, repr=False)

    @property
    def info(self) -> Dict[str, Any]:
        """The run's flat ``info.yaml`` fields (dotted keys, without ``info.``)."""
        if self._info is None:
            self._info = {} if self.info_source is None else self.info_source.of(self.dir)
        return self._info

    @info.setter
    def info(self, value: Dict[str, Any]) -> None:
        self._info = value

    @classmethod
    def from_json(cls, fields: Dict[str, Any], run_dir: str,
                  info_source: Optional["_Infos"] = None) -> "RunSummary":
        """The run of its ``to_json()`` (the row cache keeps that), found in ``run_dir``."""
        return cls(fields["id"], run_dir, fields["status"], fields["start"], fields["end"],
                   fields["duration"], fields["host"], fields["job_id"], fields["sweep_id"],
                   fields["error"], fields["config"], fields["metrics"], fields.get("lost"),
                   fields.get("problem"), info_source)

    def to_json(self) -> Dict[str, Any]:
        """The run as ``/api/runs`` answers it (docs: the ui contract)."""
        answer = {name: getattr(self, name) for name in (
            "id", "status", "start", "end", "duration", "host", "job_id", "sweep_id", "error",
            "config", "metrics")}
        for extra in ("lost", "problem"):
            if getattr(self, extra) is not None:
                answer[extra] = getattr(self, extra)
        return answer


@dataclass
class RunSummaries:
    """The runs of a log directory matching a query, and what the table needs around them."""

    logdir: str
    runs: List[RunSummary]
    varying: List[str]
    """Config keys whose values differ across all the runs of ``logdir``."""
    config_keys: List[str]
    metric_keys: List[str]
    counts: Dict[str, int]
    """Runs by status, among ``runs``."""
    total: int
    """Runs in ``logdir`` before the query."""

    def to_json(self) -> Dict[str, Any]:
        """The answer of ``/api/runs``."""
        return {"logdir": self.logdir, "runs": [run.to_json() for run in self.runs],
                "varying": self.varying, "config_keys": self.config_keys,
                "metric_keys": self.metric_keys, "counts": self.counts, "total": self.total}


def load_summaries(logdir: str, where: str = "", *, ids: Optional[Collection[str]] = None,
                   with_metrics: bool = True) -> RunSummaries:
    """The runs of ``logdir`` matching ``where`` (the Reader's query language), by id.

    Args:
        logdir: the parent log directory.
        where: a Reader query; empty for every run (damaged ones included, as DAMAGED).
        ids: only these run ids (the rest of the answer still describes every run).
        with_metrics: summarise the metrics files (cached in ``.mlxp_summaries.json``, and
            with each run's row in ``.mlxp_rows.json``).

    Raises:
        ReaderError: ``logdir`` is not a directory.
        QueryError: ``where`` is malformed (``.column`` says where).
    """
    wanted = None if ids is None else {str(one) for one in ids}
    cached = _cached_rows(logdir, where, wanted, with_metrics)
    if cached is None:
        return _read_summaries(logdir, where, wanted, with_metrics)
    runs = _decoded(logdir, cached[1], with_metrics)
    if runs is None:  # a row its writer did not write: read the runs
        return _read_summaries(logdir, where, wanted, with_metrics)
    return _cached_summaries(logdir, *cached, runs, with_metrics)


def load_runs(logdir: str, ids: Sequence[str], with_metrics: bool = True) -> List[RunSummary]:
    """The summaries of the runs ``ids`` of ``logdir``, in that order, missing ones left out:
    with each of them unchanged, from the row cache without checking the other runs (a
    comparison of 100 runs among 10,000)."""
    wanted = [str(one) for one in ids]
    rows = valid_rows_of(os.path.abspath(logdir), wanted) if os.path.isdir(logdir) else None
    runs = None
    if rows is not None:
        runs = _decoded(logdir, _current(logdir, None, rows, None, with_metrics), with_metrics)
    if runs is None:
        found = {run.id: run for run in load_summaries(logdir, ids=wanted,
                                                       with_metrics=with_metrics).runs}
        runs = [found[log_id] for log_id in wanted if log_id in found]
    return runs


def _decoded(logdir: str, rows: List[CachedRow], with_metrics: bool
             ) -> Optional[List[RunSummary]]:
    """The runs of the rows' JSON text; None if a row is not what its writer writes."""
    infos = _Infos(logdir)
    try:
        decoded = json.loads("[" + ",".join(row.row for row in rows) + "]")
        runs = [RunSummary.from_json(fields, row.run_dir, infos)
                for fields, row in zip(decoded, rows)]
    except (ValueError, KeyError, TypeError):
        return None
    if not with_metrics:
        for run in runs:
            run.metrics = {}
    return runs


def table_json(logdir: str, where: str = "", fields: Optional[Dict[str, Any]] = None) -> str:
    """``load_summaries(logdir, where).to_json()`` updated with ``fields``, as strict JSON text.

    With every run unchanged, the rows are the row cache's own text, joined: 10,000 runs are
    neither decoded nor encoded again (``mlxp ui``'s first table).
    """
    cached = _cached_rows(logdir, where, None, True)
    if cached is None:
        payload = load_summaries(logdir, where).to_json()
        payload.update(fields or {})
        return strict_json(payload)
    head = _cached_summaries(logdir, *cached, [], True).to_json()
    del head["runs"]  # joined below, as the cache's text
    head.update(fields or {})
    texts = [strict_json(json.loads(row.row)) if "NaN" in row.row or "Infinity" in row.row
             else row.row for row in cached[1]]
    return f'{strict_json(head)[:-1]},"runs":[{",".join(texts)}]}}'


def _cached_summaries(logdir: str, header: Header, rows: List[CachedRow], total: int,
                      runs: List[RunSummary], with_metrics: bool) -> RunSummaries:
    """What the table says around ``runs`` (those of ``rows``), from the row cache."""
    return RunSummaries(logdir=logdir, runs=runs, varying=header["varying"],
                        config_keys=header["config_keys"],
                        metric_keys=_metric_keys(rows) if with_metrics else [],
                        counts=dict(Counter(row.status for row in rows)), total=total)


def _cached_rows(logdir: str, where: str, wanted: Optional[Set[str]], with_metrics: bool
                 ) -> Optional[Tuple[Header, List[CachedRow], int]]:
    """The row cache's header, the current rows of the ``wanted`` runs and how many runs there
    are, when ``where`` is empty and every run of ``logdir`` is unchanged; else None."""
    if where.strip() or not os.path.isdir(logdir):
        return None
    cached = valid_rows(os.path.abspath(logdir))
    if cached is None:
        return None
    header, rows = cached
    return header, _current(logdir, header, rows, wanted, with_metrics), len(rows)


def _current(logdir: str, header: Optional[Header], rows: List[CachedRow],
             wanted: Optional[Set[str]], with_metrics: bool) -> List[CachedRow]:
    """The ``wanted`` rows as of now: metric summaries that changed are taken from the
    summaries cache (and kept in the row cache, when ``rows`` are all of them, with their
    ``header``); an active run's row is derived again."""
    summaries: Optional[SummaryCache] = None
    refreshed = False
    current = []
    for row in rows:
        if wanted is not None and row.log_id not in wanted:
            continue
        if with_metrics and not metrics_current(row.run_dir, row.metrics_signature):
            if summaries is None:
                summaries = SummaryCache(os.path.abspath(logdir))
            refreshed = _refresh_metrics(row, summaries) or refreshed
        current.append(row if row.status else _active_now(row))
    if summaries is not None and header is not None:
        summaries.save(row.log_id for row in rows)
    if refreshed and header is not None:
        save_rows(os.path.abspath(logdir), rows, header["varying"], header["config_keys"])
    return current


def _refresh_metrics(row: CachedRow, summaries: SummaryCache) -> bool:
    """Put the run's metric summaries as of now in ``row``; whether they can be kept."""
    fields = json.loads(row.row)
    fields["metrics"] = summaries.run_summaries(row.log_id, row.run_dir)
    row.row = _row_text(fields)
    row.metric_keys = _row_text(sorted(fields["metrics"]))
    part = _metrics_part(summaries, row.log_id, row.run_dir, fields["metrics"])
    row.metrics_signature = metrics_signature(part)
    return part is not None


def _active_now(row: CachedRow) -> CachedRow:
    """An active run's row derived now (whether it is LOST, how long it has run)."""
    fields = json.loads(row.row)
    run = _summary(row.run_dir, {}, fields["info"], None, None)
    run.config, run.metrics = fields["config"], fields["metrics"]
    return replace(row, status=run.status, row=_row_text(run.to_json()))


def _metric_keys(rows: List[CachedRow]) -> List[str]:
    return sorted({key for text in {row.metric_keys for row in rows} for key in json.loads(text)})


def _row_text(value: Any) -> str:
    """A row as the cache keeps it: Python's JSON (NaN included, so ``mlxp ls`` shows it);
    ``default=str``: the index keeps a YAML value JSON cannot hold (a date) as text too."""
    return json.dumps(value, separators=(",", ":"), default=str)


def _read_summaries(logdir: str, where: str, wanted: Optional[Set[str]],
                    with_metrics: bool) -> RunSummaries:
    """``load_summaries`` through the Reader; every run's row is cached when all were made."""
    every_row = not where.strip() and wanted is None
    signatures = signatures_now(os.path.abspath(logdir)) if every_row else {}
    reader = Reader(logdir)
    every = reader.filter("")
    matched = every if not where.strip() else reader.filter(where)
    sections = {row.log_dir: _sections(row) for row in every}
    configs = [config for config, _ in sections.values()]
    cache = SummaryCache(reader.src_dir) if with_metrics else None
    runs = []
    for row in matched:
        log_id = os.path.basename(row.log_dir)
        if wanted is None or log_id in wanted:
            runs.append(_summary(row.log_dir, *sections[row.log_dir], cache,
                                 reader.problems.get(row.log_dir)))
    if every_row and not reader.problems and len(signatures) == len(runs):
        rows = [_cached_row(run, *signatures[run.dir], cache)
                for run in runs if run.dir in signatures]
        if len(rows) == len(runs):
            save_rows(reader.src_dir, rows, varying_keys(configs),
                      sorted({key for config in configs for key in config}))
    damaged = [RunSummary(os.path.basename(path), path, DAMAGED, problem=reason)
               for path, reason in reader.skipped.items()
               if wanted is None or os.path.basename(path) in wanted]
    if damaged and not where.strip():  # a query cannot match what could not be read
        runs.extend(damaged)
        runs.sort(key=lambda run: int(run.id))
    if cache is not None:
        cache.save(os.path.basename(path) for path in sections)
    return _gathered(logdir, runs, configs, len(every) + len(reader.skipped))


def _gathered(logdir: str, runs: List[RunSummary], configs: List[Dict[str, Any]],
              total: int) -> RunSummaries:
    return RunSummaries(
        logdir=logdir,
        runs=runs,
        varying=varying_keys(configs),
        config_keys=sorted({key for config in configs for key in config}),
        metric_keys=sorted({key for run in runs for key in run.metrics}),
        counts=dict(Counter(run.status for run in runs)),
        total=total,
    )


def _cached_row(run: RunSummary, signature: str, key_files: List[str],
                cache: Optional[SummaryCache]) -> CachedRow:
    """What the row cache keeps of a run just read (see ``rowcache.CachedRow``)."""
    part = None if cache is None else _metrics_part(cache, run.id, run.dir, run.metrics)
    if run.info.get("status") in ACTIVE:  # its status and duration depend on the clock
        status, row = "", _row_text({"config": run.config, "info": run.info,
                                     "metrics": run.metrics})
    else:
        status, row = run.status, _row_text(run.to_json())
    return CachedRow(run.id, run.dir, signature, key_files, metrics_signature(part), status,
                     _row_text(sorted(run.metrics)), row)


def _metrics_part(cache: SummaryCache, log_id: str, run_dir: str,
                  metrics: Dict[str, MetricSummary]) -> Optional[List[Any]]:
    """The signatures the row's metric summaries hold for (``rowcache.CachedRow``)."""
    part = cache.trusted_part(log_id, run_dir)
    if part is None or (part[0] is None and metrics):  # metrics/ went away meanwhile
        return None
    return part


class _Infos:
    """The flat info of each run, read through the Reader when first asked for: the row
    cache does not keep it (``mlxp ls`` and the runs table do not show it)."""

    def __init__(self, logdir: str) -> None:
        self._logdir = logdir
        self._infos: Optional[Dict[str, Dict[str, Any]]] = None

    def of(self, run_dir: str) -> Dict[str, Any]:
        if self._infos is None:
            rows = Reader(self._logdir).filter("")
            self._infos = {row.log_dir: _sections(row)[1] for row in rows}
        return self._infos.get(run_dir, {})


def _sections(row: Any) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """A Reader row's flat config and info, without their prefixes (nothing lazy loaded)."""
    loaded = row.loaded()
    config = {key[7:]: value for key, value in loaded.items() if key[:7] == _CONFIG}
    info = {key[5:]: value for key, value in loaded.items() if key[:5] == _INFO}
    return config, info


def _summary(log_dir: str, config: Dict[str, Any], info: Dict[str, Any],
             cache: Optional[SummaryCache], problem: Optional[str]) -> RunSummary:
    run = run_from_info(log_dir, info)
    log_id = os.path.basename(log_dir)
    summary = RunSummary(
        id=log_id,
        dir=log_dir,
        status=run.shown_status,
        start=_iso(info.get("started_at"), run.start),
        end=_iso(info.get("ended_at"), run.end),
        duration=run.duration,
        host=_text(info.get("hostname")),
        job_id=run.job_id or None,
        sweep_id=_text(info.get("sweep_id")),
        error=run.error or None,
        config=mask_config(config, env_keys_of(info)),
        metrics=cache.run_summaries(log_id, log_dir) if cache is not None else {},
        lost=run.lost or None,
        problem=problem,
    )
    summary.info = info
    return summary


def _text(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _iso(recorded: Any, date_time: str) -> Optional[str]:
    """``started_at`` as recorded, else the older ``start_date start_time`` (local time)."""
    if isinstance(recorded, str) and recorded:
        return recorded
    parsed = parse_date(date_time)
    return None if parsed is None else parsed.isoformat()


def varying_keys(configs: Iterable[Dict[str, Any]]) -> List[str]:
    """The keys whose values differ across the flat ``configs`` (a key missing from some of
    them differs too), sorted."""
    seen: Dict[str, Any] = {}
    varying = set()
    count = 0
    for config in configs:
        count += 1
        for key, value in config.items():
            marker = repr(value)
            if key not in seen:
                seen[key] = (marker, count)
                if count > 1:  # missing from the configs before
                    varying.add(key)
            elif seen[key][0] != marker:
                varying.add(key)
        if len(seen) > len(config):
            varying.update(key for key in seen if key not in config)
    return sorted(varying)


def nest(flat: Dict[str, Any]) -> Dict[str, Any]:
    """The nested mapping of flat dotted keys (``{"a.b": 1}`` -> ``{"a": {"b": 1}}``)."""
    tree: Dict[str, Any] = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # "a" and "a.b" both present: keep both flat
                node = None  # type: ignore[assignment]
                break
            node = child
        if node is None:
            tree[key] = value
        else:
            node[leaf] = value
    return tree


def resolve_run(arg: str, logdir: str = "./logs") -> str:
    """The run directory a command-line RUN names: a run directory (``logs/3``), or a run id
    inside ``logdir``.

    Raises:
        UsageError: ``arg`` names no run (the message says what to give instead).
    """
    if os.path.isdir(os.path.join(arg, METADATA_DIR)):
        return os.path.normpath(arg)
    candidate = os.path.join(logdir, arg)
    if arg.isdigit():
        if os.path.isdir(os.path.join(candidate, METADATA_DIR)):
            return os.path.normpath(candidate)
        where = f"no run {arg} in {logdir}" if os.path.isdir(logdir) else f"no directory {logdir}"
        raise UsageError(f"{where}; give a run directory (logs/3) or pass --logdir DIR",
                         path=candidate)
    what = "is not a run directory (it has no metadata/)" if os.path.isdir(arg) else "is neither"\
        " a run directory nor a run id"
    raise UsageError(f"{arg!r} {what}; give a run directory such as logs/3, or a run id"
                     f" in --logdir (now {logdir})", path=arg)


def load_run(run_dir: str) -> RunSummary:
    """One run directory's summary (read through its parent's Reader index).

    Raises:
        UsageError: ``run_dir`` is not a run directory named by its id.
    """
    parent, log_id = os.path.split(os.path.normpath(os.path.abspath(run_dir)))
    if not log_id.isdigit():
        raise UsageError(f"{run_dir!r} is not a run directory: its name is not a run id",
                         path=run_dir)
    found = load_runs(parent, [log_id])
    if not found:
        raise UsageError(f"{run_dir!r} is not a run directory (no metadata/info.yaml)",
                         path=run_dir)
    run = found[0]
    run.dir = run_dir
    return run
