"""Two ways to keep a SIGKILL from tearing a metrics line, measured side by side.

Usage: python bench/bench_metrics_designs.py [-n 100000] [--kills 30] [--repeats 5]

``padded``: each line that would cross a 4 KiB page boundary starts the next page, the
previous line taking the gap as spaces (mlxp's metrics writer until it was replaced; its
code is taken from git history, commit ``PADDED_COMMIT``). ``simple``: one ``write`` per
line, and a partial last line cut off when the file is opened again (mlxp's writer now).
Measured: calls/s against the floor (``json.dumps`` + ``write`` + ``flush``), bytes on disk,
lines torn or lost under repeated SIGKILL, and lines lost or corrupted by two processes
appending to one file at once (which the run lock now prevents, measured without it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from types import ModuleType
from typing import Dict, List, Optional, Tuple

from _common import REPO, json_lines_floor_rate

PADDED_COMMIT = "acd3c20"  # the last commit with the page-padding writer

# Run in a child process: log lines until killed (or until ``count`` lines are written).
CHILD = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("design", sys.argv[1])
design = importlib.util.module_from_spec(spec)
spec.loader.exec_module(design)
directory, session, count, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
log = design.MetricsLog(directory)
i = 0
while count < 0 or i < count:
    log.log({"s": session, "i": i, "tag": "x" * ((i * 37) % size)}, "train")
    if i == 200:
        print("ready", flush=True)
    i += 1
log.close()
"""


def design_sources(directory: str) -> Dict[str, str]:
    """``{design: path of its _metrics.py}``: the padded one from git, the simple one live."""
    padded = os.path.join(directory, "padded_metrics.py")
    source = subprocess.run(["git", "show", f"{PADDED_COMMIT}:mlxp/_metrics.py"], cwd=str(REPO),
                            capture_output=True, text=True, check=True).stdout
    with open(padded, "w") as stream:
        stream.write(source)
    return {"padded": padded, "simple": str(REPO / "mlxp" / "_metrics.py")}


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"design_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rate(design: ModuleType, n: int, directory: str) -> float:
    log = design.MetricsLog(tempfile.mkdtemp(dir=directory))
    start = time.perf_counter()
    for i in range(n):
        log.log({"epoch": i, "loss": 1.0 / (i + 1)}, "train")
    elapsed = time.perf_counter() - start
    log.close()
    return n / elapsed




def bytes_on_disk(design: ModuleType, lines: int, tag: int, directory: str) -> Tuple[int, int]:
    """(file size, size of the same lines unpadded) for ``lines`` lines of ~``tag`` bytes."""
    target = tempfile.mkdtemp(dir=directory)
    log = design.MetricsLog(target)
    for i in range(lines):
        log.log({"i": i, "tag": "x" * tag}, "train")
    log.close()
    with open(os.path.join(target, "train.json"), "rb") as stream:
        data = stream.read()
    return len(data), sum(len(line.rstrip(b" ")) + 1 for line in data.splitlines())


def child(path: str, directory: str, session: int, count: int, size: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, path, directory, str(session),
                             str(count), str(size)], stdout=subprocess.PIPE, text=True)


def audit(path: str) -> Tuple[int, int, Dict[int, List[int]]]:
    """(lines, unparsable lines, {session: its line numbers in order}) of a metrics file."""
    with open(path, "rb") as stream:
        raw = stream.read().splitlines()
    sessions: Dict[int, List[int]] = {}
    torn = 0
    for line in raw:
        try:
            record = json.loads(line)
        except ValueError:
            torn += 1
            continue
        sessions.setdefault(record["s"], []).append(record["i"])
    return len(raw), torn, sessions


def sigkill_run(design: ModuleType, path: str, kills: int, directory: str
                ) -> Tuple[int, int, int, int]:
    """Kill a logging process ``kills`` times, each reopening the file: (lines, partial
    last lines left by a kill, lines torn after reopening, lines lost)."""
    target = tempfile.mkdtemp(dir=directory)
    file_path = os.path.join(target, "train.json")
    rng = random.Random(0)
    partial = 0
    for session in range(kills):
        process = child(path, target, session, -1, 3000)
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.05))
        process.send_signal(signal.SIGKILL)  # our own child
        process.wait()
        with open(file_path, "rb") as stream:
            stream.seek(-1, os.SEEK_END)
            partial += stream.read(1) != b"\n"
    design.MetricsLog(target).log({"s": kills, "i": 0, "tag": ""}, "train")  # opened again
    lines, torn, sessions = audit(file_path)
    # a killed session may lose only its last line (the write in flight): count other gaps
    lost = sum(max(numbers) + 1 - len(set(numbers)) for numbers in sessions.values())
    return lines, partial, torn, lost


def two_writers(path: str, count: int, directory: str) -> Tuple[int, int]:
    """Two processes append ``count`` lines each to one file: (lost, torn)."""
    target = tempfile.mkdtemp(dir=directory)
    processes = [child(path, target, session, count, 2000) for session in (0, 1)]
    for process in processes:
        process.communicate()
    _, torn, sessions = audit(os.path.join(target, "train.json"))
    lost = sum(count - len(set(sessions.get(session, []))) for session in (0, 1))
    return lost, torn


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100_000, help="calls per rate measurement")
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        paths = design_sources(directory)
        designs = {name: load(path) for name, path in paths.items()}
        samples: Dict[str, List[float]] = {"floor": [], **{name: [] for name in designs}}
        for _ in range(args.repeats):  # interleaved: the machine's noise hits all alike
            samples["floor"].append(json_lines_floor_rate(args.n, directory))
            for name, design in designs.items():
                samples[name].append(rate(design, args.n, directory))
        floor = statistics.median(samples["floor"])
        print(f"log {{'epoch', 'loss'}}, N={args.n:,}, median of {args.repeats};"
              f" floor {floor:,.0f} calls/s")
        for name, design in designs.items():
            calls = statistics.median(samples[name])
            small, small_content = bytes_on_disk(design, 20_000, 30, directory)
            big, big_content = bytes_on_disk(design, 2_000, 2040, directory)
            lines, partial, torn, lost = sigkill_run(design, paths[name], args.kills, directory)
            two_lost, two_torn = two_writers(paths[name], 20_000, directory)
            print(f"{name:<7} {calls:>9,.0f} calls/s {calls / floor:5.2f}x floor"
                  f" | bytes/content: 40 B lines {small / small_content:4.2f}x,"
                  f" 2 KiB lines {big / big_content:4.2f}x"
                  f" | {args.kills} SIGKILLs: {lines:,} lines, {partial} partial last lines,"
                  f" then {torn} torn, {lost} lost"
                  f" | 2 writers x 20,000: {two_lost} lost, {two_torn} torn")


if __name__ == "__main__":
    main()
