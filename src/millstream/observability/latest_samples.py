"""``SqlLatestSamples``: each running job's latest sample of each metric, for
``collectors.FlinkJobCollector``.

One query over ``metric_samples`` (written by ``control.metric_sampler``), limited to
samples newer than ``freshness`` seconds through the ``sampled_at`` index and joined to
the job for its labels; a job that stopped leaves the export. An adapter like those in
``store``: only ``composition.py`` builds it (the API layer never imports the store).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, func, select

from millstream.domain.jobs import JobStatus
from millstream.observability.collectors import JobMetricValue
from millstream.store.errors import translate_errors
from millstream.store.models import JobRow, MetricSampleRow

__all__ = ["SqlLatestSamples"]


class SqlLatestSamples:
    def __init__(
        self,
        engine: Engine,
        *,
        freshness: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._freshness = timedelta(seconds=freshness)
        self._clock = clock

    def __call__(self) -> list[JobMetricValue]:
        """The latest value of each (running job, metric) sampled within ``freshness``."""
        cutoff = self._clock() - self._freshness
        latest = (
            select(
                MetricSampleRow.job_id,
                MetricSampleRow.name,
                func.max(MetricSampleRow.sampled_at).label("at"),
            )
            .where(MetricSampleRow.sampled_at >= cutoff)
            .group_by(MetricSampleRow.job_id, MetricSampleRow.name)
            .subquery()
        )
        query = (
            select(
                JobRow.workspace,
                JobRow.namespace,
                JobRow.deployment_name,
                MetricSampleRow.job_id,
                MetricSampleRow.name,
                MetricSampleRow.value,
            )
            .join(
                latest,
                and_(
                    MetricSampleRow.job_id == latest.c.job_id,
                    MetricSampleRow.name == latest.c.name,
                    MetricSampleRow.sampled_at == latest.c.at,
                ),
            )
            .join(JobRow, JobRow.id == MetricSampleRow.job_id)
            .where(JobRow.status == JobStatus.RUNNING.value)
        )
        found: dict[tuple[str, str], JobMetricValue] = {}
        with translate_errors(), self._engine.connect() as connection:
            for row in connection.execute(query):
                # Two samples of one moment would repeat a series: keep one.
                found[(row.job_id, row.name)] = JobMetricValue(
                    workspace=row.workspace,
                    namespace=row.namespace,
                    deployment=row.deployment_name,
                    job_id=row.job_id,
                    name=row.name,
                    value=float(row.value),
                )
        return list(found.values())
