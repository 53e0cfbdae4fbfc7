"""Names MLXP code imports (issue 14, item 6): every row of docs/mlxp-names.md imports, and is
mlxp's own object, not a copy."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any, List, Tuple

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "mlxp-names.md"
ROW = re.compile(r"^\| `([\w.]+)` \| `([\w.]+)` \|", re.MULTILINE)


def _rows() -> List[Tuple[str, str]]:
    return ROW.findall(PAGE.read_text())


def _import(dotted: str) -> Any:
    module_name, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def test_the_page_lists_the_names_issue_14_asks_for() -> None:
    listed = {mlxp_name for mlxp_name, _ in _rows()}
    for name in ("mlxp.enumerations.Status", "mlxp.logger.Logger",
                 "mlxp.data_structures.config_dict.ConfigDict",
                 "mlxp.data_structures.config_dict.convert_dict", "mlxp.launch", "mlxp.Context",
                 "mlxp.Reader", "mlxp.DefaultLogger", "mlxp.ConfigDict", "mlxp.GitVM",
                 "mlxp.errors.JobSubmissionError", "mlxp.errors.InvalidConfigFileError"):
        assert name in listed


@pytest.mark.parametrize("mlxp_name, ours", _rows(), ids=[row[0] for row in _rows()])
def test_each_mlxp_name_is_mlxp_own_object(mlxp_name: str, ours: str) -> None:
    assert _import(mlxp_name) is _import(ours)


def test_mlxp_exception_names_catch_what_mlxp_raises() -> None:
    from mlxp import errors

    for name in ("JobSubmissionError", "InvalidKeyError", "MissingFieldError",
                 "InvalidArtifactError", "InvalidMapError", "InvalidShellPathError",
                 "InvalidSchedulerError", "InvalidConfigFileError", "UnknownSystemError"):
        assert issubclass(getattr(errors, name), errors.MLXPError), name
    with pytest.raises(errors.InvalidConfigFileError):
        from mlxp.settings import default_settings, set_setting

        set_setting(default_settings(), "nope", 1)


def test_status_values_are_what_info_yaml_holds() -> None:
    from mlxp import _layout
    from mlxp.enumerations import Status

    assert [s.value for s in Status] == [_layout.STARTING, _layout.COMPLETE, _layout.RUNNING,
                                         _layout.FAILED]


@pytest.mark.parametrize(
    "source, src_class, dst_class, check",
    [
        pytest.param({"a": {"b": 1}}, dict, "ConfigDict", lambda d: d.a.b == 1, id="to-configdict"),
        pytest.param("ConfigDict", "ConfigDict", dict,
                     lambda d: type(d) is dict and type(d["a"]) is dict, id="to-plain"),
        pytest.param({"a": [{"b": 1}], "c": 2}, dict, "ConfigDict",
                     lambda d: d.c == 2 and d.a[0].b == 1, id="lists-kept"),
    ],
)
def test_convert_dict_converts_nested_mappings(source: Any, src_class: Any, dst_class: Any,
                                               check: Any) -> None:
    from mlxp.data_structures.config_dict import ConfigDict, convert_dict

    classes = {"ConfigDict": ConfigDict}
    source = ConfigDict({"a": {"b": 1}}) if source == "ConfigDict" else source
    converted = convert_dict(source, src_class=classes.get(src_class, src_class),
                             dst_class=classes.get(dst_class, dst_class))
    assert check(converted)
