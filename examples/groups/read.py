"""Read the runs of train.py back, grouped by the options their config groups took.

    python read.py [LOG_DIR]
"""

from __future__ import annotations

import os
import sys

from mlxp.reader import Reader


def main(argv: list) -> int:
    log_dir = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), "logs")
    runs = Reader(log_dir).filter("info.status == 'COMPLETE'")
    by_choice = runs.groupby(["info.choices.model", "info.choices.dataset"])
    for (model, dataset), group in sorted(by_choice.items()):
        losses = [row["train.loss"][-1] for row in group]
        optimizers = sorted({row["config.optimizer.name"] for row in group})
        print(f"model={model} dataset={dataset} optimizer={','.join(optimizers)}:"
              f" {len(losses)} runs, best final loss {min(losses):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
