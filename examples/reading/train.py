"""A toy training whose final loss depends on the learning rate, the model size and the seed.

    python train.py optimizer.lr=0.001,0.01,0.1,1. model.num_units=32,128 seed=0,1,2

runs the 24 points of the sweep that ``analyse.py`` reads back. A learning rate of 1 diverges:
those runs end FAILED, as real ones would.
"""

import math

import mlxp


@mlxp.launch(config_path="./configs")
def train(ctx: mlxp.Context) -> None:
    lr = ctx.config.optimizer.lr
    if lr >= 1.0:
        raise FloatingPointError(f"the loss diverged with lr={lr}")
    final = (math.log10(lr) + 1 + ctx.config.model.num_units / 100) ** 2 + 0.1 + ctx.config.seed / 100
    for epoch in range(ctx.config.num_epoch):
        ctx.logger.log_metrics({"epoch": epoch, "loss": final + 2.0 * 0.7**epoch})


if __name__ == "__main__":
    train()
