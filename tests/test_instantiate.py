"""``mlxp.instantiate``: Hydra's ``_target_`` semantics on mlxp's ConfigDict.

Each case of ``CASES`` was run through Hydra 1.3.8's ``hydra.utils.instantiate`` on the same
input; ``expected`` is Hydra's result, with Hydra's ``DictConfig``/``ListConfig`` written as
mlxp's ``ConfigDict``/``list``. The differences kept on purpose are in ``REFUSED`` (Hydra
ignores the input silently or accepts what is almost surely a typo) and in
docs/configuration-and-overrides.md.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import mlxp
from instantiate_targets import Point, add, echo
from mlxp.errors import ConfigError, InstantiationError

T = "instantiate_targets."


def _node(**items: Any) -> mlxp.ConfigDict:
    return mlxp.ConfigDict(items)


CASES = [
    pytest.param({"_target_": T + "Point", "x": 1, "y": 2}, (), {}, Point(1, 2), id="class"),
    pytest.param({"_target_": T + "add", "_args_": [1, 2]}, (), {}, 3, id="args"),
    pytest.param({"_target_": T + "add", "_args_": [1, 2]}, (10, 20), {}, 30,
                 id="call-args-replace-args"),
    pytest.param({"_target_": T + "Point", "x": 1, "y": 2}, (), {"y": 5}, Point(1, 5),
                 id="call-kwargs-override"),
    pytest.param({"_target_": T + "Point", "x": 1}, (), {"y": 5}, Point(1, 5),
                 id="call-kwargs-add"),
    pytest.param({"_target_": T + "echo", "left": {"_target_": T + "Point", "x": 1, "y": 2}},
                 (), {"left": {"y": 9}}, ((), {"left": Point(1, 9)}),
                 id="call-kwargs-merge-into-node"),
    pytest.param({"_target_": T + "echo", "d": {"x": 1}}, (), {"d": 5}, ((), {"d": 5}),
                 id="call-kwargs-replace-mapping"),
    pytest.param({"_target_": T + "echo", "l": [1, 2]}, (), {"l": [3]}, ((), {"l": [3]}),
                 id="call-kwargs-replace-list"),
    pytest.param({"_target_": T + "echo", "p": {"_target_": T + "Point", "x": 1},
                  "l": [{"_target_": T + "Point"}, 3]}, (), {},
                 ((), {"p": Point(1, 0), "l": [Point(0, 0), 3]}), id="recursive-dict-and-list"),
    pytest.param({"_target_": T + "echo", "l": [[{"_target_": T + "Point"}]]}, (), {},
                 ((), {"l": [[Point(0, 0)]]}), id="recursive-list-of-lists"),
    pytest.param({"_target_": T + "echo", "_args_": [{"_target_": T + "Point", "x": 1}]}, (), {},
                 ((Point(1, 0),), {}), id="recursive-args"),
    pytest.param({"_target_": T + "describe", "p": {"_target_": T + "Point", "x": 1},
                  "d": {"a": 1}, "l": [1]}, (), {},
                 ((), {"p": "Point", "d": "ConfigDict", "l": "list"}), id="convert-none"),
    pytest.param({"_target_": T + "describe", "p": {"_target_": T + "Point", "x": 1},
                  "d": {"a": 1}, "l": [1], "_convert_": "all"}, (), {},
                 ((), {"p": "Point", "d": "dict", "l": "list"}), id="convert-all"),
    pytest.param({"_target_": T + "describe", "d": {"a": 1}, "_convert_": "partial"}, (), {},
                 ((), {"d": "dict"}), id="convert-partial"),
    pytest.param({"_target_": T + "describe", "d": {"a": 1}, "_convert_": "object"}, (), {},
                 ((), {"d": "dict"}), id="convert-object"),
    pytest.param({"_target_": T + "echo", "d": {"_convert_": "all", "_target_": T + "describe",
                                                "i": {"a": 1}}}, (), {},
                 ((), {"d": ((), {"i": "dict"})}), id="convert-per-node"),
    pytest.param({"_target_": T + "describe", "p": {"_target_": T + "Point", "x": 1},
                  "_recursive_": False}, (), {}, ((), {"p": "ConfigDict"}),
                 id="not-recursive"),
    pytest.param({"_target_": T + "describe", "p": {"_target_": T + "Point", "x": 1}}, (),
                 {"_recursive_": False}, ((), {"p": "ConfigDict"}), id="not-recursive-by-call"),
    pytest.param({"_target_": T + "echo", "_foo_": 1, "_args_": [1]}, (), {},
                 ((1,), {"_foo_": 1}), id="other-underscore-keys-are-arguments"),
    pytest.param({"a": {"_target_": T + "Point", "x": 1}, "b": 1}, (), {},
                 _node(a=Point(1, 0), b=1), id="no-target-at-top"),
    pytest.param({"a": {"_target_": T + "Point", "x": 1}, "b": 1, "_recursive_": False}, (), {},
                 _node(a=Point(1, 0), b=1), id="no-target-at-top-builds-children-anyway"),
    pytest.param([{"_target_": T + "Point", "x": 1}, 1], (), {}, [Point(1, 0), 1],
                 id="list-at-top"),
    pytest.param(None, (), {}, None, id="none"),
    pytest.param({"_target_": T + "Point.origin"}, (), {}, Point(0, 0), id="classmethod"),
    pytest.param({"_target_": "os.path.join", "_args_": ["a", "b"]}, (), {}, "a/b",
                 id="submodule-function"),
]


@pytest.mark.parametrize("config, args, kwargs, expected", CASES)
def test_instantiate_gives_hydras_result(config: Any, args: tuple, kwargs: dict,
                                         expected: Any) -> None:
    built = mlxp.instantiate(mlxp.ConfigDict(config) if isinstance(config, dict) else config,
                             *args, **kwargs)
    assert built == expected
    assert type(built) is type(expected)


def test_a_plain_dict_works_as_a_config_dict_does() -> None:
    assert mlxp.instantiate({"_target_": T + "Point", "x": 1}) == Point(1, 0)


@pytest.mark.parametrize("config, args, expected", [
    pytest.param({"_target_": T + "add", "a": 1, "_partial_": True}, (),
                 (add, (), {"a": 1}), id="partial"),
    pytest.param({"_target_": T + "echo", "_partial_": True}, (1, 2), (echo, (1, 2), {}),
                 id="partial-with-call-args"),
])
def test_partial_returns_functools_partial(config: dict, args: tuple, expected: tuple) -> None:
    built = mlxp.instantiate(config, *args)
    assert isinstance(built, functools.partial)
    assert (built.func, built.args, built.keywords) == expected


def test_a_nested_partial_is_built_inside_its_parent() -> None:
    config = {"_target_": T + "echo", "p": {"_target_": T + "add", "a": 1, "_partial_": True}}
    _, kwargs = mlxp.instantiate(config)
    assert isinstance(kwargs["p"], functools.partial) and kwargs["p"](b=2) == 3


def test_objects_passed_at_the_call_are_passed_as_they_are() -> None:
    model = object()
    assert mlxp.instantiate({"_target_": T + "echo"}, model=model)[1]["model"] is model


def test_the_config_is_not_changed() -> None:
    config = mlxp.ConfigDict({"_target_": T + "echo", "p": {"_target_": T + "Point", "x": 1},
                              "_recursive_": True})
    before = config.to_dict()
    mlxp.instantiate(config, p={"y": 2}, _convert_="all")
    assert config.to_dict() == before


def test_a_target_may_be_the_callable_itself() -> None:
    assert mlxp.instantiate({"_target_": add, "a": 1, "b": 2}) == 3


ERRORS = [
    pytest.param({"m": {"e": {"_target_": "nosuch_module_xyz.Thing"}}}, (), {},
                 "m.e._target_", "there is no module 'nosuch_module_xyz'", id="no-module"),
    pytest.param({"m": {"e": {"_target_": T + "Pointt"}}}, (), {}, "m.e._target_",
                 "'instantiate_targets' has no attribute 'Pointt' (did you mean 'Point'?)",
                 id="did-you-mean-attribute"),
    pytest.param({"_target_": "os.pth.join"}, (), {}, "_target_",
                 "'os' has no attribute 'pth' (did you mean 'path'?)", id="did-you-mean-module"),
    pytest.param({"_target_": T + "NOT_CALLABLE"}, (), {}, "_target_",
                 "'instantiate_targets.NOT_CALLABLE' is a float, not a class or function",
                 id="not-callable"),
    pytest.param({"_target_": "instantiate_targets"}, (), {}, "_target_",
                 "is a module, not a class or function", id="module-not-callable"),
    pytest.param({"_target_": ".Point"}, (), {}, "_target_", "is not a dotted import path",
                 id="relative-path"),
    pytest.param({"_target_": ""}, (), {}, "_target_", "is not a dotted import path",
                 id="empty-path"),
    pytest.param({"_target_": 5}, (), {}, "_target_", "must be the dotted import path",
                 id="target-not-text"),
    pytest.param({"a": {"_target_": T + "echo", "_args_": 5}}, (), {}, "a._args_",
                 "a._args_ must be a list", id="args-not-a-list"),
    pytest.param({"_target_": T + "echo", "_recursive_": "yes"}, (), {}, "_recursive_",
                 "must be true or false", id="recursive-not-bool"),
    pytest.param({"a": {"_target_": T + "echo", "_partial_": 1}}, (), {}, "a._partial_",
                 "must be true or false", id="partial-not-bool"),
    pytest.param([{"_target_": T + "Point"}], (), {"_partial_": True}, "_partial_",
                 "cannot apply to a list", id="partial-list"),
    pytest.param({"_target_": T + "echo", "_convert_": "bogus"}, (), {}, "_convert_",
                 "must be one of none, partial, object, all", id="convert-unknown"),
    pytest.param(5, (), {}, "", "takes a config mapping or list, not int", id="not-a-config"),
]

# Hydra accepts these, and ignores part of the input or reads a typo: mlxp refuses them.
REFUSED = [
    pytest.param({"_target_": T + "echo", "_args_": "ab"}, (), {}, "_args_",
                 "must be a list", id="args-as-text"),  # Hydra: echo('a', 'b')
    pytest.param([{"_target_": T + "Point"}], (1,), {"y": 2}, "", "arguments were given with"
                 " a list", id="arguments-with-a-list"),  # Hydra: ignored
    pytest.param({"a": {"_target_": T + "Point"}}, (1,), {}, "_target_", "the node has no"
                 " _target_", id="args-without-target"),  # Hydra: ignored
    pytest.param({"_target_": T + "echo", "_convert_": "ALLL"}, (), {}, "_convert_",
                 "must be one of", id="convert-typo"),  # Hydra: read as none
]


@pytest.mark.parametrize("config, args, kwargs, key, message", ERRORS + REFUSED)
def test_errors_name_the_key_and_the_import_path(config: Any, args: tuple, kwargs: dict,
                                                  key: str, message: str) -> None:
    with pytest.raises(InstantiationError) as caught:
        mlxp.instantiate(config, *args, **kwargs)
    assert caught.value.key == key
    assert message in str(caught.value)
    assert isinstance(caught.value, ConfigError)


@pytest.mark.parametrize("config, cause, raised_in", [
    pytest.param({"m": {"_target_": T + "Broken", "width": 3}}, ValueError,
                 "instantiate_targets.py", id="constructor-raises"),
    pytest.param({"m": {"_target_": T + "Point", "z": 3}}, TypeError, "_instantiate.py",
                 id="unknown-keyword"),
])
def test_the_targets_own_error_is_chained_with_its_traceback(config: dict, cause: type,
                                                             raised_in: str) -> None:
    with pytest.raises(InstantiationError) as caught:
        mlxp.instantiate(config)
    assert caught.value.key == "m._target_"
    assert str(caught.value).startswith(f"m._target_: {config['m']['_target_']}(...) raised "
                                        f"{cause.__name__}: ")
    assert type(caught.value.__cause__) is cause
    frames = []
    traceback = caught.value.__cause__.__traceback__
    while traceback is not None:
        frames.append(traceback.tb_frame.f_code.co_filename)
        traceback = traceback.tb_next
    assert Path(frames[-1]).name == raised_in


def test_an_error_inside_the_users_module_keeps_its_cause(tmp_path: Path) -> None:
    (tmp_path / "needs_missing.py").write_text("import not_installed_anywhere\nclass A: pass\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(InstantiationError) as caught:
            mlxp.instantiate({"_target_": "needs_missing.A"})
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("needs_missing", None)
    assert "importing 'needs_missing' for 'needs_missing.A' raised ModuleNotFoundError" in str(
        caught.value)
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_import_mlxp_does_not_load_instantiate_and_the_target_loads_only_when_built(
        tmp_path: Path) -> None:
    (tmp_path / "heavy_target.py").write_text("class Net:\n    pass\n")
    code = textwrap.dedent("""
        import sys
        import mlxp
        assert "mlxp._instantiate" not in sys.modules
        config = mlxp.ConfigDict({"_target_": "heavy_target.Net"})
        assert "heavy_target" not in sys.modules
        print(type(mlxp.instantiate(config)).__name__, mlxp.instantiate is mlxp.instantiate)
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Net", "True"]
