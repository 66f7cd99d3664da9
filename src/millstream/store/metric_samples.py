"""``SqlMetricSampleStore``: the ``MetricSampleStore`` port (``control.metric_ports``) over
the ``metric_samples`` table (``MetricSampleRow``, migration 0012).

The app factory builds ``SqlMetricSampleStore(sql_store.engine)`` so it shares the main
store's connection pool. Writes are one multi-row insert per sampling round; reads use
the ``(job_id, name, sampled_at)`` index, the retention sweep the ``sampled_at`` one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, delete, func, insert, select
from sqlalchemy.orm import Session

from millstream.control.metric_ports import MetricSample
from millstream.store.models import JobRow, MetricSampleRow
from millstream.store.store import SessionStore

__all__ = ["SqlMetricSampleRepositories", "SqlMetricSampleStore"]

# Bound parameters per IN list: well under SQLite's and PostgreSQL's limits.
_CHUNK = 500


class SqlMetricSampleRepositories:
    """The ``MetricSampleRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def create_metric_samples(self, *, samples: Sequence[MetricSample]) -> None:
        if not samples:
            return
        # A job deleted since it was sampled takes its samples with it (no FK failure).
        wanted = sorted({sample.job_id for sample in samples})
        existing: set[str] = set()
        for at in range(0, len(wanted), _CHUNK):
            chunk = wanted[at : at + _CHUNK]
            existing.update(self._session.scalars(select(JobRow.id).where(JobRow.id.in_(chunk))))
        rows: list[dict[str, Any]] = [
            {
                "job_id": sample.job_id,
                "name": sample.name,
                "value": sample.value,
                "sampled_at": sample.sampled_at,
            }
            for sample in samples
            if sample.job_id in existing
        ]
        if rows:
            # Core executemany: no ORM bookkeeping per row.
            self._session.execute(insert(cast(Table, MetricSampleRow.__table__)), rows)

    def read_metric_samples(
        self,
        *,
        job_id: str,
        names: Collection[str],
        start: datetime,
        end: datetime,
        limit: int,
    ) -> list[MetricSample]:
        found: list[MetricSample] = []
        for name in sorted(set(names)):
            query = (
                select(MetricSampleRow.value, MetricSampleRow.sampled_at)
                .where(
                    MetricSampleRow.job_id == job_id,
                    MetricSampleRow.name == name,
                    MetricSampleRow.sampled_at >= start,
                    MetricSampleRow.sampled_at <= end,
                )
                .order_by(MetricSampleRow.sampled_at)
                .limit(limit)
            )
            found.extend(
                MetricSample(job_id=job_id, name=name, value=value, sampled_at=at)
                for value, at in self._session.execute(query)
            )
        return found

    def delete_metric_samples(self, *, sampled_before: datetime, limit: int) -> int:
        # DELETE ... LIMIT is not portable: pick the oldest ``limit`` by the time index.
        oldest = (
            select(MetricSampleRow.seq)
            .where(MetricSampleRow.sampled_at < sampled_before)
            .order_by(MetricSampleRow.sampled_at)
            .limit(limit)
            .scalar_subquery()
        )
        result = self._session.execute(
            delete(MetricSampleRow).where(MetricSampleRow.seq.in_(oldest))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def trim_metric_samples(self, *, keep_per_job: int) -> int:
        over = self._session.execute(
            select(MetricSampleRow.job_id)
            .group_by(MetricSampleRow.job_id)
            .having(func.count() > keep_per_job)
        ).scalars()
        deleted = 0
        for job_id in list(over):
            # The first sample beyond the cap, newest first; it and everything as old go
            # (a round's samples share their moment, so a job may keep a round less).
            cutoff = self._session.scalar(
                select(MetricSampleRow.sampled_at)
                .where(MetricSampleRow.job_id == job_id)
                .order_by(MetricSampleRow.sampled_at.desc())
                .offset(keep_per_job)
                .limit(1)
            )
            if cutoff is None:
                continue
            result = self._session.execute(
                delete(MetricSampleRow).where(
                    MetricSampleRow.job_id == job_id, MetricSampleRow.sampled_at <= cutoff
                )
            )
            deleted += int(getattr(result, "rowcount", 0) or 0)
        return deleted


class SqlMetricSampleStore(SessionStore[SqlMetricSampleRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlMetricSampleRepositories, **engine_options)
