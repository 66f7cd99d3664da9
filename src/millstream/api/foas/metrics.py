"""GetInstanceMetric (spec §3.1.9, metric names §2.6): Flink's metrics of a running
instance under the document's names.

``metricJson`` is an OpenTSDB query: ``start``/``end`` (ms) and ``queries`` of
``{"metric": "blink.<project>.<job>.<name>", "aggregator", "downsample"}``. Millstream
keeps no metric history: each metric answers Flink's current value as one data point
(``Dps``, keyed by the second it was read, and ``Summary``) when the asked window
reaches now (``end`` missing or not over a minute old), else no points. The names
Flink can answer (``SOURCES``):

- job metrics: ``checkpoints`` (completed checkpoints), ``lastCheckpointDuration``,
  ``lastCheckpointSize``, ``task_failover.rate`` (Flink's restart count, ``numRestarts``);
- vertex metrics summed over every subtask: ``numRecordsInPerSecond.rate``,
  ``numRecordsOutPerSecond.rate``, ``tps.rate`` (the sources' output), ``sink.outTps.rate``
  (the sinks' input); the maximum over subtasks: ``buffers.inPoolUsage``,
  ``buffers.outPoolUsage``.
Any other name of the document's table is a 400 ``InvalidParameter`` naming these.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.context import Project, open_project
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.api.foas.instances import instance_of
from millstream.api.foas.jobs import deployment_named
from millstream.api.foas.routing import JOB, Params, foas_router, read_params
from millstream.api.foas.states import actual_state
from millstream.control.services.job_metrics import JobMetrics
from millstream.domain.errors import ErrorCode, InvalidInput, Unavailable
from millstream.domain.jobs import Job, JobStatus

__all__ = ["SOURCES", "metric_key", "router"]

router = foas_router()

_STALE_MS = 60_000
_MAX_QUERIES = 50


@dataclass(frozen=True, slots=True)
class Source:
    """Where a foas metric comes from: a job metric, or a vertex metric aggregated."""

    flink: str
    vertices: str = ""  # "" job metric; "all", "sources" or "sinks": vertex metric
    aggregate: str = "sum"


SOURCES: dict[str, Source] = {
    "checkpoints": Source("numberOfCompletedCheckpoints"),
    "lastCheckpointDuration": Source("lastCheckpointDuration"),
    "lastCheckpointSize": Source("lastCheckpointSize"),
    "task_failover.rate": Source("numRestarts"),
    "numRecordsInPerSecond.rate": Source("numRecordsInPerSecond", "all"),
    "numRecordsOutPerSecond.rate": Source("numRecordsOutPerSecond", "all"),
    "tps.rate": Source("numRecordsOutPerSecond", "sources"),
    "sink.outTps.rate": Source("numRecordsInPerSecond", "sinks"),
    "buffers.inPoolUsage": Source("buffers.inPoolUsage", "all", "max"),
    "buffers.outPoolUsage": Source("buffers.outPoolUsage", "all", "max"),
}


def metric_key(name: str, *, project: str, job: str) -> str:
    """The document's metric in ``blink.<project>.<job>.<metric>`` (or bare)."""
    prefix = f"blink.{project}.{job}."
    return name[len(prefix) :] if name.startswith(prefix) else name


def _query(params: Params) -> tuple[int | None, int | None, list[str]]:
    raw = params.required("metricJson")
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise FoasError(400, INVALID_PARAMETER, "metricJson is not valid JSON") from None
    if not isinstance(decoded, dict):
        raise FoasError(400, INVALID_PARAMETER, "metricJson must be a JSON object")
    queries = decoded.get("queries")
    if not isinstance(queries, list) or not queries or len(queries) > _MAX_QUERIES:
        raise FoasError(400, INVALID_PARAMETER, f"metricJson needs 1 to {_MAX_QUERIES} queries")
    names = []
    for query in queries:
        metric = query.get("metric") if isinstance(query, dict) else None
        if not isinstance(metric, str) or not metric:
            raise FoasError(400, INVALID_PARAMETER, "every query needs its metric name")
        names.append(metric)

    def bound(key: str) -> int | None:
        value = decoded.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FoasError(400, INVALID_PARAMETER, f"metricJson {key} must be milliseconds")
        return int(value)

    return bound("start"), bound("end"), names


class _Flink:
    """Reads one running job's metrics (``control.services.job_metrics``, through the
    diagnosis service's Flink proxy)."""

    def __init__(self, project: Project, job: Job) -> None:
        diagnosis = project.services.diagnosis
        if diagnosis is None:
            raise Unavailable("this server does not reach Flink's REST API")
        self._metrics = JobMetrics(diagnosis, project.scope, job)

    def value(self, source: Source) -> float | None:
        if not source.vertices:
            return self._metrics.job_metric(source.flink)
        return self._metrics.over_vertices(source.flink, source.vertices, source.aggregate)


def _metrics(
    request: Request, ctx: RequestContext, project_name: str, job_name: str, params: Params
) -> Response:
    start, end, names = _query(params)
    keys = [metric_key(name, project=project_name, job=job_name) for name in names]
    unknown = sorted({key for key in keys if key not in SOURCES})
    if unknown:
        raise FoasError(
            400,
            INVALID_PARAMETER,
            f"metric {', '.join(unknown)} is not available; Flink answers: "
            f"{', '.join(sorted(SOURCES))}",
        )
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    job, number = instance_of(project, deployment, params.text("instanceId") or "-1")
    if job.flink_job_id is None or job.status is not JobStatus.RUNNING:
        raise InvalidInput(
            f"instance {number} is {actual_state(job)}: Flink reports on running instances",
            code=ErrorCode.JOB_NOT_RUNNING,
        )
    now_ms = int(time.time() * 1000)
    current = (start is None or start <= now_ms) and (end is None or end >= now_ms - _STALE_MS)
    flink = _Flink(project, job)
    metrics = []
    for name, key in zip(names, keys, strict=True):
        value = flink.value(SOURCES[key]) if current else None
        points = {} if value is None else {str(now_ms // 1000): value}
        metric: dict[str, Any] = {"MetricName": name, "Dps": points, "Tags": {}}
        if value is not None:
            metric["Summary"] = value
        metrics.append(metric)
    return ok(ctx.request_id, Metrics={"Metric": metrics})


@router.post(JOB + "/metric", name="GetInstanceMetric")
async def get_instance_metric(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_metrics, request, ctx, projectName, jobName, params)
