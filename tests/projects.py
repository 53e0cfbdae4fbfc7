"""Build small mlxp projects in a temporary directory and run them as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, Optional

from mlxp._yaml import load_yaml_file

REPO = Path(__file__).resolve().parent.parent
QUICKSTART = REPO / "examples" / "quickstart"

TASK_LOGGING_EPOCHS = """
import mlxp

@mlxp.launch(config_path="./configs")
def my_task(ctx: mlxp.Context) -> None:
    print(ctx.config)
    for i in range(ctx.config.num_epoch):
        ctx.logger.log_metrics({"epoch": i})

if __name__ == "__main__":
    my_task()
"""


def make_project(
    root: Path, main: str = TASK_LOGGING_EPOCHS, config: Optional[str] = "num_epoch: 2\n",
    files: Optional[Dict[str, str]] = None,
) -> Path:
    """A project directory with ``main.py`` and (unless ``config`` is None) ``configs/config.yaml``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.py").write_text(textwrap.dedent(main))
    if config is not None:
        (root / "configs").mkdir(exist_ok=True)
        (root / "configs" / "config.yaml").write_text(textwrap.dedent(config))
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def run_main(project: Path, *args: str, script: str = "main.py",
             env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None,
             timeout: float = 60) -> subprocess.CompletedProcess:
    """``python main.py ARGS`` in ``project`` (or ``cwd``), capturing its output."""
    return subprocess.run(
        [sys.executable, str(project / script), *args],
        cwd=str(cwd or project), capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def read_yaml(path: Path):
    return load_yaml_file(str(path))


def metrics_lines(run_dir: Path, log_name: str = "train") -> list:
    import json

    return [json.loads(line) for line in (run_dir / "metrics" / f"{log_name}.json").read_text().splitlines()]


def installed_command(name: str) -> str:
    """The console script ``name`` of the environment running the tests (its ``bin/``),
    which need not be on ``PATH`` (CI calls ``.venv/bin/python`` directly)."""
    import shutil

    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"the {name} command is not installed: pip install -e ."
    return found


def timeless(stderr: str) -> list:
    """A sweep's progress lines with every duration (``0.4s``, ``2m05s``, ``1h02m``) as ``T``."""
    import re

    return [re.sub(r"\b(\d+\.\ds|\d+m\d\ds|\d+h\d\dm)\b", "T", line) for line in stderr.splitlines()]
