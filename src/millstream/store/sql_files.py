"""``SqlFileStore``: the ``SqlFileStore`` port of ``control.services.sql_files`` over the
``sql_files`` table (``models.SqlFileRow``, migration 0017).

The app factory builds ``SqlFileStore(sql_store.engine)`` so it shares the main store's
connection pool. The table's unique (workspace, namespace, folder_id, name) turns two
concurrent creations of one name into a ``Conflict``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from millstream.domain.errors import Conflict, NotFound
from millstream.domain.sql_files import SqlFile
from millstream.store.errors import integrity_violation
from millstream.store.models import SqlFileRow
from millstream.store.store import SessionStore

__all__ = ["SqlFileRepositories", "SqlFileStore"]


class SqlFileRepositories:
    """The ``SqlFileRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read_sql_file(self, *, workspace: str, namespace: str, sql_file_id: str) -> SqlFile | None:
        row = self._session.get(SqlFileRow, sql_file_id)
        if row is None or row.workspace != workspace or row.namespace != namespace:
            return None
        return _sql_file(row)

    def read_sql_file_by_name(
        self, *, workspace: str, namespace: str, folder_id: int, name: str
    ) -> SqlFile | None:
        row = self._session.scalars(
            select(SqlFileRow).where(
                SqlFileRow.workspace == workspace,
                SqlFileRow.namespace == namespace,
                SqlFileRow.folder_id == folder_id,
                SqlFileRow.name == name,
            )
        ).first()
        return _sql_file(row) if row is not None else None

    def count_sql_files(self, *, workspace: str, namespace: str, folder_id: int) -> int:
        count = self._session.scalar(
            select(func.count())
            .select_from(SqlFileRow)
            .where(
                SqlFileRow.workspace == workspace,
                SqlFileRow.namespace == namespace,
                SqlFileRow.folder_id == folder_id,
            )
        )
        return int(count or 0)

    def create_sql_file(self, *, sql_file: SqlFile) -> None:
        self._session.add(SqlFileRow(**_values(sql_file)))
        self._flush(sql_file)

    def update_sql_file(self, *, sql_file: SqlFile) -> None:
        row = self._session.get(SqlFileRow, sql_file.id)
        if row is None:
            raise NotFound(f"SQL file {sql_file.id!r} does not exist")
        for key, value in _values(sql_file).items():
            if key not in {"id", "workspace", "namespace", "creator", "created_at"}:
                setattr(row, key, value)
        self._flush(sql_file)

    def delete_sql_file(self, *, sql_file_id: str) -> None:
        self._session.execute(delete(SqlFileRow).where(SqlFileRow.id == sql_file_id))

    def _flush(self, sql_file: SqlFile) -> None:
        try:
            with self._session.begin_nested():
                self._session.flush()
        except IntegrityError as error:
            if integrity_violation(error) == "unique":
                raise Conflict(
                    f"folder {sql_file.folder_id} already has a SQL file named "
                    f"{sql_file.name!r}; choose another name"
                ) from None
            raise


def _values(sql_file: SqlFile) -> dict[str, Any]:
    return {
        "id": sql_file.id,
        "workspace": sql_file.workspace,
        "namespace": sql_file.namespace,
        "folder_id": sql_file.folder_id,
        "name": sql_file.name,
        "script": sql_file.script,
        "description": sql_file.description,
        "session_cluster": sql_file.session_cluster,
        "batch": sql_file.batch,
        "creator": sql_file.creator,
        "modifier": sql_file.modifier,
        "created_at": sql_file.created_at,
        "modified_at": sql_file.modified_at,
    }


def _sql_file(row: SqlFileRow) -> SqlFile:
    return SqlFile(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        folder_id=row.folder_id,
        name=row.name,
        script=row.script,
        description=row.description,
        session_cluster=row.session_cluster,
        batch=row.batch,
        creator=row.creator,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


class SqlFileStore(SessionStore[SqlFileRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlFileRepositories, **engine_options)
