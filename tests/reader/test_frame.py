"""DataFrame, DataDict and GroupedDataFrame: MLXP 1.0.5's behaviours, lazy columns, display."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from typing import List

import pytest

from mlxp.errors import ArtifactError, ColumnError, MissingDependencyError, ReaderError
from mlxp.reader import DataDict, DataFrame, GroupedDataFrame, Reader
from mlxp.reader import _lazy

from .runs import make_run, write_file

LEARNING_RATES = (10.0, 1.0)
SEEDS = (0, 1, 2)
UNITS = (100, 200, 300)


def loss_curve(lr: float, seed: int, units: int) -> List[float]:
    return [1.0 / (1 + epoch * lr / 10) + seed / 100 + units / 10_000 for epoch in range(5)]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> str:
    """18 runs: lr x seed x num_units, as in MLXP's own reader tests."""
    parent = str(tmp_path_factory.mktemp("logs"))
    log_id = 0
    for lr in LEARNING_RATES:
        for seed in SEEDS:
            for units in UNITS:
                log_id += 1
                curve = loss_curve(lr, seed, units)
                make_run(
                    parent,
                    log_id,
                    config={"seed": seed, "model": {"num_units": units}, "optimizer": {"lr": lr},
                            "data": {"device": "cpu"}},
                    info={"status": "COMPLETE" if log_id % 4 else "RUNNING"},
                    metrics={"train": [{"epoch": e, "loss": v} for e, v in enumerate(curve)]},
                    artifacts={"pickle": {"last_ckpt.pkl": {"seed": seed}}},
                )
    return parent


@pytest.fixture
def reader(sweep) -> Reader:
    return Reader(sweep)


def mean(values):
    numpy = pytest.importorskip("numpy")
    return numpy.mean(numpy.array(values), axis=0)


def argmin(values):
    numpy = pytest.importorskip("numpy")
    last = numpy.array(values)[:, -1]
    return last == numpy.min(last)


# --- filtering with queries (MLXP's test_filter) -----------------------------------------------


@pytest.mark.parametrize(
    "query, check, count",
    [
        pytest.param("config.seed == 0", lambda r: r["config.seed"] == 0, 6, id="eq"),
        pytest.param("config.seed != 0", lambda r: r["config.seed"] != 0, 12, id="ne"),
        pytest.param("config.optimizer.lr < 10.", lambda r: r["config.optimizer.lr"] < 10, 9, id="lt"),
        pytest.param("config.optimizer.lr > 1.", lambda r: r["config.optimizer.lr"] > 1, 9, id="gt"),
        pytest.param("config.optimizer.lr <= 1.", lambda r: r["config.optimizer.lr"] <= 1, 9, id="le"),
        pytest.param("config.optimizer.lr >= 1.", lambda r: r["config.optimizer.lr"] >= 1, 18, id="ge"),
        pytest.param("config.seed in [1, 2]", lambda r: r["config.seed"] in (1, 2), 12, id="in"),
        pytest.param("~ config.seed in [1, 2]", lambda r: r["config.seed"] == 0, 6, id="not-in"),
        pytest.param("config.seed == 0 & config.optimizer.lr > 1.",
                     lambda r: r["config.seed"] == 0 and r["config.optimizer.lr"] > 1, 3, id="and"),
        pytest.param("config.seed == 0 | config.optimizer.lr > 1.",
                     lambda r: r["config.seed"] == 0 or r["config.optimizer.lr"] > 1, 12, id="or"),
        pytest.param("(config.seed == 0 | config.optimizer.lr > 1.) & config.optimizer.lr < 10.",
                     lambda r: r["config.seed"] == 0 and r["config.optimizer.lr"] < 10, 3,
                     id="parentheses"),
        pytest.param("info.status in ['COMPLETE', 'RUNNING'] & config.optimizer.lr > 1.",
                     lambda r: r["config.optimizer.lr"] > 1, 9, id="status-in"),
        pytest.param("info.status == 'RUNNING'", lambda r: r["info.status"] == "RUNNING", 4, id="status"),
        pytest.param("", lambda r: True, 18, id="empty"),
    ],
)
def test_filter_operators(reader, query, check, count) -> None:
    results = reader.filter(query)
    assert isinstance(results, DataFrame) and len(results) == count
    assert all(check(row) for row in results)


def test_result_columns_are_the_readers_fields(reader) -> None:
    assert set(reader.filter("").keys()) == set(reader.fields)


def test_column_access(reader) -> None:
    results = reader.filter("config.seed == 1")
    assert results[:]["config.seed"] == [1] * 6
    assert results["config.seed"] == [1] * 6
    assert isinstance(results[1:3], DataFrame) and len(results[1:3]) == 2
    assert results[0]["train.loss"] == loss_curve(10.0, 1, 100)
    assert results[0]["train.epoch"] == [0, 1, 2, 3, 4]
    assert results[0]["artifact.pickle.last_ckpt.pkl"].load() == {"seed": 1}


def test_unknown_column_suggests_close_names(reader) -> None:
    results = reader.filter()
    with pytest.raises(ColumnError, match="did you mean 'train.loss'") as caught:
        results[0]["train.los"]
    assert caught.value.column == "train.los" and isinstance(caught.value, KeyError)
    with pytest.raises(ColumnError, match="unknown column 'config.sed'"):
        results["config.sed"]
    assert results[0].get("nope", 5) == 5


def test_datadict_is_read_only(reader) -> None:
    row = reader.filter()[0]
    with pytest.raises(TypeError):
        row["config.seed"] = 3  # type: ignore[index]
    assert row.log_dir.endswith(os.sep + "1")


def test_diff(reader) -> None:
    assert set(reader.filter().diff()) == {"config.model.num_units", "config.optimizer.lr", "config.seed"}
    one_lr_one_seed = reader.filter("config.seed == 0 & config.optimizer.lr == 1.")
    assert one_lr_one_seed.diff() == ["config.model.num_units"]
    assert reader.filter().diff("info.status") == ["info.status"]


def test_diff_counts_a_key_missing_from_some_rows() -> None:
    frame = DataFrame([DataDict({"config.a": 1}), DataDict({"config.a": 1, "config.b": 2})])
    assert frame.diff() == ["config.b"]


def test_groupby(reader) -> None:
    grouped = reader.filter().groupby(["config.optimizer.lr"])
    assert isinstance(grouped, GroupedDataFrame)
    assert list(grouped.keys()) == [(1.0,), (10.0,)]
    assert all(len(group) == 9 for group in grouped.values())
    assert grouped[(10.0,)] is grouped[10.0]
    by_two = reader.filter().groupby(["config.model.num_units", "config.optimizer.lr"])
    assert len(by_two) == 6 and (100, 10.0) in by_two


def test_groupby_unknown_column(reader) -> None:
    with pytest.raises(ColumnError, match="config.optimizer.lrr"):
        reader.filter().groupby("config.optimizer.lrr")
    assert len(reader.filter("config.seed == 99").groupby("config.seed")) == 0


def test_aggregate_names_columns_after_the_function(reader) -> None:
    grouped = reader.filter().groupby(["config.optimizer.lr"])
    aggregated = grouped.aggregate((mean, ("train.loss", "train.epoch")))
    assert list(aggregated.keys()) == [(1.0,), (10.0,)]
    assert all(len(group) == 1 for group in aggregated.values())
    for key, group in grouped.items():
        expected = mean(group[:]["train.loss"])
        assert list(aggregated[key][0]["fmean.train.loss"]) == pytest.approx(list(expected))
        assert list(aggregated[key][0]["fmean.train.epoch"]) == [0, 1, 2, 3, 4]
    named = grouped.aggregate((min, "config.seed", "lowest_seed"), ungroup=True)
    assert named[:]["lowest_seed"] == [0, 0] and named[:]["config.optimizer.lr"] == [1.0, 10.0]


def test_best_run_per_group(reader) -> None:
    numpy = pytest.importorskip("numpy")
    grouped = reader.filter().groupby(["config.model.num_units", "config.optimizer.lr"])
    aggregated = grouped.aggregate((mean, "train.loss"))
    best = aggregated.filter((argmin, "fmean.train.loss"), bygroups=["config.model.num_units"])
    assert isinstance(best, GroupedDataFrame)
    assert best.group_keys == ["config.model.num_units", "config.optimizer.lr"]
    by_units = aggregated.ungroup().groupby(["config.model.num_units"])
    for (units, lr), group in best.items():
        lowest = min(numpy.array(by_units[(units,)][:]["fmean.train.loss"])[:, -1])
        assert group[0]["fmean.train.loss"][-1] == lowest
        assert lr == 10.0  # the larger step decreases the loss faster in this sweep
    assert sorted(best.keys()) == [(100, 10.0), (200, 10.0), (300, 10.0)]
    flat = aggregated.filter((argmin, "fmean.train.loss"), bygroups="config.model.num_units", ungroup=True)
    assert isinstance(flat, DataFrame) and flat[:]["config.model.num_units"] == [100, 200, 300]


def test_filter_map_on_a_dataframe(reader) -> None:
    results = reader.filter()
    low_seed = results.filter((lambda seeds: [s < 1 for s in seeds], "config.seed"))
    assert low_seed[:]["config.seed"] == [0] * 6
    best = results.filter((argmin, "train.loss"), bygroups="config.optimizer.lr")
    assert sorted(best[:]["config.optimizer.lr"]) == [1.0, 10.0]
    with pytest.raises(ReaderError, match="one boolean per row"):
        results.filter((lambda seeds: True, "config.seed"))
    with pytest.raises(ReaderError, match="single map"):
        results.filter([(min, "config.seed"), (max, "config.seed")])  # type: ignore[arg-type]


def test_apply_transform_map(reader) -> None:
    results = reader.filter("config.optimizer.lr == 1. & config.model.num_units == 100")
    doubled = results.map((lambda x: 2 * x, "config.seed"))
    assert doubled[:]["f<lambda>.config.seed"] == [0, 2, 4]

    def cumulative(values):
        return [sum(values[: i + 1]) for i in range(len(values))]

    assert results.transform((cumulative, "config.seed"))[:]["fcumulative.config.seed"] == [0, 1, 3]
    with pytest.raises(ReaderError, match="use aggregate"):
        results.transform((sum, "config.seed"))

    def final(loss):
        return loss[-1]

    rowwise = results.apply((final, "train.loss"), map_type="Rowwise")
    assert rowwise[:]["ffinal.train.loss"] == [loss_curve(1.0, s, 100)[-1] for s in SEEDS]

    def spread(seeds, units):
        return max(seeds) - min(seeds), sum(units)

    generic = results.apply((spread, ("config.seed", "config.model.num_units"), ("range", "total")))
    assert len(generic) == 1 and generic[0]["range"] == 2 and generic[0]["total"] == 300
    assert results.apply((max, "config.seed"), map_type="Columnwise")[0]["fmax.config.seed"] == 2
    pointwise = results.apply((str, "config.seed"), map_type="Pointwise")
    assert pointwise[:]["fstr.config.seed"] == ["0", "1", "2"]
    with pytest.raises(ReaderError, match="map_type must be one of"):
        results.apply((max, "config.seed"), map_type="Diagonal")
    merged = results.merge(doubled)
    assert merged[2]["f<lambda>.config.seed"] == 4 and merged[2]["train.loss"] == loss_curve(1.0, 2, 100)


@pytest.mark.parametrize(
    "bad_map, message",
    [
        pytest.param(("not callable", "config.seed"), "a map is a tuple", id="not-callable"),
        pytest.param((max,), "a map is a tuple", id="too-short"),
        pytest.param((max, 3), "input columns", id="bad-columns"),
        pytest.param((max, ("config.seed", "config.data.device"), "one"), "one output name per",
                     id="names"),
    ],
)
def test_malformed_maps(reader, bad_map, message) -> None:
    with pytest.raises(ReaderError, match=message):
        reader.filter().aggregate(bad_map)


def test_sort_select_ungroup(reader) -> None:
    results = reader.filter("config.model.num_units == 100")
    ordered = results.sort(["config.seed", "config.optimizer.lr"], ascending=False)
    assert ordered[:]["config.seed"] == [2, 2, 1, 1, 0, 0]
    assert ordered[:]["config.optimizer.lr"] == [10.0, 1.0] * 3
    grouped = results.groupby("config.seed")
    selected = grouped.select([(0,), 2])
    assert list(selected.keys()) == [(0,), (2,)]
    flat = selected.ungroup()
    assert isinstance(flat, DataFrame) and flat[:]["config.seed"] == [0, 0, 2, 2]
    assert flat[0]["train.loss"] == loss_curve(10.0, 0, 100)  # lazy columns survive ungroup
    assert grouped.sort("config.optimizer.lr", ungroup=True)[:]["config.optimizer.lr"] == [1.0, 10.0] * 3


def test_sort_puts_missing_values_last() -> None:
    frame = DataFrame([DataDict({"a": None}), DataDict({"a": 2}), DataDict({"a": 1})])
    assert frame.sort("a")[:]["a"] == [1, 2, None]


def test_nested_groups(reader) -> None:
    nested = reader.filter().groupby("config.optimizer.lr").groupby("config.seed")
    assert isinstance(nested[(1.0,)], GroupedDataFrame)
    assert list(nested[(1.0,)].keys()) == [(0,), (1,), (2,)]
    once = nested.ungroup()
    assert isinstance(once, GroupedDataFrame) and isinstance(once[(1.0,)], DataFrame)
    assert len(once[(1.0,)]) == 9


def test_dataframe_holds_only_rows() -> None:
    with pytest.raises(ReaderError, match="DataDict rows"):
        DataFrame([{"a": 1}])  # type: ignore[list-item]


# --- metric files -------------------------------------------------------------------------------


def test_metric_file_read_once_per_run_and_log_name(reader, monkeypatch) -> None:
    paths: List[str] = []
    real = _lazy.read_metric_columns

    def counting(path):
        paths.append(path)
        return real(path)

    monkeypatch.setattr(_lazy, "read_metric_columns", counting)
    results = reader.filter("config.seed == 0")
    for row in results:
        row["train.loss"], row["train.epoch"], row["train.loss"]
    assert len(paths) == len(set(paths)) == 6
    first = results[0]["train.loss"]
    first.append("mutated")
    assert results[0]["train.loss"][-1] != "mutated"


@pytest.mark.parametrize(
    "content, expected",
    [
        pytest.param('{"loss": 1}\n{"loss": 2}\n{"loss": 3', [1, 2], id="torn-last-line"),
        pytest.param('{"loss": 1}\n{"loss": 2}\n{"loss": 3}', [1, 2, 3], id="complete-unterminated-line"),
        pytest.param('{"loss": 1}\n{"loss": 2}\n{"lo', [1, 2], id="torn-key"),
        pytest.param('{"loss": 1}\n\n{"loss": 2}\n', [1, 2], id="blank-line"),
        pytest.param('{"loss": 1}\r\n{"loss": 2}\r\n', [1, 2], id="crlf"),
        pytest.param("", [], id="empty-file"),
        pytest.param('{"loss": NaN}\n{"loss": Infinity}\n{"loss": -Infinity}\n', "special", id="nan-inf"),
    ],
)
def test_metric_lines(tmp_path, content, expected) -> None:
    make_run(str(tmp_path), 1, config={}, metrics={"train": [{"loss": 0}]})
    write_file(str(tmp_path / "1" / "metrics" / "train.json"), content)
    loss = Reader(str(tmp_path)).filter()[0]["train.loss"]
    if expected == "special":
        assert loss[0] != loss[0] and loss[1:] == [float("inf"), float("-inf")]
    else:
        assert loss == expected


def test_malformed_middle_line_skipped_with_a_warning(tmp_path) -> None:
    make_run(str(tmp_path), 1, config={}, metrics={"train": [{"loss": 0}]})
    # MLXP 1.0.5 left half a line when a value was not JSON; the next call appended to it.
    torn = '{"loss": 1}\n{"loss": {"loss": 2}\n{"loss": 3}\n'
    write_file(str(tmp_path / "1" / "metrics" / "train.json"), torn)
    row = Reader(str(tmp_path)).filter()[0]
    with pytest.warns(UserWarning, match=r"train.json: skipped 1 malformed line\(s\): 2"):
        assert row["train.loss"] == [1, 3]


def test_keys_logged_in_some_lines_only(tmp_path) -> None:
    rows = [{"epoch": 0, "loss": 1.0}, {"epoch": 1, "loss": 0.5, "acc": 0.9}]
    make_run(str(tmp_path), 1, config={}, metrics={"train": rows})
    row = Reader(str(tmp_path)).filter()[0]
    assert row["train.acc"] == [0.9] and row["train.epoch"] == [0, 1]


def test_missing_metric_file_gives_empty_column(tmp_path) -> None:
    make_run(str(tmp_path), 1, config={}, metrics={"train": [{"loss": 1.0}]})
    os.remove(tmp_path / "1" / "metrics" / "train.json")
    assert Reader(str(tmp_path)).filter()[0]["train.loss"] == []


# --- artifacts ----------------------------------------------------------------------------------


def test_artifacts_load_by_type_without_mlxp_artifacts(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "mlxp.artifacts", None)
    make_run(str(tmp_path), 1, config={}, artifacts={"json": {"summary.json": {"acc": 0.9}},
                                                    "pickle": {"nested/model.pkl": [1, 2]},
                                                    "numpy": {"weights.npz": [0]}})
    row = Reader(str(tmp_path)).filter()[0]
    assert row["artifact.json.summary.json"].load() == {"acc": 0.9}
    assert row["artifact.pickle.nested/model.pkl"].load() == [1, 2]
    assert repr(row["artifact.pickle.nested/model.pkl"]) == "Artifact(pickle:nested/model.pkl)"
    with pytest.raises(ArtifactError, match="no loader for artifact type 'numpy'"):
        row["artifact.numpy.weights.npz"].load()


def test_artifacts_load_through_mlxp_artifacts_when_present(tmp_path, monkeypatch) -> None:
    calls = []
    fake = types.ModuleType("mlxp.artifacts")
    def load_artifact(path, artifact_type, trust_stored_code):
        calls.append((path, artifact_type, trust_stored_code))
        return "loaded"

    fake.load_artifact = load_artifact  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mlxp.artifacts", fake)
    make_run(str(tmp_path), 1, config={}, artifacts={"numpy": {"weights.npz": [0]}})
    row = Reader(str(tmp_path)).filter()[0]
    assert row["artifact.numpy.weights.npz"].load() == "loaded"
    assert calls == [(str(tmp_path / "1" / "artifacts" / "numpy" / "weights.npz"), "numpy", False)]


# --- pandas and display -------------------------------------------------------------------------


def test_to_pandas(reader) -> None:
    pytest.importorskip("pandas")
    results = reader.filter("config.seed == 0")
    frame = results.toPandas()
    assert list(frame.columns) == results.keys() and len(frame) == 6
    assert set(frame["train.loss"]) == {"METRIC"}
    loaded = results.toPandas(lazy=False)
    assert loaded["train.loss"][0] == results[0]["train.loss"]
    direct = reader.filter("config.seed == 0", result_format="pandas")
    assert direct["train.loss"][0] == results[0]["train.loss"]
    grouped = results.groupby(["config.optimizer.lr", "config.model.num_units"]).toPandas()
    assert list(grouped.index.names)[:2] == ["config.optimizer.lr", "config.model.num_units"]
    assert len(grouped) == 6


def test_pandas_missing_says_what_to_install(reader, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    results = reader.filter("config.seed == 0")
    for convert in (results.toPandas, results.groupby("config.seed").toPandas,
                    lambda: reader.filter("", result_format="pandas")):
        with pytest.raises(MissingDependencyError, match=r"pip install 'mlxp\[pandas\]'") as caught:
            convert()
        assert caught.value.package == "pandas" and isinstance(caught.value, ImportError)
    assert "<table" in results._repr_html_()  # display needs no pandas
    assert "[6 rows x" in repr(results)


def test_import_loads_neither_pandas_nor_numpy() -> None:
    code = "import sys, mlxp.reader; print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "[]"


def test_repr_html(reader) -> None:
    results = reader.filter("config.seed == 0")
    page = results._repr_html_()
    assert page.startswith('<table class="mlxp-frame"')
    assert "<th>config.optimizer.lr</th>" in page and "<td>METRIC</td>" in page
    assert "6 rows &times;" in page
    row = DataDict({"config.name": "<b>&</b>"})
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in row._repr_html_()
    grouped = results.groupby("config.optimizer.lr")._repr_html_()
    assert "groups by ['config.optimizer.lr']" in grouped and "<th>(1.0,)</th>" in grouped


def test_text_repr(reader) -> None:
    results = reader.filter("config.seed == 0")
    text = repr(results)
    assert text.splitlines()[0].split()[0] == "config.seed"
    assert text.endswith(f"[6 rows x {len(results.keys())} columns]")
    assert "..." in text.splitlines()[0]  # wide frames elide middle columns
    assert repr(results[0]).startswith("{'config.seed': 0")
    assert "'train.loss': 'METRIC'" in repr(results[0])
    assert repr(reader).endswith("18 runs)")
