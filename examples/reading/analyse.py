"""Read a sweep back: filter, group, aggregate over seeds, and pick the best learning rate.

    python analyse.py [LOG_DIR]

The runs are written here with plain file writes, in the layout the launcher uses, so that the
example runs on its own. (It will switch to a sweep made with ``@mlxp.launch``:
``python main.py optimizer.lr=0.001,0.01,0.1,1. model.num_units=32,128 seed=0,1,2``.)
"""

from __future__ import annotations

import json
import math
import os
import sys

import yaml

from mlxp.reader import Reader

LEARNING_RATES = [0.001, 0.01, 0.1, 1.0]
NUM_UNITS = [32, 128]
SEEDS = [0, 1, 2]
NUM_EPOCH = 10


def write_sweep(log_dir: str) -> None:
    """24 runs of a toy training: the best learning rate depends on the model size."""
    log_id = 0
    for lr in LEARNING_RATES:
        for units in NUM_UNITS:
            for seed in SEEDS:
                log_id += 1
                run_dir = os.path.join(log_dir, str(log_id))
                os.makedirs(os.path.join(run_dir, "metadata"))
                os.makedirs(os.path.join(run_dir, "metrics", ".keys"))
                config = {"seed": seed, "num_epoch": NUM_EPOCH,
                          "model": {"num_units": units}, "optimizer": {"lr": lr}}
                status = "FAILED" if lr == 1.0 else "COMPLETE"  # too large a step diverges
                info = {"status": status, "logger": {"log_id": log_id, "log_dir": run_dir}}
                for name, content in (("config.yaml", config), ("info.yaml", info)):
                    with open(os.path.join(run_dir, "metadata", name), "w") as stream:
                        yaml.safe_dump(content, stream, sort_keys=False)
                final = (math.log10(lr) + 1 + units / 100) ** 2 + 0.1 + seed / 100
                with open(os.path.join(run_dir, "metrics", "train.json"), "w") as stream:
                    for epoch in range(NUM_EPOCH):
                        loss = final + 2.0 * 0.7**epoch
                        stream.write(json.dumps({"epoch": epoch, "loss": loss}) + "\n")
                with open(os.path.join(run_dir, "metrics", ".keys", "metrics.yaml"), "w") as stream:
                    yaml.safe_dump({"train": ["epoch", "loss"]}, stream)


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
    if not os.path.exists(log_dir):
        write_sweep(log_dir)
    analyse(log_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
