"""Native periodic savepoints, a Millstream extension (the Ververica SDK has no such
operation): GetSavepointSchedule, PutSavepointSchedule and DeleteSavepointSchedule at
``/api/v2/namespaces/{namespace}/deployments/{deploymentId}/savepoint-schedule``, served
by ``services.savepoint_schedules``.

The wire (camelCase, the native envelope): ``intervalSeconds`` or ``cron`` (five fields),
``timezone`` (IANA, for the cron expression and the blackout windows), ``maxCount``,
``maxAgeSeconds``, ``blackouts`` (``["HH:MM-HH:MM", ...]``); a read adds
``deploymentId``, ``lastTriggeredAt``, ``nextDueAt`` and ``pendingSavepointId``.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from typing import Annotated, Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from millstream.api.dialect import RequestContext
from millstream.api.native.params import NAMESPACE, Identifier
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.services.savepoint_schedules import SavepointScheduleService
from millstream.domain.savepoint_schedules import SavepointSchedule, next_due

__all__ = ["PutSavepointScheduleBody", "router", "schedule_to_wire"]

router = native_router()

_PATH = NAMESPACE + "/deployments/{deployment_id}/savepoint-schedule"
_TEN_YEARS = 10 * 365 * 24 * 3600


class PutSavepointScheduleBody(BaseModel):
    """A full replacement of the deployment's schedule; unknown fields are a 400."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    interval_seconds: Annotated[int | None, Field(ge=1, le=_TEN_YEARS)] = None
    cron: Annotated[str | None, Field(min_length=1, max_length=128)] = None
    timezone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"
    max_count: Annotated[int | None, Field(ge=1, le=10_000)] = None
    max_age_seconds: Annotated[int | None, Field(ge=1, le=_TEN_YEARS)] = None
    blackouts: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=32)]], Field(max_length=24)
    ] = Field(default_factory=list)


def schedule_to_wire(schedule: SavepointSchedule) -> dict[str, Any]:
    return {
        "deploymentId": schedule.deployment_id,
        "intervalSeconds": schedule.interval_seconds,
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "maxCount": schedule.retention.max_count,
        "maxAgeSeconds": schedule.retention.max_age_seconds,
        "blackouts": [str(window) for window in schedule.blackouts],
        "lastTriggeredAt": _iso(schedule.last_triggered_at),
        "nextDueAt": next_due(schedule).isoformat(),
        "pendingSavepointId": schedule.pending_savepoint_id,
        "modifiedAt": _iso(schedule.modified_at),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _schedules(ctx: RequestContext) -> SavepointScheduleService:
    if ctx.services.savepoint_schedules is None:
        raise not_enabled("savepoint schedules")
    return ctx.services.savepoint_schedules


@router.get(_PATH, name="GetSavepointSchedule")
def get_savepoint_schedule(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
    return ok(ctx, schedule_to_wire(_schedules(ctx).get(ctx.scope, deployment_id)))


@router.put(_PATH, name="PutSavepointSchedule")
def put_savepoint_schedule(
    ctx: Ctx, deployment_id: Identifier, body: PutSavepointScheduleBody
) -> JSONResponse:
    schedule = _schedules(ctx).put(
        ctx.scope,
        ctx.actor,
        deployment_id,
        interval_seconds=body.interval_seconds,
        cron=body.cron,
        timezone=body.timezone,
        max_count=body.max_count,
        max_age_seconds=body.max_age_seconds,
        blackouts=body.blackouts,
    )
    return ok(ctx, schedule_to_wire(schedule))


@router.delete(_PATH, name="DeleteSavepointSchedule")
def delete_savepoint_schedule(ctx: Ctx, deployment_id: Identifier) -> JSONResponse:
    _schedules(ctx).delete(ctx.scope, deployment_id)
    return ok(ctx)
