"""JobInsightsService: scope checks, live answers from Flink, what is kept when Flink has
no live data (never an error), the kept metric series and the ``top`` rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from millstream.control.context import Scope
from millstream.control.metric_catalog import FlinkMetricReader
from millstream.control.metric_ports import MetricSample
from millstream.control.services.job_insights import METRIC_SOURCES, JobInsightsService
from millstream.control.services.metric_history import MetricHistoryService
from millstream.domain.errors import InvalidInput, NotFound
from millstream.domain.job_insights import (
    CheckpointSummary,
    ConfigSource,
    InsightMetric,
    VertexMetrics,
)
from millstream.domain.jobs import Failure, Job, JobStatus
from tests.factories import NAMESPACE, WORKSPACE, make_cluster, make_job, make_namespace
from tests.fakes import InMemoryStore
from tests.insight_fakes import FakeSource
from tests.unit.control.metric_fakes import FakeInspector, MemorySamples

SCOPE = Scope(WORKSPACE, NAMESPACE)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store() -> InMemoryStore:
    store = InMemoryStore()
    with store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace())
        repos.create_cluster(cluster=make_cluster(name="default"))
    return store


def _job(store: InMemoryStore, **overrides: Any) -> Job:
    job = make_job(**overrides)
    with store.transaction() as repos:
        repos.create_job(job=job)
    return job


def _service(
    store: InMemoryStore, source: FakeSource, samples: MemorySamples | None = None
) -> JobInsightsService:
    history = MetricHistoryService(
        store, samples or MemorySamples(), FlinkMetricReader(FakeInspector()), clock=lambda: NOW
    )
    return JobInsightsService(store, source, history, clock=lambda: NOW)


def test_a_running_job_answers_live(store: InMemoryStore) -> None:
    source = FakeSource()
    job = _job(store, status=JobStatus.RUNNING, flink_job_id="f1")
    source.known.add("f1")
    found = _service(store, source).checkpoints(SCOPE, job.id)
    assert found.live
    assert found.note is None
    assert found.data == CheckpointSummary(completed=3)
    assert (found.job_id, found.deployment_id, found.job_status) == (
        job.id,
        job.deployment_id,
        "RUNNING",
    )


def test_a_job_of_another_namespace_is_not_found(store: InMemoryStore) -> None:
    job = _job(store, status=JobStatus.RUNNING, flink_job_id="f1")
    with pytest.raises(NotFound):
        _service(store, FakeSource()).graph(Scope(WORKSPACE, "other"), job.id)
    with pytest.raises(NotFound):
        _service(store, FakeSource()).graph(SCOPE, "no-such-job")


def test_an_ended_job_says_flink_has_no_live_data_and_keeps_its_failure(
    store: InMemoryStore,
) -> None:
    failure = Failure("java.lang.ArithmeticException: / by zero", "JOB_FAILED", NOW)
    job = _job(store, status=JobStatus.FAILED, flink_job_id="gone", failure=failure)
    found = _service(store, FakeSource()).exceptions(SCOPE, job.id)
    assert not found.live
    assert found.note is not None
    assert "no longer has live data" in found.note
    assert found.data is not None
    (entry,) = found.data.entries
    assert (entry.name, entry.message, entry.at) == (
        "java.lang.ArithmeticException",
        "/ by zero",
        NOW,
    )


def test_a_job_never_submitted_and_an_unreachable_cluster_are_not_errors(
    store: InMemoryStore,
) -> None:
    source = FakeSource()
    waiting = _job(store, status=JobStatus.STARTING)
    found = _service(store, source).graph(SCOPE, waiting.id)
    assert not found.live
    assert found.data is None
    assert found.note is not None
    assert "not been submitted" in found.note
    assert source.calls == []
    running = _job(store, status=JobStatus.RUNNING, flink_job_id="f1")
    source.known.add("f1")
    source.down = True
    found_down = _service(store, source).vertices(SCOPE, running.id)
    assert not found_down.live
    assert found_down.note is not None
    assert "does not answer" in found_down.note
    assert not _service(store, source).taskmanagers(SCOPE, running.id).live


def test_configuration_lays_the_submitted_entries_over_the_clusters(
    store: InMemoryStore,
) -> None:
    source = FakeSource()
    conf = {"execution.checkpointing.interval": "1s", "pipeline.object-reuse": True}
    job = _job(store, status=JobStatus.RUNNING, flink_job_id="f1", flink_conf=conf)
    source.known.add("f1")
    config = _service(store, source).configuration(SCOPE, job.id).data
    assert config is not None
    assert config.get("execution.checkpointing.interval") == "1s"
    assert config.get("pipeline.object-reuse") == "true"
    assert config.get("parallelism.default") == "1"
    sources = {e.key: e.source for e in config.entries}
    assert sources["execution.checkpointing.interval"] is ConfigSource.JOB
    assert sources["parallelism.default"] is ConfigSource.CLUSTER
    ended = _job(store, status=JobStatus.CANCELLED, flink_job_id="gone", flink_conf=conf)
    kept = _service(store, source).configuration(SCOPE, ended.id)
    assert not kept.live
    assert kept.data is not None
    assert {e.source for e in kept.data.entries} == {ConfigSource.DEPLOYMENT}
    assert kept.data.get("execution.checkpointing.interval") == "1s"


def test_exceptions_limit_is_validated(store: InMemoryStore) -> None:
    job = _job(store, status=JobStatus.RUNNING, flink_job_id="f1")
    with pytest.raises(InvalidInput):
        _service(store, FakeSource()).exceptions(SCOPE, job.id, limit=0)


def test_metric_history_reads_kept_samples_after_the_job_ended(store: InMemoryStore) -> None:
    samples = MemorySamples()
    job = _job(store, status=JobStatus.CANCELLED, flink_job_id="gone")
    name = METRIC_SOURCES[InsightMetric.RECORDS_IN].name
    samples.rows = [
        MetricSample(job.id, name, float(i), NOW - timedelta(seconds=60 - 15 * i)) for i in range(4)
    ] + [MetricSample(job.id, "numRestarts", 9.0, NOW)]
    service = _service(store, FakeSource(), samples)
    series = service.metric_history(SCOPE, job.id, InsightMetric.RECORDS_IN)
    assert [value for _, value in series.points] == [0.0, 1.0, 2.0, 3.0]
    assert series.points[0][0] < series.points[-1][0]
    coarse = service.metric_history(SCOPE, job.id, InsightMetric.RECORDS_IN, step_seconds=3600)
    assert len(coarse.points) == 1
    assert coarse.points[0][1] == 1.5
    with pytest.raises(InvalidInput):
        service.metric_history(
            SCOPE, job.id, InsightMetric.RECORDS_IN, start=NOW, end=NOW - timedelta(1)
        )
    with pytest.raises(InvalidInput):
        service.metric_history(SCOPE, job.id, InsightMetric.RECORDS_IN, step_seconds=0)


def test_every_kept_metric_is_sampled() -> None:
    from millstream.control.metric_catalog import SAMPLED_METRICS

    assert set(METRIC_SOURCES) == set(InsightMetric)
    assert {m.name for m in METRIC_SOURCES.values()} <= {m.name for m in SAMPLED_METRICS}


def test_top_lists_the_namespaces_running_jobs_with_throughput_and_pressure(
    store: InMemoryStore,
) -> None:
    source = FakeSource()
    running = _job(store, status=JobStatus.RUNNING, flink_job_id="f1")
    _job(store, status=JobStatus.RUNNING, flink_job_id="f2", namespace="other")
    _job(store, status=JobStatus.CANCELLED, flink_job_id="f3")
    source.known.update({"f1", "f2", "f3"})
    (row,) = _service(store, source).top(SCOPE)
    assert row.job_id == running.id
    assert row.live
    assert row.records_in_per_second == 100.0  # what the sources emit
    assert row.records_out_per_second == 90.0  # what the sinks take
    assert row.backpressure_ratio == 0.3
    assert row.busiest_vertex == "snk: Writer"
    assert row.busy_ratio == 0.7
    assert row.restarts == 2


def test_top_row_of_a_job_flink_forgot_is_not_live(store: InMemoryStore) -> None:
    job = _job(store, status=JobStatus.RUNNING, flink_job_id="lost")
    row = _service(store, FakeSource()).load(SCOPE, job.id)
    assert not row.live
    assert row.records_in_per_second is None
    assert row.note


def test_an_ended_job_flink_still_remembers_shows_its_last_state_not_live(
    store: InMemoryStore,
) -> None:
    source = FakeSource()
    job = _job(store, status=JobStatus.CANCELLED, flink_job_id="f9")
    source.known.add("f9")
    found = _service(store, source).checkpoints(SCOPE, job.id)
    assert not found.live
    assert found.data == CheckpointSummary(completed=3)
    assert found.note is not None
    assert "no longer has live data" in found.note


def test_sensitive_values_are_hidden_and_an_ended_runs_configuration_keeps_the_job_entries(
    store: InMemoryStore,
) -> None:
    source = FakeSource()
    conf = {"s3.secret-key": "hunter2", "execution.checkpointing.interval": "1s"}
    job = _job(store, status=JobStatus.FINISHED, flink_job_id="f5", flink_conf=conf)
    source.known.add("f5")
    found = _service(store, source).configuration(SCOPE, job.id)
    assert not found.live
    assert found.data is not None
    assert found.data.get("s3.secret-key") == "******"
    assert found.data.get("execution.checkpointing.interval") == "1s"
    assert found.data.get("parallelism.default") == "1"  # Flink's last answer, overlaid


def test_top_counts_a_source_and_sink_chained_into_one_vertex(
    store: InMemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = FakeSource()
    job = _job(store, status=JobStatus.RUNNING, flink_job_id="f1")
    source.known.add("f1")
    chained = VertexMetrics(
        "v", "Source: src -> snk: Writer", 1, records_in_per_second=0.0,
        records_out_per_second=0.0, is_source=True, is_sink=True,
        source_records_per_second=40.0, sink_records_per_second=39.0,
    )  # fmt: skip
    monkeypatch.setattr(source, "vertex_metrics", lambda *_: (chained,))
    row = _service(store, source).load(SCOPE, job.id)
    assert row.records_in_per_second == 40.0
    assert row.records_out_per_second == 39.0


def test_graph_and_vertices_answer_together_and_both_say_when_flink_has_none(
    store: InMemoryStore,
) -> None:
    source = FakeSource()
    job = _job(store, status=JobStatus.RUNNING, flink_job_id="f1")
    source.known.add("f1")
    both = _service(store, source).graph_and_vertices(SCOPE, job.id)
    assert both.live
    assert both.data is not None
    graph, vertices = both.data
    assert graph == _service(store, source).graph(SCOPE, job.id).data
    assert vertices == _service(store, source).vertices(SCOPE, job.id).data
    source.down = True
    unreachable = _service(store, source).graph_and_vertices(SCOPE, job.id)
    assert (unreachable.live, unreachable.data) == (False, None)
    assert unreachable.note is not None
