"""Expanding ``a=1,...,100 b=1,...,100`` (10,000 points) against plain Python, as ratios.

Usage: python bench/bench_sweep.py [--repeats N]
Every figure is the median of N runs of iterating over all the points, in one process, after
import. The floor is what a launcher cannot do with less: split each argument on '=' and ',',
take ``itertools.product`` of the values and join each point into ``key=value`` strings.
Hydra's basic sweeper (inside MLXP 1.0.5) took 7.8 ms for the same sweep on this kind of machine.
"""

from __future__ import annotations

import argparse
import itertools
from typing import List, Optional

from _common import median_of, report

from mlxp.overrides import parse_overrides
from mlxp.sweep import expand_sweep, format_point

ARGUMENTS = [f"{key}=" + ",".join(str(i) for i in range(1, 101)) for key in ("a", "b")]
POINTS = 10_000


def naive_floor() -> int:
    """Split on '=' and ',', product, one list of ``key=value`` strings per point."""
    pairs = [argument.split("=", 1) for argument in ARGUMENTS]
    keys = [key for key, _ in pairs]
    count = 0
    for values in itertools.product(*(text.split(",") for _, text in pairs)):
        [f"{key}={value}" for key, value in zip(keys, values)]
        count += 1
    return count


def bare_product() -> int:
    """Split and product only: no per-point work at all."""
    count = 0
    for _ in itertools.product(*(a.split("=", 1)[1].split(",") for a in ARGUMENTS)):
        count += 1
    return count


def parse_and_expand() -> int:
    count = 0
    for _ in expand_sweep(parse_overrides(ARGUMENTS)):
        count += 1
    return count


def parse_expand_and_format() -> int:
    count = 0
    for point in expand_sweep(parse_overrides(ARGUMENTS)):
        format_point(point)
        count += 1
    return count


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=31)
    args = parser.parse_args(argv)
    overrides = parse_overrides(ARGUMENTS)

    def expand_only() -> int:
        count = 0
        for _ in expand_sweep(overrides):
            count += 1
        return count

    cases = [
        ("split + itertools.product + join (floor)", naive_floor),
        ("split + itertools.product, nothing else", bare_product),
        ("mlxp: expand only (already parsed)", expand_only),
        ("mlxp: parse + expand", parse_and_expand),
        ("mlxp: parse + expand + format_point", parse_expand_and_format),
    ]
    for _, function in cases:
        assert function() == POINTS  # also warms up
    floor = median_of(naive_floor, args.repeats)
    print(f"{POINTS:,} points, median of {args.repeats} runs")
    for label, function in cases:
        seconds = floor if function is naive_floor else median_of(function, args.repeats)
        report(label, seconds, floor)
    print("anchor: Hydra's basic sweeper 7.8 ms (measured separately); target <= 10 ms")


if __name__ == "__main__":
    main()
