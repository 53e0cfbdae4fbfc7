"""Rendered scripts submitted to real Slurm, SGE and OAR (started by ci/schedulers/start-*.sh).

Skipped when a scheduler is not running, failed instead under MLXP_REQUIRE_SCHEDULERS=1. The
job directory has a blank in its name, so quoting of directive values is checked for real.
Every wait is bounded.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pytest

from mlxp._shell import run
from mlxp.errors import SubmissionError
from mlxp.schedulers import JobSpec, cancel, get_scheduler, render_script, submit

POLL_LIMIT = 120.0  # seconds; a trivial job takes about 2 s on these single-node setups


def _slurm_state(job_id: str) -> Optional[str]:
    # Plain squeue forgets finished jobs; -t all keeps them for MinJobAge (300 s).
    state = run(["squeue", "-t", "all", "-h", "-j", job_id, "-o", "%T"]).stdout.strip()
    return (
        state
        if state in {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}
        else None
    )


def _sge_state(job_id: str) -> Optional[str]:
    # qstat -j fails once the job has left the queue; qacct knows it about 1 s later.
    if run(["qstat", "-j", job_id]).returncode == 0:
        return None
    accounting = run(["qacct", "-j", job_id])
    if accounting.returncode != 0:
        return None
    fields = dict(
        line.split(None, 1)
        for line in accounting.stdout.splitlines()
        if len(line.split(None, 1)) == 2
    )
    return f"exit_status {fields.get('exit_status', '?').split()[0]}"  # "137  (Killed)"


def _oar_state(job_id: str) -> Optional[str]:
    # "42: Terminated"; unknown ids give empty output.
    state = run(["oarstat", "-s", "-j", job_id]).stdout.rpartition(":")[2].strip()
    return state if state in {"Terminated", "Error"} else None


FINAL_STATE: Dict[str, Callable[[str], Optional[str]]] = {
    "slurm": _slurm_state,
    "sge": _sge_state,
    "oar": _oar_state,
}


def _running(scheduler: str, job_id: str) -> bool:
    if scheduler == "slurm":
        return run(["squeue", "-h", "-j", job_id, "-o", "%T"]).stdout.strip() == "RUNNING"
    if scheduler == "sge":
        rows = (line.split() for line in run(["qstat"]).stdout.splitlines())
        return any(row[:1] == [job_id] and row[4] == "r" for row in rows if len(row) > 4)
    return run(["oarstat", "-s", "-j", job_id]).stdout.rpartition(":")[2].strip() == "Running"


DONE = {"slurm": "COMPLETED", "sge": "exit_status 0", "oar": "Terminated"}
CANCELLED = {"slurm": {"CANCELLED"}, "sge": {"exit_status 137"}, "oar": {"Error"}}
WALLTIME = {
    "slurm": "#SBATCH --time=00:05:00",
    "sge": "#$ -l h_rt=00:05:00",
    "oar": "#OAR -l core=1,walltime=0:05:00",
}
INVALID = {
    "slurm": ("#SBATCH --time=abc", "Invalid --time specification"),
    "sge": ("#$ -l h_rt=abc", 'attribute "h_rt" is not a time value'),
    "oar": ("#OAR -l core=1,walltime=abc", "Cannot recognize"),
}

SCHEDULERS = [pytest.param(name, marks=pytest.mark.scheduler(name)) for name in FINAL_STATE]


def wait_until_done(scheduler: str, job_id: str) -> str:
    deadline = time.monotonic() + POLL_LIMIT
    while time.monotonic() < deadline:
        state = FINAL_STATE[scheduler](job_id)
        if state is not None:
            return state
        time.sleep(0.2)
    pytest.fail(f"{scheduler} job {job_id} not finished after {POLL_LIMIT:g} s")


def wait_until_running(scheduler: str, job_id: str) -> None:
    # OAR takes ~20 s to delete a job it is still launching; a running one goes at once.
    deadline = time.monotonic() + POLL_LIMIT
    while not _running(scheduler, job_id):
        if time.monotonic() > deadline:
            pytest.fail(f"{scheduler} job {job_id} not running after {POLL_LIMIT:g} s")
        time.sleep(0.2)


def write_job(tmp_path: Path, scheduler: str, command: List[str], directives: List[str]) -> Path:
    """Render a job for ``command`` into ``<tmp>/run dir/script.sh``, executable."""
    job_dir = tmp_path / "run dir"
    job_dir.mkdir(exist_ok=True)
    spec = JobSpec(
        job_name=f"{tmp_path.name}/1",
        stdout_path=str(job_dir / "log.stdout"),
        stderr_path=str(job_dir / "log.stderr"),
        command=command,
        work_dir=str(job_dir),
        directives=directives,
    )
    script = job_dir / "script.sh"
    script.write_text(render_script(get_scheduler(scheduler), spec))
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_a_rendered_job_runs(tmp_path: Path, scheduler: str) -> None:
    command = [sys.executable, "-c", "import os; print('hello'); print(os.getcwd())"]
    script = write_job(tmp_path, scheduler, command, [WALLTIME[scheduler]])
    job_id, output = submit(get_scheduler(scheduler), str(script))
    assert job_id.isdigit(), output
    assert wait_until_done(scheduler, job_id) == DONE[scheduler]
    stdout = script.parent / "log.stdout"
    deadline = time.monotonic() + 10  # the output file can trail the job's end a little
    while not stdout.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stdout.read_text().splitlines() == ["hello", str(script.parent)]
    assert (script.parent / "log.stderr").read_text() == ""


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_an_invalid_directive_is_refused(tmp_path: Path, scheduler: str) -> None:
    directive, message = INVALID[scheduler]
    script = write_job(tmp_path, scheduler, [sys.executable, "-c", "pass"], [directive])
    with pytest.raises(SubmissionError) as info:
        submit(get_scheduler(scheduler), str(script))
    assert message in info.value.output
    assert info.value.returncode != 0


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_cancel_a_running_job(tmp_path: Path, scheduler: str) -> None:
    script = write_job(tmp_path, scheduler, ["sleep", "300"], [WALLTIME[scheduler]])
    job_id, _ = submit(get_scheduler(scheduler), str(script))
    wait_until_running(scheduler, job_id)
    cancel(get_scheduler(scheduler), [job_id])
    assert wait_until_done(scheduler, job_id) in CANCELLED[scheduler]
