"""Benchmark ``mlxp ls`` on 10,000 runs against the warm Reader (side by side) and, cold,
against a PyYAML-C scan.

    python bench/bench_results.py [--dir ~/.cache/mlxp-bench/runs10k] [--runs 10000]

Uses the runs of ``bench_reader.py`` (generated once into ``--dir``: config, info, a 100-line
metrics file each) and measures, side by side:

(a) in one process: ``Reader(dir).filter("")`` with the index warm, against ``mlxp ls dir``
    (``main([...])``, output to /dev/null) with the index and the summaries cache warm
    (target: ls <= 1.5x the Reader), best wall time and median CPU time taken in turns; and the Reader doing what ls shows (each run's fields
    and last metric values, read from the metrics files);
(b) whole processes, the same two (``python -c`` for the Reader, the ``mlxp`` command);
(c) cold: ``mlxp ls`` with no index and no summaries cache (it reads every config, info and
    metrics file) against the PyYAML-C scan of every config.yaml and info.yaml.

The machine is noisy: compare the ratios printed, not the absolute times.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from typing import List, Tuple

from _common import time_process, warm_bytecode
from bench_reader import DEFAULT_DIR, best_of, ensure_runs, yaml_floor

from mlxp.__main__ import main as mlxp_main
from mlxp.reader import Reader
from mlxp.reader.index import INDEX_FILE
from mlxp.results.metricfiles import SUMMARY_CACHE
from mlxp.results.rowcache import ROW_CACHE


def warm_reader(parent: str) -> int:
    """What ``mlxp ls`` builds on: every run, through the index."""
    return len(Reader(parent).filter(""))


def reader_with_what_ls_shows(parent: str) -> int:
    """The Reader doing what ``mlxp ls`` shows: each run's fields and its last metric values
    (what a user script would do without ``mlxp ls``)."""
    shown = 0
    for row in Reader(parent).filter(""):
        row.flat()
        shown += len(row["train.loss"][-1:]) + len(row["train.epoch"][-1:])
    return shown


def ls_in_process(parent: str) -> int:
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        return mlxp_main(["ls", parent])


def interleaved_cpu(parent: str, repeats: int) -> Tuple[float, float]:
    """Median CPU seconds of the warm Reader and of ``mlxp ls``, measured in turns so that a
    change in the machine's load touches both (wall times move with other jobs' load)."""
    readers: List[float] = []
    listings: List[float] = []
    for _ in range(repeats):
        for function, times in ((warm_reader, readers), (ls_in_process, listings)):
            start = time.process_time()
            function(parent)
            times.append(time.process_time() - start)
    return statistics.median(readers), statistics.median(listings)


def forget_caches(parent: str) -> None:
    for name in (INDEX_FILE, SUMMARY_CACHE, ROW_CACHE):
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(parent, name))


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--dir", default=DEFAULT_DIR, help="where the generated runs are kept")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    parent = os.path.abspath(args.dir)
    ensure_runs(parent, args.runs)
    python = sys.executable
    mlxp = os.path.join(os.path.dirname(python), "mlxp")
    warm_bytecode(python, "mlxp.__main__")
    ls_in_process(parent)  # builds the index and the summaries cache

    t_reader, runs = best_of(lambda: warm_reader(parent), repeats=args.repeats)
    t_ls, _ = best_of(lambda: ls_in_process(parent), repeats=args.repeats)
    print(f"runs: {runs}")
    print(f"(a) in-process, warm Reader + filter(''): {t_reader:7.3f} s")
    print(f"    in-process, mlxp ls (warm caches):    {t_ls:7.3f} s"
          f"  = {t_ls / t_reader:.2f}x the Reader (target <= 1.5x)")
    cpu_reader, cpu_ls = interleaved_cpu(parent, repeats=2 * args.repeats + 1)
    print(f"    CPU time, interleaved, median:        {cpu_reader:7.3f} s and {cpu_ls:.3f} s"
          f"  = {cpu_ls / cpu_reader:.2f}x the Reader")
    t_values, _ = best_of(lambda: reader_with_what_ls_shows(parent), repeats=1)
    print(f"    in-process, warm Reader + each run's fields and last metrics:"
          f" {t_values:7.3f} s  (mlxp ls = {t_ls / t_values:.2f}x)")

    reader_argv = [python, "-c", "import sys; from mlxp.reader import Reader;"
                   " Reader(sys.argv[1]).filter('')", parent]
    p_reader = time_process(reader_argv, repeats=args.repeats)
    p_ls = time_process([mlxp, "ls", parent], repeats=args.repeats)
    print(f"(b) process, warm Reader + filter(''):    {p_reader:7.3f} s")
    print(f"    process, mlxp ls (warm caches):       {p_ls:7.3f} s"
          f"  = {p_ls / p_reader:.2f}x the Reader (target <= 1.5x)")

    t_floor, _ = best_of(lambda: yaml_floor(parent), repeats=3)
    p_cold = time_process([mlxp, "ls", parent], repeats=3,
                          prepare=lambda: forget_caches(parent))
    print(f"(c) floor, PyYAML-C scan of config+info:   {t_floor:7.3f} s")
    print(f"    process, mlxp ls cold (no caches):     {p_cold:7.3f} s"
          f"  = {p_cold / t_floor:.2f}x the floor")
    ls_in_process(parent)  # leave the caches warm for the next run
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
