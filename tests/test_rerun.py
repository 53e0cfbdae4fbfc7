"""``mlxpsub --rerun``: failed runs go back to their scheduler, each into its own directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from fakes import Call, FakeCommands
from mlxp import sub
from mlxp.cluster.rerun import read_job_spec
from mlxp.errors import JobScriptError
from mlxp.schedulers import JobSpec, available, get_scheduler, render_script
from projects import make_project, metrics_lines, read_yaml

# Logs two epochs, without checkpoints; fails while the file FAIL_<seed> exists in the project.
TASK = """
import os
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    for epoch in range(2):
        ctx.logger.log_metrics({"epoch": epoch, "seed": ctx.config.seed})
    if os.path.exists(f"FAIL_{ctx.config.seed}"):
        raise RuntimeError("preempted")

if __name__ == "__main__":
    task()
"""


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCommands:
    return FakeCommands(tmp_path, monkeypatch)


def sbatch(fake: FakeCommands, job_id: int) -> Callable[[], List[Call]]:
    """A fresh fake sbatch: its record starts empty."""
    (fake.bin / "sbatch.calls").unlink(missing_ok=True)
    return fake.install("sbatch", stdout=f"Submitted batch job {job_id}\n")


def info(project: Path, run: int) -> dict:
    return read_yaml(project / "logs" / str(run) / "metadata" / "info.yaml")


def run_job(script: Path, **env: str) -> subprocess.CompletedProcess:
    """What the scheduler would do: run the job script."""
    return subprocess.run(["bash", str(script)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def swept(tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs 1-3 of ``seed=1,2,3`` submitted and run; run 2 FAILED, the others COMPLETE."""
    fake.install("sbatch", stdout="Submitted batch job 100\n")
    project = make_project(tmp_path / "p", main=TASK, config="seed: 0\n", files={
        "script.sh": "#!/bin/bash\n#SBATCH --time=10:00\npython main.py seed=1,2,3\n"})
    monkeypatch.chdir(project)
    assert sub.main(["script.sh"]) == 0
    (project / "FAIL_2").touch()
    for run in (1, 2, 3):
        run_job(project / "logs" / str(run) / "script.sh")
    (project / "FAIL_2").unlink()
    assert [info(project, run)["status"] for run in (1, 2, 3)] == ["COMPLETE", "FAILED", "COMPLETE"]
    return project


def test_a_failed_run_is_resubmitted_into_its_own_directory_and_continues(
    swept: Path, fake: FakeCommands, capfd
) -> None:
    calls = sbatch(fake, 200)
    capfd.readouterr()
    assert sub.main(["--rerun", "logs", "--query", "info.status == 'FAILED'"]) == 0
    assert capfd.readouterr().out.splitlines() == ["logs/2  slurm job 200"]
    script = swept / "logs" / "2" / "script.sh"
    assert [call.argv for call in calls()] == [[str(script)]]
    command = script.read_text().splitlines()[-1].split()
    assert command[-2:] == ["mlxp.resume=true", "mlxp.use_scheduler=false"]
    assert "seed=2" in command and "mlxp.logger.forced_log_id=2" in command
    recorded = info(swept, 2)
    assert recorded["status"] == "STARTING" and recorded["error"] is None
    assert recorded["scheduler"] == {"name": "slurm", "job_id": "200",
                                     "submit_output": "Submitted batch job 200"}
    assert "seed=2" in recorded["overrides"]
    assert [info(swept, run)["status"] for run in (1, 3)] == ["COMPLETE", "COMPLETE"]
    first_start = (recorded["start_date"], recorded["start_time"])
    result = run_job(script)
    assert result.returncode == 0, (swept / "logs" / "2" / "log.stderr").read_text()
    recorded = info(swept, 2)
    assert recorded["status"] == "COMPLETE" and recorded["scheduler"]["job_id"] == "200"
    assert recorded["resumes"] == 1
    assert (recorded["start_date"], recorded["start_time"]) == first_start
    # no checkpoint: the metrics start over, the failed attempt's lines are kept aside
    assert [line["epoch"] for line in metrics_lines(swept / "logs" / "2")] == [0, 1]
    assert [line["epoch"] for line in metrics_lines(swept / "logs" / "2", ".attempt-1/train")] == [0, 1]
    assert recorded["metrics_set_aside"] == ["metrics/.attempt-1"]


def test_failed_runs_go_as_one_array_that_continues_each(
    swept: Path, fake: FakeCommands, capfd
) -> None:
    info_path = swept / "logs" / "3" / "metadata" / "info.yaml"  # as if killed by its node
    info_path.write_text(info_path.read_text().replace("status: COMPLETE", "status: FAILED"))
    calls = sbatch(fake, 300)
    capfd.readouterr()
    assert sub.main(["--rerun", "logs", "--array", "--max-running", "1"]) == 0
    assert capfd.readouterr().out.splitlines() == ["logs/2-3  slurm array job 300 (2 tasks)"]
    array = swept / "logs" / ".arrays" / "2-3.sh"
    assert [call.argv for call in calls()] == [[str(array)]]
    text = array.read_text()
    assert "#SBATCH --array=0-1%1\n" in text and text.count("mlxp.resume=true") == 2
    assert [info(swept, run)["scheduler"]["job_id"] for run in (2, 3)] == ["300_0", "300_1"]
    result = run_job(array, SLURM_ARRAY_TASK_ID="1")
    assert result.returncode == 0, result.stderr
    assert info(swept, 3)["status"] == "COMPLETE" and info(swept, 2)["status"] == "STARTING"


def test_dry_run_prints_the_resumed_script_and_changes_nothing(
    swept: Path, fake: FakeCommands, capfd
) -> None:
    calls = sbatch(fake, 1)
    before = {path: path.read_bytes() for path in (swept / "logs").rglob("*") if path.is_file()}
    capfd.readouterr()
    assert sub.main(["--rerun", "logs", "--dry-run"]) == 0
    out = capfd.readouterr().out
    assert out.startswith("# logs/2: slurm job script\n#!/bin/bash\n")
    assert "mlxp.resume=true mlxp.use_scheduler=false" in out
    assert calls() == []
    after = {path: path.read_bytes() for path in (swept / "logs").rglob("*") if path.is_file()}
    assert {p: b for p, b in after.items() if p.name != ".mlxp_index.json"} == {
        p: b for p, b in before.items() if p.name != ".mlxp_index.json"}


def test_a_second_rerun_keeps_one_resume_argument_and_the_directives_edited_since(
    swept: Path, fake: FakeCommands
) -> None:
    sbatch(fake, 5)
    script = swept / "logs" / "2" / "script.sh"
    info_path = swept / "logs" / "2" / "metadata" / "info.yaml"
    for before, minutes in ((10, 20), (20, 30)):
        script.write_text(script.read_text().replace(f"--time={before}:", f"--time={minutes}:"))
        assert sub.main(["--rerun", "logs", "--query", "info.logger.log_id == 2"]) == 0
        text = script.read_text()
        assert text.count("mlxp.resume=true") == 1 and f"--time={minutes}:00\n" in text
        info_path.write_text(info_path.read_text().replace("status: STARTING", "status: FAILED"))


@pytest.mark.parametrize(
    "arguments, change, words",
    [
        pytest.param(["--query", "info.status == 'COMPLETE' | info.logger.log_id == 2"],
                     {2: "STARTING"}, "may still be queued or running: logs/2 (STARTING,"
                     " slurm job 100: PENDING)", id="queued"),
        pytest.param([], {2: "edit"}, "is not the job script mlxp wrote", id="edited-script"),
        pytest.param(["--query", "info.nope =="], {}, "", id="bad-query"),
        pytest.param(["--array", "--max-running", "-1"], {}, "a number of tasks", id="bad-limit"),
    ],
)
def test_runs_that_cannot_be_rerun_stop_everything_before_a_submission(
    swept: Path, fake: FakeCommands, capfd, arguments: List[str], change: Dict[int, str],
    words: str
) -> None:
    calls = sbatch(fake, 1)
    fake.install("squeue", stdout="100|PENDING\n")
    for run, what in change.items():
        path = swept / "logs" / str(run)
        if what == "edit":
            script = path / "script.sh"
            text = script.read_text()
            script.write_text(text.replace("use_scheduler=false", "use_scheduler=false x=1"))
        else:
            info_path = path / "metadata" / "info.yaml"
            info_path.write_text(info_path.read_text().replace("status: FAILED", f"status: {what}"))
    capfd.readouterr()
    assert sub.main(["--rerun", "logs", *arguments]) == 2
    err = capfd.readouterr().err
    assert err.startswith("mlxpsub: error: ") and words in err
    assert calls() == [] and info(swept, 1)["status"] == "COMPLETE"


def test_a_run_left_running_by_a_job_that_died_is_rerun(
    swept: Path, fake: FakeCommands, capfd
) -> None:
    """Killed outright, the job could not record its end: the run says RUNNING, but squeue
    (asked once) no longer knows the job."""
    info_path = swept / "logs" / "2" / "metadata" / "info.yaml"
    info_path.write_text(info_path.read_text().replace("status: FAILED", "status: RUNNING"))
    squeue = fake.install("squeue", stderr="slurm_load_jobs error: Invalid job id specified\n",
                          status=1)
    sbatch(fake, 7)
    capfd.readouterr()
    assert sub.main(["--rerun", "logs", "--query", "info.status == 'RUNNING'"]) == 0
    assert capfd.readouterr().out.splitlines() == ["logs/2  slurm job 7"]
    assert [call.argv[-1] for call in squeue()] == ["--jobs=100"]


def test_nothing_to_rerun_is_not_an_error(swept: Path, fake: FakeCommands, capfd) -> None:
    calls = sbatch(fake, 1)
    assert sub.main(["--rerun", "logs", "--query", "info.status == 'RUNNING'"]) == 0
    assert "nothing to submit" in capfd.readouterr().err and calls() == []


SPECS = [
    JobSpec("logs/7", "/r/logs/7/log.stdout", "/r/logs/7/log.stderr",
            ("/opt/py env/bin/python", "main.py", "a=it's", "b=x\ny", "",
             "mlxp.use_scheduler=false"), "/home/me/my project",
            env_lines=("module load cuda", "cd /tmp", "echo 'mlxp.use_scheduler=false"),
            post_lines=("echo done", "cd /"), command_prefix="srun -n $SLURM_NTASKS"),
    JobSpec("logs/7", "/r/logs/7/log.stdout", "/r/logs/7/log.stderr",
            ("python", "main.py", "mlxp.use_scheduler=false"), "/w", shebang="#!/bin/sh"),
]


@pytest.mark.parametrize("scheduler", available())
@pytest.mark.parametrize("spec", SPECS, ids=["awkward", "plain"])
def test_a_rendered_script_reads_back_into_its_job(scheduler: str, spec: JobSpec) -> None:
    backend = get_scheduler(scheduler)
    spec = JobSpec(**{**spec.__dict__, "directives": tuple(
        f"{backend.directive or '#'} --opt={n}" for n in range(2))})
    text = render_script(backend, spec)
    read = read_job_spec(backend, text, "/r/logs/7")
    assert render_script(backend, read) == text
    assert read.command[-1] == "mlxp.use_scheduler=false"
    assert read.work_dir == spec.work_dir and read.env_lines == spec.env_lines


def test_a_script_of_another_run_directory_is_refused() -> None:
    backend = get_scheduler("slurm")
    text = render_script(backend, SPECS[1])
    with pytest.raises(JobScriptError, match="not the job script mlxp wrote"):
        read_job_spec(backend, text, "/r/logs/8")
