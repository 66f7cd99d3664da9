"""``Metrics``: the registry of one Millstream process and the instruments its parts update.

Built once by ``server.build_runtime`` (no module-level singleton: tests build their
own); the request middleware and the tick observer write to it, scrape-time collectors
register on it, ``endpoint.metrics_router`` serves it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.registry import Collector

__all__ = ["API_LATENCY_BUCKETS", "TICK_BUCKETS", "Metrics"]

API_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
TICK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The instruments; label values are bounded (route templates, dialects, steps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.api_request_seconds = Histogram(
            "millstream_api_request_duration_seconds",
            "API request latency by route template, dialect, operation and status class.",
            ["method", "route", "dialect", "operation", "status_class"],
            buckets=API_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.tick_seconds = Histogram(
            "millstream_reconciler_tick_duration_seconds",
            "Duration of one reconciler iteration (successful ones).",
            buckets=TICK_BUCKETS,
            registry=self.registry,
        )
        self.ticks = Counter(
            "millstream_reconciler_ticks",
            "Reconciler iterations run by this process, by outcome (ok or error).",
            ["outcome"],
            registry=self.registry,
        )
        self.actions = Counter(
            "millstream_reconciler_actions",
            "Actions the reconciler took, by step (SUBMIT, OBSERVE, CONCLUDE, ...).",
            ["step"],
            registry=self.registry,
        )
        self.tick_errors = Counter(
            "millstream_reconciler_errors",
            "Reconciler iterations that raised (the next tick retries).",
            registry=self.registry,
        )
        self.unreachable_clusters = Counter(
            "millstream_reconciler_unreachable_clusters",
            "Clusters found unreachable, counted once per tick each.",
            registry=self.registry,
        )

    def register(self, collector: Collector) -> None:
        """Add a scrape-time collector."""
        self.registry.register(collector)
