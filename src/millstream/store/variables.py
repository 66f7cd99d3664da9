"""``SqlVariableStore``: the ``VariableStore`` port of ``control.services.variables`` over
the ``variables`` table (``models.VariableRow``, migration 0004).

The app factory builds ``SqlVariableStore(sql_store.engine)`` so it shares the main
store's connection pool. Encrypted values arrive here already encrypted; this module
never sees a clear secret.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from millstream.control.ports import Page
from millstream.domain.errors import Conflict, ErrorCode, NotFound
from millstream.domain.variables import Variable, VariableKind
from millstream.store.errors import integrity_violation
from millstream.store.models import NamespaceRow, VariableRow
from millstream.store.store import SessionStore

__all__ = ["SqlVariableRepositories", "SqlVariableStore"]


class SqlVariableRepositories:
    """The ``VariableRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def namespace_exists(self, *, workspace: str, namespace: str) -> bool:
        found = self._session.scalar(
            select(NamespaceRow.id).where(
                NamespaceRow.workspace == workspace, NamespaceRow.name == namespace
            )
        )
        return found is not None

    def read_variable(self, *, workspace: str, namespace: str, name: str) -> Variable | None:
        row = self._session.get(VariableRow, (workspace, namespace, name))
        return _variable(row) if row is not None else None

    def read_variables(
        self, *, workspace: str, namespace: str, page: Page | None = None
    ) -> tuple[list[Variable], int]:
        where = (VariableRow.workspace == workspace, VariableRow.namespace == namespace)
        query = select(VariableRow).where(*where).order_by(VariableRow.name)
        if page is None:
            rows = list(self._session.scalars(query))
            return [_variable(row) for row in rows], len(rows)
        total = self._session.scalar(select(func.count()).select_from(VariableRow).where(*where))
        rows = list(self._session.scalars(query.offset(page.offset).limit(page.limit)))
        return [_variable(row) for row in rows], total or 0

    def create_variable(self, *, variable: Variable) -> None:
        try:
            with self._session.begin_nested():
                self._session.execute(insert(VariableRow).values(_values(variable)))
        except IntegrityError as error:
            if integrity_violation(error) == "unique":
                raise Conflict(
                    f"a variable named {variable.name!r} already exists in namespace "
                    f"{variable.namespace!r}",
                    code=ErrorCode.VARIABLE_EXISTS,
                ) from error
            raise

    def update_variable(self, *, variable: Variable) -> None:
        values = _values(variable)
        for key in ("workspace", "namespace", "name", "creator", "created_at"):
            values.pop(key)
        result = self._session.execute(
            update(VariableRow)
            .where(*_key(variable.workspace, variable.namespace, variable.name))
            .values(values)
        )
        if cast(CursorResult[Any], result).rowcount == 0:
            raise NotFound(
                f"variable {variable.name!r} not found", code=ErrorCode.VARIABLE_NOT_FOUND
            )

    def delete_variable(self, *, workspace: str, namespace: str, name: str) -> None:
        result = self._session.execute(delete(VariableRow).where(*_key(workspace, namespace, name)))
        if cast(CursorResult[Any], result).rowcount == 0:
            raise NotFound(f"variable {name!r} not found", code=ErrorCode.VARIABLE_NOT_FOUND)


def _key(workspace: str, namespace: str, name: str) -> tuple[Any, ...]:
    return (
        VariableRow.workspace == workspace,
        VariableRow.namespace == namespace,
        VariableRow.name == name,
    )


def _values(variable: Variable) -> dict[str, Any]:
    return {
        "workspace": variable.workspace,
        "namespace": variable.namespace,
        "name": variable.name,
        "kind": variable.kind.value,
        "value": variable.value,
        "ciphertext": variable.ciphertext,
        "description": variable.description,
        "creator": variable.creator,
        "modifier": variable.modifier,
        "created_at": variable.created_at,
        "modified_at": variable.modified_at,
    }


def _variable(row: VariableRow) -> Variable:
    return Variable(
        workspace=row.workspace,
        namespace=row.namespace,
        name=row.name,
        kind=VariableKind(row.kind),
        value=row.value,
        ciphertext=row.ciphertext,
        description=row.description,
        creator=row.creator,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


class SqlVariableStore(SessionStore[SqlVariableRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlVariableRepositories, **engine_options)
