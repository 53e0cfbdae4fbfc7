"""A static chart of curves as SVG text, drawn by our own code (no plotting library needed).

Axes with rounded ticks, one colour per run or group, a band (min/max or ±std) under a
group's mean, and a legend. Every text comes from runs (config values as labels), so all of
it is escaped, and the characters XML cannot hold are replaced.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple
from xml.sax.saxutils import escape, quoteattr

__all__ = ["PALETTE", "Curve", "nice_ticks", "render_svg"]

#: colours told apart by most readers, colour-blind ones included (Tableau 10)
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
MAX_LEGEND = 20
MAX_LABEL = 34
"""Legend labels are cut to this many characters; the full label shows on hover."""
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
Scale = Callable[[float], float]
_MARGIN = {"left": 72, "right": 16, "top": 36, "bottom": 48}


@dataclass
class Curve:
    """One line of the chart: a run (``kind="run"``) or a group's mean with its band."""

    key: str
    label: str
    x: Sequence[float]
    y: Sequence[float]
    band: Optional[Tuple[Sequence[float], Sequence[float]]] = None
    """``(lo, hi)`` at each x, for a group."""


def nice_ticks(low: float, high: float, count: int = 5) -> List[float]:
    """About ``count`` round tick values (1, 2 or 5 times a power of ten) covering the range."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    ticks = []
    value = first * step
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


def _attr(value: str) -> str:
    return quoteattr(_NOT_XML.sub("\ufffd", value))


def _cut(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _padded(low: float, high: float) -> Tuple[float, float]:
    if high > low:
        return low, high
    pad = abs(low) * 0.05 or 1.0
    return low - pad, high + pad


def render_svg(curves: Sequence[Curve], title: str, x_label: str, y_label: str,
               width: int = 800, height: int = 480) -> str:
    """The SVG document of ``curves`` (``path.series[data-run]`` per run,
    ``path.band[data-group]`` + ``path.mean[data-group]`` per group, a ``g.legend``)."""
    legend_width = 40 + 7 * min(MAX_LABEL, max((len(c.label) for c in curves), default=0))
    plot_left, plot_top = _MARGIN["left"], _MARGIN["top"]
    plot_width = max(width - plot_left - _MARGIN["right"] - legend_width, 100)
    plot_height = max(height - plot_top - _MARGIN["bottom"], 100)
    xs = [x for c in curves for x in c.x]
    ys = [y for c in curves for y in (*c.y, *(c.band[0] if c.band else ()),
                                      *(c.band[1] if c.band else ()))]
    x_low, x_high = _padded(min(xs, default=0.0), max(xs, default=1.0))
    y_low, y_high = _padded(min(ys, default=0.0), max(ys, default=1.0))

    def px(x: float) -> float:
        return round(plot_left + (x - x_low) / (x_high - x_low) * plot_width, 2)

    def py(y: float) -> float:
        return round(plot_top + (y_high - y) / (y_high - y_low) * plot_height, 2)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
           f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text class="title" x="{plot_left}" y="20" font-size="14">{_text(title)}</text>']
    out += _axes(px, py, (x_low, x_high), (y_low, y_high), plot_left, plot_top, plot_width,
                 plot_height, x_label, y_label)
    for index, curve in enumerate(curves):
        colour = PALETTE[index % len(PALETTE)]
        points = list(zip(curve.x, curve.y))
        line = " ".join(f"{'M' if i == 0 else 'L'}{px(x)},{py(y)}" for i, (x, y) in enumerate(points))
        if curve.band is not None:
            low, high = curve.band
            outline = [(px(x), py(y)) for x, y in zip(curve.x, high)]
            outline += [(px(x), py(y)) for x, y in reversed(list(zip(curve.x, low)))]
            shape = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(outline))
            out.append(f'<path class="band" data-group={_attr(curve.key)} d="{shape} Z"'
                       f' fill="{colour}" fill-opacity="0.2" stroke="none"/>')
            kind = 'class="mean" data-group'
        else:
            kind = 'class="series" data-run'
        if len(points) == 1:  # a single point draws nothing as a line: show a dot
            out.append(f'<circle cx="{px(points[0][0])}" cy="{py(points[0][1])}" r="2.5"'
                       f' fill="{colour}"/>')
        out.append(f'<path {kind}={_attr(curve.key)} d="{line}" fill="none" stroke="{colour}"'
                   ' stroke-width="1.5"/>')
    out += _legend(curves, plot_left + plot_width + 16, plot_top)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _axes(px: Scale, py: Scale, x_range: Tuple[float, float], y_range: Tuple[float, float],
          left: float, top: float, width: float, height: float, x_label: str, y_label: str
          ) -> List[str]:
    bottom = top + height
    parts = ['<g class="axes" stroke="#333" fill="#333">',
             f'<line x1="{left}" y1="{bottom}" x2="{left + width}" y2="{bottom}"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>']
    for tick in nice_ticks(*x_range):
        x = px(tick)
        parts.append(f'<line class="tick" x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 5}"/>'
                     f'<text class="x-tick" x="{x}" y="{bottom + 18}" text-anchor="middle"'
                     f' stroke="none">{tick:g}</text>')
    for tick in nice_ticks(*y_range):
        y = py(tick)
        parts.append(f'<line class="grid" x1="{left}" y1="{y}" x2="{left + width}" y2="{y}"'
                     ' stroke="#ddd"/>'
                     f'<text class="y-tick" x="{left - 8}" y="{y + 4}" text-anchor="end"'
                     f' stroke="none">{tick:g}</text>')
    parts.append(f'<text class="x-label" x="{left + width / 2}" y="{bottom + 38}"'
                 f' text-anchor="middle" stroke="none">{_text(x_label)}</text>')
    parts.append(f'<text class="y-label" transform="translate(16,{top + height / 2}) rotate(-90)"'
                 f' text-anchor="middle" stroke="none">{_text(y_label)}</text>')
    parts.append("</g>")
    return parts


def _legend(curves: Sequence[Curve], left: float, top: float) -> List[str]:
    parts = ['<g class="legend">']
    for index, curve in enumerate(curves[:MAX_LEGEND]):
        y = top + 8 + 18 * index
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<g class="legend-item"><line x1="{left}" y1="{y}" x2="{left + 18}"'
                     f' y2="{y}" stroke="{colour}" stroke-width="3"/><text x="{left + 24}"'
                     f' y="{y + 4}">{_text(_cut(curve.label))}</text>'
                     f'<title>{_text(curve.label)}</title></g>')
    if len(curves) > MAX_LEGEND:
        y = top + 8 + 18 * MAX_LEGEND
        parts.append(f'<text class="legend-more" x="{left}" y="{y + 4}">… and'
                     f' {len(curves) - MAX_LEGEND} more</text>')
    parts.append("</g>")
    return parts
