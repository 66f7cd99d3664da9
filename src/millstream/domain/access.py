"""Who may call Millstream and what they may do: users, access keys, namespace members
with roles, and the audit log of every change.

Pure data plus the role policy (``Role.allows``). ``control.services.access`` runs the use
cases; ``store.access`` persists these objects; ``api.auth`` verifies signatures made with
an access key's secret and enforces the roles at the API edge.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.domain.names import has_control_characters

__all__ = [
    "ACCESS_KEY_ID_LENGTH",
    "ACCESS_KEY_PREFIX",
    "AccessKey",
    "AuditEntry",
    "KeyStatus",
    "Member",
    "Permission",
    "Role",
    "User",
    "is_access_key_id",
    "new_access_key_id",
    "new_secret",
    "parse_role",
    "validate_user_name",
]

ACCESS_KEY_PREFIX = "MS"
ACCESS_KEY_ID_LENGTH = 24  # "MS" + 22, the length of an Alibaba "LTAI..." id plus 0-2
_KEY_ALPHABET = string.ascii_uppercase + string.digits


class Permission(StrEnum):
    """What a call needs in a namespace."""

    READ = "read"  # see resources (GET)
    WRITE = "write"  # create, change, start, stop, delete resources
    MANAGE_MEMBERS = "manage_members"  # grant and revoke roles
    READ_AUDIT = "read_audit"  # read the namespace's audit log


class Role(StrEnum):
    """A member's role in one namespace; each role includes the ones below it."""

    OWNER = "OWNER"
    EDITOR = "EDITOR"
    VIEWER = "VIEWER"

    def allows(self, permission: Permission) -> bool:
        return permission in _ROLE_PERMISSIONS[self]

    @property
    def can_edit(self) -> bool:
        """What ListEditableNamespace lists: the roles that may change resources."""
        return self.allows(Permission.WRITE)


_ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.EDITOR: frozenset({Permission.READ, Permission.WRITE}),
    Role.VIEWER: frozenset({Permission.READ}),
}

# The SDK's Member model documents EDITOR/VIEWER/ADMIN while the console and ROS use
# OWNER; both spellings of the top role mean the same here.
_ROLE_ALIASES = {"ADMIN": Role.OWNER}


_MAX_USER_NAME = 128


def validate_user_name(name: str) -> str:
    """A user name: 1-128 characters, not blank, no control characters."""
    if not name.strip() or len(name) > _MAX_USER_NAME or has_control_characters(name):
        raise InvalidInput(
            f"invalid user name {name!r}: 1-{_MAX_USER_NAME} characters, not blank, "
            "no control characters"
        )
    return name


def parse_role(text: str) -> Role:
    """A role from its wire name (case-insensitive; ``ADMIN`` is ``OWNER``)."""
    name = text.strip().upper()
    if name in _ROLE_ALIASES:
        return _ROLE_ALIASES[name]
    try:
        return Role(name)
    except ValueError:
        raise InvalidInput(
            f"unknown role {text!r}: use OWNER, EDITOR or VIEWER", code=ErrorCode.INVALID_ROLE
        ) from None


class KeyStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


@dataclass(slots=True)
class User:
    id: str
    name: str
    is_admin: bool
    created_at: datetime


@dataclass(slots=True)
class AccessKey:
    """An AccessKey ID and its encrypted secret; the plain secret is shown only once."""

    id: str
    user_id: str
    secret_ciphertext: bytes
    status: KeyStatus
    created_at: datetime
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is KeyStatus.ACTIVE


@dataclass(slots=True)
class Member:
    """A user's role in one namespace of one workspace."""

    workspace: str
    namespace: str
    user_id: str
    role: Role
    created_at: datetime
    modified_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One mutating API call: who did what to which resource, when, and how it ended."""

    id: str
    at: datetime
    actor_id: str
    actor_name: str
    action: str  # "POST /api/v2/namespaces/{namespace}/jobs:start"
    resource: str  # the concrete path that was called
    request_id: str | None
    status_code: int
    workspace: str | None = None
    namespace: str | None = None


def new_access_key_id() -> str:
    """``MS`` + 22 random upper-case letters and digits (about 113 bits)."""
    return ACCESS_KEY_PREFIX + "".join(
        secrets.choice(_KEY_ALPHABET) for _ in range(ACCESS_KEY_ID_LENGTH - 2)
    )


def is_access_key_id(text: str) -> bool:
    return (
        len(text) == ACCESS_KEY_ID_LENGTH
        and text.startswith(ACCESS_KEY_PREFIX)
        and all(char in _KEY_ALPHABET for char in text)
    )


def new_secret() -> str:
    """A 40-character URL-safe secret (240 bits), the shape of an Alibaba AccessKey secret."""
    return secrets.token_urlsafe(30)
