"""``SqlHotUpdateStore``: the ``HotUpdateStore`` port of ``control.services.hot_updates``
over the ``hot_updates`` table (``HotUpdateRow``, migration 0006).

The app factory builds ``SqlHotUpdateStore(sql_store.engine)`` so it shares the main
store's connection pool. Importing this module registers ``HotUpdateRow`` on ``Base``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from millstream.domain.errors import ErrorCode, NotFound
from millstream.domain.hot_updates import (
    HotUpdate,
    HotUpdateChange,
    HotUpdateFailure,
    HotUpdatePhase,
)
from millstream.store.models import Base
from millstream.store.store import SessionStore

__all__ = ["HotUpdateRow", "SqlHotUpdateRepositories", "SqlHotUpdateStore"]

_ID = String(64)
_NAME = String(128)
_OPEN = (
    HotUpdatePhase.REQUESTED.value,
    HotUpdatePhase.STOPPING.value,
    HotUpdatePhase.STARTING.value,
)


class HotUpdateRow(Base):
    __tablename__ = "hot_updates"
    __table_args__ = (
        Index(None, "job_id"),
        Index(None, "phase"),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    workspace: Mapped[str] = mapped_column(_NAME)
    namespace: Mapped[str] = mapped_column(_NAME)
    deployment_id: Mapped[str] = mapped_column(_ID)
    job_id: Mapped[str] = mapped_column(_ID)
    phase: Mapped[str] = mapped_column(String(32))
    change: Mapped[dict[str, Any]]
    target_parallelism: Mapped[int] = mapped_column(Integer)
    target_flink_conf: Mapped[dict[str, Any]]
    savepoint_id: Mapped[str | None] = mapped_column(_ID)
    new_job_id: Mapped[str | None] = mapped_column(_ID)
    failure: Mapped[dict[str, Any] | None]
    request_id: Mapped[str | None] = mapped_column(_NAME)
    creator: Mapped[str | None] = mapped_column(_NAME)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class SqlHotUpdateRepositories:
    """The ``HotUpdateRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read_hot_update(self, *, hot_update_id: str) -> HotUpdate | None:
        row = self._session.get(HotUpdateRow, hot_update_id)
        return _hot_update(row) if row is not None else None

    def read_active_hot_updates(self, *, job_id: str | None = None) -> list[HotUpdate]:
        query = select(HotUpdateRow).where(HotUpdateRow.phase.in_(_OPEN))
        if job_id is not None:
            query = query.where(HotUpdateRow.job_id == job_id)
        query = query.order_by(HotUpdateRow.created_at, HotUpdateRow.id)
        return [_hot_update(row) for row in self._session.scalars(query)]

    def create_hot_update(self, *, hot_update: HotUpdate) -> None:
        self._session.add(HotUpdateRow(**_values(hot_update)))
        self._session.flush()

    def update_hot_update(self, *, hot_update: HotUpdate) -> None:
        row = self._session.get(HotUpdateRow, hot_update.id)
        if row is None:
            raise NotFound(
                f"hot update {hot_update.id!r} not found", code=ErrorCode.HOT_UPDATE_NOT_FOUND
            )
        for key, value in _values(hot_update).items():
            if key not in {"id", "created_at", "creator"}:
                setattr(row, key, value)
        self._session.flush()


def _values(hot_update: HotUpdate) -> dict[str, Any]:
    failure = hot_update.failure
    return {
        "id": hot_update.id,
        "workspace": hot_update.workspace,
        "namespace": hot_update.namespace,
        "deployment_id": hot_update.deployment_id,
        "job_id": hot_update.job_id,
        "phase": hot_update.phase.value,
        "change": {
            "parallelism": hot_update.change.parallelism,
            "flinkConf": hot_update.change.flink_conf,
        },
        "target_parallelism": hot_update.target_parallelism,
        "target_flink_conf": dict(hot_update.target_flink_conf),
        "savepoint_id": hot_update.savepoint_id,
        "new_job_id": hot_update.new_job_id,
        "failure": (
            None
            if failure is None
            else {
                "reason": failure.reason,
                "message": failure.message,
                "severity": failure.severity,
            }
        ),
        "request_id": hot_update.request_id,
        "creator": hot_update.creator,
        "created_at": hot_update.created_at,
        "modified_at": hot_update.modified_at,
    }


def _hot_update(row: HotUpdateRow) -> HotUpdate:
    change = row.change or {}
    failure = row.failure
    return HotUpdate(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        deployment_id=row.deployment_id,
        job_id=row.job_id,
        change=HotUpdateChange(
            parallelism=change.get("parallelism"), flink_conf=change.get("flinkConf")
        ),
        target_parallelism=row.target_parallelism,
        target_flink_conf=dict(row.target_flink_conf or {}),
        phase=HotUpdatePhase(row.phase),
        savepoint_id=row.savepoint_id,
        new_job_id=row.new_job_id,
        failure=(
            None
            if not failure
            else HotUpdateFailure(
                reason=str(failure.get("reason", "")),
                message=str(failure.get("message", "")),
                severity=str(failure.get("severity", "HIGH")),
            )
        ),
        request_id=row.request_id,
        creator=row.creator,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


class SqlHotUpdateStore(SessionStore[SqlHotUpdateRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlHotUpdateRepositories, **engine_options)
