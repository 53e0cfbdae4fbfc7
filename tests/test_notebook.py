"""Notebooks and plain Python: ``task()`` in a Jupyter kernel, ``task.run(overrides=...)``,
``mlxp.compose`` / ``mlxp.compose_sweep``, and ``@mlxp.launch`` without parentheses.

Each user-facing case runs in a subprocess as a user runs it: a kernel is imitated by setting
``sys.argv`` as ipykernel does (no Jupyter is installed), then calling the task.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List

import pytest

from mlxp._interactive import in_jupyter_kernel
from projects import make_project, read_yaml, run_main

TASK = """
import json, os, sys
import mlxp

@mlxp.launch
def train(ctx):
    if ctx.config.lr == 2:
        raise ValueError("lr 2 diverges")
    if ctx.config.lr == 99:
        os.kill(os.getpid(), 2)  # Ctrl-C, as the kernel's interrupt button sends it
    ctx.logger.log_metrics({"loss": ctx.config.lr})
    print("ran with", ctx.config.lr)
"""
CONFIG = "lr: 0.1\nseed: 0\n"
KERNEL_ARGV = ["/usr/lib/python3/dist-packages/ipykernel_launcher.py", "-f",
               "/tmp/jupyter-runtime/kernel-1234.json"]


def run_python(project: Path, code: str, cwd: Path = None) -> subprocess.CompletedProcess:
    """``code`` in a fresh Python whose path holds the project (as a notebook next to it)."""
    prelude = f"import sys\nsys.path.insert(0, {str(project)!r})\n"
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          cwd=str(cwd or project), capture_output=True, text=True, timeout=60)


def run_dirs(project: Path) -> List[str]:
    logs = project / "logs"
    return sorted(os.listdir(logs), key=int) if logs.is_dir() else []


def status(run_dir: Path) -> str:
    return read_yaml(run_dir / "metadata" / "info.yaml")["status"]


# --- a Jupyter kernel's argv --------------------------------------------------------------


@pytest.mark.parametrize("argv, kernel_loaded, expected", [
    pytest.param(KERNEL_ARGV, False, True, id="jupyter"),
    pytest.param(["/usr/local/lib/python3.10/dist-packages/colab_kernel_launcher.py", "-f",
                  "/home/me/.local/share/jupyter/runtime/kernel-abc.json"], False, True,
                 id="colab"),
    pytest.param(["/home/u/.venv/lib/python3.11/site-packages/ipykernel_launcher.py",
                  "--ip=127.0.0.1", "--stdin=9003", "--control=9001", "--hb=9000",
                  "--Session.signature_scheme=hmac-sha256", "--Session.key=b''",
                  "--transport=tcp", "--f=/home/u/.local/share/jupyter/runtime/kernel-v2-1.json"],
                 False, True, id="vscode"),
    pytest.param(["/usr/lib/python3/dist-packages/ipykernel/__main__.py", "-f",
                  "/tmp/kernel-1.json"], True, True, id="python-m-ipykernel"),
    pytest.param(["main.py", "-f", "x.json"], False, False, id="script-with-f-flag"),
    pytest.param(["main.py", "lr=0.1"], True, False, id="script-importing-ipykernel"),
    pytest.param(["ipykernel_launcher.py"], True, False, id="no-connection-file"),
    pytest.param(["ipykernel_launcher.py", "-f"], True, False, id="f-without-value"),
    pytest.param([], True, False, id="empty-argv"),
])
def test_a_kernels_argv_is_told_from_a_users(monkeypatch: pytest.MonkeyPatch, argv: List[str],
                                             kernel_loaded: bool, expected: bool) -> None:
    if kernel_loaded:
        monkeypatch.setitem(sys.modules, "ipykernel", type(sys)("ipykernel"))
    else:
        monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert in_jupyter_kernel(argv) is expected


@pytest.mark.parametrize("argv", [
    pytest.param(KERNEL_ARGV, id="jupyter"),
    pytest.param(["/x/ipykernel_launcher.py", "--ip=127.0.0.1", "--f=/x/kernel-v2-7.json"],
                 id="vscode"),
])
def test_the_task_called_in_a_kernel_runs_the_config_as_it_is(tmp_path: Path,
                                                              argv: List[str]) -> None:
    project = make_project(tmp_path, TASK, CONFIG)
    result = run_python(project, f"""
        sys.argv = {argv!r}
        import main
        print("returned", main.train())
    """)
    assert result.returncode == 0, result.stderr
    assert "ran with 0.1" in result.stdout
    assert f"returned {project / 'logs' / '1'}" in result.stdout
    assert status(project / "logs" / "1") == "COMPLETE"


def test_a_task_defined_in_a_cell_reads_its_config_from_the_current_directory(
        tmp_path: Path) -> None:
    """ipykernel compiles a cell as /tmp/ipykernel_<pid>/<hash>.py, a file that does not exist
    (or, once the debugger dumped it, holds only the cell): the notebook's directory counts."""
    project = make_project(tmp_path, "", CONFIG)
    cell = tmp_path / "ipykernel_1234" / "5678.py"
    cell.parent.mkdir()
    cell.write_text(TASK)  # as the debugger leaves it; without the file the same must hold
    result = run_python(project, f"""
        sys.argv = {KERNEL_ARGV!r}
        namespace = {{}}
        exec(compile({TASK!r}, {str(cell)!r}, "exec"), namespace)
        print("returned", namespace["train"](), namespace["train"].run(overrides=["lr=3"]))
        exec(compile({TASK!r}, "/tmp/ipykernel_99/1.py", "exec"), namespace)
        print("returned", namespace["train"].run(overrides=["lr=5"]))
    """)
    assert result.returncode == 0, result.stderr
    logs = project / "logs"
    returned = [line for line in result.stdout.splitlines() if line.startswith("returned")]
    assert returned == [f"returned {logs / '1'} {logs / '2'}", f"returned {logs / '3'}"]
    assert os.listdir(cell.parent) == ["5678.py"]  # no config created next to the cell


def test_a_script_whose_user_passes_f_still_gets_the_unknown_flag_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, TASK + "\ntrain()\n", CONFIG)
    result = run_main(project, "-f", "settings.json")
    assert result.returncode == 2
    assert "main.py: error: unknown flag '-f'" in result.stderr
    assert run_dirs(project) == []


# --- task.run ------------------------------------------------------------------------------


def _listing(run_dir: Path) -> List[str]:
    skipped = {"log.stdout", "log.stderr",  # what the task printed, written the same way
               "sweep.yaml"}  # a command-line sweep's plan for mlxp rerun, which needs a script
    return sorted(str(path.relative_to(run_dir)) for path in run_dir.rglob("*")
                  if path.name not in skipped)


def test_task_run_makes_the_runs_a_command_line_makes(tmp_path: Path) -> None:
    by_command = make_project(tmp_path / "command", TASK + "\ntrain()\n", CONFIG)
    in_python = make_project(tmp_path / "python", TASK, CONFIG)
    assert run_main(by_command, "lr=1,3", "seed=5").returncode == 0
    result = run_python(in_python, """
        import main
        print(main.train.run(overrides=["lr=1,3", "seed=5"]))
    """)
    assert result.returncode == 0, result.stderr
    assert eval(result.stdout.splitlines()[-1]) == [str(in_python / "logs" / "1"),
                                                    str(in_python / "logs" / "2")]
    assert "[2/2] logs/2 lr=3 seed=5" in result.stderr  # the same progress lines
    for run_id in ("1", "2"):
        made, expected = in_python / "logs" / run_id, by_command / "logs" / run_id
        assert _listing(made) == _listing(expected)
        assert status(made) == status(expected) == "COMPLETE"
        for name in ("config.yaml", "mlxp.yaml"):
            assert ((made / "metadata" / name).read_text().replace(str(in_python), "P")
                    == (expected / "metadata" / name).read_text().replace(str(by_command), "P"))
        assert (made / "metrics" / "train.json").read_text() == (
            expected / "metrics" / "train.json").read_text()
        info = read_yaml(made / "metadata" / "info.yaml")
        assert info["overrides"] == read_yaml(expected / "metadata" / "info.yaml")["overrides"]


def test_task_run_of_one_point_returns_its_directory(tmp_path: Path) -> None:
    project = make_project(tmp_path, TASK, CONFIG)
    result = run_python(project, """
        import main
        first = main.train.run(overrides=["lr=4"])
        print(first, main.train.run())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == [str(project / "logs" / "1"), str(project / "logs" / "2")]
    assert read_yaml(project / "logs" / "1" / "metadata" / "config.yaml")["lr"] == 4


def test_task_run_without_logger_returns_none_and_sys_exit_0_completes(tmp_path: Path) -> None:
    main = TASK.replace("ctx.logger.log_metrics", "ctx.logger and ctx.logger.log_metrics").replace(
        '    print("ran with"', '    if ctx.config.lr == 0:\n        sys.exit(0)\n    print("ran with"')
    project = make_project(tmp_path, main, CONFIG)
    result = run_python(project, """
        import main
        print("returned", main.train.run(overrides=["mlxp.use_logger=false", "seed=1,2"]),
              main.train.run(overrides=["lr=0"]))
    """)
    assert result.returncode == 0, result.stderr
    assert f"returned [None, None] {project / 'logs' / '1'}" in result.stdout
    assert status(project / "logs" / "1") == "COMPLETE"


@pytest.mark.parametrize("overrides, message", [
    pytest.param(["lr=0.1", "optimizr.lr=1"], "ConfigKeyError",
                 id="typo-in-a-new-key"),
    pytest.param(["lr=(1"], "OverrideSyntaxError", id="malformed"),
    pytest.param(["--dry-run"], "UsageError", id="flag"),
    pytest.param("lr=1", "UsageError", id="one-string"),
    pytest.param(["lr=1", 2], "UsageError", id="not-text"),
    pytest.param(["name=\udcff"], "UsageError", id="not-utf8"),
    pytest.param(["mlxp.use_version_manager=true"], "SettingsError", id="version-manager"),
    pytest.param(["mlxp.use_scheduler=true"], "SettingsError", id="scheduler"),
    pytest.param(["lr=1,2", "mlxp.launcher.jobs=2"], "SettingsError", id="parallel-points"),
])
def test_task_run_raises_mlxps_errors_and_writes_nothing(tmp_path: Path, overrides: object,
                                                         message: str) -> None:
    project = make_project(tmp_path, TASK, "lr: 0.1\nseed: 0\noptimizer: {lr: 1}\n")
    result = run_python(project, f"""
        import mlxp, main
        try:
            main.train.run(overrides={overrides!r})
        except mlxp.MLXPError as error:
            print(type(error).__name__, "|", error)
        except SystemExit as exit:
            print("SystemExit", exit.code)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(message + " |"), result.stdout
    assert run_dirs(project) == []


def test_task_run_of_a_sweep_with_a_failed_point_raises_after_every_point(tmp_path: Path) -> None:
    project = make_project(tmp_path, TASK, CONFIG)
    result = run_python(project, """
        import mlxp, main
        try:
            main.train.run(overrides=["lr=1,2,3"])
        except mlxp.errors.RunFailedError as error:
            print(error.run_dirs, error.failed, repr(error.__cause__))
    """)
    assert result.returncode == 0, result.stderr
    logs = project / "logs"
    assert result.stdout.splitlines()[-1] == (
        f"{[str(logs / '1'), str(logs / '2'), str(logs / '3')]} {[str(logs / '2')]}"
        " ValueError('lr 2 diverges')")
    assert [status(logs / run) for run in ("1", "2", "3")] == ["COMPLETE", "FAILED", "COMPLETE"]
    assert "ValueError: lr 2 diverges" in (logs / "2" / "log.stderr").read_text()


def test_task_run_of_one_failing_run_raises_the_tasks_own_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, TASK, CONFIG)
    result = run_python(project, """
        import main
        main.train.run(overrides=["lr=2"])
    """)
    assert result.returncode == 1
    assert result.stderr.rstrip().endswith("ValueError: lr 2 diverges")
    assert 'main.py", line' in result.stderr  # the task's own traceback
    assert status(project / "logs" / "1") == "FAILED"


def test_ctrl_c_during_task_run_fails_the_run_and_reaches_the_caller(tmp_path: Path) -> None:
    project = make_project(tmp_path, TASK, CONFIG)
    result = run_python(project, """
        import main
        try:
            main.train.run(overrides=["lr=99,1"])
        except KeyboardInterrupt as interruption:
            print("interrupted:", interruption)
    """)
    assert result.returncode == 0, result.stderr
    assert "interrupted: interrupted by SIGINT" in result.stdout
    assert "2 runs: 0 COMPLETE, 1 FAILED (logs/1), 1 not started (point 2)" in result.stderr
    assert status(project / "logs" / "1") == "FAILED"
    assert run_dirs(project) == ["1"]


# --- @mlxp.launch forms ---------------------------------------------------------------------


@pytest.mark.parametrize("decorator", [
    pytest.param("@mlxp.launch", id="bare"),
    pytest.param("@mlxp.launch()", id="empty-parentheses"),
    pytest.param("@mlxp.launch(config_path='./configs')", id="keyword"),
    pytest.param("@mlxp.launch('./configs', seeding_function=lambda seed: None)",
                 id="positional-and-seeding"),
])
def test_every_form_of_the_decorator_runs_from_a_command_line(tmp_path: Path,
                                                              decorator: str) -> None:
    main = TASK.replace("@mlxp.launch", decorator) + "\ntrain()\n"
    project = make_project(tmp_path, main, CONFIG)
    result = run_main(project, "lr=7")
    assert result.returncode == 0, result.stderr
    assert "ran with 7" in result.stdout
    assert status(project / "logs" / "1") == "COMPLETE"


# --- mlxp.compose ---------------------------------------------------------------------------


def test_compose_gives_the_config_of_one_run_relative_to_the_current_directory(
        tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", TASK, "lr: 0.1\nname: run_${lr}\n")
    result = run_python(project, """
        import json, mlxp
        print(json.dumps(mlxp.compose("project/configs", overrides=["lr=0.5", "+tag=a"])))
        print(json.dumps(mlxp.compose("project/configs", ["mlxp.resolve=false"])))
        print(type(mlxp.compose("project/configs")).__name__)
    """, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert json.loads(lines[0]) == {"lr": 0.5, "name": "run_0.5", "tag": "a"}
    assert json.loads(lines[1]) == {"lr": 0.1, "name": "run_${lr}"}
    assert lines[2] == "ConfigDict"
    assert sorted(os.listdir(tmp_path)) == ["project"]  # nothing written
    assert sorted(os.listdir(project)) == ["configs", "main.py"]


def test_compose_sweep_gives_every_point_in_launch_order(tmp_path: Path) -> None:
    project = make_project(tmp_path, TASK, CONFIG)
    result = run_python(project, """
        import json, mlxp
        print(json.dumps(mlxp.compose_sweep(overrides=["lr=1,2", "seed=range(0,3)"])))
        print(json.dumps(mlxp.compose_sweep(overrides=["lr=5"])))
    """)
    assert result.returncode == 0, result.stderr
    sweep, single = (json.loads(line) for line in result.stdout.splitlines())
    assert [(c["lr"], c["seed"]) for c in sweep] == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1),
                                                    (2, 2)]
    assert single == [{"lr": 5, "seed": 0}]
    assert run_dirs(project) == []


@pytest.mark.parametrize("code, error, message", [
    pytest.param("mlxp.compose(overrides=['seed=1', 'lr=0.1,0.2'])", "OverrideError",
                 "'lr=0.1,0.2' sweeps (2 values); use mlxp.compose_sweep(...)", id="sweep"),
    pytest.param("mlxp.compose(overrides=['lr=choice(1)'])", "OverrideError",
                 "'lr=choice(1)' sweeps (1 values)", id="sweep-of-one"),
    pytest.param("mlxp.compose('cfgs')", "ConfigFileError",
                 "config_path='cfgs' starts from the current directory", id="missing-directory"),
    pytest.param("mlxp.compose(config_name='experiment')", "ConfigFileError",
                 "give the directory that holds experiment.yaml", id="missing-config-name"),
    pytest.param("mlxp.compose(overrides=['lr=[1'])", "OverrideSyntaxError", "argument 1",
                 id="malformed"),
    pytest.param("mlxp.compose_sweep(overrides=['-m'])", "UsageError",
                 "takes overrides only, not the flag '-m'", id="flag"),
])
def test_compose_refuses_with_a_clear_error_and_writes_nothing(tmp_path: Path, code: str,
                                                               error: str, message: str) -> None:
    project = make_project(tmp_path, TASK, CONFIG)
    result = run_python(project, f"""
        import mlxp
        try:
            {code}
        except mlxp.MLXPError as error:
            print(type(error).__name__, "|", error)
    """)
    assert result.returncode == 0, result.stderr
    name, _, text = result.stdout.partition(" | ")
    assert name == error and message in text, result.stdout
    assert sorted(os.listdir(project)) == ["configs", "main.py"]
    assert os.listdir(project / "configs") == ["config.yaml"]


def test_compose_in_a_kernel_ignores_the_kernels_argv(tmp_path: Path) -> None:
    project = make_project(tmp_path, TASK, CONFIG)
    result = run_python(project, f"""
        sys.argv = {KERNEL_ARGV!r}
        import mlxp
        print(mlxp.compose(overrides=["seed=3"]).seed)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"
