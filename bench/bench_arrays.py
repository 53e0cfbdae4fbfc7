"""mlxpsub on a 1,000-point sweep with a fake ``sbatch``: array jobs against one job per point.

Usage: python bench/bench_arrays.py [--points N] [--repeats R] [--dir DIR]
Each measurement is a whole ``mlxpsub`` process (start, config composition for every point,
run directories, job scripts, submission), median of R runs in fresh projects. The fake
sbatch is a two-line shell script that counts its calls. The target: arrays under 1 s and
at most one submit call per 1,000 points.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Tuple

from _common import PYTHON, sweep_project

def measure(workspace: Path, name: str, points: int, flags: List[str]) -> Tuple[float, int]:
    """Seconds of one ``mlxpsub FLAGS script.sh`` in a fresh project, and its sbatch calls.

    Earlier projects stay until the end, and the disk is synced first: a file system still
    writing back (or freeing) thousands of files makes every creation slower.
    """
    project = sweep_project(workspace, name, points)
    calls = workspace / "calls"
    calls.write_text("")
    env = {**os.environ, "PATH": f"{workspace / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    os.sync()
    start = time.perf_counter()
    subprocess.run([PYTHON, "-m", "mlxp.sub", *flags, "script.sh"], cwd=str(project), env=env,
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    assert len([run for run in os.listdir(project / "logs") if run.isdigit()]) == points
    return seconds, len(calls.read_text().splitlines())


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", help="where the projects go (default: the temp directory);"
                        " /dev/shm takes the disk out of the measurement")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        workspace = Path(scratch)
        (workspace / "bin").mkdir()
        sbatch = workspace / "bin" / "sbatch"
        sbatch.write_text(f'#!/bin/sh\necho >> {workspace / "calls"}\n'
                          'echo "Submitted batch job $$"\n')
        sbatch.chmod(0o755)
        print(f"{args.points} points, fake sbatch, median of {args.repeats}, in {scratch}")
        for label, flags in (("one job per point", []), ("array jobs (--array)", ["--array"])):
            samples = [measure(workspace, f"{label[:3]}{repeat}", args.points, flags)
                       for repeat in range(args.repeats)]
            seconds = statistics.median(sample[0] for sample in samples)
            print(f"{label:<24} {seconds:7.2f} s   {samples[0][1]:5d} sbatch calls")


if __name__ == "__main__":
    main()
