"""Native Patrol: GetPatrolConfig, UpdatePatrolConfig, TriggerPatrol, ListPatrolReports
and GetPatrolReportDetail, served by ``services.patrol`` (a real inspection of the
namespace's running jobs; the schedule runs as a leader task). The wire mapping lives in
``mappers.patrol``.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native.mappers.patrol import (
    REPORT_STATUSES,
    TRIGGER_TYPES,
    TriggerPatrolBody,
    UpdatePatrolConfigBody,
    config_patch,
    config_to_wire,
    report_detail_to_wire,
    report_item_to_wire,
    scope_of,
)
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.patrol_ports import ReportFilter
from millstream.control.services.patrol import PatrolService
from millstream.domain.errors import InvalidInput, NotFound
from millstream.domain.patrol import PatrolReport, ScopeKind

__all__ = ["router"]

router = native_router()

T = TypeVar("T")

_PATH = "/autopilot/v2/namespaces/{namespace}"

Millis = Annotated[int | None, Query(ge=0, le=253_402_300_799_999)]
Text = Annotated[str | None, Query(max_length=64)]


def _patrol(ctx: RequestContext) -> PatrolService:
    if ctx.services.patrol is None:
        raise not_enabled("patrol reports")
    return ctx.services.patrol


@router.get(_PATH + "/patrol-config", name="GetPatrolConfig")
def get_patrol_config(ctx: Ctx) -> JSONResponse:
    service = _patrol(ctx)
    config = service.config(ctx.scope)
    return ok(ctx, config_to_wire(config, service.next_run(config)))


@router.patch(_PATH + "/patrol-config", name="UpdatePatrolConfig")
def update_patrol_config(ctx: Ctx, body: UpdatePatrolConfigBody) -> JSONResponse:
    service = _patrol(ctx)
    current = service.config(ctx.scope)
    config = service.update_config(ctx.scope, config_patch(body, current))
    return ok(ctx, config_to_wire(config, service.next_run(config)))


@router.post(_PATH + "/patrol-reports/trigger", name="TriggerPatrol")
def trigger_patrol(ctx: Ctx, body: TriggerPatrolBody | None = None) -> JSONResponse:
    service = _patrol(ctx)
    requested = None
    if body is not None:
        requested = scope_of(body.scope_type, body.scope_config, service.config(ctx.scope).scope)
    report = service.trigger(ctx.scope, requested)
    item = report_item_to_wire(report)
    return ok(ctx, {"reportId": report.id, "status": item["status"]})


@router.get(_PATH + "/patrol-reports", name="ListPatrolReports")
def list_patrol_reports(
    ctx: Ctx,
    start_date: Annotated[Millis, Query(alias="startDate")] = None,
    end_date: Annotated[Millis, Query(alias="endDate")] = None,
    status: Annotated[Text, Query(alias="status")] = None,
    trigger_type: Annotated[Text, Query(alias="triggerType")] = None,
    scope_type: Annotated[Text, Query(alias="scopeType")] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(alias="size", ge=1, le=200)] = 20,
) -> JSONResponse:
    where = ReportFilter(
        start=_at(start_date) if start_date is not None else None,
        end=_at(end_date) if end_date is not None else None,
        status=_choice("status", status, REPORT_STATUSES),
        trigger=_choice("triggerType", trigger_type, TRIGGER_TYPES),
        scope=_choice("scopeType", scope_type, {kind.value: kind for kind in ScopeKind}),
    )
    if where.start and where.end and where.start > where.end:
        raise InvalidInput("startDate must not be after endDate")
    reports, total = _patrol(ctx).reports(
        ctx.scope, where, offset=(page_number - 1) * size, limit=size
    )
    return ok(
        ctx,
        {
            "items": [report_item_to_wire(report) for report in reports],
            "page": page_number,
            "size": size,
            "total": total,
        },
    )


@router.get(_PATH + "/patrol-reports/details", name="GetPatrolReportDetail")
def get_patrol_report_detail(
    ctx: Ctx,
    report_id: Annotated[str | None, Query(alias="reportId", max_length=64)] = None,
    day: Annotated[Text, Query(alias="date")] = None,
    timezone: Annotated[Text, Query(alias="timezone")] = None,
) -> JSONResponse:
    service = _patrol(ctx)
    if report_id:
        return ok(ctx, report_detail_to_wire(service.report(ctx.scope, report_id)))
    if not day:
        raise InvalidInput("give reportId, or date (YYYY-MM-DD, today or yesterday)")
    return ok(ctx, report_detail_to_wire(_latest_on(ctx, service, day, timezone or "UTC")))


def _latest_on(
    ctx: RequestContext, service: PatrolService, day: str, zone_name: str
) -> PatrolReport:
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown timezone {zone_name!r}: use an IANA name such as UTC") from exc
    today = datetime.now(zone).date()
    named = {"today": today, "yesterday": today - timedelta(days=1)}
    try:
        wanted = named.get(day.strip().lower()) or date.fromisoformat(day.strip())
    except ValueError as exc:
        raise InvalidInput(f"invalid date {day!r}: use YYYY-MM-DD, today or yesterday") from exc
    start = datetime.combine(wanted, datetime.min.time(), zone)
    where = ReportFilter(start=start, end=start + timedelta(days=1) - timedelta(microseconds=1))
    reports, _ = service.reports(ctx.scope, where, offset=0, limit=1)
    if not reports:
        raise NotFound(f"no patrol report on {wanted.isoformat()} ({zone_name})")
    return reports[0]


def _choice(field: str, value: str | None, choices: dict[str, T]) -> T | None:
    if value is None or not value.strip():
        return None
    found = choices.get(value.strip().upper())
    if found is None:
        raise InvalidInput(f"{field} must be one of {', '.join(choices)}")
    return found


def _at(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)
