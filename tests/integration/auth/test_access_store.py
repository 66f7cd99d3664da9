"""SqlAccessStore through AccessService on real databases: keys, members, audit, and
replay protection shared by two server replicas on one database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services.access import AccessService, IssuedKey, ResolvedKey
from millstream.domain.access import AuditEntry, KeyStatus, Role
from millstream.domain.errors import Conflict, ErrorCode, NotFound, Unauthenticated
from millstream.domain.namespaces import Namespace
from millstream.store import SqlStore, upgrade
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import FernetCipher, load_cipher
from millstream.store.models import Base

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SCOPE = Scope("ws1", "ns1")


@pytest.fixture
def cipher(tmp_path: Path) -> FernetCipher:
    return load_cipher(None, tmp_path)


@pytest.fixture
def access(
    access_store: SqlAccessStore, sql_store: SqlStore, cipher: FernetCipher
) -> AccessService:
    with sql_store.transaction() as repos:
        repos.create_namespace(
            namespace=Namespace(id=str(uuid.uuid4()), workspace="ws1", name="ns1", created_at=NOW)
        )
    return AccessService(access_store, cipher)


@pytest.fixture
def admin(access: AccessService) -> IssuedKey:
    issued = access.ensure_admin()
    assert issued is not None
    return issued


def _actor(issued: IssuedKey) -> Actor:
    return Actor(issued.user.id, issued.user.name)


def test_migrations_match_the_models(new_database_url: str) -> None:
    upgrade(new_database_url)
    store = SqlAccessStore(new_database_url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        store.close()


def test_keys_round_trip_encrypted(
    access: AccessService, access_store: SqlAccessStore, admin: IssuedKey
) -> None:
    stored = (
        access_store.engine.connect()
        .exec_driver_sql("SELECT secret_ciphertext FROM access_keys")
        .scalar_one()
    )
    assert admin.secret.encode() not in bytes(stored)
    resolved = access.resolve(admin.key.id)
    assert resolved.secret == admin.secret
    bob = access.create_key(_actor(admin), user="bob", create_user=True)
    access.disable_key(_actor(admin), bob.key.id)
    keys = {key.id: key for key, _ in access.list_keys(_actor(admin))}
    assert keys[bob.key.id].status is KeyStatus.DISABLED
    access.revoke_key(_actor(admin), bob.key.id)
    with pytest.raises(Unauthenticated):
        access.resolve(bob.key.id)
    assert access.ensure_admin() is None


def test_nonce_replay_is_refused_by_another_replica(
    access: AccessService, access_store: SqlAccessStore, cipher: FernetCipher, admin: IssuedKey
) -> None:
    other_replica = AccessService(SqlAccessStore(access_store.engine), cipher)
    access.accept(access.resolve(admin.key.id), nonce="n-1")
    with pytest.raises(Unauthenticated) as caught:
        other_replica.accept(other_replica.resolve(admin.key.id), nonce="n-1")
    assert caught.value.code == ErrorCode.NONCE_REUSED
    other_replica.accept(other_replica.resolve(admin.key.id), nonce="n-2")


def test_old_nonces_are_pruned(access_store: SqlAccessStore, admin: IssuedKey) -> None:
    key = admin.key.id
    with access_store.transaction() as repos:
        assert repos.spend_nonces(nonces=[(key, "old", NOW)])[0] == [True]
        assert repos.spend_nonces(nonces=[(key, "old", NOW)])[0] == [False]
        later = NOW + timedelta(hours=1)
        assert repos.spend_nonces(nonces=[(key, "new", later)])[0] == [True]
    with access_store.transaction() as repos:
        assert repos.delete_nonces(seen_before=NOW + timedelta(minutes=30)) == 1
        assert repos.spend_nonces(nonces=[(key, "old", NOW)])[0] == [True]


def test_last_used_is_recorded(access: AccessService, admin: IssuedKey) -> None:
    resolved: ResolvedKey = access.resolve(admin.key.id)
    assert resolved.key.last_used_at is None
    access.accept(resolved, nonce=None)
    assert access.resolve(admin.key.id).key.last_used_at is not None


def test_members_and_editable_namespaces(access: AccessService, admin: IssuedKey) -> None:
    bob = access.create_key(_actor(admin), user="bob", create_user=True)
    access.create_member(_actor(admin), SCOPE, "user:bob", Role.EDITOR)
    with pytest.raises(Conflict):
        access.create_member(_actor(admin), SCOPE, "bob", Role.VIEWER)
    assert access.role_for(_actor(bob), SCOPE) is Role.EDITOR
    access.update_member(_actor(admin), SCOPE, "bob", Role.VIEWER)
    members, total = access.list_members(_actor(bob), SCOPE, Page())
    assert total == 1
    assert (members[0].user_id, members[0].role) == (bob.user.id, Role.VIEWER)
    assert access.editable_namespaces(_actor(bob)) == []
    assert [(n.workspace, n.namespace) for n in access.editable_namespaces(_actor(admin))] == [
        ("ws1", "ns1")
    ]
    access.delete_member(_actor(admin), SCOPE, "bob")
    with pytest.raises(NotFound):
        access.read_member(_actor(admin), SCOPE, "bob")


def test_audit_entries_newest_first(access: AccessService, admin: IssuedKey) -> None:
    for index in range(3):
        access.record_audit(
            AuditEntry(
                id=f"e{index}",
                at=NOW + timedelta(seconds=index),
                actor_id=admin.user.id,
                actor_name="admin",
                action="POST /api/v2/namespaces/{namespace}/jobs:start",
                resource="/api/v2/namespaces/ns1/jobs:start",
                request_id=f"r{index}",
                status_code=200,
                workspace="ws1",
                namespace="ns1",
            )
        )
    entries, total = access.read_audit(_actor(admin), SCOPE, Page(offset=1, limit=5))
    assert total == 3
    assert [entry.id for entry in entries] == ["e1", "e0"]
    assert entries[0].at == NOW + timedelta(seconds=1)
