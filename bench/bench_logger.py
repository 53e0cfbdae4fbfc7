"""``log_metrics({'epoch', 'loss'})`` calls per second: ours, the floor, and the original MLXP.

Usage: python bench/bench_logger.py [-n 100000] [--repeats 5]

The floor is plain Python doing the same work: ``json.dumps`` + ``write`` + ``flush`` on a file
kept open. The original MLXP 1.0.5 runs in its own venv (bench/setup_original.sh), in a
subprocess, timed by the same loop. Each figure is the median of ``--repeats`` runs, floor and
ours interleaved so that the shared machine's noise hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import textwrap
import time
from typing import Callable, List, Optional

from _common import json_lines_floor_rate, original_python

from mlxp.logger import Logger

ORIGINAL_LOOP = """
import sys, tempfile, time
from mlxp.logger import DefaultLogger
n = int(sys.argv[1])
logger = DefaultLogger(tempfile.mkdtemp(), -1)
start = time.perf_counter()
for i in range(n):
    logger.log_metrics({"epoch": i, "loss": 1.0 / (i + 1)}, log_name="train")
print(n / (time.perf_counter() - start))
"""




def ours_rate(n: int, directory: str) -> float:
    """Calls/s of ``Logger.log_metrics`` in a fresh run directory."""
    logger = Logger(directory)
    start = time.perf_counter()
    for i in range(n):
        logger.log_metrics({"epoch": i, "loss": 1.0 / (i + 1)})
    rate = n / (time.perf_counter() - start)
    logger.close()
    return rate


def original_rate(n: int) -> Optional[float]:
    """Calls/s of MLXP 1.0.5's ``log_metrics`` in its venv, or None without the venv."""
    python = original_python()
    if python is None:
        return None
    # -I and a neutral cwd: the venv's mlxp must not be shadowed by this checkout's.
    output = subprocess.run(
        [python, "-I", "-c", textwrap.dedent(ORIGINAL_LOOP), str(n)],
        cwd=tempfile.gettempdir(), capture_output=True, text=True, check=True,
    ).stdout
    return float(output)


def median_rate(measure: Callable[[], Optional[float]], repeats: int) -> Optional[float]:
    samples: List[float] = []
    for _ in range(repeats):
        rate = measure()
        if rate is None:
            return None
        samples.append(rate)
    return statistics.median(samples)


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100_000, help="calls per measurement")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        floors, ours = [], []
        for _ in range(args.repeats):
            floors.append(json_lines_floor_rate(args.n, directory))
            ours.append(ours_rate(args.n, directory))
        floor, mine = statistics.median(floors), statistics.median(ours)
    original = median_rate(lambda: original_rate(args.n), max(1, args.repeats // 2))
    print(f"log_metrics, N={args.n:,}, median of {args.repeats}")
    print(f"{'floor (dumps+write+flush)':<30} {floor:>10,.0f} calls/s")
    met = mine >= 150_000 and mine >= 0.65 * floor
    print(f"{'mlxp.Logger':<30} {mine:>10,.0f} calls/s   {mine / floor:5.2f}x floor"
          f"   target >= 150,000 and >= 0.65x: {'met' if met else 'MISSED'}")
    if original is not None:
        print(f"{'MLXP 1.0.5 DefaultLogger':<30} {original:>10,.0f} calls/s   "
              f"{original / floor:5.2f}x floor   (ours is {mine / original:.1f}x faster)")


if __name__ == "__main__":
    main()
