"""Ports of the deployment draft use cases (``DraftStore``).

``store.drafts.DraftStore`` implements it; ``control.services.drafts`` is its caller.
Drafts, their background tickets and the specs deploys replaced live behind it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from millstream.domain.drafts import DeploymentDraft, DraftTicket, SpecRevision

__all__ = ["DraftRepositories", "DraftStore"]


class DraftRepositories(Protocol):
    def read_draft(
        self, *, workspace: str, namespace: str, draft_id: str, for_update: bool = False
    ) -> DeploymentDraft | None:
        """The draft of that id in the namespace (``None`` elsewhere); ``for_update``
        holds its row until the transaction ends."""
        ...

    def read_drafts(
        self, *, workspace: str, namespace: str, offset: int, limit: int
    ) -> tuple[list[DeploymentDraft], int]: ...
    def count_drafts(self, *, workspace: str, namespace: str, folder_id: int) -> int: ...
    def create_draft(self, *, draft: DeploymentDraft) -> None:
        """``Conflict`` if the folder has a draft of that name."""
        ...

    def update_draft(self, *, draft: DeploymentDraft) -> None: ...
    def delete_draft(self, *, draft_id: str) -> None: ...
    def read_ticket(
        self, *, workspace: str, namespace: str, ticket_id: str
    ) -> DraftTicket | None: ...
    def create_ticket(self, *, ticket: DraftTicket) -> None: ...
    def update_ticket(self, *, ticket: DraftTicket) -> None: ...
    def delete_expired_tickets(self, *, now: datetime) -> int: ...
    def create_revision(self, *, revision: SpecRevision) -> None: ...
    def read_revisions(
        self, *, workspace: str, namespace: str, deployment_id: str
    ) -> list[SpecRevision]:
        """Newest first."""
        ...


class DraftStore(Protocol):
    def transaction(self) -> AbstractContextManager[DraftRepositories]:
        """One unit of work: commit on success, roll back on any exception."""
        ...
