"""Artifacts and checkpoints: types, suffixes, the keys index, names, atomic writes."""

from __future__ import annotations

import functools
import os
import re
import pickle
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, List

import pytest

import mlxp.artifacts._types as artifact_types
from mlxp.artifacts import load_artifact, register_artifact_type
from mlxp.errors import ArtifactError, InvalidNameError, MissingDependencyError
from mlxp.logger import Logger
from projects import read_yaml

TESTS = Path(__file__).resolve().parent


def save_text(obj: Any, path: str) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(str(obj))


def load_text(path: str) -> str:
    with open(path, encoding="utf-8") as stream:
        return stream.read()


def save_elsewhere(obj: Any, path: str) -> None:
    save_text(obj, path + ".txt")


@pytest.fixture
def logger(tmp_path: Path) -> Logger:
    return Logger(str(tmp_path / "logs"))


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(artifact_types, "_registry", dict(artifact_types.BUILTIN_TYPES))


def files_under(path: str) -> List[str]:
    return sorted(
        os.path.relpath(os.path.join(root, name), path)
        for root, _, names in os.walk(path) for name in names
    )


# --- built-in types ---------------------------------------------------------------------------


def test_pickle_and_json_round_trip_with_suffixes_and_index(logger: Logger) -> None:
    logger.log_artifacts({"w": [1, 2]}, "weights", "pickle")
    logger.log_artifacts({"lr": 0.1}, "best/params", "json")
    assert logger.load_artifacts("weights") == {"w": [1, 2]}
    assert logger.load_artifacts("best/params", "json") == {"lr": 0.1}
    assert files_under(logger.artifacts_dir) == [
        ".keys/artifacts.yaml", ".keys/custom_types.yaml", "json/best/params.json",
        "pickle/weights.pkl"]
    # MLXP 1.0.5's format: {type: {".sub.dir" or "": {file name: ""}}}
    assert read_yaml(Path(logger.artifacts_dir) / ".keys" / "artifacts.yaml") == {
        "pickle": {"": {"weights.pkl": ""}}, "json": {".best": {"params.json": ""}}}


def test_a_name_given_with_its_suffix_means_the_same_artifact(logger: Logger) -> None:
    logger.log_artifacts(1, "model.pkl", "pickle")
    logger.log_artifacts(2, "model", "pickle")
    assert files_under(os.path.join(logger.artifacts_dir, "pickle")) == ["model.pkl"]
    assert logger.load_artifacts("model.pkl") == logger.load_artifacts("model") == 2
    assert read_yaml(Path(logger.artifacts_dir) / ".keys" / "artifacts.yaml") == {
        "pickle": {"": {"model.pkl": ""}}}


def test_numpy_arrays_and_mappings_of_arrays(logger: Logger) -> None:
    np = pytest.importorskip("numpy")
    logger.log_artifacts(np.arange(6).reshape(2, 3), "grid", "numpy")
    logger.log_artifacts({"a": np.ones(2), "b": np.zeros(1)}, "pair", "numpy")
    assert np.array_equal(logger.load_artifacts("grid"), np.arange(6).reshape(2, 3))
    pair = logger.load_artifacts("pair")
    assert set(pair) == {"a", "b"} and np.array_equal(pair["a"], np.ones(2))
    assert files_under(os.path.join(logger.artifacts_dir, "numpy")) == ["grid.npy", "pair.npz"]


def test_torch_objects_round_trip_on_the_cpu(logger: Logger) -> None:
    torch = pytest.importorskip("torch")
    state = {"weight": torch.arange(4.0), "step": 3}
    path = logger.log_artifacts(state, "state", "torch")
    assert path.endswith(os.path.join("torch", "state.pt"))
    loaded = logger.load_artifacts("state")
    assert torch.equal(loaded["weight"], state["weight"]) and loaded["step"] == 3


def test_images_from_arrays_and_pillow(logger: Logger) -> None:
    np = pytest.importorskip("numpy")
    image_module = pytest.importorskip("PIL.Image")
    pixels = np.zeros((4, 5, 3), dtype=np.uint8)
    pixels[1, 2] = (255, 0, 0)
    logger.log_artifacts(pixels, "from_array", "image")
    logger.log_artifacts(image_module.new("L", (3, 2), 7), "from_pillow", "image")
    assert np.array_equal(np.asarray(logger.load_artifacts("from_array")), pixels)
    assert logger.load_artifacts("from_pillow.png").size == (3, 2)
    assert files_under(os.path.join(logger.artifacts_dir, "image")) == ["from_array.png", "from_pillow.png"]


def test_a_figure_like_object_is_saved_with_its_own_savefig(logger: Logger) -> None:
    class Figure:
        def savefig(self, stream: Any, format: str, bbox_inches: str) -> None:
            stream.write(b"\x89PNG fake " + format.encode())

    path = logger.log_artifacts(Figure(), "plot", "image")
    assert Path(path).read_bytes() == b"\x89PNG fake png"


def test_json_artifact_refuses_an_object_json_cannot_hold(logger: Logger) -> None:
    with pytest.raises(ArtifactError, match="pickle"):
        logger.log_artifacts({"x": object()}, "bad", "json")
    assert files_under(logger.artifacts_dir) == []


@pytest.mark.parametrize(
    "module, artifact_type, package",
    [
        pytest.param("numpy", "numpy", "numpy", id="numpy"),
        pytest.param("torch", "torch", "torch", id="torch"),
        pytest.param("PIL.Image", "image", "pillow", id="pillow"),
    ],
)
def test_a_missing_optional_package_is_named_with_the_pip_command(
    logger: Logger, monkeypatch: pytest.MonkeyPatch, module: str, artifact_type: str, package: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDependencyError, match=f"pip install {package}") as caught:
        logger.log_artifacts([[1, 2]], "thing", artifact_type)
    assert caught.value.package == package
    assert files_under(logger.artifacts_dir) == []
    (Path(logger.artifacts_dir) / "x").write_bytes(b"")
    with pytest.raises(MissingDependencyError, match=f"pip install {package}"):
        load_artifact(os.path.join(logger.artifacts_dir, "x"), artifact_type)


def test_unknown_type_lists_the_known_ones(logger: Logger) -> None:
    with pytest.raises(ArtifactError, match="pickle.*register_artifact_type"):
        logger.log_artifacts(1, "x", "parquet")


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../escape", "a/../../b", "/etc/passwd", "..", "a/..", "a\\b", "", ".hidden", "a//b", "a/./b",
     "sub/.x"],
)
def test_names_leaving_the_run_or_hidden_are_refused_before_writing(logger: Logger, name: str) -> None:
    before = files_under(os.path.dirname(logger.log_dir))
    with pytest.raises(InvalidNameError) as caught:
        logger.log_artifacts({"x": 1}, name, "pickle")
    assert caught.value.name == name
    with pytest.raises(InvalidNameError):
        logger.log_checkpoint({"x": 1}, name)
    with pytest.raises(InvalidNameError):
        logger.load_artifacts(name, "pickle")
    assert files_under(os.path.dirname(logger.log_dir)) == before


# --- loading ----------------------------------------------------------------------------------


def test_type_inference_errors_say_what_to_do(logger: Logger) -> None:
    with pytest.raises(ArtifactError, match="no artifact 'missing'"):
        logger.load_artifacts("missing")
    logger.log_artifacts([1], "both", "pickle")
    logger.log_artifacts([1], "both", "json")
    with pytest.raises(ArtifactError, match="several types.*pass artifact_type"):
        logger.load_artifacts("both")
    assert logger.load_artifacts("both", "json") == [1]


def test_type_is_inferred_from_the_files_when_the_index_is_missing(logger: Logger) -> None:
    logger.log_artifacts([1, 2], "orphan", "json")
    os.remove(os.path.join(logger.artifacts_dir, ".keys", "artifacts.yaml"))
    fresh = Logger(logger.parent_log_dir, forced_log_id=logger.log_id, resume=True)
    assert fresh.load_artifacts("orphan") == [1, 2]


def test_mlxp_105_artifacts_without_suffix_and_its_index_shape_load(tmp_path: Path) -> None:
    run = tmp_path / "logs" / "1"
    (run / "artifacts" / "pickle" / "epoch_1").mkdir(parents=True)
    (run / "artifacts" / "pickle" / "last_ckpt").write_bytes(pickle.dumps({"epoch": 4}))
    (run / "artifacts" / "pickle" / "epoch_1" / "model").write_bytes(pickle.dumps("m"))
    (run / "artifacts" / ".keys").mkdir()
    (run / "artifacts" / ".keys" / "artifacts.yaml").write_text(
        "pickle:\n  '':\n    last_ckpt: ''\n  .epoch_1:\n    model: ''\n")
    logger = Logger(str(tmp_path / "logs"), forced_log_id=1, resume=True)
    assert logger.load_artifacts("last_ckpt") == {"epoch": 4}
    assert logger.load_artifacts("epoch_1/model") == "m"
    assert logger.load_checkpoint() == {"epoch": 4}
    assert load_artifact(str(run / "artifacts" / "pickle" / "last_ckpt"), "pickle") == {"epoch": 4}


def test_load_artifact_takes_a_path_with_or_without_suffix(logger: Logger) -> None:
    path = logger.log_artifacts({"a": 1}, "cfg", "json")
    assert load_artifact(path, "json") == {"a": 1}
    assert load_artifact(path[: -len(".json")], "json") == {"a": 1}
    with pytest.raises(ArtifactError, match="no json artifact"):
        load_artifact(path + "x", "json")


# --- user types -------------------------------------------------------------------------------


def test_registered_type_is_recorded_and_loads_in_another_process(
    logger: Logger, clean_registry: None
) -> None:
    register_artifact_type("text", save_text, load_text, suffix=".txt")
    register_artifact_type("text", save_text, load_text, suffix=".txt")  # same functions: fine
    path = logger.log_artifacts("hello", "greeting", "text")
    assert path.endswith(os.path.join("text", "greeting.txt"))
    assert logger.load_artifacts("greeting") == "hello"
    assert read_yaml(Path(logger.artifacts_dir) / ".keys" / "types.yaml") == {
        "text": {"save": "test_artifacts:save_text", "load": "test_artifacts:load_text",
                 "suffix": ".txt"}}
    reader = subprocess.run(
        [sys.executable, "-c",
         f"from mlxp.artifacts import load_artifact; print(load_artifact({path!r}, 'text'))"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(TESTS)}, timeout=60,
    )
    assert reader.stdout == "hello\n", reader.stderr


def test_logger_method_spelling_registers_too(logger: Logger, clean_registry: None) -> None:
    logger.register_artifact_type("text", save_text, load_text)
    logger.log_artifacts("x", "note", "text")
    assert logger.load_artifacts("note", "text") == "x"


def closure_maker() -> Any:
    suffix = ".bak"

    def save(obj: Any, path: str) -> None:
        save_text(obj, path + suffix)

    return save


@pytest.mark.parametrize(
    "save, problem",
    [
        pytest.param(closure_maker(), "uses variables of the function it is defined in (suffix)",
                     id="closure"),
        pytest.param(functools.partial(save_text), "not a Python function", id="partial"),
        pytest.param(42, "not callable", id="not-callable"),
    ],
)
def test_functions_no_process_can_rebuild_are_refused(
    clean_registry: None, save: Any, problem: str
) -> None:
    with pytest.raises(ArtifactError, match=re.escape(problem)):
        register_artifact_type("text", save, load_text)


def test_builtin_and_conflicting_registrations_are_refused(clean_registry: None) -> None:
    with pytest.raises(ArtifactError, match="built in"):
        register_artifact_type("pickle", save_text, load_text)
    register_artifact_type("text", save_text, load_text)
    with pytest.raises(ArtifactError, match="already registered"):
        register_artifact_type("text", save_elsewhere, load_text)
    with pytest.raises(ArtifactError, match="other functions or suffix"):
        register_artifact_type("text", save_text, load_text, suffix=".txt")
    with pytest.raises(InvalidNameError):
        register_artifact_type("../x", save_text, load_text)
    with pytest.raises(InvalidNameError, match="suffix"):
        register_artifact_type("other", save_text, load_text, suffix="txt/")


def test_a_save_function_writing_elsewhere_is_reported(logger: Logger, clean_registry: None) -> None:
    register_artifact_type("sloppy", save_elsewhere, load_text)
    with pytest.raises(ArtifactError, match="did not write the path it was given"):
        logger.log_artifacts("x", "note", "sloppy")
    assert not os.path.exists(os.path.join(logger.artifacts_dir, "sloppy", "note"))


# --- checkpoints ------------------------------------------------------------------------------


def test_checkpoint_goes_to_pickle_last_ckpt_and_none_before_the_first(logger: Logger) -> None:
    assert logger.load_checkpoint() is None
    path = logger.log_checkpoint({"epoch": 3})
    assert path == os.path.join(logger.artifacts_dir, "pickle", "last_ckpt.pkl")
    assert logger.load_checkpoint() == {"epoch": 3}
    with open(path, "rb") as stream:  # a plain pickle reader sees the object alone
        assert pickle.load(stream) == {"epoch": 3}
    logger.log_checkpoint("best", log_name="best_ckpt")
    assert logger.load_checkpoint("best_ckpt") == "best"
    assert logger.load_artifacts("last_ckpt") == {"epoch": 3}


def test_a_failing_save_leaves_the_previous_checkpoint_and_no_temp_file(logger: Logger) -> None:
    class Unpicklable:
        def __reduce__(self) -> Any:
            raise RuntimeError("cannot pickle")

    logger.log_checkpoint({"epoch": 1})
    with pytest.raises(RuntimeError):
        logger.log_checkpoint({"epoch": 2, "bad": Unpicklable()})
    assert logger.load_checkpoint() == {"epoch": 1}
    assert files_under(os.path.join(logger.artifacts_dir, "pickle")) == ["last_ckpt.pkl"]


def test_checkpoint_killed_while_writing_is_the_old_or_the_new_never_torn(tmp_path: Path) -> None:
    code = """
        import sys
        from mlxp.logger import Logger
        logger = Logger("logs", forced_log_id=1, resume=True)
        version = 0
        while True:
            payload = bytes([version % 256]) * (4_000_000 + 100_000 * (version % 7))
            logger.log_checkpoint({"version": version, "payload": payload})
            print(version, flush=True)
            version += 1
    """
    (tmp_path / "ckpt.py").write_text(textwrap.dedent(code))
    rng = random.Random(0)
    for _ in range(8):
        process = subprocess.Popen([sys.executable, "ckpt.py"], cwd=str(tmp_path),
                                   stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        written = [int(process.stdout.readline())]
        time.sleep(rng.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        rest, _ = process.communicate(timeout=30)
        written += [int(line) for line in rest.split()]
        resumed = Logger(str(tmp_path / "logs"), forced_log_id=1, resume=True)
        checkpoint = resumed.load_checkpoint()
        resumed.close()
        version = checkpoint["version"]
        assert version in (written[-1], written[-1] + 1)  # the last confirmed, or one in flight
        assert checkpoint["payload"] == bytes([version % 256]) * (4_000_000 + 100_000 * (version % 7))
    # each resume removed the temporary file the killed write left
    assert os.listdir(tmp_path / "logs" / "1" / "artifacts" / "pickle") == ["last_ckpt.pkl"]


@pytest.fixture(scope="module")
def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture(scope="module")
def live_pid() -> Any:
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                               stdin=subprocess.PIPE)
    yield process.pid
    process.communicate(b"")  # ends it: stdin closed


@pytest.mark.parametrize(
    ("file_name", "removed"),
    [
        pytest.param(".last_ckpt.pkl.{dead}.0a1b2c3d.tmp", True, id="dead-writer"),
        pytest.param(".last_ckpt.pkl.{live}.0a1b2c3d.tmp", False, id="live-writer"),
        pytest.param(".last_ckpt.pkl.{me}.0a1b2c3d.tmp", False, id="this-process"),
        pytest.param(".last_ckpt.pkl.0.0a1b2c3d.tmp", False, id="pid-0"),
        pytest.param(".last_ckpt.pkl.{dead}.0A1B2C3D.tmp", False, id="not-our-hex"),
        pytest.param(".last_ckpt.pkl.{dead}.0a1b2c.tmp", False, id="short-hex"),
        pytest.param("last_ckpt.pkl.{dead}.0a1b2c3d.tmp", False, id="not-hidden"),
        pytest.param(".last_ckpt.pkl.{dead}.0a1b2c3d.tmp.bak", False, id="other-suffix"),
        pytest.param("notes.tmp", False, id="user-file"),
        pytest.param("last_ckpt.pkl", False, id="the-checkpoint"),
    ],
)
def test_only_leftovers_of_dead_writers_are_removed_on_resume(
        tmp_path: Path, dead_pid: int, live_pid: int, file_name: str, removed: bool) -> None:
    Logger(str(tmp_path), forced_log_id=1).close()
    name = file_name.format(dead=dead_pid, live=live_pid, me=os.getpid())
    path = tmp_path / "1" / "artifacts" / "pickle" / name
    path.parent.mkdir(parents=True)
    path.write_bytes(b"partial checkpoint")
    Logger(str(tmp_path), forced_log_id=1, resume=True).close()
    assert path.exists() != removed


def test_the_next_checkpoint_removes_its_own_leftovers_only(tmp_path: Path, dead_pid: int) -> None:
    logger = Logger(str(tmp_path))
    pickle_dir = Path(logger.artifacts_dir) / "pickle"
    pickle_dir.mkdir()
    mine = pickle_dir / f".last_ckpt.pkl.{dead_pid}.0a1b2c3d.tmp"
    other = pickle_dir / f".best.pkl.{dead_pid}.0a1b2c3d.tmp"
    for leftover in (mine, other):
        leftover.write_bytes(b"partial")
    logger.log_checkpoint({"epoch": 0})
    assert sorted(os.listdir(pickle_dir)) == [other.name, "last_ckpt.pkl"]
