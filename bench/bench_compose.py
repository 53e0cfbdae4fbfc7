"""Composing configs from groups and a defaults list: mlxp against Hydra's ``compose``.

Usage: python bench/bench_compose.py [--repeats N] [--hydra-selections N]
The config tree has three groups of ten options (model, optimizer, dataset), a nested group
(model/backbone) and a defaults list in config.yaml. Measured, in the same run:

- one composition from scratch (a fresh composer each time: every file read and parsed), mlxp
  and Hydra (``initialize_config_dir`` once, then ``compose`` per call, in the original MLXP's
  venv, which brings Hydra 1.3);
- a launch's 10,000-point sweep over the three groups (``model=... optimizer=... dataset=...
  lr=...``), every point composed and checked as a launch does before running; Hydra composes
  each point with ``compose``, timed on ``--hydra-selections`` points and scaled.

The floor is PyYAML reading the four files of one selection and merging them into one dict.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path
from typing import List, Optional

from _common import median_of, original_python, report

GROUPS = ("model", "optimizer", "dataset")
OPTIONS = [f"o{n}" for n in range(10)]
SWEEP = [f"{group}={','.join(OPTIONS)}" for group in GROUPS] + [
    "lr=" + ",".join(str(n) for n in range(10))]
POINTS = 10 ** len(GROUPS) * 10


def make_tree(root: Path) -> Path:
    """The config tree of the docstring, under ``root/configs``."""
    configs = root / "configs"
    for group in GROUPS:
        (configs / group).mkdir(parents=True)
        for option in OPTIONS:
            (configs / group / f"{option}.yaml").write_text(
                f"name: {group}-{option}\nsize: 3\nnested:\n  a: 1\n  b: [1, 2, 3]\n")
    (configs / "model" / "backbone").mkdir()
    (configs / "model" / "backbone" / "small.yaml").write_text("width: 1\n")
    (configs / "model" / "o0.yaml").write_text("defaults:\n  - backbone: small\n  - _self_\n"
                                               "name: model-o0\nsize: 3\n")
    (configs / "config.yaml").write_text(
        "defaults:\n" + "".join(f"  - {group}: o0\n" for group in GROUPS) + "  - _self_\n"
        "lr: 0.1\nseed: 0\n")
    return configs


def floor(configs: Path) -> dict:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    merged: dict = {}
    for name in ("model/o1", "optimizer/o1", "dataset/o1"):
        with open(configs / f"{name}.yaml") as stream:
            merged[name.split("/")[0]] = yaml.load(stream, Loader=loader)
    with open(configs / "config.yaml") as stream:
        merged.update(yaml.load(stream, Loader=loader))
    return merged


def mlxp_compose_once(configs: Path) -> None:
    from mlxp._cli import parse_command_line
    from mlxp._composition import GroupComposer
    from mlxp.sweep import expand_sweep

    composer = GroupComposer(str(configs))
    point = expand_sweep(parse_command_line(["model=o1", "optimizer=o1"]).overrides)[0]
    composer.compose_config(composer.split(point)[0])


def mlxp_sweep(configs: Path) -> int:
    from mlxp._cli import parse_command_line
    from mlxp._point_composer import compose_points

    points = compose_points(str(configs), parse_command_line(SWEEP), str(configs.parent), None)
    return sum(1 for _ in points)


_HYDRA = textwrap.dedent("""
    import itertools, json, statistics, sys, time
    from hydra import compose, initialize_config_dir
    configs, repeats, selections = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    options = [f"o{n}" for n in range(10)]
    with initialize_config_dir(config_dir=configs, version_base=None):
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            compose("config", overrides=["model=o1", "optimizer=o1"])
            samples.append(time.perf_counter() - start)
        points = itertools.product(options, options, options, range(10))
        start = time.perf_counter()
        for model, optimizer, dataset, lr in itertools.islice(points, selections):
            compose("config", overrides=[f"model={model}", f"optimizer={optimizer}",
                                         f"dataset={dataset}", f"lr={lr}"])
        per_point = (time.perf_counter() - start) / selections
    print(json.dumps({"once": statistics.median(samples), "per_point": per_point}))
""")


def hydra_times(configs: Path, repeats: int, selections: int) -> Optional[dict]:
    python = original_python()
    if python is None:
        return None
    result = subprocess.run([python, "-c", _HYDRA, str(configs), str(repeats), str(selections)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--hydra-selections", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workspace:
        configs = make_tree(Path(workspace))
        base = median_of(lambda: floor(configs), args.repeats)
        once = median_of(lambda: mlxp_compose_once(configs), args.repeats)
        report("floor: PyYAML reads 4 files + dict merge", base, base)
        report("mlxp: one composition, from scratch", once, base)
        sweep = median_of(lambda: mlxp_sweep(configs), max(3, args.repeats // 7))
        cpu_start = time.process_time()
        mlxp_sweep(configs)
        cpu = time.process_time() - cpu_start
        print(f"mlxp: {POINTS:,}-point sweep over 3 groups     {sweep:8.2f} s wall,"
              f" {cpu:.2f} s CPU")
        hydra = hydra_times(configs, args.repeats, args.hydra_selections)
        if hydra is None:
            return
        report("Hydra compose: one composition", hydra["once"], base)
        scaled = hydra["per_point"] * POINTS
        print(f"Hydra compose: {POINTS:,} points (scaled from {args.hydra_selections})"
              f" {scaled:8.1f} s wall")
        print(f"\nHydra / mlxp: one composition {hydra['once'] / once:.1f}x,"
              f" the sweep {scaled / sweep:.1f}x")


if __name__ == "__main__":
    main()
