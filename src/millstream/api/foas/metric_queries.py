"""GetInstanceMetric's ``metricJson`` (spec §3.1.9): an OpenTSDB query, parsed and checked.

``{"start": ms, "end": ms, "queries": [{"metric", "aggregator", "downsample",
"granularity"}]}``. ``metric`` is ``blink.<project>.<job>.<name>`` or the bare name;
``aggregator`` (``avg``, ``sum``, ``max``, ``min``, ``count``; default ``avg``) makes
``Summary`` out of the answered points and combines the points of a bucket when only
``granularity`` (``20s``) is given; ``downsample`` is OpenTSDB's ``<n><unit>-<fn>``
(units ``ms``, ``s``, ``m``, ``h``, ``d``; an optional ``-none`` fill policy). ``limit``
is accepted and ignored. Anything else that does not parse is a 400
``InvalidParameter`` naming the field. Used by ``api.foas.metrics``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.domain.metric_series import Aggregate

__all__ = ["MAX_QUERIES", "Downsample", "MetricQuery", "MetricRequest", "parse_metric_json"]

MAX_QUERIES = 50
_MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
_UNITS_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_INTERVAL = re.compile(r"^([1-9][0-9]{0,8})(ms|s|m|h|d)$")
_FUNCTIONS = ", ".join(a.value for a in Aggregate)


@dataclass(frozen=True, slots=True)
class Downsample:
    """Points in ``bucket_ms``-wide buckets, each bucket's combined by ``how``."""

    bucket_ms: int
    how: Aggregate


@dataclass(frozen=True, slots=True)
class MetricQuery:
    metric: str  # as asked, echoed as MetricName
    aggregator: Aggregate
    downsample: Downsample | None


@dataclass(frozen=True, slots=True)
class MetricRequest:
    start_ms: int | None
    end_ms: int | None
    queries: list[MetricQuery]


def parse_metric_json(raw: str) -> MetricRequest:
    """The checked query; ``FoasError`` 400 ``InvalidParameter`` on anything malformed."""
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise _invalid("metricJson is not valid JSON") from None
    if not isinstance(decoded, dict):
        raise _invalid("metricJson must be a JSON object")
    queries = decoded.get("queries")
    if not isinstance(queries, list) or not queries or len(queries) > MAX_QUERIES:
        raise _invalid(f"metricJson needs 1 to {MAX_QUERIES} queries")
    start, end = _moment(decoded, "start"), _moment(decoded, "end")
    if start is not None and end is not None and end < start:
        raise _invalid("metricJson end is before its start")
    return MetricRequest(start, end, [_query(query) for query in queries])


def _query(query: Any) -> MetricQuery:
    metric = query.get("metric") if isinstance(query, dict) else None
    if not isinstance(metric, str) or not metric:
        raise _invalid("every query needs its metric name")
    aggregator = _aggregate(query.get("aggregator"), "aggregator") or Aggregate.AVG
    downsample = _downsample(query.get("downsample"))
    granularity = query.get("granularity")
    if granularity is not None:
        bucket_ms = _interval(granularity, "granularity")
        if downsample is None:
            downsample = Downsample(bucket_ms, aggregator)
    return MetricQuery(metric, aggregator, downsample)


def _moment(decoded: dict[str, Any], key: str) -> int | None:
    value = decoded.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise _invalid(f"metricJson {key} must be milliseconds since the epoch")
    if not 0 <= value <= _MAX_MS:
        raise _invalid(f"metricJson {key} {value} is not a 13-digit millisecond timestamp")
    return int(value)


def _aggregate(value: Any, field: str) -> Aggregate | None:
    if value is None:
        return None
    try:
        return Aggregate(str(value).strip().lower())
    except ValueError:
        raise _invalid(f"{field} {str(value)[:40]!r} is not one of {_FUNCTIONS}") from None


def _interval(value: Any, field: str) -> int:
    match = _INTERVAL.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise _invalid(
            f"{field} {str(value)[:40]!r} is not an interval like 20s or 1m "
            f"(units: {', '.join(_UNITS_MS)})"
        )
    return int(match.group(1)) * _UNITS_MS[match.group(2)]


def _downsample(value: Any) -> Downsample | None:
    if value is None:
        return None
    parts = value.strip().split("-") if isinstance(value, str) else []
    if len(parts) == 3 and parts[2] == "none":  # OpenTSDB's default fill policy
        parts = parts[:2]
    if len(parts) != 2:
        raise _invalid(
            f"downsample {str(value)[:40]!r} is not like 1m-avg (<interval>-<{_FUNCTIONS}>)"
        )
    how = _aggregate(parts[1], "downsample function")
    assert how is not None
    return Downsample(_interval(parts[0], "downsample interval"), how)


def _invalid(message: str) -> FoasError:
    return FoasError(400, INVALID_PARAMETER, message)
