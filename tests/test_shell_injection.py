"""Hostile override values on their way to a job: quoted for every scheduler, never run.

Each value is a way to make a shell run ``touch PWNED`` if it were pasted unquoted. A launch
in submit mode renders one job script per backend (fake submit commands take it); bash then
runs that script as the cluster would, and the task must receive every value unchanged.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from fakes import FakeCommands
from mlxp.overrides import format_value
from projects import make_project, read_yaml, run_main

VECTORS = [
    "a b;touch PWNED",
    "$(touch PWNED)",
    "`touch PWNED`",
    "x && touch PWNED",
    "x || touch PWNED",
    "x | touch PWNED",
    "x > PWNED",
    "x & touch PWNED # rest",
    "x\ntouch PWNED",
    "'; touch PWNED; '",
    '"; touch PWNED; "',
    "${IFS}touch${IFS}PWNED",  # given as \${...}: a literal, not an interpolation
    "$HOME/x",
    "*",
    "~/x",
    "x{a,b}",
    "\\$(touch PWNED)\\",
]
SUBMIT = {"slurm": ("sbatch", "Submitted batch job 1\n"), "oar": ("oarsub", "OAR_JOB_ID=1\n"),
          "torque": ("qsub", "1.server\n"), "sge": ("qsub", 'Your job 1 ("x") has been submitted\n'),
          "mwm": ("msub", "Moab.1\n"), "lsf": ("bsub", "Job <1> is submitted to queue <q>.\n")}


def _argument(number: int, value: str) -> str:
    text = format_value(value)
    return f"+v{number}=" + text.replace("${", "\\${")


def test_there_are_seventeen_vectors() -> None:
    assert len(VECTORS) == len(set(VECTORS)) == 17


@pytest.mark.parametrize("scheduler", sorted(SUBMIT))
def test_no_vector_fires_in_any_scheduler(
    scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command, output = SUBMIT[scheduler]
    calls = FakeCommands(tmp_path, monkeypatch).install(command, stdout=output)
    project = make_project(tmp_path / "p", config="num_epoch: 1\n")
    arguments = [_argument(number, value) for number, value in enumerate(VECTORS)]
    result = run_main(project, "mlxp.use_scheduler=true", f"mlxp.scheduler.name={scheduler}",
                      *arguments, env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    assert len(calls()) == 1
    script = project / "logs" / "1" / "script.sh"
    subprocess.run(["bash", str(script)], cwd=str(tmp_path), check=True, timeout=120,
                   capture_output=True)
    config = read_yaml(project / "logs" / "1" / "metadata" / "config.yaml")
    assert read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")["status"] == "COMPLETE"
    assert [config[f"v{number}"] for number in range(len(VECTORS))] == VECTORS
    assert not [path for path in tmp_path.rglob("PWNED*")]
