"""The metric history on SQLite and PostgreSQL: batch inserts, window reads, the
retention sweep and the per-job cap (``store.metric_samples``), samples going with
their job, and ``MetricHistoryService`` reading them through the real store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Scope
from millstream.control.metric_catalog import FlinkMetricReader, SampledMetric
from millstream.control.metric_ports import MetricSample
from millstream.control.services.metric_history import MetricHistoryService
from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import ErrorCode, InvalidInput, NotFound
from millstream.domain.jobs import Job, JobStatus
from millstream.store import SqlStore
from millstream.store.metric_samples import SqlMetricSampleStore
from tests.factories import NAMESPACE, WORKSPACE, make_deployment, make_job
from tests.unit.control.metric_fakes import FakeInspector

SCOPE = Scope(WORKSPACE, NAMESPACE)
T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def samples(store: SqlStore) -> Iterator[SqlMetricSampleStore]:
    sample_store = SqlMetricSampleStore(store.engine)
    yield sample_store
    sample_store.close()


def _job(store: SqlStore, **overrides: object) -> Job:
    deployment = make_deployment()
    job = make_job(deployment, **overrides)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    return job


def _series(job: Job, name: str, seconds: list[int], value: float = 1.0) -> list[MetricSample]:
    return [MetricSample(job.id, name, value + s, T0 + timedelta(seconds=s)) for s in seconds]


def test_samples_round_trip_inside_the_window_oldest_first(
    store: SqlStore, samples: SqlMetricSampleStore
) -> None:
    job, other = _job(store), _job(store)
    with samples.transaction() as repos:
        repos.create_metric_samples(
            samples=[
                *_series(job, "numRestarts", [30, 0, 15, 45]),
                *_series(job, "lastCheckpointSize", [15]),
                *_series(other, "numRestarts", [15]),
            ]
        )
    with samples.transaction() as repos:
        found = repos.read_metric_samples(
            job_id=job.id,
            names=["numRestarts"],
            start=T0 + timedelta(seconds=15),
            end=T0 + timedelta(seconds=45),
            limit=100,
        )
        assert [(s.name, s.value, s.sampled_at) for s in found] == [
            ("numRestarts", 16.0, T0 + timedelta(seconds=15)),
            ("numRestarts", 31.0, T0 + timedelta(seconds=30)),
            ("numRestarts", 46.0, T0 + timedelta(seconds=45)),
        ]
        both = repos.read_metric_samples(
            job_id=job.id,
            names=["numRestarts", "lastCheckpointSize"],
            start=T0,
            end=T0 + timedelta(hours=1),
            limit=2,
        )
        assert sorted((s.name, s.value) for s in both) == [
            ("lastCheckpointSize", 16.0),
            ("numRestarts", 1.0),
            ("numRestarts", 16.0),
        ]


def test_samples_of_a_deleted_job_are_dropped_and_deleting_a_job_deletes_its_samples(
    store: SqlStore, samples: SqlMetricSampleStore
) -> None:
    gone, kept = _job(store), _job(store)
    with store.transaction() as repos:
        repos.delete_job(job_id=gone.id)
    with samples.transaction() as repos:
        repos.create_metric_samples(
            samples=[*_series(gone, "numRestarts", [0]), *_series(kept, "numRestarts", [0, 15])]
        )
    with store.transaction() as repos:
        repos.delete_deployment(deployment_id=kept.deployment_id)
    with samples.transaction() as repos:
        for job in (gone, kept):
            assert (
                repos.read_metric_samples(
                    job_id=job.id, names=["numRestarts"], start=T0, end=T0 + timedelta(1), limit=9
                )
                == []
            )
        assert repos.delete_metric_samples(sampled_before=T0 + timedelta(days=1), limit=9) == 0


def test_the_sweep_deletes_expired_samples_and_trims_each_job_to_its_cap(
    store: SqlStore, samples: SqlMetricSampleStore
) -> None:
    busy, quiet = _job(store), _job(store)
    with samples.transaction() as repos:
        repos.create_metric_samples(
            samples=[
                *_series(busy, "a", list(range(0, 100, 10))),
                *_series(busy, "b", list(range(0, 100, 10))),
                *_series(quiet, "a", [50, 90]),
            ]
        )
    with samples.transaction() as repos:
        expired = T0 + timedelta(seconds=30)
        assert repos.delete_metric_samples(sampled_before=expired, limit=4) == 4
        assert repos.delete_metric_samples(sampled_before=expired, limit=100) == 2
        assert repos.trim_metric_samples(keep_per_job=4) == 10  # busy: 14 rows -> 4
    with samples.transaction() as repos:
        left = repos.read_metric_samples(
            job_id=busy.id, names=["a", "b"], start=T0, end=T0 + timedelta(hours=1), limit=99
        )
        assert sorted((s.name, (s.sampled_at - T0).seconds) for s in left) == [
            ("a", 80),
            ("a", 90),
            ("b", 80),
            ("b", 90),
        ]
        untouched = repos.read_metric_samples(
            job_id=quiet.id, names=["a"], start=T0, end=T0 + timedelta(hours=1), limit=99
        )
        assert len(untouched) == 2


def _service(
    store: SqlStore, samples: SqlMetricSampleStore, inspector: FakeInspector, **options: int
) -> MetricHistoryService:
    ensure_defaults(
        store,
        workspace=WORKSPACE,
        namespace=NAMESPACE,
        cluster_kind=ClusterKind.EXTERNAL,
        rest_url="http://fake-flink",
    )
    return MetricHistoryService(
        store,
        samples,
        FlinkMetricReader(inspector),
        clock=lambda: T0 + timedelta(minutes=5),
        **options,
    )


def test_the_service_answers_a_window_and_refuses_one_too_crowded(
    store: SqlStore, samples: SqlMetricSampleStore
) -> None:
    service = _service(store, samples, FakeInspector(), max_points=3)
    job = _job(store)
    metric = SampledMetric("numRestarts")
    with samples.transaction() as repos:
        repos.create_metric_samples(samples=_series(job, metric.name, [0, 15, 30, 45]))
    window = service.history(
        SCOPE, job.id, [metric], start=T0 + timedelta(seconds=10), end=T0 + timedelta(seconds=40)
    )
    base = int(T0.timestamp() * 1000)
    assert window == {metric.name: [(base + 15_000, 16.0), (base + 30_000, 31.0)]}
    with pytest.raises(InvalidInput, match="more than 3 samples of numRestarts"):
        service.history(SCOPE, job.id, [metric], start=None, end=None)
    with pytest.raises(InvalidInput, match="ends before"):
        service.history(SCOPE, job.id, [metric], start=T0, end=T0 - timedelta(seconds=1))
    with pytest.raises(NotFound):
        service.history(Scope(WORKSPACE, "other"), job.id, [metric], start=None, end=None)


def test_the_service_reads_current_values_of_running_jobs_only(
    store: SqlStore, samples: SqlMetricSampleStore
) -> None:
    inspector = FakeInspector()
    inspector.job_values["f1"] = {"numRestarts": 3}
    service = _service(store, samples, inspector)
    running = _job(store, status=JobStatus.RUNNING, flink_job_id="f1")
    metric = SampledMetric("numRestarts")
    assert service.current(SCOPE, running.id, [metric]) == {"numRestarts": 3.0}
    stopped = _job(store, status=JobStatus.CANCELLED, flink_job_id="f2")
    with pytest.raises(InvalidInput) as caught:
        service.current(SCOPE, stopped.id, [metric])
    assert caught.value.code is ErrorCode.JOB_NOT_RUNNING
