"""ConfigDict, loading config.yaml, dotted keys and interpolation (mlxp.config)."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from mlxp.config import ConfigDict, assign, load_config, lookup, remove, resolve
from mlxp.errors import ConfigAttributeError, ConfigFileError, ConfigKeyError, InterpolationError


def test_attribute_access_at_every_level() -> None:
    config = ConfigDict({"model": {"layers": [{"units": 3}]}, "lr": 0.1})
    assert config.model.layers[0].units == 3
    assert config["model"]["layers"][0]["units"] == 3
    config.model.depth = 2
    assert config["model"]["depth"] == 2
    config["optimizer"] = {"name": "sgd"}
    assert config.optimizer.name == "sgd"
    assert isinstance(config, dict)


def test_missing_attribute_is_a_typed_error_with_a_suggestion() -> None:
    config = ConfigDict({"num_epoch": 3})
    with pytest.raises(ConfigAttributeError) as caught:
        config.num_epochs
    assert caught.value.key == "num_epochs"
    assert "did you mean 'num_epoch'" in str(caught.value)
    assert isinstance(caught.value, AttributeError) and isinstance(caught.value, KeyError)
    assert getattr(config, "missing", "default") == "default"


def test_prints_block_yaml_in_insertion_order() -> None:
    config = ConfigDict({"seed": 0, "model": {"num_units": 100}, "lr": 1e-3})
    assert str(config) == "seed: 0\nmodel:\n  num_units: 100\nlr: 0.001"


def test_copies_and_pickles_like_a_dict() -> None:
    config = ConfigDict({"a": {"b": [1, 2]}})
    clone = copy.deepcopy(config)
    clone.a.b.append(3)
    assert config.a.b == [1, 2]
    assert pickle.loads(pickle.dumps(config)) == config
    assert isinstance(pickle.loads(pickle.dumps(config)).a, ConfigDict)


def test_dotted_lookup_assign_remove() -> None:
    config = ConfigDict({"a": {"b": 1}, "l": [10, 20]})
    assert lookup(config, "a.b") == (True, 1)
    assert lookup(config, "l.1") == (True, 20)
    assert lookup(config, "a.c") == (False, None)
    assign(config, "x.y.z", 5)
    assert config.x.y.z == 5
    remove(config, "a.b")
    assert config.a == {}
    with pytest.raises(ConfigKeyError) as caught:
        remove(config, "x.y.w")
    assert caught.value.key == "x.y.w" and "x.y.z" in str(caught.value)


def test_assign_through_a_scalar_is_an_error() -> None:
    config = ConfigDict({"a": 1})
    with pytest.raises(ConfigKeyError, match="'a' is not a mapping"):
        assign(config, "a.b", 2)


def test_load_creates_missing_directory_and_file(tmp_path: Path, capsys) -> None:
    config_dir = tmp_path / "configs"
    assert load_config(str(config_dir)) == {}
    assert (config_dir / "config.yaml").read_text() == ""
    assert "config.yaml" in capsys.readouterr().err


def test_load_refuses_a_top_level_list(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("- 1\n")
    with pytest.raises(ConfigFileError) as caught:
        load_config(str(tmp_path))
    assert caught.value.line == 1 and "mapping" in str(caught.value)


@pytest.mark.parametrize(
    "tree, env, key, expected",
    [
        pytest.param({"a": 1, "b": "${a}"}, {}, "b", 1, id="reference-keeps-type"),
        pytest.param({"a": {"x": 2}, "b": "${a}"}, {}, "b", {"x": 2}, id="reference-to-mapping"),
        pytest.param({"a": 2, "b": "n=${a}!"}, {}, "b", "n=2!", id="reference-inside-text"),
        pytest.param({"a": "${b}", "b": "${c}", "c": 3}, {}, "a", 3, id="chained"),
        pytest.param({"p": "${oc.env:HOME_X}"}, {"HOME_X": "/h"}, "p", "/h", id="env"),
        pytest.param({"p": "${env:HOME_X}"}, {"HOME_X": "/h"}, "p", "/h", id="env-short"),
        pytest.param({"p": "${oc.env:NOPE_X,/tmp}"}, {}, "p", "/tmp", id="env-default"),
        pytest.param({"p": "${oc.env:NOPE_X,3}"}, {}, "p", "3",
                     id="env-default-is-a-string-as-the-variable-is"),
        pytest.param({"p": "${oc.env:NOPE_X,yes}"}, {}, "p", "yes", id="env-default-yes"),
        pytest.param({"p": "${oc.env:NOPE_X,null}"}, {}, "p", None, id="env-default-null"),
        pytest.param({"p": "${oc.env:NOPE_X,'7'}"}, {}, "p", "7", id="env-default-quoted"),
        pytest.param({"l": [1, "${a}"], "a": 5}, {}, "l", [1, 5], id="inside-list"),
        pytest.param({"a": 1, "b": r"\${a}"}, {}, "b", "${a}", id="escaped-is-literal"),
        pytest.param({"a": 1, "b": "\\\\${a}"}, {}, "b", "\\1", id="escaped-backslash-then-value"),
        pytest.param({"a": 1, "b": "\\\\\\${a}"}, {}, "b", "\\${a}",
                     id="three-backslashes-backslash-and-literal"),
        pytest.param({"a": 1, "b": r"x\${a}y${a}"}, {}, "b", "x${a}y1", id="escaped-next-to-real"),
        pytest.param({"a": 1, "b": r"C:\temp\${a}"}, {}, "b", r"C:\temp${a}",
                     id="other-backslashes-kept"),
        pytest.param({"a": 1, "b": r"\${a", "c": 2}, {}, "b", "${a", id="escaped-unclosed"),
        pytest.param({"a": 1, "b": r"\${a}", "c": "${b}"}, {}, "c", "${a}",
                     id="reference-to-escaped-is-not-resolved-again"),
        pytest.param({"a": 1, "l": [r"\${a}"]}, {}, "l", ["${a}"], id="escaped-in-list"),
    ],
)
def test_interpolation(monkeypatch, tree, env, key, expected) -> None:
    monkeypatch.delenv("NOPE_X", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    resolved = resolve(ConfigDict(tree))
    assert resolved[key] == expected and isinstance(resolved[key], type(expected))
    assert "${" in str(tree) or tree == resolved  # the input is left alone


@pytest.mark.parametrize(
    "tree, words",
    [
        pytest.param({"a": "${b}"}, "no option 'b'", id="missing"),
        pytest.param({"a": "${b}", "b": "${a}"}, "circular", id="cycle"),
        pytest.param({"a": "${oc.env:NOPE_X}"}, "NOPE_X", id="unset-env"),
        pytest.param({"a": "${foo:bar}"}, "unknown resolver 'foo'", id="unknown-resolver"),
        pytest.param({"a": "x${b"}, "unterminated", id="unterminated"),
    ],
)
def test_interpolation_errors(monkeypatch, tree, words) -> None:
    monkeypatch.delenv("NOPE_X", raising=False)
    with pytest.raises(InterpolationError) as caught:
        resolve(ConfigDict(tree))
    assert words in str(caught.value)
    assert caught.value.key in tree


def test_escaped_interpolation_from_a_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "a: 1\nplain: \\${a}\ndouble_quoted: \"\\\\${a}\"\nvalue_after_backslash: \\\\${a}\n")
    resolved = resolve(load_config(str(tmp_path)))
    assert resolved.plain == "${a}" and resolved.double_quoted == "${a}"
    assert resolved.value_after_backslash == "\\1"
