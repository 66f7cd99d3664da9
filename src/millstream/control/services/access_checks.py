"""The access checks of every API request: keys (with their decrypted secrets) and roles,
cached in the process, each entry tagged with the store's access generation it was read
at (``access_cache``); nonces spent in the store.

``AccessService`` builds one ``RequestChecks`` and exposes its methods (``lookup``,
``cached_key``, ``accept``, ``role_for``, ``authorize``, ``resolve``); ``api.auth`` calls
them on every request, the console calls ``resolve`` and ``authorize``. A request is one
small transaction once its key and role are cached (shared with the requests arriving
with it: ``nonce_batches``): ``accept`` reads the generation in the transaction that
spends the nonce, re-checks a key cached at another generation
(``AccessChanged`` when it changed: the caller looks it up again), and
``authorize(..., grant=)`` uses a cached role only if it was read at the generation that
request's ``accept`` saw. A change by any process or replica applies to the next
request everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from millstream.control.access_ports import (
    AccessRepositories,
    AccessStore,
    NonceLedger,
    SecretCipher,
)
from millstream.control.context import Actor, Scope
from millstream.control.services.access_cache import Entry, GenerationCache
from millstream.control.services.nonce_batches import NonceBatches, Spent, TransactionalLedger
from millstream.domain.access import AccessKey, Permission, Role, new_secret
from millstream.domain.errors import ErrorCode, NotFound, PermissionDenied, Unauthenticated

__all__ = [
    "AccessChanged",
    "AccessGrant",
    "RequestChecks",
    "ResolvedKey",
    "permitted",
    "role_in",
]


_MAX_RETRIED = 1024


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    """An active key, its owner and the plain secret a verifier checks signatures with;
    ``generation``: the access generation it was read at (None: unknown)."""

    key: AccessKey
    actor: Actor
    secret: str
    generation: int | None = None


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """What ``accept`` checked: the access generation of this request (roles cached at
    it are current)."""

    generation: int


class AccessChanged(Exception):
    """The cached key a request was verified with changed in the store (disabled,
    deleted, another owner or secret): look the key up again and verify anew."""


class RequestChecks:
    """Authentication and role checks over an ``AccessStore``, with this process's caches."""

    def __init__(
        self,
        store: AccessStore,
        cipher: SecretCipher,
        *,
        clock: Callable[[], datetime],
        touch_interval: timedelta,
        nonce_window: timedelta,
        nonce_store: NonceLedger | None = None,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._clock = clock
        self._touch_interval = touch_interval
        self._nonce_window = nonce_window
        self._prune_lock = threading.Lock()
        self._last_prune: datetime | None = None
        self._decoy_ciphertext: bytes | None = None  # decrypted for unknown keys (lookup)
        self._keys: GenerationCache[str, ResolvedKey] = GenerationCache()
        self._roles: GenerationCache[tuple[str, str, str], Role] = GenerationCache()
        self._touched: dict[str, datetime] = {}  # key id -> last_used_at this process wrote
        self._nonces = NonceBatches(
            TransactionalLedger(store) if nonce_store is None else nonce_store
        )
        self._retried: dict[tuple[str, str], Spent] = {}  # nonces of AccessChanged requests

    def resolve(self, key_id: str) -> ResolvedKey:
        """The active key ``key_id`` with its owner and decrypted secret.

        Raises ``Unauthenticated`` with the clouds' codes for an unknown or disabled key.
        """
        with self._store.transaction() as repos:
            key = repos.read_key(key_id=key_id)
            user = repos.read_user(user_id=key.user_id) if key is not None else None
        if key is None or user is None:
            raise Unauthenticated(
                "the access key id does not exist", code=ErrorCode.UNKNOWN_ACCESS_KEY
            )
        if not key.active:
            raise Unauthenticated("the access key is disabled", code=ErrorCode.ACCESS_KEY_DISABLED)
        return ResolvedKey(
            key=key,
            actor=Actor(id=user.id, name=user.name),
            secret=self._cipher.decrypt(key.secret_ciphertext),
        )

    def lookup(self, key_id: str) -> ResolvedKey | None:
        """The key ``key_id`` whatever its status (None when unknown), for a verifier
        that must check the signature before it may say anything about the key.

        An unknown key costs what a known one does (a user read and a decryption), so
        the time of the answer does not tell whether a key id exists.
        """
        with self._store.transaction() as repos:
            generation = repos.read_access_generation()
            key = repos.read_key(key_id=key_id)
            user = repos.read_user(user_id=key.user_id if key is not None else "")
        if key is None or user is None:
            self._cipher.decrypt(self._decoy())
            self._keys.put(key_id, None, generation)
            return None
        found = ResolvedKey(
            key=key,
            actor=Actor(id=user.id, name=user.name),
            secret=self._cipher.decrypt(key.secret_ciphertext),
            generation=generation,
        )
        self._keys.put(key_id, found, generation)
        return found

    def cached_key(self, key_id: str) -> Entry[ResolvedKey] | None:
        """What the last ``lookup`` of ``key_id`` in this process found (``value`` None:
        no such key), without touching the store; None when it was not looked up.
        Possibly out of date: ``accept`` checks a cached key before the request counts,
        and a signature that does not verify against it is checked with ``lookup``."""
        return self._keys.get(key_id)

    def _decoy(self) -> bytes:
        if self._decoy_ciphertext is None:
            self._decoy_ciphertext = self._cipher.encrypt(new_secret())
        return self._decoy_ciphertext

    def accept(self, resolved: ResolvedKey, *, nonce: str | None) -> AccessGrant:
        """Record a verified request: use its nonce (``SignatureNonceUsed`` on a replay;
        in a transaction shared with the requests arriving with it, ``NonceBatches``),
        check that ``resolved`` is still what the store holds (``AccessChanged`` if not;
        a second transaction only when access changed) and refresh ``last_used_at``,
        written at most once per ``touch_interval`` (per process)."""
        now = self._clock()
        self._prune_nonces(now)
        key_id = resolved.key.id
        # A request retried after AccessChanged spent its nonce already (see below).
        spent = self._retried.pop((key_id, nonce), None) if nonce is not None else None
        if spent is None:
            spent = self._nonces.spend(key_id=key_id, nonce=nonce, seen_at=now)
        if not spent.fresh:
            raise Unauthenticated(
                "the signature nonce was already used; sign every request anew",
                code=ErrorCode.NONCE_REUSED,
            )
        generation = spent.generation
        last = self._touched.get(key_id, resolved.key.last_used_at)
        touch = last is None or now - last >= self._touch_interval
        if generation != resolved.generation or touch:
            with self._store.transaction() as repos:
                if generation != resolved.generation:
                    try:
                        self._recheck(repos, resolved, generation)
                    except AccessChanged:
                        # The caller looks the key up and verifies the request again:
                        # its nonce, now spent, is this request's once more (a replay
                        # racing it takes it instead: one of the two is accepted).
                        if nonce is not None:
                            if len(self._retried) >= _MAX_RETRIED:
                                self._retried.clear()
                            self._retried[(key_id, nonce)] = spent
                        raise
                if touch:
                    key = repos.read_key(key_id=key_id)
                    if key is not None:
                        key.last_used_at = now
                        repos.update_key(key=key)
        if touch:
            self._touched[key_id] = now
        return AccessGrant(generation)

    def _recheck(self, repos: AccessRepositories, resolved: ResolvedKey, generation: int) -> None:
        """Access changed since ``resolved`` was read: still the same key, status, owner
        and secret? Then it is current at ``generation`` too; else ``AccessChanged``."""
        key = repos.read_key(key_id=resolved.key.id)
        user = repos.read_user(user_id=key.user_id) if key is not None else None
        same = (
            key is not None
            and user is not None
            and (key.status, key.user_id, key.secret_ciphertext)
            == (resolved.key.status, resolved.key.user_id, resolved.key.secret_ciphertext)
            and Actor(id=user.id, name=user.name) == resolved.actor
        )
        if not same:
            self._keys.discard(resolved.key.id)
            raise AccessChanged(resolved.key.id)
        self._keys.put(
            resolved.key.id,
            ResolvedKey(resolved.key, resolved.actor, resolved.secret, generation),
            generation,
        )

    def role_for(
        self, actor: Actor, scope: Scope, *, grant: AccessGrant | None = None
    ) -> Role | None:
        """The caller's role in the namespace; admins are OWNER everywhere.

        With ``grant`` (this request's ``accept``), a role cached at its generation is
        answered without the store; otherwise one transaction checks the generation.
        """
        cache_key = (actor.id, scope.workspace, scope.namespace)
        if grant is not None:
            entry = self.cached_role(actor, scope, grant)
            if entry is not None:
                return entry.value
        with self._store.transaction() as repos:
            generation = repos.read_access_generation()
            entry = self._roles.get(cache_key, generation=generation)
            if entry is not None:
                return entry.value
            role = role_in(repos, actor, scope)
        self._roles.put(cache_key, role, generation)
        return role

    def cached_role(self, actor: Actor, scope: Scope, grant: AccessGrant) -> Entry[Role] | None:
        """The caller's role as cached at ``grant``'s generation (``value`` None: no
        role), without the store; None when it is not cached at that generation."""
        return self._roles.get(
            (actor.id, scope.workspace, scope.namespace), generation=grant.generation
        )

    def authorize(
        self,
        actor: Actor,
        scope: Scope,
        permission: Permission,
        *,
        grant: AccessGrant | None = None,
    ) -> Role:
        """The caller's role if it allows ``permission`` (``grant``: see ``role_for``).

        No role at all -> ``NotFound`` (the namespace is invisible); a role that does
        not allow it -> ``PermissionDenied``.
        """
        return permitted(self.role_for(actor, scope, grant=grant), scope, permission)

    def _prune_nonces(self, now: datetime) -> None:
        """Forget nonces that can no longer be replayed, at most once a minute.

        A request dated up to one window in the future is accepted, and stays
        acceptable until one window after its date: its nonce must be kept for two
        windows after it was first seen.
        """
        with self._prune_lock:
            if self._last_prune is not None and now - self._last_prune < timedelta(minutes=1):
                return
            self._last_prune = now
        with self._store.transaction() as repos:
            repos.delete_nonces(seen_before=now - 2 * self._nonce_window)


def role_in(repos: AccessRepositories, actor: Actor, scope: Scope) -> Role | None:
    """The caller's role in ``scope``: OWNER for admins, else its membership's."""
    user = repos.read_user(user_id=actor.id)
    if user is None:
        return None
    if user.is_admin:
        return Role.OWNER
    member = repos.read_member(
        workspace=scope.workspace, namespace=scope.namespace, user_id=user.id
    )
    return member.role if member is not None else None


def permitted(role: Role | None, scope: Scope, permission: Permission) -> Role:
    """``role`` if it allows ``permission``: ``NotFound`` without one (the namespace is
    invisible), ``PermissionDenied`` when it is too weak."""
    if role is None:
        # Same answer as for a namespace that does not exist: nothing leaks.
        raise NotFound(
            f"namespace {scope.namespace!r} not found in workspace {scope.workspace!r}",
            code=ErrorCode.NAMESPACE_NOT_FOUND,
        )
    if not role.allows(permission):
        raise PermissionDenied(
            f"role {role.value} in namespace {scope.namespace!r} does not allow "
            f"{permission.value.replace('_', ' ')}; ask a namespace owner",
            code=ErrorCode.PERMISSION_DENIED,
        )
    return role
