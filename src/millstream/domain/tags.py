"""Tags: key/value labels on resources of a workspace (clusters, projects...), for
finding and grouping them (DESIGN.md §2).

A ``ResourceTag`` names its resource by type and id as the caller sees them; a resource
has at most ``MAX_TAGS`` tags, one value per key. The tag service
(``control.services.tags``) and the store call these; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from millstream.domain.errors import InvalidInput

__all__ = [
    "MAX_KEY",
    "MAX_TAGS",
    "MAX_VALUE",
    "ResourceTag",
    "validate_resource_id",
    "validate_tag",
]

MAX_TAGS = 20
MAX_KEY = 128
MAX_VALUE = 128
_RESERVED = ("aliyun", "acs:", "millstream:")


@dataclass(frozen=True, slots=True)
class ResourceTag:
    workspace: str
    resource_type: str
    resource_id: str
    key: str
    value: str = ""


def validate_resource_id(resource_id: str) -> str:
    """1-128 printable characters."""
    if not resource_id or len(resource_id) > MAX_KEY or not resource_id.isprintable():
        raise InvalidInput(
            f"a resource id has 1-{MAX_KEY} printable characters, got {resource_id[:40]!r}"
        )
    return resource_id


def validate_tag(key: str, value: str) -> None:
    """A key of 1-128 printable characters not starting with a reserved prefix, a
    value of at most 128."""
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise InvalidInput(f"a tag key has 1-{MAX_KEY} printable characters, got {key[:40]!r}")
    if key.lower().startswith(_RESERVED):
        raise InvalidInput(f"tag key {key[:40]!r} uses a reserved prefix ({', '.join(_RESERVED)})")
    if len(value) > MAX_VALUE or not value.isprintable():
        raise InvalidInput(f"a tag value has at most {MAX_VALUE} printable characters")
