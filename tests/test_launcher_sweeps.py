"""Local sweeps and the launcher's flags, run as a user runs them."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from projects import make_project, read_yaml, run_main, timeless

SWEEP_TASK = """
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    print("running", ctx.config.optimizer.lr, ctx.config.seed)
    if ctx.config.seed == ctx.config.get("fail_on_seed"):
        raise ValueError(f"seed {ctx.config.seed} is unlucky")
    ctx.logger.log_metrics({"seed": ctx.config.seed})

task()
"""
CONFIG = "seed: 0\noptimizer:\n  lr: 0.1\ndata:\n  device: cpu\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p", main=SWEEP_TASK, config=CONFIG)


def _configs(project: Path) -> list:
    runs = sorted((project / "logs").iterdir(), key=lambda p: int(p.name))
    return [read_yaml(run / "metadata" / "config.yaml") for run in runs]


def test_sweep_runs_every_point_in_order_each_in_its_own_directory(project: Path) -> None:
    result = run_main(project, "optimizer.lr=10.,1.", "seed=1,2")
    assert result.returncode == 0, result.stderr
    points = [(c["optimizer"]["lr"], c["seed"]) for c in _configs(project)]
    assert points == [(10.0, 1), (10.0, 2), (1.0, 1), (1.0, 2)]
    progress = [line for line in timeless(result.stderr) if line.startswith("[")]
    assert progress == [
        "[1/4] logs/1 optimizer.lr=10. seed=1",
        "[1/4] logs/1 COMPLETE T | 1/4 done, T elapsed, ETA T",
        "[2/4] logs/2 optimizer.lr=10. seed=2",
        "[2/4] logs/2 COMPLETE T | 2/4 done, T elapsed, ETA T",
        "[3/4] logs/3 optimizer.lr=1. seed=1",
        "[3/4] logs/3 COMPLETE T | 3/4 done, T elapsed, ETA T",
        "[4/4] logs/4 optimizer.lr=1. seed=2",
        "[4/4] logs/4 COMPLETE T | 4/4 done, T elapsed",
    ]
    assert result.stderr.splitlines()[-1] == "4 runs: 4 COMPLETE"
    info = read_yaml(project / "logs" / "2" / "metadata" / "info.yaml")
    assert info["overrides"] == ["optimizer.lr=10.", "seed=2"]


@pytest.mark.parametrize(
    "args, expected",
    [
        pytest.param(["seed=range(1,4)"], [1, 2, 3], id="range"),
        pytest.param(["seed=choice(5,6)"], [5, 6], id="choice"),
        pytest.param(["seed=1,2", "seed=7"], [7], id="last-wins"),
    ],
)
def test_sweep_forms(project: Path, args, expected) -> None:
    result = run_main(project, *args)
    assert result.returncode == 0, result.stderr
    assert [c["seed"] for c in _configs(project)] == expected


@pytest.mark.parametrize(
    "arg, key, expected",
    [
        pytest.param("optimizer.lr=[1,2]", ("optimizer", "lr"), [[1, 2]], id="list-is-one-run"),
        pytest.param("data.device='a,b'", ("data", "device"), ["a,b"], id="quoted-comma"),
        pytest.param("+x=[1,2],[3,4]", ("x",), [[1, 2], [3, 4]], id="sweep-of-lists"),
        pytest.param("data.device=a\\,b", ("data", "device"), ["a,b"], id="escaped-comma"),
    ],
)
def test_values_that_are_not_sweeps(project: Path, arg: str, key, expected) -> None:
    result = run_main(project, arg)
    assert result.returncode == 0, result.stderr
    values = []
    for config in _configs(project):
        for part in key:
            config = config[part]
        values.append(config)
    assert values == expected


def test_a_failing_point_does_not_stop_the_others(project: Path) -> None:
    result = run_main(project, "seed=1,2,3", "+fail_on_seed=2")
    assert result.returncode == 1
    statuses = [read_yaml(run / "metadata" / "info.yaml")["status"]
                for run in sorted((project / "logs").iterdir())]
    assert statuses == ["COMPLETE", "FAILED", "COMPLETE"]
    failed = read_yaml(project / "logs" / "2" / "metadata" / "info.yaml")
    assert failed["error"] == "ValueError: seed 2 is unlucky"
    lines = timeless(result.stderr)
    sweep_id = read_yaml(project / "logs" / "2" / "metadata" / "info.yaml")["sweep_id"]
    assert lines[:4] == [
        "[1/3] logs/1 seed=1 +fail_on_seed=2",
        "[1/3] logs/1 COMPLETE T | 1/3 done, T elapsed, ETA T",
        "[2/3] logs/2 seed=2 +fail_on_seed=2",
        "[2/3] logs/2 FAILED T: ValueError: seed 2 is unlucky (traceback in logs/2/log.stderr)"
        " | 2/3 done, T elapsed, ETA T",
    ]
    # the end of the traceback, indented, then the next point
    assert lines[4:9][-2:] == ['        raise ValueError(f"seed {ctx.config.seed} is unlucky")',
                               "    ValueError: seed 2 is unlucky"]
    assert lines[9:] == [
        "[3/3] logs/3 seed=3 +fail_on_seed=2",
        "[3/3] logs/3 COMPLETE T | 3/3 done, T elapsed",
        "FAILED logs/2: ValueError: seed 2 is unlucky",
        f"to run what did not finish again: mlxp rerun logs --sweep {sweep_id}",
        "3 runs: 2 COMPLETE, 1 FAILED (logs/2)",
    ]
    traceback = (project / "logs" / "2" / "log.stderr").read_text()
    assert traceback.startswith("Traceback") and "seed 2 is unlucky" in traceback
    assert not (project / "logs" / "1" / "log.stderr").exists()


def test_with_streams_logged_a_failed_points_traceback_is_in_its_log_once(project: Path) -> None:
    result = run_main(project, "seed=1,2", "+fail_on_seed=2", "mlxp.logger.log_streams_to_file=true")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (project / "logs" / "2" / "log.stderr").read_text().count("Traceback") == 1


EXITING_TASK = """
import sys
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    sys.exit(ctx.config.seed)

task()
"""


def test_a_single_run_exits_with_the_tasks_own_code(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main=EXITING_TASK, config="seed: 0\n")
    result = run_main(project, "seed=3")
    assert result.returncode == 3
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["status"] == "FAILED" and info["error"] == "SystemExit: exit code 3"


def test_a_sweep_exits_1_when_a_point_exits_non_zero(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main=EXITING_TASK, config="seed: 0\n")
    result = run_main(project, "seed=0,3")
    assert result.returncode == 1
    assert "[2/2] logs/2 FAILED T: SystemExit: exit code 3 | 2/2 done, T elapsed" in timeless(
        result.stderr)
    assert result.stderr.splitlines()[-1] == "2 runs: 1 COMPLETE, 1 FAILED (logs/2)"


def test_six_failures_print_one_line_each_and_the_summary(project: Path) -> None:
    result = run_main(project, "seed=range(1,7)", "+fail_on_seed=${seed}")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    failures = [line for line in lines if line.startswith("[") and " FAILED " in line]
    assert len(failures) == 6 and len([line for line in lines if line.startswith("FAILED ")]) == 6
    assert result.stderr.splitlines()[-1] == (
        "6 runs: 0 COMPLETE, 6 FAILED (logs/1, logs/2, logs/3, logs/4, logs/5, logs/6)")


INTERRUPTIBLE_TASK = """
import time
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    if ctx.config.seed == 1:
        raise ValueError("seed 1 fails")
    if ctx.config.seed == 3:
        print("running 3", flush=True)
        while True:
            time.sleep(0.05)

task()
"""


@pytest.mark.parametrize("signum, code, name", [
    pytest.param(signal.SIGINT, 130, "interrupted by SIGINT", id="ctrl-c"),
    pytest.param(signal.SIGTERM, 143, "terminated by SIGTERM", id="sigterm"),
])
def test_a_signal_stops_the_sweep_with_a_summary_and_its_exit_code(
    tmp_path: Path, signum: int, code: int, name: str
) -> None:
    project = make_project(tmp_path / "p", main=INTERRUPTIBLE_TASK, config="seed: 0\n")
    process = subprocess.Popen([sys.executable, "main.py", "seed=1,2,3,4,5"], cwd=str(project),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "running 3\n"
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code, stderr
    assert stderr.splitlines()[-1] == (
        f"5 runs: 1 COMPLETE, 2 FAILED (logs/1, logs/3), 2 not started (points 4-5); {name}")
    assert "Traceback" not in stderr
    statuses = [read_yaml(project / "logs" / str(i) / "metadata" / "info.yaml")["status"]
                for i in (1, 2, 3)]
    assert statuses == ["FAILED", "COMPLETE", "FAILED"]
    assert sorted(p.name for p in (project / "logs").iterdir()) == ["1", "2", "3"]
    assert name in read_yaml(project / "logs" / "3" / "metadata" / "info.yaml")["error"]


def test_the_runs_of_one_command_share_a_sweep_id_the_reader_can_filter_on(
    project: Path
) -> None:
    assert run_main(project, "seed=1,2").returncode == 0
    assert run_main(project, "seed=3").returncode == 0
    ids = [read_yaml(project / "logs" / str(i) / "metadata" / "info.yaml")["sweep_id"]
           for i in (1, 2, 3)]
    assert ids[0] == ids[1] != ids[2] and all(ids)
    from mlxp import Reader

    rows = Reader(str(project / "logs")).filter(f"info.sweep_id == '{ids[0]}'")
    assert sorted(row["config.seed"] for row in rows) == [1, 2]


def test_dry_run_prints_each_point_before_a_bad_later_point_stops_it(project: Path) -> None:
    result = run_main(project, "--dry-run", "seed=1,2,3", "+x=1,'${nope}',3")
    assert result.returncode == 2
    assert result.stdout.splitlines() == ["[1/9] logs/1 seed=1 +x=1"]
    assert "cannot resolve '${nope}'" in result.stderr and "Traceback" not in result.stderr
    assert not (project / "logs").exists()


def test_a_bad_later_point_stops_a_real_sweep_before_anything_runs(project: Path) -> None:
    result = run_main(project, "seed=1,2,3", "+x=1,'${nope}',3")
    assert result.returncode == 2
    assert "running" not in result.stdout and not (project / "logs").exists()


def test_dry_run_lists_points_and_directories_and_writes_nothing(project: Path) -> None:
    (project / "logs" / "5").mkdir(parents=True)
    result = run_main(project, "--dry-run", "seed=1,2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[1/2] logs/6 seed=1", "[2/2] logs/7 seed=2"]
    assert [p.name for p in (project / "logs").iterdir()] == ["5"]
    assert "running" not in result.stdout


def test_cfg_prints_each_points_config_and_exits(project: Path) -> None:
    result = run_main(project, "--cfg", "seed=1,2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("optimizer:\n  lr: 0.1") == 2
    assert "seed: 1" in result.stdout and "seed: 2" in result.stdout
    assert not (project / "logs").exists()


def test_help_shows_usage_grammar_and_config_keys(project: Path) -> None:
    result = run_main(project, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: main.py")
    assert "key=1,2,3" in result.stdout and "--dry-run" in result.stdout
    assert "optimizer.lr=0.1" in result.stdout and "data.device=cpu" in result.stdout
    assert not (project / "logs").exists()


@pytest.mark.parametrize(
    "args, words, column",
    [
        pytest.param(["seed=1", "optimizer.lr=[1,2"], ["argument 2", "']'"], 13,
                     id="unclosed-bracket"),
        pytest.param(["seed=range(5,1)"], ["argument 1", "range"], None, id="bad-range"),
        pytest.param(["=3"], ["argument 1", "key"], 0, id="empty-key"),
    ],
)
def test_malformed_override_shows_argument_and_caret_and_writes_nothing(
    project: Path, args, words, column
) -> None:
    result = run_main(project, *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr
    lines = result.stderr.splitlines()
    caret_lines = [line for line in lines if line.strip() == "^"]
    assert len(caret_lines) == 1
    if column is not None:
        argument_line = lines[lines.index(caret_lines[0]) - 1]
        assert caret_lines[0].index("^") - argument_line.index(args[-1][0]) == column
    assert not (project / "logs").exists()


@pytest.mark.parametrize(
    "arg, words",
    [
        pytest.param("+seed=3", ["already in the config", "seed=...", "++seed=..."], id="add-existing"),
        pytest.param("~optimizer.lrr", ["cannot delete", "did you mean 'optimizer.lr'"],
                     id="delete-missing"),
    ],
)
def test_key_errors_before_anything_runs(project: Path, arg: str, words) -> None:
    result = run_main(project, "seed=1,2", arg)
    assert result.returncode == 2
    for word in words:
        assert word in result.stderr
    assert "running" not in result.stdout
    assert not (project / "logs").exists()


def test_delete_and_force_add(project: Path) -> None:
    result = run_main(project, "~data", "++optimizer.momentum=0.9", "++seed=4")
    assert result.returncode == 0, result.stderr
    config = _configs(project)[0]
    assert "data" not in config
    assert config["optimizer"] == {"lr": 0.1, "momentum": 0.9}
    assert config["seed"] == 4


def test_unknown_flag_is_a_usage_error(project: Path) -> None:
    result = run_main(project, "--frobnicate")
    assert result.returncode == 2
    assert "unknown flag '--frobnicate'" in result.stderr
