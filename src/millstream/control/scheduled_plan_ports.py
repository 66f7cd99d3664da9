"""The store port of scheduled plans, their executed history, resource-plan tickets and
cached lineage (migration 0024).

``control.services.scheduled_plans``, ``control.scheduled_plans`` (the leader task),
``control.services.resource_plans`` and ``control.services.lineage`` use it;
``store.scheduled_plans`` implements it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from millstream.domain.lineage import Lineage
from millstream.domain.resource_plans import ResourcePlanTicket
from millstream.domain.scheduled_plans import PlanExecution, ScheduledPlan

__all__ = ["ScheduledPlanRepositories", "ScheduledPlanStore"]


class ScheduledPlanRepositories(Protocol):
    def read_scheduled_plan(self, *, plan_id: str) -> ScheduledPlan | None: ...
    def read_scheduled_plans(
        self, *, workspace: str, namespace: str, deployment_id: str | None = None
    ) -> list[ScheduledPlan]:
        """Oldest first."""
        ...

    def read_applied_scheduled_plans(self) -> list[ScheduledPlan]:
        """Every applied plan of every namespace (the leader task's round)."""
        ...

    def read_scheduled_plan_by_name(
        self, *, workspace: str, namespace: str, name: str
    ) -> ScheduledPlan | None: ...
    def write_scheduled_plan(self, *, plan: ScheduledPlan) -> None:
        """Create or replace."""
        ...

    def delete_scheduled_plan(self, *, plan_id: str) -> bool: ...
    def create_plan_execution(self, *, execution: PlanExecution) -> None: ...
    def update_plan_execution(self, *, execution: PlanExecution) -> None: ...
    def read_plan_executions(self, *, deployment_id: str, limit: int) -> list[PlanExecution]:
        """Newest first."""
        ...

    def prune_plan_executions(self, *, deployment_id: str, keep: int) -> None: ...
    def create_resource_plan_ticket(self, *, ticket: ResourcePlanTicket) -> None: ...
    def update_resource_plan_ticket(self, *, ticket: ResourcePlanTicket) -> None: ...
    def read_resource_plan_ticket(self, *, ticket_id: str) -> ResourcePlanTicket | None: ...
    def delete_resource_plan_tickets_before(self, *, moment: datetime) -> None: ...
    def read_lineage(self, *, deployment_id: str) -> tuple[str, Lineage] | None:
        """The stored lineage and the digest of the spec it was computed from."""
        ...

    def write_lineage(
        self, *, deployment_id: str, digest: str, lineage: Lineage, at: datetime
    ) -> None: ...


class ScheduledPlanStore(Protocol):
    def transaction(self) -> AbstractContextManager[ScheduledPlanRepositories]: ...
