"""Native GenerateResourcePlanWithFlinkConfAsync and GetGenerateResourcePlanResult:
an EXPERT resource plan from Flink's job graph of a SQL deployment, with the body's
Flink configuration entries on top of the deployment's. The async call answers
``{ticketId}``; the result answers SDK ``AsyncResourcePlanOperationResult {ticketStatus
(EXECUTING, FINISHED, FAILED), plan, message}``. Served by ``services.resource_plans``.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from typing import Annotated, Any

from fastapi import Body, Path
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native.params import NAMESPACE, Identifier
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.services.resource_plans import ResourcePlanService

__all__ = ["router"]

router = native_router()

TicketId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
FlinkConf = Annotated[dict[str, Any] | None, Body()]


def _plans(ctx: RequestContext) -> ResourcePlanService:
    if ctx.services.resource_plans is None:
        raise not_enabled("resource plan generation")
    return ctx.services.resource_plans


@router.post(
    NAMESPACE + "/deployments/{deployment_id}/resource-plan:asyncGenerate",
    name="GenerateResourcePlanWithFlinkConfAsync",
)
def generate_resource_plan_with_flink_conf_async(
    ctx: Ctx, deployment_id: Identifier, body: FlinkConf = None
) -> JSONResponse:
    ticket = _plans(ctx).generate_async(ctx.scope, deployment_id, body or {})
    return ok(ctx, {"ticketId": ticket.id})


@router.get(
    NAMESPACE + "/deployments/tickets/{ticket_id}/resource-plan:asyncGenerate",
    name="GetGenerateResourcePlanResult",
)
def get_generate_resource_plan_result(ctx: Ctx, ticket_id: TicketId) -> JSONResponse:
    ticket = _plans(ctx).result(ctx.scope, ticket_id)
    return ok(
        ctx,
        {"ticketStatus": ticket.status.value, "plan": ticket.plan, "message": ticket.message},
    )
