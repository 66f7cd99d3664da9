"""Who is calling and where: the actor and the (workspace, namespace) scope of a use case."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SYSTEM", "Actor", "Scope"]


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller; ``id`` is written as creator/modifier."""

    id: str
    name: str


SYSTEM = Actor(id="system", name="millstream")


@dataclass(frozen=True, slots=True)
class Scope:
    workspace: str
    namespace: str
