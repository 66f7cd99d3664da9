"""``DraftStore``: the ``DraftStore`` port of ``control.services.drafts`` over the
``deployment_drafts``, ``draft_tickets`` and ``deployment_spec_revisions`` tables
(``models.DeploymentDraftRow`` ..., migration 0019).

The app factory builds ``DraftStore(sql_store.engine)`` so it shares the main store's
connection pool. The unique (workspace, namespace, folder_id, name) turns two concurrent
creations of one name into a ``Conflict``; ``read_draft(for_update=True)`` serialises
two editors taking the lock at once (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
serialises writers anyway).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from millstream.domain.artifacts import ExecutionMode
from millstream.domain.drafts import (
    DeploymentDraft,
    DraftLock,
    DraftOutcome,
    DraftSpec,
    DraftTicket,
    SpecRevision,
    TicketKind,
    TicketStatus,
)
from millstream.domain.errors import Conflict, NotFound
from millstream.store.errors import integrity_violation
from millstream.store.mappers import artifact_from_json, artifact_to_json
from millstream.store.models import DeploymentDraftRow, DeploymentSpecRevisionRow, DraftTicketRow
from millstream.store.store import SessionStore

__all__ = ["DraftRepositories", "DraftStore", "spec_from_json", "spec_to_json"]


class DraftRepositories:
    """The ``DraftRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read_draft(
        self, *, workspace: str, namespace: str, draft_id: str, for_update: bool = False
    ) -> DeploymentDraft | None:
        query = select(DeploymentDraftRow).where(
            DeploymentDraftRow.id == draft_id,
            DeploymentDraftRow.workspace == workspace,
            DeploymentDraftRow.namespace == namespace,
        )
        row = self._session.scalars(query.with_for_update() if for_update else query).first()
        return _draft(row) if row is not None else None

    def read_drafts(
        self, *, workspace: str, namespace: str, offset: int, limit: int
    ) -> tuple[list[DeploymentDraft], int]:
        where = (
            DeploymentDraftRow.workspace == workspace,
            DeploymentDraftRow.namespace == namespace,
        )
        total = self._session.scalar(
            select(func.count()).select_from(DeploymentDraftRow).where(*where)
        )
        rows = self._session.scalars(
            select(DeploymentDraftRow)
            .where(*where)
            .order_by(DeploymentDraftRow.created_at, DeploymentDraftRow.id)
            .offset(offset)
            .limit(limit)
        )
        return [_draft(row) for row in rows], int(total or 0)

    def count_drafts(self, *, workspace: str, namespace: str, folder_id: int) -> int:
        count = self._session.scalar(
            select(func.count())
            .select_from(DeploymentDraftRow)
            .where(
                DeploymentDraftRow.workspace == workspace,
                DeploymentDraftRow.namespace == namespace,
                DeploymentDraftRow.folder_id == folder_id,
            )
        )
        return int(count or 0)

    def create_draft(self, *, draft: DeploymentDraft) -> None:
        self._session.add(DeploymentDraftRow(**_values(draft)))
        self._flush(draft)

    def update_draft(self, *, draft: DeploymentDraft) -> None:
        row = self._session.get(DeploymentDraftRow, draft.id)
        if row is None:
            raise NotFound(f"deployment draft {draft.id!r} does not exist")
        for key, value in _values(draft).items():
            if key not in {"id", "workspace", "namespace", "creator", "creator_name"}:
                setattr(row, key, value)
        self._flush(draft)

    def delete_draft(self, *, draft_id: str) -> None:
        self._session.execute(delete(DeploymentDraftRow).where(DeploymentDraftRow.id == draft_id))

    def read_ticket(self, *, workspace: str, namespace: str, ticket_id: str) -> DraftTicket | None:
        row = self._session.get(DraftTicketRow, ticket_id)
        if row is None or row.workspace != workspace or row.namespace != namespace:
            return None
        return _ticket(row)

    def create_ticket(self, *, ticket: DraftTicket) -> None:
        self._session.add(DraftTicketRow(**_ticket_values(ticket)))
        self._session.flush()

    def update_ticket(self, *, ticket: DraftTicket) -> None:
        row = self._session.get(DraftTicketRow, ticket.id)
        if row is None:
            raise NotFound(f"ticket {ticket.id!r} does not exist")
        row.status = ticket.status.value
        row.outcome = _outcome_to_json(ticket.outcome)

    def delete_expired_tickets(self, *, now: datetime) -> int:
        result = self._session.execute(
            delete(DraftTicketRow).where(DraftTicketRow.expires_at <= now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def create_revision(self, *, revision: SpecRevision) -> None:
        self._session.add(
            DeploymentSpecRevisionRow(
                id=revision.id,
                workspace=revision.workspace,
                namespace=revision.namespace,
                deployment_id=revision.deployment_id,
                draft_id=revision.draft_id,
                spec=spec_to_json(revision.spec),
                creator=revision.creator,
                created_at=revision.created_at,
            )
        )
        self._session.flush()

    def read_revisions(
        self, *, workspace: str, namespace: str, deployment_id: str
    ) -> list[SpecRevision]:
        rows = self._session.scalars(
            select(DeploymentSpecRevisionRow)
            .where(
                DeploymentSpecRevisionRow.workspace == workspace,
                DeploymentSpecRevisionRow.namespace == namespace,
                DeploymentSpecRevisionRow.deployment_id == deployment_id,
            )
            .order_by(DeploymentSpecRevisionRow.created_at.desc(), DeploymentSpecRevisionRow.id)
        )
        return [
            SpecRevision(
                id=row.id,
                workspace=row.workspace,
                namespace=row.namespace,
                deployment_id=row.deployment_id,
                spec=spec_from_json(row.spec),
                created_at=row.created_at,
                draft_id=row.draft_id,
                creator=row.creator,
            )
            for row in rows
        ]

    def _flush(self, draft: DeploymentDraft) -> None:
        try:
            with self._session.begin_nested():
                self._session.flush()
        except IntegrityError as error:
            if integrity_violation(error) == "unique":
                raise Conflict(
                    f"folder {draft.folder_id} already has a deployment draft named "
                    f"{draft.spec.name!r}; choose another name"
                ) from None
            raise


def spec_to_json(spec: DraftSpec) -> dict[str, Any]:
    """A draft spec as the JSON document the ``spec`` columns hold."""
    return {
        "name": spec.name,
        "artifact": artifact_to_json(spec.artifact) if spec.artifact is not None else None,
        "execution_mode": spec.execution_mode.value,
        "engine_version": spec.engine_version,
        "labels": dict(spec.labels),
        "variables": dict(spec.variables),
    }


def spec_from_json(data: dict[str, Any]) -> DraftSpec:
    artifact = data.get("artifact")
    return DraftSpec(
        name=data["name"],
        artifact=artifact_from_json(artifact) if artifact else None,
        execution_mode=ExecutionMode(data.get("execution_mode", ExecutionMode.STREAMING.value)),
        engine_version=data.get("engine_version"),
        labels=dict(data.get("labels") or {}),
        variables=dict(data.get("variables") or {}),
    )


def _values(draft: DeploymentDraft) -> dict[str, Any]:
    lock = draft.lock
    return {
        "id": draft.id,
        "workspace": draft.workspace,
        "namespace": draft.namespace,
        "folder_id": draft.folder_id,
        "name": draft.spec.name,
        "spec": spec_to_json(draft.spec),
        "deployment_id": draft.deployment_id,
        "lock_id": lock.id if lock else None,
        "lock_holder_id": lock.holder_id if lock else None,
        "lock_holder_name": lock.holder_name if lock else None,
        "lock_expires_at": lock.expires_at if lock else None,
        "creator": draft.creator,
        "creator_name": draft.creator_name,
        "modifier": draft.modifier,
        "modifier_name": draft.modifier_name,
        "created_at": draft.created_at,
        "modified_at": draft.modified_at,
    }


def _draft(row: DeploymentDraftRow) -> DeploymentDraft:
    lock = None
    if row.lock_id and row.lock_holder_id and row.lock_expires_at is not None:
        lock = DraftLock(
            id=row.lock_id,
            holder_id=row.lock_holder_id,
            holder_name=row.lock_holder_name or row.lock_holder_id,
            expires_at=row.lock_expires_at,
        )
    return DeploymentDraft(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        folder_id=row.folder_id,
        spec=spec_from_json(row.spec),
        deployment_id=row.deployment_id,
        lock=lock,
        creator=row.creator,
        creator_name=row.creator_name,
        modifier=row.modifier,
        modifier_name=row.modifier_name,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


def _outcome_to_json(outcome: DraftOutcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {
        "ok": outcome.ok,
        "message": outcome.message,
        "line": outcome.line,
        "column": outcome.column,
        "problems": list(outcome.problems),
        "deployment_id": outcome.deployment_id,
        "revision_id": outcome.revision_id,
    }


def _outcome_from_json(data: dict[str, Any] | None) -> DraftOutcome | None:
    if data is None:
        return None
    return DraftOutcome(
        ok=bool(data["ok"]),
        message=data.get("message"),
        line=data.get("line"),
        column=data.get("column"),
        problems=tuple(data.get("problems") or ()),
        deployment_id=data.get("deployment_id"),
        revision_id=data.get("revision_id"),
    )


def _ticket_values(ticket: DraftTicket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "workspace": ticket.workspace,
        "namespace": ticket.namespace,
        "draft_id": ticket.draft_id,
        "kind": ticket.kind.value,
        "status": ticket.status.value,
        "outcome": _outcome_to_json(ticket.outcome),
        "created_at": ticket.created_at,
        "expires_at": ticket.expires_at,
    }


def _ticket(row: DraftTicketRow) -> DraftTicket:
    return DraftTicket(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        draft_id=row.draft_id,
        kind=TicketKind(row.kind),
        status=TicketStatus(row.status),
        created_at=row.created_at,
        expires_at=row.expires_at,
        outcome=_outcome_from_json(row.outcome),
    )


class DraftStore(SessionStore[DraftRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, DraftRepositories, **engine_options)
