"""Scrape-time collectors: values read when Prometheus scrapes, not pushed by anyone.

- ``HeartbeatCollector``: the reconciler daemon's heartbeat (leader or not, last tick).
- ``QueueCollector``: each queue's waiting jobs, their longest wait and CUs
  (``QueueService.list``: one read of the queues and live jobs).
- ``FlinkJobCollector``: each job's latest sampled Flink metrics, as gauges labelled
  by workspace, namespace, deployment and job; read from the metric history the sampler
  keeps (one query, no Flink call). Label values are names users chose (never keys,
  secrets or variables).

A collector whose read fails reports ``millstream_collector_up{collector=...} 0`` and no
values instead of failing the whole scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from millstream.control.daemon import Heartbeat
from millstream.control.services.queues import QueueUsage

__all__ = [
    "FLINK_JOB_METRICS",
    "FlinkJobCollector",
    "FlinkJobMetric",
    "HeartbeatCollector",
    "JobMetricValue",
    "QueueCollector",
]

_log = logging.getLogger(__name__)


def _up(collector: str, ok: bool) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "millstream_collector_up",
        "1 when the collector's last read succeeded, 0 when it failed.",
        labels=["collector"],
    )
    family.add_metric([collector], 1.0 if ok else 0.0)
    return family


class HeartbeatCollector:
    def __init__(self, heartbeat: Callable[[], Heartbeat]) -> None:
        self._heartbeat = heartbeat

    def describe(self) -> Iterable[Metric]:
        return self._families(None)

    def collect(self) -> Iterable[Metric]:
        return self._families(self._heartbeat())

    @staticmethod
    def _families(beat: Heartbeat | None) -> list[Metric]:
        leader = GaugeMetricFamily(
            "millstream_reconciler_leader",
            "1 when this process holds the reconciler lock and runs the reconciler.",
        )
        last = GaugeMetricFamily(
            "millstream_reconciler_last_tick_timestamp_seconds",
            "Unix time the last reconciler iteration of this process ended.",
        )
        jobs = GaugeMetricFamily(
            "millstream_reconciler_jobs", "Live jobs the last reconciler iteration looked at."
        )
        failing = GaugeMetricFamily(
            "millstream_reconciler_last_tick_failed", "1 when the last iteration raised."
        )
        if beat is not None:
            leader.add_metric([], 1.0 if beat.leader else 0.0)
            failing.add_metric([], 1.0 if beat.last_error else 0.0)
            if beat.last_tick_at is not None:
                last.add_metric([], beat.last_tick_at)
            if beat.last_report is not None:
                jobs.add_metric([], float(beat.last_report.jobs))
        return [leader, last, jobs, failing]


class QueueCollector:
    def __init__(
        self,
        queues: Callable[[], Sequence[QueueUsage]],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._queues = queues
        self._clock = clock

    def describe(self) -> Iterable[Metric]:
        return self._families(())

    def collect(self) -> Iterable[Metric]:
        try:
            usages = self._queues()
        except Exception as exc:  # a scrape must not fail because the store is down
            _log.warning("metrics: cannot read queues: %s", exc)
            return [*self._families(()), _up("queues", False)]
        return [*self._families(usages), _up("queues", True)]

    def _families(self, usages: Sequence[QueueUsage]) -> list[Metric]:
        labels = ["queue", "cluster"]
        waiting = GaugeMetricFamily(
            "millstream_queue_waiting_jobs", "Jobs waiting for room in the queue.", labels=labels
        )
        oldest = GaugeMetricFamily(
            "millstream_queue_oldest_wait_seconds",
            "How long the longest-waiting job of the queue has waited (0: none waits).",
            labels=labels,
        )
        waiting_cu = GaugeMetricFamily(
            "millstream_queue_waiting_cu", "CUs asked by waiting jobs.", labels=labels
        )
        used_cu = GaugeMetricFamily(
            "millstream_queue_used_cu", "CUs held by admitted jobs.", labels=labels
        )
        capacity = GaugeMetricFamily(
            "millstream_queue_capacity_cu", "The queue's capacity in CUs.", labels=labels
        )
        now = self._clock()
        for usage in usages:
            key = [usage.queue.name, usage.queue.cluster]
            since = [job.enqueued_at for job in usage.waiting if job.enqueued_at is not None]
            waited = max(0.0, (now - min(since)).total_seconds()) if since else 0.0
            waiting.add_metric(key, float(len(usage.waiting)))
            oldest.add_metric(key, waited)
            waiting_cu.add_metric(key, usage.waiting_cu)
            used_cu.add_metric(key, usage.used_cu)
            capacity.add_metric(key, usage.queue.capacity_cu)
        return [waiting, oldest, waiting_cu, used_cu, capacity]


@dataclass(frozen=True, slots=True)
class JobMetricValue:
    """The latest sample of one metric of one job, with the names that label it."""

    workspace: str
    namespace: str
    deployment: str
    job_id: str
    name: str  # as stored by the sampler (``control.metric_catalog.SampledMetric.name``)
    value: float


@dataclass(frozen=True, slots=True)
class FlinkJobMetric:
    """How one sampled metric is exported: its Prometheus name, help and unit scale."""

    exported: str
    help: str
    scale: float = 1.0


# Sampled name (control.metric_catalog.SAMPLED_METRICS) -> exported gauge.
FLINK_JOB_METRICS: dict[str, FlinkJobMetric] = {
    "numberOfCompletedCheckpoints": FlinkJobMetric(
        "millstream_flink_job_completed_checkpoints", "Checkpoints completed by the job's run."
    ),
    "lastCheckpointDuration": FlinkJobMetric(
        "millstream_flink_job_last_checkpoint_duration_seconds",
        "Duration of the last completed checkpoint.",
        scale=0.001,  # Flink reports milliseconds
    ),
    "lastCheckpointSize": FlinkJobMetric(
        "millstream_flink_job_last_checkpoint_size_bytes", "Size of the last checkpoint."
    ),
    "numRestarts": FlinkJobMetric(
        "millstream_flink_job_restarts", "Restarts of the job's run inside Flink."
    ),
    "all.numRecordsInPerSecond.sum": FlinkJobMetric(
        "millstream_flink_job_records_in_per_second", "Records in per second, all vertices."
    ),
    "all.numRecordsOutPerSecond.sum": FlinkJobMetric(
        "millstream_flink_job_records_out_per_second", "Records out per second, all vertices."
    ),
    "sources.numRecordsOutPerSecond.sum": FlinkJobMetric(
        "millstream_flink_job_source_records_out_per_second",
        "Records the job's sources emit per second.",
    ),
    "sinks.numRecordsInPerSecond.sum": FlinkJobMetric(
        "millstream_flink_job_sink_records_in_per_second",
        "Records the job's sinks receive per second.",
    ),
    "all.Shuffle.Netty.Input.Buffers.inPoolUsage.max": FlinkJobMetric(
        "millstream_flink_job_input_pool_usage",
        "Highest input buffer pool usage over subtasks (0..1; backpressure).",
    ),
    "all.Shuffle.Netty.Output.Buffers.outPoolUsage.max": FlinkJobMetric(
        "millstream_flink_job_output_pool_usage",
        "Highest output buffer pool usage over subtasks (0..1; backpressure).",
    ),
}

_JOB_LABELS = ["workspace", "namespace", "deployment", "job"]


class FlinkJobCollector:
    def __init__(self, latest: Callable[[], Sequence[JobMetricValue]]) -> None:
        self._latest = latest

    def describe(self) -> Iterable[Metric]:
        return list(self._families(()).values())

    def collect(self) -> Iterable[Metric]:
        try:
            values = self._latest()
        except Exception as exc:  # a scrape must not fail because the store is down
            _log.warning("metrics: cannot read the latest Flink samples: %s", exc)
            return [*self._families(()).values(), _up("flink_jobs", False)]
        return [*self._families(values).values(), _up("flink_jobs", True)]

    @staticmethod
    def _families(values: Sequence[JobMetricValue]) -> dict[str, GaugeMetricFamily]:
        families = {
            name: GaugeMetricFamily(spec.exported, spec.help, labels=_JOB_LABELS)
            for name, spec in FLINK_JOB_METRICS.items()
        }
        for value in values:
            family = families.get(value.name)
            if family is None:
                continue  # a metric the sampler keeps but we do not export
            family.add_metric(
                [value.workspace, value.namespace, value.deployment, value.job_id],
                value.value * FLINK_JOB_METRICS[value.name].scale,
            )
        return families
