"""Benchmark the Reader on 10,000 runs against plain YAML parsing and MLXP 1.0.5.

    python bench/bench_reader.py [--dir ~/.cache/mlxp-bench/runs10k] [--runs 10000]

Generates the runs once (config, info, 100-line metrics file each) into ``--dir``, then
measures, in one process:

(a) cold: ``Reader`` without an index + ``filter("config.optimizer.lr <= 1.")`` + the
    ``train.loss`` column of every match (target < 5 s);
(b) warm: the same Reader + filter with the index already built (target < 0.5 s);
(c) the floor: a plain PyYAML-C scan of every config.yaml and info.yaml;
(d) MLXP 1.0.5's Reader on 1,000 runs (in its own venv, see tests/fixtures/
    make_mlxp105_fixture.py), next to ours on the same runs.

The machine is noisy: compare the ratios printed, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Callable, List, Tuple

import yaml

from _common import ORIGINAL_VENV

from mlxp._yaml import dump_yaml
from mlxp.reader import Reader
from mlxp.reader.index import INDEX_FILE

DEFAULT_DIR = str(ORIGINAL_VENV.parent / "runs10k")
VENV_PYTHON = str(ORIGINAL_VENV / "bin" / "python")
QUERY = "config.optimizer.lr <= 1."
LEARNING_RATES = [0.001, 0.01, 0.1, 1.0, 10.0]
REPEATS = 3


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text)


def make_run(parent: str, log_id: int, legacy: bool) -> None:
    """One run directory in our layout, or in MLXP 1.0.5's (``legacy``)."""
    run_dir = os.path.join(parent, str(log_id))
    for sub in ("metadata", "metrics/.keys", "artifacts"):
        os.makedirs(os.path.join(run_dir, sub), exist_ok=True)
    config = {
        "seed": log_id % 10,
        "num_epoch": 100,
        "model": {"num_units": 50 * (1 + log_id % 4), "num_layers": 2 + log_id % 3},
        "optimizer": {"name": "sgd", "lr": LEARNING_RATES[log_id % len(LEARNING_RATES)]},
        "data": {"device": "cpu", "d_int": 10, "n_train": 1000},
    }
    log_dir = os.path.join("/home/user/project/logs", str(log_id))
    info = {
        "status": "COMPLETE",
        "current_file_path": "/home/user/project/main.py",
        "executable": "/home/user/venv/bin/python",
        "hostname": "node-1",
        "process_id": 10_000 + log_id,
        "start_date": "01/02/2024",
        "start_time": "10:00:00",
        "end_date": "01/02/2024",
        "end_time": "10:05:00",
        "work_dir": "/home/user/project",
        "logger": {
            "log_id": log_id,
            "log_dir": log_dir,
            "metrics_dir": log_dir + "/metrics",
            "metadata_dir": log_dir + "/metadata",
            "artifacts_dir": log_dir + "/artifacts",
        },
        "scheduler": None,
        "version_manager": None,
    }
    if not legacy:
        info.update(user="user", cmd="python main.py", overrides=[], python_version="3.11.7",
                    mlxp_version="0.1.0", error=None)
    _write(os.path.join(run_dir, "metadata", "config.yaml"), dump_yaml(config))
    _write(os.path.join(run_dir, "metadata", "info.yaml"), dump_yaml(info))
    loss = 1.0 + (log_id % 7) / 10
    lines = []
    for epoch in range(100):
        loss *= 0.99
        lines.append(json.dumps({"epoch": epoch, "loss": loss}))
    _write(os.path.join(run_dir, "metrics", "train.json"), "\n".join(lines) + "\n")
    keys_dir = os.path.join(run_dir, "metrics", ".keys")
    if legacy:
        _write(os.path.join(keys_dir, "train.yaml"), "epoch: ''\nloss: ''\n")
    else:
        _write(os.path.join(keys_dir, "metrics.yaml"), "train:\n- epoch\n- loss\n")


def ensure_runs(parent: str, count: int, legacy: bool = False) -> None:
    """Create ``count`` runs under ``parent`` unless a previous call already did."""
    marker = os.path.join(parent, f".bench-complete-{count}-{'legacy' if legacy else 'ours'}")
    if os.path.exists(marker):
        return
    if os.path.exists(parent):
        shutil.rmtree(parent)
    os.makedirs(parent)
    print(f"generating {count} runs in {parent} ...", flush=True)
    for log_id in range(1, count + 1):
        make_run(parent, log_id, legacy)
    _write(marker, "")


def best_of(function: Callable[[], object], repeats: int = REPEATS) -> Tuple[float, object]:
    """The fastest of ``repeats`` calls, and the last result."""
    times: List[float] = []
    result: object = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def cold(parent: str) -> int:
    """Reader without an index + filter + one metric column of every match."""
    index_path = os.path.join(parent, INDEX_FILE)
    if os.path.exists(index_path):
        os.remove(index_path)
    results = Reader(parent).filter(QUERY)
    return sum(len(row["train.loss"]) for row in results)


def warm(parent: str) -> int:
    """Reader with its index already built + filter."""
    return len(Reader(parent).filter(QUERY))


def yaml_floor(parent: str) -> int:
    """Parse every config.yaml and info.yaml with PyYAML's C loader, nothing else."""
    loader = yaml.CSafeLoader
    count = 0
    with os.scandir(parent) as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            for name in ("config.yaml", "info.yaml"):
                with open(os.path.join(entry.path, "metadata", name), encoding="utf-8") as stream:
                    yaml.load(stream.read(), Loader=loader)
            count += 1
    return count


ORIGINAL_SCRIPT = """
import os, sys, time
import mlxp
parent = sys.argv[1]
start = time.perf_counter()
reader = mlxp.Reader(parent)
results = reader.filter(query_string=%r)
total = sum(len(row["train.loss"]) for row in results)
print(time.perf_counter() - start, len(results), total)
""" % QUERY


def original_reader(parent: str) -> Tuple[float, int]:
    """MLXP 1.0.5's Reader (in its venv): build + filter + one metric column."""
    completed = subprocess.run(
        [VENV_PYTHON, "-c", ORIGINAL_SCRIPT, parent],
        capture_output=True, text=True, check=True, cwd=parent,
    )
    seconds, matches, _ = completed.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(matches)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--dir", default=DEFAULT_DIR, help="where the generated runs are kept")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--original-runs", type=int, default=1_000)
    args = parser.parse_args(argv)

    parent = os.path.abspath(args.dir)
    ensure_runs(parent, args.runs)

    t_floor, scanned = best_of(lambda: yaml_floor(parent))
    t_cold, values = best_of(lambda: cold(parent))
    t_warm, matches = best_of(lambda: warm(parent), repeats=5)
    print(f"runs: {scanned}, matches: {matches}, metric values read (cold): {values}")
    print(f"(c) floor, PyYAML-C scan of config+info: {t_floor:7.3f} s")
    print(f"(a) cold Reader + filter + metric column:  {t_cold:7.3f} s"
          f"  = {t_cold / t_floor:.2f}x floor   (target < 5 s)")
    print(f"(b) warm Reader + filter:                   {t_warm:7.3f} s"
          f"  = {t_warm / t_floor:.3f}x floor  (target < 0.5 s)")

    if not os.path.exists(VENV_PYTHON):
        print(f"(d) skipped: no MLXP 1.0.5 venv at {VENV_PYTHON}"
              " (run bench/setup_original.sh)")
        return 0
    small = f"{parent}-legacy{args.original_runs}"
    ensure_runs(small, args.original_runs, legacy=True)
    t_original, original_matches = original_reader(small)
    t_ours, _ = best_of(lambda: cold(small))
    t_small_floor, _ = best_of(lambda: yaml_floor(small))
    print(f"(d) {args.original_runs} runs in MLXP 1.0.5's layout, build + filter + metric column:")
    print(f"    MLXP 1.0.5: {t_original:7.3f} s ({original_matches} matches)")
    print(f"    ours, cold: {t_ours:7.3f} s  -> {t_original / t_ours:.0f}x faster;"
          f" floor {t_small_floor:.3f} s, ours = {t_ours / t_small_floor:.2f}x floor")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
