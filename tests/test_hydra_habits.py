"""Hydra habits on the launcher's command line (issue 14, item 8): ``--cfg job|all``,
``-m``/``--multirun``, and ``hydra.*`` overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlxp._cli import parse_command_line
from mlxp.errors import OverrideError, UsageError
from projects import make_project, run_main

CONFIG = "seed: 3\nlr: ${seed}\nnum_epoch: 1\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", config=CONFIG)


@pytest.mark.parametrize(
    "flags, shown, hidden",
    [
        pytest.param(["--cfg"], ["seed: 3", "lr: 3"], ["mlxp:", "${seed}"], id="alone-resolved"),
        pytest.param(["--cfg", "job"], ["seed: 3", "lr: ${seed}"], ["mlxp:"], id="job-as-written"),
        pytest.param(["--cfg=job"], ["lr: ${seed}"], ["mlxp:"], id="job-equals"),
        pytest.param(["-c", "job", "--resolve"], ["lr: 3"], ["${seed}"], id="job-resolved"),
        pytest.param(["--cfg", "all"], ["lr: ${seed}", "mlxp:\n  logger:\n    name:"], [],
                     id="all-with-settings"),
        pytest.param(["--cfg", "job", "seed=4"], ["seed: 4"], [], id="job-then-override"),
    ],
)
def test_cfg_prints_the_composed_config_as_hydra_does(
    project: Path, flags: list, shown: list, hidden: list
) -> None:
    result = run_main(project, *flags)
    assert result.returncode == 0, result.stderr
    for text in shown:
        assert text in result.stdout
    for text in hidden:
        assert text not in result.stdout
    assert not (project / "logs").exists()


@pytest.mark.parametrize(
    "argv, words",
    [
        pytest.param(["--cfg", "hydra"], ["mlxp has no Hydra config", "--cfg all"], id="hydra"),
        pytest.param(["--cfg", "everything"], ["--cfg takes job or all"], id="unknown"),
        pytest.param(["--resolve"], ["--resolve goes with --cfg"], id="resolve-alone"),
    ],
)
def test_cfg_misuses_are_usage_errors(argv: list, words: list) -> None:
    with pytest.raises(UsageError) as caught:
        parse_command_line(argv)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("flag", ["-m", "--multirun"])
def test_multirun_is_accepted_with_a_one_line_note(project: Path, flag: str) -> None:
    result = run_main(project, flag, "seed=1,2")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "multirun" in line]
    assert notes == ["main.py: note: -m/--multirun is not needed: a sweep (key=a,b) runs every"
                     " point without it; ignoring it"]
    assert sorted(p.name for p in (project / "logs").iterdir()) == ["1", "2"]


@pytest.mark.parametrize(
    "argument, instead",
    [
        pytest.param("hydra.run.dir=out", "mlxp.logger.parent_log_dir", id="run-dir"),
        pytest.param("hydra.sweep.dir=multi", "mlxp.logger.parent_log_dir", id="sweep-dir"),
        pytest.param("hydra/launcher=submitit_slurm", "mlxpsub", id="launcher-group"),
        pytest.param("hydra.launcher.timeout_min=60", "mlxpsub", id="launcher-key"),
        pytest.param("hydra/sweeper=optuna", "key=a,b", id="sweeper"),
        pytest.param("hydra.mode=MULTIRUN", "without any mode", id="mode"),
        pytest.param("hydra.job.chdir=true", "directory it is launched from", id="chdir"),
        pytest.param("hydra/job_logging=disabled", "log_streams_to_file", id="logging"),
        pytest.param("+hydra.output_subdir=null", "metadata", id="plus"),
        pytest.param("~hydra.verbose", "log_streams_to_file", id="delete"),
        pytest.param("hydra.searchpath=[pkg://x]", "mlxp.* keys", id="other"),
    ],
)
def test_hydra_overrides_say_what_mlxp_does_instead(argument: str, instead: str) -> None:
    with pytest.raises(OverrideError) as caught:
        parse_command_line(["seed=1", argument])
    error = caught.value
    assert error.index == 2 and error.argument == argument
    assert str(error).startswith(f"argument 2: {argument!r} sets Hydra's config")
    assert instead in str(error)


@pytest.mark.parametrize("argument", ["hydrate=1", "model.hydra.x=1", "+hydras=2"])
def test_keys_merely_like_hydra_are_overrides(argument: str) -> None:
    assert [o.text for o in parse_command_line([argument]).overrides] == [argument]


def test_a_hydra_override_stops_the_launch_before_anything_runs(project: Path) -> None:
    result = run_main(project, "hydra.run.dir=out")
    assert result.returncode == 2
    assert result.stderr.startswith("main.py: error: argument 1: 'hydra.run.dir=out'")
    assert not (project / "logs").exists()
