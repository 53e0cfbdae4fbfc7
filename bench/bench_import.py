"""``import mlxp`` against its floor ``import yaml`` (and the original MLXP), as ratios.

Usage: python bench/bench_import.py [--repeats N]
Reads ``python -X importtime``'s cumulative time of the top-level package, median of N runs.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
from typing import Optional

from _common import PYTHON, bytecode_env, original_python, warm_bytecode


def cumulative_import_us(python: str, module: str, repeats: int) -> float:
    """Median cumulative import time of ``module`` in microseconds."""
    warm_bytecode(python, module)
    samples = []
    for _ in range(repeats):
        stderr = subprocess.run([python, "-X", "importtime", "-c", f"import {module}"],
                                capture_output=True, text=True, check=True,
                                env=bytecode_env()).stderr
        match = re.search(rf"^import time:\s+\d+ \|\s+(\d+) \| {re.escape(module)}$", stderr, re.M)
        assert match, stderr[-500:]
        samples.append(float(match.group(1)))
    return statistics.median(samples)


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args(argv)
    floor = cumulative_import_us(PYTHON, "yaml", args.repeats)
    ours = cumulative_import_us(PYTHON, "mlxp", args.repeats)
    print(f"import yaml (floor)        {floor / 1000:8.1f} ms")
    print(f"import mlxp                {ours / 1000:8.1f} ms   {ours / floor:5.2f}x floor")
    original = original_python()
    if original:
        theirs = cumulative_import_us(original, "mlxp", max(5, args.repeats // 3))
        print(f"import mlxp (MLXP 1.0.5)   {theirs / 1000:8.1f} ms   {theirs / floor:5.2f}x floor")


if __name__ == "__main__":
    main()
