"""Overrides that look like mistakes: near misses of existing keys and type changes
(mlxp._override_checks); tests/test_launcher.py runs them end to end."""

from __future__ import annotations

import pytest

from mlxp._override_checks import near_miss_key, type_change


QUICKSTART_CONFIG = {"seed": 0, "num_epoch": 10, "model": {"num_units": 100},
                     "data": {"d_int": 10, "device": "cpu"}, "optimizer": {"lr": 10.0}}


@pytest.mark.parametrize(
    "key, expected",
    [
        pytest.param("optimizer.lrr", "optimizer.lr", id="letter-added"),
        pytest.param("num_epochs", "num_epoch", id="plural"),
        pytest.param("seeds", "seed", id="short-plural"),
        pytest.param("optimiser.lr", "optimizer.lr", id="typo-in-the-parent"),
        pytest.param("optimizer.LR", "optimizer.lr", id="case-only"),
        pytest.param("data.devcie", "data.device", id="letters-swapped"),
        pytest.param("model.numunits", "model.num_units", id="underscore-dropped"),
        pytest.param("model.num_unitz", "model.num_units", id="letter-changed"),
        pytest.param("model.num_layers", None, id="quickstart-new-key-is-not-a-typo"),
        pytest.param("optimizer.momentum", None, id="new-name"),
        pytest.param("optimizer.wd", None, id="two-letter-names-never-miss"),
        pytest.param("x", None, id="one-letter"),
        pytest.param("data.d_out", None, id="three-edits"),
        pytest.param("model.num_units.x", None, id="other-depth"),
    ],
)
def test_near_miss_key(key: str, expected: object) -> None:
    assert near_miss_key(QUICKSTART_CONFIG, key) == expected


def test_list_indexes_are_not_near_misses() -> None:
    assert near_miss_key({"layers": [1, 2]}, "layers.2") is None


@pytest.mark.parametrize(
    "old, new, expected",
    [
        pytest.param(10, "ten", ("int", "str"), id="int-to-str"),
        pytest.param(10, True, ("int", "bool"), id="int-to-bool"),
        pytest.param(True, 1, ("bool", "int"), id="bool-to-int"),
        pytest.param("cpu", 0, ("str", "int"), id="str-to-int"),
        pytest.param(1.0, [1], ("float", "list"), id="float-to-list"),
        pytest.param(3, {"a": 1}, ("int", "mapping"), id="leaf-to-mapping"),
        pytest.param([1], "x", ("list", "str"), id="list-to-str"),
        pytest.param(10.0, 1, None, id="float-to-int-numbers-are-numbers"),
        pytest.param(1, 0.5, None, id="int-to-float"),
        pytest.param(None, "anything", None, id="none-in-config-takes-anything"),
        pytest.param(3, None, None, id="null-override-is-no-change"),
        pytest.param("${a}", 3, None, id="reference-type-is-unknown"),
        pytest.param(3, "${a}", None, id="override-with-reference"),
        pytest.param("a", "b", None, id="same-type"),
        pytest.param([1], [1, "x"], None, id="list-to-list"),
    ],
)
def test_type_change(old: object, new: object, expected: object) -> None:
    assert type_change(old, new) == expected
