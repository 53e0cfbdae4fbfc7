"""Config groups on the command line and their errors, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from hypothesis import given, settings

from mlxp._composition import CACHE_SIZE, GroupComposer
from mlxp._cli import parse_command_line
from mlxp.errors import ConfigGroupError
from mlxp.sweep import expand_sweep
from projects import make_project, read_yaml, run_main
from strategies import group_trees

TASK = """
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    print(ctx.config.to_dict())

task()
"""
FILES = {
    "configs/model/resnet.yaml": "name: resnet\nlayers: 50\n",
    "configs/model/vit.yaml": "name: vit\npatch: 16\n",
    "configs/db/mysql.yaml": "host: mysql\n",
}
CONFIG = "defaults:\n  - model: resnet\n  - _self_\nlr: 0.1\nseed: 0\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p", main=TASK, config=CONFIG, files=FILES)


def _run_configs(project: Path) -> List[dict]:
    runs = sorted((project / "logs").iterdir(), key=lambda p: int(p.name))
    return [read_yaml(run / "metadata" / "config.yaml") for run in runs]


def test_a_sweep_over_a_group_and_a_value_is_their_product_first_slowest(project: Path) -> None:
    result = run_main(project, "model=resnet,vit", "lr=1,2")
    assert result.returncode == 0, result.stderr
    points = [(c["model"]["name"], c["lr"]) for c in _run_configs(project)]
    assert points == [("resnet", 1), ("resnet", 2), ("vit", 1), ("vit", 2)]
    assert all("defaults" not in config for config in _run_configs(project))
    info = read_yaml(project / "logs" / "3" / "metadata" / "info.yaml")
    assert info["choices"] == {"model": "vit"} and info["overrides"] == ["model=vit", "lr=1"]


def test_plus_adds_a_group_that_the_defaults_list_does_not_name(project: Path) -> None:
    result = run_main(project, "+db=mysql", "~model")
    assert result.returncode == 0, result.stderr
    assert _run_configs(project) == [{"lr": 0.1, "seed": 0, "db": {"host": "mysql"}}]


def test_a_mapping_for_a_group_key_sets_values(project: Path) -> None:
    result = run_main(project, "model={name: custom, layers: 3}")
    assert result.returncode == 0, result.stderr
    assert _run_configs(project)[0]["model"] == {"name": "custom", "layers": 3}


def test_mlxp_keys_stay_settings_even_with_a_group_named_mlxp(project: Path) -> None:
    (project / "configs" / "mlxp").mkdir()
    result = run_main(project, "mlxp.use_logger=false")
    assert result.returncode == 0, result.stderr
    assert not (project / "logs").exists()


@pytest.mark.parametrize("config_name, suggestion", [
    pytest.param("confg", "did you mean 'config'?", id="near-miss"),
    pytest.param("experiments/larg", "did you mean 'experiments/large'?", id="in-subdirectory"),
])
def test_a_config_name_that_does_not_exist_is_an_error_that_creates_nothing(
        project: Path, config_name: str, suggestion: str) -> None:
    (project / "configs" / "experiments").mkdir()
    (project / "configs" / "experiments" / "large.yaml").write_text("lr: 1\n")
    before = sorted(str(p) for p in project.rglob("*"))
    result = run_main(project, "-cn", config_name)
    assert result.returncode == 2
    assert result.stderr.startswith(f"main.py: error: --config-name {config_name!r}: no ")
    assert suggestion in result.stderr and "Traceback" not in result.stderr
    assert sorted(str(p) for p in project.rglob("*")) == before


def test_a_bad_point_anywhere_in_a_group_sweep_stops_it_before_any_run(project: Path) -> None:
    result = run_main(project, "model=resnet,vitt", "lr=1,2")
    assert result.returncode == 2
    assert "group 'model' has no option 'vitt'" in result.stderr
    assert "did you mean 'vit'?" in result.stderr
    # one line, with the file relative to where the user stands and the options that exist
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("main.py: error: configs/config.yaml:")
    assert "the options of 'model' are: resnet, vit" in result.stderr
    assert not (project / "logs").exists()


def test_dry_run_streams_a_group_sweep_of_100000_points(project: Path) -> None:
    process = subprocess.Popen([sys.executable, "main.py", "--dry-run", "model=resnet,vit",
                                "lr=range(0,50000)"], cwd=str(project), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = process.stdout.readline()  # printed before the other points are composed
    process.stdout.close()
    process.wait(timeout=60)
    assert first.startswith("[1/100000] logs/1 model=resnet lr=0")
    assert "Traceback" not in process.stderr.read()


def test_the_cache_composes_each_selection_once_and_stays_bounded(tmp_path: Path) -> None:
    config_dir = tmp_path / "configs"
    (config_dir / "model").mkdir(parents=True)
    (config_dir / "config.yaml").write_text("defaults:\n  - model: m0\n")
    names = [f"m{n}" for n in range(CACHE_SIZE + 10)]
    for name in names:
        (config_dir / "model" / f"{name}.yaml").write_text(f"name: {name}\n")
    composer = GroupComposer(str(config_dir))
    sweep = expand_sweep(parse_command_line([f"model={','.join(names)}", "lr=1,2"]).overrides)
    configs = [composer.compose_config(composer.split(point)[0]) for point in sweep]
    assert [config.model.name for config in configs[::2]] == names
    assert len(composer._cache) == CACHE_SIZE
    configs[0].model.name = "changed"  # each caller gets its own copy
    assert composer.compose_config(composer.split(sweep[1])[0]).model.name == "m0"


def _error(tmp_path: Path, files: Dict[str, str], argv: List[str]) -> ConfigGroupError:
    for name, text in files.items():
        path = tmp_path / "configs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    composer = GroupComposer(str(tmp_path / "configs"))
    point = expand_sweep(parse_command_line(argv).overrides)[0]
    with pytest.raises(ConfigGroupError) as caught:
        composer.compose(composer.split(point)[0])
    return caught.value


MODELS = {"model/resnet.yaml": "a: 1\n", "model/vit.yaml": "a: 2\n"}


@pytest.mark.parametrize("files, argv, path, line, group, options, reason", [
    pytest.param({**MODELS, "config.yaml": "lr: 1\ndefaults:\n  - model: vitt\n"}, [],
                 "config.yaml", 3, "model", ("resnet", "vit"),
                 "group 'model' has no option 'vitt' (did you mean 'vit'?)", id="unknown-option"),
    pytest.param({**MODELS, "config.yaml": "defaults:\n  - model: resnet\n"}, ["model=vitt"],
                 "config.yaml", 2, "model", ("resnet", "vit"),
                 "group 'model' has no option 'vitt', chosen on the command line (did you mean"
                 " 'vit'?)", id="unknown-option-on-command-line"),
    pytest.param({**MODELS, "config.yaml": "defaults:\n  - modle: vit\n"}, [],
                 "config.yaml", 2, "modle", (),
                 "no config group 'modle': no directory modle/ in the config directory (did you"
                 " mean 'model'?)", id="unknown-group"),
    pytest.param({"config.yaml": "defaults:\n  - a\n", "a.yaml": "defaults:\n  - b\n",
                  "b.yaml": "x: 1\ndefaults:\n  - a\n"}, [], "b.yaml", 3, None, (),
                 "the defaults lists form a cycle: config -> a -> b -> a; remove one of these"
                 " entries", id="cycle"),
    pytest.param({**MODELS, "config.yaml": "defaults:\n  - model: resnet\n  - model: vit\n"},
                 [], "config.yaml", 2, "model", ("resnet", "vit"),
                 "group 'model' is chosen twice, as 'vit' (config.yaml:3) and as 'resnet': keep"
                 " one, or write 'override model: resnet'", id="package-clash"),
    pytest.param({**MODELS, "config.yaml": "defaults:\n  - model: resnet\n"}, ["+model=vit"],
                 "config.yaml", 2, "model", ("resnet", "vit"),
                 "group 'model' is chosen twice, as 'vit' (the command line) and as 'resnet':"
                 " keep one, or write 'override model: resnet'", id="append-existing-group"),
    pytest.param({**MODELS, "config.yaml": "defaults:\n  - _self_\n  - model: vit\n  - _self_\n"},
                 [], "config.yaml", 4, None, (),
                 "_self_ appears twice in the defaults list (first on line 2); keep one",
                 id="self-twice"),
    pytest.param({**MODELS, "config.yaml": "defaults:\n  - db: x\n  - model: ${db}\n"}, [],
                 "config.yaml", 3, None, (),
                 "the option of 'model' is an interpolation, which mlxp does not resolve in"
                 " defaults lists; name the option, and choose another on the command line"
                 " (model=OPTION) or with an 'override' entry", id="interpolated-option"),
    pytest.param({**MODELS, "config.yaml": "defaults:\n  - exp: e\n  - model: resnet\n",
                  "exp/e.yaml": "# @package _global_\ndefaults:\n  - override /model: vit\n"},
                 [], "exp/e.yaml", 3, "model", ("resnet", "vit"),
                 "'override model' is read after 'model' was chosen (config.yaml:3): list the"
                 " entry that brings in exp/e.yaml after that one", id="override-read-too-late"),
    pytest.param({**MODELS, "config.yaml": "defaults:\n  - model: resnet\n  - exp: e\n",
                  "exp/e.yaml": "defaults:\n  - override /model: vit\n"}, [],
                 "exp/e.yaml", 2, "model", ("resnet", "vit"),
                 "cannot override 'model@exp.model': no 'model@exp.model' in the defaults list;"
                 " did you mean model? (an override is read in the package of its config, exp:"
                 " give exp/e.yaml a '# @package _global_' header)", id="override-in-a-package"),
    pytest.param({**MODELS, "config.yaml": "defaults:\n  - model: ???\n"}, [],
                 "config.yaml", 2, "model", ("resnet", "vit"),
                 "no option chosen for group 'model': choose one with model=OPTION",
                 id="mandatory"),
])
def test_composition_errors_name_file_line_group_and_options(
        tmp_path: Path, files: Dict[str, str], argv: List[str], path: Optional[str],
        line: Optional[int], group: Optional[str], options: tuple, reason: str) -> None:
    error = _error(tmp_path, files, argv)
    where = os.path.join(str(tmp_path), "configs", path) if path else None
    shown = error.reason.replace(os.path.join(str(tmp_path), "configs", ""), "")
    assert (error.path, error.line, error.group, error.options, shown) == \
        (where, line, group, options, reason)
    assert str(error).startswith(f"{where}:{line}: " if where else reason)


@pytest.mark.parametrize("argument, models", [
    pytest.param("model=glob(*)", ["resnet", "vit"], id="all"),
    pytest.param("model=glob(*,exclude=vit*)", ["resnet"], id="exclude"),
    pytest.param("model=glob(v*)", ["vit"], id="include"),
])
def test_glob_sweeps_over_the_options_of_a_group(project: Path, argument: str,
                                                 models: List[str]) -> None:
    result = run_main(project, argument, "lr=1,2")
    assert result.returncode == 0, result.stderr
    points = [(c["model"]["name"], c["lr"]) for c in _run_configs(project)]
    assert points == [(model, lr) for model in models for lr in (1, 2)]


def test_package_and_nested_group_overrides_on_the_command_line(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main=TASK, config=(
        "defaults:\n  - model@encoder: resnet\n  - model@decoder: vit\n  - _self_\n"),
        files={**FILES, "configs/model/vit.yaml": "defaults:\n  - backbone: small\n  - _self_\n"
               "name: vit\n", "configs/model/backbone/small.yaml": "width: 1\n",
               "configs/model/backbone/large.yaml": "width: 4\n"})
    result = run_main(project, "model@encoder=vit,resnet", "model/backbone@decoder.backbone=large")
    assert result.returncode == 0, result.stderr
    configs = _run_configs(project)
    assert [config["encoder"]["name"] for config in configs] == ["vit", "resnet"]
    assert configs[0]["encoder"]["backbone"] == {"width": 1}
    assert configs[0]["decoder"]["backbone"] == {"width": 4}
    info = read_yaml(project / "logs" / "1" / "metadata" / "info.yaml")
    assert info["choices"]["model@encoder"] == "vit"


@settings(max_examples=60, deadline=None)
@given(tree=group_trees())
def test_a_composition_is_each_chosen_option_under_its_group_then_the_primary(tree) -> None:
    contents, defaults, chosen = tree
    with tempfile.TemporaryDirectory() as directory:
        configs = Path(directory)
        for group, options in contents.items():
            (configs / group).mkdir()
            for number, content in enumerate(options):
                (configs / group / f"o{number}.yaml").write_text(json.dumps(content))
        (configs / "config.yaml").write_text(json.dumps(
            {"defaults": [{group: f"o{number}"} for group, number in defaults.items()],
             "own": 1}))
        argv = [f"{group}=o{number}" for group, number in chosen.items() if number is not None]
        composer = GroupComposer(str(configs))
        point = expand_sweep(parse_command_line(argv).overrides)[0]
        selection = composer.split(point)[0]
        composed = composer.compose_config(selection)
        again = composer.compose_config(selection)  # from the cache
        fresh = GroupComposer(str(configs)).compose_config(selection)
    picked = {group: number if chosen[group] is None else chosen[group]
              for group, number in defaults.items()}
    expected = {group: contents[group][number] for group, number in picked.items()}
    assert composed == again == fresh == {**expected, "own": 1}
    assert list(composed) == [*contents, "own"]


def test_info_defaults_tree_shows_which_config_named_each_option(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", main=TASK, config=(
        "defaults:\n  - model: vit\n  - optional db: none\n  - _self_\n"),
        files={**FILES, "configs/model/vit.yaml": "defaults:\n  - backbone: small\n  - _self_\n",
               "configs/model/backbone/small.yaml": "width: 1\n"})
    result = run_main(project, "--info", "defaults-tree")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Defaults Tree", "*************", "<root>:", "  config:", "    model: vit:",
        "      model/backbone: small", "      _self_", "    db: none (deleted)", "    _self_"]
    assert not (project / "logs").exists()


@pytest.mark.parametrize("argv", [
    pytest.param(["--info", "config"], id="hydra-choice-mlxp-lacks"),
    pytest.param(["--info=plugins"], id="inline"),
])
def test_info_takes_defaults_or_defaults_tree(project: Path, argv: List[str]) -> None:
    result = run_main(project, *argv)
    assert result.returncode == 2
    assert result.stderr.startswith("main.py: error: --info takes defaults or defaults-tree")
