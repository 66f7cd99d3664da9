"""What the console needs from access control, as Protocols.

``control.services.access.AccessService`` satisfies ``ConsoleAccess`` as it is; tests pass
small fakes. Kept structural so the console does not depend on how keys are stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from millstream.control.context import Actor, Scope
from millstream.domain.access import Permission, Role

__all__ = ["ConsoleAccess", "NamespaceChoice", "ResolvedKeyView"]


class ResolvedKeyView(Protocol):
    """An active access key's owner and plain secret (``AccessService.ResolvedKey``)."""

    @property
    def actor(self) -> Actor: ...
    @property
    def secret(self) -> str: ...


class NamespaceChoice(Protocol):
    """One namespace the switcher offers (``AccessService.EditableNamespace``)."""

    @property
    def workspace(self) -> str: ...
    @property
    def namespace(self) -> str: ...


class ConsoleAccess(Protocol):
    def resolve(self, key_id: str) -> ResolvedKeyView:
        """The active key; ``Unauthenticated`` when unknown or disabled."""
        ...

    def authorize(self, actor: Actor, scope: Scope, permission: Permission) -> Role:
        """``NotFound`` without a role in ``scope``; ``PermissionDenied`` when too weak."""
        ...

    def editable_namespaces(
        self, actor: Actor, *, workspace: str | None = None, namespace: str | None = None
    ) -> Sequence[NamespaceChoice]: ...
