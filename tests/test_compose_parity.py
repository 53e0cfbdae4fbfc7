"""Composition parity with Hydra: the table of tests/compose_cases.py, through mlxp's launcher,
and (when the MLXP 1.0.5 venv, which brings Hydra 1.3, is there) through Hydra's ``compose``."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any, Dict

import pytest

from mlxp._cli import parse_command_line
from mlxp.errors import ConfigError
from mlxp._point_composer import compose_points
from tests.compose_cases import CASES, ERROR, Case
from tests.original import original_env, original_python


def _write_tree(root: Path, files: Dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _mlxp_compose(tmp_path: Path, case: Case) -> Any:
    config_dir = _write_tree(tmp_path / "configs", case.files)
    command_line = parse_command_line(["-cn", case.config_name, *case.overrides])
    try:
        points = compose_points(str(config_dir), command_line, str(tmp_path), None)
    except ConfigError:
        return ERROR
    return points.first.unresolved.to_dict()


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CASES])
def test_mlxp_composes_as_the_table_says(tmp_path: Path, case: Case) -> None:
    expected = case.hydra if case.mlxp is None else case.mlxp[0]
    composed = _mlxp_compose(tmp_path, case)
    assert composed == expected
    if expected != ERROR:  # the same order of keys too: printed configs read the same
        assert json.dumps(composed) == json.dumps(expected)


_HYDRA_SCRIPT = textwrap.dedent("""
    import json, sys
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf
    results = {}
    for case in json.load(sys.stdin):
        try:
            with initialize_config_dir(config_dir=case["dir"], version_base=None):
                config = compose(case["config_name"], overrides=case["overrides"])
            results[case["id"]] = OmegaConf.to_container(config)
        except BaseException:  # a refusal, whatever Hydra raises for it
            results[case["id"]] = "error"
    print(json.dumps(results))
""")


def test_the_table_records_what_hydra_composes(tmp_path: Path) -> None:
    python = original_python()
    payload = []
    for case in CASES:
        directory = _write_tree(tmp_path / case.id, case.files)
        payload.append({"id": case.id, "dir": str(directory), "config_name": case.config_name,
                        "overrides": case.overrides})
    result = subprocess.run([python, "-c", _HYDRA_SCRIPT], input=json.dumps(payload),
                            capture_output=True, text=True, timeout=300, cwd=str(tmp_path),
                            env=original_env())
    assert result.returncode == 0, result.stderr[-2000:]
    composed = json.loads(result.stdout.strip().splitlines()[-1])
    differing = {case.id: (composed[case.id], case.hydra) for case in CASES
                 if json.dumps(composed[case.id]) != json.dumps(case.hydra)}
    assert not differing, differing
