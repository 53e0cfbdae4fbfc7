"""The data layer of ``mlxp ls`` and ``mlxp ui``: run summaries, statuses, metric summaries
and their cache, varying keys, RUN arguments."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List

import pytest

from mlxp.errors import QueryError, UsageError
from mlxp.results.metricfiles import SUMMARY_CACHE, read_records, summarize_records
from mlxp.results.rowcache import ROW_CACHE
from mlxp.results.runs import load_run, load_summaries, nest, resolve_run, varying_keys

from tests.reader.runs import backdate, make_run, metrics_lines, write_file


def _sweep(logs: Path) -> None:
    for log_id, (lr, seed) in enumerate([(0.1, 1), (0.1, 2), (0.01, 1)], start=1):
        make_run(str(logs), log_id, config={"optimizer": {"lr": lr}, "seed": seed, "epochs": 3},
                 info={"started_at": "2026-12-01T17:00:00+00:00", "duration_seconds": 12.5,
                       "sweep_id": "s1"},
                 metrics={"train": [{"epoch": e, "loss": lr * (3 - e) + seed} for e in range(3)]})


def test_summaries_hold_config_status_and_metric_summaries(tmp_path: Path) -> None:
    _sweep(tmp_path)
    make_run(str(tmp_path), 4, config={"optimizer": {"lr": 1.0}, "seed": 1, "epochs": 3},
             info={"status": "FAILED", "error": "FloatingPointError: diverged\nmore"})
    found = load_summaries(str(tmp_path))
    assert [run.id for run in found.runs] == ["1", "2", "3", "4"]
    first = found.runs[0].to_json()
    assert first["config"] == {"optimizer.lr": 0.1, "seed": 1, "epochs": 3}
    assert first["metrics"]["train.loss"] == pytest.approx({"last": 1.1, "min": 1.1, "max": 1.3, "count": 3})
    assert (first["start"], first["duration"], first["sweep_id"], first["host"]) == (
        "2026-12-01T17:00:00+00:00", 12.5, "s1", "host")
    assert found.runs[3].status == "FAILED" and found.runs[3].error == "FloatingPointError: diverged"
    assert found.varying == ["optimizer.lr", "seed"]
    assert found.counts == {"COMPLETE": 3, "FAILED": 1} and found.total == 4
    assert found.metric_keys == ["train.epoch", "train.loss"]


def test_where_filters_but_varying_and_total_describe_every_run(tmp_path: Path) -> None:
    _sweep(tmp_path)
    found = load_summaries(str(tmp_path), "config.seed == 1")
    assert [run.id for run in found.runs] == ["1", "3"]
    assert found.varying == ["optimizer.lr", "seed"] and found.total == 3
    assert found.counts == {"COMPLETE": 2}


def test_a_malformed_query_raises_the_readers_error_with_its_column(tmp_path: Path) -> None:
    _sweep(tmp_path)
    with pytest.raises(QueryError) as caught:
        load_summaries(str(tmp_path), "config.seed == ")
    assert caught.value.column is not None


def test_cancelled_and_damaged_runs_are_shown_as_such(tmp_path: Path) -> None:
    _sweep(tmp_path)
    make_run(str(tmp_path), 4, config={}, info={"status": "FAILED", "error": "cancelled"})
    write_file(str(tmp_path / "5" / "metadata" / "info.yaml"), "status: [unclosed\n")
    with pytest.warns(UserWarning):
        found = load_summaries(str(tmp_path))
    statuses = {run.id: run.status for run in found.runs}
    assert statuses["4"] == "CANCELLED" and statuses["5"] == "DAMAGED"
    assert found.runs[-1].problem and found.total == 5


def test_a_running_run_whose_process_is_gone_is_lost(tmp_path: Path) -> None:
    from mlxp._process import host_name, process_start_time

    own = process_start_time(os.getpid())
    # our own start-time record with a pid that is certainly not running it
    make_run(str(tmp_path), 1, config={}, info={
        "status": "RUNNING", "hostname": host_name(), "process_id": 2**22 + 7,
        "process_start_time": own, "end_date": None, "end_time": None})
    run = load_summaries(str(tmp_path)).runs[0]
    assert run.status == "LOST" and "gone" in (run.lost or "")


def test_metric_summaries_are_cached_per_file_and_reread_when_it_changes(tmp_path: Path) -> None:
    _sweep(tmp_path)
    for log_id in "123":
        backdate(str(tmp_path / log_id / "metrics"))
    load_summaries(str(tmp_path))
    cache = json.loads((tmp_path / SUMMARY_CACHE).read_text())
    assert sorted(cache["files"]) == ["1/", "1/train", "2/", "2/train", "3/", "3/train"]
    metrics = tmp_path / "1" / "metrics" / "train.json"
    write_file(str(metrics), metrics_lines([{"epoch": 0, "loss": 7.0}]))
    assert load_summaries(str(tmp_path)).runs[0].metrics["train.loss"]["last"] == 7.0
    # a cached summary is used as long as the file's signature holds: prove it by a forged one
    # (without the row cache, which holds the summaries too and is tested in test_rowcache.py)
    (tmp_path / ROW_CACHE).unlink()
    cache = json.loads((tmp_path / SUMMARY_CACHE).read_text())
    cache["files"]["1/train"][1]["loss"]["last"] = 99.0
    (tmp_path / SUMMARY_CACHE).write_text(json.dumps(cache))
    assert load_summaries(str(tmp_path)).runs[0].metrics["train.loss"]["last"] == 99.0


def test_a_new_metrics_file_is_found_through_the_cached_listing(tmp_path: Path) -> None:
    _sweep(tmp_path)
    backdate(str(tmp_path / "1" / "metrics"))
    load_summaries(str(tmp_path))
    assert "1/" in json.loads((tmp_path / SUMMARY_CACHE).read_text())["files"]
    write_file(str(tmp_path / "1" / "metrics" / "test.json"), metrics_lines([{"acc": 0.5}]))
    assert load_summaries(str(tmp_path)).runs[0].metrics["test.acc"]["last"] == 0.5


def test_a_recent_metrics_file_is_not_cached(tmp_path: Path) -> None:
    _sweep(tmp_path)
    recent = tmp_path / "2" / "metrics" / "train.json"
    write_file(str(recent), metrics_lines([{"loss": 1.0}]))
    backdate(str(recent), age=-60)  # changed "now" however slow the machine is
    load_summaries(str(tmp_path))
    assert "2/train" not in json.loads((tmp_path / SUMMARY_CACHE).read_text())["files"]


def test_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    _sweep(tmp_path)
    (tmp_path / SUMMARY_CACHE).write_text("{not json")
    assert load_summaries(str(tmp_path)).runs[2].metrics["train.loss"]["count"] == 3
    assert json.loads((tmp_path / SUMMARY_CACHE).read_text())["format"] == 2


@pytest.mark.parametrize("lines, expected", [
    pytest.param('{"a": 1}\n{"a": 3}\n{"a": 2}\n', {"a": {"last": 2, "min": 1, "max": 3, "count": 3}},
                 id="plain"),
    pytest.param('{"a": 1, "s": "x"}\n{"a": NaN}\n{"a": true}\n', {"a": {"last": 1, "min": 1, "max": 1, "count": 1}},
                 id="non-numeric-skipped"),
    pytest.param('{"a": 1}\nnot json\n{"a": 5}\n{"a": 9', {"a": {"last": 5, "min": 1, "max": 5, "count": 2}},
                 id="bad-and-partial-lines"),
    pytest.param('{"a": 1}\n{"b": 2.5}\n', {"a": {"last": 1, "min": 1, "max": 1, "count": 1},
                                           "b": {"last": 2.5, "min": 2.5, "max": 2.5, "count": 1}},
                 id="keys-in-some-lines"),
    pytest.param("", {}, id="empty"),
])
def test_summaries_of_a_metrics_file(tmp_path: Path, lines: str, expected: Dict[str, Any]) -> None:
    path = tmp_path / "train.json"
    path.write_text(lines)
    assert summarize_records(read_records(str(path))) == expected


@pytest.mark.parametrize("configs, expected", [
    pytest.param([{"a": 1, "b": 2}, {"a": 1, "b": 3}], ["b"], id="one-differs"),
    pytest.param([{"a": 1}, {"a": 1, "b": 3}], ["b"], id="missing-in-first"),
    pytest.param([{"a": 1, "b": 3}, {"a": 1}], ["b"], id="missing-in-last"),
    pytest.param([{"a": [1, 2]}, {"a": [1, 2]}], [], id="equal-lists"),
    pytest.param([{"a": 1}, {"a": 1.0}], ["a"], id="int-vs-float"),
    pytest.param([{"a": 1}], [], id="single-run"),
    pytest.param([], [], id="no-run"),
])
def test_varying_keys(configs: List[Dict[str, Any]], expected: List[str]) -> None:
    assert varying_keys(configs) == expected


def test_nest_undoes_flattening() -> None:
    assert nest({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}


def test_resolve_run_takes_a_directory_or_an_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _sweep(tmp_path / "logs")
    monkeypatch.chdir(tmp_path)
    assert resolve_run("logs/2") == os.path.join("logs", "2")
    assert resolve_run("3") == os.path.join("logs", "3")
    assert resolve_run("1", logdir=str(tmp_path / "logs")) == str(tmp_path / "logs" / "1")
    assert load_run("logs/2").config["seed"] == 2


@pytest.mark.parametrize("arg, words", [
    pytest.param("9", "no run 9 in logs", id="unknown-id"),
    pytest.param("logs", "not a run directory", id="parent-dir"),
    pytest.param("nothing/here", "neither a run directory nor a run id", id="no-such-path"),
])
def test_resolve_run_errors_say_what_to_give(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             arg: str, words: str) -> None:
    _sweep(tmp_path / "logs")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=words) as caught:
        resolve_run(arg, logdir="logs")
    assert "logs/3" in str(caught.value)
