"""``mlxpsub`` (also ``python -m mlxp.sub``): the command's import path, kept for users.

The command is :mod:`mlxp.cluster.mlxpsub`, the job-script parser
:mod:`mlxp.cluster.jobscript`; their public names are re-exported here.
"""

from __future__ import annotations

import sys

from mlxp.cluster.jobscript import ParsedScript, PythonCommand, parse_job_script
from mlxp.cluster.mlxpsub import main

__all__ = ["ParsedScript", "PythonCommand", "main", "parse_job_script"]

if __name__ == "__main__":
    sys.exit(main())
