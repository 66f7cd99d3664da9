"""Line charts of a job's metric history, as plain values for inline SVG.

The console draws records in/out, checkpoint duration and restarts over the job's life
from the samples Millstream keeps (so the charts outlive the job in Flink). A chart is a
``width`` x ``height`` box with a plot area, one polyline per series, a zero-based y axis
rounded to a "nice" top and time labels along x. Pure functions: ``job_insight_views``
calls them, ``tests/unit/web`` covers them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from millstream.web.numbers import compact

__all__ = ["Line", "LineChart", "Tick", "line_chart", "nice_ceiling"]

Point = tuple[int, float]  # epoch milliseconds, value

_LEFT, _RIGHT, _TOP, _BOTTOM = 50, 12, 10, 22  # room for the axis labels


@dataclass(frozen=True, slots=True)
class Tick:
    at: float  # x or y in the chart's coordinates
    label: str


@dataclass(frozen=True, slots=True)
class Line:
    """One series: its name, its colour slot (0, 1, ...) and SVG polyline points."""

    name: str
    slot: int
    points: str
    latest: float | None
    count: int


@dataclass(frozen=True, slots=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int  # x where the plot area ends
    top: int
    bottom: int  # y of the x axis
    lines: list[Line]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at least ``value`` (1 for nothing)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10.0 * power


def _clock(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%H:%M:%S")


def line_chart(
    series: Sequence[tuple[str, Sequence[Point]]],
    *,
    width: int = 720,
    height: int = 170,
    step: bool = False,
) -> LineChart | None:
    """A chart of ``series`` (name, points oldest first) on one shared time axis; ``step``
    draws counters (restarts) as stairs. None when no series has a point."""
    points = [p for _, pts in series for p in pts if math.isfinite(p[1])]
    if not points:
        return None
    first = min(at for at, _ in points)
    last = max(at for at, _ in points)
    span = max(last - first, 1)
    top_value = nice_ceiling(max(max(value for _, value in points), 0.0))
    left, right, top, bottom = _LEFT, width - _RIGHT, _TOP, height - _BOTTOM

    def x_of(at: float) -> float:
        return left + (at - first) / span * (right - left)

    def y_of(value: float) -> float:
        return bottom - max(value, 0.0) / top_value * (bottom - top)

    lines: list[Line] = []
    for slot, (name, pts) in enumerate(series):
        drawn = sorted(p for p in pts if math.isfinite(p[1]))
        coords: list[str] = []
        for index, (at, value) in enumerate(drawn):
            if step and index:
                coords.append(f"{x_of(at):.1f},{y_of(drawn[index - 1][1]):.1f}")
            coords.append(f"{x_of(at):.1f},{y_of(value):.1f}")
        if len(drawn) == 1:  # one sample: a short flat stroke so it shows
            coords = [f"{left:.1f},{y_of(drawn[0][1]):.1f}", f"{right:.1f},{y_of(drawn[0][1]):.1f}"]
        latest = drawn[-1][1] if drawn else None
        lines.append(Line(name, slot, " ".join(coords), latest, len(drawn)))
    y_ticks = [Tick(y_of(top_value * f), compact(top_value * f)) for f in (0.0, 0.5, 1.0)]
    x_ticks = [Tick(float(left), _clock(first)), Tick(float(right), _clock(last))]
    if span >= 120_000:
        x_ticks.insert(1, Tick((left + right) / 2, _clock(first + span / 2)))
    return LineChart(width, height, left, right, top, bottom, lines, y_ticks, x_ticks)
