"""Fixtures for scheduler tests: real schedulers (skip, or fail in CI, when absent) and goldens.

A test that needs a real scheduler asks for it with ``requires_scheduler("slurm")`` or the
marker ``@pytest.mark.scheduler("slurm")``. It is skipped, with the command that starts the
scheduler, when the scheduler's commands are missing or it does not answer; with
``MLXP_REQUIRE_SCHEDULERS=1`` (set by CI) it fails instead, so CI cannot go green by skipping.
"""

from __future__ import annotations

import difflib
import functools
import os
import shutil
import socket
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import pytest

from mlxp._shell import run

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"


def _slurm_node_up(out: str) -> bool:
    return bool(set(out.split()) & {"idle", "mix", "alloc", "comp"})


def _sge_queue_up(out: str) -> bool:
    # "all.q@vm  BIP  0/0/2  0.08  lx-amd64": a sixth column holds states such as 'au'.
    rows = (line.split() for line in out.splitlines() if "@" in line.split(" ", 1)[0])
    return any(len(row) == 5 and row[3] != "-NA-" for row in rows)


def _oar_server_up(out: str) -> bool:
    # oarnodes reads the database; jobs also need Almighty, listening on port 6666.
    try:
        socket.create_connection(("127.0.0.1", 6666), timeout=2).close()
    except OSError:
        return False
    return "Alive" in out


# name -> (commands that must exist, probe argv, test of the probe's stdout)
_PROBES: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...], Callable[[str], bool]]] = {
    "slurm": (("sbatch", "squeue", "scancel"), ("sinfo", "-h", "-o", "%t"), _slurm_node_up),
    "sge": (("qsub", "qconf", "qacct"), ("qstat", "-f"), _sge_queue_up),
    "oar": (("oarsub", "oarstat", "oardel"), ("oarnodes", "-s"), _oar_server_up),
}
_OAR_CONF = "/etc/oar/oar.conf"


@functools.lru_cache(maxsize=None)
def scheduler_problem(name: str) -> Optional[str]:
    """Why the real scheduler ``name`` cannot be used here, or None if it can."""
    commands, probe, answers = _PROBES[name]
    start = f"start it with: bash ci/schedulers/start-{name}.sh"
    missing = [command for command in commands if shutil.which(command) is None]
    if missing:
        return f"{name} is not installed ({', '.join(missing)} not on PATH): {start}"
    try:
        result = run(probe, timeout=20)
    except (OSError, TimeoutError) as exc:
        return f"{name} is not answering ({exc}): {start}"
    if result.returncode != 0 or not answers(result.stdout):
        return f"{name} is not running ({' '.join(probe)}: {result.output or 'no output'}): {start}"
    if name == "oar" and _oar_purges_tmp():
        return (
            "OAR runs with its stock job resource manager, which deletes every file of the job's"
            " owner in /tmp when a job ends; no job is submitted. Restart it with:"
            " bash ci/schedulers/start-oar.sh"
        )
    return None


def _oar_purges_tmp() -> bool:
    try:
        with open(_OAR_CONF, encoding="utf-8") as handle:
            return any(
                line.startswith("JOB_RESOURCE_MANAGER_PROPERTY_DB_FIELD=") for line in handle
            )
    except OSError:
        return True


def _require(name: str) -> None:
    problem = scheduler_problem(name)
    if problem is None:
        return
    if os.environ.get("MLXP_REQUIRE_SCHEDULERS") == "1":
        pytest.fail(f"MLXP_REQUIRE_SCHEDULERS=1 but {problem}", pytrace=False)
    pytest.skip(problem)


@pytest.fixture
def requires_scheduler() -> Callable[[str], None]:
    """``requires_scheduler("sge")`` skips (or, in CI, fails) the test unless SGE runs."""
    return _require


@pytest.fixture(autouse=True)
def _scheduler_marker(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("scheduler")
    if marker is not None:
        _require(*marker.args)


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden("slurm/quickstart.sh", text)``: ``text`` must equal that file under
    tests/golden/; ``--update-golden`` (declared in tests/conftest.py) rewrites the file."""
    update = request.config.getoption("--update-golden", default=False)

    def check(relative: str, text: str) -> None:
        path = GOLDEN_DIR / relative
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(
                f"no golden file {path}; create it with: pytest --update-golden", pytrace=False
            )
        expected = path.read_text(encoding="utf-8")
        if text != expected:
            diff = difflib.unified_diff(
                expected.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{path} (golden)",
                tofile="rendered",
            )
            pytest.fail(
                "rendered script differs from its golden file"
                " (if intended: pytest --update-golden)\n" + "".join(diff),
                pytrace=False,
            )

    return check
