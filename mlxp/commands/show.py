"""``mlxp show RUN``: one run — status, error, config, last metrics, and where its files are."""

from __future__ import annotations

import argparse
import os
from typing import Any, List, Sequence, Tuple

from mlxp.commands._common import add_logdir_option, clean, format_value

NAME = "show"


def register(commands: Any) -> None:
    """Add ``mlxp show`` to the subparsers ``commands``."""
    parser = commands.add_parser(
        NAME,
        help="one run: status, error, config, metrics, paths",
        description="One run: its status, times, job and error; its config (secrets from the"
        " environment masked); each metric's last, min, max and count; and its files.",
    )
    parser.add_argument("run_arg", metavar="RUN",
                        help="a run directory (logs/3) or a run id inside --logdir")
    add_logdir_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the run."""
    from mlxp.results.runs import load_run, resolve_run

    summary = load_run(resolve_run(args.run_arg, args.logdir))
    print("\n".join(render(summary)))
    return 0


def render(summary: Any) -> List[str]:
    """The lines ``mlxp show`` prints for a ``RunSummary``."""
    from mlxp.cluster.runs import format_duration

    info = summary.info
    lines = [f"run {clean(summary.id)}  {clean(summary.dir)}"]
    lines += _pairs([
        ("status", summary.status + (f" ({summary.lost})" if summary.lost else "")),
        ("start", summary.start), ("end", summary.end),
        ("duration", format_duration(summary.duration) if summary.duration is not None else None),
        ("host", summary.host), ("job", summary.job_id), ("sweep", summary.sweep_id),
        ("command", info.get("cmd")),
        ("overrides", " ".join(str(o) for o in info.get("overrides") or []) or None),
        ("problem", summary.problem),
    ])
    error = info.get("error")
    if error:
        lines += ["", "error"] + ["  " + line for line in clean(error, True).splitlines()]
    if summary.config:
        lines += ["", "config"] + _pairs(sorted(summary.config.items()))
    if summary.metrics:
        lines += ["", "metrics        last / min / max (count)"]
        lines += _pairs([(key, f"{format_value(s['last'])} / {format_value(s['min'])} /"
                               f" {format_value(s['max'])} ({s['count']})")
                         for key, s in sorted(summary.metrics.items())])
    lines += ["", "files"] + _pairs(_paths(summary.dir))
    return lines


def _pairs(items: Sequence[Tuple[str, Any]]) -> List[str]:
    shown = [(clean(key), clean(value)) for key, value in items if value is not None]
    width = max((len(key) for key, _ in shown), default=0)
    return [f"  {key.ljust(width)}  {value}" for key, value in shown]


def _paths(run_dir: str) -> List[Tuple[str, Any]]:
    from mlxp import _layout
    from mlxp.results.metricfiles import metric_files

    metadata = os.path.join(run_dir, _layout.METADATA_DIR)
    candidates = [
        ("config", os.path.join(metadata, _layout.CONFIG_FILE)),
        ("info", os.path.join(metadata, _layout.INFO_FILE)),
        *((f"metrics {name}", path) for name, path in metric_files(run_dir)),
        ("artifacts", os.path.join(run_dir, _layout.ARTIFACTS_DIR)),
        ("stdout", os.path.join(run_dir, _layout.STDOUT_FILE)),
        ("stderr", os.path.join(run_dir, _layout.STDERR_FILE)),
    ]
    return [(name, path) for name, path in candidates if os.path.exists(path)]
