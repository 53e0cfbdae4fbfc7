"""The lines and exit code every sweep runner shares (mlxp._progress.SweepReport)."""

from __future__ import annotations

import io
import signal
from typing import List, Tuple

import pytest

from mlxp._progress import SweepReport
from mlxp._signals import RunInterrupted

# (number, outcome) in the order a runner reports them: "ok", "fail", or "start"
Events = List[Tuple[int, str]]


def _report(total: int, events: Events, signum: int = 0) -> SweepReport:
    report = SweepReport(total, stream=io.StringIO())
    for number, outcome in events:
        if outcome == "start":
            report.start(number, f"logs/{number}", [f"seed={number}"])
        elif outcome == "ok":
            report.complete(number)
        else:
            report.fail(number, f"ValueError: bad seed {number}\nmore", f"logs/{number}/log.stderr")
    if signum:
        report.interrupt(RunInterrupted.from_signal(signum))
    return report


def _sweep(*outcomes: str) -> Events:
    events: Events = []
    for number, outcome in enumerate(outcomes, start=1):
        events.append((number, "start"))
        if outcome != "running":
            events.append((number, outcome))
    return events


@pytest.mark.parametrize("total, events, signum, summary, code", [
    pytest.param(3, _sweep("ok", "ok", "ok"), 0, "3 runs: 3 COMPLETE", 0, id="all-complete"),
    pytest.param(3, _sweep("ok", "fail", "ok"), 0, "3 runs: 2 COMPLETE, 1 FAILED (logs/2)", 1,
                 id="one-failed"),
    pytest.param(4, _sweep("fail", "ok", "running"), signal.SIGINT,
                 "4 runs: 1 COMPLETE, 2 FAILED (logs/1, logs/3), 1 not started (point 4);"
                 " interrupted by SIGINT", 130, id="ctrl-c"),
    pytest.param(5, _sweep("ok", "running"), signal.SIGTERM,
                 "5 runs: 1 COMPLETE, 1 FAILED (logs/2), 3 not started (points 3-5);"
                 " terminated by SIGTERM", 143, id="sigterm"),
    pytest.param(2, _sweep("ok", "ok"), signal.SIGINT,
                 "2 runs: 2 COMPLETE; interrupted by SIGINT", 130, id="signal-after-the-last"),
    pytest.param(4, [(1, "start"), (2, "start"), (2, "fail"), (3, "start")], signal.SIGTERM,
                 "4 runs: 0 COMPLETE, 3 FAILED (logs/2, logs/1, logs/3), 1 not started (point 4);"
                 " terminated by SIGTERM", 143, id="parallel-runner"),
])
def test_summary_and_exit_code(total: int, events: Events, signum: int, summary: str,
                               code: int) -> None:
    report = _report(total, events, signum)
    assert report.summary() == summary
    assert report.finish() == code
    assert report.stream.getvalue().splitlines()[-1] == summary  # type: ignore[union-attr]


def test_a_failure_is_one_line_naming_its_traceback_file() -> None:
    report = _report(2, _sweep("fail", "ok"))
    assert report.stream.getvalue().splitlines() == [  # type: ignore[union-attr]
        "[1/2] logs/1 seed=1",
        "[1/2] logs/1 FAILED: ValueError: bad seed 1 (traceback in logs/1/log.stderr)",
        "[2/2] logs/2 seed=2",
    ]
