"""Parallel local sweeps (``-j N``, ``mlxp.launcher.*``) and ``mlxp rerun``, run as a user runs them.

The points of these tasks coordinate through marker files in the project (``fail_2`` makes
point ``seed=2`` raise, ``block_1`` keeps point 1 running, ``wait_1`` holds point 1 until
point 2 has started): the tests synchronise on the files the runs write, never on sleeps.
Every test where the runner sends a signal runs inside a pid namespace of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Sequence

import pytest

from mlxp._devices import DevicePool, device_list, job_count
from mlxp.errors import SettingsError
from projects import make_project, read_yaml, run_main, timeless
from test_process import PID_NAMESPACE, needs_pid_namespace

TASK = """
import os, signal, sys, time
import mlxp

if os.environ.get("MLXP_POINT_RUN") and os.path.exists("die_early"):  # a point's process only
    os._exit(7)

def wait_for(path):
    deadline = time.monotonic() + 60
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    return os.path.exists(path)

@mlxp.launch(config_path="./configs")
def task(ctx):
    seed = ctx.config.seed
    print(f"running {seed}", flush=True)
    open(f"started_{seed}", "w").close()
    overlapped = None
    if os.path.exists(f"wait_{seed}"):
        overlapped = wait_for(f"started_{open(f'wait_{seed}').read().strip()}")
    if os.path.exists(f"fail_{seed}"):
        print(f"about to fail {seed}", file=sys.stderr, flush=True)
        raise ValueError(f"seed {seed} is unlucky")
    if os.path.exists(f"exit_{seed}"):
        sys.exit(3)
    if os.path.exists(f"sigkill_{seed}"):
        os.kill(os.getpid(), signal.SIGKILL)
    if os.path.exists(f"block_{seed}"):
        while True:
            time.sleep(0.02)
    ctx.logger.log_metrics({"seed": seed, "overlapped": overlapped,
                            "devices": os.environ.get("CUDA_VISIBLE_DEVICES")})

task()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p", main=TASK, config="seed: 0\n")


def _mark(project: Path, **markers: Any) -> None:
    """``_mark(p, fail_2="", wait_1=2)`` writes the marker files ``fail_2`` and ``wait_1``."""
    for name, text in markers.items():
        (project / name).write_text(str(text))


def _info(project: Path, log_id: int) -> Dict[str, Any]:
    return read_yaml(project / "logs" / str(log_id) / "metadata" / "info.yaml")


def _runs(project: Path) -> List[str]:
    return sorted((p.name for p in (project / "logs").iterdir() if p.name.isdigit()), key=int)


def _tree(run_dir: Path) -> Dict[str, str]:
    """Every file of a run directory (relative path -> what must match across runners)."""
    files = {}
    for path in sorted(run_dir.rglob("*")):
        if path.is_file():
            name = str(path.relative_to(run_dir))
            text = path.read_text().replace(str(run_dir.parent.parent), "<project>")
            if name == "metadata/info.yaml":
                info = read_yaml(path)
                text = repr({k: info[k] for k in ("status", "error", "overrides")})
            elif name == "log.stderr":  # tracebacks name the project's own path
                text = (text.strip().splitlines() or [""])[-1]
            elif name == "metadata/sweep.yaml":
                text = repr(read_yaml(path)["overrides"])
            elif name in ("metadata/.run.lock", "metadata/heartbeat"):  # a pid, a time
                text = ""
            files[name] = text
    return files


# --- a parallel sweep is a sweep ---------------------------------------------------------------


@pytest.mark.parametrize("streams", [
    pytest.param("true", id="streams-logged"),
    pytest.param("false", id="streams-on-the-terminal"),
])
def test_a_parallel_sweep_leaves_the_run_directories_of_a_sequential_one(
    tmp_path: Path, streams: str
) -> None:
    results, trees = {}, {}
    for runner, flags in (("sequential", []), ("parallel", ["-j", "2"])):
        project = make_project(tmp_path / runner, main=TASK, config="seed: 0\n")
        _mark(project, fail_2="", exit_3="")
        results[runner] = run_main(project, "seed=1,2,3,4", *flags,
                                   f"mlxp.logger.log_streams_to_file={streams}")
        trees[runner] = {name: _tree(project / "logs" / name) for name in _runs(project)}
    assert results["parallel"].returncode == results["sequential"].returncode == 1
    if streams == "false":  # the points' prints: on the terminal, or in their runs
        assert "running 1\n" in results["sequential"].stdout
        for name, tree in trees["parallel"].items():
            assert tree.pop("log.stdout") == f"running {name}\n"
    assert trees["parallel"] == trees["sequential"]
    assert trees["parallel"]["2"]["log.stderr"] == "ValueError: seed 2 is unlucky"
    assert [trees["parallel"][n]["metadata/info.yaml"] for n in "1234"] == [
        repr({"status": "COMPLETE", "error": None, "overrides": ["seed=1", f"mlxp.logger.log_streams_to_file={streams}"]}),
        repr({"status": "FAILED", "error": "ValueError: seed 2 is unlucky", "overrides": ["seed=2", f"mlxp.logger.log_streams_to_file={streams}"]}),
        repr({"status": "FAILED", "error": "SystemExit: exit code 3", "overrides": ["seed=3", f"mlxp.logger.log_streams_to_file={streams}"]}),
        repr({"status": "COMPLETE", "error": None, "overrides": ["seed=4", f"mlxp.logger.log_streams_to_file={streams}"]}),
    ]
    summary = timeless(results["parallel"].stderr)[-4:]
    sweep_id = _info(tmp_path / "parallel", 1)["sweep_id"]
    # the failures are listed as they ended: 3 (which exits at once) may end before 2
    assert sorted(summary[:2]) == ["FAILED logs/2: ValueError: seed 2 is unlucky",
                                   "FAILED logs/3: SystemExit: exit code 3"]
    assert summary[2:] == [f"to run what did not finish again: mlxp rerun logs --sweep {sweep_id}",
                           "4 runs: 2 COMPLETE, 2 FAILED (logs/2, logs/3)" if summary[0] <
                           summary[1] else "4 runs: 2 COMPLETE, 2 FAILED (logs/3, logs/2)"]


def test_each_points_output_goes_to_its_run_and_the_terminal_gets_progress(project: Path) -> None:
    _mark(project, fail_2="")
    result = run_main(project, "seed=1,2,3", "--jobs", "2")
    assert result.returncode == 1
    assert result.stdout == ""  # the points' prints are in their runs
    assert (project / "logs" / "1" / "log.stdout").read_text() == "running 1\n"
    assert not (project / "logs" / "1" / "log.stderr").exists()  # an empty one is not kept
    stderr = (project / "logs" / "2" / "log.stderr").read_text()
    assert stderr.startswith("about to fail 2\nTraceback (most recent call last):")
    lines = timeless(result.stderr)
    failed = lines.index(next(line for line in lines if line.startswith("[2/3] logs/2 FAILED")))
    assert lines[failed].startswith("[2/3] logs/2 FAILED T: ValueError: seed 2 is unlucky"
                                    " (traceback in logs/2/log.stderr) | ")
    assert lines[failed + 1:failed + 6][-1] == "    ValueError: seed 2 is unlucky"  # its tail
    ends = sorted(line.split(" | ")[0] for line in lines if " | " in line)
    assert ends == ["[1/3] logs/1 COMPLETE T",
                    "[2/3] logs/2 FAILED T: ValueError: seed 2 is unlucky (traceback in"
                    " logs/2/log.stderr)",
                    "[3/3] logs/3 COMPLETE T"]
    assert any(line.endswith("3/3 done, T elapsed") for line in lines)


@pytest.mark.parametrize("flags", [
    pytest.param(["-j", "2"], id="dash-j"),
    pytest.param(["-j2"], id="dash-j-attached"),
    pytest.param(["--jobs=2"], id="long-flag"),
    pytest.param(["mlxp.launcher.jobs=2"], id="setting"),
    pytest.param(["--jobs", "auto"], id="auto-cpus"),
])
def test_points_run_at_the_same_time(project: Path, flags: List[str]) -> None:
    if flags == ["--jobs", "auto"] and len(os.sched_getaffinity(0)) < 2:
        pytest.skip("jobs=auto runs one point at a time on one CPU")
    _mark(project, wait_1=2, wait_2=1)  # each waits for the other to have started
    result = run_main(project, "seed=1,2", *flags)
    assert result.returncode == 0, result.stderr
    overlapped = [json.loads((project / "logs" / n / "metrics" / "train.json").read_text())
                  ["overlapped"] for n in ("1", "2")]
    assert overlapped == [True, True]
    assert _info(project, 1)["sweep_id"] == _info(project, 2)["sweep_id"]


def test_a_single_point_with_jobs_runs_in_this_process(project: Path) -> None:
    _mark(project, fail_1="")
    result = run_main(project, "seed=1", "-j", "4")
    assert result.returncode == 1 and "Traceback" in result.stderr  # as any single run
    assert "[1/1]" not in result.stderr


def test_without_a_logger_points_print_on_the_terminal_and_make_no_run(tmp_path: Path) -> None:
    main = """
        import os
        import mlxp

        @mlxp.launch(config_path="./configs")
        def task(ctx):
            os.write(1, f"point {ctx.config.seed}\\n".encode())  # one write: never interleaved
            if ctx.config.seed == 2:
                raise ValueError("seed 2 is unlucky")

        task()
    """
    project = make_project(tmp_path / "p", main=main, config="seed: 0\n")
    result = run_main(project, "seed=1,2,3", "-j", "2", "mlxp.use_logger=false")
    assert result.returncode == 1
    assert sorted(result.stdout.splitlines()) == ["point 1", "point 2", "point 3"]
    assert "ValueError: seed 2 is unlucky" in result.stderr  # its traceback, on the terminal
    assert result.stderr.splitlines()[-1] == "3 runs: 2 COMPLETE, 1 FAILED ((no logger))"
    assert not (project / "logs").exists()


# --- devices ----------------------------------------------------------------------------------


def test_each_running_point_gets_its_own_devices(project: Path) -> None:
    _mark(project, wait_1=2, wait_2=1)
    result = run_main(project, "seed=1,2,3,4", "mlxp.launcher.devices=0,1,2,3",
                      "mlxp.launcher.devices_per_run=2", "--jobs", "auto")
    assert result.returncode == 0, result.stderr
    devices = [_info(project, n)["cuda_visible_devices"] for n in (1, 2, 3, 4)]
    assert sorted(devices[:2]) == ["0,1", "2,3"]  # points 1 and 2 ran together
    assert set(devices) == {"0,1", "2,3"}
    seen = [json.loads((project / "logs" / str(n) / "metrics" / "train.json").read_text())
            ["devices"] for n in (1, 2, 3, 4)]
    assert seen == devices
    assert read_yaml(project / "logs" / "1" / "metadata" / "mlxp.yaml")["launcher"]["devices"] \
        == [0, 1, 2, 3]


@pytest.mark.parametrize("args, words", [
    pytest.param(["-j", "0"], "mlxp.launcher.jobs must be a number of runs at once", id="zero"),
    pytest.param(["--jobs", "many"], "not 'many'", id="a-word"),
    pytest.param(["mlxp.launcher.jobs=-2"], "not -2", id="negative-setting"),
    pytest.param(["-j", "4", "mlxp.launcher.devices=0,1"], "use jobs=2 (or jobs=auto)",
                 id="more-jobs-than-devices"),
    pytest.param(["mlxp.launcher.devices=0,1", "mlxp.launcher.devices_per_run=3"],
                 "devices_per_run=3 but mlxp.launcher.devices lists 2", id="too-few-devices"),
    pytest.param(["mlxp.launcher.devices=[0,0]"], "lists device 0 twice", id="twice"),
    pytest.param(["mlxp.launcher.devices='0 1'"], "'0 1' is not a device", id="space"),
])
def test_bad_jobs_or_devices_are_errors_before_anything_runs(
    project: Path, args: List[str], words: str
) -> None:
    result = run_main(project, "seed=1,2", *args)
    assert result.returncode == 2
    assert result.stderr.startswith("main.py: error: ") and words in result.stderr
    assert "Traceback" not in result.stderr and not (project / "logs").exists()


@pytest.mark.parametrize("jobs, devices, per_run, cpus, expected", [
    pytest.param("auto", [], 1, 6, 6, id="auto-is-the-cpus"),
    pytest.param("auto", ["0", "1", "2", "3"], 1, 64, 4, id="auto-is-the-devices"),
    pytest.param("AUTO", ["0", "1", "2"], 2, 64, 1, id="auto-leaves-a-device-out"),
    pytest.param(3, [], 1, 2, 3, id="more-than-the-cpus-is-allowed"),
    pytest.param("2", [], 1, 2, 2, id="a-number-as-text"),
    pytest.param(2, ["a", "b", "c", "d"], 2, 2, 2, id="fills-the-devices"),
])
def test_job_count(monkeypatch: pytest.MonkeyPatch, jobs: Any, devices: List[str],
                   per_run: int, cpus: int, expected: int) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)))
    assert job_count(jobs, devices, per_run) == expected


@pytest.mark.parametrize("value, expected", [
    pytest.param("0,1,2,3", ["0", "1", "2", "3"], id="text"),
    pytest.param([0, 1], ["0", "1"], id="list"),
    pytest.param(3, ["3"], id="one"),
    pytest.param(["GPU-8f1a", "MIG-2c:1"], ["GPU-8f1a", "MIG-2c:1"], id="uuids"),
    pytest.param([], [], id="none"),
])
def test_device_list(value: Any, expected: List[str]) -> None:
    assert device_list(value) == expected


def test_device_pool_hands_each_group_to_one_point_at_a_time() -> None:
    pool = DevicePool(["0", "1", "2", "3", "4"], 2)
    first, second = pool.take(), pool.take()
    assert (first, second) == ("0,1", "2,3")
    pool.give(first)
    assert pool.take() == "0,1"
    assert DevicePool([], 1).take() is None


def test_jobs_zero_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        job_count(0, [], 1)
    assert caught.value.key == "launcher.jobs"


# --- signals, fail_fast: inside a pid namespace ------------------------------------------------

DRIVER = '''
import json, os, signal, subprocess, sys, time

def as_from_a_terminal():
    signal.signal(signal.SIGHUP, signal.SIG_DFL)  # a test runner under nohup ignores it

def wait_for(*paths):
    deadline = time.monotonic() + 60
    while not all(os.path.exists(p) for p in paths):
        assert time.monotonic() < deadline, paths
        time.sleep(0.01)

bystander = subprocess.Popen(["sleep", "60"])  # the runner must never signal it
sweep = subprocess.Popen([sys.executable, "main.py", *ARGS], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, preexec_fn=as_from_a_terminal)
wait_for(*WAIT)
middle = None
if MIDDLE:  # a command run while the sweep runs
    done = subprocess.run([sys.executable, "-m", "mlxp", *MIDDLE], capture_output=True, text=True)
    middle = {"code": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
if SIGNUM:
    sweep.send_signal(SIGNUM)
out, err = sweep.communicate(timeout=120)
alive = bystander.poll() is None
bystander.kill()
bystander.wait()
left = subprocess.run(["pgrep", "-f", "main.py"], capture_output=True, text=True).stdout
print("RESULT " + json.dumps({"code": sweep.returncode, "stdout": out, "stderr": err,
                              "bystander_alive": alive, "left": left, "middle": middle}),
      flush=True)
'''


def _drive(project: Path, args: List[str], wait: List[str], signum: int = 0,
           middle: Sequence[str] = (), sweep_id: str = "") -> Dict[str, Any]:
    """Run the sweep as pid 1's child in a new pid namespace; once ``wait`` exist, run ``mlxp
    <middle>`` (its result is ``["middle"]``), then signal the sweep."""
    (project / "driver.py").write_text(
        f"ARGS = {args!r}\nWAIT = {wait!r}\nSIGNUM = {int(signum)}\nMIDDLE = {list(middle)!r}\n"
        + textwrap.dedent(DRIVER))
    env = {**os.environ, "MLXP_SWEEP_ID": sweep_id} if sweep_id else None  # as mlxpsub sets it
    done = subprocess.run(["unshare", *PID_NAMESPACE, sys.executable, "driver.py"],
                          cwd=str(project), capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    result: Dict[str, Any] = json.loads(line[len("RESULT "):])
    assert result["bystander_alive"], "the runner signalled a process that is not a point"
    assert result["left"] == "", f"points still running: {result['left']}"
    return result


@needs_pid_namespace
@pytest.mark.parametrize("signum, code, words", [
    pytest.param(signal.SIGINT, 130, "interrupted by SIGINT", id="ctrl-c"),
    pytest.param(signal.SIGTERM, 143, "terminated by SIGTERM", id="sigterm"),
])
def test_a_signal_stops_every_running_point_and_starts_no_more(
    project: Path, signum: int, code: int, words: str
) -> None:
    _mark(project, block_2="", block_3="")
    result = _drive(project, ["seed=1,2,3,4,5,6", "-j", "2"], ["started_2", "started_3"], signum)
    assert result["code"] == code, result["stderr"]
    assert _runs(project) == ["1", "2", "3"]  # points 4-6 never started: no directory
    assert _info(project, 1)["status"] == "COMPLETE"
    for log_id in (2, 3):
        assert (_info(project, log_id)["status"], _info(project, log_id)["error"]) == (
            "FAILED", words)
    lines = result["stderr"].splitlines()
    assert lines[-1] == (f"6 runs: 1 COMPLETE, 2 FAILED (logs/2, logs/3), 3 not started"
                         f" (points 4-6); {words}") or lines[-1] == (
        f"6 runs: 1 COMPLETE, 2 FAILED (logs/3, logs/2), 3 not started (points 4-6); {words}")
    assert "Traceback" not in result["stderr"]


@needs_pid_namespace
def test_fail_fast_stops_the_running_points_and_starts_no_more(project: Path) -> None:
    _mark(project, wait_1=2, fail_1="", block_2="")  # 1 fails once 2 is running
    result = _drive(project, ["seed=1,2,3,4", "-j", "2", "mlxp.launcher.fail_fast=true"],
                    ["started_1"])
    assert result["code"] == 1, result["stderr"]
    assert _runs(project) == ["1", "2"]
    assert _info(project, 1)["error"] == "ValueError: seed 1 is unlucky"
    assert (_info(project, 2)["status"], _info(project, 2)["error"]) == (
        "FAILED", "terminated by SIGTERM")
    assert result["stderr"].splitlines()[-1] == (
        "4 runs: 0 COMPLETE, 2 FAILED (logs/1, logs/2), 2 not started (points 3-4);"
        " stopped at the first failure (mlxp.launcher.fail_fast)")


def test_a_point_killed_outright_is_recorded_failed_by_the_runner(project: Path) -> None:
    """A point's process that dies without a word (SIGKILL: the OOM killer) is not left RUNNING."""
    _mark(project, sigkill_2="")
    result = run_main(project, "seed=1,2,3", "-j", "2")
    assert result.returncode == 1
    assert [_info(project, n)["status"] for n in (1, 2, 3)] == ["COMPLETE", "FAILED", "COMPLETE"]
    info = _info(project, 2)
    assert info["error"] == "killed by SIGKILL" and info["end_time"]


def test_a_point_that_dies_before_its_run_starts_still_has_a_failed_run(project: Path) -> None:
    _mark(project, die_early="")
    result = run_main(project, "seed=1,2", "-j", "2")
    assert result.returncode == 1
    for log_id in (1, 2):
        info = _info(project, log_id)
        assert (info["status"], info["error"]) == ("FAILED", "exit code 7 before its run started")
        assert info["overrides"] == [f"seed={log_id}"] and info["sweep_id"]


# --- the version manager -----------------------------------------------------------------------


def test_with_the_version_manager_every_point_runs_the_snapshot(tmp_path: Path) -> None:
    from test_launcher_vcs import TASK as VCS_TASK, VM, _git, committed_project

    repo = committed_project(tmp_path / "repo", VCS_TASK)
    (repo / "main.py").write_text(VCS_TASK.replace('"committed"', '"edited"'))
    result = run_main(repo, "seed=1,2,3", "-j", "2", *VM)
    assert result.returncode == 0, result.stderr
    head = _git(repo, "rev-parse", "HEAD")
    snapshot = repo / ".work_dir" / "repo" / head
    for run in ("1", "2", "3"):  # each point's own process ran the committed copy
        assert (repo / "logs" / run / "log.stdout").read_text() == (
            f"code version: committed from {snapshot / 'main.py'}\n")
        assert read_yaml(repo / "logs" / run / "metadata" / "info.yaml")[
            "version_manager"]["commit_hash"] == head
    plan = read_yaml(repo / "logs" / "1" / "metadata" / "sweep.yaml")
    assert plan["program"][-1] == str(snapshot / "main.py") and plan["snapshot"]


# --- a point's start-up: each point pays it ----------------------------------------------------


def test_checking_a_sweep_composes_each_point_once() -> None:
    """The first point, composed (and checked) to read the settings, is not composed again."""
    from mlxp._run_point import SweepPoints

    composed: List[str] = []
    points = SweepPoints(["a", "b", "c"], lambda point: composed.append(point))  # type: ignore
    points.check_all()
    assert composed == ["a", "b", "c"]


def test_a_points_process_loads_no_slow_standard_module_before_its_task(tmp_path: Path) -> None:
    from test_imports import SLOW_STDLIB

    main = f"""
        import sys
        import mlxp

        @mlxp.launch(config_path="./configs")
        def task(ctx):
            print([name for name in {SLOW_STDLIB!r} if name in sys.modules])

        task()
    """
    project = make_project(tmp_path / "p", main=main, config="seed: 0\n")
    result = run_main(project, "seed=1,2", "-j", "2")
    assert result.returncode == 0, result.stderr
    for run in ("1", "2"):
        assert (project / "logs" / run / "log.stdout").read_text() == "[]\n"


VIEW = """
    import json, os, random, sys
    import mlxp

    VIEW = {"argv": sys.argv, "name": __name__, "file": __file__, "cwd": os.getcwd(),
            "path0": sys.path[0], "spec": __spec__ and __spec__.name,
            "main_file": sys.modules["__main__"].__file__, "stdin": os.readlink("/proc/self/fd/0")}

    @mlxp.launch(config_path="./configs")
    def task(ctx):
        leader = os.getpgid(0) == os.getpid() == os.getsid(0)
        with open(f"view_{ctx.config.seed}.json", "w") as stream:
            json.dump({**VIEW, "env": dict(os.environ), "leader": leader,
                       "buffered": not sys.stdout.line_buffering, "draw": random.random()}, stream)

    task()
"""


@pytest.mark.parametrize("program", [
    pytest.param(["main.py"], id="script"),
    pytest.param(["-m", "main"], id="module"),
])
def test_a_point_runs_as_python_main_py_would(tmp_path: Path, program: List[str]) -> None:
    """What the script sees of its process in a point is what ``python main.py seed=1`` shows
    (sys.argv, __name__, __file__, cwd, sys.path[0], the environment), in a session and
    process group of its own, drawing its own random numbers."""
    project = make_project(tmp_path / "p", main=VIEW, config="seed: 0\n")
    script = str(project / "main.py") if program == ["main.py"] else None
    argv = [sys.executable, *([script] if script else program)]
    env = {**os.environ, "MLXP_TEST_VARIABLE": "kept"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    alone = subprocess.run([*argv, "seed=0"], cwd=project, env=env, capture_output=True,
                           stdin=subprocess.DEVNULL, text=True)
    assert alone.returncode == 0, alone.stderr
    swept = subprocess.run([*argv, "seed=1,2", "-j", "2"], cwd=project, env=env,
                           capture_output=True, stdin=subprocess.DEVNULL, text=True)
    assert swept.returncode == 0, swept.stderr
    expected = json.loads((project / "view_0.json").read_text())
    assert not expected.pop("leader")
    views = [json.loads((project / f"view_{seed}.json").read_text()) for seed in (1, 2)]
    assert views[0].pop("draw") != views[1].pop("draw") != expected.pop("draw")
    for seed, view in enumerate(views, start=1):
        assert view.pop("leader")
        expected["argv"][-1] = f"seed={seed}"
        assert view == expected  # stdout too: a pipe, or a file, is block-buffered


def test_points_start_afresh_when_the_helper_cannot_run(tmp_path: Path) -> None:
    """An interpreter that cannot run the helper (here a script that runs no ``-c``) still
    runs every point, each as ``<program> <its overrides>``."""
    from mlxp._devices import DevicePool
    from mlxp._parallel import PointSpec, run_in_parallel
    from mlxp._progress import SweepReport
    from mlxp._sweep_plan import PointCommand

    program = tmp_path / "python"
    program.write_text('#!/bin/sh\n[ "$1" = "-c" ] && exit 3\ntouch "ran_$1"\n')
    program.chmod(0o755)
    command = PointCommand([str(program)], [], str(tmp_path), [], "sweep")
    points = [PointSpec([name], None) for name in ("a", "b", "c")]
    code = run_in_parallel(points, command, 2, SweepReport(3), DevicePool([], 1))
    assert code == 0
    assert sorted(path.name for path in tmp_path.glob("ran_*")) == ["ran_a", "ran_b", "ran_c"]
