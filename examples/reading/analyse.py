"""Read a sweep back: filter, group, aggregate over seeds, and pick the best learning rate.

    python train.py optimizer.lr=0.001,0.01,0.1,1. model.num_units=32,128 seed=0,1,2
    python analyse.py [LOG_DIR]
"""

from __future__ import annotations

import os
import sys

from mlxp.reader import Reader


def mean(curves):
    """The mean curve of several runs (column ``fmean.train.loss`` once aggregated)."""
    return [sum(values) / len(values) for values in zip(*curves)]


def argmin(curves):
    """True for the row whose curve ends lowest: the best run of a group."""
    finals = [curve[-1] for curve in curves]
    return [final == min(finals) for final in finals]


def analyse(log_dir: str) -> None:
    reader = Reader(log_dir)
    print(f"{len(reader)} runs; searchable fields: {', '.join(reader.searchable)}")

    # 1. Filter: completed runs with a small enough learning rate.
    results = reader.filter("info.status == 'COMPLETE' & config.optimizer.lr <= 0.1")
    print(f"{len(results)} completed runs; they differ in {results.diff()}")

    # 2. Group by model size and learning rate; average the loss curves over seeds.
    groups = results.groupby(["config.model.num_units", "config.optimizer.lr"])
    curves = groups.aggregate((mean, "train.loss"))
    for (units, lr), group in curves.items():
        print(f"num_units={units} lr={lr}: final mean loss {group[0]['fmean.train.loss'][-1]:.3f}")

    # 3. Best learning rate for each model size.
    best = curves.filter((argmin, "fmean.train.loss"), bygroups="config.model.num_units")
    for (units, lr), group in best.items():
        print(f"best lr for num_units={units}: {lr} (final loss {group[0]['fmean.train.loss'][-1]:.3f})")


def main(argv: list) -> int:
    log_dir = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), "logs")
    analyse(log_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
