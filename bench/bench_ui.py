"""Benchmark ``mlxp ui``'s server on 10,000 runs and on a metric of 1,000,000 points.

    python bench/bench_ui.py [--dir ~/.cache/mlxp-bench/runs10k] [--runs 10000] [--series-only]

Uses bench_reader.py's generated runs (made once into ``--dir``) and a server started in this
process (``mlxp.ui.server.start_in_thread``), queried over HTTP as the browser does:

(a) the floor: a plain PyYAML-C scan of every config.yaml and info.yaml;
(b) cold: a new server's first ``GET /api/runs`` (the whole table: 10,000 runs with config
    and metric summaries) without the Reader's index nor the metric summaries cache;
(c) the same with both on disk (target < 0.5 s; its CPU time against the warm Reader's, taken
    in turns), and the later requests, answered from memory (mlxp.ui.runs_table);
(d) downsampling 1,000,000 points to 800 pixel columns: ours (``mlxp.ui.downsample``, x known
    to increase as for a cached curve, and checking it first) and the general
    ``mlxp.results.curves.downsample_minmax`` (target < 0.1 s);
(e) ``GET /api/series`` of a 1,000,000-line metrics file, against the floor (reading the file
    and one ``json.loads`` of its lines joined): a new server's first request parsing in memory
    only (as before the column cache, and for a log directory that cannot be written), the
    first request building the column cache (cold), a new server's first request with the
    columns on disk (target < 0.1 s), and later requests (the curve kept in memory);
(f) ``GET /api/series`` overlaying 100 runs.

The machine is noisy: compare the ratios printed, not the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
import urllib.request
from typing import Callable, List, Tuple

from _common import median_of
from bench_reader import DEFAULT_DIR, ensure_runs, yaml_floor

from mlxp.reader import Reader
from mlxp.reader.index import INDEX_FILE
from mlxp.results.columns import COLUMNS_DIR
from mlxp.results.curves import downsample_minmax
from mlxp.results.metricfiles import SUMMARY_CACHE
from mlxp.results.rowcache import ROW_CACHE
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
    for name in (INDEX_FILE, SUMMARY_CACHE, ROW_CACHE):
        if os.path.exists(os.path.join(parent, name)):
            os.remove(os.path.join(parent, name))


def first_answer(parent: str) -> float:
    """Seconds from a new server's start to its whole first /api/runs answer."""
    start = time.perf_counter()
    url, stop = start_in_thread(parent)
    fetch(api(url, "runs"))
    seconds = time.perf_counter() - start
    stop()
    return seconds


def interleaved_cpu(parent: str, repeats: int = 7) -> Tuple[float, float]:
    """Median CPU seconds of the warm Reader and of a new server's first /api/runs (the
    server runs in this process), taken in turns: wall times move with other jobs' load."""
    readers: List[float] = []
    answers: List[float] = []
    for _ in range(repeats):
        start = time.process_time()
        Reader(parent).filter("")
        readers.append(time.process_time() - start)
        start = time.process_time()
        first_answer(parent)
        answers.append(time.process_time() - start)
    return statistics.median(readers), statistics.median(answers)


def table(parent: str) -> Tuple[float, float, float, float, int]:
    """(floor, cold, first with warm caches, later) seconds for the runs table, and its size."""
    floor = best_of(lambda: yaml_floor(parent))

    def cold() -> float:
        forget_caches(parent)
        return first_answer(parent)

    cold_seconds = min(cold() for _ in range(2))
    warm_first = min(first_answer(parent) for _ in range(3))
    cpu_reader, cpu_first = interleaved_cpu(parent)
    print(f"    CPU time, interleaved, median: warm Reader + filter('') {cpu_reader:.3f} s,"
          f" a new server's first /api/runs {cpu_first:.3f} s = {cpu_first / cpu_reader:.2f}x")
    url, stop = start_in_thread(parent)
    size = fetch(api(url, "runs"))
    later = best_of(lambda: fetch(api(url, "runs")), repeats=5)
    stop()
    return floor, cold_seconds, warm_first, later, size


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


def json_floor(path: str) -> None:
    """Reading the file and one ``json.loads`` of its lines joined: parsing it once, in C."""
    with open(path, "rb") as stream:
        text = stream.read().decode()
    json.loads("[" + text.rstrip("\n").replace("\n", ",") + "]")


def new_server_first(parent: str, path: str) -> float:
    """Seconds of a new server's first ``GET path`` (the server's start not counted)."""
    url, stop = start_in_thread(parent)
    start = time.perf_counter()
    fetch(api(url, path))
    seconds = time.perf_counter() - start
    stop()
    return seconds


def series_section() -> None:
    """(e): a curve of POINTS points, parsed in memory, from a cold column cache, from a warm
    one by a new server, and from the server's memory."""
    with tempfile.TemporaryDirectory() as scratch:
        big_metric(scratch)
        path = f"series?runs=1&log=train&y=loss&width={WIDTH}"
        floor = best_of(lambda: json_floor(os.path.join(scratch, "1", "metrics", "train.json")))
        cache_dir = os.path.join(scratch, COLUMNS_DIR)
        with open(cache_dir, "w"):  # a file in the way: the columns cannot be kept
            pass
        memory = min(new_server_first(scratch, path) for _ in range(2))
        os.remove(cache_dir)

        def cold() -> float:
            shutil.rmtree(cache_dir, ignore_errors=True)
            return new_server_first(scratch, path)

        cold_seconds = min(cold() for _ in range(2))
        warm = [new_server_first(scratch, path) for _ in range(7)]
        url, stop = start_in_thread(scratch)
        fetch(api(url, path))
        later = median_of(lambda: fetch(api(url, path)))
        stop()
    print(f"(e) GET /api/series, {POINTS:,}-line file; floor, read + one json.loads of the"
          f" lines: {floor:.3f} s")
    print(f"    a new server's first request, parsing in memory only: {memory:7.3f} s"
          f" = {memory / floor:.2f}x floor")
    print(f"    the same building the column cache (cold):            {cold_seconds:7.3f} s"
          f" = {cold_seconds / floor:.2f}x floor")
    print(f"    a new server's first request, columns on disk:        {min(warm):7.3f} s"
          f" best, {statistics.median(warm):.3f} s median = {min(warm) / floor:.3f}x floor,"
          f" {memory / min(warm):.0f}x faster than parsing (target < 0.1 s)")
    print(f"    then each request (the curve in memory):              {later:7.3f} s"
          f" = {later / floor:.3f}x floor")


def main(argv: List[str] = None) -> int:  # type: ignore[assignment]
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--dir", default=DEFAULT_DIR, help="where the generated runs are kept")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--series-only", action="store_true",
                        help="only (e): the curve of 1,000,000 points")
    args = parser.parse_args(argv)
    if args.series_only:
        series_section()
        return 0
    parent = os.path.abspath(args.dir)
    ensure_runs(parent, args.runs)

    floor, cold, warm, later, size = table(parent)
    print(f"runs: {args.runs}; /api/runs answer: {size / 1e6:.1f} MB")
    print(f"(a) floor, PyYAML-C scan of config+info: {floor:7.3f} s")
    print(f"(b) cold: new server, first /api/runs:    {cold:7.3f} s  = {cold / floor:.2f}x floor")
    print(f"(c) new server, index and summaries warm: {warm:7.3f} s  = {warm / floor:.3f}x floor"
          "  (target < 0.5 s)")
    print(f"    then each /api/runs (from memory):    {later:7.3f} s  = {later / floor:.3f}x"
          " floor")

    generator = random.Random(1)
    xs = list(range(POINTS))
    ys = [generator.gauss(0, 1) for _ in xs]
    known = median_of(lambda: downsample(xs, ys, WIDTH, increasing=True))
    checked = median_of(lambda: downsample(xs, ys, WIDTH))
    general = median_of(lambda: downsample_minmax(xs, ys, WIDTH), repeats=3)
    print(f"(d) downsample {POINTS:,} points to {WIDTH} columns: {known * 1000:7.1f} ms"
          f" (x known increasing, as for a cached curve; {checked * 1000:.1f} ms checking it;"
          f" general min/max: {general * 1000:.1f} ms; target < 100 ms)")

    series_section()

    url, stop = start_in_thread(parent)
    ids = ",".join(str(i) for i in range(1, 101))
    overlay = median_of(lambda: fetch(api(url, f"series?runs={ids}&log=train&y=loss&x=epoch")))
    stop()
    print(f"(f) GET /api/series overlaying 100 runs:   {overlay * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
