"""Native Autopilot: GetAutopilotPolicy, UpdateAutopilotPolicy and
ListAutopilotTuningHistories, served by the one autoscaler (``services.autoscale``) the
foas dialect's autoscaling operations also use. The wire mapping and what is refused live
in ``mappers.autopilot``; a tuning history is a plan the autoscaler recorded.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native.mappers.autopilot import (
    UpdateAutopilotPolicyBody,
    policy_patch,
    policy_to_wire,
    tuning_history_to_wire,
)
from millstream.api.native.params import Identifier
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.services.autoscale import AutoscaleService
from millstream.domain.autoscale import PlanOutcome
from millstream.domain.errors import InvalidInput

__all__ = ["router"]

router = native_router()

_PATH = "/autopilot/v2/namespaces/{namespace}/deployments/{deployment_id}"
_DEFAULT_WINDOW = timedelta(days=3)
_MAX_WINDOW = timedelta(days=30)
# The autoscale service returns at most this many plans (newest first) per call.
_MAX_PLANS = 500

Millis = Annotated[int | None, Query(ge=0, le=253_402_300_799_999)]


def _autoscale(ctx: RequestContext) -> AutoscaleService:
    if ctx.services.autoscale is None:
        raise not_enabled("autoscaling settings")
    return ctx.services.autoscale


@router.get(_PATH + "/autopilotpolicy-describe", name="GetAutopilotPolicy")
def get_autopilot_policy(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
    config = _autoscale(ctx).config(ctx.scope, deployment_id)
    return ok(ctx, policy_to_wire(config))


@router.put(_PATH + "/autopilotpolicy-update", name="UpdateAutopilotPolicy")
def update_autopilot_policy(
    ctx: Ctx, deployment_id: Identifier, body: UpdateAutopilotPolicyBody
) -> JSONResponse:
    patch = policy_patch(body)
    config = _autoscale(ctx).update_config(ctx.scope, ctx.actor, deployment_id, patch)
    return ok(ctx, policy_to_wire(config))


@router.get(_PATH + "/tuninghistories", name="ListAutopilotTuningHistories")
def list_autopilot_tuning_histories(
    ctx: Ctx,
    deployment_id: Identifier,
    start_time: Annotated[Millis, Query(alias="startTime")] = None,
    end_time: Annotated[Millis, Query(alias="endTime")] = None,
    page_number: Annotated[int, Query(alias="pageNumber", ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 20,
) -> JSONResponse:
    end = _at(end_time) if end_time is not None else datetime.now(UTC)
    start = _at(start_time) if start_time is not None else end - _DEFAULT_WINDOW
    if start > end:
        raise InvalidInput("startTime must not be after endTime")
    if end - start > _MAX_WINDOW:
        raise InvalidInput("the span between startTime and endTime must not exceed 30 days")
    service = _autoscale(ctx)
    deployment = ctx.services.deployments.get(ctx.scope, deployment_id)
    # A plan that changes nothing (KEPT) is no tuning; the rest are, newest first.
    tunings = [
        plan
        for plan in service.plans(ctx.scope, deployment_id, limit=_MAX_PLANS)
        if plan.outcome is not PlanOutcome.KEPT and start <= plan.created_at <= end
    ]
    offset = (page_number - 1) * page_size
    shown = tunings[offset : offset + page_size]
    return ok(
        ctx,
        {
            "pageNumber": page_number,
            "pageSize": page_size,
            "totalCount": len(tunings),
            "tuningHistories": [tuning_history_to_wire(p, deployment.name) for p in shown],
        },
    )


def _at(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)
