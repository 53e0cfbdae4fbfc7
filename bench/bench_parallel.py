"""A local sweep of 64 CPU-bound points, ``-j 2`` against sequential, and Hydra's joblib launcher.

Usage: python bench/bench_parallel.py [--points 64] [--seconds 0.2] [--repeats 3]
                                      [--hydra-python PATH]

Each point spins until it has used ``--seconds`` of CPU time, so every point does the same work
whatever else runs. Measured in the same run, the commands taking turns, median wall time of
``--repeats``:

- mlxp sequential: ``python main.py seed=range(0,64)``;
- mlxp parallel: the same with ``-j 2`` (each point forked from a helper that has imported
  mlxp); target: at most 0.6x the sequential time on a 2-core machine. The CPU time of each
  command (with all its processes) is printed too: the CPU a point adds in ``-j 2`` and the
  ratio 2 idle cores would give do not depend on the machine's load as wall times do;
- the parallel runner's cost per point: 64 points of a task that does nothing, started one at a
  time by the runner (a one-device list, ``mlxp.launcher.devices=0``), less one launch, per
  point, against the time of starting ``python main.py`` once (one run of the same task);
  target: at most 1.5x;
- Hydra 1.3.8's joblib launcher on the same task (``-m ... hydra/launcher=joblib
  hydra.launcher.n_jobs=2``), and its basic launcher, sequential, from a separate venv::

      python3 -m venv ~/.cache/mlxp-bench/venv-hydra
      ~/.cache/mlxp-bench/venv-hydra/bin/pip install hydra-core==1.3.8 hydra-joblib-launcher==1.2.0

  Without it, the script says so and measures the rest.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from _common import PYTHON, bytecode_env, warm_bytecode

HYDRA_VENV = Path.home() / ".cache" / "mlxp-bench" / "venv-hydra"

SPIN = '''
import time

def spin(seconds):
    """Use ``seconds`` of CPU time: the same work for every point, however busy the machine."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
'''

MLXP_MAIN = SPIN + '''
import mlxp

@mlxp.launch(config_path="./configs")
def task(ctx):
    spin(ctx.config.seconds)
    ctx.logger.log_metrics({"seed": ctx.config.seed})

if __name__ == "__main__":
    task()
'''

HYDRA_MAIN = SPIN + '''
import json, os
import hydra

@hydra.main(version_base=None, config_path="configs", config_name="config")
def task(cfg):
    spin(cfg.seconds)
    with open("train.json", "a") as stream:  # in the job's own directory
        stream.write(json.dumps({"seed": cfg.seed}) + "\\n")

if __name__ == "__main__":
    task()
'''


def _children_cpu() -> float:
    """CPU seconds used by every process this one has reaped, and theirs (the points)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: Sequence[str], cwd: Path) -> Tuple[float, float]:
    """Wall time and CPU time (with all its processes) of ``argv`` in a clean ``cwd`` (its logs
    and outputs removed first)."""
    for made in ("logs", "multirun", "outputs"):
        shutil.rmtree(cwd / made, ignore_errors=True)
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(list(argv), cwd=str(cwd), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=bytecode_env())
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    return time.perf_counter() - start, _children_cpu() - cpu


def interleaved(commands: Dict[str, Tuple[List[str], Path, int]], repeats: int
                ) -> Tuple[Dict[str, float], Dict[str, float]]:
    """Median wall and CPU time of each command, run in turn ``repeats`` times (``n`` times
    each turn), so that a change in the machine's load hits them all alike."""
    samples: Dict[str, List[Tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, (argv, cwd, n) in commands.items():
            samples[name] += [run_once(argv, cwd) for _ in range(n)]
    return ({name: statistics.median(wall for wall, _ in values)
             for name, values in samples.items()},
            {name: statistics.median(cpu for _, cpu in values) for name, values in samples.items()})


def project(workspace: Path, name: str, main: str, seconds: float) -> Path:
    root = workspace / name
    (root / "configs").mkdir(parents=True)
    (root / "configs" / "config.yaml").write_text(f"seed: 0\nseconds: {seconds}\n")
    (root / "main.py").write_text(main)
    return root


def hydra_python(given: Optional[str]) -> Optional[str]:
    python = Path(given) if given else HYDRA_VENV / "bin" / "python"
    if not python.exists():
        print(f"(Hydra venv not found at {python}: see this script's docstring; Hydra skipped)")
        return None
    check = subprocess.run([str(python), "-c", "import hydra_plugins.hydra_joblib_launcher"],
                           capture_output=True)
    if check.returncode != 0:
        print(f"({python} has no hydra-joblib-launcher: Hydra skipped)")
        return None
    return str(python)


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hydra-python", default=None)
    args = parser.parse_args(argv)
    sweep = f"seed=range(0,{args.points})"
    print(f"{args.points} points of {args.seconds} s of CPU each, {os.cpu_count()} CPUs,"
          f" median of {args.repeats}")
    warm_bytecode(PYTHON, "mlxp")
    with tempfile.TemporaryDirectory() as workspace:
        spin_project = project(Path(workspace), "spin", MLXP_MAIN, args.seconds)
        idle = project(Path(workspace), "idle", MLXP_MAIN, 0.0)
        python = hydra_python(args.hydra_python)
        commands = {
            "sequential": ([PYTHON, "main.py", sweep], spin_project, 1),
            "parallel": ([PYTHON, "main.py", sweep, "-j", "2"], spin_project, 1),
            "once": ([PYTHON, "main.py", "seed=0"], idle, 5),
            "runner": ([PYTHON, "main.py", sweep, "mlxp.launcher.devices=0"], idle, 1),
        }
        if python is not None:
            warm_bytecode(python, "hydra_plugins.hydra_joblib_launcher.joblib_launcher")
            hydra_project = project(Path(workspace), "hydra", HYDRA_MAIN, args.seconds)
            commands["joblib"] = ([python, "main.py", "-m", sweep, "hydra/launcher=joblib",
                                   "hydra.launcher.n_jobs=2"], hydra_project, 1)
            commands["basic"] = ([python, "main.py", "-m", sweep], hydra_project, 1)
        times, cpu = interleaved(commands, args.repeats)
        sequential, parallel = times["sequential"], times["parallel"]
        print(f"mlxp sequential                 {sequential:7.2f} s   CPU {cpu['sequential']:.2f} s")
        print(f"mlxp -j 2                       {parallel:7.2f} s   {parallel / sequential:.2f}x"
              f" sequential (target <= 0.6x); CPU {cpu['parallel']:.2f} s")
        # what the load cannot blur: the CPU each point adds, and the wall time 2 idle cores
        # would take to do the parallel sweep's work, against the sequential one's
        extra = (cpu["parallel"] - cpu["sequential"]) / args.points
        print(f"CPU a point adds in -j 2        {extra * 1000:7.1f} ms   on 2 idle cores: about"
              f" {cpu['parallel'] / 2 / cpu['sequential']:.2f}x sequential")
        print(f"python main.py seed=0, CPU      {cpu['once'] * 1000:7.1f} ms")
        once, per_point = times["once"], (times["runner"] - times["once"]) / args.points
        print(f"python main.py seed=0, once     {once * 1000:7.1f} ms")
        print(f"parallel runner, per point      {per_point * 1000:7.1f} ms   {per_point / once:.2f}x"
              " one launch (target <= 1.5x)")
        if python is None:
            return
        basic, joblib = times["basic"], times["joblib"]
        print(f"Hydra basic launcher            {basic:7.2f} s   {basic / sequential:.2f}x"
              " mlxp sequential")
        print(f"Hydra joblib n_jobs=2           {joblib:7.2f} s   {joblib / basic:.2f}x Hydra basic;"
              f" mlxp -j 2 / Hydra joblib: {parallel / joblib:.2f}x")


if __name__ == "__main__":
    main()
