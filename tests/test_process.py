"""Process identity: ``mlxp cancel`` signals only its own local jobs, ``mlxp status`` calls a run
LOST only on proof, and a full disk never leaves a run RUNNING without a word.

Every test that may send a signal runs inside ``unshare --pid --fork --mount-proc``: in there,
pid 1 is the test's own script and every process is the namespace's, so a regression (a
``kill(-1)``) cannot reach the machine's other processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

from fakes import FakeCommands
from mlxp._process import (
    check_local_pid,
    group_leader_start,
    lost_reason,
    process_start_time,
    run_liveness,
    scheduler_job,
)
from mlxp._yaml import dump_yaml, load_yaml_file
from mlxp.errors import SchedulerError, SettingsError
from mlxp.logger import Logger
from mlxp.schedulers import cancel, get_scheduler, query_states


def _namespaces_work(*flags: str) -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        done = subprocess.run(["unshare", *flags, "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


PID_NAMESPACE = ("--pid", "--fork", "--mount-proc")
needs_pid_namespace = pytest.mark.skipif(
    not _namespaces_work(*PID_NAMESPACE),
    reason="unshare --pid --fork --mount-proc is unavailable (needs root or user namespaces):"
    " signals are only tested where they cannot reach the machine's processes",
)
needs_mount_namespace = pytest.mark.skipif(
    not _namespaces_work("--mount"),
    reason="unshare --mount is unavailable (needs root): no small file system to fill",
)

PRELUDE = '''
import json, os, signal, subprocess, sys, time
from mlxp.__main__ import main
from mlxp._process import group_leader_start
from mlxp._yaml import dump_yaml, load_yaml_file

def make_run(log_id, job_id, job_start_time=None):
    metadata = os.path.join("logs", str(log_id), "metadata")
    os.makedirs(metadata)
    scheduler = {"name": "local", "job_id": job_id, "submit_output": f"{job_id}\\n"}
    if job_start_time is not None:
        scheduler["job_start_time"] = job_start_time
    info = {"status": "RUNNING", "hostname": "elsewhere", "process_id": 12,
            "start_date": "01/12/2026", "start_time": "10:00:00", "end_date": None,
            "end_time": None, "scheduler": scheduler, "error": None}
    with open(os.path.join(metadata, "info.yaml"), "w") as stream:
        stream.write(dump_yaml(info))
    return os.path.join(metadata, "info.yaml")

def killed_by(process):
    """The signal that ended ``process``: SIGKILL (ours, now) unless another came first."""
    process.kill()
    return -process.wait()

def report(**values):
    print("RESULT " + json.dumps(values), flush=True)
'''


def in_pid_namespace(tmp_path: Path, code: str) -> Dict[str, Any]:
    """Run ``code`` (after PRELUDE) as pid 1 of a new pid namespace; what it ``report``\\ s."""
    (tmp_path / "inside.py").write_text(PRELUDE + textwrap.dedent(code))
    done = subprocess.run(["unshare", *PID_NAMESPACE, sys.executable, "inside.py"],
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    results = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(results) == 1, done.stdout + done.stderr
    values: Dict[str, Any] = json.loads(results[0][len("RESULT "):])
    values["stdout"], values["stderr"] = done.stdout, done.stderr
    return values


# --- mlxp cancel and local jobs ------------------------------------------------------------------


@needs_pid_namespace
@pytest.mark.parametrize("job_id", [
    pytest.param("1", id="one-would-be-kill-minus-1"),
    pytest.param("0", id="zero-would-be-own-group"),
    pytest.param("-1", id="negative"),
    pytest.param("abc", id="not-a-number"),
    pytest.param("12 13", id="two-ids"),
    pytest.param("+5", id="plus-sign"),
])
def test_cancel_refuses_a_malformed_local_job_id_and_signals_nothing(
    tmp_path: Path, job_id: str
) -> None:
    result = in_pid_namespace(tmp_path, f'''
        bystander = subprocess.Popen(["sleep", "60"])  # in group 1, the script's own
        loner = subprocess.Popen(["sleep", "60"], start_new_session=True)
        info = make_run(1, {job_id!r}, "linux:recorded")
        code = main(["cancel", "logs", "--wait", "0"])
        report(code=code, bystander=killed_by(bystander), loner=killed_by(loner),
               status=load_yaml_file(info)["status"])
    ''')
    assert (result["bystander"], result["loner"]) == (9, 9)  # only our own SIGKILL
    assert result["code"] == 1 and result["status"] == "RUNNING"
    assert f"run logs/1: {job_id!r} is not a valid local job id" in result["stderr"]
    assert "invalid job id, not cancelled" in result["stdout"]


@needs_pid_namespace
def test_cancel_leaves_alone_a_process_that_reused_the_jobs_pid(tmp_path: Path) -> None:
    result = in_pid_namespace(tmp_path, '''
        stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
        started = group_leader_start(stranger.pid)
        scope, ticks = started.rsplit(":", 1)
        recorded = f"{scope}:{int(ticks) + 1}"  # the job was an earlier process with this pid
        info = make_run(1, str(stranger.pid), recorded)
        code = main(["status", "logs"])
        code += main(["cancel", "logs", "--wait", "0"])
        from mlxp.errors import SchedulerError
        from mlxp.schedulers import cancel, get_scheduler, query_states
        try:  # straight to the backend, past the status check
            cancel(get_scheduler("local"), [str(stranger.pid)],
                   fields={str(stranger.pid): {"job_start_time": recorded}})
            refused = None
        except SchedulerError as error:
            refused = str(error)
        report(code=code, stranger=killed_by(stranger), pid=stranger.pid, refused=refused,
               status=load_yaml_file(info)["status"])
    ''')
    assert result["stranger"] == 9
    assert result["code"] == 0 and result["status"] == "RUNNING"
    pid = result["pid"]
    assert f"local {pid}  gone" in result["stdout"]  # status: not ps's view of the stranger
    assert f"local job {pid}  left alone (job already gone in local" in result["stdout"]
    assert f"kill: ({pid}) - not signalled: process {pid} is not the job's" in result["refused"]


@needs_pid_namespace
def test_cancel_without_a_recorded_start_time_signals_nothing(tmp_path: Path) -> None:
    result = in_pid_namespace(tmp_path, '''
        job = subprocess.Popen(["sleep", "60"], start_new_session=True)
        make_run(1, str(job.pid))  # written by an older mlxp: the pid alone proves nothing
        code = main(["cancel", "logs", "--wait", "0"])
        report(code=code, job=killed_by(job))
    ''')
    assert result["job"] == 9 and result["code"] == 1
    assert "no start time was recorded with this job" in result["stderr"]


@needs_pid_namespace
def test_cancel_signals_the_real_jobs_process_group(tmp_path: Path) -> None:
    result = in_pid_namespace(tmp_path, '''
        from mlxp.schedulers import get_scheduler, submit
        local = get_scheduler("local")
        with open("job.sh", "w") as stream:
            stream.write("#!/bin/bash\\n"
                         "sleep 60 & echo $! > child.tmp; mv child.tmp child; wait\\n")
        os.chmod("job.sh", 0o755)
        bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
        job_id, output = submit(local, os.path.abspath("job.sh"))
        while not os.path.exists("child"):
            time.sleep(0.01)
        child = int(open("child").read())
        info = make_run(1, job_id, local.job_fields(job_id, output)["job_start_time"])
        code = main(["cancel", "logs", "--wait", "30"])

        def gone(pid):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    return stat.read().rsplit(") ", 1)[1].startswith("Z")
            except FileNotFoundError:
                return True

        while not (gone(child) and gone(int(job_id))):
            time.sleep(0.01)
        report(code=code, error=load_yaml_file(info)["error"], bystander=killed_by(bystander))
    ''')
    assert result["code"] == 0, result["stderr"]
    assert result["error"] == "cancelled" and result["bystander"] == 9


def test_the_local_submit_output_records_the_jobs_start_time(tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\nexit 0\n")
    script.chmod(0o755)
    local = get_scheduler("local")
    result = local.run_submit(str(script), None)
    job_id = local.parse_job_id(result.output)
    fields = local.job_fields(job_id, result.output)
    started = fields["job_start_time"]
    assert started.startswith("linux:") and started.count(":") == 3


@pytest.mark.parametrize("job_id", ["1", "0", "-1", "abc", "12 13", "", "4242_", "٣٤"])
def test_local_job_ids_are_plain_pids_above_one(job_id: str) -> None:
    with pytest.raises(ValueError):
        check_local_pid(job_id)
    with pytest.raises(SchedulerError) as caught:
        cancel(get_scheduler("local"), [job_id])
    assert caught.value.job_id == job_id


def test_an_ended_local_job_is_reported_not_signalled() -> None:
    # 999999999 is above any pid_max: no process can have it.
    with pytest.raises(SchedulerError, match=r"kill: \(999999999\) - not signalled"):
        cancel(get_scheduler("local"), ["999999999"],
               fields={"999999999": {"job_start_time": "linux:a:b:1"}})


def test_a_local_job_whose_record_proves_it_ended_is_gone_without_asking_ps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeCommands(tmp_path, monkeypatch)
    ps = fake.install("ps", f"{os.getpid()} S\n")
    mine = str(os.getpid())  # alive, but not started when this record says
    states = query_states(get_scheduler("local"), [mine, "4243"],
                          fields={mine: {"job_start_time": "linux:a:b:1"}})
    assert states == {mine: "gone", "4243": "gone"}
    assert [call.argv for call in ps()] == [["-o", "pid=,stat=", "-p", "4243"]]


def test_a_process_that_leads_no_group_is_not_a_job() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        assert process_start_time(child.pid) is not None
        assert group_leader_start(child.pid) is None  # it is in the test's own group
    finally:
        child.communicate("")


# --- LOST: derived when reading, on hard evidence only -------------------------------------------


def _info(**fields: Any) -> Dict[str, Any]:
    info = {"status": "RUNNING", "hostname": os.uname().nodename, "process_id": os.getpid(),
            "process_start_time": process_start_time(os.getpid()), "heartbeat_seconds": 60}
    info.update(fields)
    return info


def _heartbeat(log_dir: Path, age: float) -> None:
    (log_dir / "metadata").mkdir(parents=True, exist_ok=True)
    path = log_dir / "metadata" / "heartbeat"
    path.touch()
    os.utime(path, (time.time() - age, time.time() - age))


@pytest.mark.parametrize("fields, heartbeat_age, lost", [
    pytest.param({}, None, None, id="this-process-alive"),
    pytest.param({"status": "COMPLETE", "process_id": 999999999}, None, None, id="finished"),
    pytest.param({"process_id": 999999999}, None, "process 999999999 is gone", id="pid-gone"),
    pytest.param({"process_start_time": "linux:x:y:1"}, None, "its machine", id="rebooted"),
    pytest.param({"process_start_time": None, "process_id": 999999999}, None, None,
                 id="older-run-without-start-time"),
    pytest.param({"process_start_time": "linux:junk", "process_id": 999999999}, None, None,
                 id="unreadable-start-time"),
    pytest.param({"process_start_time": "linux:{boot}:{other_namespace}:1"}, None, None,
                 id="same-host-name-other-pid-namespace"),
    pytest.param({"hostname": "elsewhere"}, 1000, "no heartbeat for", id="other-host-stale"),
    pytest.param({"hostname": "elsewhere"}, 100, None, id="other-host-within-3-intervals"),
    pytest.param({"hostname": "elsewhere"}, None, None, id="other-host-no-heartbeat"),
    pytest.param({"hostname": "elsewhere", "heartbeat_seconds": None}, 10 ** 6, None,
                 id="other-host-heartbeat-off"),
])
def test_lost_needs_hard_evidence(
    tmp_path: Path, fields: Dict[str, Any], heartbeat_age: Any, lost: Any
) -> None:
    _, boot, namespace, _ = _info()["process_start_time"].split(":")
    names = {"boot": boot, "other_namespace": int(namespace) + 1}
    info = _info(**{k: v.format(**names) if isinstance(v, str) else v for k, v in fields.items()})
    if heartbeat_age is not None:
        _heartbeat(tmp_path, heartbeat_age)
    reason = lost_reason(info, str(tmp_path))
    assert (reason is None) if lost is None else (reason is not None and lost in reason)


def test_a_pid_taken_by_another_process_is_lost(tmp_path: Path) -> None:
    scope, ticks = _info()["process_start_time"].rsplit(":", 1)
    info = _info(process_start_time=f"{scope}:{int(ticks) - 1}")
    assert lost_reason(info, str(tmp_path)) == f"process {os.getpid()} is gone"
    _heartbeat(tmp_path, 30)
    status, seen = run_liveness(info, str(tmp_path))
    assert status == "LOST" and seen is not None and seen[-6] in "+-"  # ISO 8601 with offset


def test_status_shows_a_run_killed_with_sigkill_as_lost(tmp_path: Path) -> None:
    (tmp_path / "task.py").write_text(textwrap.dedent('''
        import sys
        from mlxp.logger import Logger
        logger = Logger("logs")
        print("ready", flush=True)
        sys.stdin.read()
    '''))
    task = subprocess.Popen([sys.executable, "task.py"], cwd=str(tmp_path), text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert task.stdout is not None and task.stdout.readline() == "ready\n"
    alive = _status(tmp_path)
    task.kill()  # our own child
    task.communicate()
    lost = _status(tmp_path)
    assert alive.splitlines()[1].split()[1] == "RUNNING"
    row = lost.splitlines()[1]
    assert row.split()[1] == "LOST" and f"process {task.pid} is gone" in row
    assert "last seen 20" in row and "1 run: 1 LOST" in lost
    assert load_yaml_file(str(tmp_path / "logs" / "1" / "metadata" / "info.yaml"))[
        "status"] == "RUNNING"  # derived when reading, never written


def _status(project: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "mlxp", "status"], cwd=str(project),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- heartbeat and the info.yaml fields ----------------------------------------------------------


def _heartbeat_threads(before: Set[threading.Thread]) -> List[threading.Thread]:
    """The heartbeat threads started since ``before`` (other tests may leave loggers open)."""
    return [t for t in threading.enumerate() if t.name == "mlxp-heartbeat" and t not in before]


def test_the_heartbeat_is_touched_by_a_daemon_thread_stopped_on_close(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    logger = Logger(str(tmp_path), heartbeat=0.01)
    path = Path(logger.metadata_dir) / "heartbeat"
    first = path.stat().st_mtime_ns
    os.utime(path, ns=(first - 10 ** 9, first - 10 ** 9))  # so that a touch shows
    deadline = time.monotonic() + 60
    while path.stat().st_mtime_ns < first and time.monotonic() < deadline:
        time.sleep(0.01)
    assert path.stat().st_mtime_ns >= first
    assert [t.daemon for t in _heartbeat_threads(before)] == [True]
    assert logger.get_info()["heartbeat_seconds"] == 0.01
    logger.finish()
    assert _heartbeat_threads(before) == []


def test_a_heartbeat_that_cannot_be_touched_never_fails_the_run(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    with Logger(str(tmp_path), heartbeat=0.01) as logger:
        shutil.rmtree(logger.metadata_dir)  # the heartbeat's directory vanishes
        deadline = time.monotonic() + 0.2
        while time.monotonic() < deadline:  # let it try a few times against a missing dir
            time.sleep(0.01)
        assert [t.is_alive() for t in _heartbeat_threads(before)] == [True]
        os.makedirs(logger.metadata_dir)
    assert load_yaml_file(logger.metadata_dir + "/info.yaml")["status"] == "COMPLETE"


def test_heartbeat_zero_turns_it_off_and_a_negative_one_is_refused(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    with Logger(str(tmp_path), heartbeat=0) as logger:
        assert _heartbeat_threads(before) == []
        assert not (Path(logger.metadata_dir) / "heartbeat").exists()
        assert logger.get_info()["heartbeat_seconds"] is None
    with pytest.raises(SettingsError, match="heartbeat interval must be 0"):
        Logger(str(tmp_path), heartbeat=-1)


def test_the_launcher_passes_mlxp_logger_heartbeat(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(textwrap.dedent('''
        import mlxp

        @mlxp.launch()
        def task(ctx):
            pass

        task()
    '''))
    done = subprocess.run([sys.executable, "main.py", "+mlxp.logger.heartbeat=5"],
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    info = load_yaml_file(str(tmp_path / "logs" / "1" / "metadata" / "info.yaml"))
    assert info["heartbeat_seconds"] == 5


OLD_FIELDS = ["status", "current_file_path", "executable", "hostname", "process_id",
              "start_date", "start_time", "end_date", "end_time", "work_dir", "logger",
              "scheduler", "version_manager", "user", "cmd", "overrides", "python_version",
              "mlxp_version", "error"]
NEW_FIELDS = ["started_at", "ended_at", "duration_seconds", "process_start_time",
              "heartbeat_seconds", "scheduler_job", "cuda_visible_devices"]


def test_info_records_when_and_where_the_run_ran(tmp_path: Path) -> None:
    (tmp_path / "task.py").write_text(textwrap.dedent('''
        from mlxp.logger import Logger
        with Logger("logs"):
            pass
    '''))
    env = {**os.environ, "SLURM_JOB_ID": "77", "SLURM_ARRAY_TASK_ID": "3",
           "CUDA_VISIBLE_DEVICES": "1,2"}
    done = subprocess.run([sys.executable, "task.py"], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    info = load_yaml_file(str(tmp_path / "logs" / "1" / "metadata" / "info.yaml"))
    assert list(info) == OLD_FIELDS + NEW_FIELDS  # MLXP's own order first
    from datetime import datetime

    started, ended = (datetime.fromisoformat(info[k]) for k in ("started_at", "ended_at"))
    assert started.utcoffset() is not None and ended >= started
    assert started.strftime("%d/%m/%Y %H:%M:%S") == f"{info['start_date']} {info['start_time']}"
    assert info["duration_seconds"] == round((ended - started).total_seconds(), 3)
    assert info["scheduler_job"] == {"scheduler": "slurm", "job_id": "77", "array_task_id": "3"}
    assert info["cuda_visible_devices"] == "1,2"
    assert info["process_start_time"] and info["process_id"] != os.getpid()


@pytest.mark.parametrize("environ, expected", [
    pytest.param({}, None, id="outside-a-job"),
    pytest.param({"SLURM_JOB_ID": "12"}, ("slurm", "12", None), id="slurm"),
    pytest.param({"SLURM_JOB_ID": "12", "SLURM_ARRAY_TASK_ID": "4"}, ("slurm", "12", "4"),
                 id="slurm-array"),
    pytest.param({"PBS_JOBID": "12.srv", "PBS_ARRAYID": "4"}, ("torque", "12.srv", "4"),
                 id="torque"),
    pytest.param({"JOB_ID": "12", "SGE_TASK_ID": "undefined"}, ("sge", "12", None), id="sge"),
    pytest.param({"JOB_ID": "12", "SGE_TASK_ID": "4"}, ("sge", "12", "4"), id="sge-array"),
    pytest.param({"JOB_ID": "12"}, None, id="job-id-alone-is-not-sge"),
    pytest.param({"OAR_JOB_ID": "12"}, ("oar", "12", None), id="oar"),
    pytest.param({"LSB_JOBID": "12", "LSB_JOBINDEX": "0"}, ("lsf", "12", None), id="lsf"),
    pytest.param({"LSB_JOBID": "12", "LSB_JOBINDEX": "4"}, ("lsf", "12", "4"), id="lsf-array"),
    pytest.param({"MOAB_JOBID": "Moab.12"}, ("mwm", "Moab.12", None), id="mwm"),
])
def test_the_scheduler_job_comes_from_the_environment(environ: Dict[str, str], expected: Any
                                                      ) -> None:
    found = scheduler_job(environ)
    keys = ("scheduler", "job_id", "array_task_id")
    assert found == (None if expected is None else dict(zip(keys, expected)))


# --- a full disk ---------------------------------------------------------------------------------


def in_small_file_system(tmp_path: Path, task: str) -> subprocess.CompletedProcess:
    """Run ``task.py``, then ``mlxp status`` and a listing, on a 256 KiB tmpfs of their own."""
    (tmp_path / "disk").mkdir()
    (tmp_path / "task.py").write_text(textwrap.dedent(task))
    shell = (f'mount -t tmpfs -o size=256k tmpfs disk && cd disk && '
             f'{sys.executable} ../task.py; echo "exit $?"; {sys.executable} -m mlxp status;'
             ' find logs | sort')
    return subprocess.run(["unshare", "--mount", "sh", "-c", shell], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=120)


@needs_mount_namespace
def test_a_full_disk_at_startup_leaves_no_half_made_run(tmp_path: Path) -> None:
    done = in_small_file_system(tmp_path, '''
        import os
        from mlxp.errors import LoggerError
        from mlxp.logger import Logger
        os.makedirs("logs")
        try:
            with open("filler", "wb") as stream:
                stream.write(b"x" * 10 ** 6)
        except OSError:
            pass
        try:
            Logger("logs")
        except LoggerError as error:
            print(f"error: {error}")
    ''')
    assert "exit 0" in done.stdout, done.stderr
    assert "logs/1/metadata/info.yaml failed: [Errno 28] No space left on device" in done.stdout
    assert "error: cannot start the run: writing " in done.stdout
    assert done.stdout.splitlines()[-1] == "logs"  # the parent stays; no run directory


@needs_mount_namespace
def test_a_full_disk_at_the_end_says_so_in_one_line_and_the_run_shows_lost(tmp_path: Path
                                                                            ) -> None:
    done = in_small_file_system(tmp_path, '''
        from mlxp.logger import Logger
        with Logger("logs") as logger:
            logger.log_metrics({"epoch": 0})
            with open("filler", "wb") as stream:
                stream.write(b"x" * 10 ** 6)  # the task's own OSError: the disk is full
    ''')
    assert "exit 1" in done.stdout
    assert done.stderr.count("mlxp: cannot record status FAILED of run") == 1
    assert "No space left on device; mlxp status will show it as LOST" in done.stderr
    assert "During handling of the above exception" not in done.stderr
    assert done.stderr.count("Traceback") == 1  # the task's own
    row = done.stdout.splitlines()[2]
    assert row.split()[:2] == ["1", "LOST"] and "is gone" in row


@needs_mount_namespace
def test_a_completed_task_whose_end_cannot_be_recorded_exits_1(tmp_path: Path) -> None:
    # the task fills the disk and carries on: it completes, but COMPLETE cannot be written
    done = in_small_file_system(tmp_path, '''
        import os
        import sys
        import mlxp

        sys.argv.append("mlxp.logger.parent_log_dir=" + os.path.abspath("logs"))

        @mlxp.launch(config_path=os.path.abspath("configs"))
        def main(ctx):
            ctx.logger.log_metrics({"epoch": 0})
            try:
                with open("filler", "wb") as stream:
                    stream.write(b"x" * 10 ** 6)
            except OSError:
                pass

        main()
    ''')
    assert "exit 1" in done.stdout, done.stderr
    assert done.stderr.count("mlxp: cannot record status COMPLETE of run") == 1
    assert "Traceback" not in done.stderr
    row = done.stdout.splitlines()[2]
    assert row.split()[:2] == ["1", "LOST"]
