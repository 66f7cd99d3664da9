"""The access generation on SQLite and PostgreSQL: the migration's triggers change it with
every change of access, by any writer, and not with a key's last use; two replicas with
their own connection pools and caches see a revocation or a removed member at once."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from millstream.api.auth import Acs3Verifier, Authenticator, SignedRequest
from millstream.control.context import Actor, Scope
from millstream.control.services.access import AccessService, IssuedKey
from millstream.domain.access import AccessKey, Permission, Role
from millstream.domain.errors import ErrorCode, NotFound, Unauthenticated
from millstream.domain.namespaces import Namespace
from millstream.store import SqlStore
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import FernetCipher, load_cipher
from millstream.store.namespaces import SqlNamespaceStore
from tests.unit.auth.signing import sdk_acs3_request

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
            namespace=Namespace(
                id=str(uuid.uuid4()), workspace="ws1", name="ns1", created_at=datetime.now(UTC)
            )
        )
    return AccessService(access_store, cipher)


@pytest.fixture
def admin(access: AccessService) -> IssuedKey:
    issued = access.ensure_admin()
    assert issued is not None
    return issued


@pytest.fixture
def replicas(
    database_url: str, access: AccessService, cipher: FernetCipher
) -> Iterator[list[Authenticator]]:
    """Two servers on the database: the fixture's store, and one with its own pool."""
    own = SqlAccessStore(database_url)
    try:
        yield [
            Authenticator(access, [Acs3Verifier()]),
            Authenticator(AccessService(own, cipher), [Acs3Verifier()]),
        ]
    finally:
        own.close()


def _admit(
    authenticator: Authenticator, request: SignedRequest, needed: tuple[Scope, Permission]
) -> Actor:
    """What the API's guard does: authenticate, then check the role with the grant."""
    actor, grant = authenticator.verify_caller(request)
    authenticator.authorize(actor, *needed, grant=grant)
    return actor


def _actor(issued: IssuedKey) -> Actor:
    return Actor(issued.user.id, issued.user.name)


def _signed(issued: IssuedKey) -> SignedRequest:
    return sdk_acs3_request(
        key_id=issued.key.id,
        secret=issued.secret,
        at=datetime.now(UTC),
        nonce=uuid.uuid4().hex,
    )


def test_every_access_change_changes_the_generation_and_last_use_does_not(
    access: AccessService, access_store: SqlAccessStore, sql_store: SqlStore, admin: IssuedKey
) -> None:
    def generation() -> int:
        with access_store.transaction() as repos:
            return repos.read_access_generation()

    def changes(action: Callable[[], object]) -> bool:
        before = generation()
        action()
        return generation() != before

    bob = access.create_key(_actor(admin), user="bob", create_user=True)
    assert changes(lambda: access.create_key(_actor(admin), user="carol", create_user=True))
    assert changes(lambda: access.disable_key(_actor(admin), bob.key.id))
    assert changes(lambda: access.enable_key(_actor(admin), bob.key.id))
    found = access.lookup(bob.key.id)
    assert found is not None
    assert not changes(lambda: access.accept(found, nonce="n-1"))
    assert changes(lambda: access.create_member(_actor(admin), SCOPE, "bob", Role.VIEWER))
    assert changes(lambda: access.update_member(_actor(admin), SCOPE, "bob", Role.EDITOR))

    def delete_namespace() -> None:  # not through AccessService: members go with it
        with SqlNamespaceStore(sql_store.engine).transaction() as repos:
            repos.delete_namespace(workspace="ws1", name="ns1")

    assert changes(delete_namespace)
    assert changes(lambda: access.revoke_key(_actor(admin), bob.key.id))
    with access_store.transaction() as repos:
        key = repos.read_key(key_id=admin.key.id)
        assert key is not None
        unchanged = dataclasses.replace(key, last_used_at=datetime.now(UTC))
    assert not changes(lambda: _update_key(access_store, unchanged))


def _update_key(store: SqlAccessStore, key: AccessKey) -> None:
    with store.transaction() as repos:
        repos.update_key(key=key)


def test_revoked_key_is_refused_at_once_by_both_replicas(
    replicas: list[Authenticator], access: AccessService, admin: IssuedKey
) -> None:
    bob = access.create_key(_actor(admin), user="bob", create_user=True)
    for replica in replicas:
        assert replica.authenticate(_signed(bob)).id == bob.user.id
    access.revoke_key(_actor(admin), bob.key.id)
    for replica in replicas:
        with pytest.raises(Unauthenticated) as caught:
            replica.authenticate(_signed(bob))
        assert caught.value.code == ErrorCode.SIGNATURE_MISMATCH


def test_replay_is_refused_by_the_other_replica(
    replicas: list[Authenticator], admin: IssuedKey
) -> None:
    request = _signed(admin)
    replicas[1].authenticate(_signed(admin))
    replicas[0].authenticate(request)
    with pytest.raises(Unauthenticated) as caught:
        replicas[1].authenticate(request)
    assert caught.value.code == ErrorCode.NONCE_REUSED


def test_removed_member_is_refused_at_once_by_both_replicas(
    replicas: list[Authenticator], access: AccessService, admin: IssuedKey
) -> None:
    bob = access.create_key(_actor(admin), user="bob", create_user=True)
    access.create_member(_actor(admin), SCOPE, "bob", Role.VIEWER)
    read = (SCOPE, Permission.READ)
    for replica in replicas:
        _admit(replica, _signed(bob), read)
    access.delete_member(_actor(admin), SCOPE, "bob")
    for replica in replicas:
        with pytest.raises(NotFound):
            _admit(replica, _signed(bob), read)
