"""mlxpsub end to end: job scripts parsed (never run), one job per sweep point, fake submitters."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakes import FakeCommands
from mlxp import sub
from projects import QUICKSTART, installed_command, make_project, read_yaml

SUBMIT_OUTPUT = {  # what each real submit command prints (schedulers.md, the design table)
    "slurm": ("sbatch", "Submitted batch job 1234\n", "1234"),
    "oar": ("oarsub", "[ADMISSION RULE] Modify resource description with type constraints\n"
                      "OAR_JOB_ID=42\n", "42"),
    "torque": ("qsub", "1234.torque-server\n", "1234.torque-server"),
    "sge": ("qsub", 'Your job 77 ("logs_1") has been submitted\n', "77"),
    "mwm": ("msub", "\nMoab.123\n\n", "Moab.123"),
    "lsf": ("bsub", "Job <5> is submitted to default queue <normal>.\n", "5"),
}
DIRECTIVE = {"slurm": "#SBATCH --time=10:00", "oar": "#OAR -l core=1", "torque": "#PBS -l nodes=1",
             "sge": "#$ -l h_rt=00:10:00", "mwm": "#MSUB -l nodes=1", "lsf": "#BSUB -W 10"}
HEADER = {  # name, stderr, stdout directives of logs/1
    "slurm": ["#SBATCH --job-name=logs/1", "#SBATCH --error={log}/log.stderr", "#SBATCH --output={log}/log.stdout"],
    "oar": ["#OAR -n logs/1", "#OAR -E {log}/log.stderr", "#OAR -O {log}/log.stdout"],
    "torque": ["#PBS -N logs/1", "#PBS -e {log}/log.stderr", "#PBS -o {log}/log.stdout"],
    "sge": ["#$ -N logs_1", "#$ -e {log}/log.stderr", "#$ -o {log}/log.stdout"],
    "mwm": ["#MSUB -N logs/1", "#MSUB -e {log}/log.stderr", "#MSUB -o {log}/log.stdout"],
    "lsf": ["#BSUB -J logs/1", "#BSUB -e {log}/log.stderr", "#BSUB -o {log}/log.stdout"],
}


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCommands:
    return FakeCommands(tmp_path, monkeypatch)


@pytest.fixture
def quickstart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "my project"  # a space in the path on purpose
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns("logs", ".work_dir"))
    monkeypatch.chdir(project)
    return project


def test_quickstart_oar_script_makes_eight_jobs_with_the_guides_scripts(
    quickstart: Path, fake: FakeCommands, capfd
) -> None:
    calls = fake.install("oarsub", stdout=SUBMIT_OUTPUT["oar"][1])
    assert sub.main(["script.sh"]) == 0
    runs = sorted((quickstart / "logs").iterdir(), key=lambda p: int(p.name))
    assert [p.name for p in runs] == [str(i) for i in range(1, 9)]
    assert len(calls()) == 8
    log = quickstart / "logs" / "1"
    lines = (log / "script.sh").read_text().splitlines()
    assert lines[:7] == [
        "#!/bin/bash",
        "#OAR -n logs/1",
        f"#OAR -E {log}/log.stderr",  # OAR reads the rest of the line verbatim
        f"#OAR -O {log}/log.stdout",
        "#OAR -l core=1, walltime=6:00:00",
        "#OAR -t besteffort",
        "#OAR -t idempotent",
    ]
    assert f"cd '{quickstart}'" in lines
    command = lines[-1].split()
    assert command[0] == sys.executable and command[1] == "main.py"
    assert command[2:4] == ["optimizer.lr=10.", "seed=1"]
    assert "mlxp.logger.forced_log_id=1" in command and "mlxp.use_scheduler=false" in command
    assert (log / "script.sh").stat().st_mode & 0o111
    assert capfd.readouterr().out.splitlines() == [f"logs/{i}  oar job 42" for i in range(1, 9)]
    points = [read_yaml(run / "metadata" / "config.yaml") for run in runs]
    assert [(c["optimizer"]["lr"], c["model"]["num_units"], c["seed"]) for c in points] == [
        (10.0, 100, 1), (10.0, 100, 2), (1.0, 100, 1), (1.0, 100, 2),
        (10.0, 100, 1), (10.0, 100, 2), (10.0, 200, 1), (10.0, 200, 2),
    ]
    info = read_yaml(log / "metadata" / "info.yaml")
    assert info["status"] == "STARTING"
    assert info["scheduler"]["name"] == "oar" and info["scheduler"]["job_id"] == "42"


@pytest.mark.parametrize("scheduler", sorted(SUBMIT_OUTPUT))
def test_every_backend_renders_its_flags_and_records_its_job_id(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, scheduler: str
) -> None:
    command, output, job_id = SUBMIT_OUTPUT[scheduler]
    calls = fake.install(command, stdout=output)
    project = make_project(tmp_path / "p", files={"script.sh": f"""\
        #!/usr/bin/env bash
        {DIRECTIVE[scheduler]}
        module load cuda
        python main.py seed=1,2
        echo done
        """}, config="num_epoch: 1\nseed: 0\n")
    monkeypatch.chdir(project)
    assert sub.main(["script.sh"]) == 0
    log = project / "logs" / "1"
    lines = (log / "script.sh").read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert lines[1:4] == [line.format(log=log) for line in HEADER[scheduler]]
    assert lines[4] == DIRECTIVE[scheduler]
    assert lines[5:8] == ["", "module load cuda", f"cd {project}"]
    assert lines[-1] == "echo done"
    assert read_yaml(log / "metadata" / "info.yaml")["scheduler"]["job_id"] == job_id
    assert len(calls()) == 2
    if scheduler == "lsf":  # bsub reads each script on stdin (submissions may overlap)
        scripts = {(project / "logs" / run / "script.sh").read_text() for run in ("1", "2")}
        assert {call.stdin for call in calls()} == scripts


def test_values_reach_the_job_quoted_and_the_script_is_never_run(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.install("sbatch", stdout="Submitted batch job 9\n")
    project = make_project(tmp_path / "p", files={"script.sh": """\
        #!/bin/bash
        #SBATCH --time=10:00
        touch X_BEFORE
        python main.py "data.device=a b;touch PWNED"
        touch X_AFTER
        """}, config="num_epoch: 1\ndata:\n  device: cpu\n")
    monkeypatch.chdir(project)
    assert sub.main(["script.sh"]) == 0
    log = project / "logs" / "1"
    assert read_yaml(log / "metadata" / "config.yaml")["data"]["device"] == "a b;touch PWNED"
    assert "'data.device=a b;touch PWNED'" in (log / "script.sh").read_text()
    assert not any((project / name).exists() for name in ("X_BEFORE", "X_AFTER", "PWNED"))
    # the job itself, run by hand here, gets the exact string and runs nothing else
    subprocess.run(["bash", str(log / "script.sh")], check=True)
    assert read_yaml(log / "metadata" / "info.yaml")["status"] == "COMPLETE"
    assert read_yaml(log / "metadata" / "config.yaml")["data"]["device"] == "a b;touch PWNED"
    assert (project / "X_BEFORE").exists() and not (project / "PWNED").exists()


def test_a_refused_submission_leaves_a_failed_run_and_the_others_go_on(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.install("sbatch", stderr="sbatch: error: Invalid --time specification\n", status=255)
    project = make_project(tmp_path / "p", files={"script.sh": """\
        #!/bin/bash
        #SBATCH --time=abc
        python main.py seed=1,2
        """}, config="num_epoch: 1\nseed: 0\n")
    monkeypatch.chdir(project)
    assert sub.main(["script.sh"]) == 1
    for run in ("1", "2"):
        info = read_yaml(project / "logs" / run / "metadata" / "info.yaml")
        assert info["status"] == "FAILED"
        assert "Invalid --time specification" in info["error"]
        assert "Invalid --time specification" in info["scheduler"]["submit_output"]


def test_dry_run_prints_every_script_and_writes_nothing(
    quickstart: Path, fake: FakeCommands, capfd
) -> None:
    calls = fake.install("oarsub", stdout="OAR_JOB_ID=1\n")
    assert sub.main(["--dry-run", "script.sh"]) == 0
    out = capfd.readouterr().out
    assert out.count("#!/bin/bash") == 8
    # the ids a submission of the whole script would give, across its two python commands
    headers = [line for line in out.splitlines() if line.endswith(": oar job script")]
    assert headers == [f"# logs/{i}: oar job script" for i in range(1, 9)]
    assert not (quickstart / "logs").exists() and calls() == []


def test_the_runs_of_one_submission_share_a_sweep_id_that_their_jobs_keep(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    fake.install("sbatch", stdout="Submitted batch job 9\n")
    project = make_project(tmp_path / "p", files={"script.sh": """\
        #!/bin/bash
        #SBATCH --time=10:00
        python main.py seed=1,2
        python main.py seed=3
        """}, config="num_epoch: 1\nseed: 0\n")
    monkeypatch.chdir(project)
    assert sub.main(["script.sh"]) == 0
    ids = {read_yaml(project / "logs" / run / "metadata" / "info.yaml")["sweep_id"]
           for run in ("1", "2", "3")}
    assert len(ids) == 1 and None not in ids
    sweep_id = ids.pop()
    assert f"info.sweep_id == '{sweep_id}'" in capfd.readouterr().err
    subprocess.run(["bash", str(project / "logs" / "1" / "script.sh")], check=True)
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "COMPLETE" and info["sweep_id"] == sweep_id
    assert sub.main(["script.sh"]) == 0  # another submission, another sweep
    assert read_yaml(project / "logs" / "4" / "metadata" / "info.yaml")["sweep_id"] != sweep_id


def test_a_job_script_that_cannot_be_written_stops_before_any_run_directory(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 1\n")
    project = make_project(tmp_path / "p", files={"script.sh": """\
        #!/bin/bash
        #SBATCH --time=1
        python main.py seed=1,2
        """, "configs/mlxp.yaml": 'logger:\n  parent_log_dir: "runs\\nweekly"\n'},
        config="num_epoch: 1\nseed: 0\n")
    monkeypatch.chdir(project)
    assert sub.main(["script.sh"]) == 2
    assert "parent_log_dir" in capfd.readouterr().err
    assert calls() == [] and sorted(p.name for p in project.iterdir()) == [
        "configs", "main.py", "script.sh"]


def test_help_describes_every_option(capsys) -> None:
    assert sub.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: mlxpsub")
    for option in ("--dry-run", "--array", "--max-running K", "--rerun DIR", "--query"):
        assert f"  {option}" in out
    assert "hands each command" not in out  # the module's docstring is for developers


@pytest.mark.parametrize(
    "arguments, script, words",
    [
        pytest.param([], None, "missing the job script", id="no-argument"),
        pytest.param(["nope.sh"], None, "no such job script: nope.sh", id="missing-file"),
        pytest.param(["script.sh"], "#!/bin/bash\npython main.py\n", "no scheduler directive",
                     id="no-directive"),
        pytest.param(["script.sh"], "#SBATCH --time=1\n#OAR -l core=1\npython main.py\n",
                     "#OAR", id="mixed-schedulers"),
        pytest.param(["--frob", "script.sh"], None, "unknown option '--frob'", id="unknown-option"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, arguments, script, words
) -> None:
    monkeypatch.chdir(tmp_path)
    if script is not None:
        (tmp_path / "script.sh").write_text(script)
    assert sub.main(arguments) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlxpsub: error: ") and words in err
    assert "Traceback" not in err


def test_a_bad_override_stops_before_any_submission(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 1\n")
    project = make_project(tmp_path / "p", files={"script.sh": """\
        #!/bin/bash
        #SBATCH --time=1
        python main.py seed=1,2 lr=[1,2
        """}, config="num_epoch: 1\nseed: 0\n")
    monkeypatch.chdir(project)
    assert sub.main(["script.sh"]) == 2
    assert calls() == [] and not (project / "logs").exists()


def test_installed_command_and_module_entry_point(
    quickstart: Path, fake: FakeCommands
) -> None:
    fake.install("oarsub", stdout="OAR_JOB_ID=5\n")
    mlxpsub = installed_command("mlxpsub")
    result = subprocess.run([mlxpsub, "script.sh"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "logs/1  oar job 5"
    assert len(result.stdout.splitlines()) == 8
    result = subprocess.run([sys.executable, "-m", "mlxp.sub", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("usage: mlxpsub")


READ_SCRIPT = "import mlxp\nopen('READ_RAN', 'w').close()\nprint(len(mlxp.Reader('./logs/')))\n"


@pytest.mark.parametrize(
    "script, env_tail, post, notes",
    [
        pytest.param(  # the shape of MLXP's tutorial: a launch line, then reading the results
            """\
            #!/bin/bash
            #OAR -l core=1, walltime=6:00:00


            python main.py seed=1,2\\
                    mlxp.use_version_manager=False

            sleep 10

            python read.py
            """,
            [], ["sleep 10", "python read.py"],
            ["mlxpsub: script.sh:10: read.py does not use @mlxp.launch: not run here;"
             " each job runs it after its launch command"],
            id="tutorial-read-after",
        ),
        pytest.param(
            """\
            #!/bin/bash
            #OAR -l core=1
            srun python3 -u read.py --fast
            python main.py seed=1,2
            """,
            ["srun python3 -u read.py --fast"], [],
            ["mlxpsub: script.sh:3: read.py does not use @mlxp.launch: not run here;"
             " each job runs it before its launch command"],
            id="read-before",
        ),
        pytest.param(
            """\
            #!/bin/bash
            #OAR -l core=1
            python main.py seed=1,2
            python read.py --from "$OAR_JOB_ID" > results.txt
            """,
            [], ['python read.py --from "$OAR_JOB_ID" > results.txt'],
            ["mlxpsub: script.sh:4: read.py does not use @mlxp.launch: not run here;"
             " each job runs it after its launch command"],
            id="read-with-expansion-and-redirection",
        ),
    ],
)
def test_a_python_command_that_is_not_a_launch_is_a_line_of_each_job_never_run_here(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd,
    script: str, env_tail, post, notes
) -> None:
    calls = fake.install("oarsub", stdout="OAR_JOB_ID=3\n")
    project = make_project(tmp_path / "p", files={"script.sh": script, "read.py": READ_SCRIPT},
                           config="num_epoch: 1\nseed: 0\n")
    monkeypatch.chdir(project)
    assert sub.main(["script.sh"]) == 0
    assert not (project / "READ_RAN").exists()
    assert len(calls()) == 2
    assert capfd.readouterr().out.splitlines() == [*notes, "logs/1  oar job 3",
                                                   "logs/2  oar job 3"]
    lines = (project / "logs" / "1" / "script.sh").read_text().splitlines()
    cd = lines.index(f"cd {project}")
    assert lines[cd - len(env_tail):cd] == env_tail
    assert lines[cd + 1].split()[1] == "main.py" and lines[cd + 2:] == post


def test_the_job_runs_the_line_after_its_launch_command(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.install("oarsub", stdout="OAR_JOB_ID=3\n")
    project = make_project(tmp_path / "p", files={"script.sh": """\
        #!/bin/bash
        #OAR -l core=1
        python main.py mlxp.use_version_manager=False
        python read.py
        """, "read.py": READ_SCRIPT}, config="num_epoch: 1\n")
    monkeypatch.chdir(project)
    assert sub.main(["script.sh"]) == 0
    assert not (project / "READ_RAN").exists()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # python: ours
    job = subprocess.run(["bash", str(project / "logs" / "1" / "script.sh")],
                         capture_output=True, text=True, env={**os.environ, "PATH": path})
    assert job.returncode == 0, job.stderr
    assert (project / "READ_RAN").exists()
    assert job.stdout.splitlines()[-1] == "1"  # the run it follows is there to read


@pytest.mark.parametrize(
    "script, files, words",
    [
        pytest.param("python main.py\npython missing.py\n", {},
                     "script.sh:4: cannot read missing.py", id="missing-script"),
        pytest.param("python broken.py\npython main.py\n", {"broken.py": "def f(:\n"},
                     "script.sh:3: cannot parse broken.py", id="syntax-error"),
        pytest.param("python read.py\n", {"read.py": "print(1)\n"},
                     "script.sh: no @mlxp.launch python command", id="no-launch"),
    ],
)
def test_a_python_command_mlxpsub_cannot_decide_on_stops_everything(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd,
    script: str, files, words: str
) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 1\n")
    project = make_project(tmp_path / "p", files={
        "script.sh": "#!/bin/bash\n#SBATCH --time=1\n" + script, **files})
    monkeypatch.chdir(project)
    assert sub.main(["script.sh"]) == 2
    out, err = capfd.readouterr()
    assert err.startswith(f"mlxpsub: error: {words}") and "Traceback" not in err
    assert calls() == [] and not (project / "logs").exists()


def _scripts_shown(out: str) -> dict:
    """``{header path: script}`` of what ``mlxpsub --dry-run`` printed."""
    shown = {}
    for block in out.split("# ")[1:]:
        header, _, script = block.partition("\n")
        shown[header.split(":")[0]] = script[:-1]  # print's blank line between scripts
    return shown


@pytest.mark.parametrize("flags, inside", [
    pytest.param([], ".", id="single"),
    pytest.param(["--array"], ".", id="array"),
    pytest.param([], "tutorial", id="project-in-a-subdirectory-of-the-repository"),
])
def test_dry_run_shows_the_scripts_a_submission_writes_with_the_version_manager(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd, flags,
    inside: str
) -> None:
    fake.install("oarsub", stdout="OAR_JOB_ID=3\n")
    repo = tmp_path / "repo"
    project = make_project(repo / inside, files={".gitignore": "logs/\n", "script.sh": """\
        #!/bin/bash
        #OAR -l core=1
        module load cuda
        python main.py seed=1,2 mlxp.use_version_manager=true mlxp.interactive_mode=false
        python read.py
        """, "read.py": READ_SCRIPT}, config="num_epoch: 1\nseed: 0\n")
    git = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "first"]):
        subprocess.run(["git", *command], cwd=repo, check=True, env={**os.environ, **git})
    with (project / "main.py").open("a") as main:  # a change the launch record keeps
        main.write("# not committed\n")
    monkeypatch.chdir(project)
    assert sub.main(["--dry-run", *flags, "script.sh"]) == 0
    shown = _scripts_shown(capfd.readouterr().out)
    assert not (project / "logs").exists() and not (repo / ".work_dir").exists()
    assert not (project / ".work_dir").exists()
    assert sub.main([*flags, "script.sh"]) == 0
    written = {f"logs/{run}": (project / "logs" / run / "script.sh").read_text()
               for run in ("1", "2")}
    if flags:
        written = {"logs/.arrays/1-2.sh": (project / "logs" / ".arrays" / "1-2.sh").read_text()}
    assert shown == written
    script = next(iter(written.values()))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, text=True,
                          capture_output=True).stdout.strip()
    snapshot = project / ".work_dir" / "repo" / head
    assert "\nexport MLXP_SNAPSHOT=" in script
    assert f"\ncd {snapshot / inside if inside != '.' else snapshot}\n" in script


COPY_VM = """
import os, shutil

class CopyVM:
    def __init__(self, parent_work_dir, compute_requirements):
        self.target = os.path.join(parent_work_dir, "copy")

    def make_working_directory(self):
        shutil.copytree(os.getcwd(), self.target)
        return self.target

    def get_info(self):
        return {"tool": "CopyVM"}
"""


def test_dry_run_with_a_users_version_manager_makes_no_working_directory_and_says_so(
    tmp_path: Path, fake: FakeCommands, monkeypatch: pytest.MonkeyPatch, capfd
) -> None:
    calls = fake.install("sbatch", stdout="Submitted batch job 1\n")
    project = make_project(tmp_path / "p", files={
        "vms.py": COPY_VM,
        "configs/mlxp.yaml": "version_manager:\n  name: vms.CopyVM\nuse_version_manager: true\n",
        "script.sh": "#!/bin/bash\n#SBATCH --time=1\npython main.py\n"})
    monkeypatch.chdir(project)
    assert sub.main(["--dry-run", "script.sh"]) == 0
    out, err = capfd.readouterr()
    assert "vms.CopyVM makes its working directory only when the jobs are submitted" in err
    assert "# logs/1: slurm job script" in out and "MLXP_SNAPSHOT" not in out
    assert calls() == [] and not (project / ".work_dir").exists()
