"""mlxpsub on a 1,000-point sweep with a fake ``sbatch``, against one fork+exec per job.

Usage: python bench/bench_mlxpsub.py [--points N] [--original-points M]
The fake sbatch is a two-line shell script. The floor runs it N times from Python, which
is the least any submitter that calls sbatch once per job must spend. The original MLXP
1.0.5 (separate venv, bench/setup_original.sh) is run on M points (it needs ~0.1 s per job)
and its time is scaled to N for the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

from _common import PYTHON, original_python, report, sweep_project

FAKE_SBATCH = '#!/bin/sh\necho "Submitted batch job $$"\n'
def timed(argv: list, cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=str(cwd), env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--original-points", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        workspace = Path(scratch)
        bin_dir = workspace / "bin"
        bin_dir.mkdir()
        (bin_dir / "sbatch").write_text(FAKE_SBATCH)
        (bin_dir / "sbatch").chmod(0o755)
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        start = time.perf_counter()
        for _ in range(args.points):
            subprocess.run([str(bin_dir / "sbatch"), "script.sh"], stdout=subprocess.DEVNULL,
                           check=True)
        floor = time.perf_counter() - start
        ours_dir = sweep_project(workspace, "ours", args.points)
        ours = timed([PYTHON, "-m", "mlxp.sub", "script.sh"], ours_dir, env)
        assert len(os.listdir(ours_dir / "logs")) == args.points
        print(f"{args.points} points, fake sbatch")
        report(f"{args.points} x fork+exec sbatch (floor)", floor, floor, unit="s")
        report("mlxp mlxpsub", ours, floor, unit="s")
        original = original_python()
        if original:
            theirs_dir = sweep_project(workspace, "original", args.original_points)
            venv_bin = Path(original).parent
            # its mlxpsub runs `python main.py` through bash: its venv must come first on PATH
            theirs_env = {**env, "PATH": f"{venv_bin}{os.pathsep}{env['PATH']}"}
            theirs = timed([str(venv_bin / "mlxpsub"), "script.sh"], theirs_dir, theirs_env)
            scaled = theirs * args.points / args.original_points
            report(f"original MLXP mlxpsub ({args.original_points} pts, scaled)", scaled, floor,
                   unit="s")
        shutil.rmtree(ours_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
