"""The original MLXP 1.0.5, for tests that compare with it or read what it writes.

It lives in a separate, test-only venv (it brings Hydra): ``.ci/run`` makes it from PyPI with
the pinned versions of ``.ci/mlxp105-constraints.txt`` (plus torch, for its tutorial) and
points ``MLXP_ORIGINAL_VENV`` at it. Without it a test skips, saying how to make it; with
``MLXP_REQUIRE_ORIGINAL=1`` (set by CI) it fails instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import subprocess
from typing import Dict, NoReturn

import pytest

from tests.projects import REPO

VENV_HINT = (
    "python3 -m venv .venv-mlxp105 && .venv-mlxp105/bin/pip install mlxp==1.0.5"
    " -c .ci/mlxp105-constraints.txt, then set MLXP_ORIGINAL_VENV=$PWD/.venv-mlxp105"
)


def unavailable(problem: str) -> NoReturn:
    """Skip the test for ``problem``, or fail it when CI asked for MLXP 1.0.5."""
    if os.environ.get("MLXP_REQUIRE_ORIGINAL") == "1":
        pytest.fail(f"MLXP_REQUIRE_ORIGINAL=1 but {problem}", pytrace=False)
    pytest.skip(problem)


def original_env() -> Dict[str, str]:
    """The environment without PYTHONPATH: that venv must import its own mlxp, never ours."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}


def original_python() -> str:
    """The python of the MLXP 1.0.5 venv; skips (in CI: fails) the test when there is none."""
    venv = os.environ.get("MLXP_ORIGINAL_VENV") or str(REPO / ".venv-mlxp105")
    python = os.path.join(venv, "bin", "python")
    if not os.path.isfile(python):
        unavailable(f"no MLXP 1.0.5 venv at {venv}; make it with: {VENV_HINT}")
    probe = subprocess.run([python, "-c", "import importlib.metadata as m;"
                            " print(m.version('mlxp'))"], capture_output=True, text=True,
                           timeout=120, cwd="/", env=original_env())
    if probe.stdout.strip() != "1.0.5":
        unavailable(f"{python} does not have mlxp 1.0.5 ({probe.stderr.strip()[-200:]})")
    return python
