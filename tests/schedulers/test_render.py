"""Rendered job scripts: one golden file per backend and case, and what the shell makes of them."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from mlxp._shell import run
from mlxp.errors import JobScriptError
from mlxp.schedulers import JobSpec, available, get_scheduler, render_array_script, render_script

# The user's directives of the quick start's OAR script, and the same resources in each
# scheduler's own syntax.
USER_DIRECTIVES: Dict[str, List[str]] = {
    "oar": ["#OAR -l core=1, walltime=6:00:00", "#OAR -t besteffort", "#OAR -t idempotent"],
    "slurm": ["#SBATCH --ntasks=1", "#SBATCH --time=6:00:00", "#SBATCH --qos=besteffort"],
    "torque": ["#PBS -l nodes=1:ppn=1", "#PBS -l walltime=6:00:00", "#PBS -q besteffort"],
    "sge": ["#$ -pe smp 1", "#$ -l h_rt=6:00:00", "#$ -q besteffort.q"],
    "mwm": ["#MSUB -l nodes=1:ppn=1", "#MSUB -l walltime=6:00:00", "#MSUB -q besteffort"],
    "lsf": ["#BSUB -n 1", "#BSUB -W 6:00", "#BSUB -q besteffort"],
    "local": [],
}


def quickstart(scheduler: str) -> JobSpec:
    """The first job of the quick start (section 5): logs/1 of `python main.py ...`."""
    return JobSpec(
        job_name="logs/1",
        stdout_path="/home/me/project/logs/1/log.stdout",
        stderr_path="/home/me/project/logs/1/log.stderr",
        command=("python", "main.py", "optimizer.lr=10.", "seed=1"),
        work_dir="/home/me/project/",
        directives=USER_DIRECTIVES[scheduler],
    )


def workdir_space(scheduler: str) -> JobSpec:
    """Paths with spaces everywhere, an srun prefix, environment and post lines."""
    return JobSpec(
        job_name="my logs/12",
        stdout_path="/home/me/my project/my logs/12/log.stdout",
        stderr_path="/home/me/my project/my logs/12/log.stderr",
        command=("/opt/my env/bin/python", "train model.py", "data.path=/data/set 1"),
        work_dir="/home/me/my project",
        directives=USER_DIRECTIVES[scheduler][:1],
        env_lines=("module load cuda/12.1", "export OMP_NUM_THREADS=1"),
        post_lines=("echo finished",),
        command_prefix="srun -n $SLURM_NTASKS",
        shebang="#!/usr/bin/env bash",
    )


def hostile_value(scheduler: str) -> JobSpec:
    """Overrides a shell would run if they were pasted unquoted."""
    return JobSpec(
        job_name="logs/2",
        stdout_path="/home/me/project/logs/2/log.stdout",
        stderr_path="/home/me/project/logs/2/log.stderr",
        command=(
            "python",
            "main.py",
            "data.device=a b;touch PWNED",
            "model.name=$(touch PWNED)`touch PWNED`",
            'note=it\'s "quoted" & done',
            "mlxp.logger.forced_log_id=2",
        ),
        work_dir="/home/me/project",
        directives=USER_DIRECTIVES[scheduler],
    )


CASES: Dict[str, Callable[[str], JobSpec]] = {
    "quickstart": quickstart,
    "workdir-space": workdir_space,
    "hostile-value": hostile_value,
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("scheduler", available())
def test_golden(scheduler: str, case: str, golden: Callable[[str, str], None]) -> None:
    spec = CASES[case](scheduler)
    text = render_script(get_scheduler(scheduler), spec)
    assert render_script(get_scheduler(scheduler), spec) == text  # same input, same bytes
    golden(f"{scheduler}/{case}.sh", text)


def array_tasks(scheduler: str) -> List[JobSpec]:
    """Runs 1 to 3 of a sweep as the tasks of one array; the third value holds quotes."""
    values = ["seed=1", "seed=2", 'note=it\'s "quoted" & done']
    return [
        dataclasses.replace(
            workdir_space(scheduler),
            job_name=f"logs/{number}",
            stdout_path=f"/home/me/project/logs/{number}/log.stdout",
            stderr_path=f"/home/me/project/logs/{number}/log.stderr",
            command=("python", "main.py", value, f"mlxp.logger.forced_log_id={number}"),
        )
        for number, value in enumerate(values, start=1)
    ]


# case -> the array's limit on running tasks (OAR has none: it refuses one)
ARRAY_CASES = {"array": 0, "array-throttled": 2}
ARRAY_GOLDEN = [
    (scheduler, case)
    for scheduler in available()
    for case in sorted(ARRAY_CASES)
    if not (scheduler == "oar" and ARRAY_CASES[case])
]


@pytest.mark.parametrize("scheduler, case", ARRAY_GOLDEN)
def test_golden_array(scheduler: str, case: str, golden: Callable[[str, str], None]) -> None:
    backend = get_scheduler(scheduler)
    arguments = (array_tasks(scheduler), "logs/1-3", "/home/me/project/logs/.arrays/1-3", ARRAY_CASES[case])
    text = render_array_script(backend, *arguments)
    assert render_array_script(backend, *arguments) == text  # same input, same bytes
    golden(f"{scheduler}/{case}.sh", text)


def test_oar_refuses_to_limit_running_tasks() -> None:
    with pytest.raises(JobScriptError, match="OAR cannot limit how many tasks") as caught:
        render_array_script(get_scheduler("oar"), array_tasks("oar"), "logs/1-3", "/x/1-3", 2)
    assert caught.value.scheduler == "oar"


@pytest.mark.parametrize(
    "change, message",
    [
        pytest.param({"work_dir": "/elsewhere"}, "must share", id="other-work-dir"),
        pytest.param({"env_lines": ()}, "must share", id="other-env"),
    ],
)
def test_array_tasks_must_share_their_script(change: Dict[str, object], message: str) -> None:
    tasks = array_tasks("slurm")
    tasks[1] = dataclasses.replace(tasks[1], **change)  # type: ignore[arg-type]
    with pytest.raises(JobScriptError, match=message):
        render_array_script(get_scheduler("slurm"), tasks, "logs/1-3", "/x/1-3")


def test_an_array_runs_the_task_its_index_names(tmp_path: Path) -> None:
    """Each index runs its own task with exactly its arguments, into its own files; an index
    outside the array runs nothing and fails."""
    echo = "import json, os, sys; print(json.dumps([os.getcwd()] + sys.argv[1:]))"
    values = [["a b;touch PWNED", "$(touch PWNED)"], ["it's", '"x"', "a\nb", ""]]
    tasks = [
        JobSpec(f"logs/{number}", str(tmp_path / f"out{number}"), str(tmp_path / f"err{number}"),
                (sys.executable, "-c", echo, *arguments), str(tmp_path),
                env_lines=("export SHARED=1",), post_lines=("echo after",))
        for number, arguments in enumerate(values)
    ]
    script = tmp_path / "array.sh"
    script.write_text(render_array_script(get_scheduler("slurm"), tasks, "logs/0-1", "/x/0-1"))
    for index, arguments in enumerate(values):
        result = run(["bash", str(script)], env={**os.environ, "SLURM_ARRAY_TASK_ID": str(index)})
        assert result.returncode == 0, result.output
        lines = (tmp_path / f"out{index}").read_text().splitlines()
        assert json.loads(lines[0]) == [str(tmp_path), *arguments] and lines[1] == "after"
    result = run(["bash", str(script)], env={**os.environ, "SLURM_ARRAY_TASK_ID": "7"})
    assert result.returncode == 1 and "tasks 0-1, not 7" in result.stderr
    assert not (tmp_path / "PWNED").exists()


def test_quickstart_oar_script_is_the_guides() -> None:
    """The quick start prints this script (its command has two blanks after main.py)."""
    assert render_script(get_scheduler("oar"), quickstart("oar")).splitlines() == [
        "#!/bin/bash",
        "#OAR -n logs/1",
        "#OAR -E /home/me/project/logs/1/log.stderr",
        "#OAR -O /home/me/project/logs/1/log.stdout",
        "#OAR -l core=1, walltime=6:00:00",
        "#OAR -t besteffort",
        "#OAR -t idempotent",
        "",
        "cd /home/me/project/",
        "python main.py optimizer.lr=10. seed=1",
    ]


def test_the_shell_passes_every_argument_through_unchanged(tmp_path: Path) -> None:
    """Run a rendered script with bash: the command gets exactly the spec's arguments."""
    work_dir = tmp_path / "work dir"
    work_dir.mkdir()
    arguments = list(hostile_value("local").command[2:]) + ["a\nb", "", "*", "~", "-n"]
    spec = JobSpec(
        job_name="logs/1",
        stdout_path=str(tmp_path / "out put"),
        stderr_path=str(tmp_path / "err"),
        command=(
            sys.executable,
            "-c",
            "import json, os, sys; print(json.dumps([os.getcwd()] + sys.argv[1:]))",
            *arguments,
        ),
        work_dir=str(work_dir),
    )
    script = tmp_path / "script.sh"
    script.write_text(render_script(get_scheduler("local"), spec))
    result = run(["bash", str(script)], cwd=str(tmp_path))
    assert result.returncode == 0, result.output
    assert json.loads((tmp_path / "out put").read_text()) == [str(work_dir), *arguments]
    assert not (work_dir / "PWNED").exists() and not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    "field, value",
    [
        pytest.param("job_name", "logs/1\n#SBATCH --mem=1T", id="job-name"),
        pytest.param("stdout_path", "/x\ny", id="stdout"),
        pytest.param("work_dir", "/x\rrm -rf ~", id="work-dir-cr"),
        pytest.param("env_lines", ("module load a\nrm x",), id="env-line"),
        pytest.param("directives", ("#SBATCH -N 1\necho",), id="directive"),
        pytest.param("command_prefix", "srun\nrm", id="prefix"),
    ],
)
def test_line_breaks_cannot_add_lines(field: str, value: object) -> None:
    fields = dict(
        job_name="logs/1",
        stdout_path="/o",
        stderr_path="/e",
        command=("python", "m.py"),
        work_dir="/w",
    )
    fields[field] = value
    with pytest.raises(JobScriptError, match="holds a line break") as info:
        JobSpec(**fields)  # type: ignore[arg-type]
    assert info.value.field == field


def test_a_newline_inside_an_argument_is_fine() -> None:
    spec = JobSpec("logs/1", "/o", "/e", ["python", "m.py", "a\nb"], "/w")
    assert "python m.py 'a\nb'\n" in render_script(get_scheduler("slurm"), spec)


@pytest.mark.parametrize(
    "fields, message",
    [
        pytest.param({"command": ()}, "a job needs a command", id="no-command"),
        pytest.param({"shebang": "/bin/bash"}, "must start with '#!'", id="shebang"),
    ],
)
def test_invalid_specs(fields: Dict[str, object], message: str) -> None:
    base = dict(
        job_name="j", stdout_path="/o", stderr_path="/e", command=("python", "m.py"), work_dir="/w"
    )
    base.update(fields)
    with pytest.raises(JobScriptError, match=message):
        JobSpec(**base)  # type: ignore[arg-type]


def test_a_string_is_not_a_command() -> None:
    with pytest.raises(TypeError, match="sequence of strings, not a string"):
        JobSpec("j", "/o", "/e", "python m.py", "/w")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "scheduler, directive, message",
    [
        pytest.param(
            "slurm", "#OAR -l core=1", "is not a #SBATCH directive for slurm", id="foreign"
        ),
        pytest.param("slurm", "--time=1:00:00", "is not a #SBATCH directive", id="no-prefix"),
        pytest.param("local", "echo hi", "local scheduler takes no directives", id="local-command"),
    ],
)
def test_directives_must_be_the_schedulers(scheduler: str, directive: str, message: str) -> None:
    spec = JobSpec("j", "/o", "/e", ("python", "m.py"), "/w", directives=(directive,))
    with pytest.raises(JobScriptError, match=message):
        render_script(get_scheduler(scheduler), spec)


def test_local_keeps_comment_directives() -> None:
    spec = JobSpec("j", "/o", "/e", ("python", "m.py"), "/w", directives=("#SBATCH -N 1",))
    assert "#SBATCH -N 1\n" in render_script(get_scheduler("local"), spec)


def test_golden_files_have_no_strays() -> None:
    """Every golden file belongs to a backend and case this module renders."""
    root = Path(__file__).resolve().parent.parent / "golden"
    expected = {f"{s}/{c}.sh" for s in available() for c in CASES}
    expected |= {f"{s}/{c}.sh" for s, c in ARRAY_GOLDEN}
    found = {str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*.sh")}
    assert found == expected
