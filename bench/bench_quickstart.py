"""The quick-start run as a whole process, against a plain script doing the same work.

Usage: python bench/bench_quickstart.py [--repeats N]
Floor: a Python script that loads config.yaml with PyYAML's C loader, makes a run directory,
dumps the config and writes 10 JSON lines. Each program runs in its own fresh copy of the
example; median wall time of N runs; ratios in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Optional

from _common import PYTHON, REPO, original_python, report, time_process, warm_bytecode

FLOOR = '''
import json, os, yaml
with open("configs/config.yaml") as f:
    config = yaml.load(f, Loader=yaml.CSafeLoader)
print(yaml.dump(config, Dumper=yaml.CSafeDumper, sort_keys=False))
run = os.path.join("logs", str(len(os.listdir("logs")) + 1 if os.path.isdir("logs") else 1))
os.makedirs(os.path.join(run, "metrics"))
with open(os.path.join(run, "config.yaml"), "w") as f:
    yaml.dump(config, f, Dumper=yaml.CSafeDumper)
with open(os.path.join(run, "metrics", "train.json"), "a") as f:
    for i in range(config["num_epoch"]):
        f.write(json.dumps({"epoch": i}) + "\\n")
        f.flush()
'''

ORIGINAL_MAIN = '''
import mlxp

@mlxp.launch(config_path="./configs")
def my_task(ctx: mlxp.Context) -> None:
    print(ctx.config)
    for i in range(ctx.config.num_epoch):
        ctx.logger.log_metrics({"epoch": i}, log_name="train")

if __name__ == "__main__":
    my_task()
'''


def project_copy(workspace: Path, name: str, main_source: Optional[str] = None) -> Path:
    project = workspace / name
    shutil.copytree(REPO / "examples" / "quickstart", project,
                    ignore=shutil.ignore_patterns("logs", ".work_dir"))
    if main_source is not None:
        (project / "main.py").write_text(main_source)
    return project


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        workspace = Path(scratch)
        floor_dir = project_copy(workspace, "floor", FLOOR)
        ours_dir = project_copy(workspace, "ours")
        warm_bytecode(PYTHON, "mlxp")
        floor = time_process([PYTHON, "main.py"], cwd=str(floor_dir), repeats=args.repeats)
        ours = time_process([PYTHON, "main.py"], cwd=str(ours_dir), repeats=args.repeats)
        report("plain PyYAML + mkdir + JSON lines (floor)", floor, floor)
        report("mlxp quick start (python main.py)", ours, floor)
        original = original_python()
        if original:
            theirs_dir = project_copy(workspace, "original", ORIGINAL_MAIN)
            theirs = time_process([original, "main.py"], cwd=str(theirs_dir),
                                  repeats=max(5, args.repeats // 3))
            report("original MLXP 1.0.5 quick start", theirs, floor)


if __name__ == "__main__":
    main()
