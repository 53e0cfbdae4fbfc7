"""The metric columns kept on disk (``mlxp.results.columns``): the same points as parsing the
file, a new server answering from them without parsing, a grown file parsed from its covered
offset, and a damaged, foreign or misplaced cache never trusted."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path
from array import array
from typing import Any, Callable, Iterator, List, Tuple
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlxp.reader import Reader
from mlxp.results import columns
from mlxp.results._column import block_extremes
from mlxp.results.columns import COLUMNS_DIR, ColumnCache
from mlxp.results.curves import read_series
from mlxp.results.metricfiles import is_number, parse_records
from mlxp.ui.downsample import downsample
from mlxp.ui.series_cache import SeriesCache
from tests.reader.runs import make_run, records_line_by_line
from tests.strategies import metric_lines
from tests.ui_helpers import serve

pytestmark = pytest.mark.filterwarnings("ignore:skipped .* run director")


def write_metrics(logdir: Path, text: str) -> str:
    """Run 1 of ``logdir`` with ``text`` as its ``metrics/train.json``; its directory."""
    run_dir = logdir / "1"
    (run_dir / "metrics").mkdir(parents=True, exist_ok=True)
    (run_dir / "metrics" / "train.json").write_bytes(text.encode())
    return str(run_dir)


def from_columns(logdir: Path, run_dir: str, y: str = "y", x: str = "x") -> Tuple[list, list]:
    points = ColumnCache(str(logdir), min_bytes=0).points("1", run_dir, "train", y, x)
    assert points is not None, "the columns could not answer"
    return list(points[0]), list(points[1])


def from_file(run_dir: str, y: str = "y", x: str = "x") -> Tuple[list, list]:
    series = read_series("1", run_dir, "train", y, x)
    return series.x, series.y


@pytest.fixture
def parses() -> Iterator[List[bytes]]:
    """The bytes the column cache parsed, one item per ``parse_records`` call."""
    seen: List[bytes] = []

    def counted(data: bytes) -> Any:
        seen.append(data)
        return parse_records(data)

    with mock.patch.object(columns, "parse_records", side_effect=counted):
        yield seen


# -- the same points as read_series ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    pytest.param('{"x": 0, "y": 1}\n{"x": 1}\n{"y": 3}\n{"x": 3, "y": 4}\n', id="missing-keys"),
    pytest.param('{"x": 0, "y": "1"}\n{"x": "a", "y": 2}\n{"x": 2, "y": 2.5}\n', id="strings"),
    pytest.param('{"x": 0, "y": true}\n{"x": false, "y": 1}\n{"x": 2, "y": 3}\n', id="bools"),
    pytest.param('{"x": 0, "y": NaN}\n{"x": Infinity, "y": 1}\n{"x": 2, "y": -Infinity}\n'
                 '{"x": 3, "y": 1e999}\n{"x": 4, "y": -0.0}\n', id="nan-inf"),
    pytest.param('{"x": 0, "y": 9007199254740992}\n{"x": 1, "y": -9007199254740992}\n',
                 id="ints-at-the-float64-limit"),
    pytest.param('{"x": 0, "y": 1}\n{"x": 1, "y": 2', id="partial-last-line"),
    pytest.param('{"x": 0, "y": 1}\n{"x": 1, "y": 2}', id="last-line-whole-without-newline"),
    pytest.param('{"x": 0, "y": 1}', id="only-a-line-without-newline"),
    pytest.param('{"x": 0, "y": 1}\n\n  \n{"x": 1, "y": 2}\r\n', id="blank-lines-crlf"),
    pytest.param('{"x": 0, "y": 1}\nnot json\n[1]\n3\n{"x": 2, "y": 3}\n', id="not-json"),
    pytest.param('{"x": 0, "y": 1}\n{"x": 1, "y": 2}, {"x": 9, "y": 9}\n', id="two-values-a-line"),
    pytest.param('{"x": 0, "y": 1}\n{"x": 1, "y"\n{"x": 2, "y": 3}\n', id="torn-line"),
    pytest.param('{"y": 1}\n{"step": 7, "y": 2}\n{"y": 3}\n', id="step-not-in-first-record"),
    pytest.param('{"step": 5, "y": 1}\n{"y": 2}\n{"step": 7, "y": 3}\n', id="step-in-first-record"),
    pytest.param('{"step": "a", "y": 1}\n{"step": 1, "y": 2}\n', id="step-a-string"),
    pytest.param('not json\n{"y": 1}\n{"step": 3, "y": 2}\n', id="first-record-after-bad-line"),
    pytest.param('{"x": 3, "y": 1}\n{"x": 1, "y": 2}\n{"x": 2, "y": 0}\n', id="x-decreasing"),
    pytest.param('', id="empty"),
    pytest.param('\n\n', id="blank"),
    pytest.param('{"z": 1}\n{"z": 2}\n', id="neither-key"),
])
@pytest.mark.parametrize("x", ["x", "step"])
def test_the_columns_give_read_series_points(tmp_path: Path, text: str, x: str) -> None:
    run_dir = write_metrics(tmp_path, text)
    assert from_columns(tmp_path, run_dir, x=x) == from_file(run_dir, x=x)
    assert from_columns(tmp_path, run_dir, x=x) == from_file(run_dir, x=x)  # from the files


def test_a_line_holding_two_values_is_skipped_as_any_malformed_line(tmp_path: Path) -> None:
    # it once counted as two records when the rest of the file was clean: the result then
    # depended on the other lines parsed with it, and so on where a chunk of the file ends
    run_dir = write_metrics(tmp_path, '{"x": 0, "y": 1}\n{"x": 1, "y": 2}, {"x": 9, "y": 9}\n')
    assert from_file(run_dir) == ([0], [1])


@pytest.mark.parametrize("value", [2 ** 53 + 1, -(2 ** 60), 10 ** 400], ids=str)
def test_an_int_a_float64_cannot_hold_is_left_to_read_series(tmp_path: Path, value: int) -> None:
    run_dir = write_metrics(tmp_path, '{"x": 0, "y": 1.5, "z": 2}\n{"x": 1, "y": %d}\n' % value)
    cache = ColumnCache(str(tmp_path), min_bytes=0)
    assert cache.points("1", run_dir, "train", "y", "x") is None
    assert from_columns(tmp_path, run_dir, y="z") == ([0], [2])  # its other keys are kept
    curve = SeriesCache(columns=cache).curve("1", run_dir, "train", "y", "x")
    assert (curve.x, curve.y) == ([0, 1], [1.5, value])


def test_the_increasing_flag_follows_x(tmp_path: Path) -> None:
    run_dir = write_metrics(tmp_path, '{"x": 1, "y": 1}\n{"x": "a", "y": 0}\n{"x": 2, "y": 2}\n')
    cache = ColumnCache(str(tmp_path), min_bytes=0)
    points = cache.points("1", run_dir, "train", "y", "x")
    assert points is not None and (list(points[0]), list(points[1]), points[2]) == (
        [1, 2], [1, 2], True)
    with open(os.path.join(run_dir, "metrics", "train.json"), "a") as stream:
        stream.write('{"x": 0, "y": 5}')  # a partial last line that parses: x goes back
    points = cache.points("1", run_dir, "train", "y", "x")
    assert points is not None and list(points[0]) == [1, 2, 0] and points[2] is False


def _reference(text: str, x: str) -> Tuple[list, list, bool]:
    """The points line by line, and whether an int a float64 cannot hold is among them."""
    records = records_line_by_line(text)
    by_line = x == "step" and not any("step" in record for record in records[:1])
    keys = ["y"] if by_line else [x, "y"]
    huge = any(type(record.get(key)) is int and abs(record[key]) > 2 ** 53
               for record in records for key in keys)
    points = [(number if by_line else record.get(x), record.get("y"))
              for number, record in enumerate(records)]
    points = [(a, b) for a, b in points if is_number(a) and is_number(b)]
    return [a for a, _ in points], [b for _, b in points], huge


@given(metric_lines, st.booleans(), st.integers(0, 1 << 16), st.sampled_from(["x", "step"]))
def test_appending_then_reading_through_the_columns_is_reading_from_scratch(
        tmp_path_factory: Any, lines: List[str], newline_at_end: bool, cut: int, x: str) -> None:
    logdir = tmp_path_factory.mktemp("logs")
    text = "\n".join(lines) + ("\n" if newline_at_end and lines else "")
    data = text.encode()
    cut %= len(data) + 1  # anywhere, a partial line included
    run_dir = write_metrics(logdir, "")
    path = os.path.join(run_dir, "metrics", "train.json")
    with open(path, "wb") as stream:
        stream.write(data[:cut])  # bytes: the cut may split a character
    with mock.patch.object(columns, "_CHUNK", 16):  # several chunks, some mid-record
        cache = ColumnCache(str(logdir), min_bytes=0)
        for stage in (data[:cut], data):
            if stage is data:
                with open(path, "ab") as stream:
                    stream.write(data[cut:])
            xs, ys, huge = _reference(stage.decode("utf-8", "replace"), x)
            assert (xs, ys) == from_file(run_dir, x=x)
            points = cache.points("1", run_dir, "train", "y", x)
            if points is None:  # only for an int a float64 cannot hold (an empty answer may
                assert huge     # come first, when the other key has no number)
            else:
                assert (list(points[0]), list(points[1])) == (xs, ys)


# -- the extremes of each block, kept with a column -------------------------------------------

@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e300]) | st.floats(
    allow_nan=False), min_size=40, max_size=400), st.integers(1, 20), st.integers(1, 9),
       st.booleans())
def test_downsampling_with_block_extremes_keeps_the_same_points(
        values: List[float], width: int, block: int, by_line: bool) -> None:
    ys = array("d", values)
    xs = range(len(ys)) if by_line else sorted(round(v % 7) if abs(v) < 1e9 else 3 for v in values)
    plain = downsample(xs, ys, width, True)
    assert downsample(xs, ys, width, True, block_extremes(ys, block)) == plain
    assert [str(v) for v in downsample(xs, ys, width, True, block_extremes(ys, block))[1]] == [
        str(v) for v in plain[1]]  # the same one of 0.0 and -0.0 too


def test_a_column_on_disk_keeps_its_block_extremes(tmp_path: Path) -> None:
    rows = [{"y": float((i * 37) % 101)} for i in range(1000)] + [{"y": "n/a"}]
    run_dir = write_metrics(tmp_path, "".join(json.dumps(row) + "\n" for row in rows[:-1]))
    points = ColumnCache(str(tmp_path), min_bytes=0).points("1", run_dir, "train", "y")
    again = ColumnCache(str(tmp_path), min_bytes=0).points("1", run_dir, "train", "y")
    assert points is not None and again is not None and points[3] is not None
    assert again[3] == points[3] == block_extremes(points[1])
    assert downsample(again[0], again[1], 10, True, again[3]) == downsample(again[0], again[1], 10)
    with open(os.path.join(run_dir, "metrics", "train.json"), "a") as stream:
        stream.write(json.dumps(rows[-1]) + "\n")  # not all numbers: no extremes
    grown = ColumnCache(str(tmp_path), min_bytes=0).points("1", run_dir, "train", "y")
    assert grown is not None and grown[3] is None and len(grown[1]) == 1000


# -- kept on disk, used by a new server, extended when the file grows ----------------------------

BIG_ROWS = [{"step": i, "loss": 1.0 / (i + 1), "epoch": i // 100} for i in range(40_000)]


def test_a_new_server_answers_from_the_columns_without_parsing(tmp_path: Path,
                                                               parses: List[bytes]) -> None:
    logdir = str(tmp_path / "logs")
    make_run(logdir, 1, metrics={"train": BIG_ROWS})
    path = os.path.join(logdir, "1", "metrics", "train.json")
    assert os.path.getsize(path) >= columns.MIN_BYTES
    query = "series?runs=1&log=train&y=loss&width=50"
    for server in serve(logdir, str(tmp_path / "static")):
        first = server.api(query)
        assert first["series"][0]["points"] == len(BIG_ROWS)
    assert parses and os.listdir(os.path.join(logdir, COLUMNS_DIR))
    parses.clear()
    for server in serve(logdir, str(tmp_path / "static")):
        assert server.api(query) == first
        assert server.api(query.replace("y=loss", "y=epoch"))["series"][0]["points"] == len(
            BIG_ROWS)
    assert parses == []
    grown = "".join(json.dumps({"step": 40_000 + i, "loss": 0.0}) + "\n" for i in range(3))
    with open(path, "a") as stream:
        stream.write(grown + '{"step": 40003, "lo')
    for server in serve(logdir, str(tmp_path / "static")):
        after = server.api(query)["series"][0]
        assert after["points"] == len(BIG_ROWS) + 3 and after["y"][-1] == 0.0
    assert parses == [grown.encode(), b'{"step": 40003, "lo']  # the new lines, then the tail


def _cut_back_and_rewrite(path: str) -> None:
    # a resume: cut in place to a checkpoint, then written past the old end before we look
    size = os.path.getsize(path)
    with open(path, "r+") as stream:
        stream.truncate(size // 2 - (size // 2) % 30)  # within the lines, not at a line's end
        stream.seek(0, os.SEEK_END)
        stream.write("\n" + '{"x": 1000, "y": -1}\n' * 200)


def _replace(path: str) -> None:
    with open(path + ".new", "w") as stream:
        stream.write('{"x": 5, "y": 6}\n' * 100)
    os.replace(path + ".new", path)


def _shorten(path: str) -> None:
    with open(path, "r+") as stream:
        stream.truncate(40)


@pytest.mark.parametrize("change", [_cut_back_and_rewrite, _replace, _shorten],
                         ids=["cut-back-and-rewritten", "replaced", "shorter"])
def test_a_file_not_grown_from_the_covered_one_is_parsed_again(
        tmp_path: Path, change: Callable[[str], None]) -> None:
    run_dir = write_metrics(tmp_path, "".join(
        json.dumps({"x": i, "y": i * 0.5}) + "\n" for i in range(100)))
    from_columns(tmp_path, run_dir)
    change(os.path.join(run_dir, "metrics", "train.json"))
    assert from_columns(tmp_path, run_dir) == from_file(run_dir)


def _column_files(logdir: Path) -> List[Path]:
    return sorted((logdir / COLUMNS_DIR).glob("*.col"))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-8])


def _bad_magic(path: Path) -> None:
    path.write_bytes(b"NOTMLXP!" + path.read_bytes()[8:])


def _foreign(path: Path) -> None:  # another key's column in its place
    other = [p for p in _column_files(path.parent.parent) if p != path][0]
    shutil.copyfile(other, path)


def _manifest_garbage(path: Path) -> None:
    for manifest in path.parent.glob("*.json"):
        manifest.write_bytes(b'{"format": "mlxp-columns-1", "keys": [')


def _manifest_of_another_log(path: Path) -> None:
    for manifest in path.parent.glob("*.json"):
        document = json.loads(manifest.read_text())
        document["log"] = "test"
        manifest.write_text(json.dumps(document))


@pytest.mark.parametrize("damage", [_truncate, _bad_magic, _foreign, _manifest_garbage,
                                    _manifest_of_another_log],
                         ids=["column-torn", "bad-magic", "another-key", "manifest-torn",
                              "manifest-of-another-log"])
def test_a_damaged_cache_is_rebuilt_never_trusted(tmp_path: Path, damage: Callable[[Path], None],
                                                  parses: List[bytes]) -> None:
    run_dir = write_metrics(tmp_path, "".join(
        json.dumps({"x": i, "y": -i, "z": i * i}) + "\n" for i in range(50)))
    expected = from_file(run_dir)
    from_columns(tmp_path, run_dir)
    for path in _column_files(tmp_path):
        damage(path)
    assert from_columns(tmp_path, run_dir) == expected
    parses.clear()
    assert from_columns(tmp_path, run_dir) == expected
    assert parses == []  # rebuilt and whole again


# -- where it is and where it is not -------------------------------------------------------------

def test_the_reader_and_the_runs_table_ignore_the_cache(tmp_path: Path) -> None:
    logdir = tmp_path / "logs"
    make_run(str(logdir), 1, metrics={"train": [{"loss": 1.0}]})
    run_dir = str(logdir / "1")
    from_columns(logdir, run_dir, y="loss", x="step")
    assert os.listdir(logdir / COLUMNS_DIR) and not os.path.exists(logdir / "1" / COLUMNS_DIR)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [run["info.logger.log_id"] for run in Reader(str(logdir)).filter("")] == [1]


@pytest.mark.parametrize("make", [
    pytest.param(lambda path, elsewhere: os.symlink(elsewhere, path), id="symlink"),
    pytest.param(lambda path, elsewhere: Path(path).write_text("x"), id="a-file"),
])
def test_a_cache_directory_that_is_not_a_plain_directory_is_not_used(
        tmp_path: Path, make: Callable[[str, str], None]) -> None:
    logdir, elsewhere = tmp_path / "logs", tmp_path / "elsewhere"
    elsewhere.mkdir()
    run_dir = write_metrics(logdir, '{"x": 1, "y": 2}\n')
    make(str(logdir / COLUMNS_DIR), str(elsewhere))
    cache = ColumnCache(str(logdir), min_bytes=0)
    assert cache.points("1", run_dir, "train", "y", "x") is None
    assert os.listdir(elsewhere) == []
    curve = SeriesCache(columns=cache).curve("1", run_dir, "train", "y", "x")
    assert (curve.x, curve.y) == ([1], [2])


def test_a_log_directory_that_cannot_be_written_parses_in_memory(tmp_path: Path) -> None:
    run_dir = write_metrics(tmp_path, '{"x": 1, "y": 2}\n')
    cache = ColumnCache(str(tmp_path), min_bytes=0)
    with mock.patch.object(columns.os, "mkdir", side_effect=PermissionError(13, "denied")):
        assert cache.points("1", run_dir, "train", "y", "x") is None
        curve = SeriesCache(columns=cache).curve("1", run_dir, "train", "y", "x")
    assert (curve.x, curve.y) == ([1], [2]) and not (tmp_path / COLUMNS_DIR).exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a directory to another user")
def test_a_cache_directory_of_another_user_is_not_used(tmp_path: Path) -> None:
    run_dir = write_metrics(tmp_path, '{"x": 1, "y": 2}\n')
    (tmp_path / COLUMNS_DIR).mkdir()
    os.chown(tmp_path / COLUMNS_DIR, os.getuid() + 1, -1)
    assert ColumnCache(str(tmp_path), min_bytes=0).points("1", run_dir, "train", "y", "x") is None


def test_small_files_and_logs_of_too_many_keys_are_left_to_the_caller(tmp_path: Path) -> None:
    run_dir = write_metrics(tmp_path, '{"x": 1, "y": 2, "z": 3}\n')
    assert ColumnCache(str(tmp_path)).points("1", run_dir, "train", "y", "x") is None  # < 1 MiB
    assert not os.path.exists(tmp_path / COLUMNS_DIR)
    with mock.patch.object(columns, "MAX_KEYS", 2):
        assert ColumnCache(str(tmp_path), min_bytes=0).points("1", run_dir, "train", "y",
                                                              "x") is None
    assert _column_files(tmp_path) == []


def test_odd_keys_get_safe_file_names(tmp_path: Path) -> None:
    keys = ["../../x", "/etc/passwd", "a\0b", "é" * 300, ".", ""]
    run_dir = write_metrics(tmp_path, json.dumps({key: i for i, key in enumerate(keys)}) + "\n")
    for number, key in enumerate(keys):
        assert from_columns(tmp_path, run_dir, y=key, x="step") == ([0], [number])
    assert all(path.parent == tmp_path / COLUMNS_DIR for path in _column_files(tmp_path))
    assert len(_column_files(tmp_path)) == len(keys)
