"""The launcher end to end, run as a user runs it: ``python main.py ...`` in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlxp import Reader
from projects import QUICKSTART, installed_command, make_project, metrics_lines, read_yaml, run_main

QUICKSTART_OUTPUT = """\
seed: 0
num_epoch: 10
model:
  num_units: 100
data:
  d_int: 10
  device: cpu
optimizer:
  lr: 10.0
"""

INFO_FIELDS = [
    "status", "current_file_path", "executable", "hostname", "process_id", "start_date",
    "start_time", "end_date", "end_time", "work_dir", "logger", "scheduler", "version_manager",
]


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    project = tmp_path / "my_project"
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns("logs", ".work_dir"))
    return project


def test_quickstart_prints_config_in_file_order_and_writes_the_guides_tree(quickstart: Path) -> None:
    result = run_main(quickstart)
    assert result.returncode == 0, result.stderr
    assert result.stdout == QUICKSTART_OUTPUT
    run = quickstart / "logs" / "1"
    for name in ("config.yaml", "info.yaml", "mlxp.yaml"):
        assert (run / "metadata" / name).is_file()
    assert metrics_lines(run) == [{"epoch": i} for i in range(10)]
    assert read_yaml(run / "metrics" / ".keys" / "train.yaml") == {"epoch": ""}
    assert read_yaml(run / "metadata" / "config.yaml")["optimizer"] == {"lr": 10.0}
    runs = Reader(str(quickstart / "logs")).filter("config.optimizer.lr == 10.")
    assert len(runs) == 1 and runs[0]["info.status"] == "COMPLETE"
    assert runs[0]["train.epoch"] == list(range(10))


def test_info_yaml_keeps_mlxps_fields_in_order_and_adds_provenance(quickstart: Path) -> None:
    assert run_main(quickstart, "seed=3").returncode == 0
    info = read_yaml(quickstart / "logs" / "1" / "metadata" / "info.yaml")
    assert list(info)[: len(INFO_FIELDS)] == INFO_FIELDS
    assert info["status"] == "COMPLETE"
    assert info["logger"]["log_id"] == 1
    assert info["current_file_path"] == str(quickstart / "main.py")
    assert info["overrides"] == ["seed=3"]
    assert info["error"] is None
    for key in ("user", "cmd", "python_version", "mlxp_version"):
        assert info[key]
    assert "seed=3" in info["cmd"]
    assert read_yaml(quickstart / "logs" / "1" / "metadata" / "mlxp.yaml")["use_logger"] is True


def test_runs_get_increasing_ids_and_logs_land_next_to_main_py(quickstart: Path, tmp_path: Path) -> None:
    for _ in range(2):
        assert run_main(quickstart, cwd=tmp_path).returncode == 0
    assert sorted(p.name for p in (quickstart / "logs").iterdir()) == ["1", "2"]
    assert not (tmp_path / "logs").exists()


def test_override_of_unknown_key_is_added_with_a_warning_naming_the_closest(quickstart: Path) -> None:
    result = run_main(quickstart, "optimizer.lr=0.1", "model.num_layers=6")
    assert result.returncode == 0, result.stderr
    assert "lr: 0.1" in result.stdout
    assert "num_layers: 6" in result.stdout
    assert "'model.num_layers'" in result.stderr and "'model.num_units'" in result.stderr
    config = read_yaml(quickstart / "logs" / "1" / "metadata" / "config.yaml")
    assert config["model"] == {"num_units": 100, "num_layers": 6}
    assert config["optimizer"]["lr"] == 0.1


def test_strict_overrides_refuses_unknown_key(quickstart: Path) -> None:
    result = run_main(quickstart, "model.num_layer=6", "mlxp.strict_overrides=true")
    assert result.returncode == 2
    assert "model.num_layer" in result.stderr and "Traceback" not in result.stderr
    assert not (quickstart / "logs").exists()


def test_missing_config_directory_is_created_and_the_run_goes_on(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main="""
        import mlxp

        @mlxp.launch(config_path="./configs")
        def task(ctx):
            print("config is", dict(ctx.config))

        task()
        """, config=None)
    result = run_main(project)
    assert result.returncode == 0, result.stderr
    assert "config is {}" in result.stdout
    assert (project / "configs" / "config.yaml").read_text() == ""
    assert "config.yaml" in result.stderr
    assert read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")["status"] == "COMPLETE"


@pytest.mark.parametrize(
    "config_text, line, column, words",
    [
        pytest.param("a: [1, 2\nb: 3\n", 2, 2, "unterminated list", id="unterminated-list"),
        pytest.param("model:\n\tunits: 3\n", 2, 1, "tab", id="tab-indent"),
        pytest.param("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a'", id="duplicate-key"),
        pytest.param("- 1\n- 2\n", 1, 1, "top level must be a mapping", id="top-level-list"),
        pytest.param("a: 1\nb: 'open\nc: 2\n", 2, 4, "unterminated quoted string: the quote"
                     " opened here is never closed", id="unterminated-quote"),
        pytest.param("a: 1\nb:\n  c: 2\n\td: 3\n", 4, 1,
                     "tab characters cannot indent YAML; use spaces", id="tab-on-line-4"),
        pytest.param("? [a, b]\n: 1\n", 1, 3, "a key must be a plain value", id="complex-key"),
    ],
)
def test_malformed_yaml_is_one_clear_line_with_position(
    tmp_path: Path, config_text: str, line: int, column: int, words: str
) -> None:
    project = make_project(tmp_path / "p", config=config_text)
    result = run_main(project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"config.yaml:{line}:{column}:" in lines[0]
    assert words in lines[0]
    assert not (project / "logs").exists()


def test_task_exception_keeps_traceback_exits_1_and_records_failed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main="""
        import mlxp

        @mlxp.launch()
        def task(ctx):
            ctx.logger.log_metrics({"step": 0})
            raise RuntimeError("diverged at step 0")

        task()
        """)
    result = run_main(project)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "RuntimeError: diverged at step 0" in result.stderr
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "FAILED"
    assert info["error"] == "RuntimeError: diverged at step 0"
    assert info["end_date"] and info["end_time"]


@pytest.mark.parametrize("code, status, returncode", [(0, "COMPLETE", 0), (3, "FAILED", 3)])
def test_sys_exit_in_task(tmp_path: Path, code: int, status: str, returncode: int) -> None:
    project = make_project(tmp_path / "p", main=f"""
        import sys
        import mlxp

        @mlxp.launch()
        def task(ctx):
            sys.exit({code})

        task()
        """)
    result = run_main(project)
    assert result.returncode == returncode
    assert read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")["status"] == status


def test_seeding_function_gets_the_seed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main="""
        import mlxp

        def seeder(seed):
            print("seeded with", seed)

        @mlxp.launch(config_path="./configs", seeding_function=seeder)
        def task(ctx):
            pass

        task()
        """, config="seed: 7\n")
    result = run_main(project, "seed=11")
    assert result.returncode == 0, result.stderr
    assert "seeded with 11" in result.stdout


def test_use_logger_false_writes_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main="""
        import mlxp

        @mlxp.launch()
        def task(ctx):
            print("logger is", ctx.logger)

        task()
        """)
    result = run_main(project, "mlxp.use_logger=false")
    assert result.returncode == 0, result.stderr
    assert "logger is None" in result.stdout
    assert not (project / "logs").exists()


def test_settings_from_mlxp_yaml_and_command_line(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", files={"configs/mlxp.yaml": "logger:\n  parent_log_dir: ./runs\n"})
    assert run_main(project).returncode == 0
    assert (project / "runs" / "1" / "metadata" / "info.yaml").is_file()
    assert run_main(project, "+mlxp.logger.parent_log_dir=./other").returncode == 0
    assert (project / "other" / "1").is_dir()
    assert run_main(project, "mlxp.logger.forced_log_id=7").returncode == 0
    assert (project / "runs" / "7" / "metrics" / "train.json").is_file()


@pytest.mark.parametrize(
    "mlxp_yaml, args, words",
    [
        pytest.param("logger:\n  parent_dir: x\n", [], ["mlxp.yaml", "logger.parent_dir",
                     "mlxp.logger.parent_log_dir"], id="unknown-key-in-file"),
        pytest.param("use_logger: 3\n", [], ["mlxp.yaml", "use_logger", "true or false"],
                     id="wrong-type-in-file"),
        pytest.param("", ["mlxp.use_loger=false"], ["mlxp.use_loger", "mlxp.use_logger"],
                     id="unknown-key-on-command-line"),
        pytest.param("", ["mlxp.scheduler.name=pbs"], ["scheduler.name", "slurm"],
                     id="bad-choice"),
    ],
)
def test_bad_settings_name_file_key_and_choices(tmp_path: Path, mlxp_yaml: str, args, words) -> None:
    files = {"configs/mlxp.yaml": mlxp_yaml} if mlxp_yaml else {}
    project = make_project(tmp_path / "p", files=files)
    result = run_main(project, *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr
    assert not (project / "logs").exists()


def test_config_name_and_config_path_flags(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", files={
        "configs/small.yaml": "num_epoch: 1\n", "elsewhere/config.yaml": "num_epoch: 3\n"})
    result = run_main(project, "--config-name", "small")
    assert result.returncode == 0, result.stderr
    assert len(metrics_lines(project / "logs" / "1")) == 1
    result = run_main(project, "-cp", str(project / "elsewhere"))
    assert result.returncode == 0, result.stderr
    assert len(metrics_lines(project / "logs" / "2")) == 3


def test_interpolation_is_resolved_and_stored_resolved(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", config="""
        num_epoch: 1
        data:
          root: ${oc.env:DATA_ROOT,/data}
          train: ${data.root}/train
        width: 8
        hidden: ${width}
        """)
    result = run_main(project, env={"DATA_ROOT": "/scratch"})
    assert result.returncode == 0, result.stderr
    config = read_yaml(project / "logs" / "1" / "metadata" / "config.yaml")
    assert config["data"] == {"root": "/scratch", "train": "/scratch/train"}
    assert config["hidden"] == 8


def test_64_concurrent_launches_get_64_distinct_run_directories(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    processes = [
        subprocess.Popen([sys.executable, str(project / "main.py")], cwd=str(project),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(64)
    ]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()
    runs = sorted(int(p.name) for p in (project / "logs").iterdir())
    assert runs == list(range(1, 65))
    pids = {read_yaml(project / "logs" / str(i) / "metadata" / "info.yaml")["process_id"] for i in runs}
    assert len(pids) == 64
    for i in runs:
        assert len(metrics_lines(project / "logs" / str(i))) == 2


def test_metadata_config_keeps_the_files_comments_with_overridden_values_in_place(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "p", config="""\
        # training options
        num_epoch: 2   # short, for tests
        optimizer:
          lr: 10.      # too large?
          name: 'sgd'
        data:
          device: cpu
        """)
    result = run_main(project, "optimizer.lr=0.1", "~data", "+model.width=8")
    assert result.returncode == 0, result.stderr
    text = (project / "logs" / "1" / "metadata" / "config.yaml").read_text()
    assert "# training options" in text and "# short, for tests" in text
    assert "lr: 0.1" in text and "# too large?" in text
    assert "name: 'sgd'" in text  # an untouched value keeps its spelling
    assert "data" not in text
    assert read_yaml(project / "logs" / "1" / "metadata" / "config.yaml") == {
        "num_epoch": 2, "optimizer": {"lr": 0.1, "name": "sgd"}, "model": {"width": 8}}


BOMB_LINES = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] + [
    f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]"
    for previous, name in zip("abcdefgh", "bcdefghi")
]


def _limit_memory_to_1_gib() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_an_alias_bomb_is_refused_under_a_memory_limit(tmp_path: Path) -> None:
    """Nine levels of aliases in ~340 bytes once took more than 4 GB: under a 1 GiB address
    space limit a regression fails with MemoryError instead of exhausting the machine."""
    project = make_project(tmp_path / "p", config="\n".join(BOMB_LINES) + "\n")
    assert len((project / "configs" / "config.yaml").read_bytes()) < 400
    result = subprocess.run(
        [sys.executable, str(project / "main.py")], cwd=str(project), capture_output=True,
        text=True, timeout=120, preexec_fn=_limit_memory_to_1_gib,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "configs/config.yaml:6:4: aliases here expand to" in lines[0]
    assert "MLXP_YAML_MAX_ALIAS_NODES" in lines[0]
    assert not (project / "logs").exists()


@pytest.mark.parametrize(
    "arguments, words",
    [
        pytest.param(["--config-name", "../../../etc/passwd"], "is not a file inside the config"
                     " directory", id="config-name-passwd"),
        pytest.param(["--config-name", "../../x"], "is not a file inside the config directory",
                     id="config-name-leaves"),
        pytest.param(["-cn=/etc/x"], "is not a file inside the config directory",
                     id="config-name-absolute"),
        pytest.param(["a=" + "[" * 3000 + "]" * 3000], "nest deeper than 100 levels",
                     id="override-3000-brackets"),
    ],
)
def test_hostile_arguments_are_usage_errors_that_create_nothing(
    tmp_path: Path, arguments: list, words: str
) -> None:
    project = make_project(tmp_path / "deep" / "er" / "p")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    result = run_main(project, *arguments)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and words in result.stderr
    assert result.stderr.startswith("main.py: error: ")
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_a_directory_named_config_yaml_is_a_clear_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", config=None)
    (project / "configs" / "config.yaml").mkdir(parents=True)
    result = run_main(project)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "configs/config.yaml: is a directory, not a YAML file" in result.stderr
    assert not (project / "logs").exists()


SUBMIT_LOCAL = ["mlxp.use_scheduler=true", "mlxp.scheduler.name=local", "--dry-run"]


@pytest.mark.parametrize(
    "arguments, words",
    [
        pytest.param(["optimizer.lrr=0.1,0.2"], ["unknown option 'optimizer.lrr'",
                     "did you mean 'optimizer.lr'", "write +optimizer.lrr=... to add it"],
                     id="typo-in-a-sweep"),
        pytest.param(["num_epochs=3"], ["'num_epochs'", "did you mean 'num_epoch'"],
                     id="typo-plural"),
        pytest.param(["optimiser.lr=0.1"], ["'optimiser.lr'", "did you mean 'optimizer.lr'"],
                     id="typo-in-the-parent"),
        pytest.param([*SUBMIT_LOCAL, "model.num_layers=6"], ["'model.num_layers'",
                     "in submit mode (mlxp.use_scheduler=true) a new key needs '+'",
                     "+model.num_layers=..."], id="submit-mode-new-key"),
        pytest.param(["model=small"], ["model=small would replace the mapping 'model' by a str",
                     "++model=..."], id="mapping-replaced-by-a-string"),
        pytest.param(["model=null"], ["replace the mapping 'model' by null"],
                     id="mapping-replaced-by-null"),
        pytest.param(["data=[1,2]"], ["replace the mapping 'data' by a list"],
                     id="mapping-replaced-by-a-list"),
    ],
)
def test_likely_mistakes_in_overrides_stop_the_launch(
    quickstart: Path, arguments: list, words: list
) -> None:
    result = run_main(quickstart, *arguments)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("main.py: error: ") and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr
    assert not (quickstart / "logs").exists()


@pytest.mark.parametrize(
    "arguments, shown",
    [
        pytest.param(["+optimizer.lrr=0.1"], "  lrr: 0.1", id="plus-adds-a-near-miss"),
        pytest.param(["optimizer.momentum=0.9"], "  momentum: 0.9", id="new-key-not-a-typo"),
        pytest.param(["++model=small"], "model: small", id="force-replaces-a-mapping"),
        pytest.param(["model={depth: 2}"], "model:\n  depth: 2", id="mapping-by-mapping"),
        pytest.param([*SUBMIT_LOCAL[:2], "--cfg", "+model.num_layers=6"], "  num_layers: 6",
                     id="submit-mode-with-plus"),
    ],
)
def test_deliberate_overrides_still_work(quickstart: Path, arguments: list, shown: str) -> None:
    result = run_main(quickstart, "--cfg", *arguments)
    assert result.returncode == 0, result.stderr
    assert shown in result.stdout


@pytest.mark.parametrize(
    "argument, warning",
    [
        pytest.param("num_epoch=ten", "num_epoch=ten changes 'num_epoch' from int (its type in"
                     " configs/config.yaml) to str", id="int-to-str"),
        pytest.param("num_epoch=true", "changes 'num_epoch' from int", id="int-to-bool"),
        pytest.param("data.device=0", "changes 'data.device' from str", id="str-to-int"),
        pytest.param("optimizer.lr=1", None, id="int-for-a-float"),
        pytest.param("num_epoch=2.5", None, id="float-for-an-int"),
        pytest.param("num_epoch=null", None, id="null"),
        pytest.param("data.device=gpu", None, id="same-type"),
    ],
)
def test_a_leaf_changing_type_is_a_one_line_warning(
    quickstart: Path, argument: str, warning: object
) -> None:
    result = run_main(quickstart, "--cfg", argument)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warning in warnings[0]
        assert warnings[0].startswith("mlxp: warning: ")


def test_a_sweep_warns_once_per_key(quickstart: Path) -> None:
    result = run_main(quickstart, "--cfg", "seed=a,b,c")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("changes 'seed' from int") == 1


@pytest.mark.parametrize(
    "command, words",
    [
        pytest.param("python main.py optimizer.lrr=10.,1. seed=1,2", "did you mean 'optimizer.lr'",
                     id="near-miss"),
        pytest.param("python main.py model.num_layers=6", "a new key needs '+'",
                     id="new-key-without-plus"),
    ],
)
def test_mlxpsub_submits_nothing_for_a_mistyped_key(
    quickstart: Path, tmp_path: Path, command: str, words: str
) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "oarsub").write_text("#!/bin/sh\ntouch \"$0.called\"\necho OAR_JOB_ID=1\n")
    (fake_bin / "oarsub").chmod(0o755)
    (quickstart / "bad.sh").write_text(f"#!/bin/bash\n#OAR -l core=1\n{command}\n")
    result = subprocess.run(
        [installed_command("mlxpsub"), "bad.sh"], cwd=str(quickstart), capture_output=True,
        text=True, timeout=120, env={**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"})
    assert result.returncode == 2, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (fake_bin / "oarsub.called").exists() and not (quickstart / "logs").exists()
