"""The reconciler's reads of live jobs by change (``control.reconciler_ports``).

``SqlJobHeadRepositories`` is a mixin of ``repositories.SqlRepositories``. Its reads use
Core rows, not ORM entities (10,000 jobs a tick at scale), and filter on the predicate
of the live-job index (migration 0002), so SQLite and PostgreSQL walk that index instead
of the whole jobs table, ended jobs included.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from millstream.control.reconciler_ports import JobHead
from millstream.domain.jobs import DesiredState, Job, JobStatus
from millstream.domain.observed import ObservedState
from millstream.store import mappers
from millstream.store.models import _LIVE_JOB, JobRow

__all__ = ["SqlJobHeadRepositories"]

# Bound parameters per IN list: below SQLite's oldest limit (999).
_CHUNK = 500
_LIVE = text(_LIVE_JOB)
_LIVE_VERSIONS = f"SELECT id, version FROM {JobRow.__tablename__} WHERE {_LIVE_JOB}"
_STATUS = {status.value: status for status in JobStatus}
_DESIRED = {desired.value: desired for desired in DesiredState}
_HEAD_COLUMNS = (
    JobRow.id,
    JobRow.version,
    JobRow.workspace,
    JobRow.cluster,
    JobRow.status,
    JobRow.desired,
    JobRow.flink_job_id,
    JobRow.observed_flink_status,
    JobRow.observed_modified_ms,
    JobRow.stop_savepoint_id,
    JobRow.status_reason,
    JobRow.queue,
    JobRow.admitted_at,
)


def _chunks(ids: Collection[str]) -> Iterator[list[str]]:
    items = list(ids)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _head(row: Sequence[Any]) -> JobHead:
    return JobHead(
        id=row[0],
        version=row[1],
        # thousands of jobs share a few workspaces and clusters: one string each
        workspace=sys.intern(row[2]),
        cluster=sys.intern(row[3]),
        status=_STATUS[row[4]],
        desired=_DESIRED[row[5]],
        flink_job_id=row[6],
        observed_state=ObservedState.parse(row[7]),
        observed_modified_ms=row[8],
        stop_savepoint_id=row[9],
        status_reason=row[10],
        queue=row[11],
        admitted=row[12] is not None,
    )


class SqlJobHeadRepositories:
    """Live-job reads on ``self._session`` (set by the class it is mixed into)."""

    _session: Session

    def read_live_job_versions(self) -> dict[str, int]:
        # Plain SQL: no statement compilation or result processing for 10,000 rows.
        rows = self._session.connection().exec_driver_sql(_LIVE_VERSIONS).fetchall()
        return {row[0]: row[1] for row in rows}

    def read_job_heads(self, *, job_ids: Collection[str] | None = None) -> list[JobHead]:
        query: Select[Any] = cast(
            "Select[Any]",
            select(*_HEAD_COLUMNS).where(_LIVE).order_by(JobRow.created_at, JobRow.id),
        )
        if job_ids is None:
            return [_head(row) for row in self._session.execute(query)]
        heads: list[JobHead] = []
        for chunk in _chunks(job_ids):
            heads.extend(
                _head(row) for row in self._session.execute(query.where(JobRow.id.in_(chunk)))
            )
        return heads

    def read_jobs_by_id(self, *, job_ids: Collection[str]) -> list[Job]:
        jobs: list[Job] = []
        for chunk in _chunks(job_ids):
            rows = self._session.scalars(select(JobRow).where(JobRow.id.in_(chunk)))
            jobs.extend(mappers.job_from_row(row) for row in rows)
        return jobs
