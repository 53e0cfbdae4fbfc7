"""The run index: incremental updates, skipped runs, concurrency, MLXP 1.0.5 run directories."""

from __future__ import annotations

import concurrent.futures
import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from typing import Dict, List

import pytest

from mlxp._layout import atomic_write
from mlxp._yaml import dump_yaml, load_yaml_file
from mlxp.errors import ReaderError
from mlxp.reader import Reader, index
from mlxp.reader.index import INDEX_FILE

from .runs import backdate, make_run, write_file

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "mlxp105_logs")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> List[int]:
    """The log ids of the runs whose files the index parses, in order."""
    seen: List[int] = []
    real_read_run = index.read_run

    def counting_read_run(run_dir: str) -> index.IndexedRun:
        seen.append(int(os.path.basename(run_dir)))
        return real_read_run(run_dir)

    monkeypatch.setattr(index, "read_run", counting_read_run)
    return seen


def make_sweep(parent: str, count: int = 3) -> None:
    for log_id in range(1, count + 1):
        make_run(
            parent,
            log_id,
            config={"seed": log_id, "optimizer": {"lr": 0.1 * log_id}},
            metrics={"train": [{"epoch": 0, "loss": 1.0}]},
        )


def statuses(reader: Reader) -> Dict[int, str]:
    return {row["info.logger.log_id"]: row["info.status"] for row in reader.filter()}


def test_first_reader_reads_every_run_then_none(tmp_path, reads) -> None:
    make_sweep(str(tmp_path))
    assert len(Reader(str(tmp_path))) == 3
    assert sorted(reads) == [1, 2, 3]
    assert os.path.exists(tmp_path / INDEX_FILE)
    reads.clear()
    reader = Reader(str(tmp_path))
    assert len(reader) == 3 and reads == []
    assert reader.filter("config.seed == 2")[0]["config.optimizer.lr"] == pytest.approx(0.2)


def test_only_changed_runs_are_read_again(tmp_path, reads) -> None:
    make_sweep(str(tmp_path))
    Reader(str(tmp_path))
    info_path = tmp_path / "2" / "metadata" / "info.yaml"
    info = load_yaml_file(str(info_path))
    write_file(str(info_path), dump_yaml({**info, "status": "FAILED"}))
    reads.clear()
    reader = Reader(str(tmp_path))
    assert reads == [2]
    assert statuses(reader) == {1: "COMPLETE", 2: "FAILED", 3: "COMPLETE"}


def test_new_metric_keys_are_noticed(tmp_path, reads) -> None:
    make_sweep(str(tmp_path))
    Reader(str(tmp_path))
    metrics = {"train": [{"loss": 1.0}], "eval": [{"acc": 0.5}]}
    make_run(str(tmp_path), 3, config={"seed": 3}, metrics=metrics)
    reads.clear()
    reader = Reader(str(tmp_path))
    assert reads == [3]
    assert reader.filter("config.seed == 3")[0]["eval.acc"] == [0.5]


def test_new_runs_read_and_vanished_runs_dropped(tmp_path, reads) -> None:
    make_sweep(str(tmp_path))
    Reader(str(tmp_path))
    make_run(str(tmp_path), 4, config={"seed": 4})
    shutil.rmtree(tmp_path / "1")
    reads.clear()
    reader = Reader(str(tmp_path))
    assert reads == [4]
    assert [row["config.seed"] for row in reader.filter()] == [2, 3, 4]
    reads.clear()
    assert len(Reader(str(tmp_path))) == 3 and reads == []
    saved = json.loads((tmp_path / INDEX_FILE).read_text())
    assert [run[0] for run in saved["runs"]] == [2, 3, 4]


def test_refresh_reads_every_run(tmp_path, reads) -> None:
    make_sweep(str(tmp_path))
    Reader(str(tmp_path))
    reads.clear()
    Reader(str(tmp_path), refresh=True)
    assert sorted(reads) == [1, 2, 3]


def test_recent_in_place_rewrite_of_the_same_size_is_noticed(tmp_path, reads) -> None:
    make_sweep(str(tmp_path))
    config_path = str(tmp_path / "1" / "metadata" / "config.yaml")
    write_file(config_path, dump_yaml({"seed": 1, "optimizer": {"lr": 0.1}}), settled=False)
    Reader(str(tmp_path))
    stat = os.stat(config_path)
    with open(config_path, "w", encoding="utf-8") as stream:  # same size, maybe same mtime tick
        stream.write(dump_yaml({"seed": 7, "optimizer": {"lr": 0.1}}))
    os.utime(config_path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(config_path).st_size == stat.st_size
    reads.clear()
    assert Reader(str(tmp_path)).filter("config.seed == 7")
    assert reads == [1]
    backdate(config_path)
    Reader(str(tmp_path))
    reads.clear()
    Reader(str(tmp_path))
    assert reads == []


def test_unreadable_runs_are_skipped_and_named_in_one_warning(tmp_path, reads) -> None:
    make_sweep(str(tmp_path), count=2)
    write_file(str(tmp_path / "2" / "metadata" / "config.yaml"), "seed: [1, 2\n")
    make_run(str(tmp_path), 3, config={"seed": 3})
    os.remove(tmp_path / "3" / "metadata" / "info.yaml")
    make_run(str(tmp_path), 4, config={"seed": 4})
    write_file(str(tmp_path / "4" / "metadata" / "info.yaml"), "- a list\n")
    os.makedirs(tmp_path / "5")  # no metadata/: not a run (yet), ignored silently
    with pytest.warns(UserWarning) as caught:
        reader = Reader(str(tmp_path))
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("skipped 3 run directories that could not be read")
    for log_id in (2, 3, 4):
        assert os.path.join(str(tmp_path), str(log_id)) in message
    assert "2: metadata/config.yaml:2:1: unterminated list" in message
    assert "no metadata/info.yaml" in message
    assert "not a mapping" in message and os.path.join(str(tmp_path), "5") not in message
    assert len(reader) == 1 and sorted(reader.skipped) == [
        os.path.join(str(tmp_path), str(i)) for i in (2, 3, 4)
    ]
    reads.clear()
    with pytest.warns(UserWarning, match="skipped 3 run directories"):
        Reader(str(tmp_path))
    assert reads == []  # remembered as unreadable until their files change


def test_run_without_config_has_an_empty_config(tmp_path) -> None:
    make_run(str(tmp_path), 1, config=None, metrics={"train": [{"loss": 1.0}]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reader = Reader(str(tmp_path))
    row = reader.filter("info.status == 'COMPLETE'")[0]
    assert not [key for key in row if key.startswith("config.")]
    assert row["train.loss"] == [1.0]


def test_results_ordered_by_log_id_numerically(tmp_path) -> None:
    for log_id in (10, 2, 1, 11):
        make_run(str(tmp_path), log_id, config={"seed": log_id})
    assert [row["config.seed"] for row in Reader(str(tmp_path)).filter()] == [1, 2, 10, 11]


def test_only_direct_all_digit_children_are_runs(tmp_path) -> None:
    make_sweep(str(tmp_path), count=1)
    make_run(str(tmp_path / "abc"), 1, config={"seed": 5})  # a nested parent: not descended
    write_file(str(tmp_path / "7"), "a file, not a directory")
    write_file(str(tmp_path / "database.json"), "{}")  # MLXP 1.0.5's TinyDB file
    with pytest.warns(UserWarning, match="7: not a run directory: not a directory"):
        reader = Reader(str(tmp_path))
    assert [row.log_dir for row in reader.filter()] == [os.path.join(str(tmp_path), "1")]


def test_missing_src_dir_is_an_error_and_not_created(tmp_path) -> None:
    with pytest.raises(ReaderError, match="no such directory") as caught:
        Reader(str(tmp_path / "nothing"))
    assert caught.value.path == str(tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()


def test_empty_src_dir_has_no_runs(tmp_path) -> None:
    assert len(Reader(str(tmp_path))) == 0 and Reader(str(tmp_path)).filter() == []


def test_index_kept_in_dst_dir(tmp_path, reads) -> None:
    src, dst = tmp_path / "logs", tmp_path / "cache" / "sub"
    make_sweep(str(src))
    Reader(str(src), dst_dir=str(dst))
    assert (dst / INDEX_FILE).exists() and not (src / INDEX_FILE).exists()
    reads.clear()
    Reader(str(src), dst_dir=str(dst))
    assert reads == []


def test_index_of_another_src_dir_is_not_used(tmp_path, reads) -> None:
    first, second, shared = tmp_path / "a", tmp_path / "b", tmp_path / "index"
    make_sweep(str(first), count=2)
    make_run(str(second), 1, config={"seed": 100})
    Reader(str(first), dst_dir=str(shared))
    reads.clear()
    reader = Reader(str(second), dst_dir=str(shared))
    assert reads == [1] and reader.filter()[0]["config.seed"] == 100


def test_unsaveable_index_warns_but_reads(tmp_path) -> None:
    make_sweep(str(tmp_path / "logs"), count=2)
    write_file(str(tmp_path / "blocker"), "a file where the index directory should be")
    with pytest.warns(UserWarning, match="could not save the run index"):
        reader = Reader(str(tmp_path / "logs"), dst_dir=str(tmp_path / "blocker"))
    assert len(reader) == 2


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{not json", id="garbage"),
        pytest.param(b'{"format": 999}', id="other-format"),
        pytest.param(b'{"format": 1, "src_dir": "SRC", "runs": [[1]]}', id="wrong-shape"),
    ],
)
def test_damaged_index_is_rebuilt(tmp_path, reads, content: bytes) -> None:
    make_sweep(str(tmp_path))
    (tmp_path / INDEX_FILE).write_bytes(content.replace(b"SRC", str(tmp_path).encode()))
    assert len(Reader(str(tmp_path))) == 3
    assert sorted(reads) == [1, 2, 3]
    reads.clear()
    Reader(str(tmp_path))
    assert reads == []


def test_fields_and_searchable(tmp_path) -> None:
    make_run(str(tmp_path), 1, config={"lr": 0.1, "name": "a"}, metrics={"train": [{"loss": 1.0}]},
             artifacts={"pickle": {"model.pkl": {"w": 1}}})
    make_run(str(tmp_path), 2, config={"lr": 1, "name": None})
    reader = Reader(str(tmp_path))
    fields = reader.fields
    assert list(fields) == sorted(fields)
    assert fields["config.lr"] == "float | int"
    assert fields["config.name"] == "None | str"
    assert fields["train.loss"] == "metric"
    assert fields["artifact.pickle."] == "artifact"  # MLXP's per-directory column
    assert "artifact.pickle.model.pkl" not in fields  # a per-file lookup, not a column
    assert fields["info.logger.log_id"] == "int"
    searchable = reader.searchable
    assert "train.loss" not in searchable and "artifact.pickle." not in searchable
    assert searchable["config.lr"] == "float | int"
    assert all(key.startswith(("config.", "info.")) for key in searchable)


def test_unknown_result_format(tmp_path) -> None:
    make_sweep(str(tmp_path), count=1)
    with pytest.raises(ReaderError, match="result_format must be 'datadict' or 'pandas'"):
        Reader(str(tmp_path)).filter("", result_format="list")


def test_query_keyword_alias(tmp_path) -> None:
    make_sweep(str(tmp_path))
    reader = Reader(str(tmp_path))
    assert len(reader.filter(query="config.seed >= 2")) == 2
    assert len(reader.filter(query_string="config.seed >= 2")) == 2


READER_LOOP = textwrap.dedent(
    """
    import sys, warnings
    from mlxp.reader import Reader
    warnings.simplefilter("error")
    src, rounds, expected = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for i in range(rounds):
        reader = Reader(src, refresh=(i % 2 == 0))
        assert len(reader) == expected, len(reader)
        for row in reader.filter():
            assert row["info.status"] in ("RUNNING", "COMPLETE"), row["info.status"]
    """
)


def test_concurrent_readers_in_processes_leave_a_valid_index(tmp_path, reads) -> None:
    make_sweep(str(tmp_path), count=20)
    processes = [
        subprocess.Popen([sys.executable, "-c", READER_LOOP, str(tmp_path), "6", "20"])
        for _ in range(4)
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0, 0, 0]
    json.loads((tmp_path / INDEX_FILE).read_text())
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    reads.clear()
    assert len(Reader(str(tmp_path))) == 20 and reads == []


FLIPPER = textwrap.dedent(
    """
    import sys, time
    from mlxp._layout import atomic_write
    path, seconds = sys.argv[1], float(sys.argv[2])
    base = open(path).read()
    end = time.time() + seconds
    i = 0
    while time.time() < end:
        status = "RUNNING" if i % 2 else "COMPLETE"
        atomic_write(path, base.replace("status: COMPLETE", f"status: {status}").encode())
        i += 1
    """
)


def test_runs_rewritten_while_reading_are_read_old_or_new(tmp_path) -> None:
    make_sweep(str(tmp_path), count=5)
    flipper = subprocess.Popen(
        [sys.executable, "-c", FLIPPER, str(tmp_path / "3" / "metadata" / "info.yaml"), "2.0"]
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", READER_LOOP, str(tmp_path), "15", "5"], timeout=120
        )
    finally:
        flipper.wait(timeout=60)
    assert result.returncode == 0
    assert statuses(Reader(str(tmp_path)))[3] in ("RUNNING", "COMPLETE")


def test_index_written_atomically(tmp_path, monkeypatch) -> None:
    make_sweep(str(tmp_path))
    calls: List[str] = []

    def recording_atomic_write(path: str, data: bytes) -> None:
        calls.append(path)
        atomic_write(path, data)

    monkeypatch.setattr(index._layout, "atomic_write", recording_atomic_write)
    Reader(str(tmp_path))
    assert calls == [str(tmp_path / INDEX_FILE)]


# --- runs written by MLXP 1.0.5 ----------------------------------------------------------------


@pytest.fixture
def legacy_logs(tmp_path) -> str:
    """A copy of the runs MLXP 1.0.5 wrote (the Reader writes its index next to them)."""
    destination = str(tmp_path / "mlxp105")
    shutil.copytree(FIXTURE, destination)
    return destination


def test_mlxp105_runs_are_read(legacy_logs) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reader = Reader(legacy_logs)
    assert len(reader) == 4
    results = reader.filter("config.optimizer.lr == 1. & config.model.num_units == 200")
    assert [row["config.seed"] for row in results] == [2]
    row = results[0]
    assert row["info.status"] == "COMPLETE"
    assert row["train.epoch"] == [0, 1, 2, 3, 4]
    assert row["train.grad_norm"] == pytest.approx([2 * x for x in row["train.loss"][3:]])
    assert len(row["eval.accuracy"]) == 1
    assert row["artifact.pickle.last_ckpt"].load() == {"epoch": 5, "loss": row["train.loss"][-1]}
    assert [r["config.seed"] for r in reader.filter("config.optimizer.lr > 1.")] == [1, 2]


def test_mlxp105_run_reads_like_the_same_run_of_ours(legacy_logs, tmp_path) -> None:
    legacy_dir = os.path.join(legacy_logs, "2")
    ours_parent = str(tmp_path / "ours")
    metrics = {}
    for log_name in ("train", "eval"):
        with open(os.path.join(legacy_dir, "metrics", f"{log_name}.json")) as stream:
            metrics[log_name] = [json.loads(line) for line in stream]
    with open(os.path.join(legacy_dir, "artifacts", "pickle", "last_ckpt"), "rb") as stream:
        checkpoint = pickle.load(stream)
    make_run(
        ours_parent,
        2,
        config=load_yaml_file(os.path.join(legacy_dir, "metadata", "config.yaml")),
        info=load_yaml_file(os.path.join(legacy_dir, "metadata", "info.yaml")),
        metrics=metrics,
        artifacts={"pickle": {"last_ckpt.pkl": checkpoint}},
    )
    theirs = Reader(legacy_logs).filter("info.logger.log_id == 2")[0]
    ours = Reader(ours_parent).filter("info.logger.log_id == 2")[0]
    plain = [key for key in theirs if key.startswith(("config.", "info."))]
    assert plain == [key for key in ours if key.startswith(("config.", "info."))]
    assert {key: theirs[key] for key in plain} == {key: ours[key] for key in plain}
    metric_keys = sorted(key for key in theirs if key.startswith(("train.", "eval.")))
    assert metric_keys == sorted(key for key in ours if key.startswith(("train.", "eval.")))
    for key in metric_keys:
        assert theirs[key] == ours[key]
    assert theirs["artifact.pickle.last_ckpt"].load() == ours["artifact.pickle.last_ckpt.pkl"].load()


def test_mlxp105_nested_artifact_names(tmp_path) -> None:
    make_run(str(tmp_path), 1, config={}, artifacts={"pickle": {"ckpts/epoch_1": [1], "last": [2]}},
             legacy=True)
    row = Reader(str(tmp_path)).filter()[0]
    assert row["artifact.pickle.ckpts/epoch_1"].load() == [1]
    assert row["artifact.pickle.last"].load() == [2]


def test_mlxp105_key_file_rewritten_in_place_is_noticed(tmp_path, reads) -> None:
    make_run(str(tmp_path), 1, config={}, metrics={"train": [{"loss": 1.0}]}, legacy=True)
    Reader(str(tmp_path))
    keys_path = str(tmp_path / "1" / "metrics" / ".keys" / "train.yaml")
    write_file(keys_path, "loss: ''\nacc: ''\n")
    time.sleep(0.01)
    reads.clear()
    row = Reader(str(tmp_path)).filter()[0]
    assert reads == [1] and "train.acc" in row


def test_many_new_runs_are_read_by_worker_processes(tmp_path, monkeypatch) -> None:
    if not index._can_fork():
        pytest.skip("worker processes are used only on Linux without other threads")
    make_sweep(str(tmp_path), count=12)
    write_file(str(tmp_path / "5" / "metadata" / "info.yaml"), "[unclosed\n")
    sequential = index.read_runs([str(tmp_path / str(i)) for i in range(1, 13)])
    monkeypatch.setattr(index, "PARALLEL_THRESHOLD", 2)
    pools = []
    real_pool = concurrent.futures.ProcessPoolExecutor

    def recording_pool(*args, **kwargs):
        pools.append(args)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", recording_pool)
    with pytest.warns(UserWarning, match="skipped 1 run directory"):
        reader = Reader(str(tmp_path))
    assert pools and len(reader) == 11
    parallel = index.read_runs([str(tmp_path / str(i)) for i in range(1, 13)])
    def outcome(runs):
        return [(run.log_id, run.data, run.error) for run in runs]

    assert outcome(parallel) == outcome(sequential)


@pytest.mark.parametrize("layout", [
    pytest.param({}, id="metadata-only"),
    pytest.param({"metrics": {"train": [{"loss": 1}]}}, id="metrics.yaml"),
    pytest.param({"metrics": {"train": [{"loss": 1}], "test": [{"acc": 1}]}, "legacy": True},
                 id="a-key-file-per-log"),
    pytest.param({"artifacts": {"json": {"a.json": [1]}}}, id="artifacts"),
])
def test_signature_holds_until_a_signed_file_changes(tmp_path, layout) -> None:
    from mlxp.reader._run_dir import run_signature
    from mlxp.reader.index import settled_signature, signature_holds

    run_dir = make_run(str(tmp_path), 1, config={"a": 1}, **layout)
    if os.path.isdir(os.path.join(run_dir, "metrics", ".keys")):
        backdate(os.path.join(run_dir, "metrics", ".keys"))
    signature, key_files = settled_signature(run_dir)
    assert signature == run_signature(run_dir, key_files)
    assert signature_holds(run_dir, key_files, signature)
    for name in ["metadata/info.yaml", "metadata/config.yaml",
                 *[f"metrics/.keys/{name}" for name in key_files]]:
        write_file(os.path.join(run_dir, name), "{}\n")
        assert not signature_holds(run_dir, key_files, signature), name
        signature = run_signature(run_dir, key_files)
        assert signature_holds(run_dir, key_files, signature)
