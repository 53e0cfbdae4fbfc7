"""A plain training script logged with mlxp.Logger: no decorator, no config file.

    python standalone.py                     # a new run: logs/1, logs/2, ...
    python standalone.py --id 7              # run 7; run it again after a crash to resume it
    python standalone.py --id 7 --crash-at 3 # pretend the machine died during epoch 3
"""

from __future__ import annotations

import argparse
import math
from typing import List, Optional

from mlxp.logger import Logger, terminate_on_signals


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Fit w to 3.0 by gradient descent, logged.")
    parser.add_argument("--logs", default="./logs", help="the parent log directory")
    parser.add_argument("--id", type=int, default=-1, help="a fixed run id, to resume it later")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--crash-at", type=int, default=-1, help="fail during this epoch")
    args = parser.parse_args(argv)

    # SIGTERM (a scheduler's stop) and Ctrl-C record FAILED, then exit with 143 / 130.
    with terminate_on_signals(), Logger(args.logs, args.id, resume=args.id >= 0) as logger:
        # None on a fresh run; on a resumed one, the state saved after the last whole epoch.
        # rewind_metrics drops lines logged after that checkpoint: those epochs run again.
        state = logger.load_checkpoint(rewind_metrics=True) or {"epoch": -1, "w": 0.0}
        for epoch in range(state["epoch"] + 1, args.epochs):
            if epoch == args.crash_at:
                raise RuntimeError(f"simulated crash during epoch {epoch}")
            gradient = 2 * (state["w"] - 3.0)
            state = {"epoch": epoch, "w": state["w"] - 0.25 * gradient}
            logger.log_metrics({"epoch": epoch, "loss": (state["w"] - 3.0) ** 2,
                                "log_loss": math.log((state["w"] - 3.0) ** 2)})
            logger.log_checkpoint(state)  # artifacts/pickle/last_ckpt.pkl, replaced atomically
        logger.log_artifacts({"w": state["w"], "epochs": args.epochs}, "result", "json")
        print(f"run {logger.log_id}: w = {state['w']:.4f} after {args.epochs} epochs")


if __name__ == "__main__":
    main()
