"""Draft, scheduled-plan and lineage methods of ``MillstreamClient`` (a mixin: it needs
only the client's ``config``, ``namespace`` and ``_call``, which the client overrides).
The operations themselves are in ``development_ops``; the async twin is
``development_async``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from millstream.client import development_ops as dev
from millstream.client.config import ClientConfig
from millstream.client.development_models import (
    AppliedScheduledPlan,
    DeploymentDraft,
    DraftDeployResult,
    DraftLock,
    DraftValidation,
    Lineage,
    LineageDirection,
    PlanExecution,
    RollbackResult,
    ScheduledPlan,
    SchedulingPolicy,
    SpecRevision,
    TicketStatus,
)
from millstream.client.errors import WaitTimeoutError
from millstream.client.models import Artifact, Page
from millstream.client.operations import Operation

__all__ = ["DevelopmentMethods", "ticket_timeout"]

T = TypeVar("T")
R = TypeVar("R", DraftValidation, DraftDeployResult)


def ticket_timeout(ticket: str, status: TicketStatus | None) -> WaitTimeoutError:
    """The error of a ticket still not FINISHED or FAILED when the wait ran out."""
    last = status.value if status is not None else None
    return WaitTimeoutError(f"ticket {ticket}", frozenset({"FINISHED", "FAILED"}), last)


def _wait(read: Callable[[], R], ticket: str, timeout: float, poll: float) -> R:
    deadline = time.monotonic() + timeout
    while True:
        result = read()
        if result.done:
            return result
        if time.monotonic() >= deadline:
            raise ticket_timeout(ticket, result.ticket_status)
        time.sleep(poll)


class DevelopmentMethods:
    """Deployment drafts, scheduled plans and lineage (see ``MillstreamClient``)."""

    config: ClientConfig

    @property
    def namespace(self) -> str:
        raise NotImplementedError  # MillstreamClient's

    def _call(self, op: Operation[T]) -> T:
        raise NotImplementedError  # MillstreamClient's

    # ------------------------------------------------------------------ drafts

    def create_draft(
        self,
        name: str,
        artifact: Artifact,
        *,
        folder_id: str | None = None,
        engine_version: str | None = None,
        execution_mode: str | None = None,
        labels: dict[str, str] | None = None,
        variables: dict[str, str] | None = None,
        deployment_id: str | None = None,
    ) -> DeploymentDraft:
        """Create a draft in folder ``folder_id`` (default: the root); ``deployment_id``
        makes its deploys update that deployment instead of creating one."""
        body = dev.draft_fields(
            name=name,
            artifact=artifact,
            folder_id=folder_id,
            engine_version=engine_version,
            execution_mode=execution_mode,
            labels=labels,
            variables=variables,
            deployment_id=deployment_id,
        )
        return self._call(dev.create_draft(self.namespace, body))

    def get_draft(self, draft_id: str) -> DeploymentDraft:
        """One draft by id (``NotFoundError`` if there is none)."""
        return self._call(dev.get_draft(self.namespace, draft_id))

    def list_drafts(self, *, page_index: int = 1, page_size: int = 100) -> Page[DeploymentDraft]:
        """One page of the namespace's drafts."""
        return self._call(dev.list_drafts(self.namespace, page_index, page_size))

    def update_draft(
        self,
        draft_id: str,
        *,
        name: str | None = None,
        artifact: Artifact | None = None,
        folder_id: str | None = None,
        engine_version: str | None = None,
        execution_mode: str | None = None,
        labels: dict[str, str] | None = None,
        variables: dict[str, str] | None = None,
        deployment_id: str | None = None,
    ) -> DeploymentDraft:
        """Change the given fields of a draft (the others stay); ``ConflictError`` while
        another user holds its lock."""
        body = dev.draft_fields(
            name=name,
            artifact=artifact,
            folder_id=folder_id,
            engine_version=engine_version,
            execution_mode=execution_mode,
            labels=labels,
            variables=variables,
            deployment_id=deployment_id,
        )
        return self._call(dev.update_draft(self.namespace, draft_id, body))

    def delete_draft(self, draft_id: str) -> None:
        """Delete a draft (``ConflictError`` while another user holds its lock)."""
        self._call(dev.delete_draft(self.namespace, draft_id))

    def lock_draft(self, draft_id: str, *, ttl_seconds: int | None = None) -> DraftLock:
        """Take (or renew) the draft's editing lock for ``ttl_seconds`` (60-86400; the
        server's default is 30 minutes); ``ConflictError`` while someone else holds it."""
        return self._call(dev.lock_draft(self.namespace, draft_id, ttl_seconds))

    def validate_draft_async(self, draft_id: str) -> str:
        """Start validating a draft with Flink's planner; the answer is a ticket id for
        ``get_validate_draft_result``."""
        return self._call(dev.validate_draft_async(self.namespace, draft_id))

    def get_validate_draft_result(self, ticket_id: str) -> DraftValidation:
        """A validation's state; when done, ``.valid`` and the SQL error's line/column."""
        return self._call(dev.get_validate_draft_result(self.namespace, ticket_id))

    def deploy_draft_async(self, draft_id: str, *, skip_validate: bool = False) -> str:
        """Start deploying a draft (validated first unless ``skip_validate``); the answer
        is a ticket id for ``get_deploy_draft_result``."""
        return self._call(dev.deploy_draft_async(self.namespace, draft_id, skip_validate))

    def get_deploy_draft_result(self, ticket_id: str) -> DraftDeployResult:
        """A deploy's state; when done, the ``deployment_id`` it created or updated."""
        return self._call(dev.get_deploy_draft_result(self.namespace, ticket_id))

    def validate_draft(
        self, draft_id: str, *, timeout: float = 120.0, poll: float = 0.5
    ) -> DraftValidation:
        """Validate a draft and wait for the verdict (``WaitTimeoutError`` after
        ``timeout`` seconds)."""
        ticket = self.validate_draft_async(draft_id)
        return _wait(lambda: self.get_validate_draft_result(ticket), ticket, timeout, poll)

    def deploy_draft(
        self,
        draft_id: str,
        *,
        skip_validate: bool = False,
        timeout: float = 300.0,
        poll: float = 0.5,
    ) -> DraftDeployResult:
        """Deploy a draft and wait for the outcome; check ``.success`` and
        ``.deployment_id``."""
        ticket = self.deploy_draft_async(draft_id, skip_validate=skip_validate)
        return _wait(lambda: self.get_deploy_draft_result(ticket), ticket, timeout, poll)

    def list_spec_revisions(self, deployment_id: str) -> list[SpecRevision]:
        """The specs deploys replaced on a deployment, newest first (a Millstream
        extension)."""
        return self._call(dev.list_spec_revisions(self.namespace, deployment_id))

    def rollback_deployment(
        self, deployment_id: str, *, revision_id: str | None = None
    ) -> RollbackResult:
        """Put back a kept spec (the newest unless ``revision_id``); the spec it replaces is
        kept too, so a rollback can be rolled back. A running job keeps running the old
        spec until it is restarted."""
        return self._call(dev.rollback_deployment(self.namespace, deployment_id, revision_id))

    # ------------------------------------------------------------------ scheduled plans

    def create_scheduled_plan(
        self, deployment_id: str, name: str, policies: list[SchedulingPolicy]
    ) -> ScheduledPlan:
        """Create a plan of resource changes for a deployment (not applied yet)."""
        op = dev.create_scheduled_plan(self.namespace, deployment_id, name, policies)
        return self._call(op)

    def update_scheduled_plan(
        self,
        plan_id: str,
        *,
        name: str | None = None,
        policies: list[SchedulingPolicy] | None = None,
    ) -> ScheduledPlan:
        """Rename a plan or replace its policies."""
        return self._call(dev.update_scheduled_plan(self.namespace, plan_id, name, policies))

    def delete_scheduled_plan(self, plan_id: str) -> ScheduledPlan:
        """Delete a plan; the answer is the plan as it was."""
        return self._call(dev.delete_scheduled_plan(self.namespace, plan_id))

    def list_scheduled_plans(
        self, *, deployment_id: str | None = None, page_index: int = 1, page_size: int = 100
    ) -> Page[ScheduledPlan]:
        """One page of the namespace's plans (only one deployment's if given)."""
        op = dev.list_scheduled_plans(self.namespace, deployment_id, page_index, page_size)
        return self._call(op)

    def apply_scheduled_plan(self, plan_id: str) -> AppliedScheduledPlan:
        """Make the deployment follow this plan (its boundaries are applied from now on)."""
        return self._call(dev.apply_scheduled_plan(self.namespace, plan_id))

    def stop_scheduled_plan(self, plan_id: str) -> AppliedScheduledPlan:
        """Stop following a plan (the job keeps its current resources)."""
        return self._call(dev.stop_scheduled_plan(self.namespace, plan_id))

    def get_applied_scheduled_plan(self, deployment_id: str) -> AppliedScheduledPlan | None:
        """The plan a deployment follows, or None."""
        return self._call(dev.get_applied_scheduled_plan(self.namespace, deployment_id))

    def list_scheduled_plan_history(self, deployment_id: str) -> list[PlanExecution]:
        """Every boundary a plan applied to the deployment, with its outcome."""
        return self._call(dev.list_scheduled_plan_history(self.namespace, deployment_id))

    # ------------------------------------------------------------------ lineage

    def get_lineage(
        self,
        *,
        deployment_id: str | None = None,
        table: str | None = None,
        direction: LineageDirection = LineageDirection.BOTH,
        depth: int = 1,
        column_level: bool = True,
    ) -> Lineage:
        """Table and column lineage around a deployment or a table
        (``catalog.database.table``): exactly one of the two; ``depth`` table hops (1-10)."""
        op = dev.get_lineage(
            self.namespace,
            self.config.workspace,
            deployment_id=deployment_id,
            table=table,
            direction=direction,
            depth=depth,
            column_level=column_level,
        )
        return self._call(op)
