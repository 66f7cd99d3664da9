"""``SqlSavepointScheduleStore``: the ``SavepointScheduleStore`` port of
``control.savepoint_schedule_ports`` over the ``savepoint_schedules`` table
(``SavepointScheduleRow``, migration 0016).

The app factory builds ``SqlSavepointScheduleStore(sql_store.engine)`` so it shares the
main store's connection pool.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from millstream.domain.savepoint_schedules import (
    Retention,
    SavepointSchedule,
    parse_blackout,
)
from millstream.store.models import SavepointScheduleRow
from millstream.store.store import SessionStore

__all__ = ["SqlSavepointScheduleRepositories", "SqlSavepointScheduleStore"]


class SqlSavepointScheduleRepositories:
    """The ``SavepointScheduleRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read_savepoint_schedule(self, *, deployment_id: str) -> SavepointSchedule | None:
        row = self._session.get(SavepointScheduleRow, deployment_id)
        return _schedule(row) if row is not None else None

    def read_savepoint_schedules(self) -> list[SavepointSchedule]:
        query = select(SavepointScheduleRow).order_by(SavepointScheduleRow.deployment_id)
        return [_schedule(row) for row in self._session.scalars(query)]

    def write_savepoint_schedule(self, *, schedule: SavepointSchedule) -> None:
        values = _values(schedule)
        row = self._session.get(SavepointScheduleRow, schedule.deployment_id)
        if row is None:
            self._session.add(SavepointScheduleRow(**values))
        else:
            for key, value in values.items():
                if key not in {"deployment_id", "created_at"}:
                    setattr(row, key, value)
        self._session.flush()

    def delete_savepoint_schedule(self, *, deployment_id: str) -> bool:
        result = self._session.execute(
            delete(SavepointScheduleRow).where(SavepointScheduleRow.deployment_id == deployment_id)
        )
        return bool(getattr(result, "rowcount", 0))


def _values(schedule: SavepointSchedule) -> dict[str, Any]:
    return {
        "deployment_id": schedule.deployment_id,
        "workspace": schedule.workspace,
        "namespace": schedule.namespace,
        "interval_seconds": schedule.interval_seconds,
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "max_count": schedule.retention.max_count,
        "max_age_seconds": schedule.retention.max_age_seconds,
        "blackouts": {"windows": [str(window) for window in schedule.blackouts]},
        "last_triggered_at": schedule.last_triggered_at,
        "pending_savepoint_id": schedule.pending_savepoint_id,
        "modifier": schedule.modifier,
        "created_at": schedule.created_at,
        "modified_at": schedule.modified_at,
    }


def _schedule(row: SavepointScheduleRow) -> SavepointSchedule:
    return SavepointSchedule(
        deployment_id=row.deployment_id,
        workspace=row.workspace,
        namespace=row.namespace,
        interval_seconds=row.interval_seconds,
        cron=row.cron,
        timezone=row.timezone,
        retention=Retention(max_count=row.max_count, max_age_seconds=row.max_age_seconds),
        blackouts=tuple(parse_blackout(str(w)) for w in (row.blackouts or {}).get("windows", [])),
        last_triggered_at=row.last_triggered_at,
        pending_savepoint_id=row.pending_savepoint_id,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


class SqlSavepointScheduleStore(SessionStore[SqlSavepointScheduleRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlSavepointScheduleRepositories, **engine_options)
