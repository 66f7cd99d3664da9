"""Native job insights, a Millstream extension (the Ververica SDK has no such operation):
a job's insides read from Flink, and the metric series Millstream keeps of it.

Under ``/api/v2/namespaces/{namespace}/jobs/{jobId}``: ``graph`` (GetJobGraph),
``vertices`` (ListJobVertexMetrics), ``checkpoints`` (GetJobCheckpoints), ``exceptions``
(ListJobExceptions), ``configuration`` (GetJobConfiguration), ``taskmanagers``
(ListJobTaskManagers), ``metrics/history`` (GetJobMetricHistory); and
``/api/v2/namespaces/{namespace}/job-loads`` (ListJobLoads, what ``millstream top``
shows). Served by ``services.job_insights`` for a job of any dialect's deployment. A job
Flink has no live data for answers 200 with ``live: false`` and a ``note``. Wire:
``mappers.job_insights``.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native.mappers import job_insights as wire
from millstream.api.native.params import NAMESPACE, Identifier
from millstream.api.native.routing import Ctx, native_router, not_enabled, ok
from millstream.control.services.job_insights import MAX_EXCEPTIONS, JobInsightsService
from millstream.domain.errors import InvalidInput
from millstream.domain.job_insights import InsightMetric

__all__ = ["router"]

router = native_router()

_JOB = NAMESPACE + "/jobs/{job_id}"
_METRICS = ", ".join(m.value for m in InsightMetric)

EpochMs = Annotated[int | None, Query(ge=0, le=253_402_300_799_000)]


def _insights(ctx: RequestContext) -> JobInsightsService:
    if ctx.services.job_insights is None:
        raise not_enabled("job insights")
    return ctx.services.job_insights


@router.get(_JOB + "/graph", name="GetJobGraph")
def get_job_graph(ctx: Ctx, job_id: Identifier) -> JSONResponse:
    found = _insights(ctx).graph(ctx.scope, job_id)
    return ok(ctx, wire.insight_to_wire(found, "graph", wire.graph_to_wire(found.data)))


@router.get(_JOB + "/vertices", name="ListJobVertexMetrics")
def list_job_vertex_metrics(ctx: Ctx, job_id: Identifier) -> JSONResponse:
    found = _insights(ctx).vertices(ctx.scope, job_id)
    return ok(ctx, wire.insight_to_wire(found, "vertices", wire.vertices_to_wire(found.data)))


@router.get(_JOB + "/checkpoints", name="GetJobCheckpoints")
def get_job_checkpoints(ctx: Ctx, job_id: Identifier) -> JSONResponse:
    found = _insights(ctx).checkpoints(ctx.scope, job_id)
    return ok(ctx, wire.insight_to_wire(found, "checkpoints", wire.checkpoints_to_wire(found.data)))


@router.get(_JOB + "/exceptions", name="ListJobExceptions")
def list_job_exceptions(
    ctx: Ctx,
    job_id: Identifier,
    limit: Annotated[int, Query(ge=1, le=MAX_EXCEPTIONS)] = 50,
) -> JSONResponse:
    found = _insights(ctx).exceptions(ctx.scope, job_id, limit=limit)
    return ok(ctx, wire.insight_to_wire(found, "exceptions", wire.exceptions_to_wire(found.data)))


@router.get(_JOB + "/configuration", name="GetJobConfiguration")
def get_job_configuration(ctx: Ctx, job_id: Identifier) -> JSONResponse:
    found = _insights(ctx).configuration(ctx.scope, job_id)
    return ok(
        ctx,
        wire.insight_to_wire(found, "configuration", wire.configuration_to_wire(found.data)),
    )


@router.get(_JOB + "/taskmanagers", name="ListJobTaskManagers")
def list_job_taskmanagers(ctx: Ctx, job_id: Identifier) -> JSONResponse:
    found = _insights(ctx).taskmanagers(ctx.scope, job_id)
    return ok(
        ctx, wire.insight_to_wire(found, "taskmanagers", wire.taskmanagers_to_wire(found.data))
    )


@router.get(_JOB + "/metrics/history", name="GetJobMetricHistory")
def get_job_metric_history(
    ctx: Ctx,
    job_id: Identifier,
    metric: Annotated[str, Query(min_length=1, max_length=64)],
    start: EpochMs = None,
    end: EpochMs = None,
    step: Annotated[int | None, Query(ge=1, le=86_400)] = None,
) -> JSONResponse:
    try:
        chosen = InsightMetric(metric)
    except ValueError:
        raise InvalidInput(f"unknown metric {metric!r}; use one of {_METRICS}") from None
    series = _insights(ctx).metric_history(
        ctx.scope,
        job_id,
        chosen,
        start=_moment(start),
        end=_moment(end),
        step_seconds=step,
    )
    return ok(ctx, wire.series_to_wire(series))


@router.get(NAMESPACE + "/job-loads", name="ListJobLoads")
def list_job_loads(ctx: Ctx) -> JSONResponse:
    return ok(ctx, [wire.job_load_to_wire(row) for row in _insights(ctx).top(ctx.scope)])


def _moment(epoch_ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC) if epoch_ms is not None else None
