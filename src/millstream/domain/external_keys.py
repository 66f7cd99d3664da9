"""External keys: the secondary identifiers an API dialect shows instead of a UUID.

Every deployment and job has a UUID. Some dialects name them differently on the wire:
an integer (an id typed as int64) or a name. An external key belongs to one key space,
a string the dialect chooses (``"<dialect>.<thing>"``), and is unique inside one scope
of that space (``""`` when the space is global). The entity keeps its UUID; the key is
only a second way to find it. ``control.services.external_keys`` allocates and resolves
keys; ``store/external_keys.py`` persists them (migration 0007).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from millstream.domain.errors import ErrorCode, InvalidInput, NotFound

__all__ = [
    "MAX_KEY_NAME_LENGTH",
    "MAX_NUMBER",
    "MAX_SCOPE_LENGTH",
    "ExternalKey",
    "KeyKind",
    "KeySpace",
    "KeyedEntity",
]

MAX_NUMBER = 2**63 - 1  # keys travel as signed 64-bit integers
MAX_KEY_NAME_LENGTH = 128
MAX_SCOPE_LENGTH = 128
_SPACE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$")


class KeyKind(Enum):
    """How the keys of a space are made: allocated integers or names the caller sets."""

    NUMBER = "NUMBER"
    NAME = "NAME"


class KeyedEntity(Enum):
    """What the keys of a space identify."""

    DEPLOYMENT = "deployment"
    JOB = "job"


@dataclass(frozen=True, slots=True)
class KeySpace:
    """One family of keys, e.g. ``KeySpace("dialect.job", KeyKind.NUMBER, KeyedEntity.JOB)``.

    Numbers are allocated in increasing order per (space, scope), starting at
    ``first_number``, and never handed out twice, even after their entity is deleted.
    """

    name: str
    kind: KeyKind
    entity: KeyedEntity = KeyedEntity.DEPLOYMENT
    first_number: int = 1

    def __post_init__(self) -> None:
        if not _SPACE.match(self.name) or len(self.name) > 64:
            raise ValueError(
                f"key space {self.name!r}: use lowercase dotted words, e.g. 'dialect.job'"
            )
        if not 0 <= self.first_number <= MAX_NUMBER:
            raise ValueError(f"key space {self.name!r}: first_number out of range")

    def check_key(self, key: int | str) -> None:
        """``InvalidInput`` unless ``key`` has this space's kind and a valid value."""
        if self.kind is KeyKind.NUMBER:
            if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= MAX_NUMBER:
                raise InvalidInput(f"{key!r} is not a valid id: expected a non-negative integer")
            return
        if not isinstance(key, str) or not key.strip():
            raise InvalidInput(f"{key!r} is not a valid name: expected a non-empty string")
        if len(key) > MAX_KEY_NAME_LENGTH:
            raise InvalidInput(
                f"name {key[:32]!r}... is {len(key)} characters long; at most "
                f"{MAX_KEY_NAME_LENGTH} are allowed"
            )

    def not_found(self, key: int | str, scope: str) -> NotFound:
        """The error for a key nothing has (never had, or its entity was deleted)."""
        where = f" in scope {scope!r}" if scope else ""
        return NotFound(f"{self.entity.value} {key!r} not found{where}", code=self.not_found_code)

    @property
    def not_found_code(self) -> ErrorCode:
        if self.entity is KeyedEntity.DEPLOYMENT:
            return ErrorCode.DEPLOYMENT_NOT_FOUND
        return ErrorCode.JOB_NOT_FOUND

    @staticmethod
    def check_scope(scope: str) -> None:
        if len(scope) > MAX_SCOPE_LENGTH:
            raise InvalidInput(f"scope {scope[:32]!r}... is longer than {MAX_SCOPE_LENGTH}")


@dataclass(frozen=True, slots=True)
class ExternalKey:
    """The key ``number`` or ``name`` of entity ``entity_id`` in ``space`` / ``scope``."""

    space: str
    scope: str
    entity_id: str
    number: int | None = None
    name: str | None = None
    created_at: datetime | None = None

    @property
    def value(self) -> int | str:
        if self.number is not None:
            return self.number
        if self.name is None:
            raise ValueError(f"external key of {self.entity_id} in {self.space} has no value")
        return self.name
