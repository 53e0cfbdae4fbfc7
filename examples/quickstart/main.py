import mlxp


@mlxp.launch(config_path='./configs')
def my_task(ctx: mlxp.Context) -> None:

    # Displaying user-defined options from './configs/config.yaml
    print(ctx.config)

    # Logging information in log directory created by MLXP: (here "./logs/1" )
    for i in range(ctx.config.num_epoch):
        ctx.logger.log_metrics({"epoch": i})


if __name__ == "__main__":
    my_task()
