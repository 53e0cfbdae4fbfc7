"""submit() and cancel() against fake scheduler commands placed first on PATH.

Each fake is a small executable that records its argv and stdin, prints what the real
command prints (texts taken from real Slurm, SGE and OAR, and from the TORQUE, Moab and LSF
manuals), and exits with the real exit status.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, List

import pytest

from fakes import Call, FakeCommands
from mlxp.errors import JobScriptError, SchedulerError, SubmissionError
from mlxp.schedulers import cancel, get_scheduler, submit

@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCommands:
    return FakeCommands(tmp_path, monkeypatch)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "jobs" / "script.sh"
    path.parent.mkdir()
    path.write_text("#!/bin/bash\n#SBATCH --time=1\necho hi\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    "scheduler, command, output, job_id, argv",
    [
        pytest.param(
            "slurm", "sbatch", "Submitted batch job 1234\n", "1234", ["{script}"], id="slurm"
        ),
        pytest.param(
            "oar",
            "oarsub",
            "[ADMISSION RULE] Modify resource description with type constraints\nOAR_JOB_ID=42\n",
            "42",
            ["-S", "./script.sh"],
            id="oar",
        ),
        pytest.param(
            "torque",
            "qsub",
            "1234.torque-server\n",
            "1234.torque-server",
            ["{script}"],
            id="torque",
        ),
        pytest.param(
            "sge",
            "qsub",
            'Your job 77 ("logs_1") has been submitted\n',
            "77",
            ["{script}"],
            id="sge",
        ),
        pytest.param("mwm", "msub", "\nMoab.123\n\n", "Moab.123", ["{script}"], id="mwm"),
        pytest.param(
            "lsf", "bsub", "Job <5> is submitted to default queue <normal>.\n", "5", [], id="lsf"
        ),
    ],
)
def test_submit_parses_the_job_id(
    fake: FakeCommands,
    script: Path,
    scheduler: str,
    command: str,
    output: str,
    job_id: str,
    argv: List[str],
) -> None:
    calls = fake.install(command, stdout=output)
    assert submit(get_scheduler(scheduler), str(script)) == (job_id, output.strip("\n"))
    (call,) = calls()
    assert call.argv == [arg.format(script=script) for arg in argv]
    expected_stdin = script.read_text() if scheduler == "lsf" else ""
    assert call.stdin == expected_stdin


def test_bsub_gets_the_script_on_stdin(fake: FakeCommands, script: Path) -> None:
    calls = fake.install("bsub", stdout="Job <5> is submitted to default queue <normal>.\n")
    submit(get_scheduler("lsf"), str(script))
    assert [call.stdin for call in calls()] == ["#!/bin/bash\n#SBATCH --time=1\necho hi\n"]


def test_a_relative_script_path_is_made_absolute(
    fake: FakeCommands, script: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 3\n")
    monkeypatch.chdir(script.parent)
    submit(get_scheduler("slurm"), "script.sh")
    assert calls()[0].argv == [str(script)]


def test_oarsub_runs_from_the_scripts_directory(fake: FakeCommands, tmp_path: Path) -> None:
    """oarsub -S splits its argument at blanks, so the path never goes through it; oarsub
    reads its launching directory from $PWD."""
    calls = fake.install("oarsub", stdout="OAR_JOB_ID=3\n")
    script = tmp_path / "my logs" / "3" / "script.sh"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/bash\n#OAR -l core=1\necho hi\n")
    script.chmod(0o755)
    assert submit(get_scheduler("oar"), str(script))[0] == "3"
    directory = str(script.parent)
    assert calls() == [Call(argv=["-S", "./script.sh"], stdin="", cwd=directory, pwd=directory)]


def test_oar_refuses_a_script_name_with_a_blank(fake: FakeCommands, tmp_path: Path) -> None:
    calls = fake.install("oarsub", stdout="OAR_JOB_ID=3\n")
    script = tmp_path / "my script.sh"
    script.write_text("#!/bin/bash\n")
    script.chmod(0o755)
    with pytest.raises(JobScriptError, match="file name holds a blank"):
        submit(get_scheduler("oar"), str(script))
    assert calls() == []


def test_a_refused_job_raises_with_the_schedulers_message(fake: FakeCommands, script: Path) -> None:
    fake.install("sbatch", stderr="sbatch: error: Invalid --time specification\n", status=255)
    with pytest.raises(SubmissionError) as info:
        submit(get_scheduler("slurm"), str(script))
    error = info.value
    assert str(error).splitlines() == [
        f"slurm refused {script} (sbatch exited with status 255):",
        "    sbatch: error: Invalid --time specification",
    ]
    assert error.output == "sbatch: error: Invalid --time specification"
    assert error.returncode == 255
    assert error.path == str(script)


def test_oar_refusal_with_a_negative_id(fake: FakeCommands, script: Path) -> None:
    fake.install(
        "oarsub",
        stdout="OAR_JOB_ID=-5\n",
        stderr="[ADMISSION RULE] Set default walltime to 7200.\n"
        "There are not enough resources for your request\n",
        status=8,
    )
    with pytest.raises(SubmissionError, match="not enough resources") as info:
        submit(get_scheduler("oar"), str(script))
    assert info.value.returncode == 8


def test_success_without_a_job_id(fake: FakeCommands, script: Path) -> None:
    fake.install("sbatch", stdout="sbatch: warning: something else\n")
    with pytest.raises(SubmissionError, match="no slurm job id in the output of sbatch") as info:
        submit(get_scheduler("slurm"), str(script))
    assert info.value.output == "sbatch: warning: something else"
    assert str(info.value).startswith(f"{script}: ")


def test_a_missing_command(script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SubmissionError, match="command not found: qsub") as info:
        submit(get_scheduler("sge"), str(script))
    assert info.value.output == ""


def test_a_submit_command_that_hangs(fake: FakeCommands, script: Path) -> None:
    fake.install("sbatch", stdout="Submitted batch job 1\n", sleep=30)
    started = time.monotonic()
    with pytest.raises(SubmissionError, match="sbatch did not finish within 0.5 s"):
        submit(get_scheduler("slurm"), str(script), timeout=0.5)
    assert time.monotonic() - started < 10


def test_a_missing_script(fake: FakeCommands, tmp_path: Path) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 1\n")
    with pytest.raises(JobScriptError, match="no such job script"):
        submit(get_scheduler("slurm"), str(tmp_path / "nope.sh"))
    assert calls() == []


@pytest.mark.parametrize("scheduler, command", [("oar", "oarsub"), ("local", None)])
def test_a_scheduler_that_runs_the_file_needs_it_executable(
    fake: FakeCommands, script: Path, scheduler: str, command: str
) -> None:
    calls = fake.install(command or "unused", stdout="OAR_JOB_ID=1\n")
    script.chmod(0o644)
    with pytest.raises(JobScriptError, match="must be executable") as info:
        submit(get_scheduler(scheduler), str(script))
    assert f"chmod +x {script}" in str(info.value)
    assert calls() == []


@pytest.mark.parametrize("scheduler", ["slurm", "sge", "torque"])
def test_a_non_executable_script_is_fine_for_the_others(
    fake: FakeCommands, script: Path, scheduler: str
) -> None:
    command = "sbatch" if scheduler == "slurm" else "qsub"
    output = {
        "slurm": "Submitted batch job 9\n",
        "sge": 'Your job 9 ("j") has been submitted\n',
        "torque": "9.srv\n",
    }
    fake.install(command, stdout=output[scheduler])
    script.chmod(0o644)
    assert submit(get_scheduler(scheduler), str(script))[0].startswith("9")


@pytest.mark.parametrize(
    "scheduler, command, argv",
    [
        ("slurm", "scancel", ["12", "13"]),
        ("oar", "oardel", ["12", "13"]),
        ("sge", "qdel", ["12", "13"]),
        ("torque", "qdel", ["12", "13"]),
        ("mwm", "mjobctl", ["-c", "12", "13"]),
        ("lsf", "bkill", ["12", "13"]),
    ],
)
def test_cancel_is_one_call(
    fake: FakeCommands, scheduler: str, command: str, argv: List[str]
) -> None:
    calls = fake.install(command)
    cancel(get_scheduler(scheduler), ["12", "13"])
    assert [(call.argv, call.stdin) for call in calls()] == [(argv, "")]


def test_cancel_nothing_runs_nothing(fake: FakeCommands) -> None:
    calls = fake.install("scancel")
    cancel(get_scheduler("slurm"), [])
    assert calls() == []


def test_a_refused_cancel(fake: FakeCommands) -> None:
    fake.install("qdel", stderr='denied: job "99999" does not exist\n', status=1)
    with pytest.raises(SchedulerError) as info:
        cancel(get_scheduler("sge"), ["99999"])
    assert str(info.value).splitlines() == [
        "sge did not cancel jobs 99999 (qdel exited with status 1):",
        '    denied: job "99999" does not exist',
    ]
    assert info.value.returncode == 1


def test_cancel_without_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SchedulerError, match="command not found: oardel"):
        cancel(get_scheduler("oar"), ["1"])


# --- the local backend: a real background process, no fake needed -------------------------
# Cancelling local jobs sends signals: tests/test_process.py does it in a pid namespace.


def _wait_for(predicate: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _write_local_job(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "job.sh"
    script.write_text(f"#!/bin/bash\nexec >'{tmp_path}/out' 2>'{tmp_path}/err'\n{body}\n")
    script.chmod(0o755)
    return script


def test_local_runs_the_script_in_the_background(tmp_path: Path) -> None:
    script = _write_local_job(tmp_path, "echo pid $$ in $PWD; echo oops >&2; touch done")
    job_id, output = submit(get_scheduler("local"), str(script))
    assert output.splitlines()[0] == job_id and job_id.isdigit()
    assert _wait_for(lambda: (tmp_path / "done").exists())
    assert (tmp_path / "out").read_text() == f"pid {job_id} in {tmp_path}\n"
    assert (tmp_path / "err").read_text() == "oops\n"
