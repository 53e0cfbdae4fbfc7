"""The lines and exit code every sweep runner shares (mlxp._progress.SweepReport)."""

from __future__ import annotations

import io
import itertools
import signal
from typing import Callable, List, Tuple

import pytest

from mlxp._progress import SweepReport, format_duration
from mlxp._signals import RunInterrupted

# (number, outcome) in the order a runner reports them: "ok", "fail", or "start"
Events = List[Tuple[int, str]]


def _ticks(step: float = 1.0) -> Callable[[], float]:
    """A clock that moves ``step`` seconds each time it is read: durations without timing."""
    counter = itertools.count()
    return lambda: next(counter) * step


def _report(total: int, events: Events, signum: int = 0) -> SweepReport:
    report = SweepReport(total, stream=io.StringIO(), clock=_ticks())
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
                 "4 runs: 0 COMPLETE, 3 FAILED (logs/1, logs/2, logs/3), 1 not started (point 4);"
                 " terminated by SIGTERM", 143, id="parallel-runner"),
])
def test_summary_and_exit_code(total: int, events: Events, signum: int, summary: str,
                               code: int) -> None:
    report = _report(total, events, signum)
    assert report.summary() == summary
    assert report.finish() == code
    assert report.stream.getvalue().splitlines()[-1] == summary  # type: ignore[union-attr]


def test_each_end_is_one_line_with_duration_counts_elapsed_and_eta() -> None:
    report = SweepReport(3, stream=io.StringIO(), clock=_ticks())  # clock 0: the sweep begins
    report.start(1, "logs/1", ["seed=1"])  # 1
    report.start(2, "logs/2", ["seed=2"])  # 2
    report.fail(1, "ValueError: bad seed 1\nmore", "logs/1/log.stderr",  # 3
                ["Traceback (most recent call last):", "ValueError: bad seed 1"])
    report.complete(2)  # 4
    assert report.finish() == 1
    assert report.stream.getvalue().splitlines() == [  # type: ignore[union-attr]
        "[1/3] logs/1 seed=1",
        "[2/3] logs/2 seed=2",
        "[1/3] logs/1 FAILED 2.0s: ValueError: bad seed 1 (traceback in logs/1/log.stderr)"
        " | 1/3 done, 1 running, 3.0s elapsed, ETA 6.0s",
        "    Traceback (most recent call last):",
        "    ValueError: bad seed 1",
        "[2/3] logs/2 COMPLETE 2.0s | 2/3 done, 4.0s elapsed, ETA 2.0s",
        "FAILED logs/1: ValueError: bad seed 1",
        "3 runs: 1 COMPLETE, 1 FAILED (logs/1), 1 not started (point 3)",
    ]


def test_the_rerun_command_is_shown_only_when_something_did_not_finish() -> None:
    done = _report(1, _sweep("ok"))
    done.rerun_hint = "mlxp rerun logs --sweep S"
    done.finish()
    assert "mlxp rerun" not in done.stream.getvalue()  # type: ignore[union-attr]
    cut = _report(2, _sweep("ok"))
    cut.rerun_hint = "mlxp rerun logs --sweep S"
    cut.finish()
    assert cut.stream.getvalue().splitlines()[-2:] == [  # type: ignore[union-attr]
        "to run what did not finish again: mlxp rerun logs --sweep S",
        "2 runs: 1 COMPLETE, 1 not started (point 2)"]


@pytest.mark.parametrize("seconds, text", [
    pytest.param(0.04, "0.0s", id="tenths"),
    pytest.param(12.34, "12.3s", id="seconds"),
    pytest.param(125, "2m05s", id="minutes"),
    pytest.param(3720, "1h02m", id="hours"),
    pytest.param(-1, "0.0s", id="a-clock-that-went-back"),
])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_failures_are_listed_in_point_order_whatever_order_they_ended_in() -> None:
    report = _report(3, [(1, "start"), (2, "start"), (3, "start"), (3, "fail"), (2, "ok"),
                         (1, "fail")], 0)
    assert report.finish() == 1
    lines = report.stream.getvalue().splitlines()  # type: ignore[union-attr]
    assert [line.split(":")[0] for line in lines if line.startswith("FAILED ")] == [
        "FAILED logs/1", "FAILED logs/3"]
    assert lines[-1] == "3 runs: 1 COMPLETE, 2 FAILED (logs/1, logs/3)"
