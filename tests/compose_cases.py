"""Composition cases shared by the parity test and the Hydra check: config trees, command
lines, and the config Hydra 1.3 composes from them (``version_base=None``, as MLXP 1.0.5 sets).

Each case is ``(id, files, overrides, hydra, mlxp)``: ``hydra`` is what Hydra's ``compose``
returns (``ERROR`` when it refuses), ``mlxp`` is None when mlxp composes the same, else what
mlxp composes and why (``docs/configuration-and-overrides.md`` lists these differences).
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Tuple

ERROR = "error"


class Case(NamedTuple):
    id: str
    files: Dict[str, str]
    overrides: List[str]
    hydra: Any
    mlxp: Optional[Tuple[Any, str]] = None
    config_name: str = "config"


_MODEL = {
    "model/resnet.yaml": "name: resnet\nlayers: 50\n",
    "model/vit.yaml": "name: vit\npatch: 16\n",
}
_WITH_MODEL = {**_MODEL, "config.yaml": "defaults:\n  - model: resnet\n  - _self_\nlr: 0.1\n"}
_DB = {"db/mysql.yaml": "host: mysql\n", "db/sqlite.yaml": "host: sqlite\n"}

_NESTED = {
    "model/resnet.yaml": "name: resnet\n",
    "model/vit.yaml": "defaults:\n  - backbone: small\n  - _self_\nname: vit\n",
    "model/backbone/small.yaml": "w: 1\n",
    "model/backbone/large.yaml": "w: 4\n",
}
_EXPERIMENT = {"exp/e.yaml": "# @package _global_\ndefaults:\n  - override /model: vit\n"}
_VIT_WITH_DB = {"model/vit.yaml": "defaults:\n  - /db: a\n  - _self_\nname: vit\n",
                "db/a.yaml": "h: 1\n", "db/b.yaml": "h: 2\n"}


def _primary(text: str, **files: str) -> Dict[str, str]:
    return {**_NESTED, **files, "config.yaml": text}


CASES: List[Case] = [
    Case("no-defaults", {"config.yaml": "lr: 0.1\n", **_MODEL}, [], {"lr": 0.1}),
    Case("group-default", _WITH_MODEL, [],
         {"model": {"name": "resnet", "layers": 50}, "lr": 0.1}),
    Case("group-override", _WITH_MODEL, ["model=vit"],
         {"model": {"name": "vit", "patch": 16}, "lr": 0.1}),
    Case("group-and-value-override", _WITH_MODEL, ["model=vit", "model.patch=8", "lr=1"],
         {"model": {"name": "vit", "patch": 8}, "lr": 1}),
    Case("self-last-wins", {**_MODEL, "config.yaml":
                            "defaults:\n  - model: resnet\nmodel:\n  layers: 18\n"},
         [], {"model": {"name": "resnet", "layers": 18}}),
    Case("self-first-loses", {**_MODEL, "config.yaml":
                              "defaults:\n  - _self_\n  - model: resnet\nmodel:\n  layers: 18\n"},
         [], {"model": {"layers": 50, "name": "resnet"}}),
    Case("optional-missing", {**_WITH_MODEL, "config.yaml":
                              "defaults:\n  - optional db: mysql\n  - _self_\nlr: 0.1\n"},
         [], {"lr": 0.1}),
    Case("optional-present", {**_DB, "config.yaml":
                              "defaults:\n  - optional db: mysql\n  - _self_\nlr: 0.1\n"},
         [], {"db": {"host": "mysql"}, "lr": 0.1}),
    Case("null-selects-nothing", {**_DB, "config.yaml": "defaults:\n  - db: null\n"}, [], {}),
    Case("null-then-chosen", {**_DB, "config.yaml": "defaults:\n  - db: null\n"}, ["db=sqlite"],
         {"db": {"host": "sqlite"}}),
    Case("append-group", {**_WITH_MODEL, **_DB}, ["+db=mysql"],
         {"model": {"name": "resnet", "layers": 50}, "lr": 0.1, "db": {"host": "mysql"}}),
    Case("delete-group", _WITH_MODEL, ["~model"], {"lr": 0.1}),
    Case("delete-group-with-option", _WITH_MODEL, ["~model=resnet"], {"lr": 0.1}),
    Case("package-in-defaults", {**_MODEL, "config.yaml":
                                 "defaults:\n  - model@encoder: resnet\n  - model@decoder: vit\n"},
         [], {"encoder": {"name": "resnet", "layers": 50}, "decoder": {"name": "vit", "patch": 16}}),
    Case("package-override", {**_MODEL, "config.yaml":
                              "defaults:\n  - model@encoder: resnet\n  - model@decoder: vit\n"},
         ["model@encoder=vit"],
         {"encoder": {"name": "vit", "patch": 16}, "decoder": {"name": "vit", "patch": 16}}),
    Case("nested-group", {"config.yaml": "defaults:\n  - model: vit\n",
                          "model/vit.yaml": "defaults:\n  - backbone: small\n  - _self_\nname: vit\n",
                          "model/backbone/small.yaml": "width: 1\n",
                          "model/backbone/large.yaml": "width: 4\n"},
         ["model/backbone=large"], {"model": {"backbone": {"width": 4}, "name": "vit"}}),
    Case("absolute-config", {"config.yaml": "defaults:\n  - model: vit\n",
                             "model/vit.yaml": "defaults:\n  - /shared/base\n  - _self_\nname: vit\n",
                             "shared/base.yaml": "seed: 0\n"},
         [], {"model": {"shared": {"seed": 0}, "name": "vit"}}),
    Case("absolute-config-global", {"config.yaml": "defaults:\n  - model: vit\n",
                                    "model/vit.yaml":
                                    "defaults:\n  - /shared/base\n  - _self_\nname: vit\n",
                                    "shared/base.yaml": "# @package _global_\nseed: 0\n"},
         [], {"seed": 0, "model": {"name": "vit"}}),
    Case("header-global", {**_WITH_MODEL, "model/resnet.yaml":
                           "# @package _global_\nname: resnet\n"},
         [], {"name": "resnet", "lr": 0.1}),
    Case("header-package", {**_WITH_MODEL, "model/resnet.yaml":
                            "# @package nets.main\nname: resnet\n"},
         [], {"nets": {"main": {"name": "resnet"}}, "lr": 0.1}),
    Case("header-group", {**_WITH_MODEL, "model/resnet.yaml": "# @package _group_\nname: resnet\n"},
         [], {"_group_": {"name": "resnet"}, "lr": 0.1},
         ({"model": {"name": "resnet"}, "lr": 0.1},
          "_group_ means the group's own package, as in Hydra 1.0-1.1; Hydra 1.2+ (with"
          " version_base=None) makes a key named _group_")),
    Case("experiment-override", {**_WITH_MODEL, "experiment/big.yaml":
                                 "# @package _global_\ndefaults:\n  - override /model: vit\n"
                                 "lr: 0.5\n"},
         ["+experiment=big"], {"model": {"name": "vit", "patch": 16}, "lr": 0.5}),
    Case("override-in-primary", {**_MODEL, "config.yaml":
                                 "defaults:\n  - model: resnet\n  - override model: vit\n"},
         [], {"model": {"name": "vit", "patch": 16}}),
    Case("command-line-beats-override", {**_MODEL, "config.yaml":
                                         "defaults:\n  - model: resnet\n  - override model: vit\n"},
         ["model=resnet"], {"model": {"name": "resnet", "layers": 50}}),
    Case("option-list", {"config.yaml": "defaults:\n  - aug: [flip, crop]\n",
                         "aug/flip.yaml": "flip: true\n", "aug/crop.yaml": "crop: 4\n"},
         [], {"aug": {"flip": True, "crop": 4}}),
    Case("config-entry", {"config.yaml": "defaults:\n  - base\n  - _self_\nlr: 1\n",
                          "base.yaml": "lr: 0.1\nepochs: 3\n"},
         [], {"lr": 1, "epochs": 3}),
    Case("primary-in-subdirectory", {"experiments/large.yaml":
                                     "defaults:\n  - /model: vit\n  - _self_\nsize: 2\n", **_MODEL},
         [], {"experiments": {"model": {"name": "vit", "patch": 16}, "size": 2}},
         ({"model": {"name": "vit", "patch": 16}, "size": 2},
          "mlxp reads -cn NAME at the top level wherever NAME is, as it did before groups; Hydra"
          " puts a primary config of a subdirectory under the directory's name"),
         config_name="experiments/large"),
    Case("override-in-nested-group", _primary("defaults:\n  - model: vit\n", **{
        "model/vit.yaml": "defaults:\n  - backbone: small\n  - override backbone: large\n"
                          "  - _self_\nname: vit\n"}),
         [], {"model": {"backbone": {"w": 4}, "name": "vit"}}),
    Case("package-here", _primary("defaults:\n  - model@_here_: resnet\n"), [], {"name": "resnet"}),
    Case("package-global", _primary("defaults:\n  - model@_global_: resnet\n"), [],
         {"name": "resnet"}),
    Case("package-group-prefix", _primary("defaults:\n  - model@_group_.x: resnet\n"), [],
         {"model": {"x": {"name": "resnet"}}}),
    Case("append-with-package-nested", _primary("x: 1\n"), ["+model@enc=vit"],
         {"x": 1, "enc": {"backbone": {"w": 1}, "name": "vit"}}),
    Case("delete-nested-group", _primary("defaults:\n  - model: vit\n"), ["~model/backbone"],
         {"model": {"name": "vit"}}),
    Case("optional-without-group", _primary("defaults:\n  - optional db: x\n"), [], {}),
    Case("primary-header", _primary("# @package foo\ndefaults:\n  - model: resnet\n  - _self_\n"
                                    "x: 1\n"), [], {"foo": {"model": {"name": "resnet"}, "x": 1}}),
    Case("absolute-group-in-group", _primary("defaults:\n  - model: vit\n", **_VIT_WITH_DB), [],
         {"model": {"db": {"h": 1}, "name": "vit"}}),
    Case("absolute-group-in-group-override", _primary("defaults:\n  - model: vit\n",
                                                      **_VIT_WITH_DB),
         ["db@model.db=b"], {"model": {"db": {"h": 2}, "name": "vit"}}),
    Case("override-from-a-later-sibling", _primary("defaults:\n  - model: resnet\n  - exp: e\n",
                                                   **_EXPERIMENT),
         [], {"model": {"backbone": {"w": 1}, "name": "vit"}}),
    Case("override-from-an-earlier-sibling", _primary("defaults:\n  - exp: e\n  - model: resnet\n",
                                                      **_EXPERIMENT), [], ERROR),
    Case("config-entry-with-package", _primary("defaults:\n  - model/resnet@m\n"), [],
         {"m": {"name": "resnet"}}),
    Case("empty-option", _primary("defaults:\n  - model: empty\n", **{"model/empty.yaml": ""}), [],
         {"model": {}}),
    Case("list-replaced", _primary("defaults:\n  - model: l\n  - _self_\nmodel:\n  xs: [3]\n",
                                   **{"model/l.yaml": "xs: [1, 2]\n"}), [], {"model": {"xs": [3]}}),
    Case("scalar-over-mapping", _primary("defaults:\n  - model: resnet\n  - _self_\nmodel: 3\n"),
         [], {"model": 3}),
    Case("delete-with-other-option", _primary("defaults:\n  - model: resnet\n"), ["~model=vit"],
         ERROR),
    Case("unknown-option", _WITH_MODEL, ["model=vitt"], ERROR),
    Case("unknown-group-in-defaults", {**_MODEL, "config.yaml": "defaults:\n  - modle: vit\n"},
         [], ERROR),
    Case("override-without-match", _WITH_MODEL, ["model@encoder=vit"], ERROR),
    Case("group-chosen-twice", {**_MODEL, "config.yaml":
                                "defaults:\n  - model: resnet\n  - model: vit\n"}, [], ERROR),
    Case("append-existing-group", _WITH_MODEL, ["+model=vit"], ERROR),
    Case("self-twice", {**_MODEL, "config.yaml":
                        "defaults:\n  - _self_\n  - model: vit\n  - _self_\n"}, [], ERROR),
    Case("override-before-entry", {**_MODEL, **_DB, "config.yaml":
                                   "defaults:\n  - override model: vit\n  - model: resnet\n"},
         [], ERROR),
    Case("delete-without-match", _WITH_MODEL, ["~db"], ERROR),
    Case("mandatory-option", {**_MODEL, "config.yaml": "defaults:\n  - model: ???\n"}, [], ERROR),
    Case("cycle", {"config.yaml": "defaults:\n  - a\n", "a.yaml": "defaults:\n  - b\n",
                   "b.yaml": "defaults:\n  - a\n"}, [], ERROR),
    Case("group-null-on-command-line", _WITH_MODEL, ["model=null"], ERROR),
]
