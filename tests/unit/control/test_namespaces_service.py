"""``NamespaceService`` over an in-memory ``NamespaceStore`` and access service: name
and profile checks, who may create and delete, the creator's OWNER role, and deletions
refused while the namespace still runs something (saying what)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from millstream.control.context import Actor, Scope
from millstream.control.services.namespaces import NamespaceService
from millstream.domain.access import Member, Permission, Role, User
from millstream.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from millstream.domain.namespace_profiles import NamespaceProfile, NamespaceUse

WS = "ws"
NOW = datetime(2026, 12, 4, tzinfo=UTC)


class _Repos:
    def __init__(self, store: InMemoryNamespaceStore) -> None:
        self._store = store

    def read_profile(self, *, workspace: str, name: str) -> NamespaceProfile | None:
        found = self._store.profiles.get((workspace, name))
        return replace(found, attributes=dict(found.attributes)) if found else None

    def create_profile(self, *, profile: NamespaceProfile) -> None:
        self._store.profiles[(profile.workspace, profile.name)] = profile

    def update_profile(self, *, profile: NamespaceProfile) -> None:
        self._store.profiles[(profile.workspace, profile.name)] = profile

    def read_use(self, *, workspace: str, name: str) -> NamespaceUse:
        return self._store.use.get((workspace, name), NamespaceUse())

    def delete_namespace(self, *, workspace: str, name: str) -> None:
        del self._store.profiles[(workspace, name)]
        self._store.deleted.append(name)


class InMemoryNamespaceStore:
    def __init__(self) -> None:
        self.profiles: dict[tuple[str, str], NamespaceProfile] = {}
        self.use: dict[tuple[str, str], NamespaceUse] = {}
        self.deleted: list[str] = []

    @contextmanager
    def transaction(self) -> Iterator[_Repos]:
        yield _Repos(self)


class FakeAccess:
    """Users, roles and members in memory (admins are OWNER everywhere)."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.roles: dict[tuple[Scope, str], Role] = {}

    def create_user(self, name: str, *, is_admin: bool = False) -> User:
        user = User(id=f"id-{name}", name=name, is_admin=is_admin, created_at=NOW)
        self.users[user.id] = user
        return user

    def read_user(self, reference: str) -> User:
        return self.users[reference]

    def role_for(self, actor: Actor, scope: Scope) -> Role | None:
        if self.users[actor.id].is_admin:
            return Role.OWNER
        return self.roles.get((scope, actor.id))

    def authorize(self, actor: Actor, scope: Scope, permission: Permission) -> Role:
        role = self.role_for(actor, scope)
        if role is None or not role.allows(permission):
            raise PermissionDenied("no")
        return role

    def create_member(self, actor: Actor, scope: Scope, member: str, role: Role) -> Member:
        self.authorize(actor, scope, Permission.MANAGE_MEMBERS)
        self.roles[(scope, member)] = role
        return Member(scope.workspace, scope.namespace, member, role, NOW, NOW)


@pytest.fixture
def access() -> FakeAccess:
    return FakeAccess()


def _admin(access: FakeAccess) -> Actor:
    user = access.create_user("root", is_admin=True)
    return Actor(user.id, user.name)


def test_create_validates_and_makes_the_creator_owner(access: FakeAccess) -> None:
    store = InMemoryNamespaceStore()
    service = NamespaceService(store, access, clock=lambda: NOW)
    admin = _admin(access)
    with pytest.raises(InvalidInput, match="namespace name"):
        service.create(WS, admin, "Not_Valid")
    with pytest.raises(InvalidInput, match="description"):
        service.create(WS, admin, "etl", description="x" * 2000)
    created = service.create(WS, admin, "etl", description="nightly", attributes={"a": "1"})
    assert (created.creator, created.created_at, created.attributes) == (admin.id, NOW, {"a": "1"})
    assert access.roles[(Scope(WS, "etl"), admin.id)] is Role.OWNER
    with pytest.raises(Conflict, match="already exists"):
        service.create(WS, admin, "etl")


def test_only_administrators_create_and_delete(access: FakeAccess) -> None:
    store = InMemoryNamespaceStore()
    service = NamespaceService(store, access)
    admin = _admin(access)
    service.create(WS, admin, "etl")
    bob = access.create_user("bob")
    with pytest.raises(PermissionDenied, match="administrator"):
        service.create(WS, Actor(bob.id, bob.name), "mine")
    with pytest.raises(PermissionDenied, match="administrator"):
        service.delete(Scope(WS, "etl"), Actor(bob.id, bob.name))
    assert store.deleted == []


def test_update_merges_attributes_and_needs_the_owner_role(access: FakeAccess) -> None:
    store = InMemoryNamespaceStore()
    service = NamespaceService(store, access)
    admin = _admin(access)
    service.create(WS, admin, "etl", attributes={"a": "1", "b": "2"})
    updated = service.update(
        Scope(WS, "etl"), admin, description="d", attributes={"b": "", "c": "3"}
    )
    assert (updated.description, updated.attributes) == ("d", {"a": "1", "c": "3"})
    assert service.get(Scope(WS, "etl")).attributes == {"a": "1", "c": "3"}
    bob = access.create_user("bob")
    access.roles[(Scope(WS, "etl"), bob.id)] = Role.EDITOR
    with pytest.raises(PermissionDenied):
        service.update(Scope(WS, "etl"), Actor(bob.id, bob.name), description="x")
    with pytest.raises(NotFound):
        service.get(Scope(WS, "nope"))


def test_delete_is_refused_while_the_namespace_runs_something(access: FakeAccess) -> None:
    store = InMemoryNamespaceStore()
    service = NamespaceService(store, access, protected=[(WS, "default")])
    admin = _admin(access)
    service.create(WS, admin, "etl")
    store.use[(WS, "etl")] = NamespaceUse(deployments=2, live_jobs=1, clusters=("s1",))
    with pytest.raises(Conflict) as refused:
        service.delete(Scope(WS, "etl"), admin)
    message = refused.value.message
    assert "1 live job(s)" in message
    assert "2 deployment(s)" in message
    assert "s1" in message
    store.use.clear()
    service.delete(Scope(WS, "etl"), admin)
    assert store.deleted == ["etl"]
    with pytest.raises(NotFound):
        service.delete(Scope(WS, "etl"), admin)
    with pytest.raises(Conflict, match="default namespace"):
        service.delete(Scope(WS, "default"), admin)


def test_without_an_access_service_anyone_may() -> None:
    store = InMemoryNamespaceStore()
    service = NamespaceService(store, None)
    service.create(WS, Actor("u", "u"), "etl")
    service.delete(Scope(WS, "etl"), Actor("u", "u"))
    assert store.deleted == ["etl"]


def test_blockers_name_each_reason() -> None:
    assert NamespaceUse().blockers() == []
    reasons = NamespaceUse(sole_queues=("q",)).blockers()
    assert len(reasons) == 1
    assert "queue(s) q" in reasons[0]
