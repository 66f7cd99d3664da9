"""Job insights use cases: a job's graph, vertex metrics, checkpoints, exceptions,
configuration and its cluster's TaskManagers from Flink, its kept metric series, and
the ``top`` of a namespace's running jobs.

Called by the native API (``api.native.job_insights``), the console's job page and,
through the native API, ``millstream top``. Each read checks the job belongs to the
caller's namespace (as the diagnosis service does), then asks Flink through the
``JobInsightSource`` port (the read-only proxy path). A job Flink has no live data for
(it ended, was never submitted, its cluster does not answer) is not an error: the answer
says so (``Insight.live`` False, ``note``) and carries what Millstream kept: the job's
recorded failure, the configuration it submitted, the sampled metric series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import UTC, datetime
from typing import TypeVar

from millstream.control.context import Scope
from millstream.control.insight_ports import JobInsightSource
from millstream.control.metric_catalog import ALL, SINKS, SOURCES, SampledMetric
from millstream.control.ports import Store
from millstream.control.services.common import require_namespace, resolve_cluster
from millstream.control.services.jobs import JobService
from millstream.control.services.metric_history import MetricHistoryService
from millstream.domain.clusters import Cluster
from millstream.domain.errors import EngineUnavailable, InvalidInput, MillstreamError, NotFound
from millstream.domain.job_insights import (
    CheckpointSummary,
    ConfigSource,
    ExceptionHistory,
    ExceptionRecord,
    Insight,
    InsightMetric,
    JobConfiguration,
    JobGraph,
    JobLoad,
    MetricSeries,
    TaskManagers,
    VertexMetrics,
    busiest,
    overlay,
)
from millstream.domain.jobs import Job, JobStatus
from millstream.domain.metric_series import Aggregate, downsample

__all__ = ["METRIC_SOURCES", "JobInsightsService"]

T = TypeVar("T")

MAX_EXCEPTIONS = 200

# Which sampled series each kept metric is (``control.metric_catalog.SAMPLED_METRICS``).
METRIC_SOURCES: dict[InsightMetric, SampledMetric] = {
    InsightMetric.RECORDS_IN: SampledMetric("numRecordsOutPerSecond", SOURCES),
    InsightMetric.RECORDS_OUT: SampledMetric("numRecordsInPerSecond", SINKS),
    InsightMetric.CHECKPOINT_DURATION: SampledMetric("lastCheckpointDuration"),
    InsightMetric.CHECKPOINT_SIZE: SampledMetric("lastCheckpointSize"),
    InsightMetric.COMPLETED_CHECKPOINTS: SampledMetric("numberOfCompletedCheckpoints"),
    InsightMetric.RESTARTS: SampledMetric("numRestarts"),
    InsightMetric.BACKPRESSURE: SampledMetric("backPressuredTimeMsPerSecond", ALL, "max"),
    InsightMetric.BUSY: SampledMetric("busyTimeMsPerSecond", ALL, "max"),
}

# Summed over a bucket would be meaningless for every series kept: each is a rate, a
# last value or a counter, so a coarser step averages.
_STEP_AGGREGATE = Aggregate.AVG


class JobInsightsService:
    def __init__(
        self,
        store: Store,
        source: JobInsightSource,
        history: MetricHistoryService | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._source = source
        self._history = history
        self._clock = clock

    # ------------------------------------------------------------------ live reads

    def graph(self, scope: Scope, job_id: str) -> Insight[JobGraph]:
        """The job graph with each vertex's busy and backpressure ratios."""
        return self._ask(scope, job_id, lambda c, f: self._source.graph(c, f))

    def vertices(self, scope: Scope, job_id: str) -> Insight[tuple[VertexMetrics, ...]]:
        """Each vertex's records/bytes per second, time use and input watermark."""
        return self._ask(scope, job_id, lambda c, f: self._source.vertex_metrics(c, f))

    def graph_and_vertices(
        self, scope: Scope, job_id: str
    ) -> Insight[tuple[JobGraph, tuple[VertexMetrics, ...]]]:
        """``graph`` and ``vertices`` in one read of Flink (what a live page shows)."""
        return self._ask(scope, job_id, lambda c, f: self._source.graph_and_vertices(c, f))

    def checkpoints(self, scope: Scope, job_id: str) -> Insight[CheckpointSummary]:
        """Checkpoint counts, durations, sizes, the last ones and the recent history."""
        return self._ask(scope, job_id, lambda c, f: self._source.checkpoints(c, f))

    def exceptions(
        self, scope: Scope, job_id: str, *, limit: int = 50
    ) -> Insight[ExceptionHistory]:
        """Every failure Flink keeps (newest first); when Flink has none live, the
        failure Millstream recorded."""
        if not 1 <= limit <= MAX_EXCEPTIONS:
            raise InvalidInput(f"limit must be between 1 and {MAX_EXCEPTIONS}, not {limit}")
        return self._ask(
            scope,
            job_id,
            lambda c, f: self._source.exceptions(c, f, limit=limit),
            kept=_recorded_failure,
        )

    def configuration(self, scope: Scope, job_id: str) -> Insight[JobConfiguration]:
        """The effective configuration: what the job was submitted with over the
        cluster's; when Flink has no live data, what Millstream submitted."""
        job = self._job(scope, job_id)
        return self._ask(
            scope,
            job_id,
            lambda c, f: overlay(
                self._source.configuration(c, f), job.flink_conf, ConfigSource.JOB
            ),
            kept=lambda kept: overlay(JobConfiguration(), kept.flink_conf, ConfigSource.DEPLOYMENT),
            job=job,
        )

    def taskmanagers(self, scope: Scope, job_id: str) -> Insight[TaskManagers]:
        """The TaskManagers and slots of the job's cluster with CPU and memory use."""
        job = self._job(scope, job_id)
        cluster = self._cluster(scope, job)
        if cluster is None:
            return _dead(job, None, f"the job's cluster {job.cluster!r} is no longer registered")
        try:
            return _alive(job, self._source.taskmanagers(cluster))
        except EngineUnavailable as exc:
            return _dead(job, None, f"cluster {cluster.name!r} does not answer: {exc}")

    # ------------------------------------------------------------------ kept series

    def metric_history(
        self,
        scope: Scope,
        job_id: str,
        metric: InsightMetric,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        step_seconds: int | None = None,
    ) -> MetricSeries:
        """The samples Millstream kept of one metric (they outlive the job, for the
        ``metrics.retention`` period), optionally averaged per ``step_seconds``."""
        if self._history is None:
            raise NotFound("the metric history is not enabled on this server")
        if step_seconds is not None and not 1 <= step_seconds <= 86_400:
            raise InvalidInput("step must be between 1 and 86400 seconds")
        sampled = METRIC_SOURCES[metric]
        series = self._history.history(scope, job_id, [sampled], start=start, end=end)
        points = series.get(sampled.name, [])
        if step_seconds is not None:
            points = downsample(points, bucket_ms=step_seconds * 1000, how=_STEP_AGGREGATE)
        return MetricSeries(
            job_id=job_id, metric=metric, points=tuple(points), start=start, end=end
        )

    # ------------------------------------------------------------------ top

    def load(self, scope: Scope, job_id: str) -> JobLoad:
        """One job's throughput, pressure and restarts (a ``top`` row)."""
        return self._load(scope, self._job(scope, job_id))

    def top(self, scope: Scope) -> list[JobLoad]:
        """Every RUNNING job of the namespace, busiest back-pressure first."""
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            jobs = [
                job
                for job in repos.read_active_jobs()
                if (job.workspace, job.namespace) == (scope.workspace, scope.namespace)
                and job.status is JobStatus.RUNNING
            ]
        loads = [self._load(scope, job) for job in jobs]
        return sorted(
            loads, key=lambda row: (-(row.backpressure_ratio or 0.0), row.deployment_name)
        )

    # ------------------------------------------------------------------ helpers

    def _load(self, scope: Scope, job: Job) -> JobLoad:
        answer = self._ask(scope, job.id, lambda c, f: self._source.vertex_metrics(c, f), job=job)
        restarts = job.observed.restarts
        vertices = answer.data or ()
        if answer.live:
            cluster = self._cluster(scope, job)
            if cluster is not None and job.flink_job_id is not None:
                with suppress(MillstreamError):  # the restarts column stays as observed
                    restarts = self._source.restarts(cluster, job.flink_job_id)
        hottest = busiest(vertices)
        pressures = [
            v.backpressured_ms_per_second
            for v in vertices
            if v.backpressured_ms_per_second is not None
        ]
        return JobLoad(
            job_id=job.id,
            deployment_id=job.deployment_id,
            deployment_name=job.deployment_name,
            namespace=job.namespace,
            status=job.status.value,
            live=answer.live,
            records_in_per_second=_total(
                _first(v.source_records_per_second, v.records_out_per_second)
                for v in vertices
                if v.is_source
            ),
            records_out_per_second=_total(
                _first(v.sink_records_per_second, v.records_in_per_second)
                for v in vertices
                if v.is_sink
            ),
            backpressure_ratio=min(1.0, max(pressures) / 1000.0) if pressures else None,
            busiest_vertex=hottest.name if hottest else None,
            busy_ratio=(
                min(1.0, (hottest.busy_ms_per_second or 0.0) / 1000.0) if hottest else None
            ),
            restarts=restarts,
            note=answer.note,
        )

    def _job(self, scope: Scope, job_id: str) -> Job:
        with self._store.transaction() as repos:
            return JobService.read(repos, scope, job_id)

    def _cluster(self, scope: Scope, job: Job) -> Cluster | None:
        with self._store.transaction() as repos:
            try:
                return resolve_cluster(repos, scope, job.cluster)
            except (InvalidInput, NotFound):
                return None

    def _ask(
        self,
        scope: Scope,
        job_id: str,
        read: Callable[[Cluster, str], T],
        *,
        kept: Callable[[Job], T | None] | None = None,
        job: Job | None = None,
    ) -> Insight[T]:
        """Flink's answer about the job, or what is kept and why Flink has none."""
        job = job or self._job(scope, job_id)
        fallback = kept(job) if kept is not None else None
        if job.flink_job_id is None:
            return _dead(job, fallback, f"the job has not been submitted to Flink ({job.status})")
        cluster = self._cluster(scope, job)
        if cluster is None:
            return _dead(
                job, fallback, f"the job's cluster {job.cluster!r} is no longer registered"
            )
        try:
            data = read(cluster, job.flink_job_id)
        except EngineUnavailable as exc:
            return _dead(job, fallback, f"cluster {cluster.name!r} does not answer: {exc}")
        except NotFound:
            return _dead(
                job,
                fallback,
                f"Flink no longer has live data for this job ({job.status}); "
                "what Millstream kept is shown",
            )
        if job.is_terminal or job.status is JobStatus.SUSPENDED:
            # Flink still remembers the ended run for a while: its last state, not live.
            return _dead(
                job,
                data,
                f"the job is {job.status}: Flink no longer has live data for it; "
                "its last state is shown",
            )
        return _alive(job, data)


def _alive(job: Job, data: T) -> Insight[T]:
    return Insight(
        job_id=job.id,
        deployment_id=job.deployment_id,
        job_status=job.status.value,
        live=True,
        data=data,
    )


def _dead(job: Job, data: T | None, note: str) -> Insight[T]:
    return Insight(
        job_id=job.id,
        deployment_id=job.deployment_id,
        job_status=job.status.value,
        live=False,
        data=data,
        note=note,
    )


def _recorded_failure(job: Job) -> ExceptionHistory:
    if job.failure is None:
        return ExceptionHistory()
    name, _, message = job.failure.message.partition(": ")
    if " " in name or not message:
        name, message = job.failure.reason or "failure", job.failure.message
    return ExceptionHistory(
        entries=(
            ExceptionRecord(
                at=job.failure.failed_at, name=name, message=message, stacktrace=job.failure.message
            ),
        )
    )


def _first(*values: float | None) -> float | None:
    """The first known value: an operator's own count beats the task's, which is zero
    for a source and a sink chained into one vertex."""
    return next((v for v in values if v is not None), None)


def _total(values: Iterable[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return float(sum(found)) if found else None
