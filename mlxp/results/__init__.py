"""Looking at the results of a log directory: the data behind ``mlxp ls/show/diff/plot`` and
``mlxp ui`` (run summaries, curves, masking). Loaded by those commands only, never by
``import mlxp``.
"""
