"""Shared helpers of the benchmark scripts: timing whole processes, and the original MLXP's venv.

The original MLXP (PyPI mlxp==1.0.5) lives only in a separate virtual environment, made by
``bench/setup_original.sh``; it is never installed into the project's environment.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence

ORIGINAL_VENV = Path(os.environ.get("MLXP_ORIGINAL_VENV",
                                    Path.home() / ".cache" / "mlxp-bench" / "venv-mlxp105"))
BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent


def bytecode_env() -> dict:
    """The environment for timed processes: bytecode caches on, as for an installed package.

    With ``PYTHONDONTWRITEBYTECODE`` set (as on some CI images), every edited module would be
    compiled again on each import, and that would be measured instead of the import.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm_bytecode(python: str, module: str) -> None:
    """Import ``module`` once so that its ``.pyc`` files exist before anything is timed."""
    subprocess.run([python, "-c", f"import {module}"], env=bytecode_env(), check=True)


def original_python() -> Optional[str]:
    """The interpreter of the original MLXP's venv, or None (with a note) if it is missing."""
    python = ORIGINAL_VENV / "bin" / "python"
    if python.exists():
        return str(python)
    print(f"(original MLXP venv not found at {ORIGINAL_VENV}; run bench/setup_original.sh)")
    return None


def time_process(argv: Sequence[str], cwd: Optional[str] = None, repeats: int = 15,
                 prepare: Optional[Callable[[], None]] = None) -> float:
    """Median wall time in seconds of running ``argv`` to completion (output discarded)."""
    samples: List[float] = []
    for _ in range(repeats):
        if prepare:
            prepare()
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=bytecode_env())
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def median_of(function: Callable[[], object], repeats: int = 7) -> float:
    """Median wall time in seconds of calling ``function``."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def report(label: str, seconds: float, floor: float, unit: str = "ms") -> None:
    """One aligned line: the time and its ratio to the floor."""
    scale = 1000 if unit == "ms" else 1
    print(f"{label:<44} {seconds * scale:10.1f} {unit}   {seconds / floor:6.2f}x floor")


PYTHON = sys.executable


SWEEP_TASK = '''
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    ctx.logger.log_metrics({"seed": ctx.config.seed}, log_name="train")

if __name__ == "__main__":
    task()
'''


def sweep_project(workspace: Path, name: str, points: int) -> Path:
    """A project whose ``script.sh`` submits a ``points``-point sweep to Slurm with mlxpsub."""
    project = workspace / name
    (project / "configs").mkdir(parents=True)
    (project / "configs" / "config.yaml").write_text("seed: 0\n")
    (project / "main.py").write_text(SWEEP_TASK)
    (project / "script.sh").write_text(
        "#!/bin/bash\n#SBATCH --time=10:00\n"
        f"python main.py seed={','.join(str(i) for i in range(points))}\n")
    return project


def json_lines_floor_rate(n: int, directory: str) -> float:
    """Calls/s of the floor of metric logging: dumps, write, flush on an open text file."""
    import json

    with open(os.path.join(directory, f"floor-{time.monotonic_ns()}.json"), "a") as stream:
        start = time.perf_counter()
        for i in range(n):
            stream.write(json.dumps({"epoch": i, "loss": 1.0 / (i + 1)}) + "\n")
            stream.flush()
        return n / (time.perf_counter() - start)
