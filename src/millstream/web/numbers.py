"""How the console prints metric numbers: short counts, rates, byte sizes, shares,
millisecond durations and clock times of Flink's moments.

Registered as Jinja2 filters by ``rendering.Renderer`` (``rate``, ``bytes``, ``ratio``,
``ms_share``, ``ms``, ``clock``) and used by ``metric_charts`` for axis labels.
``None`` (Flink has no value) prints as a dash everywhere.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from millstream.web.views import format_duration

__all__ = ["byte_size", "clock", "compact", "milliseconds", "ms_share", "rate", "ratio"]

_DASH = "—"


def compact(value: float) -> str:
    """``950``, ``1.2k``, ``3.4M``, ``0.25``: short numbers for axes and tables."""
    if not math.isfinite(value):
        return _DASH
    size = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    if size == 0 or size >= 10:
        return f"{value:.0f}"
    return f"{value:.2g}"


def rate(value: float | None) -> str:
    """Per-second count, e.g. ``1.2k``; a dash when unknown."""
    return _DASH if value is None else compact(value)


def byte_size(value: float | None) -> str:
    """``512 B``, ``3.4 KiB``, ``1.2 GiB``; a dash when unknown."""
    if value is None or not math.isfinite(value):
        return _DASH
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover - the loop always returns


def ratio(value: float | None) -> str:
    """A 0..1 share as a whole percentage; a dash when unknown."""
    if value is None or not math.isfinite(value):
        return _DASH
    return f"{round(min(max(value, 0.0), 1.0) * 100)}%"


def ms_share(value: float | None) -> str:
    """Milliseconds of each second (Flink's busy/idle/backpressured time) as a percentage."""
    return _DASH if value is None else ratio(value / 1000)


def milliseconds(value: float | None) -> str:
    """A duration Flink gives in milliseconds, worded like the console's others."""
    return _DASH if value is None else format_duration(value / 1000)


def clock(moment: datetime | None) -> str:
    """``12:03:04 UTC``: the time of day of a moment of the running job; a dash if unknown."""
    if moment is None:
        return _DASH
    return moment.astimezone(UTC).strftime("%H:%M:%S UTC")
