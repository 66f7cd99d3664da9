"""Native scheduled plans: CreateScheduledPlan, UpdateScheduledPlan, DeleteScheduledPlan,
ListScheduledPlan, ApplyScheduledPlan, StopApplyScheduledPlan, GetAppliedScheduledPlan and
ListScheduledPlanExecutedHistory at the SDK's paths, served by
``services.scheduled_plans``; the leader task applies each boundary through a hot update
(``control.scheduled_plans``). Wire mapping in ``mappers.scheduled_plans``.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from typing import Annotated

from fastapi import Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native.mappers.scheduled_plans import (
    ScheduledPlanBody,
    applied_to_wire,
    changes_from_wire,
    execution_to_wire,
    plan_to_wire,
)
from millstream.api.native.params import NAMESPACE, Identifier, PageIndex, PageSize
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok, page
from millstream.control.services.scheduled_plans import ScheduledPlanService
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.errors import InvalidInput
from millstream.domain.scheduled_plans import ScheduledPlan

__all__ = ["router"]

router = native_router()

_PLANS = NAMESPACE + "/scheduled-plans"
_PLAN = _PLANS + "/{scheduled_plan_id}"
DeploymentQuery = Annotated[str | None, Query(alias="deploymentId", max_length=64)]
OriginQuery = Annotated[str | None, Query(alias="origin", max_length=64)]


def _plans(ctx: RequestContext) -> ScheduledPlanService:
    if ctx.services.scheduled_plans is None:
        raise not_enabled("scheduled plans")
    return ctx.services.scheduled_plans


def _wire(ctx: RequestContext, plan: ScheduledPlan) -> dict[str, object]:
    deployment = ctx.services.deployments.get(ctx.scope, plan.deployment_id)
    return plan_to_wire(plan, batch=deployment.execution_mode is ExecutionMode.BATCH)


def _required(value: str | None, field: str) -> str:
    if value is None or not value.strip():
        raise InvalidInput(f"{field} is required")
    return value.strip()


@router.post(_PLANS, name="CreateScheduledPlan")
def create_scheduled_plan(ctx: Ctx, body: ScheduledPlanBody) -> JSONResponse:
    deployment_id = _required(body.deployment_id, "deploymentId")
    deployment = ctx.services.deployments.get(ctx.scope, deployment_id)
    changes = changes_from_wire(body.periodic_scheduling_policies or [], deployment)
    plan = _plans(ctx).create(
        ctx.scope,
        ctx.actor,
        deployment_id=deployment_id,
        name=_required(body.name, "name"),
        changes=changes,
    )
    return ok(ctx, _wire(ctx, plan))


@router.put(_PLAN, name="UpdateScheduledPlan")
def update_scheduled_plan(
    ctx: Ctx, scheduled_plan_id: Identifier, body: ScheduledPlanBody
) -> JSONResponse:
    service = _plans(ctx)
    current = service.get(ctx.scope, scheduled_plan_id)
    if body.deployment_id and body.deployment_id != current.deployment_id:
        raise InvalidInput("a scheduled plan stays with its deployment; create a new plan")
    changes = None
    if body.periodic_scheduling_policies is not None:
        deployment = ctx.services.deployments.get(ctx.scope, current.deployment_id)
        changes = changes_from_wire(body.periodic_scheduling_policies, deployment)
    plan = service.update(ctx.scope, ctx.actor, scheduled_plan_id, name=body.name, changes=changes)
    return ok(ctx, _wire(ctx, plan))


@router.delete(_PLAN, name="DeleteScheduledPlan")
def delete_scheduled_plan(ctx: Ctx, scheduled_plan_id: Identifier) -> JSONResponse:
    service = _plans(ctx)
    deployment_id = service.get(ctx.scope, scheduled_plan_id).deployment_id
    deployment = ctx.services.deployments.get(ctx.scope, deployment_id)
    plan = service.delete(ctx.scope, scheduled_plan_id)
    return ok(ctx, plan_to_wire(plan, batch=deployment.execution_mode is ExecutionMode.BATCH))


@router.get(_PLANS, name="ListScheduledPlan")
def list_scheduled_plan(
    ctx: Ctx,
    deployment_id: DeploymentQuery = None,
    page_index: PageIndex = 1,
    page_size: PageSize = 10,
) -> JSONResponse:
    found = _plans(ctx).list(ctx.scope, deployment_id)
    start = (page_index - 1) * page_size
    items = [_wire(ctx, p) for p in found[start : start + page_size]]
    return page(ctx, items, page_index, page_size, len(found))


@router.post(_PLAN + ":apply", name="ApplyScheduledPlan")
def apply_scheduled_plan(ctx: Ctx, scheduled_plan_id: Identifier) -> JSONResponse:
    plan = _plans(ctx).apply(ctx.scope, ctx.actor, scheduled_plan_id)
    return ok(ctx, applied_to_wire(plan))


@router.patch(_PLAN + ":stop", name="StopApplyScheduledPlan")
def stop_apply_scheduled_plan(ctx: Ctx, scheduled_plan_id: Identifier) -> JSONResponse:
    plan = _plans(ctx).stop_apply(ctx.scope, ctx.actor, scheduled_plan_id)
    return ok(ctx, applied_to_wire(plan))


@router.get(_PLANS + ":getExecutedScheduledPlan", name="GetAppliedScheduledPlan")
def get_applied_scheduled_plan(ctx: Ctx, deployment_id: DeploymentQuery = None) -> JSONResponse:
    plan = _plans(ctx).applied(ctx.scope, _required(deployment_id, "deploymentId"))
    return ok(ctx, applied_to_wire(plan) if plan is not None else None)


@router.get(NAMESPACE + "/job-resource-upgradings", name="ListScheduledPlanExecutedHistory")
def list_scheduled_plan_executed_history(
    ctx: Ctx, deployment_id: DeploymentQuery = None, origin: OriginQuery = None
) -> JSONResponse:
    if origin is not None and origin.upper() not in {"SCHEDULED_PLAN", ""}:
        raise InvalidInput(f"unknown origin {origin!r}; use SCHEDULED_PLAN")
    found = _plans(ctx).history(ctx.scope, _required(deployment_id, "deploymentId"))
    items = [execution_to_wire(e) for e in found]
    return page(ctx, items, 1, max(1, len(items)), len(items))
