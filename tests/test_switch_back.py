"""Switching back: runs written by mlxp are read by the original MLXP 1.0.5's own Reader.

MLXP 1.0.5 lives in a separate, test-only venv (it brings Hydra): ``.ci/run`` makes it from
PyPI with the pinned versions of ``.ci/mlxp105-constraints.txt`` and points
``MLXP_ORIGINAL_VENV`` at it. Without that venv the test skips, saying how to make it; with
``MLXP_REQUIRE_ORIGINAL=1`` (set by CI) it fails instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.original import original_env, original_python
from tests.projects import make_project, run_main

# MLXP's documented pattern: the artifact type's functions are defined inside the task.
TASK = """
import mlxp

@mlxp.launch(config_path="./configs")
def train(ctx: mlxp.Context) -> None:
    def save_text(obj, path):
        with open(path, "w") as stream:
            stream.write(obj)

    def load_text(path):
        with open(path) as stream:
            return stream.read().upper()

    ctx.logger.register_artifact_type("text", save_text, load_text)
    for epoch in range(3):
        ctx.logger.log_metrics({"epoch": epoch, "loss": ctx.config.lr / (epoch + 1)})
    ctx.logger.log_metrics({"acc": 0.5}, log_name="test")
    ctx.logger.log_checkpoint({"epoch": 2, "lr": ctx.config.lr})
    ctx.logger.log_artifacts([1, 2, 3], "epoch_1/model", "pickle")
    ctx.logger.log_artifacts("hello", "notes/greeting.txt", "text")
    ctx.logger.log_artifacts({"lr": ctx.config.lr}, "params", "json")

if __name__ == "__main__":
    train()
"""

# Run by MLXP 1.0.5's python: its Reader and Logger read our runs; the last line is JSON.
READ_WITH_MLXP = """
import json, sys
import mlxp
from mlxp.logger import DefaultLogger

reader = mlxp.Reader(sys.argv[1], dst_dir=sys.argv[2])
runs = reader.filter("config.lr > 0.5")
first = reader.filter()[0]
other_logger = DefaultLogger(sys.argv[2], forced_log_id=99)
out = {
    "count": len(reader),
    "fields": sorted(reader.fields.index),
    "searchable": sorted(reader.searchable.index),
    "queried_lr": [row["config.lr"] for row in runs],
    "status": first["info.status"],
    "loss": first["train.loss"],
    "acc": first["test.acc"],
    "checkpoint": first["artifact.pickle."]["last_ckpt.pkl"].load(),
    "model": first["artifact.pickle..epoch_1"]["model.pkl"].load(),
    "text": first["artifact.text..notes"]["greeting.txt"].load(),
    "params": first["artifact.json."]["params.json"].load(),
    "pandas_columns": sorted(reader.filter(result_format="pandas").columns),
    "load_artifacts": other_logger.load_artifacts("epoch_1/model.pkl", root=first.parent_dir),
}
print(json.dumps(out))
"""


def read_with_mlxp105(python: str, logs: Path, scratch: Path) -> Dict[str, Any]:
    script = scratch / "read_with_mlxp.py"
    script.write_text(READ_WITH_MLXP)
    done = subprocess.run([python, str(script), str(logs), str(scratch)], capture_output=True,
                          text=True, timeout=300, cwd=str(scratch), env=original_env())
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_mlxp_105_reads_runs_written_by_mlxp(tmp_path: Path) -> None:
    python = original_python()
    project = make_project(tmp_path / "project", TASK, config="lr: 0.1\n")
    for lr in ("0.1", "1.0"):
        done = run_main(project, f"lr={lr}")
        assert done.returncode == 0, done.stderr
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    out = read_with_mlxp105(python, project / "logs", scratch)
    assert out["count"] == 2
    assert out["queried_lr"] == [1.0]
    assert out["status"] == "COMPLETE"
    assert out["loss"] == [0.1, 0.05, 0.1 / 3] and out["acc"] == [0.5]
    assert out["checkpoint"] == {"epoch": 2, "lr": 0.1}
    assert out["model"] == [1, 2, 3] and out["load_artifacts"] == [1, 2, 3]
    assert out["text"] == "HELLO"  # the task's own load function, run by MLXP 1.0.5
    assert out["params"] == {"lr": 0.1}
    lazy = {"train.epoch", "train.loss", "test.acc", "artifact.pickle.",
            "artifact.pickle..epoch_1", "artifact.text..notes", "artifact.json."}
    assert lazy <= set(out["fields"]) and lazy <= set(out["pandas_columns"])
    assert not [name for name in out["fields"] if name.startswith("metrics.")]
    assert "config.lr" in out["searchable"]


# MLXP 1.0.5's Logger writes a run the MLXP way: a type registered inside a function, stored
# as marshalled code, and a checkpoint under its default name 'checkpoint'.
WRITE_WITH_MLXP = """
import sys
from omegaconf import OmegaConf
from mlxp.logger import DefaultLogger

def main():
    def save_text(obj, path):
        with open(path, "w") as stream:
            stream.write(obj)

    def load_text(path):
        with open(path) as stream:
            return stream.read() + "!"

    logger = DefaultLogger(sys.argv[1], forced_log_id=1)
    logger._log_configs(OmegaConf.create({"lr": 0.5}), "config")
    info = {"status": "COMPLETE", "logger": logger.get_info()}
    logger._log_configs(OmegaConf.create(info), "info")
    logger.register_artifact_type("text", save_text, load_text)
    logger.log_artifacts("hey", "note", "text")
    logger.log_checkpoint({"epoch": 7})
    logger.log_metrics({"loss": 0.5}, "train")

main()
"""


def test_mlxp_reads_what_mlxp_105_wrote_with_its_stored_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlxp import Logger, Reader
    from mlxp.artifacts import _types
    from mlxp.errors import ArtifactError

    python = original_python()
    monkeypatch.setattr(_types, "_registry", dict(_types.BUILTIN_TYPES))
    script = tmp_path / "write_with_mlxp.py"
    script.write_text(WRITE_WITH_MLXP)
    logs = tmp_path / "logs"
    done = subprocess.run([python, str(script), str(logs)], capture_output=True, text=True,
                          timeout=300, cwd=str(tmp_path), env=original_env())
    assert done.returncode == 0, done.stderr[-3000:]
    row = Reader(str(logs), trust_stored_code=True).filter()[0]
    assert row["train.loss"] == [0.5]
    assert row["artifact.text."]["note"].load() == "hey!"
    assert row["artifact.pickle."]["checkpoint"].load() == {"epoch": 7}
    with pytest.raises(ArtifactError, match="trust_stored_code=True"):
        Reader(str(logs)).filter()[0]["artifact.text."]["note"].load()
    resumed = Logger(str(logs), forced_log_id=1, resume=True)
    assert resumed.load_checkpoint("checkpoint") == {"epoch": 7}
    assert resumed.load_artifacts("note", trust_stored_code=True) == "hey!"
    resumed.finish()
