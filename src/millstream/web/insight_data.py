"""What the job page's insides show, read from the job-insights service: the live panel
(graph, vertex metrics, checkpoints, exceptions, TaskManagers), the metric charts over
the job's life and the effective configuration.

Called by ``routes/job_insights.py`` (the htmx fragments) and ``routes/jobs.py`` (the
full page). Each part says whether Flink answered live; a job that ended keeps polling
off and shows what Millstream kept. Works for a job of any dialect's deployment: the
service speaks the domain's job id.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from millstream.domain.job_insights import InsightMetric, JobGraph, MetricSeries, VertexMetrics
from millstream.domain.jobs import Job
from millstream.web import insight_views
from millstream.web.responder import Console, RequestContext

__all__ = ["job_charts", "job_configuration", "job_insights"]

_EXCEPTIONS_SHOWN = 30


def _job(console: Console, ctx: RequestContext, job_id: str) -> Job:
    return console.services.jobs.get(ctx.scope, job_id)


def job_insights(console: Console, ctx: RequestContext, job_id: str) -> dict[str, Any]:
    """The live panel: graph, vertices, checkpoints, exceptions and TaskManagers."""
    job = _job(console, ctx, job_id)
    service = console.services.job_insights
    if service is None:
        return {"job": job, "insights": None, "polling": False}
    scope = ctx.scope
    ended = job.is_terminal
    # an ended job's load is history: its vertices are drawn grey, without a rate table;
    # a live one's graph and rate table come from one read of Flink
    graph_data: JobGraph | None
    metrics: tuple[VertexMetrics, ...]
    if ended:
        graph = service.graph(scope, job_id)
        graph_data, metrics, live, note = graph.data, (), graph.live, graph.note
    else:
        both = service.graph_and_vertices(scope, job_id)
        (graph_data, metrics), live, note = both.data or (None, ()), both.live, both.note
    checkpoints = service.checkpoints(scope, job_id)
    exceptions = service.exceptions(scope, job_id, limit=_EXCEPTIONS_SHOWN)
    taskmanagers = service.taskmanagers(scope, job_id)
    return {
        "job": job,
        "insights": True,
        # Keep asking while the job may still run; an ended job's panel stays as it is.
        "polling": not ended,
        "live": live,
        "note": note,
        "graph": insight_views.graph_view(graph_data, metrics, coloured=not ended),
        "vertices": metrics,
        "vertices_live": not ended and live,
        "checkpoints": checkpoints.data,
        "checkpoints_live": checkpoints.live,
        "exceptions": exceptions.data,
        "exceptions_live": exceptions.live,
        "taskmanagers": taskmanagers.data,
        "taskmanagers_live": taskmanagers.live,
        "taskmanagers_note": taskmanagers.note,
    }


def job_charts(console: Console, ctx: RequestContext, job_id: str) -> dict[str, Any]:
    """Charts over the job's life from the samples Millstream kept (also after it ended)."""
    job = _job(console, ctx, job_id)
    service = console.services.job_insights
    if service is None:
        return {"job": job, "charts": None, "polling": False}
    now = console.clock()
    start = job.start_time or job.created_at
    end = job.end_time if job.is_terminal and job.end_time is not None else now
    step = insight_views.history_step(start, end) if start is not None else None
    history: dict[InsightMetric, MetricSeries] = {
        metric: service.metric_history(
            ctx.scope,
            job_id,
            metric,
            start=start,
            # a minute of slack: the last sample of an ended job may follow its end
            end=end + timedelta(minutes=1) if job.is_terminal else None,
            step_seconds=step,
        )
        for metric in insight_views.CHART_METRICS
    }
    return {
        "job": job,
        "charts": insight_views.chart_views(history),
        "polling": not job.is_terminal,
    }


def job_configuration(console: Console, ctx: RequestContext, job_id: str) -> dict[str, Any]:
    """The job's effective Flink configuration (what Millstream submitted, once ended)."""
    job = _job(console, ctx, job_id)
    service = console.services.job_insights
    if service is None:
        return {
            "job": job,
            "configuration": None,
            "configuration_live": False,
            "configuration_note": None,
            "configuration_polling": False,
        }
    found = service.configuration(ctx.scope, job_id)
    return {
        "job": job,
        "configuration": found.data,
        "configuration_live": found.live,
        "configuration_note": found.note,
        # what was submitted until Flink runs the job, then Flink's effective one, once
        "configuration_polling": not found.live and not job.is_terminal,
    }
