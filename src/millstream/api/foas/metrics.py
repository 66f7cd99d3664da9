"""GetInstanceMetric (spec §3.1.9, metric names §2.6): Flink's metrics of a running
instance under the document's names, over the asked time window.

``metricJson`` is an OpenTSDB query (parsed by ``api.foas.metric_queries``): ``start`` /
``end`` (ms) and ``queries`` of ``{"metric": "blink.<project>.<job>.<name>", "aggregator",
"downsample"}``. Each metric answers the samples the metric sampler stored for the
instance inside ``[start, end]`` (``control.services.metric_history``; one every
``metrics.sample_interval`` seconds, kept ``metrics.retention``), plus Flink's current
value when the window reaches now (``end`` missing or not over a minute old: the value
is then the window's last point, at ``min(now, end)``). ``Dps``
maps each point's second to its value (with ``downsample``: each bucket's start to the
bucket's ``avg``/``sum``/``max``/``min``/``count``); ``Summary`` is the ``aggregator``
(default ``avg``) over the answered points, absent when there are none. No ``start``:
the whole retention period. The names Flink can answer (``SOURCES``):

- job metrics: ``checkpoints`` (completed checkpoints), ``lastCheckpointDuration``,
  ``lastCheckpointSize``, ``task_failover.rate`` (Flink's restart count, ``numRestarts``);
- vertex metrics summed over every subtask: ``numRecordsInPerSecond.rate``,
  ``numRecordsOutPerSecond.rate``, ``tps.rate`` (the sources' output), ``sink.outTps.rate``
  (the sinks' input); the maximum over subtasks: ``buffers.inPoolUsage``,
  ``buffers.outPoolUsage`` (Flink 2's ``Shuffle.Netty.Input.Buffers.inPoolUsage`` and
  ``Shuffle.Netty.Output.Buffers.outPoolUsage``).
Any other name of the document's table is a 400 ``InvalidParameter`` naming these. As
the document says, an instance that is not running is an error.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.context import open_project
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.api.foas.instances import instance_of
from millstream.api.foas.jobs import deployment_named
from millstream.api.foas.metric_queries import MetricQuery, parse_metric_json
from millstream.api.foas.routing import JOB, Params, foas_router, read_params
from millstream.api.foas.states import actual_state
from millstream.control.metric_catalog import ALL, SINKS, SampledMetric
from millstream.control.metric_catalog import SOURCES as FROM_SOURCES
from millstream.domain.errors import EngineUnavailable, ErrorCode, InvalidInput, Unavailable
from millstream.domain.jobs import JobStatus
from millstream.domain.metric_series import Point, aggregate, downsample

__all__ = ["SOURCES", "metric_key", "router"]

router = foas_router()
_log = logging.getLogger(__name__)

SOURCES: dict[str, SampledMetric] = {
    "checkpoints": SampledMetric("numberOfCompletedCheckpoints"),
    "lastCheckpointDuration": SampledMetric("lastCheckpointDuration"),
    "lastCheckpointSize": SampledMetric("lastCheckpointSize"),
    "task_failover.rate": SampledMetric("numRestarts"),
    "numRecordsInPerSecond.rate": SampledMetric("numRecordsInPerSecond", ALL),
    "numRecordsOutPerSecond.rate": SampledMetric("numRecordsOutPerSecond", ALL),
    "tps.rate": SampledMetric("numRecordsOutPerSecond", FROM_SOURCES),
    "sink.outTps.rate": SampledMetric("numRecordsInPerSecond", SINKS),
    "buffers.inPoolUsage": SampledMetric("Shuffle.Netty.Input.Buffers.inPoolUsage", ALL, "max"),
    "buffers.outPoolUsage": SampledMetric("Shuffle.Netty.Output.Buffers.outPoolUsage", ALL, "max"),
}


def metric_key(name: str, *, project: str, job: str) -> str:
    """The document's metric in ``blink.<project>.<job>.<metric>`` (or bare)."""
    prefix = f"blink.{project}.{job}."
    return name[len(prefix) :] if name.startswith(prefix) else name


def _answer(query: MetricQuery, points: list[Point]) -> dict[str, Any]:
    if query.downsample is not None:
        points = downsample(points, bucket_ms=query.downsample.bucket_ms, how=query.downsample.how)
    dps = {str(at // 1000): value for at, value in points}
    metric: dict[str, Any] = {"MetricName": query.metric, "Dps": dps, "Tags": {}}
    if dps:
        metric["Summary"] = aggregate(list(dps.values()), query.aggregator)
    return metric


def _moment(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _metrics(
    request: Request, ctx: RequestContext, project_name: str, job_name: str, params: Params
) -> Response:
    asked = parse_metric_json(params.required("metricJson"))
    sources = [
        SOURCES.get(metric_key(q.metric, project=project_name, job=job_name)) for q in asked.queries
    ]
    unknown = sorted(
        {q.metric for q, source in zip(asked.queries, sources, strict=True) if source is None}
    )
    if unknown:
        raise FoasError(
            400,
            INVALID_PARAMETER,
            f"metric {', '.join(unknown)} is not available; Flink answers: "
            f"{', '.join(sorted(SOURCES))}",
        )
    metrics = [source for source in sources if source is not None]
    project = open_project(request, ctx, project_name)
    deployment = deployment_named(project, job_name)
    job, number = instance_of(project, deployment, params.text("instanceId") or "-1")
    if job.flink_job_id is None or job.status is not JobStatus.RUNNING:
        raise InvalidInput(
            f"instance {number} is {actual_state(job)}: Flink reports on running instances",
            code=ErrorCode.JOB_NOT_RUNNING,
        )
    history = project.services.metric_history
    if history is None:
        raise Unavailable("this server keeps no metric history")
    series = history.history(
        project.scope,
        job.id,
        set(metrics),
        start=_moment(asked.start_ms),
        end=_moment(asked.end_ms),
    )
    now_ms = int(time.time() * 1000)
    reaches_now = (asked.start_ms is None or asked.start_ms <= now_ms) and (
        asked.end_ms is None or asked.end_ms >= now_ms - history.live_window.total_seconds() * 1000
    )
    live: dict[str, float] = {}
    if reaches_now:
        try:
            live = history.current(project.scope, job.id, set(metrics))
        except EngineUnavailable as exc:  # the stored samples still answer
            _log.info("no live metric point for job %s: %s", job.id, exc)
    # A window ending within the live window (a minute; the caller's clock) gets the live value at
    # its end, so every point stays inside the window.
    live_at = now_ms if asked.end_ms is None else min(now_ms, asked.end_ms)
    answers = []
    for query, metric in zip(asked.queries, metrics, strict=True):
        points = series.get(metric.name, [])
        if metric.name in live:
            points = [p for p in points if p[0] < live_at] + [(live_at, live[metric.name])]
        answers.append(_answer(query, points))
    return ok(ctx.request_id, Metrics={"Metric": answers})


@router.post(JOB + "/metric", name="GetInstanceMetric")
async def get_instance_metric(
    projectName: str,
    jobName: str,
    request: Request,
    ctx: Context,
) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_metrics, request, ctx, projectName, jobName, params)
