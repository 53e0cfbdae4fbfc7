"""``examples/reading/analyse.py`` runs, and docs/reading.md shows the code that runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EXAMPLE = os.path.join(ROOT, "examples", "reading", "analyse.py")
DOCS = os.path.join(ROOT, "docs", "reading.md")


TRAIN = os.path.join(ROOT, "examples", "reading", "train.py")
SWEEP = ["optimizer.lr=0.001,0.01,0.1,1.", "model.num_units=32,128", "seed=0,1,2"]


def run_sweep(log_dir: str) -> None:
    """The sweep of the example, made by the launcher; the lr=1 runs fail (exit code 1)."""
    completed = subprocess.run(
        [sys.executable, TRAIN, *SWEEP, f"mlxp.logger.parent_log_dir={log_dir}"],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr.splitlines()[-1].startswith("24 runs: 18 COMPLETE, 6 FAILED")


def run_example(log_dir: str) -> str:
    completed = subprocess.run(
        [sys.executable, EXAMPLE, log_dir], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    return completed.stdout


def test_example_finds_the_best_learning_rate_per_model_size(tmp_path) -> None:
    run_sweep(str(tmp_path / "logs"))
    output = run_example(str(tmp_path / "logs"))
    assert output.startswith("24 runs; searchable fields: config.model.num_units,")
    assert "18 completed runs; they differ in" in output
    assert "best lr for num_units=32: 0.1 (final loss 0.293)" in output
    assert "best lr for num_units=128: 0.01 (final loss 0.269)" in output
    assert os.path.exists(tmp_path / "logs" / ".mlxp_index.json")
    assert run_example(str(tmp_path / "logs")) == output  # from the saved index


def test_docs_show_the_example_code() -> None:
    with open(DOCS, encoding="utf-8") as stream:
        docs = stream.read()
    with open(EXAMPLE, encoding="utf-8") as stream:
        example = stream.read()
    section = docs.split("## A worked example", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks
    for block in blocks:
        for line in block.splitlines():
            if line.strip() and not line.lstrip().startswith(("#", "...")):
                assert line.strip() in example, f"docs line not in the example: {line!r}"
