"""Benchmark ``mlxp ui``'s server on 10,000 runs and on a metric of 1,000,000 points.

    python bench/bench_ui.py [--dir ~/.cache/mlxp-bench/runs10k] [--runs 10000]

Uses bench_reader.py's generated runs (made once into ``--dir``) and a server started in this
process (``mlxp.ui.server.start_in_thread``), queried over HTTP as the browser does:

(a) the floor: a plain PyYAML-C scan of every config.yaml and info.yaml;
(b) cold: ``GET /api/runs`` (the whole table: 10,000 runs with config and metric summaries)
    without the Reader's index nor the metric summaries cache;
(c) warm: the same with both built (target < 0.5 s);
(d) downsampling 1,000,000 points to 800 pixel columns: ours (``mlxp.ui.downsample``, x known
    to increase as for a cached curve, and checking it first) and the general
    ``mlxp.results.curves.downsample_minmax`` (target < 0.1 s);
(e) ``GET /api/series`` of a 1,000,000-line metrics file: first request (parsing the file)
    and later ones (the parsed curve is cached in memory);
(f) ``GET /api/series`` overlaying 100 runs.

The machine is noisy: compare the ratios printed, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import urllib.request
from typing import Callable, List, Tuple

from _common import median_of
from bench_reader import DEFAULT_DIR, ensure_runs, yaml_floor

from mlxp.reader.index import INDEX_FILE
from mlxp.results.curves import downsample_minmax
from mlxp.results.metricfiles import SUMMARY_CACHE
from mlxp.ui.downsample import downsample
from mlxp.ui.server import start_in_thread

POINTS = 1_000_000
WIDTH = 800


def fetch(url: str) -> int:
    """GET ``url`` and read the whole answer; its size in bytes."""
    with urllib.request.urlopen(url, timeout=600) as answer:
        return len(answer.read())


def best_of(function: Callable[[], object], repeats: int = 3) -> float:
    times: List[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def api(url: str, path: str) -> str:
    base, _, token = url.partition("?")
    return f"{base}api/{path}{'&' if '?' in path else '?'}{token}"


def forget_caches(parent: str) -> None:
    for name in (INDEX_FILE, SUMMARY_CACHE):
        if os.path.exists(os.path.join(parent, name)):
            os.remove(os.path.join(parent, name))


def table(parent: str) -> Tuple[float, float, float, int]:
    """(floor, cold, warm) seconds for the runs table, and its size in bytes."""
    floor = best_of(lambda: yaml_floor(parent))
    colds = []
    for _ in range(2):
        forget_caches(parent)
        url, stop = start_in_thread(parent)
        start = time.perf_counter()
        fetch(api(url, "runs"))
        colds.append(time.perf_counter() - start)
        stop()
    url, stop = start_in_thread(parent)
    size = fetch(api(url, "runs"))
    warm = best_of(lambda: fetch(api(url, "runs")), repeats=5)
    stop()
    return floor, min(colds), warm, size


def big_metric(parent: str) -> str:
    """A run whose metrics/train.json holds POINTS lines (made once)."""
    run = os.path.join(parent, "1")
    os.makedirs(os.path.join(run, "metadata"), exist_ok=True)
    os.makedirs(os.path.join(run, "metrics"), exist_ok=True)
    with open(os.path.join(run, "metadata", "info.yaml"), "w") as stream:
        stream.write("status: RUNNING\n")
    generator = random.Random(0)
    with open(os.path.join(run, "metrics", "train.json"), "w") as stream:
        for step in range(POINTS):
            stream.write(json.dumps({"step": step, "loss": generator.random()}) + "\n")
    return parent


def main(argv: List[str] = None) -> int:  # type: ignore[assignment]
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--dir", default=DEFAULT_DIR, help="where the generated runs are kept")
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args(argv)
    parent = os.path.abspath(args.dir)
    ensure_runs(parent, args.runs)

    floor, cold, warm, size = table(parent)
    print(f"runs: {args.runs}; /api/runs answer: {size / 1e6:.1f} MB")
    print(f"(a) floor, PyYAML-C scan of config+info: {floor:7.3f} s")
    print(f"(b) cold GET /api/runs:                   {cold:7.3f} s  = {cold / floor:.2f}x floor")
    print(f"(c) warm GET /api/runs:                   {warm:7.3f} s  = {warm / floor:.3f}x floor"
          "  (target < 0.5 s)")

    generator = random.Random(1)
    xs = list(range(POINTS))
    ys = [generator.gauss(0, 1) for _ in xs]
    known = median_of(lambda: downsample(xs, ys, WIDTH, increasing=True))
    checked = median_of(lambda: downsample(xs, ys, WIDTH))
    general = median_of(lambda: downsample_minmax(xs, ys, WIDTH), repeats=3)
    print(f"(d) downsample {POINTS:,} points to {WIDTH} columns: {known * 1000:7.1f} ms"
          f" (x known increasing, as for a cached curve; {checked * 1000:.1f} ms checking it;"
          f" general min/max: {general * 1000:.1f} ms; target < 100 ms)")

    with tempfile.TemporaryDirectory() as scratch:
        url, stop = start_in_thread(big_metric(scratch))
        series = api(url, f"series?runs=1&log=train&y=loss&width={WIDTH}")
        start = time.perf_counter()
        fetch(series)
        first = time.perf_counter() - start
        later = median_of(lambda: fetch(series))
        stop()
    print(f"(e) GET /api/series, {POINTS:,}-line file: first {first:.3f} s (parsing),"
          f" then {later * 1000:.1f} ms (cached curve)")

    url, stop = start_in_thread(parent)
    ids = ",".join(str(i) for i in range(1, 101))
    overlay = median_of(lambda: fetch(api(url, f"series?runs={ids}&log=train&y=loss&x=epoch")))
    stop()
    print(f"(f) GET /api/series overlaying 100 runs:   {overlay * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
