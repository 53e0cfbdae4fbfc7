"""``mlxp.status``: follow and cancel submitted runs from Python (``mlxp status``/``cancel``).

Kept at this import path for users; the code is :mod:`mlxp.cluster.status`.
"""

from mlxp.cluster.status import *  # noqa: F401,F403
from mlxp.cluster.status import __all__  # noqa: F401
