"""Scrape-time collectors: heartbeat, queue waits, jobs' latest Flink samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector

from millstream.control.daemon import Heartbeat
from millstream.control.metric_catalog import SAMPLED_METRICS
from millstream.control.reconciler import TickReport
from millstream.control.services.queues import QueuedJob, QueueUsage
from millstream.observability import (
    FLINK_JOB_METRICS,
    FlinkJobCollector,
    HeartbeatCollector,
    JobMetricValue,
    QueueCollector,
)
from tests.factories import make_queue

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _registry(*collectors: Collector) -> CollectorRegistry:
    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    return registry


def _waiting(job_id: str, waited: float) -> QueuedJob:
    return QueuedJob(
        job_id=job_id,
        workspace="ws",
        namespace="ns",
        deployment_id="d",
        deployment_name="dep",
        status="STARTING",
        priority=0,
        cost_cu=1.0,
        enqueued_at=NOW - timedelta(seconds=waited),
        admitted_at=None,
    )


def test_queue_collector_reports_waiting_jobs_and_longest_wait() -> None:
    usage = QueueUsage(
        queue=make_queue(name="etl", cluster="c1", capacity_cu=8.0),
        used_cu=3.0,
        waiting_cu=2.0,
        free_cu=5.0,
        waiting=(_waiting("a", 30.0), _waiting("b", 90.0)),
    )
    registry = _registry(QueueCollector(lambda: [usage], clock=lambda: NOW))
    labels = {"queue": "etl", "cluster": "c1"}
    assert registry.get_sample_value("millstream_queue_waiting_jobs", labels) == 2
    assert registry.get_sample_value("millstream_queue_oldest_wait_seconds", labels) == 90
    assert registry.get_sample_value("millstream_queue_capacity_cu", labels) == 8
    assert registry.get_sample_value("millstream_collector_up", {"collector": "queues"}) == 1


def test_a_failing_read_reports_collector_down_instead_of_failing_the_scrape() -> None:
    def broken() -> list[QueueUsage]:
        raise ConnectionError("database down")

    registry = _registry(QueueCollector(broken), FlinkJobCollector(broken))  # type: ignore[arg-type]
    assert registry.get_sample_value("millstream_collector_up", {"collector": "queues"}) == 0
    assert registry.get_sample_value("millstream_collector_up", {"collector": "flink_jobs"}) == 0


def test_flink_job_values_are_labelled_and_scaled() -> None:
    values = [
        JobMetricValue("ws", "ns", "orders", "j1", "all.numRecordsInPerSecond.sum", 120.0),
        JobMetricValue("ws", "ns", "orders", "j1", "lastCheckpointDuration", 1500.0),
        JobMetricValue("ws", "ns", "orders", "j1", "notExported", 1.0),
    ]
    registry = _registry(FlinkJobCollector(lambda: values))
    labels = {"workspace": "ws", "namespace": "ns", "deployment": "orders", "job": "j1"}
    assert registry.get_sample_value("millstream_flink_job_records_in_per_second", labels) == 120
    duration = "millstream_flink_job_last_checkpoint_duration_seconds"
    assert registry.get_sample_value(duration, labels) == 1.5
    names = {family.name for family in registry.collect()}
    assert not any("notExported" in name for name in names)


def test_every_exported_flink_metric_is_one_the_sampler_keeps() -> None:
    assert set(FLINK_JOB_METRICS) <= {metric.name for metric in SAMPLED_METRICS}


def test_heartbeat_collector_shows_leadership_and_last_tick() -> None:
    beat = Heartbeat(leader=True, last_tick_at=1_700_000_000.0, last_report=TickReport(jobs=4))
    registry = _registry(HeartbeatCollector(lambda: beat))
    assert registry.get_sample_value("millstream_reconciler_leader") == 1
    assert registry.get_sample_value("millstream_reconciler_jobs") == 4
    stamp = registry.get_sample_value("millstream_reconciler_last_tick_timestamp_seconds")
    assert stamp == 1_700_000_000.0
    beat.last_error = "RuntimeError: boom"
    assert registry.get_sample_value("millstream_reconciler_last_tick_failed") == 1
