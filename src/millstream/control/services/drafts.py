"""Deployment draft use cases (issue 17): edit a deployment before deploying it.

Create, get, list, update and delete drafts filed in a namespace's folders; ``lock``
gives one editor the draft until the lock expires (updates and deletes by anyone else are
refused with a ``Conflict`` naming the holder). ``validate_async`` and ``deploy_async``
return a ticket at once and run on a ``DraftRunner``; the outcome is kept in the store
until the ticket expires, so any replica answers ``ticket``. A deploy creates the
deployment, or updates the one the draft refers to after keeping its current spec as a
``SpecRevision``; ``rollback`` puts a kept spec back. The native dialect calls it through
``Services.drafts``; deployments are written through ``DeploymentService``.
"""

from __future__ import annotations

import builtins
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from millstream.control.context import Actor, Scope
from millstream.control.draft_ports import DraftRepositories, DraftStore
from millstream.control.ports import Page
from millstream.control.services.deployments import DeploymentPatch
from millstream.control.services.draft_runner import DraftRunner
from millstream.control.services.draft_specs import pinned, spec_of, spec_patch
from millstream.control.services.folders import FolderService
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.deployments import Deployment
from millstream.domain.drafts import (
    DeploymentDraft,
    DraftLock,
    DraftOutcome,
    DraftSpec,
    DraftTicket,
    SpecRevision,
    TicketKind,
    TicketStatus,
    check_lock_ttl,
    check_spec,
    require_editable,
)
from millstream.domain.errors import (
    ErrorCode,
    InvalidInput,
    InvalidSql,
    MillstreamError,
    NotFound,
)

__all__ = ["DeploymentWriter", "DraftChange", "DraftService"]

_log = logging.getLogger(__name__)


class DeploymentWriter(Protocol):
    """What drafts need of ``DeploymentService``."""

    def get(self, scope: Scope, deployment_id: str) -> Deployment: ...
    def create(self, scope: Scope, actor: Actor, patch: DeploymentPatch) -> Deployment: ...
    def update(
        self, scope: Scope, actor: Actor, deployment_id: str, patch: DeploymentPatch
    ) -> Deployment: ...
    def validate_sql(
        self,
        scope: Scope,
        script: str,
        *,
        execution_mode: ExecutionMode = ExecutionMode.STREAMING,
        variables: dict[str, str] | None = None,
        flink_conf: dict[str, Any] | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class DraftChange:
    """A new draft (``spec`` required) or an update (``None`` keeps the value)."""

    spec: DraftSpec | None = None
    folder_id: int | None = None
    deployment_id: str | None = None


class DraftService:
    def __init__(
        self,
        store: DraftStore,
        folders: FolderService,
        deployments: DeploymentWriter,
        *,
        runner: DraftRunner | None = None,
        lock_ttl: timedelta = timedelta(minutes=30),
        ticket_ttl: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._folders = folders
        self._deployments = deployments
        self._runner = runner or DraftRunner()
        self._lock_ttl = check_lock_ttl(lock_ttl)
        if not timedelta(minutes=1) <= ticket_ttl <= timedelta(days=7):
            raise InvalidInput("draft tickets are kept between 1 minute and 7 days")
        self._ticket_ttl = ticket_ttl
        self._clock = clock

    # --- drafts -------------------------------------------------------------------------

    def create(self, scope: Scope, actor: Actor, change: DraftChange) -> DeploymentDraft:
        if change.spec is None:
            raise InvalidInput("a deployment draft needs a name and what to run")
        folder_id = change.folder_id or 0
        self._folders.get_by_id(scope, folder_id)
        if change.deployment_id:
            self._deployments.get(scope, change.deployment_id)
        now = self._clock()
        draft = DeploymentDraft(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            folder_id=folder_id,
            spec=check_spec(change.spec),
            deployment_id=change.deployment_id or None,
            creator=actor.id,
            creator_name=actor.name,
            modifier=actor.id,
            modifier_name=actor.name,
            created_at=now,
            modified_at=now,
        )
        with self._store.transaction() as repos:
            repos.create_draft(draft=draft)
        _log.info(
            "deployment draft %s created in %s/%s", draft.id, scope.workspace, scope.namespace
        )
        return draft

    def get(self, scope: Scope, draft_id: str) -> DeploymentDraft:
        with self._store.transaction() as repos:
            return _require(repos, scope, draft_id)

    def list(self, scope: Scope, page: Page) -> tuple[builtins.list[DeploymentDraft], int]:
        with self._store.transaction() as repos:
            return repos.read_drafts(
                workspace=scope.workspace,
                namespace=scope.namespace,
                offset=page.offset,
                limit=page.limit,
            )

    def update(
        self, scope: Scope, actor: Actor, draft_id: str, change: DraftChange
    ) -> DeploymentDraft:
        spec = check_spec(change.spec) if change.spec is not None else None
        if change.folder_id is not None:
            self._folders.get_by_id(scope, change.folder_id)
        if change.deployment_id:
            self._deployments.get(scope, change.deployment_id)
        with self._store.transaction() as repos:
            draft = _require(repos, scope, draft_id, for_update=True)
            now = self._clock()
            require_editable(draft, actor.id, now)
            draft.spec = spec if spec is not None else draft.spec
            if change.folder_id is not None:
                draft.folder_id = change.folder_id
            if change.deployment_id is not None:
                draft.deployment_id = change.deployment_id or None
            draft.modifier, draft.modifier_name, draft.modified_at = actor.id, actor.name, now
            repos.update_draft(draft=draft)
        _log.info("deployment draft %s updated by %s", draft_id, actor.name)
        return draft

    def delete(self, scope: Scope, actor: Actor, draft_id: str) -> DeploymentDraft:
        with self._store.transaction() as repos:
            draft = _require(repos, scope, draft_id, for_update=True)
            require_editable(draft, actor.id, self._clock())
            repos.delete_draft(draft_id=draft.id)
        _log.info("deployment draft %s deleted by %s", draft_id, actor.name)
        return draft

    def lock(
        self, scope: Scope, actor: Actor, draft_id: str, ttl: timedelta | None = None
    ) -> DraftLock:
        """The draft's lock for ``actor`` (taken, or renewed if theirs); ``Conflict``
        naming the holder while someone else's lock has not expired."""
        lasting = check_lock_ttl(ttl) if ttl is not None else self._lock_ttl
        with self._store.transaction() as repos:
            draft = _require(repos, scope, draft_id, for_update=True)
            now = self._clock()
            require_editable(draft, actor.id, now)
            held = draft.lock  # require_editable passed: unexpired means it is the actor's
            draft.lock = DraftLock(
                id=held.id if held is not None and held.expires_at > now else str(uuid.uuid4()),
                holder_id=actor.id,
                holder_name=actor.name,
                expires_at=now + lasting,
            )
            repos.update_draft(draft=draft)
        return draft.lock

    def count_in_folder(self, scope: Scope, folder_id: int) -> int:
        """How many drafts the folder holds (directly)."""
        with self._store.transaction() as repos:
            return repos.count_drafts(
                workspace=scope.workspace, namespace=scope.namespace, folder_id=folder_id
            )

    # --- background validation and deploy ----------------------------------------------

    def validate_async(self, scope: Scope, actor: Actor, draft_id: str) -> DraftTicket:
        return self._start(scope, actor, draft_id, TicketKind.VALIDATE, validate=True)

    def deploy_async(
        self, scope: Scope, actor: Actor, draft_id: str, *, skip_validate: bool = False
    ) -> DraftTicket:
        return self._start(scope, actor, draft_id, TicketKind.DEPLOY, validate=not skip_validate)

    def ticket(self, scope: Scope, ticket_id: str, kind: TicketKind) -> DraftTicket:
        """The ticket and its outcome; ``NotFound`` once it expired."""
        with self._store.transaction() as repos:
            found = repos.read_ticket(
                workspace=scope.workspace, namespace=scope.namespace, ticket_id=ticket_id
            )
        if found is None or found.kind is not kind or found.expires_at <= self._clock():
            raise NotFound(
                f"{kind.value.lower()} ticket {ticket_id!r} does not exist or has expired",
                code=ErrorCode.NOT_FOUND,
            )
        return found

    def _start(
        self, scope: Scope, actor: Actor, draft_id: str, kind: TicketKind, *, validate: bool
    ) -> DraftTicket:
        now = self._clock()
        with self._store.transaction() as repos:
            draft = _require(repos, scope, draft_id)
            if kind is TicketKind.DEPLOY:
                require_editable(draft, actor.id, now)
            repos.delete_expired_tickets(now=now)
            ticket = DraftTicket(
                id=str(uuid.uuid4()),
                workspace=scope.workspace,
                namespace=scope.namespace,
                draft_id=draft.id,
                kind=kind,
                status=TicketStatus.PROCESSING,
                created_at=now,
                expires_at=now + self._ticket_ttl,
            )
            repos.create_ticket(ticket=ticket)

        def work() -> None:
            self._finish(ticket, self._outcome(scope, actor, draft, kind, validate=validate))

        try:
            self._runner.submit(work)
        except MillstreamError as error:
            self._finish(ticket, DraftOutcome(ok=False, message=error.message))
            raise
        return ticket

    def _outcome(
        self,
        scope: Scope,
        actor: Actor,
        draft: DeploymentDraft,
        kind: TicketKind,
        *,
        validate: bool,
    ) -> DraftOutcome:
        try:
            if validate:
                checked = self._validate(scope, draft)
                if not checked.ok or kind is TicketKind.VALIDATE:
                    return checked
            return self._deploy(scope, actor, draft)
        except MillstreamError as error:
            return DraftOutcome(ok=False, message=error.message)
        except Exception:
            _log.exception("%s of deployment draft %s failed", kind.value.lower(), draft.id)
            return DraftOutcome(ok=False, message="internal error; see the server log")

    def _validate(self, scope: Scope, draft: DeploymentDraft) -> DraftOutcome:
        artifact = draft.spec.artifact
        if artifact is None:
            return DraftOutcome(
                ok=False, message="the draft has no artifact", problems=("no artifact",)
            )
        try:
            artifact.validate()
        except InvalidInput as error:
            return DraftOutcome(ok=False, message=error.message, problems=(error.message,))
        if artifact.sql_script is None or not artifact.sql_script.strip():
            return DraftOutcome(ok=True)
        try:
            self._deployments.validate_sql(
                scope,
                artifact.sql_script,
                execution_mode=draft.spec.execution_mode,
                variables=dict(draft.spec.variables),
            )
        except InvalidSql as error:
            return DraftOutcome(
                ok=False, message=error.message, line=error.line, column=error.column
            )
        except InvalidInput as error:  # e.g. an unknown ${variable}
            return DraftOutcome(ok=False, message=error.message)
        return DraftOutcome(ok=True)

    def _deploy(self, scope: Scope, actor: Actor, draft: DeploymentDraft) -> DraftOutcome:
        spec = draft.spec
        if spec.artifact is None:
            return DraftOutcome(ok=False, message="the draft has no artifact; add one first")
        patch = spec_patch(spec)
        revision_id = None
        if draft.deployment_id:
            current = self._deployments.get(scope, draft.deployment_id)
            revision = self._keep(scope, actor, current, draft.id)
            revision_id = revision.id
            deployment = self._deployments.update(
                scope, actor, current.id, pinned(patch, current.version)
            )
        else:
            deployment = self._deployments.create(scope, actor, patch)
            with self._store.transaction() as repos:
                fresh = repos.read_draft(
                    workspace=scope.workspace, namespace=scope.namespace, draft_id=draft.id
                )
                if fresh is not None and fresh.deployment_id is None:
                    fresh.deployment_id = deployment.id
                    repos.update_draft(draft=fresh)
        _log.info("deployment draft %s deployed as %s by %s", draft.id, deployment.id, actor.name)
        return DraftOutcome(ok=True, deployment_id=deployment.id, revision_id=revision_id)

    def _finish(self, ticket: DraftTicket, outcome: DraftOutcome) -> None:
        ticket.outcome = outcome
        ticket.status = TicketStatus.FINISHED if outcome.ok else TicketStatus.FAILED
        with self._store.transaction() as repos:
            repos.update_ticket(ticket=ticket)

    # --- previous specs and rollback ----------------------------------------------------

    def revisions(self, scope: Scope, deployment_id: str) -> builtins.list[SpecRevision]:
        """The specs deploys replaced on the deployment, newest first."""
        self._deployments.get(scope, deployment_id)
        with self._store.transaction() as repos:
            return repos.read_revisions(
                workspace=scope.workspace, namespace=scope.namespace, deployment_id=deployment_id
            )

    def rollback(
        self, scope: Scope, actor: Actor, deployment_id: str, revision_id: str | None = None
    ) -> tuple[Deployment, SpecRevision]:
        """Put back the spec a deploy replaced (the newest, or ``revision_id``); the spec
        it replaces is kept too, so a rollback can itself be rolled back."""
        kept = self.revisions(scope, deployment_id)
        chosen = next((r for r in kept if revision_id in (None, r.id)), None)
        if chosen is None:
            raise NotFound(
                f"deployment {deployment_id!r} has no previous spec"
                + (f" {revision_id!r}" if revision_id else "; deploy a draft onto it first"),
                code=ErrorCode.NOT_FOUND,
            )
        current = self._deployments.get(scope, deployment_id)
        replaced = self._keep(scope, actor, current, None)
        restored = self._deployments.update(
            scope, actor, deployment_id, pinned(spec_patch(chosen.spec), current.version)
        )
        _log.info("deployment %s rolled back to %s by %s", deployment_id, chosen.id, actor.name)
        return restored, replaced

    def _keep(
        self, scope: Scope, actor: Actor, deployment: Deployment, draft_id: str | None
    ) -> SpecRevision:
        revision = SpecRevision(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            deployment_id=deployment.id,
            spec=spec_of(deployment),
            created_at=self._clock(),
            draft_id=draft_id,
            creator=actor.id,
        )
        with self._store.transaction() as repos:
            repos.create_revision(revision=revision)
        return revision

    def close(self) -> None:
        self._runner.close()


def _require(
    repos: DraftRepositories, scope: Scope, draft_id: str, *, for_update: bool = False
) -> DeploymentDraft:
    found = repos.read_draft(
        workspace=scope.workspace,
        namespace=scope.namespace,
        draft_id=draft_id,
        for_update=for_update,
    )
    if found is None:
        raise NotFound(f"deployment draft {draft_id!r} does not exist", code=ErrorCode.NOT_FOUND)
    return found
