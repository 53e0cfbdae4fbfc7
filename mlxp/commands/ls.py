"""``mlxp ls [LOGDIR]``: the runs as a table, with what varies between them and their metrics.

By default: id, status, duration, the config keys whose values differ across the runs, and the
last value of each metric. ``--columns`` picks others (``train.loss:min``, ``start``, any
config key), ``--sort`` orders by one of them.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict, List, Tuple

from mlxp.commands._common import add_logdir, add_where, check_logdir, format_value, no_runs_line

NAME = "ls"
BUILT_IN = ("id", "status", "start", "end", "duration", "host", "job", "sweep", "error")
STATS = ("last", "min", "max", "count")
Getter = Callable[[Any], Any]


def register(commands: Any) -> None:
    """Add ``mlxp ls`` to the subparsers ``commands``."""
    parser = commands.add_parser(
        NAME,
        help="a table of the runs: status, the config keys that vary, the last metrics",
        description="A table of the runs of LOGDIR that fits the terminal: id, status,"
        " duration, the config keys whose values differ across the runs and the last value of"
        " each metric (<log>.<key>).",
    )
    add_logdir(parser)
    add_where(parser)
    parser.add_argument(
        "--columns", "-c", action="append", default=[], metavar="NAMES",
        help="comma-separated columns instead of the default ones: "
        f"{', '.join(BUILT_IN)}, a config key (optimizer.lr), a metric's last value"
        " (train.loss) or another of its summaries (train.loss:min, :max, :count)",
    )
    parser.add_argument("--sort", "-s", default="", metavar="KEY",
                        help="order by this column (any --columns name); --sort=-KEY or"
                        " --reverse for descending")
    parser.add_argument("--reverse", "-r", action="store_true",
                        help="descending order (with --sort)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the table and a line counting the runs by status."""
    from mlxp.commands._table import fit_table, terminal_width
    from mlxp.results.runs import load_summaries

    check_logdir(args.log_dir)
    found = load_summaries(args.log_dir, args.where)
    names = [name for value in args.columns for name in value.split(",") if name.strip()]
    columns = [_column(name.strip(), found) for name in names] or _default_columns(found)
    runs = list(found.runs)
    if args.sort:
        _, getter = _column(args.sort.lstrip("-"), found)
        runs = _sorted(runs, getter, descending=args.sort.startswith("-") != args.reverse)
    if not runs:
        print(no_runs_line(args.log_dir, args.where))
        return 0
    header = [name for name, _ in columns]
    rows = [[_cell(getter(run)) for _, getter in columns] for run in runs]
    lines, hidden = fit_table(header, rows, terminal_width(), keep=2)
    print("\n".join(lines))
    print(_footer(found, hidden))
    return 0


def _default_columns(found: Any) -> List[Tuple[str, Getter]]:
    names = ["id", "status", "duration", *found.varying, *found.metric_keys]
    return [_column(name, found) for name in names]


def _column(name: str, found: Any) -> Tuple[str, Getter]:
    """``(header, getter)`` of a column name.

    Raises:
        UsageError: no column has that name (the message suggests close ones).
    """
    from mlxp.errors import UsageError

    if name in BUILT_IN:
        return name, _built_in(name)
    key = name[len("config."):] if name.startswith("config.") else name
    if key in found.config_keys:
        return key, lambda run: run.config.get(key, _ABSENT)
    metric, _, stat = name.partition(":")
    if metric in found.metric_keys and stat in ("", *STATS):
        which = stat or "last"
        return name, lambda run: run.metrics.get(metric, {}).get(which, _ABSENT)
    known = [*BUILT_IN, *found.config_keys, *found.metric_keys]
    import difflib

    close = difflib.get_close_matches(name, known, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise UsageError(f"no column {name!r}{hint}; columns are {', '.join(BUILT_IN)}, the config"
                     " keys and the metrics (<log>.<key>[:last|min|max|count])", key=name)


class _Absent:
    """A value the run does not have: shown as '-', sorted last."""

    def __repr__(self) -> str:
        return "-"


_ABSENT = _Absent()


def _built_in(name: str) -> Getter:
    from mlxp.cluster.runs import format_duration

    if name == "duration":
        return lambda run: format_duration(run.duration) if run.duration is not None else _ABSENT
    attribute = {"job": "job_id", "sweep": "sweep_id"}.get(name, name)
    return lambda run: _present(getattr(run, attribute))


def _present(value: Any) -> Any:
    return _ABSENT if value is None else value


def _cell(value: Any) -> str:
    return "-" if value is _ABSENT else format_value(value)


def _sorted(runs: List[Any], getter: Getter, descending: bool) -> List[Any]:
    """``runs`` ordered by a column; the runs without a value come last either way."""
    present = [run for run in runs if getter(run) is not _ABSENT]
    present.sort(key=lambda run: _sort_key(getter(run)), reverse=descending)
    return present + [run for run in runs if getter(run) is _ABSENT]


def _sort_key(value: Any) -> Tuple[int, Any]:
    # numbers (run ids too) in numeric order, then texts
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, format_value(value))


def _footer(found: Any, hidden: int) -> str:
    counts: Dict[str, int] = found.counts
    parts = ", ".join(f"{count} {status}" for status, count in
                      sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    shown = len(found.runs)
    noun = "run" if shown == 1 else "runs"
    line = f"{shown} {noun}" + (f" of {found.total}" if shown != found.total else "")
    line += f": {parts}" if parts else ""
    if hidden:
        line += (f"; {hidden} more column{'s' if hidden > 1 else ''} did not fit the terminal"
                 " (--columns picks them)")
    return line

