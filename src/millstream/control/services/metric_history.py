"""Metric history use cases: a job's sampled Flink metrics over a time window, and its
current values.

``history`` answers the samples ``control.metric_sampler`` stored (``MetricSampleStore``);
``current`` reads Flink now through ``control.metric_catalog.FlinkMetricReader`` (one
batch of GETs for every metric asked). Both check the job belongs to the caller's
scope. Called by foas' ``GetInstanceMetric``; a dialect maps its metric names to
``SampledMetric`` and downsamples with ``domain.metric_series``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

from millstream.control.context import Scope
from millstream.control.metric_catalog import FlinkMetricReader, SampledMetric
from millstream.control.metric_ports import MetricSampleStore
from millstream.control.ports import Store
from millstream.control.services.common import resolve_cluster
from millstream.control.services.jobs import JobService
from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.domain.jobs import Job, JobStatus
from millstream.domain.metric_series import Point

__all__ = ["MetricHistoryService"]


class MetricHistoryService:
    def __init__(
        self,
        store: Store,
        samples: MetricSampleStore,
        reader: FlinkMetricReader,
        *,
        max_points: int = 20_000,
        retention: float = 86_400.0,
        live_window: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._samples = samples
        self._reader = reader
        self._max_points = max_points
        self._retention = timedelta(seconds=retention)
        self._live_window = timedelta(seconds=live_window)
        self._clock = clock

    @property
    def live_window(self) -> timedelta:
        """A window ending at most this long ago also gets the current value."""
        return self._live_window

    @property
    def retention(self) -> timedelta:
        """How far back samples are kept."""
        return self._retention

    def history(
        self,
        scope: Scope,
        job_id: str,
        metrics: Collection[SampledMetric],
        *,
        start: datetime | None,
        end: datetime | None,
    ) -> dict[str, list[Point]]:
        """Each metric's stored samples (epoch ms, value; oldest first) with
        ``start <= sampled_at <= end``; no start: the retention period, no end: now.
        ``InvalidInput`` when a metric has more than ``max_points`` samples there."""
        with self._store.transaction() as repos:
            JobService.read(repos, scope, job_id)
        now = self._clock()
        end = end or now
        start = start or (now - self._retention)
        if end < start:
            raise InvalidInput("the metric window ends before it starts")
        names = {metric.name for metric in metrics}
        with self._samples.transaction() as repos:
            found = repos.read_metric_samples(
                job_id=job_id, names=names, start=start, end=end, limit=self._max_points + 1
            )
        series: dict[str, list[Point]] = {name: [] for name in names}
        for sample in found:
            series[sample.name].append((_ms(sample.sampled_at), sample.value))
        crowded = sorted(name for name, points in series.items() if len(points) > self._max_points)
        if crowded:
            raise InvalidInput(
                f"the window holds more than {self._max_points} samples of "
                f"{', '.join(crowded)}; ask a shorter window"
            )
        return series

    def current(
        self, scope: Scope, job_id: str, metrics: Collection[SampledMetric]
    ) -> dict[str, float]:
        """Flink's values now, by ``SampledMetric.name`` (those Flink has none for are
        left out); the job must be RUNNING."""
        with self._store.transaction() as repos:
            job = JobService.read(repos, scope, job_id)
            _require_running(job)
            cluster = resolve_cluster(repos, scope, job.cluster)
        assert job.flink_job_id is not None  # checked by _require_running
        return self._reader.read(cluster, job.flink_job_id, metrics)


def _require_running(job: Job) -> None:
    if job.status is not JobStatus.RUNNING or job.flink_job_id is None:
        raise InvalidInput(
            f"job {job.id} is {job.status.value}: Flink reports on running jobs only",
            code=ErrorCode.JOB_NOT_RUNNING,
        )


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
