"""Job ids are checked against each backend's shape before they reach a command line.

An id comes from ``info.yaml``, which anyone may edit: ``-a`` handed to ``oarstat -s -j``
would be read as an option. Each backend accepts exactly the shapes its scheduler prints.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes import FakeCommands
from mlxp.errors import SchedulerError
from mlxp.schedulers import cancel, get_scheduler, query_states, request_requeue

VALID = [
    ("slurm", ["123", "123_4"]),
    ("sge", ["123", "123.4"]),
    ("oar", ["123"]),
    ("torque", ["123", "123.server", "123[4].server", "123[].torque-server.example.org"]),
    ("lsf", ["123", "123[4]"]),
    ("mwm", ["123", "Moab.123", "Moab.123[4]", "moab-2.123"]),
    ("local", ["4242", "4242_3"]),
]
# Shapes no backend accepts: options, blanks, shell characters, empty, non-ASCII digits.
ALWAYS_INVALID = ["-a", "--all", "-1", "", "12 13", "12\n13", "12;rm", "$(id)", "`id`", "1|2",
                  "12&", "a'b", "١٢"]
INVALID = [
    ("slurm", ["123.4", "123_", "_4", "123[4]", "abc"]),
    ("sge", ["123_4", "123.", "abc"]),
    ("oar", ["123_4", "123.4", "abc"]),
    ("torque", ["abc", "123.-server", "[4].server"]),
    ("lsf", ["123_4", "123[]", "abc"]),
    ("mwm", ["Moab", ".", "-123", "123[x]"]),
    ("local", ["1", "0", "1_3", "abc", "4242.1", "+5"]),
]


@pytest.mark.parametrize("scheduler, job_id", [
    pytest.param(name, job_id, id=f"{name}-{job_id}") for name, ids in VALID for job_id in ids
])
def test_each_backend_accepts_the_ids_its_scheduler_prints(scheduler: str, job_id: str) -> None:
    assert get_scheduler(scheduler).check_job_id(job_id) == job_id


@pytest.mark.parametrize("scheduler, job_id", [
    *(pytest.param(name, job_id, id=f"{name}-{job_id!r}")
      for name, ids in INVALID for job_id in ids),
    *(pytest.param(name, job_id, id=f"{name}-{job_id!r}")
      for name, _ in VALID for job_id in ALWAYS_INVALID),
])
def test_each_backend_refuses_other_ids(scheduler: str, job_id: str) -> None:
    with pytest.raises(SchedulerError) as caught:
        get_scheduler(scheduler).check_job_id(job_id)
    assert caught.value.job_id == job_id and caught.value.scheduler == scheduler
    assert repr(job_id) in str(caught.value)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCommands:
    return FakeCommands(tmp_path, monkeypatch)


@pytest.mark.parametrize("scheduler, command", [
    ("slurm", "scancel"), ("oar", "oardel"), ("sge", "qdel"), ("torque", "qdel"),
    ("mwm", "mjobctl"), ("lsf", "bkill"),
])
def test_a_bad_id_cancels_nothing(fake: FakeCommands, scheduler: str, command: str) -> None:
    calls = fake.install(command)
    with pytest.raises(SchedulerError, match="'-a' is not a valid"):
        cancel(get_scheduler(scheduler), ["12", "-a"])
    assert calls() == []


def test_a_bad_id_never_reaches_the_status_command(fake: FakeCommands) -> None:
    oarstat = fake.install("oarstat", "68: Running\n")
    states = query_states(get_scheduler("oar"), ["68", "-a"])
    assert [call.argv for call in oarstat()] == [["-s", "-j", "68"]]
    assert states["68"] == "Running" and states["-a"].startswith("'-a' is not a valid oar job id")
    assert states.problem is not None and "'-a'" in states.problem


def test_a_bad_id_alone_runs_no_status_command(fake: FakeCommands) -> None:
    oarstat = fake.install("oarstat")
    states = query_states(get_scheduler("oar"), ["-a"])
    assert oarstat() == [] and list(states) == ["-a"]


def test_a_bad_id_is_not_requeued(fake: FakeCommands, monkeypatch: pytest.MonkeyPatch) -> None:
    scontrol = fake.install("scontrol")
    with pytest.raises(SchedulerError):
        request_requeue(get_scheduler("slurm"), "-a")
    assert scontrol() == []
