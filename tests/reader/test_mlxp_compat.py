"""The Reader, DataFrame and artifacts as MLXP 1.0.5 code uses them (issue 14, items 3 and 4)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

import mlxp
from mlxp import Logger, Reader
from mlxp.artifacts import _types
from mlxp.errors import ArtifactError, ReaderError
from tests.projects import REPO


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_types, "_registry", dict(_types.BUILTIN_TYPES))


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    parent = tmp_path / "logs"
    for lr in (0.1, 1.0):
        logger = Logger(str(parent))
        logger.write_metadata("config.yaml", f"lr: {lr}\n")
        logger.log_metrics({"loss": lr})
        logger.log_checkpoint({"lr": lr})
        logger.log_artifacts([lr], "epoch_1/model", "pickle")
        logger.finish()
    return parent


# --- item 3: per-directory artifact columns ---------------------------------------------------


def test_artifact_columns_are_one_per_type_and_directory(runs: Path) -> None:
    results = Reader(str(runs)).filter()
    top = results[0]["artifact.pickle."]
    assert sorted(top) == ["last_ckpt.pkl"] and top["last_ckpt.pkl"].load() == {"lr": 0.1}
    assert results[1]["artifact.pickle..epoch_1"]["model.pkl"].load() == [1.0]
    keys = results.keys()
    assert {"artifact.pickle.", "artifact.pickle..epoch_1"} <= set(keys)
    assert not [key for key in keys if key.endswith(".pkl")]
    assert results.diff() == ["config.lr"]


def test_per_file_names_keep_working_as_lookups(runs: Path) -> None:
    row = Reader(str(runs)).filter()[0]
    assert "artifact.pickle.epoch_1/model.pkl" in row
    assert row["artifact.pickle.epoch_1/model.pkl"].load() == [0.1]
    assert "artifact.pickle.epoch_1/model.pkl" not in list(row)


def test_pandas_columns_are_the_per_directory_ones(runs: Path) -> None:
    pytest.importorskip("pandas")
    frame = Reader(str(runs)).filter().toPandas()
    assert "artifact.pickle..epoch_1" in frame.columns
    assert list(frame["artifact.pickle."]) == ["ARTIFACT", "ARTIFACT"]


# --- item 3: fields and searchable as MLXP's table --------------------------------------------


def test_fields_work_as_mlxp_tests_use_them_without_pandas(runs: Path) -> None:
    reader = Reader(str(runs))
    assert not reader.fields.empty and not reader.searchable.empty
    assert set(reader.searchable.index) <= set(reader.fields.index)
    index = reader.searchable.index
    assert all(index.str.startswith("info") | index.str.startswith("config"))
    assert not all(reader.fields.index.str.startswith("config"))
    assert set(reader.filter().keys()) == set(reader.fields.index)
    assert reader.fields["config.lr"] == "float"  # still a dict
    shown = repr(reader.fields)
    assert "config.lr" in shown and "float" in shown and "fields]" in shown


def test_fields_convert_to_mlxps_pandas_table(runs: Path) -> None:
    pytest.importorskip("pandas")
    table = Reader(str(runs)).searchable.toPandas()
    assert table.index.name == "Fields" and list(table.columns) == ["Type"]
    assert table.loc["config.lr", "Type"] == "float"


def test_an_empty_directory_has_empty_fields(tmp_path: Path) -> None:
    assert Reader(str(tmp_path)).fields.empty


# --- item 3: MLXP's signatures ----------------------------------------------------------------


def test_reader_takes_mlxps_positional_signature(runs: Path, tmp_path: Path) -> None:
    class OnlyBigLr:  # MLXP parsers return TinyDB queries: callables over a run's fields
        def parse(self, query_string: str) -> Callable[[Any], bool]:
            assert query_string == "big"
            return lambda fields: fields["config.lr"] > 0.5

    reader = Reader(str(runs), str(tmp_path / "db"), OnlyBigLr(), True)
    assert [row["config.lr"] for row in reader.filter("big")] == [1.0]
    assert (tmp_path / "db" / ".mlxp_index.json").is_file()
    with pytest.raises(ReaderError, match="parse"):
        Reader(str(runs), None, object())


def test_datadict_update_adds_columns_without_touching_other_rows(runs: Path) -> None:
    reader = Reader(str(runs))
    row = reader.filter()[0]
    row.update({"score": 3, "config.lr": 5.0})
    assert row["score"] == 3 and row["config.lr"] == 5.0
    assert reader.filter()[0]["config.lr"] == 0.1


def test_mlxp_exports_dataframe() -> None:
    assert mlxp.DataFrame is mlxp.reader.DataFrame and "DataFrame" in mlxp.__all__


def test_load_artifacts_and_checkpoint_take_mlxps_root(runs: Path, tmp_path: Path) -> None:
    other = runs / "2"
    logger = Logger(str(tmp_path / "other"))
    assert logger.load_artifacts("epoch_1/model", root=str(other)) == [1.0]
    assert logger.load_artifacts("epoch_1/model.pkl", "pickle", str(other)) == [1.0]
    pickles = str(other / "artifacts" / "pickle")
    assert logger.load_checkpoint("last_ckpt", root=pickles) == {"lr": 1.0}
    assert logger.load_checkpoint("last_ckpt.pkl", pickles) == {"lr": 1.0}
    assert logger.load_checkpoint("missing", root=pickles) is None
    assert logger.load_checkpoint() is None  # a fresh run: None, not an error


# --- item 4: artifact types stored as code ----------------------------------------------------

SCRIPT_TYPE = """
import sys
from mlxp import Logger

def save_text(obj, path):  # defined in __main__: no other process can import it
    with open(path, "w") as stream:
        stream.write(obj)

def load_text(path):
    with open(path) as stream:
        return "loaded:" + stream.read()

def main():
    def save_upper(obj, path):  # defined inside a function, as MLXP's docs do
        with open(path, "w") as stream:
            stream.write(obj.upper())
    logger = Logger(sys.argv[1])
    logger.register_artifact_type("text", save_text, load_text)
    logger.register_artifact_type("upper", save_upper, load_text)
    logger.log_artifacts("hi", "note", "text")
    logger.log_artifacts("yo", "shout", "upper")
    logger.finish()

main()
"""

READ = """
import sys
from mlxp import Reader
row = Reader(sys.argv[1], trust_stored_code=sys.argv[2] == "trust").filter()[0]
print(row["artifact.text."]["note"].load(), row["artifact.upper."]["shout"].load())
"""


def run_python(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    script = cwd / "script.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=120, cwd=str(cwd),
                          env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.fixture
def stored_type_run(tmp_path: Path) -> Path:
    done = run_python(SCRIPT_TYPE, str(tmp_path / "logs"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path / "logs"


def test_types_from_main_and_local_functions_load_in_another_process_when_trusted(
    stored_type_run: Path, tmp_path: Path
) -> None:
    done = run_python(READ, str(stored_type_run), "trust", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "loaded:hi loaded:YO\n"


def test_stored_code_does_not_run_without_the_trust_switch(
    stored_type_run: Path, tmp_path: Path
) -> None:
    done = run_python(READ, str(stored_type_run), "no", cwd=tmp_path)
    assert done.returncode != 0
    assert "ArtifactError" in done.stderr
    assert "trust_stored_code=True" in done.stderr and "register_artifact_type('text'" in done.stderr


def test_code_stored_by_another_python_version_gives_a_clear_error(
    stored_type_run: Path, clean_registry: None
) -> None:
    types_file = stored_type_run / "1" / "artifacts" / ".keys" / "types.yaml"
    types_file.write_text(types_file.read_text().replace("cpython-", "cpython-0"))
    row = Reader(str(stored_type_run), trust_stored_code=True).filter()[0]
    with pytest.raises(ArtifactError, match="does not carry across Python versions"):
        row["artifact.text."]["note"].load()


def test_unreadable_marshal_data_gives_a_clear_error(
    stored_type_run: Path, clean_registry: None
) -> None:
    custom = stored_type_run / "1" / "artifacts" / ".keys" / "custom_types.yaml"
    custom.write_text("text:\n  load: !!binary |\n    AAAA\n  save: !!binary |\n    AAAA\n")
    row = Reader(str(stored_type_run), trust_stored_code=True).filter()[0]
    with pytest.raises(ArtifactError, match="another Python version"):
        row["artifact.text."]["note"].load()


def test_registering_the_same_local_functions_again_is_harmless(clean_registry: None) -> None:
    def register() -> None:
        def save(obj: Any, path: str) -> None:
            Path(path).write_text(obj)

        def load(path: str) -> Any:
            return Path(path).read_text()

        mlxp.register_artifact_type("local", save, load)

    register()
    register()  # new function objects with the same code: MLXP's main() run twice
    assert "local" in _types.registered_types()
