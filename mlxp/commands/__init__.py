"""The subcommands of ``mlxp``: one module each, registered by ``mlxp.__main__``.

A command module has ``register(commands)``, which adds its subparser to the ``mlxp`` parser
and sets its ``run(args) -> int`` as the parser's default ``run``. Modules import what they
need inside ``run``, so that parsing ``mlxp --help`` loads none of it.
"""
