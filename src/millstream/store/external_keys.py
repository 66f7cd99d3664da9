"""``SqlExternalKeyStore``: the ``ExternalKeyStore`` port over the ``external_keys`` and
``external_key_counters`` tables (``models.ExternalKeyRow``, migration 0007).

The app factory builds ``SqlExternalKeyStore(sql_store.engine)`` so it shares the main
store's connection pool; ``control.services.external_keys.ExternalKeys`` is its only
caller. Numbers come from a counter row per (space, scope), incremented by an upsert in
the allocating transaction: on PostgreSQL the row lock serialises concurrent allocators
(each sees the previous one's committed value), on SQLite the database write lock does.
A rolled-back allocation rolls its increment back too, so numbers have no gaps, and the
counter survives the deletion of keys, so no number is ever handed out twice.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from millstream.domain.external_keys import MAX_NUMBER, ExternalKey, KeyedEntity
from millstream.store.errors import integrity_violation, violated_constraint
from millstream.store.models import DeploymentRow, ExternalKeyCounterRow, ExternalKeyRow, JobRow
from millstream.store.store import SessionStore

__all__ = ["SqlExternalKeyRepositories", "SqlExternalKeyStore"]

# The unique constraint on a name, as PostgreSQL names it and as SQLite lists its columns.
_NAME_TAKEN = {
    "uq_external_keys_space_scope_name",
    "external_keys.space, external_keys.scope, external_keys.name",
}


class SqlExternalKeyRepositories:
    """The ``ExternalKeyRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read_external_key(self, *, space: str, entity_id: str) -> ExternalKey | None:
        row = self._session.scalar(
            select(ExternalKeyRow).where(
                ExternalKeyRow.space == space, ExternalKeyRow.entity_id == entity_id
            )
        )
        return _external_key(row) if row is not None else None

    def read_external_keys(self, *, space: str, entity_ids: Collection[str]) -> list[ExternalKey]:
        if not entity_ids:
            return []
        rows = self._session.scalars(
            select(ExternalKeyRow).where(
                ExternalKeyRow.space == space, ExternalKeyRow.entity_id.in_(list(entity_ids))
            )
        )
        return [_external_key(row) for row in rows]

    def read_external_key_by_value(
        self, *, space: str, scope: str, value: int | str
    ) -> ExternalKey | None:
        where = [ExternalKeyRow.space == space, ExternalKeyRow.scope == scope]
        if isinstance(value, int):
            if not 0 <= value <= MAX_NUMBER:  # out of BIGINT range: cannot be stored
                return None
            where.append(ExternalKeyRow.number == value)
        else:
            where.append(ExternalKeyRow.name == value)
        row = self._session.scalar(select(ExternalKeyRow).where(*where))
        return _external_key(row) if row is not None else None

    def allocate_external_number(
        self,
        *,
        space: str,
        scope: str,
        entity: KeyedEntity,
        entity_id: str,
        first_number: int = 1,
    ) -> ExternalKey:
        deployment_id, job_id = self._owner(entity, entity_id)
        number = self._next_number(space, scope, first_number)
        if number > MAX_NUMBER:
            raise InvalidInput(f"key space {space!r} has run out of numbers in scope {scope!r}")
        values: dict[str, Any] = {
            "space": space,
            "scope": scope,
            "entity_id": entity_id,
            "number": number,
            "name": None,
            "deployment_id": deployment_id,
            "job_id": job_id,
            "created_at": datetime.now(UTC),
        }
        self._insert(values)
        return _external_key_from(values)

    def assign_external_name(
        self, *, space: str, scope: str, entity: KeyedEntity, entity_id: str, name: str
    ) -> ExternalKey:
        holder = self.read_external_key_by_value(space=space, scope=scope, value=name)
        if holder is not None and holder.entity_id != entity_id:
            raise _name_taken(name, space, scope)
        current = self.read_external_key(space=space, entity_id=entity_id)
        if current is not None:
            if current.number is not None:
                raise Conflict(
                    f"{entity_id} has a number in key space {space!r}, which cannot also "
                    "hold a name"
                )
            if current.scope != scope:
                raise Conflict(f"{entity_id} has its key in scope {current.scope!r}, not {scope!r}")
            if current.name != name:
                self._rename(space, scope, entity_id, name)
            return ExternalKey(space, scope, entity_id, name=name, created_at=current.created_at)
        deployment_id, job_id = self._owner(entity, entity_id)
        values: dict[str, Any] = {
            "space": space,
            "scope": scope,
            "entity_id": entity_id,
            "number": None,
            "name": name,
            "deployment_id": deployment_id,
            "job_id": job_id,
            "created_at": datetime.now(UTC),
        }
        self._insert(values)
        return _external_key_from(values)

    # ----------------------------------------------------------------------- helpers

    def _owner(self, entity: KeyedEntity, entity_id: str) -> tuple[str, str | None]:
        """(deployment id, job id or None) of the entity; ``NotFound`` when it does not exist."""
        if entity is KeyedEntity.DEPLOYMENT:
            found = self._session.scalar(
                select(DeploymentRow.id).where(DeploymentRow.id == entity_id)
            )
            if found is None:
                raise NotFound(
                    f"deployment {entity_id!r} not found", code=ErrorCode.DEPLOYMENT_NOT_FOUND
                )
            return entity_id, None
        deployment_id = self._session.scalar(
            select(JobRow.deployment_id).where(JobRow.id == entity_id)
        )
        if deployment_id is None:
            raise NotFound(f"job {entity_id!r} not found", code=ErrorCode.JOB_NOT_FOUND)
        return deployment_id, entity_id

    def _next_number(self, space: str, scope: str, first_number: int) -> int:
        # INSERT ... ON CONFLICT DO UPDATE ... RETURNING: one atomic statement on both
        # backends (SQLite >= 3.35); the first allocation of a scope creates the row.
        statement = (
            _upsert_for(self._session)(ExternalKeyCounterRow)
            .values(space=space, scope=scope, last_number=first_number)
            .on_conflict_do_update(
                index_elements=["space", "scope"],
                set_={"last_number": ExternalKeyCounterRow.last_number + 1},
            )
            .returning(ExternalKeyCounterRow.last_number)
        )
        number = self._session.execute(statement).scalar_one()
        return int(number)

    def _insert(self, values: dict[str, Any]) -> None:
        try:
            self._session.execute(insert(ExternalKeyRow).values(**values))
        except IntegrityError as error:
            raise _translate(error, values) from error

    def _rename(self, space: str, scope: str, entity_id: str, name: str) -> None:
        try:
            self._session.execute(
                update(ExternalKeyRow)
                .where(ExternalKeyRow.space == space, ExternalKeyRow.entity_id == entity_id)
                .values(name=name)
                .execution_options(synchronize_session=False)
            )
        except IntegrityError as error:
            raise _translate(error, {"space": space, "scope": scope, "name": name}) from error


def _upsert_for(session: Session) -> Any:
    """The dialect's ``insert`` construct (both have ``on_conflict_do_update``)."""
    insert_of: Any = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    return insert_of


def _translate(error: IntegrityError, values: dict[str, Any]) -> Conflict | NotFound:
    space, scope = values["space"], values["scope"]
    if integrity_violation(error) == "foreign_key":
        return NotFound(f"deployment or job {values.get('entity_id')!r} was just deleted")
    if integrity_violation(error) == "unique" and violated_constraint(error) in _NAME_TAKEN:
        return _name_taken(str(values["name"]), space, scope)
    if integrity_violation(error) == "unique":
        # The entity got a key in this space from a concurrent transaction.
        return Conflict(f"{values.get('entity_id')} already has a key in key space {space!r}")
    return Conflict(f"cannot store the key in key space {space!r}: {error.orig}")


def _name_taken(name: str, space: str, scope: str) -> Conflict:
    where = f" in scope {scope!r}" if scope else ""
    return Conflict(f"the name {name!r} is already used{where} of key space {space!r}")


def _external_key(row: ExternalKeyRow) -> ExternalKey:
    return ExternalKey(
        space=row.space,
        scope=row.scope,
        entity_id=row.entity_id,
        number=row.number,
        name=row.name,
        created_at=row.created_at,
    )


def _external_key_from(values: dict[str, Any]) -> ExternalKey:
    return ExternalKey(
        space=values["space"],
        scope=values["scope"],
        entity_id=values["entity_id"],
        number=values["number"],
        name=values["name"],
        created_at=values["created_at"],
    )


class SqlExternalKeyStore(SessionStore[SqlExternalKeyRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlExternalKeyRepositories, **engine_options)
