"""``SqlClusterRestartStore``: the ``ClusterRestartStore`` port of
``control.services.cluster_restarts`` over the ``cluster_restarts`` table
(``ClusterRestartRow``, migration 0015).

The app factory builds ``SqlClusterRestartStore(sql_store.engine)`` so it shares the main
store's connection pool.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from millstream.domain.cluster_restarts import OPEN_PHASES, ClusterRestart, ClusterRestartPhase
from millstream.domain.errors import NotFound
from millstream.domain.resources import ResourceSpec
from millstream.store.models import ClusterRestartRow
from millstream.store.store import SessionStore

__all__ = ["SqlClusterRestartRepositories", "SqlClusterRestartStore"]

_OPEN = sorted(phase.value for phase in OPEN_PHASES)


class SqlClusterRestartRepositories:
    """The ``ClusterRestartRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read_cluster_restart(self, *, restart_id: str) -> ClusterRestart | None:
        row = self._session.get(ClusterRestartRow, restart_id)
        return _restart(row) if row is not None else None

    def read_open_cluster_restarts(
        self, *, workspace: str | None = None, cluster: str | None = None
    ) -> list[ClusterRestart]:
        query = select(ClusterRestartRow).where(ClusterRestartRow.phase.in_(_OPEN))
        if workspace is not None:
            query = query.where(ClusterRestartRow.workspace == workspace)
        if cluster is not None:
            query = query.where(ClusterRestartRow.cluster == cluster)
        query = query.order_by(ClusterRestartRow.created_at, ClusterRestartRow.id)
        return [_restart(row) for row in self._session.scalars(query)]

    def create_cluster_restart(self, *, restart: ClusterRestart) -> None:
        self._session.add(ClusterRestartRow(**_values(restart)))
        self._session.flush()

    def update_cluster_restart(self, *, restart: ClusterRestart) -> None:
        row = self._session.get(ClusterRestartRow, restart.id)
        if row is None:
            raise NotFound(f"JobManager resize {restart.id!r} not found")
        for key, value in _values(restart).items():
            if key not in {"id", "created_at", "creator"}:
                setattr(row, key, value)
        self._session.flush()


def _values(restart: ClusterRestart) -> dict[str, Any]:
    return {
        "id": restart.id,
        "workspace": restart.workspace,
        "namespace": restart.namespace,
        "cluster": restart.cluster,
        "jobmanager": {"cpu": restart.jobmanager.cpu, "memory": restart.jobmanager.memory},
        "jobs": {"ids": list(restart.job_ids)},
        "phase": restart.phase.value,
        "message": restart.message,
        "failure_reason": restart.failure_reason,
        "previous_start": restart.previous_start,
        "request_id": restart.request_id,
        "creator": restart.creator,
        "created_at": restart.created_at,
        "modified_at": restart.modified_at,
    }


def _restart(row: ClusterRestartRow) -> ClusterRestart:
    jobmanager = row.jobmanager or {}
    return ClusterRestart(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        cluster=row.cluster,
        jobmanager=ResourceSpec(
            cpu=float(jobmanager.get("cpu", 1.0)), memory=str(jobmanager.get("memory", "1 GiB"))
        ),
        job_ids=[str(i) for i in (row.jobs or {}).get("ids", [])],
        phase=ClusterRestartPhase(row.phase),
        message=row.message,
        failure_reason=row.failure_reason,
        previous_start=row.previous_start,
        request_id=row.request_id,
        creator=row.creator,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


class SqlClusterRestartStore(SessionStore[SqlClusterRestartRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlClusterRestartRepositories, **engine_options)
