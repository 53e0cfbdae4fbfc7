"""``mlxp ui``'s JSON API over real run directories: the run page, artifacts, live tails, damage."""

from __future__ import annotations

import json
import os
from typing import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlxp.ui import tail
from tests.reader.runs import make_run, metrics_lines, write_file
from tests.strategies import curve_points
from tests.ui_helpers import Served, serve

pytestmark = pytest.mark.filterwarnings("ignore:skipped .* run director")

ROWS = [{"epoch": i, "loss": 1.0 / (i + 1)} for i in range(5)]


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    logdir = str(tmp_path / "logs")
    run = make_run(logdir, 1, config={"optimizer": {"lr": 0.1}, "name": "<script>x</script>"},
                   info={"cmd": "python main.py optimizer.lr=0.1",
                         "overrides": ["optimizer.lr=0.1"], "error": None},
                   metrics={"train": ROWS}, artifacts={"json": {"result.json": {"w": 3}}})
    write_file(os.path.join(run, "log.stdout"), "epoch 0\n" + "x" * 100 + "\nlast line\n")
    images = os.path.join(run, "artifacts", "images")
    os.makedirs(images)
    with open(os.path.join(images, "curve.png"), "wb") as stream:
        stream.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 8)
    write_file(os.path.join(images, "page.html"), "<script>alert(1)</script>")
    write_file(os.path.join(run, "artifacts", "model.bin"), "\0\1")
    make_run(logdir, 2, config={"optimizer": {"lr": 0.2}}, info={"status": "RUNNING"},
             metrics={"train": ROWS[:2]})
    yield from serve(logdir, str(tmp_path / "static"))


def metrics_file(served: Served, log_id: int = 2, log: str = "train") -> str:
    return os.path.join(served.logdir, str(log_id), "metrics", f"{log}.json")


# -- the run page --------------------------------------------------------------------------------

def test_the_run_page_has_config_info_command_streams_and_logs(served: Served) -> None:
    page = served.api("run/1")
    assert page["id"] == "1" and page["status"] == "COMPLETE"
    assert page["config"] == {"optimizer": {"lr": 0.1}, "name": "<script>x</script>"}
    assert page["info"]["hostname"] == "host"
    assert page["command"] == "python main.py optimizer.lr=0.1"
    assert page["overrides"] == ["optimizer.lr=0.1"]
    assert page["stdout_tail"].endswith("last line\n") and page["stderr_tail"] == ""
    assert page["logs"] == {"train": ["epoch", "loss"]}
    assert page["git"] == {"commit": None, "diff": None}
    assert "problem" not in page


def test_the_run_page_lists_artifacts_with_their_kind(served: Served) -> None:
    listed = {a["name"]: (a["kind"], a["url"]) for a in served.api("run/1")["artifacts"]}
    assert listed == {
        "images/curve.png": ("image", "/api/artifact/1/images/curve.png"),
        "images/page.html": ("text", "/api/artifact/1/images/page.html"),
        "json/result.json": ("json", "/api/artifact/1/json/result.json"),
        "model.bin": ("other", "/api/artifact/1/model.bin"),
    }


def test_the_stream_tail_is_the_end_of_a_long_log(served: Served, monkeypatch) -> None:
    from mlxp.ui import run_page

    monkeypatch.setattr(run_page, "MAX_STREAM_TAIL", 20)
    assert served.api("run/1")["stdout_tail"] == "last line\n"  # the cut line is dropped


@pytest.mark.parametrize("name, content_type, disposition", [
    ("images/curve.png", "image/png", None),
    ("images/page.html", "text/plain; charset=utf-8", None),  # never served as HTML
    ("json/result.json", "application/json", None),
    ("model.bin", "application/octet-stream", "attachment; filename*=UTF-8''model.bin"),
])
def test_artifacts_are_served_as_data(served: Served, name, content_type, disposition) -> None:
    reply = served.get(f"/api/artifact/1/{name}")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == content_type
    assert reply.headers["Content-Disposition"] == disposition
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Content-Security-Policy"].startswith("sandbox")
    with open(os.path.join(served.logdir, "1", "artifacts", name), "rb") as stream:
        assert reply.body == stream.read()


@pytest.mark.parametrize("path", ["run/3", "run/01", "run/abc", "artifact/3/x.png",
                                  "artifact/1/nope.png", "artifact/1", "tail/3/train", "nope"])
def test_unknown_things_are_404_with_a_json_error(served: Served, path: str) -> None:
    reply = served.get("/api/" + path)
    assert reply.status == 404
    error = reply.json()["error"]
    assert error["message"] and error["column"] is None


# -- damage never breaks a page --------------------------------------------------------------------

def test_a_truncated_config_shows_the_run_as_damaged(served: Served) -> None:
    config = os.path.join(served.logdir, "1", "metadata", "config.yaml")
    with open(config, "r+") as stream:
        stream.write("optimizer: {lr: [0.1,\n")
        stream.truncate()
    page = served.api("run/1")
    assert page["status"] == "DAMAGED"
    assert "metadata/config.yaml" in page["problem"]
    assert page["info"]["hostname"] == "host"  # the rest is still shown


def test_a_missing_info_shows_the_run_as_damaged(served: Served) -> None:
    os.remove(os.path.join(served.logdir, "1", "metadata", "info.yaml"))
    page = served.api("run/1")
    assert page["status"] == "DAMAGED" and "no metadata/info.yaml" in page["problem"]


def test_fifos_in_place_of_files_neither_hang_nor_break(served: Served) -> None:
    run = os.path.join(served.logdir, "1")
    os.remove(os.path.join(run, "log.stdout"))
    os.mkfifo(os.path.join(run, "log.stdout"))
    os.mkfifo(os.path.join(run, "artifacts", "pipe.txt"))
    os.remove(metrics_file(served, 1))
    os.mkfifo(metrics_file(served, 1))
    page = served.api("run/1")
    assert page["status"] == "COMPLETE" and "log.stdout" in page["problem"]
    assert served.get("/api/artifact/1/pipe.txt").status == 404
    tailed = served.api("tail/1/train")
    assert tailed["records"] == [] and "metrics/train.json" in tailed["problem"]


# -- live tails ------------------------------------------------------------------------------------

def append(path: str, text: str) -> None:
    with open(path, "a") as stream:
        stream.write(text)


def test_tail_sends_new_complete_lines_only_once(served: Served) -> None:
    first = served.api("tail/2/train")
    assert first["records"] == ROWS[:2] and first["reset"] is False
    assert first["status"] == "RUNNING"
    assert first["offset"] == os.path.getsize(metrics_file(served))
    again = served.api(f"tail/2/train?offset={first['offset']}&ino={first['ino']}")
    assert again["records"] == [] and again["offset"] == first["offset"]
    append(metrics_file(served), metrics_lines(ROWS[2:4]))
    new = served.api(f"tail/2/train?offset={first['offset']}&ino={first['ino']}"
                     f"&tag={first['tag']}")
    assert new["records"] == ROWS[2:4] and new["reset"] is False


def test_a_partial_last_line_is_never_sent(served: Served) -> None:
    start = served.api("tail/2/train")
    line = json.dumps(ROWS[2])
    append(metrics_file(served), line[:7])
    half = served.api(f"tail/2/train?offset={start['offset']}&ino={start['ino']}")
    assert half["records"] == [] and half["offset"] == start["offset"]
    append(metrics_file(served), line[7:] + "\n")
    whole = served.api(f"tail/2/train?offset={half['offset']}&ino={half['ino']}"
                       f"&tag={half['tag']}")
    assert whole["records"] == [ROWS[2]]


def test_a_file_cut_shorter_is_sent_again_from_the_start(served: Served) -> None:
    start = served.api("tail/2/train")
    os.truncate(metrics_file(served), len(metrics_lines(ROWS[:1])))  # a resume's rewind
    reset = served.api(f"tail/2/train?offset={start['offset']}&ino={start['ino']}"
                       f"&tag={start['tag']}")
    assert reset["reset"] is True and reset["records"] == ROWS[:1]


def test_a_file_cut_back_and_regrown_in_place_is_sent_again(served: Served) -> None:
    # A resume rewinds to the checkpoint, then logs past the old offset before the next poll.
    start = served.api("tail/2/train")
    redone = [{"epoch": 1, "loss": 0.75}, {"epoch": 2, "loss": 0.25}]
    os.truncate(metrics_file(served), len(metrics_lines(ROWS[:1])))
    append(metrics_file(served), metrics_lines(redone))
    assert os.path.getsize(metrics_file(served)) > start["offset"]
    reset = served.api(f"tail/2/train?offset={start['offset']}&ino={start['ino']}"
                       f"&tag={start['tag']}")
    assert reset["reset"] is True and reset["records"] == ROWS[:1] + redone


def test_a_replaced_file_is_sent_again_from_the_start(served: Served) -> None:
    start = served.api("tail/2/train")
    path = metrics_file(served)
    os.rename(path, path + ".old")  # set aside (another inode), and started over
    write_file(path, metrics_lines(ROWS[3:5] + ROWS[:1]))
    reset = served.api(f"tail/2/train?offset={start['offset']}&ino={start['ino']}")
    assert reset["reset"] is True and reset["records"] == ROWS[3:5] + ROWS[:1]


def test_a_log_not_written_yet_answers_no_records(served: Served) -> None:
    assert served.api("tail/2/valid")["records"] == []


def test_damaged_lines_are_skipped_and_counted(served: Served) -> None:
    write_file(metrics_file(served), '{"loss": 1}\nnot json\n[1, 2]\n\n{"loss": 2}\n')
    tailed = served.api("tail/2/train")
    assert tailed["records"] == [{"loss": 1}, {"loss": 2}] and tailed["skipped"] == 2


def test_a_long_tail_comes_in_capped_answers(served: Served, monkeypatch) -> None:
    monkeypatch.setattr(tail, "MAX_RECORDS", 3)
    write_file(metrics_file(served), metrics_lines(ROWS))
    first = served.api("tail/2/train")
    rest = served.api(f"tail/2/train?offset={first['offset']}&ino={first['ino']}"
                      f"&tag={first['tag']}")
    assert first["records"] == ROWS[:3] and rest["records"] == ROWS[3:]


def test_a_line_longer_than_one_read_is_skipped_once_complete(served: Served,
                                                             monkeypatch) -> None:
    monkeypatch.setattr(tail, "MAX_READ", 64)
    write_file(metrics_file(served), json.dumps({"text": "y" * 200}) + "\n" + '{"loss": 3}\n')
    first = served.api("tail/2/train")
    second = served.api(f"tail/2/train?offset={first['offset']}&ino={first['ino']}")
    assert first["records"] == [] and first["skipped"] == 1
    assert second["records"] == [{"loss": 3}]


@pytest.mark.parametrize("query", ["offset=-1", "offset=abc", "ino=x"])
def test_bad_tail_parameters_are_400(served: Served, query: str) -> None:
    reply = served.get(f"/api/tail/2/train?{query}")
    assert reply.status == 400 and reply.json()["error"]["message"].split()[0] in (
        "offset", "ino")


def test_non_finite_metric_values_arrive_as_null(served: Served) -> None:
    write_file(metrics_file(served), '{"loss": NaN}\n{"loss": Infinity}\n')
    assert served.api("tail/2/train")["records"] == [{"loss": None}, {"loss": None}]


# -- the runs table, curves, groups and diffs ------------------------------------------------------

@pytest.fixture
def sweep(tmp_path) -> Iterator[Served]:
    """Four runs (lr 0.1/0.2 x seed 1/2) of five epochs, a secret, and a damaged run."""
    logdir = str(tmp_path / "logs")
    log_id = 0
    for lr in (0.1, 0.2):
        for seed in (1, 2):
            log_id += 1
            rows = [{"epoch": e, "loss": lr * 10 * seed / (e + 1)} for e in range(5)]
            make_run(logdir, log_id,
                     config={"optimizer": {"lr": lr}, "seed": seed,
                             "wandb": {"api_key": "hunter2"}, "note": "<script>x</script>"},
                     info={"config_from_env": ["wandb.api_key"]}, metrics={"train": rows})
    write_file(os.path.join(logdir, "9", "metadata", "info.yaml"), "status: [RUNN")
    yield from serve(logdir, str(tmp_path / "static"))


def test_runs_lists_every_run_with_varying_keys_and_metrics(sweep: Served) -> None:
    answer = sweep.api("runs")
    assert [run["id"] for run in answer["runs"]] == ["1", "2", "3", "4", "9"]
    assert answer["varying"] == ["optimizer.lr", "seed"]
    assert answer["total"] == 5 and answer["counts"] == {"COMPLETE": 4, "DAMAGED": 1}
    first = answer["runs"][0]
    assert first["config"]["optimizer.lr"] == 0.1 and first["config"]["wandb.api_key"] == "****"
    assert first["config"]["note"] == "<script>x</script>"  # data: the page escapes it
    assert first["metrics"]["train.loss"] == {"last": 0.2, "min": 0.2, "max": 1.0, "count": 5}
    assert "hunter2" not in sweep.get("/api/runs").body.decode()


def test_runs_takes_a_query(sweep: Served) -> None:
    answer = sweep.api("runs?where=config.optimizer.lr%20%3D%3D%200.2")
    assert [run["id"] for run in answer["runs"]] == ["3", "4"]
    assert answer["counts"] == {"COMPLETE": 2} and answer["total"] == 5


def test_a_malformed_query_is_400_with_its_column(sweep: Served) -> None:
    reply = sweep.get("/api/runs?where=config.seed%20%3D%3D")
    assert reply.status == 400
    error = reply.json()["error"]
    assert isinstance(error["column"], int) and error["message"]


def test_the_run_page_masks_secrets_and_shows_damage(sweep: Served) -> None:
    page = sweep.api("run/1")
    assert page["config"]["wandb"]["api_key"] == "****"
    assert "hunter2" not in sweep.get("/api/run/1").body.decode()
    damaged = sweep.api("run/9")
    assert damaged["status"] == "DAMAGED" and "info.yaml" in damaged["problem"]


def test_series_sends_each_runs_points(sweep: Served) -> None:
    answer = sweep.api("series?runs=1,3&log=train&y=loss&x=epoch")
    assert answer["x_key"] == "epoch" and answer["y_key"] == "loss"
    first, third = answer["series"]
    assert first["run"] == "1" and first["x"] == [0, 1, 2, 3, 4] and first["points"] == 5
    assert third["y"][0] == pytest.approx(2.0) and third["downsampled"] is False
    by_step = sweep.api("series?runs=1&log=train&y=loss")
    assert by_step["x_key"] == "step" and by_step["series"][0]["x"] == [0, 1, 2, 3, 4]


def test_series_are_downsampled_to_the_width_keeping_peaks(sweep: Served) -> None:
    rows = [{"loss": 100.0 if i == 7777 else float(i % 10)} for i in range(20_000)]
    write_file(metrics_file(sweep, 2), metrics_lines(rows))
    (series,) = sweep.api("series?runs=2&log=train&y=loss&width=100")["series"]
    assert series["points"] == 20_000 and series["downsampled"] is True
    assert len(series["x"]) <= 200 and series["x"] == sorted(series["x"])
    assert max(series["y"]) == 100.0 and 7777 in series["x"]


def test_series_can_be_asked_for_an_x_range(sweep: Served) -> None:
    (series,) = sweep.api("series?runs=1&log=train&y=loss&x=epoch&xmin=1&xmax=3")["series"]
    assert series["x"] == [1, 2, 3]


def test_groups_aggregate_runs_per_config_value(sweep: Served) -> None:
    answer = sweep.api("groups?by=optimizer.lr&log=train&y=loss&x=epoch&band=minmax")
    groups = {group["label"]: group for group in answer["groups"]}
    assert set(groups) == {"optimizer.lr=0.1", "optimizer.lr=0.2"}
    low = groups["optimizer.lr=0.1"]
    assert low["key"] == {"optimizer.lr": 0.1} and low["runs"] == ["1", "2"]
    assert low["x"] == [0, 1, 2, 3, 4] and low["count"] == [2] * 5
    assert low["mean"][0] == pytest.approx(1.5)
    assert low["lo"][0] == pytest.approx(1.0) and low["hi"][0] == pytest.approx(2.0)
    std = sweep.api("groups?by=optimizer.lr&log=train&y=loss&x=epoch&band=std")["groups"][0]
    assert std["lo"][0] == pytest.approx(1.0) and std["hi"][0] == pytest.approx(2.0)


def test_groups_follow_the_filter_and_count_runs_that_ended(sweep: Served) -> None:
    write_file(metrics_file(sweep, 2), metrics_lines([{"epoch": 0, "loss": 2.0}]))
    answer = sweep.api("groups?where=config.optimizer.lr%20%3D%3D%200.1&log=train&y=loss"
                       "&x=epoch")
    (group,) = answer["groups"]
    assert group["label"] == "all runs" and group["count"] == [2, 1, 1, 1, 1]


def test_diff_lists_the_keys_that_differ(sweep: Served) -> None:
    answer = sweep.api("diff?runs=1,4")
    assert answer["keys"] == ["optimizer.lr", "seed"]
    assert answer["values"] == {"1": {"optimizer.lr": 0.1, "seed": 1},
                                "4": {"optimizer.lr": 0.2, "seed": 2}}


@pytest.mark.parametrize("path, status, word", [
    pytest.param("series?runs=1&y=loss", 400, "log", id="series-no-log"),
    pytest.param("series?runs=1&log=train", 400, "y", id="series-no-y"),
    pytest.param("series?runs=1&log=train&y=loss&width=0", 400, "width", id="width-zero"),
    pytest.param("series?runs=1&log=train&y=loss&width=x", 400, "width", id="width-text"),
    pytest.param("series?runs=1&log=train&y=loss&xmin=nan", 400, "xmin", id="xmin-nan"),
    pytest.param("series?runs=1&log=..%2Fmetadata%2Finfo&y=status", 404, "no", id="log-escape"),
    pytest.param("series?runs=77&log=train&y=loss", 404, "no", id="unknown-run"),
    pytest.param("groups?log=train&y=loss&band=wide", 400, "band", id="unknown-band"),
    pytest.param("diff?runs=1,77", 404, "no", id="diff-unknown-run"),
])
def test_bad_chart_requests_are_refused_clearly(sweep: Served, path, status, word) -> None:
    reply = sweep.get("/api/" + path)
    assert reply.status == status
    assert reply.json()["error"]["message"].startswith(word)


# -- downsampling ---------------------------------------------------------------------------------

@pytest.mark.parametrize("xs, ys, width, expected", [
    pytest.param([0, 1, 2], [3, 1, 2], 5, ([0, 1, 2], [3, 1, 2]), id="few-points-unchanged"),
    pytest.param(list(range(8)), [0, 9, 1, 1, 1, 1, -5, 0], 2,
                 ([0, 1, 4, 6], [0, 9, 1, -5]), id="peaks-survive"),
    pytest.param([0] * 6, [3, 1, 2, 5, 0, 4], 1, ([0, 0], [5, 0]), id="one-x-value"),
    pytest.param([3, 1, 2, 0, 5, 4], [0, 1, 2, 3, 4, 5], 1, ([3, 4], [0, 5]),
                 id="not-increasing-falls-back"),
])
def test_downsample(xs, ys, width, expected) -> None:
    from mlxp.ui.downsample import downsample

    assert downsample(xs, ys, width) == expected


@given(curve_points.map(sorted), st.integers(1, 50))
def test_downsampling_increasing_curves_keeps_order_extremes_and_the_bound(points,
                                                                          width) -> None:
    from mlxp.ui.downsample import downsample

    xs, ys = [p[0] for p in points], [p[1] for p in points]
    out_x, out_y = downsample(xs, ys, width)
    assert len(out_x) <= 2 * width or (out_x, out_y) == (xs, ys)
    remaining = iter(zip(xs, ys))  # a subsequence: every kept point, in the original order
    assert all(point in remaining for point in zip(out_x, out_y))
    if ys:
        assert min(out_y) == min(ys) and max(out_y) == max(ys)


def test_a_cached_curve_follows_its_file(sweep: Served) -> None:
    before = sweep.api("series?runs=1&log=train&y=loss&x=epoch")["series"][0]
    append(metrics_file(sweep, 1), metrics_lines([{"epoch": 5, "loss": 0.01}]))
    after = sweep.api("series?runs=1&log=train&y=loss&x=epoch")["series"][0]
    assert before["points"] == 5 and after["points"] == 6 and after["y"][-1] == 0.01


def test_the_curve_cache_drops_the_least_recently_used(tmp_path) -> None:
    from mlxp.ui.series_cache import SeriesCache

    for log_id in (1, 2):
        make_run(str(tmp_path), log_id, metrics={"train": ROWS})
    cache = SeriesCache(max_points=len(ROWS))
    first = cache.curve("1", str(tmp_path / "1"), "train", "loss", "epoch")
    assert cache.curve("1", str(tmp_path / "1"), "train", "loss", "epoch") is first
    cache.curve("2", str(tmp_path / "2"), "train", "loss", "epoch")
    again = cache.curve("1", str(tmp_path / "1"), "train", "loss", "epoch")
    assert again is not first and again == first


# -- the runs table kept in memory ------------------------------------------------------------------

class Versions:
    """A table reader answering v1, v2, ... and counting its reads."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, where: str) -> bytes:
        self.reads += 1
        if where == "bad":
            raise ValueError("malformed")
        return f"{where}v{self.reads}".encode()


def test_a_small_log_directory_is_read_at_every_request() -> None:
    from mlxp.ui.runs_table import LARGE, RunsTable

    table = RunsTable(Versions(), lambda: LARGE)
    table.warm()  # nothing to warm: read at each request anyway
    assert [table.answer(""), table.answer(""), table.answer("q")] == [b"v1", b"v2", b"qv3"]


def test_a_large_table_is_answered_from_memory_and_read_again_behind(monkeypatch) -> None:
    from mlxp.ui import runs_table

    monkeypatch.setattr(runs_table, "REFRESH_AFTER", 1e9)
    reader = Versions()
    table = runs_table.RunsTable(reader, lambda: runs_table.LARGE + 1)
    table.warm()  # the server starts reading at once; the first request waits for that read
    assert table.answer("") == b"v1"
    assert table.answer("") == b"v1" and reader.reads == 1  # not stale yet: no new read
    monkeypatch.setattr(runs_table, "REFRESH_AFTER", -1.0)
    assert table.answer("") == b"v1"  # answered at once; a read starts behind
    table._entries[""].thread.join()
    assert reader.reads == 2 and table.answer("") == b"v2"


def test_a_failing_table_read_is_reported_and_not_kept() -> None:
    from mlxp.ui.runs_table import LARGE, RunsTable

    reader = Versions()
    for size in (LARGE, LARGE + 1):
        table = RunsTable(reader, lambda: size)
        for _ in range(2):
            with pytest.raises(ValueError, match="malformed"):
                table.answer("bad")
    assert reader.reads == 4


def test_the_runs_table_says_when_it_was_read(sweep: Served) -> None:
    import datetime

    as_of = datetime.datetime.fromisoformat(sweep.api("runs")["as_of"])
    assert as_of.tzinfo is not None


def test_large_artifacts_and_long_listings_are_bounded(served: Served, monkeypatch) -> None:
    from mlxp.ui import _files, run_page

    monkeypatch.setattr(run_page, "MAX_ARTIFACT_BYTES", 4)
    reply = served.get("/api/artifact/1/json/result.json")
    assert reply.status == 413
    assert "artifacts/json/result.json directly" in reply.json()["error"]["message"]
    monkeypatch.setattr(_files, "MAX_ARTIFACTS_LISTED", 2)
    page = served.api("run/1")
    assert len(page["artifacts"]) == 2 and page["artifacts_cut"] is True


def test_damage_never_breaks_the_table_or_the_charts(sweep: Served) -> None:
    os.remove(metrics_file(sweep, 1))
    os.mkfifo(metrics_file(sweep, 1))  # would block a plain open forever
    append(metrics_file(sweep, 2), '{"epoch": 5, "lo')  # a line being written
    with open(os.path.join(sweep.logdir, "3", "metadata", "config.yaml"), "w") as stream:
        stream.write("optimizer: {lr: [0.1,\n")  # half-written
    table = sweep.api("runs")
    statuses = {run["id"]: run["status"] for run in table["runs"]}
    assert statuses == {"1": "COMPLETE", "2": "COMPLETE", "3": "DAMAGED", "4": "COMPLETE",
                        "9": "DAMAGED"}
    curves = sweep.api("series?runs=1,2&log=train&y=loss&x=epoch")["series"]
    assert [curve["points"] for curve in curves] == [0, 5]
    groups = sweep.api("groups?by=seed&log=train&y=loss&x=epoch")["groups"]
    assert {group["label"] for group in groups} == {"seed=1", "seed=2"}
