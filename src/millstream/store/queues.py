"""The queue part of the ``Repositories`` port, over the ``queues`` table (migration 0009).

``SqlQueueRepositories`` is a mixin of ``repositories.SqlRepositories``: queue reads
and writes share the unit of work of the job and cluster ones, so the admission step of
the reconciler reads queues and jobs, and the queue service refuses to delete a queue
still in use, inside one transaction each.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from millstream.domain.errors import Conflict, ErrorCode, NotFound, StaleVersion
from millstream.domain.jobs import TERMINAL
from millstream.domain.queues import Queue
from millstream.store.errors import integrity_violation
from millstream.store.models import JobRow, QueueRow

__all__ = ["SqlQueueRepositories", "queue_columns", "queue_from_row"]

_TERMINAL = tuple(status.value for status in TERMINAL)


def queue_columns(queue: Queue) -> dict[str, Any]:
    return {
        "id": queue.id,
        "name": queue.name,
        "workspace": queue.workspace,
        "cluster": queue.cluster,
        "capacity_cu": queue.capacity_cu,
        "max_job_cu": queue.max_job_cu,
        "namespaces": {"names": list(queue.namespaces)},
        "description": queue.description,
        "follows_cluster": queue.follows_cluster,
        "creator": queue.creator,
        "modifier": queue.modifier,
        "created_at": queue.created_at,
        "modified_at": queue.modified_at,
        "version": queue.version,
    }


def queue_from_row(row: QueueRow) -> Queue:
    names = (row.namespaces or {}).get("names") or []
    return Queue(
        id=row.id,
        name=row.name,
        workspace=row.workspace,
        cluster=row.cluster,
        capacity_cu=float(row.capacity_cu),
        max_job_cu=None if row.max_job_cu is None else float(row.max_job_cu),
        namespaces=tuple(str(name) for name in names),
        description=row.description,
        follows_cluster=bool(row.follows_cluster),
        creator=row.creator,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
        version=row.version,
    )


class SqlQueueRepositories:
    """Queue reads and writes on ``self._session`` (set by the class it is mixed into)."""

    _session: Session

    def read_queue(self, *, name: str) -> Queue | None:
        row = self._session.scalar(select(QueueRow).where(QueueRow.name == name))
        return queue_from_row(row) if row is not None else None

    def read_queues(self) -> list[Queue]:
        rows = self._session.scalars(select(QueueRow).order_by(QueueRow.name))
        return [queue_from_row(row) for row in rows]

    def create_queue(self, *, queue: Queue) -> None:
        """``Conflict`` when a queue of that name exists."""
        try:
            with self._session.begin_nested():
                self._session.execute(insert(QueueRow).values(queue_columns(queue)))
        except IntegrityError as error:
            if integrity_violation(error) == "unique":
                raise Conflict(
                    f"a queue named {queue.name!r} already exists; choose another name",
                    code=ErrorCode.QUEUE_EXISTS,
                ) from error
            raise

    def update_queue(self, *, queue: Queue) -> None:
        """Optimistic: the stored version must equal ``queue.version``; then incremented."""
        values = queue_columns(queue)
        for key in ("id", "name", "creator", "created_at"):
            values.pop(key)
        values["version"] = queue.version + 1
        result = self._session.execute(
            update(QueueRow)
            .where(QueueRow.id == queue.id, QueueRow.version == queue.version)
            .values(values)
            .execution_options(synchronize_session=False)
        )
        if cast("CursorResult[Any]", result).rowcount == 0:
            current = self._session.scalar(select(QueueRow.version).where(QueueRow.id == queue.id))
            if current is None:
                raise NotFound(
                    f"queue {queue.name!r} does not exist", code=ErrorCode.QUEUE_NOT_FOUND
                )
            raise StaleVersion(
                f"queue {queue.name!r} was changed concurrently: you sent version "
                f"{queue.version}, the stored version is {current}; read it again and "
                "reapply your change"
            )
        queue.version += 1

    def delete_queue(self, *, queue_id: str) -> None:
        """Deleting a queue that does not exist is not an error."""
        self._session.execute(
            delete(QueueRow)
            .where(QueueRow.id == queue_id)
            .execution_options(synchronize_session=False)
        )

    def count_live_jobs_in_queue(self, *, name: str) -> int:
        """Jobs that are not terminal and hold or wait for room in queue ``name``."""
        total = self._session.scalar(
            select(func.count())
            .select_from(JobRow)
            .where(JobRow.queue == name, JobRow.status.not_in(_TERMINAL))
        )
        return int(total or 0)
