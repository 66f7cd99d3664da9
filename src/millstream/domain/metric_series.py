"""Time series of metric values: aggregating values and downsampling points into buckets.

Pure functions over ``(epoch milliseconds, value)`` points, oldest first. The metric
history service (``control.services.metric_history``) applies them to stored samples;
a dialect names the aggregate and the bucket width its own way (foas: OpenTSDB's
``1m-avg``).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

__all__ = ["Aggregate", "Point", "aggregate", "downsample"]

Point = tuple[int, float]


class Aggregate(StrEnum):
    """How several values become one."""

    AVG = "avg"
    SUM = "sum"
    MAX = "max"
    MIN = "min"
    COUNT = "count"


def aggregate(values: Sequence[float], how: Aggregate) -> float:
    """One value for ``values`` (at least one)."""
    if not values:
        raise ValueError("aggregate needs at least one value")
    if how is Aggregate.SUM:
        return float(sum(values))
    if how is Aggregate.MAX:
        return float(max(values))
    if how is Aggregate.MIN:
        return float(min(values))
    if how is Aggregate.COUNT:
        return float(len(values))
    return float(sum(values)) / len(values)


def downsample(points: Sequence[Point], *, bucket_ms: int, how: Aggregate) -> list[Point]:
    """One point per ``bucket_ms``-wide bucket (aligned to the epoch, keyed by the bucket's
    start) holding the aggregate of the points inside it; empty buckets have none."""
    if bucket_ms <= 0:
        raise ValueError("bucket_ms must be positive")
    buckets: dict[int, list[float]] = {}
    for at, value in points:
        buckets.setdefault(at - at % bucket_ms, []).append(value)
    return [(start, aggregate(values, how)) for start, values in sorted(buckets.items())]
