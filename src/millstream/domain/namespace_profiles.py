"""A namespace's profile: what it says about itself beyond its name (its description and
string attributes, who created and last changed it), and what it owns that blocks or
goes with its deletion.

``NamespaceProfile`` is what the namespace service (``control.services.namespaces``)
creates, reads and updates; ``NamespaceUse`` is the store's count of what the namespace
still runs (deployments, live jobs, session clusters), which refuses a deletion. Pure:
no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from millstream.domain.errors import InvalidInput

__all__ = [
    "MAX_ATTRIBUTE",
    "MAX_DESCRIPTION",
    "NamespaceProfile",
    "NamespaceUse",
    "validate_attributes",
    "validate_description",
]

MAX_DESCRIPTION = 1024
MAX_ATTRIBUTE = 16_384
_MAX_ATTRIBUTES = 32
_MAX_ATTRIBUTE_NAME = 64


@dataclass(slots=True)
class NamespaceProfile:
    workspace: str
    name: str
    id: str
    created_at: datetime
    description: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    creator: str | None = None
    modifier: str | None = None
    modified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NamespaceUse:
    """What a namespace still runs; any of it refuses the namespace's deletion."""

    deployments: int = 0
    live_jobs: int = 0
    clusters: tuple[str, ...] = ()
    # Queues bound to this namespace alone: unbinding would open them to every namespace.
    sole_queues: tuple[str, ...] = ()

    def blockers(self) -> list[str]:
        """Why the namespace cannot be deleted, one phrase each (empty: it can)."""
        found = []
        if self.live_jobs:
            found.append(f"{self.live_jobs} live job(s) (stop them first)")
        if self.deployments:
            found.append(f"{self.deployments} deployment(s) (delete them first)")
        if self.clusters:
            found.append(f"session cluster(s) {', '.join(self.clusters)} (delete them first)")
        if self.sole_queues:
            found.append(
                f"queue(s) {', '.join(self.sole_queues)} bound to it alone "
                "(unbind or delete them first)"
            )
        return found


def validate_description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION or not value.replace("\n", " ").isprintable():
        raise InvalidInput(
            f"a namespace description is at most {MAX_DESCRIPTION} printable characters"
        )
    return value


def validate_attributes(values: dict[str, str]) -> dict[str, str]:
    if len(values) > _MAX_ATTRIBUTES:
        raise InvalidInput(f"a namespace has at most {_MAX_ATTRIBUTES} attributes")
    for key, value in values.items():
        if not key or len(key) > _MAX_ATTRIBUTE_NAME or not key.isprintable():
            raise InvalidInput(f"invalid namespace attribute name {key[:40]!r}")
        if len(value) > MAX_ATTRIBUTE:
            raise InvalidInput(
                f"namespace attribute {key!r} is longer than {MAX_ATTRIBUTE} characters"
            )
    return values
