"""Array jobs: ``mlxpsub --array`` submits a sweep as array jobs, with fake submit commands."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

from fakes import FakeCommands
from mlxp import sub
from projects import make_project, metrics_lines, read_yaml

TASK = """
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    print("seed", ctx.config.seed)
    ctx.logger.log_metrics({"seed": ctx.config.seed})

if __name__ == "__main__":
    task()
"""
# backend -> (submit command, what it prints for an array of 3, its array directives with a
# limit of 2, the array's id, each task's id); OAR has no limit, so no --max-running there.
ARRAYS = {
    "slurm": ("sbatch", "Submitted batch job 1234\n", ["#SBATCH --array=0-2%2"], "1234",
              ["1234_0", "1234_1", "1234_2"]),
    "sge": ("qsub", 'Your job-array 77.1-3:1 ("logs_1-3") has been submitted\n',
            ["#$ -t 1-3", "#$ -tc 2"], "77", ["77.1", "77.2", "77.3"]),
    "torque": ("qsub", "1234[].torque-server\n", ["#PBS -t 0-2%2"], "1234[].torque-server",
               ["1234[0].torque-server", "1234[1].torque-server", "1234[2].torque-server"]),
    "lsf": ("bsub", "Job <5> is submitted to default queue <normal>.\n",
            ['#BSUB -J "logs_1-3[1-3]%2"'], "5", ["5[1]", "5[2]", "5[3]"]),
    "mwm": ("msub", "\nMoab.123\n\n", ['#MSUB -t "logs/1-3[0-2]%2"'], "Moab.123",
            ["Moab.123[0]", "Moab.123[1]", "Moab.123[2]"]),
    "oar": ("oarsub", "[ADMISSION RULE] Modify resource description with type constraints\n"
                      "OAR_JOB_ID=10\nOAR_JOB_ID=11\nOAR_JOB_ID=12\nOAR_ARRAY_ID=10\n",
            ["#OAR --array 3"], "10", ["10", "11", "12"]),
}
DIRECTIVE = {"slurm": "#SBATCH --time=10:00", "oar": "#OAR -l core=1", "torque": "#PBS -l nodes=1",
             "sge": "#$ -l h_rt=00:10:00", "mwm": "#MSUB -l nodes=1", "lsf": "#BSUB -W 10"}
FIRST_INDEX = {"slurm": 0, "torque": 0, "mwm": 0, "sge": 1, "lsf": 1, "oar": 1}


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCommands:
    return FakeCommands(tmp_path, monkeypatch)


def project_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str,
                 directive: str = "#SBATCH --time=10:00", settings: str = "") -> Path:
    files = {"script.sh": f"#!/bin/bash\n{directive}\nexport SHARED=1\n{command}\necho done\n"}
    if settings:
        files["configs/mlxp.yaml"] = settings
    project = make_project(tmp_path / "p", main=TASK, config="seed: 0\n", files=files)
    monkeypatch.chdir(project)
    return project


def info(project: Path, run: int) -> dict:
    return read_yaml(project / "logs" / str(run) / "metadata" / "info.yaml")


def arrays(project: Path) -> List[Path]:
    return sorted((project / "logs" / ".arrays").glob("*.sh"))


def test_a_sweep_is_one_array_job_and_every_run_waits_in_its_own_directory(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 1234\n")
    project = project_with(tmp_path, monkeypatch, "python main.py seed=1,2,3,4")
    assert sub.main(["--array", "script.sh"]) == 0
    assert capfd.readouterr().out.splitlines() == ["logs/1-4  slurm array job 1234 (4 tasks)"]
    script = project / "logs" / ".arrays" / "1-4.sh"
    assert [call.argv for call in calls()] == [[str(script)]]
    lines = script.read_text().splitlines()
    assert lines[1:6] == [
        "#SBATCH --job-name=logs/1-4",
        f"#SBATCH --error={project}/logs/.arrays/1-4.%A_%a.stderr",
        f"#SBATCH --output={project}/logs/.arrays/1-4.%A_%a.stdout",
        "#SBATCH --array=0-3",
        "#SBATCH --time=10:00",
    ]
    assert os.access(script, os.X_OK)
    for run in range(1, 5):
        recorded = info(project, run)
        assert recorded["status"] == "STARTING" and recorded["overrides"] == [f"seed={run}"]
        assert recorded["scheduler"] == {
            "name": "slurm", "job_id": f"1234_{run - 1}", "array_id": "1234",
            "array_index": run - 1, "submit_output": "Submitted batch job 1234"}
        log = project / "logs" / str(run)
        assert read_yaml(log / "metadata" / "config.yaml") == {"seed": run}
        # the run's own script.sh is its job as it would run alone
        assert f"seed={run} mlxp.logger.forced_log_id={run}" in (log / "script.sh").read_text()


@pytest.mark.parametrize("scheduler", sorted(ARRAYS))
def test_every_backend_submits_its_array_flags_and_records_each_tasks_id(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, scheduler: str
) -> None:
    command, output, directives, array_id, task_ids = ARRAYS[scheduler]
    calls = fake.install(command, stdout=output)
    project = project_with(tmp_path, monkeypatch, "python main.py seed=1,2,3", DIRECTIVE[scheduler])
    limit = [] if scheduler == "oar" else ["--max-running", "2"]
    assert sub.main(["--array", *limit, "script.sh"]) == 0
    assert len(calls()) == 1
    text = arrays(project)[0].read_text()
    assert all(f"\n{line}\n" in text for line in directives)
    if scheduler == "lsf":  # bsub reads the script on stdin
        assert calls()[0].stdin == text
    for position, task_id in enumerate(task_ids):
        entry = info(project, position + 1)["scheduler"]
        assert entry["job_id"] == task_id and entry["array_id"] == array_id
        assert entry["array_index"] == FIRST_INDEX[scheduler] + position


def test_sweeps_past_max_array_size_are_split_and_the_limit_comes_from_mlxp_yaml(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 9\n")
    project = project_with(tmp_path, monkeypatch, "python main.py seed=1,2,3,4,5",
                           settings="scheduler:\n  array: true\n  max_running: 1\n"
                                    "  max_array_size: 2\n")
    assert sub.main(["script.sh"]) == 0
    assert [Path(call.argv[0]).name for call in calls()] == ["1-2.sh", "3-4.sh", "5-5.sh"]
    assert capfd.readouterr().out.splitlines() == [
        "logs/1-2  slurm array job 9 (2 tasks)", "logs/3-4  slurm array job 9 (2 tasks)",
        "logs/5-5  slurm array job 9 (1 tasks)"]
    assert "#SBATCH --array=0-1%1\n" in arrays(project)[0].read_text()
    assert "#SBATCH --array=0-0%1\n" in arrays(project)[2].read_text()
    indices = [info(project, run)["scheduler"]["array_index"] for run in range(1, 6)]
    assert indices == [0, 1, 0, 1, 0]


def test_array_on_the_command_line_and_max_running_from_mlxpsub(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 9\n")
    project = project_with(tmp_path, monkeypatch,
                           "python main.py seed=1,2 mlxp.scheduler.array=true")
    assert sub.main(["--max-running", "3", "script.sh"]) == 0
    assert len(calls()) == 1 and "#SBATCH --array=0-1%3\n" in arrays(project)[0].read_text()


@pytest.mark.parametrize(
    "arguments, directive, words",
    [
        pytest.param(["--max-running", "2"], "#SBATCH --time=1", "limits the running tasks of"
                     " array jobs: add --array", id="limit-without-array"),
        pytest.param(["--array", "--max-running", "2"], "#OAR -l core=1", "OAR cannot limit",
                     id="oar-limit"),
        pytest.param(["--array", "--max-running", "two"], "#SBATCH --time=1",
                     "a number of tasks", id="not-a-number"),
    ],
)
def test_limits_that_cannot_be_kept_stop_before_anything_is_written(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd,
    arguments: List[str], directive: str, words: str
) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 1\n")
    project = project_with(tmp_path, monkeypatch, "python main.py seed=1,2", directive)
    assert sub.main([*arguments, "script.sh"]) == 2
    assert words in capfd.readouterr().err
    assert calls() == [] and not (project / "logs").exists()


def test_running_the_array_script_with_an_index_runs_exactly_that_point(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.install("sbatch", stdout="Submitted batch job 1234\n")
    project = project_with(tmp_path, monkeypatch, "python main.py seed=1,2,3,4")
    assert sub.main(["--array", "script.sh"]) == 0
    script = arrays(project)[0]
    result = subprocess.run(["bash", str(script)], env={**os.environ, "SLURM_ARRAY_TASK_ID": "2"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert [info(project, run)["status"] for run in range(1, 5)] == [
        "STARTING", "STARTING", "COMPLETE", "STARTING"]
    run = project / "logs" / "3"
    assert (run / "log.stdout").read_text().splitlines() == ["seed 3", "done"]
    assert info(project, 3)["scheduler"]["job_id"] == "1234_2"  # kept by the job
    assert (run / "metrics" / "train.json").read_text() == '{"seed": 3}\n'


def test_a_refused_array_leaves_every_run_failed(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    fake.install("sbatch", stderr="sbatch: error: Batch job submission failed: Invalid job array"
                                  " specification\n", status=1)
    project = project_with(tmp_path, monkeypatch, "python main.py seed=1,2")
    assert sub.main(["--array", "script.sh"]) == 1
    assert "logs/1-2  slurm refused the array" in capfd.readouterr().err
    for run in (1, 2):
        recorded = info(project, run)
        assert recorded["status"] == "FAILED" and "Invalid job array" in recorded["error"]
        assert recorded["scheduler"]["array_index"] == run - 1
        assert "Invalid job array" in recorded["scheduler"]["submit_output"]


def test_dry_run_prints_the_array_script_and_writes_nothing(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 1\n")
    project = project_with(tmp_path, monkeypatch, "python main.py seed=1,2,3")
    assert sub.main(["--dry-run", "--array", "--max-running", "2", "script.sh"]) == 0
    out = capfd.readouterr().out
    assert out.startswith("# logs/.arrays/1-3.sh: slurm array job script, 3 tasks\n#!/bin/bash\n")
    assert "#SBATCH --array=0-2%2\n" in out and out.count("mlxp_command=") == 3
    assert calls() == [] and not (project / "logs").exists()


def test_a_job_that_ends_before_its_submission_is_recorded_keeps_its_status(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler runs task 0 to the end before sbatch returns: the run stays COMPLETE and
    still gets its ids; the task that has not started yet is STARTING."""
    sbatch = fake.bin / "sbatch"
    sbatch.write_text(
        '#!/bin/bash\nSLURM_ARRAY_TASK_ID=0 bash "$1"\necho "Submitted batch job 8"\n')
    sbatch.chmod(0o755)
    project = project_with(tmp_path, monkeypatch, "python main.py seed=1,2")
    assert sub.main(["--array", "script.sh"]) == 0
    first, second = info(project, 1), info(project, 2)
    assert first["status"] == "COMPLETE" and first["scheduler"]["job_id"] == "8_0"
    assert second["status"] == "STARTING" and second["scheduler"]["job_id"] == "8_1"


TIMED_TASK = """
import time
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    start = time.time()
    time.sleep(1)
    ctx.logger.log_metrics({"start": start, "end": time.time()})

if __name__ == "__main__":
    task()
"""


def test_the_local_backend_runs_an_array_in_the_background_max_running_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "p", main=TIMED_TASK, config="seed: 0\n")
    monkeypatch.chdir(project)
    settings = ["mlxp.use_scheduler=true", "mlxp.scheduler.name=local",
                "mlxp.scheduler.array=true", "mlxp.scheduler.max_running=2"]
    result = subprocess.run([sys.executable, "main.py", "seed=1,2,3", *settings],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("logs/1-3  local array job ")
    pid = result.stdout.split()[-3]
    deadline = time.monotonic() + 60
    while any(info(project, run)["status"] != "COMPLETE" for run in (1, 2, 3)):
        assert time.monotonic() < deadline, [info(project, run)["status"] for run in (1, 2, 3)]
        time.sleep(0.2)
    assert [info(project, run)["scheduler"]["job_id"] for run in (1, 2, 3)] == [
        f"{pid}_0", f"{pid}_1", f"{pid}_2"]
    spans = [metrics_lines(project / "logs" / str(run))[0] for run in (1, 2, 3)]
    running = [sum(s["start"] <= span["start"] < s["end"] for s in spans) for span in spans]
    assert max(running) == 2  # two at once, never three
