"""``SqlScheduledPlanStore``: the ``ScheduledPlanStore`` port of
``control.scheduled_plan_ports`` over the tables of migration 0024 (``scheduled_plans``,
``scheduled_plan_executions``, ``resource_plan_tickets``, ``deployment_lineages``).

The app factory builds it on the main store's engine (one connection pool).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from millstream.domain.lineage import Lineage
from millstream.domain.resource_plans import ResourcePlanTicket, TicketStatus
from millstream.domain.scheduled_plans import (
    ExecutionState,
    PlanExecution,
    RestartType,
    ScheduledChange,
    ScheduledPlan,
    ScheduleLevel,
)
from millstream.store.mappers import resources_from_json, resources_to_json
from millstream.store.models import (
    DeploymentLineageRow,
    ResourcePlanTicketRow,
    ScheduledPlanExecutionRow,
    ScheduledPlanRow,
)
from millstream.store.store import SessionStore

__all__ = ["SqlScheduledPlanRepositories", "SqlScheduledPlanStore"]


def _change_to_json(change: ScheduledChange) -> dict[str, Any]:
    return {
        "level": change.level.value,
        "values": list(change.values),
        "timeOfDayMs": change.time_of_day_ms,
        "onceAt": change.once_at.isoformat() if change.once_at else None,
        "resources": resources_to_json(change.resources),
        "flinkConf": dict(change.flink_conf),
    }


def _change_from_json(data: dict[str, Any]) -> ScheduledChange:
    once = data.get("onceAt")
    return ScheduledChange(
        level=ScheduleLevel(data["level"]),
        values=tuple(int(v) for v in data.get("values") or []),
        time_of_day_ms=data.get("timeOfDayMs"),
        once_at=datetime.fromisoformat(once).astimezone(UTC) if once else None,
        resources=resources_from_json(data.get("resources") or {}),
        flink_conf=dict(data.get("flinkConf") or {}),
    )


def _plan_values(plan: ScheduledPlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "workspace": plan.workspace,
        "namespace": plan.namespace,
        "deployment_id": plan.deployment_id,
        "name": plan.name,
        "changes": {"items": [_change_to_json(c) for c in plan.changes]},
        "applied": plan.applied,
        "applied_at": plan.applied_at,
        "handled_until": plan.handled_until,
        "creator": plan.creator,
        "modifier": plan.modifier,
        "created_at": plan.created_at,
        "modified_at": plan.modified_at,
    }


def _plan(row: ScheduledPlanRow) -> ScheduledPlan:
    return ScheduledPlan(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        deployment_id=row.deployment_id,
        name=row.name,
        changes=tuple(_change_from_json(c) for c in (row.changes or {}).get("items", [])),
        applied=row.applied,
        applied_at=row.applied_at,
        handled_until=row.handled_until,
        creator=row.creator,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


def _execution_values(execution: PlanExecution) -> dict[str, Any]:
    return {
        "id": execution.id,
        "workspace": execution.workspace,
        "namespace": execution.namespace,
        "deployment_id": execution.deployment_id,
        "plan_id": execution.plan_id,
        "plan_name": execution.plan_name,
        "job_id": execution.job_id,
        "hot_update_id": execution.hot_update_id,
        "restart_type": execution.restart_type.value,
        "state": execution.state.value,
        "message": execution.message,
        "boundary_at": execution.boundary_at,
        "created_at": execution.created_at,
    }


def _execution(row: ScheduledPlanExecutionRow) -> PlanExecution:
    return PlanExecution(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        deployment_id=row.deployment_id,
        plan_id=row.plan_id,
        plan_name=row.plan_name,
        job_id=row.job_id,
        hot_update_id=row.hot_update_id,
        restart_type=RestartType(row.restart_type),
        state=ExecutionState(row.state),
        message=row.message,
        boundary_at=row.boundary_at,
        created_at=row.created_at,
    )


def _ticket_values(ticket: ResourcePlanTicket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "workspace": ticket.workspace,
        "namespace": ticket.namespace,
        "deployment_id": ticket.deployment_id,
        "status": ticket.status.value,
        "plan": ticket.plan,
        "message": ticket.message,
        "created_at": ticket.created_at,
        "modified_at": ticket.modified_at,
    }


def _ticket(row: ResourcePlanTicketRow) -> ResourcePlanTicket:
    return ResourcePlanTicket(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        deployment_id=row.deployment_id,
        status=TicketStatus(row.status),
        plan=row.plan,
        message=row.message,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


def _assign(row: Any, values: dict[str, Any], keep: set[str]) -> None:
    for key, value in values.items():
        if key not in keep:
            setattr(row, key, value)


class SqlScheduledPlanRepositories:
    """The ``ScheduledPlanRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read_scheduled_plan(self, *, plan_id: str) -> ScheduledPlan | None:
        row = self._session.get(ScheduledPlanRow, plan_id)
        return _plan(row) if row is not None else None

    def read_scheduled_plans(
        self, *, workspace: str, namespace: str, deployment_id: str | None = None
    ) -> list[ScheduledPlan]:
        query = select(ScheduledPlanRow).where(
            ScheduledPlanRow.workspace == workspace, ScheduledPlanRow.namespace == namespace
        )
        if deployment_id is not None:
            query = query.where(ScheduledPlanRow.deployment_id == deployment_id)
        query = query.order_by(ScheduledPlanRow.created_at, ScheduledPlanRow.id)
        return [_plan(row) for row in self._session.scalars(query)]

    def read_applied_scheduled_plans(self) -> list[ScheduledPlan]:
        query = (
            select(ScheduledPlanRow)
            .where(ScheduledPlanRow.applied.is_(True))
            .order_by(ScheduledPlanRow.id)
        )
        return [_plan(row) for row in self._session.scalars(query)]

    def read_scheduled_plan_by_name(
        self, *, workspace: str, namespace: str, name: str
    ) -> ScheduledPlan | None:
        query = select(ScheduledPlanRow).where(
            ScheduledPlanRow.workspace == workspace,
            ScheduledPlanRow.namespace == namespace,
            ScheduledPlanRow.name == name,
        )
        row = self._session.scalars(query).first()
        return _plan(row) if row is not None else None

    def write_scheduled_plan(self, *, plan: ScheduledPlan) -> None:
        values = _plan_values(plan)
        row = self._session.get(ScheduledPlanRow, plan.id)
        if row is None:
            self._session.add(ScheduledPlanRow(**values))
        else:
            _assign(row, values, {"id", "created_at", "creator"})
        self._session.flush()

    def delete_scheduled_plan(self, *, plan_id: str) -> bool:
        result = self._session.execute(
            delete(ScheduledPlanRow).where(ScheduledPlanRow.id == plan_id)
        )
        return bool(getattr(result, "rowcount", 0))

    def create_plan_execution(self, *, execution: PlanExecution) -> None:
        self._session.add(ScheduledPlanExecutionRow(**_execution_values(execution)))
        self._session.flush()

    def update_plan_execution(self, *, execution: PlanExecution) -> None:
        row = self._session.get(ScheduledPlanExecutionRow, execution.id)
        if row is not None:
            _assign(row, _execution_values(execution), {"id"})
            self._session.flush()

    def read_plan_executions(self, *, deployment_id: str, limit: int) -> list[PlanExecution]:
        query = (
            select(ScheduledPlanExecutionRow)
            .where(ScheduledPlanExecutionRow.deployment_id == deployment_id)
            .order_by(
                ScheduledPlanExecutionRow.created_at.desc(), ScheduledPlanExecutionRow.id.desc()
            )
            .limit(limit)
        )
        return [_execution(row) for row in self._session.scalars(query)]

    def prune_plan_executions(self, *, deployment_id: str, keep: int) -> None:
        kept = self.read_plan_executions(deployment_id=deployment_id, limit=keep)
        if len(kept) < keep:
            return
        self._session.execute(
            delete(ScheduledPlanExecutionRow).where(
                ScheduledPlanExecutionRow.deployment_id == deployment_id,
                ScheduledPlanExecutionRow.created_at < kept[-1].created_at,
            )
        )

    def create_resource_plan_ticket(self, *, ticket: ResourcePlanTicket) -> None:
        self._session.add(ResourcePlanTicketRow(**_ticket_values(ticket)))
        self._session.flush()

    def update_resource_plan_ticket(self, *, ticket: ResourcePlanTicket) -> None:
        row = self._session.get(ResourcePlanTicketRow, ticket.id)
        if row is not None:
            _assign(row, _ticket_values(ticket), {"id", "created_at"})
            self._session.flush()

    def read_resource_plan_ticket(self, *, ticket_id: str) -> ResourcePlanTicket | None:
        row = self._session.get(ResourcePlanTicketRow, ticket_id)
        return _ticket(row) if row is not None else None

    def delete_resource_plan_tickets_before(self, *, moment: datetime) -> None:
        self._session.execute(
            delete(ResourcePlanTicketRow).where(ResourcePlanTicketRow.created_at < moment)
        )

    def read_lineage(self, *, deployment_id: str) -> tuple[str, Lineage] | None:
        row = self._session.get(DeploymentLineageRow, deployment_id)
        if row is None:
            return None
        return row.spec_digest, Lineage.from_json(row.lineage)

    def write_lineage(
        self, *, deployment_id: str, digest: str, lineage: Lineage, at: datetime
    ) -> None:
        row = self._session.get(DeploymentLineageRow, deployment_id)
        values = {"spec_digest": digest, "lineage": lineage.to_json(), "computed_at": at}
        if row is None:
            self._session.add(DeploymentLineageRow(deployment_id=deployment_id, **values))
        else:
            _assign(row, values, set())
        self._session.flush()


class SqlScheduledPlanStore(SessionStore[SqlScheduledPlanRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlScheduledPlanRepositories, **engine_options)
