"""Ports of the access use cases: where users, keys, members, audit entries and used
nonces live (``AccessStore``), and how secrets are kept encrypted (``SecretCipher``).

Separate from ``ports.Store`` so authentication can run against its own connection pool
and be faked on its own. ``store.access.SqlAccessStore`` and ``store.cipher.FernetCipher``
implement them; ``control.services.access.AccessService`` is the only caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from millstream.control.ports import Page
from millstream.domain.access import AccessKey, AuditEntry, Member, User

SpentNonce = tuple[str, str, datetime]  # (key id, nonce, seen at)

__all__ = ["AccessRepositories", "AccessStore", "NonceLedger", "SecretCipher", "SpentNonce"]


class AccessRepositories(Protocol):
    """Reads and writes inside one transaction. ``create_*`` raise ``Conflict`` on a
    duplicate; ``update_*``/``delete_*`` of a missing row raise ``NotFound``."""

    # users
    def read_user(self, *, user_id: str) -> User | None: ...
    def read_user_by_name(self, *, name: str) -> User | None: ...
    def read_users(self, *, admins_only: bool = False) -> list[User]: ...
    def create_user(self, *, user: User) -> None: ...

    # access keys
    def read_key(self, *, key_id: str) -> AccessKey | None: ...
    def read_keys(self, *, user_id: str | None = None) -> list[AccessKey]:
        """Every key (of one user when ``user_id`` is given), oldest first."""
        ...

    def create_key(self, *, key: AccessKey) -> None: ...
    def update_key(self, *, key: AccessKey) -> None: ...
    def delete_key(self, *, key_id: str) -> None: ...

    # namespaces (read-only here: they belong to the main store)
    def read_namespace_names(self, *, workspace: str | None = None) -> list[tuple[str, str]]:
        """(workspace, namespace) of every namespace, sorted."""
        ...

    # members
    def read_member(self, *, workspace: str, namespace: str, user_id: str) -> Member | None: ...
    def read_members(
        self, *, workspace: str, namespace: str, page: Page
    ) -> tuple[list[Member], int]: ...
    def read_memberships(self, *, user_id: str) -> list[Member]: ...
    def create_member(self, *, member: Member) -> None: ...
    def update_member(self, *, member: Member) -> None: ...
    def delete_member(self, *, workspace: str, namespace: str, user_id: str) -> None: ...

    # audit log
    def create_audit_entry(self, *, entry: AuditEntry) -> None: ...
    def read_audit_entries(
        self, *, workspace: str, namespace: str, page: Page
    ) -> tuple[list[AuditEntry], int]:
        """Newest first."""
        ...

    # replay protection
    def spend_nonces(self, *, nonces: Sequence[SpentNonce]) -> tuple[list[bool], int]:
        """Record each (key id, nonce, seen at) in order: False for one this key used
        before, in an earlier batch or earlier in this one (a replay). Then the
        ``read_access_generation`` after them. Must be atomic across processes sharing
        the database; need not wait for the disk (a nonce only matters for the replay
        window)."""
        ...

    # cache validity
    def read_access_generation(self) -> int:
        """A value that changes (in the same transaction) with every change of a user,
        a member, or a key's status, owner or secret, made by any process; last use
        times do not change it. Caches of keys and roles hold while it stays the same."""
        ...

    def delete_nonces(self, *, seen_before: datetime) -> int: ...


class AccessStore(Protocol):
    def transaction(self) -> AbstractContextManager[AccessRepositories]:
        """One unit of work: commit on success, roll back on any exception."""
        ...


class NonceLedger(Protocol):
    """Where a batch of signature nonces is spent (``NonceBatches``): each in the store
    before this returns, ``AccessRepositories.spend_nonces``' answer."""

    def spend_nonces(self, *, nonces: Sequence[SpentNonce]) -> tuple[list[bool], int]: ...


class SecretCipher(Protocol):
    """Encrypts access key secrets at rest (authenticated encryption)."""

    def encrypt(self, plaintext: str) -> bytes: ...
    def decrypt(self, ciphertext: bytes) -> str: ...
