"""The row cache (``.mlxp_rows.json``): the runs table built from it when every run is
unchanged, and read again from the runs when anything it was derived from changed."""

from __future__ import annotations

import json
import os
import shutil
import warnings
import zlib
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from mlxp.results.rowcache import ROW_CACHE
from mlxp.results.runs import load_runs, load_summaries, table_json

from tests.reader.runs import backdate, make_run, metrics_lines, write_file


def _sweep(logs: Path, per_log_key_files: bool = False) -> None:
    for log_id, lr in enumerate([0.1, 0.01, 0.001], start=1):
        make_run(str(logs), log_id, config={"optimizer": {"lr": lr}, "seed": 1},
                 info={"duration_seconds": 3.0}, legacy=per_log_key_files,
                 metrics={"train": [{"epoch": e, "loss": lr * (3 - e)} for e in range(3)]})
        for settled in ("metrics", "metrics/.keys"):
            backdate(str(logs / str(log_id) / settled))


def _table(logs: Path) -> List[Dict[str, Any]]:
    return [run.to_json() for run in load_summaries(str(logs)).runs]


_STATUS, _ROW = 4, 6  # fields of a run's line (rowcache.CachedRow.to_line)


def _cached_rows(logs: Path) -> Dict[str, List[str]]:
    """Each run's line of the cache, split into its fields, by id."""
    lines = (logs / ROW_CACHE).read_text().splitlines()
    assert json.loads(lines[0])["format"] == 2
    return {fields[0]: fields for fields in (line.split("\t") for line in lines[1:])}


def _rewrite(logs: Path, lines: List[str]) -> None:
    """Write the cache's lines back with a header whose checksum matches them."""
    header = json.loads(lines[0])
    body = "".join(line + "\n" for line in lines[1:]).encode()
    header["crc32"] = zlib.crc32(body)
    (logs / ROW_CACHE).write_bytes(json.dumps(header).encode() + b"\n" + body)


def _forge(logs: Path, log_id: str, change: Callable[[List[str], Dict[str, Any]], None]) -> None:
    """Change run ``log_id``'s fields and decoded row in the cache, as if it held that."""
    lines = (logs / ROW_CACHE).read_text().splitlines()
    for number, line in enumerate(lines[1:], start=1):
        fields = line.split("\t")
        if fields[0] == log_id:
            row = json.loads(fields[_ROW])
            change(fields, row)
            fields[_ROW] = json.dumps(row)
            lines[number] = "\t".join(fields)
    _rewrite(logs, lines)


def _forged_status(fields: List[str], row: Dict[str, Any]) -> None:
    fields[_STATUS] = row["status"] = "FORGED"


@pytest.mark.parametrize("per_log_key_files", [
    pytest.param(False, id="metrics.yaml"),
    pytest.param(True, id="one-key-file-per-log"),
])
def test_a_second_table_is_built_from_the_row_cache(tmp_path: Path,
                                                    per_log_key_files: bool) -> None:
    _sweep(tmp_path, per_log_key_files)
    first = _table(tmp_path)
    assert sorted(_cached_rows(tmp_path)) == ["1", "2", "3"]
    assert _table(tmp_path) == first
    # prove the cache is what answers: a forged status is shown while the run is unchanged
    _forge(tmp_path, "2", _forged_status)
    assert [run["status"] for run in _table(tmp_path)] == ["COMPLETE", "FORGED", "COMPLETE"]
    assert load_summaries(str(tmp_path)).counts == {"COMPLETE": 2, "FORGED": 1}
    table = json.loads(table_json(str(tmp_path)))
    assert [run["status"] for run in table["runs"]] == ["COMPLETE", "FORGED", "COMPLETE"]


def test_a_cached_run_still_has_its_info(tmp_path: Path) -> None:
    _sweep(tmp_path)
    load_summaries(str(tmp_path))
    run = load_summaries(str(tmp_path)).runs[0]
    assert run.info["hostname"] == "host" and run.info["duration_seconds"] == 3.0


def _rewrite_config(logs: Path) -> None:
    write_file(str(logs / "2" / "metadata" / "config.yaml"), "optimizer:\n  lr: 0.5\nseed: 1\n")


def _rewrite_info(logs: Path) -> None:
    info = (logs / "2" / "metadata" / "info.yaml").read_text()
    write_file(str(logs / "2" / "metadata" / "info.yaml"),
               info.replace("status: COMPLETE", "status: FAILED\nerror: boom"))


def _rewrite_metrics(logs: Path) -> None:
    write_file(str(logs / "2" / "metrics" / "train.json"), metrics_lines([{"loss": 42.0}]))


def _add_metrics_file(logs: Path) -> None:
    write_file(str(logs / "2" / "metrics" / "test.json"), metrics_lines([{"acc": 0.5}]))


def _remove_run(logs: Path) -> None:
    shutil.rmtree(logs / "3")


def _add_run(logs: Path) -> None:
    make_run(str(logs), 4, config={"optimizer": {"lr": 0.1}, "seed": 2})


def _damage_key_file(logs: Path) -> None:
    write_file(str(logs / "2" / "metrics" / ".keys" / "train.yaml"), "[unclosed\n")


@pytest.mark.parametrize("change", [
    pytest.param(_rewrite_config, id="config"),
    pytest.param(_rewrite_info, id="info"),
    pytest.param(_rewrite_metrics, id="metrics"),
    pytest.param(_add_metrics_file, id="new-metrics-file"),
    pytest.param(_remove_run, id="run-removed"),
    pytest.param(_add_run, id="run-added"),
    pytest.param(_damage_key_file, id="key-file-damaged"),
])
def test_a_change_shows_as_if_nothing_were_cached(tmp_path: Path,
                                                  change: Callable[[Path], None]) -> None:
    _sweep(tmp_path, per_log_key_files=True)
    load_summaries(str(tmp_path))
    change(tmp_path)
    with warnings.catch_warnings(record=True) as cached_warnings:
        warnings.simplefilter("always")
        after = load_summaries(str(tmp_path))
    for name in (ROW_CACHE, ".mlxp_summaries.json", ".mlxp_index.json"):
        os.remove(tmp_path / name)
    with warnings.catch_warnings(record=True) as uncached_warnings:
        warnings.simplefilter("always")
        uncached = load_summaries(str(tmp_path))
    assert [str(w.message) for w in cached_warnings] == [str(w.message) for w in uncached_warnings]
    assert [run.to_json() for run in after.runs] == [run.to_json() for run in uncached.runs]
    assert (after.varying, after.config_keys, after.metric_keys, after.counts, after.total) == (
        uncached.varying, uncached.config_keys, uncached.metric_keys, uncached.counts,
        uncached.total)
    with warnings.catch_warnings(record=True):  # a damaged key file: warned again, as above
        warnings.simplefilter("always")
        assert _table(tmp_path) == [run.to_json() for run in uncached.runs]  # cached again


def _edit_line(edit: Callable[[List[str]], None]) -> Callable[[str], str]:
    """Damage run 2's line of a good cache (and keep the checksum right, unless told)."""
    def damage(text: str) -> str:
        lines = text.splitlines()
        fields = lines[2].split("\t")
        edit(fields)
        lines[2] = "\t".join(fields)
        header = json.loads(lines[0])
        body = "".join(line + "\n" for line in lines[1:]).encode()
        header["crc32"] = zlib.crc32(body)
        return json.dumps(header) + "\n" + body.decode()
    return damage


def _set_field(index: int, value: str) -> Callable[[List[str]], None]:
    def edit(fields: List[str]) -> None:
        fields[index] = value
    return edit


def _check_replaced(logs: Path, damage: Callable[[str], str]) -> bytes:
    """A table read through a damaged cache is the table; the damaged file is replaced by a
    new one (written aside, then renamed), not rewritten in place. Returns the damaged file."""
    expected = _table(logs)
    content = damage((logs / ROW_CACHE).read_text()).encode("latin-1")
    (logs / ROW_CACHE).write_bytes(content)
    os.link(logs / ROW_CACHE, logs / "old-link")
    assert _table(logs) == expected
    assert sorted(_cached_rows(logs)) == ["1", "2", "3"]
    assert (logs / "old-link").read_bytes() == content
    assert _table(logs) == expected
    return content


@pytest.mark.parametrize("damage", [
    pytest.param(lambda text: "{not json", id="not-json"),
    pytest.param(lambda text: "[]", id="not-a-mapping"),
    pytest.param(lambda text: "\xff\xfe", id="not-utf8"),
    pytest.param(lambda text: '{"format": 1, "runs": {}, "varying": [], "config_keys": []}',
                 id="older-format"),
    pytest.param(lambda text: text[:-1], id="torn-last-newline"),
    pytest.param(lambda text: text[:len(text) // 2], id="torn-half"),
    pytest.param(lambda text: text.replace('"status":"COMPLETE"', '"status":"FORGED"', 1),
                 id="checksum"),
])
def test_a_damaged_row_cache_is_ignored_and_replaced(tmp_path: Path,
                                                     damage: Callable[[str], str]) -> None:
    _sweep(tmp_path)
    expected = json.loads(table_json(str(tmp_path)))
    content = _check_replaced(tmp_path, damage)
    (tmp_path / ROW_CACHE).write_bytes(content)  # and mlxp ui's table, which sends its text
    assert json.loads(table_json(str(tmp_path))) == expected


@pytest.mark.parametrize("damage", [
    pytest.param(_edit_line(lambda fields: fields.pop()), id="too-few-fields"),
    pytest.param(_edit_line(_set_field(2, "not-json")), id="bad-key-files"),
    pytest.param(_edit_line(_set_field(2, "3")), id="key-files-not-a-list"),
    pytest.param(_edit_line(_set_field(5, "x")), id="bad-metric-keys"),
    pytest.param(_edit_line(_set_field(_ROW, "not-a-row")), id="bad-row"),
    pytest.param(_edit_line(_set_field(_ROW, "{not json")), id="row-not-json"),
    pytest.param(_edit_line(_set_field(_ROW, "{}")), id="row-without-fields"),
    pytest.param(_edit_line(_set_field(3, "1:2/train/x")), id="metrics-signature-changed"),
    pytest.param(_edit_line(_set_field(3, "none/x")), id="metrics-signature-damaged"),
])
def test_a_line_its_writer_did_not_write_is_not_trusted(tmp_path: Path,
                                                        damage: Callable[[str], str]) -> None:
    # checksummed again, as if written so: mlxp ls decodes the rows and reads the runs
    # again; mlxp ui sends a row's text as it is, trusting the checksum (docs/looking-at-results.md)
    _sweep(tmp_path)
    _check_replaced(tmp_path, damage)


def test_a_run_that_cannot_be_read_is_reported_every_time(tmp_path: Path) -> None:
    _sweep(tmp_path)
    load_summaries(str(tmp_path))
    write_file(str(tmp_path / "2" / "metadata" / "info.yaml"), "status: [unclosed\n")
    for _ in range(2):
        with pytest.warns(UserWarning):
            found = load_summaries(str(tmp_path))
        assert found.runs[1].status == "DAMAGED"


def test_a_recently_changed_run_is_not_trusted_from_the_cache(tmp_path: Path) -> None:
    _sweep(tmp_path)
    config = tmp_path / "2" / "metadata" / "config.yaml"
    write_file(str(config), "optimizer:\n  lr: 0.5\nseed: 1\n", settled=False)
    load_summaries(str(tmp_path))
    # rewritten in place with the same size and a forged identical mtime: only a signature
    # taken when the file was settled could miss it, and a recent one is never kept
    status = os.stat(config)
    config.write_text("optimizer:\n  lr: 0.7\nseed: 1\n")
    os.utime(config, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert load_summaries(str(tmp_path)).runs[1].config["optimizer.lr"] == 0.7


def test_an_active_runs_status_is_worked_out_again_each_time(tmp_path: Path) -> None:
    from mlxp._process import host_name, process_start_time

    own = process_start_time(os.getpid())
    make_run(str(tmp_path), 1, config={}, info={
        "status": "RUNNING", "hostname": host_name(), "process_id": os.getpid(),
        "process_start_time": own, "end_date": None, "end_time": None})
    assert load_summaries(str(tmp_path)).runs[0].status == "RUNNING"
    assert json.loads(_cached_rows(tmp_path)["1"][_ROW])["info"]["status"] == "RUNNING"

    def other_pid(fields: List[str], row: Dict[str, Any]) -> None:
        row["info"]["process_id"] = 2**22 + 7  # certainly not running it

    _forge(tmp_path, "1", other_pid)  # the same info with another pid: LOST, from the cache
    run = load_summaries(str(tmp_path)).runs[0]
    assert run.status == "LOST" and "gone" in (run.lost or "")


def test_a_live_metrics_file_is_read_each_time_and_kept_once_settled(tmp_path: Path) -> None:
    _sweep(tmp_path)
    load_summaries(str(tmp_path))
    cache_inode = os.stat(tmp_path / ROW_CACHE).st_ino
    metrics = tmp_path / "2" / "metrics" / "train.json"
    for loss in (5.0, 6.0):  # a run still logging: its file changed in the last moments
        write_file(str(metrics), metrics_lines([{"loss": loss}]), settled=False)
        assert load_summaries(str(tmp_path)).runs[1].metrics["train.loss"]["last"] == loss
    assert os.stat(tmp_path / ROW_CACHE).st_ino == cache_inode  # not rewritten for it
    backdate(str(metrics))
    assert load_summaries(str(tmp_path)).runs[1].metrics["train.loss"]["last"] == 6.0
    assert json.loads(_cached_rows(tmp_path)["2"][_ROW])["metrics"]["train.loss"]["last"] == 6.0


def test_a_few_runs_are_read_from_the_cache_without_checking_the_others(tmp_path: Path) -> None:
    _sweep(tmp_path)
    every = {run["id"]: run for run in _table(tmp_path)}
    assert [run.to_json() for run in load_runs(str(tmp_path), ["3", "1", "9"])] == [
        every["3"], every["1"]]  # in the order asked, a run that does not exist left out
    _forge(tmp_path, "2", _forged_status)
    _rewrite_config(tmp_path)  # run 2 itself changed: read again
    assert load_runs(str(tmp_path), ["2"])[0].config["optimizer.lr"] == 0.5
    load_summaries(str(tmp_path))  # cached again
    _forge(tmp_path, "2", _forged_status)
    _remove_run(tmp_path)  # another run changed: run 2's row still answers, from the cache
    assert [run.status for run in load_runs(str(tmp_path), ["2"])] == ["FORGED"]
    assert [run.status for run in load_summaries(str(tmp_path)).runs] == ["COMPLETE", "COMPLETE"]
