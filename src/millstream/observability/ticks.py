"""``TickObserver``: turns each reconciler ``TickReport`` into metrics.

``control.daemon.ReconcilerDaemon`` calls it after every iteration on the leader with
the report, or ``None`` when the iteration raised. The reconciler itself knows nothing
of metrics.
"""

from __future__ import annotations

from millstream.control.reconciler import TickReport
from millstream.domain.decisions import Step
from millstream.observability.registry import Metrics

__all__ = ["TickObserver"]

_STEPS = frozenset(step.value for step in Step)


class TickObserver:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def __call__(self, report: TickReport | None) -> None:
        metrics = self._metrics
        if report is None:
            metrics.ticks.labels(outcome="error").inc()
            metrics.tick_errors.inc()
            return
        metrics.ticks.labels(outcome="ok").inc()
        metrics.tick_seconds.observe(report.seconds)
        for step, times in report.actions.items():
            # Keys are Step values; anything else is folded so labels stay bounded.
            metrics.actions.labels(step=step if step in _STEPS else "OTHER").inc(times)
        if report.clusters_unreachable:
            metrics.unreachable_clusters.inc(len(report.clusters_unreachable))
