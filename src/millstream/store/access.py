"""The access tables (users, access keys, members, audit log, used nonces, the access
generation) and ``SqlAccessStore``, the ``AccessStore`` port of ``control.access_ports``
over them.

The models share ``models.Base`` (one metadata, one Alembic history: migrations 0003
and 0014); the app factory builds ``SqlAccessStore(sql_store.engine)`` so both stores
use one pool. Used nonces live in the database, not in memory, so a request replayed
against another replica of the server is refused too; on PostgreSQL the transaction
that spends one does not wait for its WAL flush (``synchronous_commit = off`` for that
transaction only): the row is visible to every replica at once, only a crash of
PostgreSQL itself could forget the last fraction of a second of nonces. The nonce
writer's own stores (one connection each) are in ``store.nonce_writers``.

``access_generation`` is one row whose value database triggers (migration 0014) change
whenever a user, a key's status, owner or secret, or a member changes, by any writer
(a namespace deletion removing its members included). ``AccessService`` reads it once
per request to know whether its caches of keys and roles still hold, in this process
and in every other replica. A migration that rebuilds one of those tables on SQLite
(``batch_alter_table``) drops its triggers and must create them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CursorResult,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from millstream.control.access_ports import SpentNonce
from millstream.control.ports import Page
from millstream.domain.access import AccessKey, AuditEntry, KeyStatus, Member, Role, User
from millstream.domain.errors import Conflict, ErrorCode, NotFound
from millstream.store.errors import integrity_violation
from millstream.store.models import Base, NamespaceRow
from millstream.store.store import SessionStore
from millstream.store.write_gate import WriteGate

__all__ = [
    "SPEND_NONCES",
    "AccessGenerationRow",
    "AccessKeyRow",
    "AuditEntryRow",
    "MemberRow",
    "SqlAccessRepositories",
    "SqlAccessStore",
    "UsedNonceRow",
    "UserRow",
    "spend_parameters",
    "spent_nonces",
]

_ID = String(64)
_NAME = String(128)
_KEY_ID = String(32)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    name: Mapped[str] = mapped_column(_NAME, unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class AccessKeyRow(Base):
    __tablename__ = "access_keys"

    id: Mapped[str] = mapped_column(_KEY_ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class MemberRow(Base):
    __tablename__ = "members"

    workspace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    namespace: Mapped[str] = mapped_column(_NAME, primary_key=True)
    user_id: Mapped[str] = mapped_column(
        _ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class AuditEntryRow(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index(None, "workspace", "namespace", "at"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[str] = mapped_column(_ID)
    actor_name: Mapped[str] = mapped_column(_NAME)
    action: Mapped[str] = mapped_column(String(512))
    resource: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(_ID)
    status_code: Mapped[int] = mapped_column(Integer)
    workspace: Mapped[str | None] = mapped_column(_NAME)
    namespace: Mapped[str | None] = mapped_column(_NAME)


class UsedNonceRow(Base):
    """A signature nonce seen for a key; the primary key makes a replay fail to insert."""

    __tablename__ = "used_nonces"

    key_id: Mapped[str] = mapped_column(_KEY_ID, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class AccessGenerationRow(Base):
    """One row (``id`` 1): a random value the access triggers replace on every change."""

    __tablename__ = "access_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger)


class SqlAccessRepositories:
    """The ``AccessRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # ------------------------------------------------------------------ users

    def read_user(self, *, user_id: str) -> User | None:
        row = self._session.get(UserRow, user_id)
        return _user(row) if row is not None else None

    def read_user_by_name(self, *, name: str) -> User | None:
        row = self._session.scalars(select(UserRow).where(UserRow.name == name)).first()
        return _user(row) if row is not None else None

    def read_users(self, *, admins_only: bool = False) -> list[User]:
        query = select(UserRow).order_by(UserRow.created_at, UserRow.name)
        if admins_only:
            query = query.where(UserRow.is_admin.is_(True))
        return [_user(row) for row in self._session.scalars(query)]

    def create_user(self, *, user: User) -> None:
        self._insert(
            UserRow,
            {
                "id": user.id,
                "name": user.name,
                "is_admin": user.is_admin,
                "created_at": user.created_at,
            },
            conflict=f"user {user.name!r} already exists",
            conflict_code=ErrorCode.USER_EXISTS,
        )

    # ------------------------------------------------------------------ keys

    def read_key(self, *, key_id: str) -> AccessKey | None:
        row = self._session.get(AccessKeyRow, key_id)
        return _key(row) if row is not None else None

    def read_keys(self, *, user_id: str | None = None) -> list[AccessKey]:
        query = select(AccessKeyRow).order_by(AccessKeyRow.created_at, AccessKeyRow.id)
        if user_id is not None:
            query = query.where(AccessKeyRow.user_id == user_id)
        return [_key(row) for row in self._session.scalars(query)]

    def create_key(self, *, key: AccessKey) -> None:
        self._insert(
            AccessKeyRow,
            {
                "id": key.id,
                "user_id": key.user_id,
                "secret_ciphertext": key.secret_ciphertext,
                "status": key.status.value,
                "created_at": key.created_at,
                "last_used_at": key.last_used_at,
            },
            conflict=f"access key {key.id!r} already exists",
            conflict_code=ErrorCode.ACCESS_KEY_EXISTS,
        )

    def update_key(self, *, key: AccessKey) -> None:
        result = self._session.execute(
            update(AccessKeyRow)
            .where(AccessKeyRow.id == key.id)
            .values(status=key.status.value, last_used_at=key.last_used_at)
        )
        if cast(CursorResult[Any], result).rowcount == 0:
            raise NotFound(f"access key {key.id!r} not found", code=ErrorCode.ACCESS_KEY_NOT_FOUND)

    def delete_key(self, *, key_id: str) -> None:
        result = self._session.execute(delete(AccessKeyRow).where(AccessKeyRow.id == key_id))
        if cast(CursorResult[Any], result).rowcount == 0:
            raise NotFound(f"access key {key_id!r} not found", code=ErrorCode.ACCESS_KEY_NOT_FOUND)

    # ------------------------------------------------------------------ namespaces

    def read_namespace_names(self, *, workspace: str | None = None) -> list[tuple[str, str]]:
        query = select(NamespaceRow.workspace, NamespaceRow.name).order_by(
            NamespaceRow.workspace, NamespaceRow.name
        )
        if workspace is not None:
            query = query.where(NamespaceRow.workspace == workspace)
        return [(ws, name) for ws, name in self._session.execute(query)]

    # ------------------------------------------------------------------ members

    def read_member(self, *, workspace: str, namespace: str, user_id: str) -> Member | None:
        row = self._session.get(MemberRow, (workspace, namespace, user_id))
        return _member(row) if row is not None else None

    def read_members(
        self, *, workspace: str, namespace: str, page: Page
    ) -> tuple[list[Member], int]:
        where = (MemberRow.workspace == workspace, MemberRow.namespace == namespace)
        total = self._session.scalar(select(func.count()).select_from(MemberRow).where(*where))
        rows = self._session.scalars(
            select(MemberRow)
            .where(*where)
            .order_by(MemberRow.created_at, MemberRow.user_id)
            .offset(page.offset)
            .limit(page.limit)
        )
        return [_member(row) for row in rows], total or 0

    def read_memberships(self, *, user_id: str) -> list[Member]:
        rows = self._session.scalars(
            select(MemberRow)
            .where(MemberRow.user_id == user_id)
            .order_by(MemberRow.workspace, MemberRow.namespace)
        )
        return [_member(row) for row in rows]

    def create_member(self, *, member: Member) -> None:
        self._insert(
            MemberRow,
            {
                "workspace": member.workspace,
                "namespace": member.namespace,
                "user_id": member.user_id,
                "role": member.role.value,
                "created_at": member.created_at,
                "modified_at": member.modified_at,
            },
            conflict="the user is already a member of this namespace",
            conflict_code=ErrorCode.MEMBER_EXISTS,
        )

    def update_member(self, *, member: Member) -> None:
        result = self._session.execute(
            update(MemberRow)
            .where(
                MemberRow.workspace == member.workspace,
                MemberRow.namespace == member.namespace,
                MemberRow.user_id == member.user_id,
            )
            .values(role=member.role.value, modified_at=member.modified_at)
        )
        if cast(CursorResult[Any], result).rowcount == 0:
            raise NotFound("member not found", code=ErrorCode.MEMBER_NOT_FOUND)

    def delete_member(self, *, workspace: str, namespace: str, user_id: str) -> None:
        result = self._session.execute(
            delete(MemberRow).where(
                MemberRow.workspace == workspace,
                MemberRow.namespace == namespace,
                MemberRow.user_id == user_id,
            )
        )
        if cast(CursorResult[Any], result).rowcount == 0:
            raise NotFound("member not found", code=ErrorCode.MEMBER_NOT_FOUND)

    # ------------------------------------------------------------------ audit

    def create_audit_entry(self, *, entry: AuditEntry) -> None:
        self._session.execute(
            insert(AuditEntryRow).values(
                id=entry.id,
                at=entry.at,
                actor_id=entry.actor_id,
                actor_name=entry.actor_name,
                action=entry.action,
                resource=entry.resource,
                request_id=entry.request_id,
                status_code=entry.status_code,
                workspace=entry.workspace,
                namespace=entry.namespace,
            )
        )

    def read_audit_entries(
        self, *, workspace: str, namespace: str, page: Page
    ) -> tuple[list[AuditEntry], int]:
        where = (AuditEntryRow.workspace == workspace, AuditEntryRow.namespace == namespace)
        total = self._session.scalar(select(func.count()).select_from(AuditEntryRow).where(*where))
        rows = self._session.scalars(
            select(AuditEntryRow)
            .where(*where)
            .order_by(AuditEntryRow.at.desc(), AuditEntryRow.id)
            .offset(page.offset)
            .limit(page.limit)
        )
        return [_audit(row) for row in rows], total or 0

    # ------------------------------------------------------------------ generation

    def read_access_generation(self) -> int:
        generation = self._session.connection().scalar(_GENERATION)
        return 0 if generation is None else int(generation)

    # ------------------------------------------------------------------ nonces

    def spend_nonces(self, *, nonces: Sequence[SpentNonce]) -> tuple[list[bool], int]:
        connection = self._session.connection()
        if connection.dialect.name != "postgresql":
            # RETURNING rather than rowcount: the row is there only for a new nonce. The
            # writes come first, the generation read after them: a SQLite transaction
            # that reads and then writes fails at once when another process wrote in
            # between; one that starts by writing waits its turn.
            fresh = [
                connection.execute(
                    _USE_NONCE, {"key_id": key_id, "nonce": nonce, "seen_at": seen_at}
                ).first()
                is not None
                for key_id, nonce, seen_at in nonces
            ]
            return fresh, self.read_access_generation()
        # One statement (and, on the nonce writer's autocommit connection, one round
        # trip): the inserts and the generation read after them, in one snapshot.
        rows = connection.execute(SPEND_NONCES, spend_parameters(nonces)).all()
        return spent_nonces(nonces, rows)

    def delete_nonces(self, *, seen_before: datetime) -> int:
        result = self._session.execute(
            delete(UsedNonceRow).where(UsedNonceRow.seen_at < seen_before)
        )
        return cast(CursorResult[Any], result).rowcount

    # ------------------------------------------------------------------ helpers

    def _insert(
        self, model: type[Base], values: dict[str, Any], *, conflict: str, conflict_code: ErrorCode
    ) -> None:
        try:
            with self._session.begin_nested():
                self._session.execute(insert(model).values(values))
        except IntegrityError as error:
            if integrity_violation(error) == "unique":
                raise Conflict(conflict, code=conflict_code) from error
            if integrity_violation(error) == "foreign_key":
                raise NotFound("the user does not exist", code=ErrorCode.USER_NOT_FOUND) from error
            raise


# Prepared once: every signed request runs these (see ``spend_nonces``).
_GENERATION = select(AccessGenerationRow.generation).where(AccessGenerationRow.id == 1)
# PostgreSQL: a batch of nonces in one statement. ``relax`` turns ``synchronous_commit``
# off for its transaction: the commit returns without waiting for the disk, and the rows
# are visible to every replica at once. ON CONFLICT DO NOTHING, not a caught
# IntegrityError, which would abort the whole transaction.
SPEND_NONCES = text(
    """
    WITH relax AS (SELECT set_config('synchronous_commit', 'off', true) AS relaxed),
    fresh AS (
        INSERT INTO used_nonces (key_id, nonce, seen_at)
        SELECT batch.key_id, batch.nonce, batch.seen_at
        FROM relax, unnest(
            CAST(:key_ids AS VARCHAR[]),
            CAST(:nonces AS VARCHAR[]),
            CAST(:seen_ats AS TIMESTAMPTZ[])
        ) AS batch(key_id, nonce, seen_at)
        ON CONFLICT DO NOTHING
        RETURNING key_id, nonce
    )
    SELECT generation, NULL, NULL FROM access_generation WHERE id = 1
    UNION ALL
    SELECT NULL, key_id, nonce FROM fresh
    """
)
# SQLite: one nonce a statement (its writes do not wait for the disk either: WAL with
# ``synchronous = NORMAL``).
_USE_NONCE = (
    sqlite.insert(UsedNonceRow)
    .values({c.name: bindparam(c.name, type_=c.type) for c in UsedNonceRow.__table__.c})
    .on_conflict_do_nothing()
    .returning(UsedNonceRow.nonce)
)


def spend_parameters(nonces: Sequence[SpentNonce]) -> dict[str, list[Any]]:
    """``SPEND_NONCES``' parameters: each (key, nonce) once, its first sighting."""
    first: dict[tuple[str, str], SpentNonce] = {}
    for key_id, nonce, seen_at in nonces:
        first.setdefault((key_id, nonce), (key_id, nonce, seen_at))
    return {
        "key_ids": [key_id for key_id, _, _ in first.values()],
        "nonces": [nonce for _, nonce, _ in first.values()],
        "seen_ats": [seen_at for _, _, seen_at in first.values()],
    }


def spent_nonces(
    nonces: Sequence[SpentNonce], rows: Sequence[Sequence[Any]]
) -> tuple[list[bool], int]:
    """``spend_nonces``' answer from ``SPEND_NONCES``' rows."""
    generation = next((int(row[0]) for row in rows if row[0] is not None), 0)
    inserted = {(row[1], row[2]) for row in rows if row[1] is not None}
    fresh = []
    for key_id, nonce, _ in nonces:
        fresh.append((key_id, nonce) in inserted)
        inserted.discard((key_id, nonce))  # a second one in the batch is a replay
    return fresh, generation


def _user(row: UserRow) -> User:
    return User(id=row.id, name=row.name, is_admin=row.is_admin, created_at=row.created_at)


def _key(row: AccessKeyRow) -> AccessKey:
    return AccessKey(
        id=row.id,
        user_id=row.user_id,
        secret_ciphertext=row.secret_ciphertext,
        status=KeyStatus(row.status),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


def _member(row: MemberRow) -> Member:
    return Member(
        workspace=row.workspace,
        namespace=row.namespace,
        user_id=row.user_id,
        role=Role(row.role),
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


def _audit(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        action=row.action,
        resource=row.resource,
        request_id=row.request_id,
        status_code=row.status_code,
        workspace=row.workspace,
        namespace=row.namespace,
    )


class SqlAccessStore(SessionStore[SqlAccessRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one; a
    ``NonceLedger`` spending each batch in a transaction of its own."""

    def __init__(
        self, url_or_engine: str | Engine, *, write_gate: WriteGate | None = None, **options: Any
    ) -> None:
        super().__init__(url_or_engine, SqlAccessRepositories, write_gate=write_gate, **options)

    def spend_nonces(self, *, nonces: Sequence[SpentNonce]) -> tuple[list[bool], int]:
        with self.transaction() as repos:
            return repos.spend_nonces(nonces=nonces)
