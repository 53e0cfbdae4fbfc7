"""mlxp.Logger on its own: run directories, info.yaml, metrics, and their failure modes."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlxp.errors import InvalidNameError, MetricValueError
from mlxp.logger import DefaultLogger, Logger
from projects import read_yaml

REPO = Path(__file__).resolve().parent.parent


def lines(path: Path) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run_python(code: str, cwd: Path, *args: str, **kwargs: Any) -> subprocess.Popen:
    script = cwd / "script.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.Popen([sys.executable, str(script), *args], cwd=str(cwd), **kwargs)


# --- the run directory ----------------------------------------------------------------------


def test_standalone_logger_makes_the_run_tree_and_records_complete(tmp_path: Path) -> None:
    with Logger(str(tmp_path / "logs")) as logger:
        assert logger.log_id == 1
        assert logger.log_dir == str(tmp_path / "logs" / "1")
        assert logger.parent_log_dir == str(tmp_path / "logs")
        for name in ("metadata", "metrics", "artifacts"):
            assert getattr(logger, f"{name}_dir") == str(tmp_path / "logs" / "1" / name)
        assert logger.get_info()["status"] == "RUNNING"
        logger.log_metrics({"epoch": 0})
    info = read_yaml(tmp_path / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "COMPLETE" and info["error"] is None
    assert info["end_date"] and info["end_time"]
    assert info["logger"]["log_id"] == 1
    assert Logger(str(tmp_path / "logs")).log_id == 2


def test_default_logger_is_logger_with_mlxps_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert DefaultLogger is Logger
    assert Logger().log_dir == str(tmp_path / "logs" / "1")


@pytest.mark.parametrize(
    "raise_, status, error",
    [
        pytest.param(None, "COMPLETE", None, id="normal-exit"),
        pytest.param(SystemExit(0), "COMPLETE", None, id="sys-exit-0"),
        pytest.param(SystemExit(None), "COMPLETE", None, id="sys-exit-none"),
        pytest.param(SystemExit(3), "FAILED", "SystemExit: exit code 3", id="sys-exit-3"),
        pytest.param(ValueError("bad lr"), "FAILED", "ValueError: bad lr", id="exception"),
        pytest.param(KeyboardInterrupt(), "FAILED", "interrupted by SIGINT (KeyboardInterrupt)",
                     id="ctrl-c"),
    ],
)
def test_context_manager_records_how_the_block_ended(
    tmp_path: Path, raise_: BaseException, status: str, error: str
) -> None:
    try:
        with Logger(str(tmp_path)) as logger:
            if raise_ is not None:
                raise raise_
    except BaseException as caught:  # the logger records, it never swallows
        assert caught is raise_
    info = read_yaml(Path(logger.metadata_dir) / "info.yaml")
    assert (info["status"], info["error"]) == (status, error)


def test_get_info_is_a_copy_and_update_info_rewrites_the_file(tmp_path: Path) -> None:
    logger = Logger(str(tmp_path), info={"overrides": ["lr=1"]})
    logger.get_info()["logger"]["log_id"] = 99
    assert logger.get_info()["logger"]["log_id"] == 1
    logger.update_info(note="hello")
    info = read_yaml(Path(logger.metadata_dir) / "info.yaml")
    assert info["note"] == "hello" and info["overrides"] == ["lr=1"]


def test_64_concurrent_processes_get_64_distinct_ids(tmp_path: Path) -> None:
    go = tmp_path / "go"
    code = f"""
        import os, sys, time
        from mlxp.logger import Logger
        while not os.path.exists({str(go)!r}):
            time.sleep(0.005)
        print(Logger({str(tmp_path / "logs")!r}).log_id)
    """
    script = tmp_path / "claim.py"
    script.write_text(textwrap.dedent(code))
    processes = [
        subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
        for _ in range(64)
    ]
    time.sleep(0.5)
    go.touch()
    ids = [int(p.communicate(timeout=120)[0]) for p in processes]
    assert sorted(ids) == list(range(1, 65))


# --- metrics ----------------------------------------------------------------------------------


def test_metrics_are_json_lines_and_keys_file_lists_sorted_keys(tmp_path: Path) -> None:
    logger = Logger(str(tmp_path))
    logger.log_metrics({"epoch": 0, "loss": 1.5})
    logger.log_metrics({"loss": 1.0, "epoch": 1, "acc": 0.5})
    logger.log_metrics({"step": 3}, log_name="valid")
    metrics = Path(logger.metrics_dir)
    assert lines(metrics / "train.json") == [
        {"epoch": 0, "loss": 1.5}, {"loss": 1.0, "epoch": 1, "acc": 0.5}]
    assert lines(metrics / "valid.json") == [{"step": 3}]
    # MLXP 1.0.5's format: one metrics/.keys/<log_name>.yaml per log name, {key: ''}
    assert read_yaml(metrics / ".keys" / "train.yaml") == {"acc": "", "epoch": "", "loss": ""}
    assert read_yaml(metrics / ".keys" / "valid.yaml") == {"step": ""}


def test_keys_file_is_rewritten_only_when_a_new_key_appears(tmp_path: Path) -> None:
    logger = Logger(str(tmp_path))
    keys_file = Path(logger.metrics_dir) / ".keys" / "train.yaml"
    logger.log_metrics({"epoch": 0, "loss": 1.0})
    first = keys_file.stat().st_ino  # atomic rewrites replace the inode
    for i in range(1, 5):
        logger.log_metrics({"loss": 0.5, "epoch": i})
    assert keys_file.stat().st_ino == first
    logger.log_metrics({"epoch": 5, "acc": 1.0})
    assert keys_file.stat().st_ino != first


def test_nan_and_inf_are_written_so_json_reads_them_back(tmp_path: Path) -> None:
    logger = Logger(str(tmp_path))
    logger.log_metrics({"nan": math.nan, "inf": math.inf, "ninf": -math.inf})
    (line,) = lines(Path(logger.metrics_dir) / "train.json")
    assert math.isnan(line["nan"]) and line["inf"] == math.inf and line["ninf"] == -math.inf


class FakeTensor:
    """Duck-typed like a 0-d torch tensor: ``ndim`` and ``item()``, nothing JSON knows."""

    ndim = 0

    def __init__(self, value: float) -> None:
        self.value = value

    def item(self) -> float:
        return self.value


def test_numpy_and_tensor_scalars_become_python_numbers(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    logger = Logger(str(tmp_path))
    logger.log_metrics({
        "f32": np.float32(0.5), "i64": np.int64(7), "b": np.bool_(True), "f64": np.float64(2.5),
        "zero_d": np.array(3.0), "tensor": FakeTensor(1.25), "nested": [np.int32(1), {"x": np.float16(2)}],
        "nan32": np.float32("nan"),
    })
    (line,) = lines(Path(logger.metrics_dir) / "train.json")
    assert line["f32"] == 0.5 and line["i64"] == 7 and line["b"] is True and line["f64"] == 2.5
    assert line["zero_d"] == 3.0 and line["tensor"] == 1.25
    assert line["nested"] == [1, {"x": 2.0}] and math.isnan(line["nan32"])


def nested_list(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def nested_dict(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize(
    "metrics, key",
    [
        pytest.param({"ok": 1, "bad": object()}, "bad", id="object"),
        pytest.param({"bad": {1, 2}}, "bad", id="set"),
        pytest.param({"bad": [1, object()]}, "bad[1]", id="in-list"),
        pytest.param({"bad": {"inner": b"bytes"}}, "bad.inner", id="in-dict"),
        pytest.param({3: 1.0}, 3, id="non-string-key"),
        pytest.param({("a", "b"): 1.0}, ("a", "b"), id="tuple-key"),
        pytest.param({"ok": 1, "\udcff": 1.0}, "\udcff", id="lone-surrogate-key"),
        pytest.param({"big": 10**5000}, "big", id="huge-int"),
        pytest.param({"deep": nested_list(5000)}, "deep" + "[0]" * 64, id="5000-deep-list"),
        pytest.param({"deep": nested_dict(5000)}, "deep" + ".k" * 64, id="5000-deep-dict"),
        pytest.param({"a": {1: 2, "1": 3}}, "a.1", id="keys-colliding-as-json-text"),
        pytest.param({"a": {(1, 2): 3}}, "a.(1, 2)", id="nested-tuple-key"),
    ],
)
def test_a_bad_value_raises_naming_its_key_and_writes_nothing(
    tmp_path: Path, metrics: Dict[Any, Any], key: Any
) -> None:
    logger = Logger(str(tmp_path))
    logger.log_metrics({"epoch": 0})
    with pytest.raises(MetricValueError) as caught:
        logger.log_metrics(metrics)
    assert caught.value.key == key and repr(key) in str(caught.value)
    logger.log_metrics({"epoch": 2, "fresh": 1})  # a new key after the refusal is still recorded
    assert lines(Path(logger.metrics_dir) / "train.json") == [{"epoch": 0}, {"epoch": 2, "fresh": 1}]
    assert read_yaml(Path(logger.metrics_dir) / ".keys" / "train.yaml") == {"epoch": "", "fresh": ""}


def test_a_numpy_string_key_is_recorded_as_text_and_logging_goes_on(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    logger = Logger(str(tmp_path))
    logger.log_metrics({np.str_("acc"): 0.5})
    logger.log_metrics({"loss": 1.0})
    assert lines(Path(logger.metrics_dir) / "train.json") == [{"acc": 0.5}, {"loss": 1.0}]
    assert read_yaml(Path(logger.metrics_dir) / ".keys" / "train.yaml") == {"acc": "", "loss": ""}


def test_a_multi_dimensional_array_is_refused_with_a_hint(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(MetricValueError, match=r"'weights'.*tolist"):
        Logger(str(tmp_path)).log_metrics({"weights": np.zeros(3)})


def test_a_circular_value_is_refused(tmp_path: Path) -> None:
    loop: List[Any] = []
    loop.append(loop)
    with pytest.raises(MetricValueError, match="nested too deeply"):
        Logger(str(tmp_path)).log_metrics({"loop": loop})


def test_metrics_must_be_a_mapping(tmp_path: Path) -> None:
    logger = Logger(str(tmp_path))
    with pytest.raises(MetricValueError, match="mapping"):
        logger.log_metrics(["epoch"])  # type: ignore[arg-type]
    assert not (Path(logger.metrics_dir) / "train.json").read_text()


@pytest.mark.parametrize("name", ["info", "config", "mlxp", "artifacts"])
def test_protected_log_names_are_refused(tmp_path: Path, name: str) -> None:
    logger = Logger(str(tmp_path))
    with pytest.raises(InvalidNameError, match="reserved"):
        logger.log_metrics({"a": 1}, log_name=name)
    assert os.listdir(logger.metrics_dir) == []


@pytest.mark.parametrize("name", ["", "a/b", "../x", ".hidden", "a\\b"])
def test_log_names_that_are_not_plain_file_names_are_refused(tmp_path: Path, name: str) -> None:
    logger = Logger(str(tmp_path))
    with pytest.raises(InvalidNameError, match="plain file name"):
        logger.log_metrics({"a": 1}, log_name=name)
    assert os.listdir(logger.metrics_dir) == []


@pytest.mark.parametrize(
    ("tail", "kept"),
    [
        pytest.param('{"epo', [], id="torn-line-cut"),
        pytest.param('{"epoch": 9}', [{"epoch": 9}], id="whole-line-ended"),
        pytest.param('{"x": "' + "y" * 200_000, [], id="torn-line-longer-than-a-chunk"),
    ],
)
def test_a_partial_last_line_is_cut_off_when_the_run_is_opened_again(
    tmp_path: Path, tail: str, kept: List[Dict[str, Any]]
) -> None:
    with Logger(str(tmp_path)) as logger:
        logger.log_metrics({"epoch": 0})
        logger.log_checkpoint({"epoch": 0})
    path = Path(logger.metrics_dir) / "train.json"
    with path.open("a") as stream:
        stream.write(tail)  # what a writer killed in the middle of a write() leaves
    resumed = Logger(str(tmp_path), forced_log_id=1, resume=True)
    assert lines(path) == [{"epoch": 0}, *kept]  # on resuming, before anything is logged
    resumed.log_metrics({"epoch": 1})
    assert lines(path) == [{"epoch": 0}, *kept, {"epoch": 1}]


def test_flush_and_close_fsync_the_metrics_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logger = Logger(str(tmp_path))
    logger.log_metrics({"a": 1})
    logger.log_metrics({"b": 1}, log_name="valid")
    synced: List[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    logger.flush()
    assert len(synced) == 2
    logger.close()
    assert len(synced) == 4
    logger.close()  # idempotent
    logger.log_metrics({"a": 2})  # logging after close reopens the file
    assert len(lines(Path(logger.metrics_dir) / "train.json")) == 2


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(metrics=st.dictionaries(st.text(), json_values, max_size=5))
def test_any_json_value_round_trips_as_one_line(tmp_path_factory: pytest.TempPathFactory, metrics: Dict[str, Any]) -> None:
    logger = Logger(str(tmp_path_factory.mktemp("logs")))
    logger.log_metrics(metrics)
    text = (Path(logger.metrics_dir) / "train.json").read_text()
    assert text.count("\n") == 1 and json.loads(text) == metrics


def test_threads_logging_to_one_file_never_mix_lines(tmp_path: Path) -> None:
    logger = Logger(str(tmp_path))

    def log_many(thread: int) -> None:
        for i in range(1500):
            logger.log_metrics({"thread": thread, "i": i, "tag": "y" * (i % 200)})

    threads = [threading.Thread(target=log_many, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = lines(Path(logger.metrics_dir) / "train.json")
    assert sorted((r["thread"], r["i"]) for r in records) == [(t, i) for t in range(4) for i in range(1500)]


# --- processes that die -----------------------------------------------------------------------


def test_sigkill_while_logging_loses_at_most_the_line_in_flight(tmp_path: Path) -> None:
    code = """
        import sys
        from mlxp.logger import Logger
        logger = Logger("logs", forced_log_id=1, resume=True)
        logger.log_checkpoint({})  # so that the next session appends
        session, i = int(sys.argv[1]), 0
        while True:
            logger.log_metrics({"s": session, "i": i, "tag": "x" * (i * 37 % 3000)})
            if i == 1000:
                print("ready", flush=True)
            i += 1
    """
    path = tmp_path / "logs" / "1" / "metrics" / "train.json"
    for session, delay in enumerate((0.0, 0.05, 0.13, 0.31, 0.0, 0.02)):
        process = run_python(code, tmp_path, str(session), stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)  # our own child
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        complete, _, _partial = path.read_text().rpartition("\n")  # the line in flight
        assert all(isinstance(json.loads(line), dict) for line in complete.split("\n"))
    Logger(str(tmp_path / "logs"), forced_log_id=1, resume=True).close()  # cuts a partial line
    records = lines(path)
    assert len(records) > 6000
    for session in range(6):  # each session's lines are all there, in order
        numbers = [record["i"] for record in records if record["s"] == session]
        assert numbers == list(range(len(numbers))) and len(numbers) > 1000


def test_log_streams_to_file_copies_python_c_and_child_output(tmp_path: Path) -> None:
    code = """
        import os, subprocess, sys
        from mlxp.logger import Logger
        print("before")
        with Logger("logs", log_streams_to_file=True) as logger:
            print("from print")
            os.write(1, b"from fd 1\\n")
            subprocess.run([sys.executable, "-c", "print('from a child')"], check=True)
            print("to stderr", file=sys.stderr)
        print("after")
    """
    process = run_python(code, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.splitlines() == ["before", "from print", "from fd 1", "from a child", "after"]
    assert err.splitlines() == ["to stderr"]
    run = tmp_path / "logs" / "1"
    assert (run / "log.stdout").read_text().splitlines() == ["from print", "from fd 1", "from a child"]
    assert (run / "log.stderr").read_text() == "to stderr\n"


def test_log_streams_to_file_copies_a_notebooks_prints_too(tmp_path: Path) -> None:
    # a Jupyter kernel's sys.stdout sends print to the notebook over its own channel, not fd 1
    code = """
        import io, os, sys
        from mlxp.logger import Logger

        class Channel(io.TextIOBase):
            def __init__(self):
                self.sent = []
            def write(self, text):
                self.sent.append(text)
                return len(text)
            def fileno(self):
                raise io.UnsupportedOperation("fileno")

        channel = sys.stdout = Channel()
        with Logger("logs", log_streams_to_file=True):
            print("in a cell")
            os.write(1, b"from C code\\n")
        print("after the run")
        restored = sys.stdout is channel
        sys.stdout = sys.__stdout__
        print("notebook:", repr("".join(channel.sent)), "restored:", restored)
    """
    process = run_python(code, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out.splitlines() == ["from C code",
                                "notebook: 'in a cell\\nafter the run\\n' restored: True"]
    logged = (tmp_path / "logs" / "1" / "log.stdout").read_text().splitlines()
    assert sorted(logged) == ["from C code", "in a cell"]  # each once


def test_log_streams_to_file_keeps_the_traceback_of_a_failed_run(tmp_path: Path) -> None:
    code = """
        from mlxp.logger import Logger
        with Logger("logs", log_streams_to_file=True):
            raise RuntimeError("diverged")
    """
    process = run_python(code, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1 and "RuntimeError: diverged" in err
    assert "RuntimeError: diverged" in (tmp_path / "logs" / "1" / "log.stderr").read_text()
    assert read_yaml(tmp_path / "logs" / "1" / "metadata" / "info.yaml")["error"] == "RuntimeError: diverged"


def test_a_stream_already_going_to_its_file_is_not_copied_twice(tmp_path: Path) -> None:
    (tmp_path / "logs" / "5").mkdir(parents=True)
    code = """
        from mlxp.logger import Logger
        with Logger("logs", forced_log_id=5, log_streams_to_file=True):
            print("once")
    """
    with open(tmp_path / "logs" / "5" / "log.stdout", "w") as job_output:  # a scheduler's --output
        process = run_python(code, tmp_path, stdout=job_output)
        assert process.wait(timeout=60) == 0
    assert (tmp_path / "logs" / "5" / "log.stdout").read_text() == "once\n"


# --- the documented example -------------------------------------------------------------------

EXAMPLE = REPO / "examples" / "logging" / "standalone.py"


def test_the_standalone_example_runs_crashes_resumes_and_reads_back(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(EXAMPLE), "--logs", str(tmp_path / "logs"), *args],
                              capture_output=True, text=True, timeout=60, cwd=str(tmp_path))

    fresh = run()
    assert fresh.returncode == 0 and fresh.stdout.startswith("run 1: w = 2.9531"), fresh.stderr
    crashed = run("--id", "7", "--crash-at", "3")
    assert crashed.returncode == 1 and "simulated crash during epoch 3" in crashed.stderr
    assert read_yaml(tmp_path / "logs" / "7" / "metadata" / "info.yaml")["status"] == "FAILED"
    resumed = run("--id", "7")
    assert resumed.returncode == 0 and resumed.stdout.startswith("run 7: w = 2.9531"), resumed.stderr
    info = read_yaml(tmp_path / "logs" / "7" / "metadata" / "info.yaml")
    assert (info["status"], info["resumes"]) == ("COMPLETE", 1)

    reader_module = pytest.importorskip("mlxp.reader")
    runs = reader_module.Reader(str(tmp_path / "logs")).filter("info.status == 'COMPLETE'")
    assert [row["info.logger.log_id"] for row in runs] == [1, 7]
    for row in runs:
        assert row["train.epoch"] == [0, 1, 2, 3, 4, 5]
        assert row["artifact.json.result.json"].load() == {"w": 2.953125, "epochs": 6}
        assert row["artifact.pickle.last_ckpt.pkl"].load() == {"epoch": 5, "w": 2.953125}


def test_docs_show_the_example_verbatim() -> None:
    assert EXAMPLE.read_text() in (REPO / "docs" / "logging.md").read_text()


def test_a_closed_terminal_does_not_block_the_task_and_the_file_gets_everything(tmp_path: Path) -> None:
    code = """
        from mlxp.logger import Logger
        with Logger("logs", log_streams_to_file=True):
            for i in range(20_000):  # far more than a pipe holds
                print(f"line {i}")
    """
    process = run_python(code, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # the reader of our stdout goes away (`python task.py | head -0`)
    process.wait(timeout=60)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    text = (tmp_path / "logs" / "1" / "log.stdout").read_text()
    assert text.splitlines() == [f"line {i}" for i in range(20_000)]


def test_a_job_that_starts_before_its_id_is_recorded_keeps_both(tmp_path) -> None:
    """The submitter records the job id after sbatch returns; the job may already run."""
    from mlxp.cluster.rundirs import RunInfo

    Logger(str(tmp_path), 1, info={"status": "STARTING",
                                   "scheduler": {"name": "slurm", "job_id": None}})
    job = Logger(str(tmp_path), 1)  # the job starts first ...
    assert job.get_info()["status"] == "RUNNING"
    RunInfo(str(tmp_path / "1"), {}).update(
        scheduler={"name": "slurm", "job_id": "7", "submit_output": "Submitted batch job 7"})
    recorded = read_yaml(tmp_path / "1" / "metadata" / "info.yaml")
    assert recorded["status"] == "RUNNING" and recorded["scheduler"]["job_id"] == "7"
    job.finish()  # ... and finishes after: the id stays
    recorded = read_yaml(tmp_path / "1" / "metadata" / "info.yaml")
    assert recorded["status"] == "COMPLETE" and recorded["scheduler"]["job_id"] == "7"


def test_a_run_being_cancelled_keeps_the_cancelled_verdict(tmp_path) -> None:
    from mlxp.logger import RunInterrupted

    logger = Logger(str(tmp_path))
    (Path(logger.metadata_dir) / "cancelled").write_text("")
    logger.finish(RunInterrupted(signal.SIGTERM))
    info = read_yaml(Path(logger.metadata_dir) / "info.yaml")
    assert info["status"] == "FAILED" and info["error"] == "cancelled"


# --- a signal while the run is being set up --------------------------------------------------

_SIGNAL_AT = '''
import os, signal, sys
import mlxp, mlxp.logger

def signalled(original, at_call=1):
    calls = []
    def replacement(*args, **kwargs):
        calls.append(1)
        if len(calls) == at_call:  # delivered at once: the handler raises here
            os.kill(os.getpid(), signal.SIGTERM)
        return original(*args, **kwargs)
    return replacement

{patch}

@mlxp.launch(config_path=os.path.abspath("configs"))
def main(ctx):
    print("the task ran")

main()
'''


@pytest.mark.parametrize(("patch", "status"), [
    pytest.param("mlxp.logger.Logger._write_info = signalled(mlxp.logger.Logger._write_info)",
                 None, id="before-info-yaml"),
    pytest.param("mlxp.logger.Heartbeat.start = signalled(mlxp.logger.Heartbeat.start)",
                 "FAILED", id="starting-the-heartbeat"),
    pytest.param("mlxp.logger.Logger.write_metadata = "  # the first call writes info.yaml
                 "signalled(mlxp.logger.Logger.write_metadata, at_call=2)", "FAILED",
                 id="writing-the-config"),
])
def test_a_signal_during_the_runs_setup_never_leaves_it_running(
        tmp_path: Path, patch: str, status: Any) -> None:
    (tmp_path / "main.py").write_text(_SIGNAL_AT.format(patch=patch))
    done = subprocess.run([sys.executable, "main.py"], cwd=str(tmp_path), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 143, done.stderr
    assert "the task ran" not in done.stdout
    runs = [name for name in os.listdir(tmp_path / "logs") if not name.startswith(".")]
    if status is None:  # nothing was recorded yet: no half-made run directory is left
        assert runs == []
        return
    assert runs == ["1"]
    info = read_yaml(tmp_path / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == status and info["error"] == "terminated by SIGTERM"
