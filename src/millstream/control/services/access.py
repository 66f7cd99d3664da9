"""Access use cases: users and their access keys, namespace members and roles, replay
protection and the audit log.

``api.auth`` calls ``cached_key``/``lookup``, ``accept`` and ``authorize`` on every
signed request (the console calls ``resolve``); the native member routes, the admin keys
API, the CLI (through the API) and the app factory's first start (``ensure_admin``) call
the rest. Admin users are OWNER of every namespace; everyone else needs a ``Member`` row,
and a namespace without one is invisible to them (``NotFound``, never a hint that it
exists).

The request path (a key and role cache per process, kept current across replicas by the
store's access generation) is ``access_checks.RequestChecks``; the methods here hand
over to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from millstream.control.access_ports import (
    AccessRepositories,
    AccessStore,
    NonceLedger,
    SecretCipher,
)
from millstream.control.context import Actor, Scope
from millstream.control.ports import Page
from millstream.control.services.access_cache import Entry
from millstream.control.services.access_checks import (
    AccessChanged,
    AccessGrant,
    RequestChecks,
    ResolvedKey,
    permitted,
    role_in,
)
from millstream.domain.access import (
    AccessKey,
    AuditEntry,
    KeyStatus,
    Member,
    Permission,
    Role,
    User,
    new_access_key_id,
    new_secret,
    validate_user_name,
)
from millstream.domain.errors import (
    Conflict,
    ErrorCode,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)

__all__ = [
    "ADMIN_NAME",
    "AccessChanged",
    "AccessGrant",
    "AccessService",
    "EditableNamespace",
    "IssuedKey",
    "ResolvedKey",
]

ADMIN_NAME = "admin"
_MEMBER_PREFIX = "user:"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key and its secret: the only time the secret is available in plain text."""

    key: AccessKey
    user: User
    secret: str


@dataclass(frozen=True, slots=True)
class EditableNamespace:
    workspace: str
    namespace: str
    role: Role


class AccessService:
    """Users, keys, members, audit. Every method is one transaction."""

    def __init__(
        self,
        store: AccessStore,
        cipher: SecretCipher,
        *,
        clock: Callable[[], datetime] = _utc_now,
        touch_interval: timedelta = timedelta(minutes=1),
        nonce_window: timedelta = timedelta(minutes=15),
        nonce_store: NonceLedger | None = None,
    ) -> None:
        """``nonce_store``: where nonces are spent (default a transaction of ``store``;
        the server gives the nonce writer a connection of its own)."""
        self._store = store
        self._cipher = cipher
        self._clock = clock
        self._checks = RequestChecks(
            store,
            cipher,
            clock=clock,
            touch_interval=touch_interval,
            nonce_window=nonce_window,
            nonce_store=nonce_store,
        )

    # ------------------------------------------------------------------ users and keys

    def create_user(self, name: str, *, is_admin: bool = False) -> User:
        validate_user_name(name)
        user = User(id=str(uuid.uuid4()), name=name, is_admin=is_admin, created_at=self._clock())
        with self._store.transaction() as repos:
            if repos.read_user_by_name(name=name) is not None:
                raise Conflict(f"user {name!r} already exists", code=ErrorCode.USER_EXISTS)
            repos.create_user(user=user)
        return user

    def read_user(self, reference: str) -> User:
        """A user by id or name."""
        with self._store.transaction() as repos:
            return _require_user(repos, reference)

    def list_users(self) -> list[User]:
        with self._store.transaction() as repos:
            return repos.read_users()

    def ensure_admin(self, name: str = ADMIN_NAME) -> IssuedKey | None:
        """First start: create an admin user with one key; None when an admin exists.

        Safe when several replicas start at once: the user name is unique, so only one
        insert wins and the others return None.
        """
        now = self._clock()
        user = User(id=str(uuid.uuid4()), name=name, is_admin=True, created_at=now)
        secret = new_secret()
        key = self._new_key(user.id, secret, now)
        try:
            with self._store.transaction() as repos:
                if repos.read_users(admins_only=True) or repos.read_user_by_name(name=name):
                    return None
                repos.create_user(user=user)
                repos.create_key(key=key)
        except Conflict:
            return None
        return IssuedKey(key=key, user=user, secret=secret)

    def create_key(
        self, actor: Actor, *, user: str | None = None, create_user: bool = False
    ) -> IssuedKey:
        """A new key for the caller, or (admins only) for the user named ``user``, which
        is created first when ``create_user`` is set and it does not exist yet."""
        now = self._clock()
        secret = new_secret()
        with self._store.transaction() as repos:
            caller = _require_caller(repos, actor)
            if user is None or user in (caller.id, caller.name):
                owner = caller
            else:
                if not caller.is_admin:
                    raise PermissionDenied(
                        "only an admin can create keys for another user",
                        code=ErrorCode.PERMISSION_DENIED,
                    )
                found = _find_user(repos, user)
                if found is None and create_user:
                    validate_user_name(user)
                    found = User(id=str(uuid.uuid4()), name=user, is_admin=False, created_at=now)
                    repos.create_user(user=found)
                if found is None:
                    raise NotFound(f"user {user!r} not found", code=ErrorCode.USER_NOT_FOUND)
                owner = found
            key = self._new_key(owner.id, secret, now)
            repos.create_key(key=key)
        return IssuedKey(key=key, user=owner, secret=secret)

    def list_keys(self, actor: Actor, *, user: str | None = None) -> list[tuple[AccessKey, User]]:
        """The caller's keys; admins see everyone's (or one user's with ``user``)."""
        with self._store.transaction() as repos:
            caller = _require_caller(repos, actor)
            if user is not None:
                owner = _require_user(repos, user)
                if owner.id != caller.id and not caller.is_admin:
                    raise PermissionDenied("only an admin can list another user's keys")
                keys = repos.read_keys(user_id=owner.id)
            elif caller.is_admin:
                keys = repos.read_keys()
            else:
                keys = repos.read_keys(user_id=caller.id)
            users = {u.id: u for u in repos.read_users()}
        return [(key, users[key.user_id]) for key in keys if key.user_id in users]

    def disable_key(self, actor: Actor, key_id: str) -> AccessKey:
        return self._set_status(actor, key_id, KeyStatus.DISABLED)

    def enable_key(self, actor: Actor, key_id: str) -> AccessKey:
        return self._set_status(actor, key_id, KeyStatus.ACTIVE)

    def revoke_key(self, actor: Actor, key_id: str) -> None:
        """Delete a key for good; requests signed with it fail from now on."""
        with self._store.transaction() as repos:
            self._owned_key(repos, actor, key_id)
            repos.delete_key(key_id=key_id)

    # ------------------------------------------------------------------ request checks
    # The request path and its caches live in ``access_checks.RequestChecks``.

    def resolve(self, key_id: str) -> ResolvedKey:
        """The active key ``key_id`` (``Unauthenticated`` when unknown or disabled)."""
        return self._checks.resolve(key_id)

    def lookup(self, key_id: str) -> ResolvedKey | None:
        """The key whatever its status, read from the store (None when unknown)."""
        return self._checks.lookup(key_id)

    def cached_key(self, key_id: str) -> Entry[ResolvedKey] | None:
        """The key as this process last looked it up, without the store."""
        return self._checks.cached_key(key_id)

    def accept(self, resolved: ResolvedKey, *, nonce: str | None) -> AccessGrant:
        """Spend the nonce of a verified request and check its key is current."""
        return self._checks.accept(resolved, nonce=nonce)

    def role_for(
        self, actor: Actor, scope: Scope, *, grant: AccessGrant | None = None
    ) -> Role | None:
        """The caller's role in the namespace; admins are OWNER everywhere."""
        return self._checks.role_for(actor, scope, grant=grant)

    def cached_role(self, actor: Actor, scope: Scope, grant: AccessGrant) -> Entry[Role] | None:
        """The caller's role as cached at ``grant``'s generation, without the store."""
        return self._checks.cached_role(actor, scope, grant)

    def authorize(
        self,
        actor: Actor,
        scope: Scope,
        permission: Permission,
        *,
        grant: AccessGrant | None = None,
    ) -> Role:
        """The caller's role if it allows ``permission``: ``NotFound`` without a role
        (the namespace is invisible), ``PermissionDenied`` when it is too weak."""
        return self._checks.authorize(actor, scope, permission, grant=grant)

    # ------------------------------------------------------------------ roles

    def editable_namespaces(
        self, actor: Actor, *, workspace: str | None = None, namespace: str | None = None
    ) -> list[EditableNamespace]:
        """Namespaces where the caller may change resources (OWNER or EDITOR)."""
        with self._store.transaction() as repos:
            caller = _require_caller(repos, actor)
            if caller.is_admin:
                found = [
                    EditableNamespace(ws, ns, Role.OWNER)
                    for ws, ns in repos.read_namespace_names(workspace=workspace)
                ]
            else:
                found = [
                    EditableNamespace(m.workspace, m.namespace, m.role)
                    for m in repos.read_memberships(user_id=caller.id)
                    if m.role.can_edit and workspace in (None, m.workspace)
                ]
        found = [n for n in found if namespace in (None, n.namespace)]
        return sorted(found, key=lambda n: (n.workspace, n.namespace))

    # ------------------------------------------------------------------ members

    def create_member(self, actor: Actor, scope: Scope, member: str, role: Role) -> Member:
        now = self._clock()
        with self._store.transaction() as repos:
            _authorize(repos, actor, scope, Permission.MANAGE_MEMBERS)
            _require_namespace(repos, scope)
            user = _require_member_user(repos, member)
            if repos.read_member(
                workspace=scope.workspace, namespace=scope.namespace, user_id=user.id
            ):
                raise Conflict(
                    f"{member!r} is already a member of namespace {scope.namespace!r}; "
                    "change the member's role instead",
                    code=ErrorCode.MEMBER_EXISTS,
                )
            created = Member(scope.workspace, scope.namespace, user.id, role, now, now)
            repos.create_member(member=created)
        return created

    def read_member(self, actor: Actor, scope: Scope, member: str) -> Member:
        with self._store.transaction() as repos:
            _authorize(repos, actor, scope, Permission.READ)
            return _require_member(repos, scope, member)

    def update_member(self, actor: Actor, scope: Scope, member: str, role: Role) -> Member:
        with self._store.transaction() as repos:
            _authorize(repos, actor, scope, Permission.MANAGE_MEMBERS)
            found = _require_member(repos, scope, member)
            found.role = role
            found.modified_at = self._clock()
            repos.update_member(member=found)
        return found

    def delete_member(self, actor: Actor, scope: Scope, member: str) -> None:
        with self._store.transaction() as repos:
            _authorize(repos, actor, scope, Permission.MANAGE_MEMBERS)
            found = _require_member(repos, scope, member)
            repos.delete_member(
                workspace=found.workspace, namespace=found.namespace, user_id=found.user_id
            )

    def list_members(self, actor: Actor, scope: Scope, page: Page) -> tuple[list[Member], int]:
        with self._store.transaction() as repos:
            _authorize(repos, actor, scope, Permission.READ)
            return repos.read_members(
                workspace=scope.workspace, namespace=scope.namespace, page=page
            )

    # ------------------------------------------------------------------ audit

    def record_audit(self, entry: AuditEntry) -> None:
        with self._store.transaction() as repos:
            repos.create_audit_entry(entry=entry)

    def read_audit(self, actor: Actor, scope: Scope, page: Page) -> tuple[list[AuditEntry], int]:
        """The namespace's audit log, newest first; owners only."""
        with self._store.transaction() as repos:
            _authorize(repos, actor, scope, Permission.READ_AUDIT)
            return repos.read_audit_entries(
                workspace=scope.workspace, namespace=scope.namespace, page=page
            )

    # ------------------------------------------------------------------ helpers

    def _new_key(self, user_id: str, secret: str, now: datetime) -> AccessKey:
        return AccessKey(
            id=new_access_key_id(),
            user_id=user_id,
            secret_ciphertext=self._cipher.encrypt(secret),
            status=KeyStatus.ACTIVE,
            created_at=now,
        )

    def _set_status(self, actor: Actor, key_id: str, status: KeyStatus) -> AccessKey:
        with self._store.transaction() as repos:
            key = self._owned_key(repos, actor, key_id)
            key.status = status
            repos.update_key(key=key)
        return key

    @staticmethod
    def _owned_key(repos: AccessRepositories, actor: Actor, key_id: str) -> AccessKey:
        caller = _require_caller(repos, actor)
        key = repos.read_key(key_id=key_id)
        # Someone else's key is reported missing, not forbidden: ids are not disclosed.
        if key is None or (key.user_id != caller.id and not caller.is_admin):
            raise NotFound(f"access key {key_id!r} not found", code=ErrorCode.ACCESS_KEY_NOT_FOUND)
        return key


def _find_user(repos: AccessRepositories, reference: str) -> User | None:
    return repos.read_user(user_id=reference) or repos.read_user_by_name(name=reference)


def _require_user(repos: AccessRepositories, reference: str) -> User:
    user = _find_user(repos, reference)
    if user is None:
        raise NotFound(f"user {reference!r} not found", code=ErrorCode.USER_NOT_FOUND)
    return user


def _require_caller(repos: AccessRepositories, actor: Actor) -> User:
    user = repos.read_user(user_id=actor.id)
    if user is None:
        raise Unauthenticated("the caller's user no longer exists", code=ErrorCode.USER_NOT_FOUND)
    return user


def _require_member_user(repos: AccessRepositories, member: str) -> User:
    """The user a wire member id names: ``user:<id or name>`` or a bare id or name."""
    reference = member.removeprefix(_MEMBER_PREFIX)
    user = _find_user(repos, reference)
    if user is None:
        raise NotFound(f"user {member!r} not found", code=ErrorCode.USER_NOT_FOUND)
    return user


def _require_member(repos: AccessRepositories, scope: Scope, member: str) -> Member:
    user = _find_user(repos, member.removeprefix(_MEMBER_PREFIX))
    found = (
        repos.read_member(workspace=scope.workspace, namespace=scope.namespace, user_id=user.id)
        if user is not None
        else None
    )
    if found is None:
        raise NotFound(
            f"{member!r} is not a member of namespace {scope.namespace!r}",
            code=ErrorCode.MEMBER_NOT_FOUND,
        )
    return found


def _require_namespace(repos: AccessRepositories, scope: Scope) -> None:
    if (scope.workspace, scope.namespace) not in repos.read_namespace_names(
        workspace=scope.workspace
    ):
        raise NotFound(
            f"namespace {scope.namespace!r} not found in workspace {scope.workspace!r}",
            code=ErrorCode.NAMESPACE_NOT_FOUND,
        )


def _authorize(
    repos: AccessRepositories, actor: Actor, scope: Scope, permission: Permission
) -> Role:
    return permitted(role_in(repos, actor, scope), scope, permission)
