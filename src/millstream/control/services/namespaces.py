"""Namespace use cases: create a namespace, read and change its profile (description and
string attributes), delete it with everything it owns.

Creating and deleting a namespace is an administrator's operation (the access service's
``User.is_admin``, as for access keys and users); the creator becomes the new
namespace's OWNER (a member row, so the role outlives a later loss of admin rights).
Changing the profile needs the OWNER role there. A deletion is refused, naming what is
in the way, while the namespace has deployments, live jobs, session clusters or a queue
bound to it alone (unbinding that queue would open it to every namespace); the
installation's default namespace is never deleted. A deletion also removes the
namespace's files from the artifact store (``artifacts``), so a namespace created later
under the same name starts empty. Without an access service (tests,
tools wiring part of the server) every caller may. The API dialects call it through
``Services.namespaces``; the rows live behind ``NamespaceStore``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Protocol

from millstream.control.artifact_ports import StoredArtifact
from millstream.control.context import Actor, Scope
from millstream.control.namespace_ports import NamespaceRepositories, NamespaceStore
from millstream.domain.access import Member, Permission, Role, User
from millstream.domain.errors import Conflict, ErrorCode, NotFound, PermissionDenied
from millstream.domain.namespace_profiles import (
    NamespaceProfile,
    validate_attributes,
    validate_description,
)
from millstream.domain.namespaces import validate_name

__all__ = ["NamespaceAccess", "NamespaceArtifacts", "NamespaceService"]


class NamespaceArtifacts(Protocol):
    """What the service needs of ``ArtifactService``: the namespace's stored files."""

    def list(self, scope: Scope) -> list[StoredArtifact]: ...
    def delete(self, scope: Scope, actor: Actor, name: str) -> None: ...


class NamespaceAccess(Protocol):
    """What the service needs of ``AccessService``: users, roles, members."""

    def read_user(self, reference: str) -> User: ...
    def authorize(self, actor: Actor, scope: Scope, permission: Permission) -> Role: ...
    def create_member(self, actor: Actor, scope: Scope, member: str, role: Role) -> Member: ...


class NamespaceService:
    def __init__(
        self,
        store: NamespaceStore,
        access: NamespaceAccess | None,
        *,
        protected: Collection[tuple[str, str]] = (),
        artifacts: NamespaceArtifacts | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._access = access
        # (workspace, namespace) pairs that are never deleted: the installation's defaults.
        self._protected = frozenset(protected)
        self._clock = clock
        self._artifacts = artifacts

    def create(
        self,
        workspace: str,
        actor: Actor,
        name: str,
        *,
        description: str = "",
        attributes: Mapping[str, str] | None = None,
    ) -> NamespaceProfile:
        validate_name(name, "namespace name")
        validate_description(description)
        values = validate_attributes(dict(attributes or {}))
        self._require_admin(actor, f"create namespace {name!r}")
        now = self._clock()
        profile = NamespaceProfile(
            workspace=workspace,
            name=name,
            id=str(uuid.uuid4()),
            created_at=now,
            description=description,
            attributes=values,
            creator=actor.id,
            modifier=actor.id,
            modified_at=now,
        )
        with self._store.transaction() as repos:
            if repos.read_profile(workspace=workspace, name=name) is not None:
                raise Conflict(
                    f"namespace {name!r} already exists in workspace {workspace!r}",
                    code=ErrorCode.CONFLICT,
                )
            repos.create_profile(profile=profile)
        if self._access is not None:
            self._access.create_member(actor, Scope(workspace, name), actor.id, Role.OWNER)
        return profile

    def get(self, scope: Scope) -> NamespaceProfile:
        with self._store.transaction() as repos:
            return _require(repos, scope)

    def update(
        self,
        scope: Scope,
        actor: Actor,
        *,
        description: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> NamespaceProfile:
        """Set the description and/or merge ``attributes`` in (an empty value removes one)."""
        if description is not None:
            validate_description(description)
        if self._access is not None:
            self._access.authorize(actor, scope, Permission.MANAGE_MEMBERS)  # OWNER only
        with self._store.transaction() as repos:
            profile = _require(repos, scope)
            if description is not None:
                profile.description = description
            if attributes:
                merged = {**profile.attributes, **attributes}
                profile.attributes = validate_attributes({k: v for k, v in merged.items() if v})
            profile.modifier = actor.id
            profile.modified_at = self._clock()
            repos.update_profile(profile=profile)
        return profile

    def delete(self, scope: Scope, actor: Actor) -> None:
        self._require_admin(actor, f"delete namespace {scope.namespace!r}")
        if (scope.workspace, scope.namespace) in self._protected:
            raise Conflict(
                f"namespace {scope.namespace!r} is the installation's default namespace "
                "and cannot be deleted",
                code=ErrorCode.CONFLICT,
            )
        with self._store.transaction() as repos:
            _require_unused(repos, scope)
        if self._artifacts is not None:
            # Files live outside the database: removed once nothing is in the way (and
            # while the namespace still exists, which the artifact service requires).
            for stored in self._artifacts.list(scope):
                self._artifacts.delete(scope, actor, stored.name)
        with self._store.transaction() as repos:
            _require_unused(repos, scope)  # again: a job may have been created meanwhile
            repos.delete_namespace(workspace=scope.workspace, name=scope.namespace)

    def _require_admin(self, actor: Actor, what: str) -> None:
        if self._access is None:
            return
        if not self._access.read_user(actor.id).is_admin:
            raise PermissionDenied(
                f"only an administrator may {what}", code=ErrorCode.PERMISSION_DENIED
            )


def _require(repos: NamespaceRepositories, scope: Scope) -> NamespaceProfile:
    profile = repos.read_profile(workspace=scope.workspace, name=scope.namespace)
    if profile is None:
        raise NotFound(
            f"namespace {scope.namespace!r} not found in workspace {scope.workspace!r}",
            code=ErrorCode.NAMESPACE_NOT_FOUND,
        )
    return profile


def _require_unused(repos: NamespaceRepositories, scope: Scope) -> None:
    _require(repos, scope)
    blockers = repos.read_use(workspace=scope.workspace, name=scope.namespace).blockers()
    if blockers:
        raise Conflict(
            f"namespace {scope.namespace!r} cannot be deleted: it still has " + "; ".join(blockers),
            code=ErrorCode.CONFLICT,
        )
