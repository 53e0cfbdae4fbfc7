"""Secrets: config values from the environment under a secret-looking key are masked."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from mlxp.config import env_sourced_keys
from mlxp.results.runs import load_summaries
from mlxp.results.secrets import MASK, looks_secret, mask_config

from tests.reader.runs import make_run


@pytest.mark.parametrize("key, secret", [
    pytest.param("wandb.api_key", True, id="snake"),
    pytest.param("hfToken", True, id="camel"),
    pytest.param("DB_PASSWORD", True, id="upper"),
    pytest.param("aws.SECRET-ACCESS", True, id="dash"),
    pytest.param("secret", True, id="alone"),
    pytest.param("apikey", True, id="apikey"),
    pytest.param("num_tokens", False, id="plural-word"),
    pytest.param("monkey", False, id="inside-a-word"),
    pytest.param("keyboard.layout", False, id="prefix-of-a-word"),
    pytest.param("optimizer.lr", False, id="plain"),
])
def test_looks_secret(key: str, secret: bool) -> None:
    assert looks_secret(key) is secret


@pytest.mark.parametrize("tree, expected", [
    pytest.param({"token": "${oc.env:HF_TOKEN}"}, ["token"], id="oc-env"),
    pytest.param({"a": {"key": "${env:K,default}"}}, ["a.key"], id="env-nested-default"),
    pytest.param({"t": "${oc.env:T}", "auth": "Bearer ${t}"}, ["auth", "t"], id="copied-by-reference"),
    pytest.param({"c": {"k": "${oc.env:K}"}, "d": "${c}"}, ["c.k", "d"], id="mapping-reference"),
    pytest.param({"l": ["x", "${oc.env:K}"]}, ["l"], id="in-a-list"),
    pytest.param({"a": "${b}", "b": 1, "c": "plain"}, [], id="no-env"),
])
def test_env_sourced_keys(tree: dict, expected: List[str]) -> None:
    assert env_sourced_keys(tree) == expected


def test_mask_config_hides_only_env_sourced_secret_keys() -> None:
    config = {"api_key": "abc", "key": 3, "data.token": "x", "user": "me"}
    assert mask_config(config, ["api_key", "user", "data"]) == {
        "api_key": MASK, "key": 3, "data.token": MASK, "user": "me"}


def test_a_launched_run_records_its_env_keys_and_summaries_mask_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "config.yaml").write_text(
        "seed: 1\nwandb:\n  api_key: ${oc.env:WANDB_API_KEY}\nhome: ${oc.env:HOME_DIR}\n")
    (tmp_path / "main.py").write_text(
        "import mlxp\n\n@mlxp.launch(config_path='./configs')\n"
        "def main(ctx):\n    pass\n\nif __name__ == '__main__':\n    main()\n")
    env = {**__import__("os").environ, "WANDB_API_KEY": "s3cr3t", "HOME_DIR": "/h"}
    subprocess.run([sys.executable, "main.py"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    run = load_summaries(str(tmp_path / "logs")).runs[0]
    assert run.info["config_from_env"] == ["home", "wandb.api_key"]
    assert run.config == {"seed": 1, "wandb.api_key": MASK, "home": "/h"}


def test_runs_without_the_record_are_shown_as_they_are(tmp_path: Path) -> None:
    make_run(str(tmp_path), 1, config={"api_key": "abc"})
    assert load_summaries(str(tmp_path)).runs[0].config == {"api_key": "abc"}
