"""``mlxp status`` and ``mlxp cancel`` against fake scheduler commands (tests/fakes.py).

Real schedulers: tests/schedulers/test_status_real.py.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from fakes import FakeCommands
from projects import installed_command
from mlxp.__main__ import main
from mlxp._layout import display_path
from mlxp._yaml import dump_yaml, load_yaml_file
from mlxp.schedulers import get_scheduler, query_states
from mlxp.cluster.schedulers.base import GONE
from mlxp.status import CANCEL_MARKER, Run, format_duration, summarize

# --- realistic outputs (docs/schedulers.md, the schedulers' manuals) ----------------------------

SQUEUE = "12|RUNNING\n13|PENDING\n14|COMPLETED\n20_0|RUNNING\n20_[1-3,7]|PENDING\n"
QSTAT_SGE = """\
job-ID  prior   name       user         state submit/start at     queue                          slots ja-task-ID
-----------------------------------------------------------------------------------------------------------------
     90 0.50000 logs_1     alice        r     11/27/2026 10:13:47 all.q@vm                           1
     91 0.50000 logs_2     alice        dr    11/27/2026 10:13:47 all.q@vm                           1
     92 0.50000 logs_3     alice        qw    11/27/2026 10:13:47                                    1
     93 0.50000 logs_4     alice        Eqw   11/27/2026 10:13:48                                    1 2-4:1
"""
OARSTAT = "68: Running\n69: Waiting\n60: Error\n"
QSTAT_TORQUE = """\
Job ID                    Name             User            Time Use S Queue
------------------------- ---------------- --------------- -------- - -----
1234.torque-server        logs_3           alice           00:00:01 R batch
1235.torque-server        logs_4           alice                  0 Q batch
1236.torque-server        logs_5           alice           00:01:02 C batch
1237.torque-serv          logs_6           alice           00:00:09 R batch
"""
# bjobs -o "jobid jobindex stat": an array element shows its index (104 2), with
# LSB_BJOBS_DISPLAY_ENH=Y also in its id (105[1] 1).
BJOBS = "101 0 RUN\n102 0 PEND\n103 0 DONE\n104 2 EXIT\n104 3 RUN\n105[1] 1 DONE\n"
SHOWQ = """
active jobs------------------------
JOBID              USERNAME      STATE PROCS   REMAINING            STARTTIME

Moab.123              alice    Running     1    00:59:52  Fri Nov 27 10:00:00

1 active job               1 of 2 processors in use by local jobs (50.00%)
                            1 of 1 nodes active      (100.00%)

eligible jobs----------------------
JOBID              USERNAME      STATE PROCS     WCLIMIT            QUEUETIME

Moab.124              alice       Idle     1     1:00:00  Fri Nov 27 10:00:05

1 eligible job

blocked jobs-----------------------
JOBID              USERNAME      STATE PROCS     WCLIMIT            QUEUETIME

Moab.125              alice  UserHold     1     1:00:00  Fri Nov 27 10:00:06

1 blocked job

Total jobs:  3
"""
PS = "  4242 Ss\n  4243 Z\n"


@pytest.mark.parametrize(
    "scheduler, output, expected",
    [
        pytest.param("slurm", SQUEUE, {"12": "RUNNING", "13": "PENDING", "14": "COMPLETED",
                                       "99": GONE}, id="slurm"),
        pytest.param("slurm", SQUEUE, {"20": "RUNNING,PENDING", "20_0": "RUNNING",
                                       "20_2": "PENDING", "20_7": "PENDING", "20_5": GONE},
                     id="slurm-array-tasks-and-ranges"),
        pytest.param("sge", QSTAT_SGE, {"90": "r", "91": "dr", "92": "qw", "95": GONE},
                     id="sge"),
        pytest.param("sge", QSTAT_SGE, {"93": "Eqw", "93.3": "Eqw"}, id="sge-array-task"),
        pytest.param("oar", OARSTAT, {"68": "Running", "69": "Waiting", "60": "Error",
                                      "61": GONE}, id="oar"),
        pytest.param("torque", QSTAT_TORQUE, {"1234.torque-server": "R", "1235.torque-server": "Q",
                                              "1236.torque-server": "C", "1238.torque-server": GONE},
                     id="torque"),
        pytest.param("torque", QSTAT_TORQUE, {"1237.torque-server.example.org": "R", "1234": "R"},
                     id="torque-server-suffix-cut-or-missing"),
        pytest.param("lsf", BJOBS, {"101": "RUN", "102": "PEND", "103": "DONE", "106": GONE},
                     id="lsf"),
        pytest.param("lsf", BJOBS, {"104[2]": "EXIT", "104[3]": "RUN", "104": "EXIT,RUN",
                                    "105[1]": "DONE", "104[4]": GONE}, id="lsf-array-elements"),
        pytest.param("mwm", SHOWQ, {"Moab.123": "Running", "Moab.124": "Idle",
                                    "Moab.125": "UserHold", "Moab.1": GONE, "1": GONE}, id="mwm"),
        pytest.param("local", PS, {"4242": "running", "4243": "ended", "4244": GONE}, id="local"),
        pytest.param("local", PS, {"4242_0": "running", "4242_5": "running", "4244_0": GONE},
                     id="local-array-tasks"),
    ],
)
def test_each_backend_parses_its_status_output(
    scheduler: str, output: str, expected: Dict[str, str]
) -> None:
    assert get_scheduler(scheduler).parse_status(output, list(expected)) == expected


@pytest.mark.parametrize(
    "scheduler, ids, argv",
    [
        pytest.param("slurm", ["12", "13"],
                     ["squeue", "--noheader", "--states=all", "--format=%i|%T", "--jobs=12,13"],
                     id="slurm"),
        pytest.param("sge", ["90", "91"], ["qstat", "-u", "*"], id="sge"),
        pytest.param("oar", ["68", "69"], ["oarstat", "-s", "-j", "68", "-j", "69"], id="oar"),
        pytest.param("torque", ["1.srv", "2.srv"], ["qstat", "1.srv", "2.srv"], id="torque"),
        pytest.param("lsf", ["101", "102"], ["bjobs", "-noheader", "-o", "jobid jobindex stat", "101", "102"],
                     id="lsf"),
        pytest.param("mwm", ["Moab.1", "Moab.2"], ["showq"], id="mwm"),
        pytest.param("local", ["4242", "4243"], ["ps", "-o", "pid=,stat=", "-p", "4242,4243"],
                     id="local"),
        pytest.param("local", ["4242_0", "4242_1"], ["ps", "-o", "pid=,stat=", "-p", "4242"],
                     id="local-array-tasks"),
    ],
)
def test_query_states_asks_once_for_all_jobs(
    fake: FakeCommands, scheduler: str, ids: List[str], argv: List[str]
) -> None:
    calls = fake.install(argv[0])
    states = query_states(get_scheduler(scheduler), ids + ids[:1])
    assert [call.argv for call in calls()] == [argv[1:]]
    assert states == dict.fromkeys(ids, GONE) and states.problem is None


@pytest.mark.parametrize(
    "stderr, status, expected, problem",
    [
        pytest.param("slurm_load_jobs error: Invalid job id specified\n", 1, GONE, None,
                     id="forgotten-id-is-gone"),
        pytest.param("slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n",
                     1, "squeue failed (exit 1): slurm_load_jobs error: Unable to contact slurm"
                     " controller (connect failure)", True, id="controller-down"),
    ],
)
def test_a_failing_status_command_is_reported_not_raised(
    fake: FakeCommands, stderr: str, status: int, expected: str, problem: Optional[bool]
) -> None:
    fake.install("squeue", stderr=stderr, status=status)
    states = query_states(get_scheduler("slurm"), ["12"])
    assert states == {"12": expected}
    assert (states.problem is not None) == bool(problem)


def test_a_missing_status_command_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    states = query_states(get_scheduler("oar"), ["1", "2"])
    assert states == {"1": "oarstat not found", "2": "oarstat not found"}
    assert states.problem == "oarstat not found"


# --- run directories ----------------------------------------------------------------------------


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCommands:
    return FakeCommands(tmp_path, monkeypatch)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path


def make_run(logs: Path, log_id: int, status: str, scheduler: Optional[str] = None,
             job_id: Optional[str] = None, seed: int = 0) -> Path:
    """A run directory as mlxpsub and the job leave it."""
    metadata = logs / str(log_id) / "metadata"
    metadata.mkdir(parents=True)
    ended = status in ("COMPLETE", "FAILED")
    info: Dict[str, Any] = {
        "status": status,
        "current_file_path": "/project/main.py",
        "hostname": "node7",
        "process_id": 4000 + log_id,
        "start_date": "27/11/2026",
        "start_time": f"10:00:{log_id:02d}",
        "end_date": "27/11/2026" if ended else None,
        "end_time": "10:30:00" if ended else None,
        "work_dir": "/project",
        "logger": {"log_id": log_id, "log_dir": str(logs / str(log_id))},
        "scheduler": None if scheduler is None else {
            "name": scheduler, "job_id": job_id, "submit_output": f"Submitted batch job {job_id}"},
        "version_manager": None,
        "user": "alice",
        "error": None,
    }
    (metadata / "info.yaml").write_text(dump_yaml(info))
    (metadata / "config.yaml").write_text(f"seed: {seed}\n")
    return metadata / "info.yaml"


def read_info(path: Path) -> Dict[str, Any]:
    return load_yaml_file(str(path))


def install_script(fake: FakeCommands, name: str, body: str) -> Path:
    """A fake command running ``body`` (Python, with ``argv``); records its calls like the others."""
    record = fake.bin / f"{name}.calls"
    path = fake.bin / name
    path.write_text(
        f"#!{sys.executable}\nimport json, os, sys\nargv = sys.argv[1:]\n"
        f"with open({str(record)!r}, 'a') as r:\n"
        "    r.write(json.dumps({'argv': argv}) + '\\n')\n" + body
    )
    path.chmod(0o755)
    return record


def recorded(record: Path) -> List[List[str]]:
    if not record.exists():
        return []
    return [json.loads(line)["argv"] for line in record.read_text().splitlines()]


def install_squeue_until_cancel(fake: FakeCommands, before: str, after: str) -> Path:
    """squeue printing ``before`` until scancel has been called, then ``after``."""
    cancelled = fake.bin / "scancel.calls"
    return install_script(
        fake, "squeue",
        f"sys.stdout.write({after!r} if os.path.exists({str(cancelled)!r}) else {before!r})\n",
    )


def table(stdout: str) -> Dict[str, List[str]]:
    """The rows of the status table by run id, each cell split on blanks."""
    lines = stdout.splitlines()
    assert lines[0].split() == ["run", "status", "job", "scheduler", "state", "start", "end",
                                "duration", "error"]
    rows = lines[1:next(i for i, line in enumerate(lines) if re.match(r"\d+ runs?\b", line))]
    return {line.split()[0]: line.split()[1:] for line in rows}


# --- mlxp status ---------------------------------------------------------------------------------


def test_status_asks_each_scheduler_once_and_prints_one_row_per_run(
    fake: FakeCommands, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_run(logs, 1, "RUNNING", "slurm", "12")
    make_run(logs, 2, "STARTING", "slurm", "13")
    make_run(logs, 3, "COMPLETE", "slurm", "14")
    make_run(logs, 4, "RUNNING", "sge", "90")
    make_run(logs, 5, "STARTING", "oar", "69")
    make_run(logs, 6, "COMPLETE")
    make_run(logs, 7, "RUNNING", "slurm", "99")
    squeue, qstat, oarstat = fake.install("squeue", SQUEUE), fake.install("qstat", QSTAT_SGE), \
        fake.install("oarstat", OARSTAT)

    assert main(["status", str(logs)]) == 0

    assert [c.argv[-1] for c in squeue()] == ["--jobs=12,13,14,99"]
    assert [c.argv for c in qstat()] == [["-u", "*"]]
    assert [c.argv for c in oarstat()] == [["-s", "-j", "69"]]
    out = capsys.readouterr().out
    rows = table(out)
    assert rows["1"][:7] == ["RUNNING", "slurm", "12", "RUNNING", "27/11/2026", "10:00:01", "-"]
    assert rows["2"][:4] == ["STARTING", "slurm", "13", "PENDING"]
    assert rows["3"] == ["COMPLETE", "slurm", "14", "COMPLETED", "27/11/2026", "10:00:03",
                         "27/11/2026", "10:30:00", "29m57s", "-"]
    assert rows["4"][:4] == ["RUNNING", "sge", "90", "r"]
    assert rows["5"][:4] == ["STARTING", "oar", "69", "Waiting"]
    assert rows["6"][:3] == ["COMPLETE", "-", "-"]
    assert rows["7"][:4] == ["RUNNING", "slurm", "99", "gone"]
    assert "7 runs: 3 RUNNING, 2 COMPLETE, 2 STARTING" in out
    assert "(7) no longer in the scheduler" in out


def test_status_query_picks_the_runs_and_only_their_jobs_are_asked_about(
    fake: FakeCommands, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_run(logs, 1, "RUNNING", "slurm", "12", seed=1)
    make_run(logs, 2, "COMPLETE", "slurm", "14", seed=2)
    make_run(logs, 3, "STARTING", "oar", "69", seed=1)
    squeue, oarstat = fake.install("squeue", SQUEUE), fake.install("oarstat", OARSTAT)

    assert main(["status", str(logs), "--query", "config.seed == 1 & info.status == 'RUNNING'"]) == 0

    assert [c.argv[-1] for c in squeue()] == ["--jobs=12"]
    assert oarstat() == []
    out = capsys.readouterr().out
    assert list(table(out)) == ["1"]
    assert "1 run: 1 RUNNING" in out


def test_status_without_the_scheduler_commands_says_so_in_the_state_column(
    logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_run(logs, 1, "RUNNING", "slurm", "12")
    make_run(logs, 2, "RUNNING", "htcondor", "5")
    make_run(logs, 3, "COMPLETE")
    monkeypatch.setenv("PATH", str(tmp_path))

    assert main(["status", str(logs)]) == 1

    captured = capsys.readouterr()
    rows = table(captured.out)
    assert rows["1"][:5] == ["RUNNING", "slurm", "12", "squeue", "not"]
    assert rows["2"][:5] == ["RUNNING", "htcondor", "5", "unknown", "scheduler"]
    assert "mlxp: error: cannot ask slurm: squeue not found" in captured.err
    assert "mlxp: error: cannot ask htcondor: unknown scheduler 'htcondor'" in captured.err


def test_status_of_a_directory_without_runs(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", str(logs)]) == 0
    assert capsys.readouterr().out == f"no runs in {logs}\n"


def test_summary_counts_the_most_frequent_status_first() -> None:
    runs = [Run(i, f"/l/{i}", status) for i, status in
            enumerate(["COMPLETE"] * 12 + ["RUNNING"] * 2 + ["STARTING"] * 2)]
    assert summarize(runs) == "16 runs: 12 COMPLETE, 2 RUNNING, 2 STARTING"
    assert summarize([]) == "0 runs"


# --- mlxp cancel ---------------------------------------------------------------------------------


def test_cancel_calls_the_cancel_command_once_and_leaves_the_runs_failed_cancelled(
    fake: FakeCommands, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running, starting = make_run(logs, 1, "RUNNING", "slurm", "12"), \
        make_run(logs, 2, "STARTING", "slurm", "13")
    untouched = [make_run(logs, 3, "COMPLETE", "slurm", "14"),
                 make_run(logs, 4, "RUNNING", "slurm", "15"),  # its job ended unrecorded
                 make_run(logs, 5, "RUNNING")]
    before = {path: path.read_text() for path in untouched}
    squeue = install_squeue_until_cancel(
        fake, "12|RUNNING\n13|PENDING\n15|COMPLETED\n", "12|CANCELLED\n13|CANCELLED\n15|COMPLETED\n"
    )
    scancel = fake.install("scancel")

    assert main(["cancel", str(logs)]) == 0

    assert [c.argv for c in scancel()] == [["12", "13"]]
    assert len(recorded(squeue)) == 2  # which jobs to cancel; whether they stopped
    for path, was in ((running, "RUNNING"), (starting, "STARTING")):
        info = read_info(path)
        assert (info["status"], info["error"]) == ("FAILED", "cancelled")
        assert info["end_date"] and info["end_time"]
        assert (info["hostname"], info["scheduler"]["job_id"], info["user"]) == \
            ("node7", {"RUNNING": "12", "STARTING": "13"}[was], "alice")
        assert list(info)[:3] == ["status", "current_file_path", "hostname"]  # MLXP's order
        assert (path.parent / CANCEL_MARKER).exists()
    assert {path: path.read_text() for path in untouched} == before
    out = capsys.readouterr().out.splitlines()
    logs_name = display_path(str(logs))
    assert out == [
        f"{logs_name}/1  slurm job 12  cancelled (was RUNNING)",
        f"{logs_name}/2  slurm job 13  cancelled (was STARTING)",
        f"{logs_name}/3  slurm job 14  left alone (already COMPLETE)",
        f"{logs_name}/4  slurm job 15  left alone (job already COMPLETED in slurm; run left RUNNING)",
        f"{logs_name}/5  no job  left alone (no scheduler job to cancel)",
        "2 cancelled, 3 left alone",
    ]


def test_cancel_makes_one_call_per_scheduler(fake: FakeCommands, logs: Path) -> None:
    make_run(logs, 1, "RUNNING", "oar", "68")
    make_run(logs, 2, "STARTING", "oar", "69")
    make_run(logs, 3, "RUNNING", "sge", "90")
    make_run(logs, 4, "STARTING", "sge", "92")
    fake.install("oarstat", OARSTAT)
    fake.install("qstat", QSTAT_SGE)
    oardel, qdel = fake.install("oardel"), fake.install("qdel")

    assert main(["cancel", str(logs), "--wait", "0"]) == 0

    assert [c.argv for c in oardel()] == [["68", "69"]]
    assert [c.argv for c in qdel()] == [["90", "92"]]
    assert all(read_info(logs / str(i) / "metadata" / "info.yaml")["error"] == "cancelled"
               for i in range(1, 5))


def test_cancelled_wins_over_what_the_signalled_job_writes(
    fake: FakeCommands, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The race: SIGTERM makes the job record FAILED 'terminated by SIGTERM', and a job that
    started meanwhile records RUNNING; each after mlxp marked it cancelled."""
    signalled, started = make_run(logs, 1, "RUNNING", "slurm", "12"), \
        make_run(logs, 2, "STARTING", "slurm", "13")
    install_squeue_until_cancel(fake, "12|RUNNING\n13|PENDING\n", "12|CANCELLED\n13|CANCELLED\n")
    job_writes = {
        str(signalled): {"status": "FAILED", "error": "terminated by SIGTERM",
                         "end_date": "27/11/2026", "end_time": "10:05:00"},
        str(started): {"status": "RUNNING", "error": None, "end_date": None, "end_time": None,
                       "process_id": 777},
    }
    install_script(fake, "scancel", _JOB_WRITES.format(writes=job_writes))

    assert main(["cancel", str(logs)]) == 0

    first, second = read_info(signalled), read_info(started)
    assert (first["status"], first["error"], first["end_time"]) == ("FAILED", "cancelled", "10:05:00")
    assert (second["status"], second["error"], second["process_id"]) == ("FAILED", "cancelled", 777)
    assert second["end_time"]
    assert "2 cancelled, 0 left alone" in capsys.readouterr().out


_JOB_WRITES = """
import yaml
for path, fields in {writes!r}.items():
    with open(path) as stream:
        info = yaml.safe_load(stream)
    info.update(fields)
    with open(path + ".tmp", "w") as stream:
        yaml.safe_dump(info, stream, sort_keys=False)
    os.replace(path + ".tmp", path)
"""


def test_a_run_that_completed_before_the_cancel_keeps_complete(
    fake: FakeCommands, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info_path = make_run(logs, 1, "RUNNING", "slurm", "12")
    install_squeue_until_cancel(fake, "12|RUNNING\n", "12|COMPLETED\n")
    install_script(fake, "scancel", _JOB_WRITES.format(
        writes={str(info_path): {"status": "COMPLETE", "end_time": "10:05:00"}}))

    assert main(["cancel", str(logs)]) == 0

    assert read_info(info_path)["status"] == "COMPLETE"
    out = capsys.readouterr().out
    assert "left alone (COMPLETE before the cancel reached it)" in out
    assert "0 cancelled, 1 left alone" in out


def test_a_refused_cancel_gives_the_runs_back_their_info(
    fake: FakeCommands, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info_path = make_run(logs, 1, "RUNNING", "slurm", "12")
    before = info_path.read_text()
    fake.install("squeue", "12|RUNNING\n")
    fake.install("scancel", stderr="scancel: error: Kill job error on job id 12: Access/permission"
                 " denied\n", status=1)

    assert main(["cancel", str(logs), "--wait", "0.2"]) == 1

    assert info_path.read_text() == before
    assert not (info_path.parent / CANCEL_MARKER).exists()
    captured = capsys.readouterr()
    assert "left alone (slurm refused to cancel it)" in captured.out
    assert "mlxp: error: slurm did not cancel jobs 12" in captured.err


def test_a_job_still_stopping_after_the_wait_is_reported(
    fake: FakeCommands, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info_path = make_run(logs, 1, "RUNNING", "slurm", "12")
    install_squeue_until_cancel(fake, "12|RUNNING\n", "12|COMPLETING\n")
    fake.install("scancel")

    assert main(["cancel", str(logs), "--wait", "0.3"]) == 0

    assert read_info(info_path)["error"] == "cancelled"
    assert "still stopping when the wait ended" in capsys.readouterr().out


def test_cancel_with_a_query_touches_only_the_matching_runs(fake: FakeCommands, logs: Path) -> None:
    make_run(logs, 1, "RUNNING", "slurm", "12", seed=1)
    other = make_run(logs, 2, "RUNNING", "slurm", "13", seed=2)
    before = other.read_text()
    install_squeue_until_cancel(fake, "12|RUNNING\n13|RUNNING\n", "12|CANCELLED\n13|RUNNING\n")
    scancel = fake.install("scancel")

    assert main(["cancel", str(logs), "-q", "config.seed == 1"]) == 0

    assert [c.argv for c in scancel()] == [["12"]]
    assert other.read_text() == before


def test_cancel_sets_ended_at_and_duration_of_a_run_that_records_them(
    fake: FakeCommands, logs: Path
) -> None:
    path = make_run(logs, 1, "RUNNING", "slurm", "12")
    info = read_info(path)
    info.update(started_at="2026-11-27T10:00:01.000+00:00", ended_at=None, duration_seconds=None)
    path.write_text(dump_yaml(info))
    install_squeue_until_cancel(fake, "12|RUNNING\n", "12|CANCELLED\n")
    fake.install("scancel")

    assert main(["cancel", str(logs)]) == 0

    info = read_info(path)
    ended = datetime.datetime.fromisoformat(info["ended_at"])
    started = datetime.datetime.fromisoformat(info["started_at"])
    assert info["error"] == "cancelled" and ended.utcoffset() is not None
    assert info["duration_seconds"] == round((ended - started).total_seconds(), 3)


def test_a_malformed_job_id_is_named_with_its_run_and_reaches_no_command(
    fake: FakeCommands, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info_path = make_run(logs, 1, "RUNNING", "oar", "-a")
    make_run(logs, 2, "RUNNING", "oar", "68")
    oarstat, oardel = fake.install("oarstat", OARSTAT), fake.install("oardel")
    before = info_path.read_text()

    assert main(["status", str(logs)]) == 1
    captured = capsys.readouterr()
    assert table(captured.out)["1"][:5] == ["RUNNING", "oar", "-a", "invalid", "job"]
    assert f"run {display_path(str(logs))}/1: '-a' is not a valid oar job id" in captured.err
    assert [call.argv for call in oarstat()] == [["-s", "-j", "68"]]

    assert main(["cancel", str(logs), "--wait", "0"]) == 1
    captured = capsys.readouterr()
    assert "1  oar job -a  left alone (invalid job id, not cancelled)" in captured.out
    assert [call.argv for call in oardel()] == [["68"]]
    assert all("-a" not in call.argv for call in oarstat())
    assert info_path.read_text() == before


def test_status_tells_a_cancelled_run_from_a_crashed_one_with_duration_and_error(
    logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for log_id, error in ((1, "cancelled"), (2, "ValueError: bad lr\n  more"), (3, None)):
        path = make_run(logs, log_id, "FAILED" if error else "COMPLETE")
        info = read_info(path)
        info.update(error=error, duration_seconds=3723.5 if log_id == 1 else None)
        path.write_text(dump_yaml(info))

    assert main(["status", str(logs)]) == 0

    out = capsys.readouterr().out
    rows = table(out)
    assert rows["1"][0] == "CANCELLED" and rows["1"][-2:] == ["1h02m03s", "cancelled"]
    assert rows["2"][0] == "FAILED" and rows["2"][-4:] == ["29m58s", "ValueError:", "bad", "lr"]
    assert rows["3"][0] == "COMPLETE" and rows["3"][-2:] == ["29m57s", "-"]
    assert "3 runs: 1 CANCELLED, 1 COMPLETE, 1 FAILED" in out


def test_status_and_cancel_default_to_logs_in_the_working_directory(
    logs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_run(logs, 1, "COMPLETE")
    monkeypatch.chdir(logs.parent)
    assert main(["status"]) == 0
    assert list(table(capsys.readouterr().out)) == ["1"]
    assert main(["cancel"]) == 0
    assert "logs/1  no job  left alone (already COMPLETE)" in capsys.readouterr().out


# --- the command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        pytest.param([], "the following arguments are required: COMMAND", id="no-command"),
        pytest.param(["frobnicate"], "invalid choice: 'frobnicate'", id="unknown-command"),
        pytest.param(["status", "{logs}/nope"], "no such directory", id="no-such-dir-given"),
        pytest.param(["status", "a", "b"], "unrecognized arguments: b", id="two-dirs"),
        pytest.param(["cancel", "{logs}", "--wait", "soon"], "invalid float value: 'soon'",
                     id="bad-wait"),
        pytest.param(["cancel", "{logs}", "--wait=-1"], "--wait must be 0 or more seconds",
                     id="negative-wait"),
        pytest.param(["status", "{logs}/nope"], "no such directory: {logs}/nope", id="no-such-dir"),
        pytest.param(["status", "{logs}", "--query", "info.status = 1"],
                     "invalid query: '=' is not a comparison", id="bad-query"),
    ],
)
def test_usage_errors_exit_2_with_one_error_line(
    argv: List[str], message: str, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([arg.format(logs=logs) for arg in argv]) == 2
    captured = capsys.readouterr()
    first_line = captured.err.splitlines()[0]
    assert first_line.startswith("mlxp: error: ") and message.format(logs=logs) in first_line
    assert captured.out == ""


def test_python_dash_m_mlxp_help() -> None:
    result = subprocess.run([sys.executable, "-m", "mlxp", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: mlxp" in result.stdout and "status" in result.stdout and "cancel" in result.stdout


def test_the_installed_mlxp_command(logs: Path) -> None:
    command = installed_command("mlxp")
    make_run(logs, 1, "COMPLETE")
    result = subprocess.run([command, "status", str(logs)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert table(result.stdout)["1"][:3] == ["COMPLETE", "-", "-"]
    result = subprocess.run([command, "cancel"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("mlxp: error: ")


@pytest.mark.parametrize(("seconds", "text"), [
    pytest.param(None, "-", id="unknown"),
    pytest.param(0.0, "0.0s", id="zero"),
    pytest.param(0.42, "0.4s", id="sub-second"),
    pytest.param(9.94, "9.9s", id="under-ten"),
    pytest.param(12.7, "12s", id="seconds"),
    pytest.param(245.0, "4m05s", id="minutes"),
    pytest.param(3723.0, "1h02m03s", id="hours"),
    pytest.param(-0.5, "0.0s", id="clock-went-back"),
])
def test_durations_read_well_in_tables(seconds: Optional[float], text: str) -> None:
    assert format_duration(seconds) == text
