"""``mlxp plot [LOGDIR] --metric train.loss -o curves.svg``: the curves of one metric.

One curve per run, or with ``--group-by`` one mean curve per group with its band (min/max or
±std over the runs present at each x). The SVG is drawn by our own code; a PNG is written
next to it when matplotlib is installed.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Sequence, Tuple

from mlxp.commands._common import add_logdir, add_where, check_logdir, clean, format_value

if TYPE_CHECKING:
    from mlxp.results.columns import ColumnCache

NAME = "plot"
DEFAULT_WIDTH, DEFAULT_HEIGHT = 800, 480


def register(commands: Any) -> None:
    """Add ``mlxp plot`` to the subparsers ``commands``."""
    parser = commands.add_parser(
        NAME,
        help="curves of a metric as an SVG (and a PNG when matplotlib is installed)",
        description="Draw one metric (<log>.<key>, e.g. train.loss) of the runs against the"
        " step or another key of the same log, one curve per run or, with --group-by, one"
        " mean curve and band per group.",
    )
    add_logdir(parser)
    add_where(parser)
    parser.add_argument("--metric", "-m", required=True, metavar="LOG.KEY",
                        help="the metric to draw, e.g. train.loss")
    parser.add_argument("--x", default="step", metavar="KEY",
                        help="the x axis: another key of the same log (epoch, time) or step,"
                        " the line number (default)")
    parser.add_argument("--group-by", "-g", action="append", default=[], metavar="KEYS",
                        help="config keys (comma-separated) whose values make the groups;"
                        " the other runs of a group (seeds) are aggregated")
    parser.add_argument("--band", choices=("minmax", "std"), default="minmax",
                        help="the band around a group's mean (default: minmax)")
    parser.add_argument("--output", "-o", default="curves.svg", metavar="FILE.svg",
                        help="the SVG to write (default: curves.svg); the PNG goes next to it")
    parser.add_argument("--width", type=int, default=DEFAULT_WIDTH, help="pixels")
    parser.add_argument("--height", type=int, default=DEFAULT_HEIGHT, help="pixels")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the SVG (and PNG) and say where."""
    from mlxp._layout import atomic_write_text
    from mlxp.errors import UsageError
    from mlxp.results.columns import ColumnCache
    from mlxp.results.curves import split_metric
    from mlxp.results.metricfiles import metric_files
    from mlxp.results.runs import load_summaries
    from mlxp.results.svg import render_svg

    check_logdir(args.log_dir)
    if args.width < 200 or args.height < 150:
        raise UsageError("--width must be 200 or more and --height 150 or more pixels")
    if not args.output.endswith(".svg"):
        raise UsageError(f"--output must end in .svg, not {args.output!r}")
    found = load_summaries(args.log_dir, args.where, with_metrics=False)
    runs = [run for run in found.runs if run.status != "DAMAGED"]
    if not runs:
        raise UsageError(f"no runs in {args.log_dir} to plot"
                         + (f" match {args.where!r}" if args.where else ""))
    logs = sorted({name for run in runs for name, _ in metric_files(run.dir)})
    log_name, key = split_metric(args.metric, logs)
    group_keys = [k.strip() for value in args.group_by for k in value.split(",") if k.strip()]
    unknown = [k for k in group_keys if k not in found.config_keys]
    if unknown:
        raise UsageError(f"--group-by: no config key {unknown[0]!r} in these runs", key=unknown[0])
    columns = ColumnCache(args.log_dir)
    curves = (_group_curves(runs, group_keys, log_name, key, args, columns) if group_keys
              else _run_curves(runs, found.varying, log_name, key, args, columns))
    if not curves:
        raise UsageError(f"no numeric values of {args.metric} against {args.x} in the"
                         f" {len(runs)} run{'s' if len(runs) > 1 else ''} matched")
    title = f"{args.metric} ({clean(args.log_dir)}{', ' + args.where if args.where else ''})"
    svg = render_svg(curves, title, args.x, args.metric, args.width, args.height)
    atomic_write_text(args.output, svg)
    what = f"{len(curves)} group{'s' if len(curves) > 1 else ''}" if group_keys else \
        f"{len(curves)} run{'s' if len(curves) > 1 else ''}"
    print(f"wrote {clean(args.output)} ({what})")
    _write_png(curves, args, title)
    return 0


def _run_curves(runs: Sequence[Any], varying: Sequence[str], log_name: str, key: str,
                args: argparse.Namespace, columns: "ColumnCache") -> List[Any]:
    from mlxp.results.columns import read_series_through
    from mlxp.results.curves import downsample_minmax
    from mlxp.results.svg import Curve

    curves = []
    for run in runs:
        series = read_series_through(columns, run.id, run.dir, log_name, key, args.x)
        if series.x:
            x, y = downsample_minmax(series.x, series.y, args.width)
            label = ", ".join(f"{_short(k, varying)}={format_value(run.config.get(k))}"
                              for k in varying if k in run.config)
            curves.append(Curve(run.id, f"{run.id}: {label}" if label else run.id, x, y))
    return curves


def _short(key: str, keys: Sequence[str]) -> str:
    """``lr`` for ``optimizer.lr`` in a legend, unless another key ends the same way."""
    last = key.rpartition(".")[2]
    return last if sum(k.rpartition(".")[2] == last for k in keys) == 1 else key


def _group_curves(runs: Sequence[Any], group_keys: Sequence[str], log_name: str, key: str,
                  args: argparse.Namespace, columns: "ColumnCache") -> List[Any]:
    from mlxp.results.columns import read_series_through
    from mlxp.results.curves import align_and_aggregate
    from mlxp.results.svg import Curve

    groups: Dict[Tuple[str, ...], List[Any]] = {}
    for run in runs:
        values = tuple(format_value(run.config.get(k)) for k in group_keys)
        groups.setdefault(values, []).append(
            read_series_through(columns, run.id, run.dir, log_name, key, args.x))
    curves = []
    for values in sorted(groups, key=_natural):
        aggregate = align_and_aggregate([s for s in groups[values] if s.x], args.band)
        if not aggregate.x:
            continue
        name = ", ".join(f"{k}={v}" for k, v in zip(group_keys, values))
        count = len(groups[values])
        curves.append(Curve(name, f"{name} ({count} run{'s' if count > 1 else ''})",
                            aggregate.x, aggregate.mean, (aggregate.lo, aggregate.hi)))
    return curves


def _natural(values: Tuple[str, ...]) -> Tuple[Any, ...]:
    # numbers in numeric order (lr 0.001 before 0.01 before 0.1), before texts
    def one(value: str) -> Tuple[int, Any]:
        try:
            return (0, float(value))
        except ValueError:
            return (1, value)
    return tuple(one(value) for value in values)


def _write_png(curves: Sequence[Any], args: argparse.Namespace, title: str) -> None:
    """The same chart with matplotlib, when it is installed (imported only here)."""
    path = os.path.splitext(args.output)[0] + ".png"
    try:
        import matplotlib
    except ImportError:
        print("no PNG: matplotlib is not installed (pip install matplotlib to get one)",
              file=sys.stderr)
        return
    matplotlib.use("Agg")
    from matplotlib import pyplot
    from mlxp.results.svg import PALETTE

    figure, axes = pyplot.subplots(figsize=(args.width / 100, args.height / 100), dpi=100)
    for index, curve in enumerate(curves):
        colour = PALETTE[index % len(PALETTE)]
        if curve.band is not None:
            axes.fill_between(curve.x, curve.band[0], curve.band[1], color=colour, alpha=0.2)
        axes.plot(curve.x, curve.y, color=colour, linewidth=1.5, label=curve.label)
    axes.set_title(title)
    axes.set_xlabel(args.x)
    axes.set_ylabel(args.metric)
    if len(curves) <= 20:
        axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
    print(f"wrote {clean(path)}")
