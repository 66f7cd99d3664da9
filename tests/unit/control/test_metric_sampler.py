"""``control.metric_sampler.MetricSampler``: one sample per RUNNING job and metric each
round, nothing read when nothing runs, unreachable clusters skipped, rounds never
overlapping, and the sweep at its own interval."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from millstream.control.metric_catalog import FlinkMetricReader
from millstream.control.metric_ports import MetricSample
from millstream.control.metric_sampler import MetricSampler
from millstream.domain.clusters import Cluster
from millstream.domain.jobs import Job, JobStatus
from tests.factories import make_cluster, make_job
from tests.fakes import InMemoryStore
from tests.unit.control.metric_fakes import FakeInspector, MemorySamples

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW
        self.seconds = 1000.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.seconds += seconds


class Setup:
    def __init__(self, **options: float) -> None:
        self.store = InMemoryStore()
        self.inspector = FakeInspector()
        self.samples = MemorySamples()
        self.clock = Clock()
        self.sampler = MetricSampler(
            self.store,
            self.samples,
            FlinkMetricReader(self.inspector),
            clock=self.clock,
            monotonic=self.clock.monotonic,
            **options,  # type: ignore[arg-type]
        )
        self.clusters: dict[str, Cluster] = {}

    def cluster(self, name: str) -> Cluster:
        if name not in self.clusters:
            cluster = make_cluster(name=name, rest_url=f"http://{name}")
            with self.store.transaction() as repos:
                repos.create_cluster(cluster=cluster)
            self.clusters[name] = cluster
        return self.clusters[name]

    def job(
        self, flink_id: str | None, *, status: JobStatus = JobStatus.RUNNING, cluster: str = "a"
    ) -> Job:
        self.cluster(cluster)
        job = make_job(status=status, flink_job_id=flink_id, cluster=cluster)
        with self.store.transaction() as repos:
            repos.create_job(job=job)
        if flink_id is not None:
            self.inspector.job_values[flink_id] = {"numRestarts": 1, "lastCheckpointSize": 4096}
            self.inspector.vertex_values[flink_id] = {("s1", "numRecordsOutPerSecond", "sum"): 9.0}
        return job


def test_a_round_writes_one_sample_per_running_job_and_metric() -> None:
    setup = Setup()
    first, second = setup.job("f1"), setup.job("f2")
    report = setup.sampler.run_iteration()
    assert (report.jobs, report.sampled, report.samples) == (2, 2, 8)
    by_job = {
        job.id: {(s.name, s.value, s.sampled_at) for s in setup.samples.rows if s.job_id == job.id}
        for job in (first, second)
    }
    expected = {
        ("numRestarts", 1.0, NOW),
        ("lastCheckpointSize", 4096.0, NOW),
        ("all.numRecordsOutPerSecond.sum", 9.0, NOW),
        ("sources.numRecordsOutPerSecond.sum", 9.0, NOW),
    }
    assert by_job == {first.id: expected, second.id: expected}
    setup.clock.advance(15)
    setup.sampler.run_iteration()
    assert len(setup.samples.rows) == 16
    assert max(s.sampled_at for s in setup.samples.rows) == NOW + timedelta(seconds=15)


def test_nothing_running_reads_nothing_from_flink() -> None:
    setup = Setup()
    setup.job(None, status=JobStatus.STARTING)
    setup.job("f9", status=JobStatus.CANCELLING)
    report = setup.sampler.run_iteration()
    assert (report.jobs, report.samples) == (0, 0)
    assert setup.inspector.gets == []
    assert setup.samples.rows == []


def test_an_unreachable_cluster_is_skipped_for_the_round_and_others_are_sampled() -> None:
    setup = Setup(max_concurrency=1)
    setup.job("f1", cluster="down")
    setup.job("f2", cluster="down")
    healthy = setup.job("f3", cluster="up")
    setup.inspector.down.add("http://down")
    report = setup.sampler.run_iteration()
    assert {s.job_id for s in setup.samples.rows} == {healthy.id}
    assert report.sampled == 1
    # one attempt at the down cluster, not one per job
    assert sum(url == "http://down" for url, _ in setup.inspector.gets) == 1


def test_a_job_flink_forgot_is_skipped() -> None:
    setup = Setup()
    gone = setup.job("f1")
    kept = setup.job("f2")
    del setup.inspector.job_values["f1"]
    setup.sampler.run_iteration()
    assert {s.job_id for s in setup.samples.rows} == {kept.id}
    assert gone.id not in {s.job_id for s in setup.samples.rows}


def test_sweep_runs_at_its_interval_with_retention_and_cap() -> None:
    setup = Setup(retention=3600, sweep_interval=300, max_samples_per_job=50)
    setup.job("f1")
    setup.sampler.run_iteration()
    assert setup.samples.deleted_before == [NOW - timedelta(hours=1)]
    assert setup.samples.trimmed_to == [50]
    setup.clock.advance(299)
    setup.sampler.run_iteration()
    assert len(setup.samples.deleted_before) == 1
    setup.clock.advance(1)
    setup.sampler.run_iteration()
    assert setup.samples.deleted_before[-1] == setup.clock.now - timedelta(hours=1)


def test_the_sweep_deletes_expired_samples_even_when_nothing_runs() -> None:
    setup = Setup(retention=60)
    setup.job("f1")
    setup.sampler.run_iteration()
    assert setup.samples.rows
    with setup.store.transaction() as repos:
        for job in repos.read_active_jobs():
            job.status = JobStatus.FINISHED
            repos.update_job(job=job)
    setup.clock.advance(600)
    report = setup.sampler.run_iteration()
    assert (report.jobs, report.swept) == (0, 4)
    assert setup.samples.rows == []


def test_a_round_still_running_makes_the_next_start_a_no_op() -> None:
    setup = Setup()
    setup.job("f1")
    gate = threading.Event()
    setup.inspector.gate = gate
    assert setup.sampler.start_round() is True
    assert setup.sampler.start_round() is False
    gate.set()
    setup.sampler.wait(10)
    assert len(setup.samples.rows) == 4
    assert setup.sampler.start_round() is True
    setup.sampler.wait(10)
    assert len(setup.samples.rows) == 8


def test_the_sweep_deletes_in_batches_until_nothing_expired_is_left() -> None:
    setup = Setup(retention=60)
    job = setup.job("f1")
    old = NOW - timedelta(hours=1)
    setup.samples.rows = [
        MetricSample(job.id, "numRestarts", 0.0, old + timedelta(microseconds=i))
        for i in range(5_001)
    ]
    assert setup.sampler.sweep() == 5_001
    assert len(setup.samples.deleted_before) == 2
    assert setup.samples.rows == []
