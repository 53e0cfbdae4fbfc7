"""A toy training configured by three config groups: model, optimizer and dataset.

    python train.py                                  # mlp + sgd + blobs, the defaults
    python train.py model=linear optimizer.lr=0.5    # another model, another learning rate
    python train.py model=mlp,linear dataset=blobs,moons seed=0,1   # a sweep: 8 runs
    python train.py +experiment=hard                 # a group config that overrides others
    python train.py --info defaults                  # which file supplied which options
    mlxpsub script.sh                                # the same sweep as cluster jobs
    python read.py                                   # the runs, read back

Each run records the option of every group in ``info.choices`` (``info.choices.model``).
"""

import math

import mlxp


@mlxp.launch(config_path="./configs")
def train(ctx: mlxp.Context) -> None:
    config = ctx.config
    capacity = math.log2(1 + config.model.num_units * config.model.depth)
    difficulty = config.dataset.noise * 10
    final = difficulty / capacity + abs(math.log10(config.optimizer.lr) + 2) / 10 + config.seed / 100
    for epoch in range(config.num_epoch):
        ctx.logger.log_metrics({"epoch": epoch, "loss": final + 0.8**epoch}, log_name="train")


if __name__ == "__main__":
    train()
