"""Millstream's own metrics in Prometheus format, served at ``/metrics``.

- ``registry.Metrics``: one ``CollectorRegistry`` per app with the instruments below.
- ``requests.RequestMetrics``: ASGI middleware timing every request by route template,
  dialect, operation and status class (bounded labels, never a raw path).
- ``ticks.TickObserver``: the reconciler daemon calls it after each tick (tick time,
  actions by step, failed ticks).
- ``collectors``: read at scrape time: the daemon's heartbeat, queue waits, and the
  latest sampled Flink metrics of each job (no Flink call per scrape).
- ``endpoint.metrics_router``: ``GET /metrics`` with its access rule.
- ``latest_samples.SqlLatestSamples``: the SQL read of the latest samples; wired by
  ``composition.py`` only (it is an adapter: the API layer never imports it).
"""

from millstream.observability.collectors import (
    FLINK_JOB_METRICS,
    FlinkJobCollector,
    HeartbeatCollector,
    JobMetricValue,
    QueueCollector,
)
from millstream.observability.endpoint import metrics_router
from millstream.observability.registry import Metrics
from millstream.observability.requests import RequestMetrics
from millstream.observability.ticks import TickObserver

__all__ = [
    "FLINK_JOB_METRICS",
    "FlinkJobCollector",
    "HeartbeatCollector",
    "JobMetricValue",
    "Metrics",
    "QueueCollector",
    "RequestMetrics",
    "TickObserver",
    "metrics_router",
]
