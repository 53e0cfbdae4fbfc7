"""``mlxp.schedulers``: the job-scheduler backends' public names, kept at this import path.

The backends are :mod:`mlxp.cluster.schedulers`. A backend of your own subclasses
:class:`Scheduler` and is registered with :func:`register_scheduler` (docs/schedulers.md).
"""

from mlxp.cluster.schedulers import *  # noqa: F401,F403
from mlxp.cluster.schedulers import __all__  # noqa: F401
