"""Native health checks, a Millstream extension (the Ververica SDK has no such
operation): GetDeploymentHealth at ``/api/v2/namespaces/{namespace}/deployments/
{deploymentId}/health`` and GetHealthPolicy, PutHealthPolicy, DeleteHealthPolicy at
``.../health-policy``, served by ``services.health``.

The wire (camelCase, the native envelope). A policy: ``maxRestarts`` within
``restartWindowSeconds``, ``checkpointStallSeconds``, ``sourceIdleSeconds`` (``null``:
not checked), ``autoRestart``, ``rollback``, ``readinessTimeoutSeconds``,
``stablePeriodSeconds``. Health: ``state`` (HEALTHY, UNHEALTHY, UNKNOWN), ``reason``,
``message``, ``since``, ``jobId``, ``restartsInWindow``, ``lastStableJobId``,
``lastStableVersion``, ``lastStableAt``, ``pendingAction`` and the ``policy``.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from millstream.api.dialect import RequestContext
from millstream.api.native.params import NAMESPACE, Identifier
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.services.health import HealthService, PolicyFields
from millstream.domain.health import HealthPolicy, HealthStatus, restarts_in_window

__all__ = ["PutHealthPolicyBody", "health_to_wire", "policy_to_wire", "router"]

router = native_router()

_HEALTH = NAMESPACE + "/deployments/{deployment_id}/health"
_POLICY = NAMESPACE + "/deployments/{deployment_id}/health-policy"
_MONTH = 30 * 24 * 3600
Seconds = Annotated[int, Field(ge=1, le=_MONTH)]


class PutHealthPolicyBody(BaseModel):
    """A full replacement of the deployment's policy; unknown fields are a 400."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    max_restarts: Annotated[int | None, Field(ge=0, le=1000)] = None
    restart_window_seconds: Seconds = 600
    checkpoint_stall_seconds: Seconds | None = None
    source_idle_seconds: Seconds | None = None
    auto_restart: bool = False
    rollback: bool = False
    readiness_timeout_seconds: Seconds = 300
    stable_period_seconds: Seconds = 60


def policy_to_wire(policy: HealthPolicy) -> dict[str, Any]:
    return {
        "deploymentId": policy.deployment_id,
        "maxRestarts": policy.max_restarts,
        "restartWindowSeconds": policy.restart_window_seconds,
        "checkpointStallSeconds": policy.checkpoint_stall_seconds,
        "sourceIdleSeconds": policy.source_idle_seconds,
        "autoRestart": policy.auto_restart,
        "rollback": policy.rollback,
        "readinessTimeoutSeconds": policy.readiness_timeout_seconds,
        "stablePeriodSeconds": policy.stable_period_seconds,
        "modifiedAt": _iso(policy.modified_at),
    }


def health_to_wire(policy: HealthPolicy | None, status: HealthStatus) -> dict[str, Any]:
    window = policy.restart_window_seconds if policy is not None else 600
    return {
        "deploymentId": status.deployment_id,
        "state": status.state.value,
        "reason": status.reason.value if status.reason is not None else None,
        "message": status.message,
        "since": _iso(status.since),
        "checkedAt": _iso(status.checked_at),
        "jobId": status.job_id,
        "restartsInWindow": restarts_in_window(status.restart_marks, window, datetime.now(UTC)),
        "lastStableJobId": status.stable_job_id,
        "lastStableVersion": status.stable_version,
        "lastStableAt": _iso(status.stable_at),
        "pendingAction": status.pending_action.value if status.pending_action else None,
        "policy": policy_to_wire(policy) if policy is not None else None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _health(ctx: RequestContext) -> HealthService:
    if ctx.services.health is None:
        raise not_enabled("health checks")
    return ctx.services.health


@router.get(_HEALTH, name="GetDeploymentHealth")
def get_deployment_health(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
    policy, status = _health(ctx).health(ctx.scope, deployment_id)
    return ok(ctx, health_to_wire(policy, status))


@router.get(_POLICY, name="GetHealthPolicy")
def get_health_policy(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
    return ok(ctx, policy_to_wire(_health(ctx).get_policy(ctx.scope, deployment_id)))


@router.put(_POLICY, name="PutHealthPolicy")
def put_health_policy(
    ctx: Ctx, deployment_id: Identifier, body: PutHealthPolicyBody
) -> JSONResponse:
    fields = PolicyFields(**body.model_dump())
    policy = _health(ctx).put_policy(ctx.scope, ctx.actor, deployment_id, fields)
    return ok(ctx, policy_to_wire(policy))


@router.delete(_POLICY, name="DeleteHealthPolicy")
def delete_health_policy(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
    _health(ctx).delete_policy(ctx.scope, deployment_id)
    return ok(ctx)
