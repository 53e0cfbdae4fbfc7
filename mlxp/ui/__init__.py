"""``mlxp ui``: a local web dashboard of a log directory (server in ``server``, data in ``api``).

Nothing here is imported by ``import mlxp``: the command loads it when it runs.
"""
