"""``InMemoryAccessStore``: the ``AccessStore`` port in memory, for unit tests.

Transactions copy the state and swap it back on success, so a failed use case leaves
nothing behind, as the SQL store does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from millstream.control.access_ports import SpentNonce
from millstream.control.ports import Page
from millstream.domain.access import AccessKey, AuditEntry, Member, User
from millstream.domain.errors import Conflict, ErrorCode, NotFound

__all__ = ["InMemoryAccessStore", "PlainCipher"]


@dataclass
class _State:
    users: dict[str, User] = field(default_factory=dict)
    keys: dict[str, AccessKey] = field(default_factory=dict)
    members: dict[tuple[str, str, str], Member] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    nonces: dict[tuple[str, str], datetime] = field(default_factory=dict)
    namespaces: set[tuple[str, str]] = field(default_factory=set)


class _Repositories:
    def __init__(self, state: _State) -> None:
        self._s = state

    def read_user(self, *, user_id: str) -> User | None:
        found = self._s.users.get(user_id)
        return replace(found) if found else None

    def read_user_by_name(self, *, name: str) -> User | None:
        return next((replace(u) for u in self._s.users.values() if u.name == name), None)

    def read_users(self, *, admins_only: bool = False) -> list[User]:
        users = sorted(self._s.users.values(), key=lambda u: (u.created_at, u.name))
        return [replace(u) for u in users if u.is_admin or not admins_only]

    def create_user(self, *, user: User) -> None:
        if user.id in self._s.users or self.read_user_by_name(name=user.name):
            raise Conflict("duplicate user", code=ErrorCode.USER_EXISTS)
        self._s.users[user.id] = replace(user)

    def read_key(self, *, key_id: str) -> AccessKey | None:
        found = self._s.keys.get(key_id)
        return replace(found) if found else None

    def read_keys(self, *, user_id: str | None = None) -> list[AccessKey]:
        keys = sorted(self._s.keys.values(), key=lambda k: (k.created_at, k.id))
        return [replace(k) for k in keys if user_id in (None, k.user_id)]

    def create_key(self, *, key: AccessKey) -> None:
        if key.id in self._s.keys:
            raise Conflict("duplicate key", code=ErrorCode.ACCESS_KEY_EXISTS)
        if key.user_id not in self._s.users:
            raise NotFound("no such user", code=ErrorCode.USER_NOT_FOUND)
        self._s.keys[key.id] = replace(key)

    def update_key(self, *, key: AccessKey) -> None:
        if key.id not in self._s.keys:
            raise NotFound("no such key", code=ErrorCode.ACCESS_KEY_NOT_FOUND)
        self._s.keys[key.id] = replace(key)

    def delete_key(self, *, key_id: str) -> None:
        if self._s.keys.pop(key_id, None) is None:
            raise NotFound("no such key", code=ErrorCode.ACCESS_KEY_NOT_FOUND)

    def read_namespace_names(self, *, workspace: str | None = None) -> list[tuple[str, str]]:
        return sorted(n for n in self._s.namespaces if workspace in (None, n[0]))

    def read_member(self, *, workspace: str, namespace: str, user_id: str) -> Member | None:
        found = self._s.members.get((workspace, namespace, user_id))
        return replace(found) if found else None

    def read_members(
        self, *, workspace: str, namespace: str, page: Page
    ) -> tuple[list[Member], int]:
        members = sorted(
            (
                m
                for m in self._s.members.values()
                if (m.workspace, m.namespace) == (workspace, namespace)
            ),
            key=lambda m: (m.created_at, m.user_id),
        )
        return [replace(m) for m in members[page.offset : page.offset + page.limit]], len(members)

    def read_memberships(self, *, user_id: str) -> list[Member]:
        return sorted(
            (replace(m) for m in self._s.members.values() if m.user_id == user_id),
            key=lambda m: (m.workspace, m.namespace),
        )

    def create_member(self, *, member: Member) -> None:
        key = (member.workspace, member.namespace, member.user_id)
        if key in self._s.members:
            raise Conflict("duplicate member", code=ErrorCode.MEMBER_EXISTS)
        self._s.members[key] = replace(member)

    def update_member(self, *, member: Member) -> None:
        key = (member.workspace, member.namespace, member.user_id)
        if key not in self._s.members:
            raise NotFound("no such member", code=ErrorCode.MEMBER_NOT_FOUND)
        self._s.members[key] = replace(member)

    def delete_member(self, *, workspace: str, namespace: str, user_id: str) -> None:
        if self._s.members.pop((workspace, namespace, user_id), None) is None:
            raise NotFound("no such member", code=ErrorCode.MEMBER_NOT_FOUND)

    def create_audit_entry(self, *, entry: AuditEntry) -> None:
        self._s.audit.append(entry)

    def read_audit_entries(
        self, *, workspace: str, namespace: str, page: Page
    ) -> tuple[list[AuditEntry], int]:
        entries = sorted(
            (e for e in self._s.audit if (e.workspace, e.namespace) == (workspace, namespace)),
            key=lambda e: e.at,
            reverse=True,
        )
        return entries[page.offset : page.offset + page.limit], len(entries)

    def spend_nonces(self, *, nonces: Sequence[SpentNonce]) -> tuple[list[bool], int]:
        fresh = []
        for key_id, nonce, seen_at in nonces:
            fresh.append((key_id, nonce) not in self._s.nonces)
            self._s.nonces.setdefault((key_id, nonce), seen_at)
        return fresh, self.read_access_generation()

    def delete_nonces(self, *, seen_before: datetime) -> int:
        old = [k for k, seen in self._s.nonces.items() if seen < seen_before]
        for k in old:
            del self._s.nonces[k]
        return len(old)

    def read_access_generation(self) -> int:
        # What the SQL triggers track, as one value: changes to users, members and the
        # status, owner or secret of keys (not their last use), however they were made.
        return hash(
            (
                tuple(sorted((u.id, u.name, u.is_admin) for u in self._s.users.values())),
                tuple(
                    sorted(
                        (k.id, k.user_id, k.status.value, k.secret_ciphertext)
                        for k in self._s.keys.values()
                    )
                ),
                tuple(sorted((*key, m.role.value) for key, m in self._s.members.items())),
            )
        )


class InMemoryAccessStore:
    def __init__(self) -> None:
        self.state = _State()
        self.transactions = 0

    @contextmanager
    def transaction(self) -> Iterator[_Repositories]:
        self.transactions += 1
        working = copy.deepcopy(self.state)
        yield _Repositories(working)
        self.state = working


class PlainCipher:
    """Reversible and obviously not secret: unit tests check the service, not Fernet."""

    def encrypt(self, plaintext: str) -> bytes:
        return b"plain:" + plaintext.encode()

    def decrypt(self, ciphertext: bytes) -> str:
        return ciphertext.removeprefix(b"plain:").decode()
