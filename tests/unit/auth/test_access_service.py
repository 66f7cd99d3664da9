"""AccessService: keys, members, roles and the audit log over the in-memory store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services.access import AccessService, IssuedKey
from millstream.domain.access import (
    AuditEntry,
    KeyStatus,
    Permission,
    Role,
    is_access_key_id,
    parse_role,
)
from millstream.domain.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from tests.unit.auth.conftest import START
from tests.unit.auth.fakes import InMemoryAccessStore, PlainCipher

SCOPE = Scope("ws1", "ns1")


def _actor(issued: IssuedKey) -> Actor:
    return Actor(issued.user.id, issued.user.name)


@pytest.fixture
def admin_actor(admin: IssuedKey) -> Actor:
    return _actor(admin)


@pytest.fixture
def bob(access: AccessService, admin_actor: Actor) -> IssuedKey:
    return access.create_key(admin_actor, user="bob", create_user=True)


def test_ensure_admin_runs_once(access: AccessService, admin: IssuedKey) -> None:
    assert admin.user.is_admin
    assert is_access_key_id(admin.key.id)
    assert access.ensure_admin() is None


def test_secret_is_stored_encrypted_and_resolves(access: AccessService, admin: IssuedKey) -> None:
    assert admin.secret.encode() != admin.key.secret_ciphertext
    resolved = access.resolve(admin.key.id)
    assert resolved.secret == admin.secret
    assert resolved.actor == Actor(admin.user.id, "admin")


def test_users_manage_only_their_own_keys(
    access: AccessService, admin_actor: Actor, bob: IssuedKey
) -> None:
    bob_actor = _actor(bob)
    with pytest.raises(PermissionDenied):
        access.create_key(bob_actor, user="admin")
    with pytest.raises(NotFound):
        access.disable_key(bob_actor, access.list_keys(admin_actor, user="admin")[0][0].id)
    second = access.create_key(bob_actor)
    assert {k.id for k, _ in access.list_keys(bob_actor)} == {bob.key.id, second.key.id}
    assert len(access.list_keys(admin_actor)) == 3


def test_disable_enable_revoke(access: AccessService, admin_actor: Actor, bob: IssuedKey) -> None:
    assert access.disable_key(admin_actor, bob.key.id).status is KeyStatus.DISABLED
    with pytest.raises(Unauthenticated) as caught:
        access.resolve(bob.key.id)
    assert caught.value.code == ErrorCode.ACCESS_KEY_DISABLED
    access.enable_key(admin_actor, bob.key.id)
    access.resolve(bob.key.id)
    access.revoke_key(_actor(bob), bob.key.id)
    with pytest.raises(Unauthenticated) as caught:
        access.resolve(bob.key.id)
    assert caught.value.code == ErrorCode.UNKNOWN_ACCESS_KEY


def test_create_key_for_missing_user_without_create_flag(
    access: AccessService, admin_actor: Actor
) -> None:
    with pytest.raises(NotFound):
        access.create_key(admin_actor, user="nobody")


def test_members_crud_and_roles(access: AccessService, admin_actor: Actor, bob: IssuedKey) -> None:
    bob_actor = _actor(bob)
    assert access.role_for(admin_actor, SCOPE) is Role.OWNER
    assert access.role_for(bob_actor, SCOPE) is None
    with pytest.raises(NotFound):
        access.list_members(bob_actor, SCOPE, Page())
    access.create_member(admin_actor, SCOPE, "user:bob", Role.VIEWER)
    with pytest.raises(Conflict):
        access.create_member(admin_actor, SCOPE, "bob", Role.EDITOR)
    assert access.role_for(bob_actor, SCOPE) is Role.VIEWER
    assert access.read_member(bob_actor, SCOPE, f"user:{bob.user.id}").role is Role.VIEWER
    with pytest.raises(PermissionDenied):
        access.create_member(bob_actor, SCOPE, "admin", Role.VIEWER)
    access.update_member(admin_actor, SCOPE, "bob", Role.OWNER)
    members, total = access.list_members(bob_actor, SCOPE, Page())
    assert total == 1
    assert members[0].role is Role.OWNER
    access.delete_member(bob_actor, SCOPE, "user:bob")
    assert access.role_for(bob_actor, SCOPE) is None
    with pytest.raises(NotFound):
        access.delete_member(admin_actor, SCOPE, "bob")


def test_member_of_unknown_namespace_or_user(access: AccessService, admin_actor: Actor) -> None:
    with pytest.raises(NotFound):
        access.create_member(admin_actor, Scope("ws1", "missing"), "admin", Role.VIEWER)
    with pytest.raises(NotFound):
        access.create_member(admin_actor, SCOPE, "user:ghost", Role.VIEWER)


def test_editable_namespaces(access: AccessService, admin_actor: Actor, bob: IssuedKey) -> None:
    assert [(n.workspace, n.namespace) for n in access.editable_namespaces(admin_actor)] == [
        ("ws1", "ns1"),
        ("ws1", "ns2"),
        ("ws2", "ns1"),
    ]
    access.create_member(admin_actor, SCOPE, "bob", Role.EDITOR)
    access.create_member(admin_actor, Scope("ws1", "ns2"), "bob", Role.VIEWER)
    found = access.editable_namespaces(_actor(bob))
    assert [(n.workspace, n.namespace, n.role) for n in found] == [("ws1", "ns1", Role.EDITOR)]
    assert access.editable_namespaces(_actor(bob), workspace="ws2") == []


def test_audit_is_for_owners_newest_first(
    access: AccessService, admin_actor: Actor, bob: IssuedKey
) -> None:
    for index in range(3):
        access.record_audit(
            AuditEntry(
                id=f"a{index}",
                at=START + timedelta(seconds=index),
                actor_id=admin_actor.id,
                actor_name="admin",
                action="POST /x",
                resource="/x",
                request_id=None,
                status_code=200,
                workspace="ws1",
                namespace="ns1",
            )
        )
    entries, total = access.read_audit(admin_actor, SCOPE, Page(limit=2))
    assert total == 3
    assert [e.id for e in entries] == ["a2", "a1"]
    access.create_member(admin_actor, SCOPE, "bob", Role.EDITOR)
    with pytest.raises(PermissionDenied):
        access.read_audit(_actor(bob), SCOPE, Page())


def test_parse_role() -> None:
    assert parse_role("viewer") is Role.VIEWER
    assert parse_role("ADMIN") is Role.OWNER
    with pytest.raises(InvalidInput):
        parse_role("root")


_MATRIX = {
    Role.OWNER: set(Permission),
    Role.EDITOR: {Permission.READ, Permission.WRITE},
    Role.VIEWER: {Permission.READ},
}


@given(role=st.sampled_from(Role), permission=st.sampled_from(Permission))
def test_role_matrix(role: Role, permission: Permission) -> None:
    assert role.allows(permission) == (permission in _MATRIX[role])


@pytest.mark.parametrize("role", [*Role, None])
@pytest.mark.parametrize("permission", list(Permission))
def test_authorize_matrix_through_the_service(
    access: AccessService,
    admin_actor: Actor,
    bob: IssuedKey,
    role: Role | None,
    permission: Permission,
) -> None:
    if role is not None:
        access.create_member(admin_actor, SCOPE, "bob", role)
    if role is None:
        with pytest.raises(NotFound):
            access.authorize(_actor(bob), SCOPE, permission)
    elif permission in _MATRIX[role]:
        assert access.authorize(_actor(bob), SCOPE, permission) is role
    else:
        with pytest.raises(PermissionDenied):
            access.authorize(_actor(bob), SCOPE, permission)
    # Admins are owners of every namespace, member or not.
    assert access.authorize(admin_actor, Scope("ws2", "anything"), permission) is Role.OWNER


class CountingCipher(PlainCipher):
    def __init__(self) -> None:
        self.decrypted = 0

    def decrypt(self, ciphertext: bytes) -> str:
        self.decrypted += 1
        return super().decrypt(ciphertext)


def test_lookup_finds_keys_whatever_their_status_and_costs_the_same_for_unknown_ones(
    access_store: InMemoryAccessStore,
) -> None:
    cipher = CountingCipher()
    service = AccessService(access_store, cipher)
    admin = service.ensure_admin()
    assert admin is not None
    service.disable_key(Actor(admin.user.id, admin.user.name), admin.key.id)
    found = service.lookup(admin.key.id)
    assert found is not None
    assert (found.key.active, found.secret) == (False, admin.secret)
    before = (cipher.decrypted, access_store.transactions)
    assert service.lookup("MSUNKNOWN") is None
    # One transaction and one decryption, as for a key that exists.
    assert (cipher.decrypted, access_store.transactions) == (before[0] + 1, before[1] + 1)
