"""The job page's insides as htmx fragments: the live panel (graph, vertex metrics,
checkpoints, exceptions, TaskManagers) and the metric charts, each polled by the page
while the job may run, and the effective configuration, polled until Flink has it
(``insight_data`` reads them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from millstream.domain.access import Permission
from millstream.web import insight_data
from millstream.web.responder import Console, RequestContext

__all__ = ["register"]


def register(router: APIRouter, console: Console) -> None:
    @router.get("/jobs/{job_id}/insights")
    def job_insights(request: Request, job_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            values = insight_data.job_insights(console, ctx, job_id)
            return console.fragment(ctx, "_job_insights.html", **values)

        return console.respond(request, Permission.READ, handle)

    @router.get("/jobs/{job_id}/charts")
    def job_charts(request: Request, job_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            values = insight_data.job_charts(console, ctx, job_id)
            return console.fragment(ctx, "_job_charts.html", **values)

        return console.respond(request, Permission.READ, handle)

    @router.get("/jobs/{job_id}/configuration")
    def job_configuration(request: Request, job_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            values = insight_data.job_configuration(console, ctx, job_id)
            return console.fragment(ctx, "_job_configuration.html", **values)

        return console.respond(request, Permission.READ, handle)
