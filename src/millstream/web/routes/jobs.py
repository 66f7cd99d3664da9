"""One job's page, its live panel, its Flink logs and deleting it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from millstream.control.services.logs import LogKind, LogScope
from millstream.domain.access import Permission
from millstream.domain.errors import MillstreamError
from millstream.web import insight_data, page_data
from millstream.web.responder import Console, FormField, RequestContext

__all__ = ["register"]


def register(router: APIRouter, console: Console) -> None:
    services = console.services

    @router.get("/jobs/{job_id}")
    def job(request: Request, job_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            values = page_data.job_live(console, ctx, job_id)
            deployment_name = values["job"].deployment_name
            # the job's insides (each part also a polled fragment, routes/job_insights.py)
            values |= insight_data.job_insights(console, ctx, job_id)
            values |= insight_data.job_charts(console, ctx, job_id)
            values |= insight_data.job_configuration(console, ctx, job_id)
            return console.page(ctx, "job.html", deployment_name=deployment_name, **values)

        return console.respond(request, Permission.READ, handle)

    @router.get("/jobs/{job_id}/live")
    def job_live(request: Request, job_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            return console.fragment(
                ctx, "_job_live.html", **page_data.job_live(console, ctx, job_id)
            )

        return console.respond(request, Permission.READ, handle)

    @router.get("/jobs/{job_id}/logs")
    def job_logs(
        request: Request, job_id: str, kind: str = "jobmanager", scope: str = "job"
    ) -> Response:
        """The job's own lines of one log, or (``scope=cluster``) its cluster's whole log."""

        def handle(ctx: RequestContext) -> Response:
            if services.logs is None:
                return console.fragment(ctx, "_job_logs.html", error="no log service", files=[])
            try:
                log_kind, log_scope = LogKind.parse(kind), LogScope.parse(scope)
                log = services.logs.job_log(ctx.scope, job_id, log_kind, log_scope)
                cluster = services.jobs.get(ctx.scope, job_id).cluster
            except MillstreamError as exc:  # gone with its cluster, bad kind, shared...
                return console.fragment(ctx, "_job_logs.html", error=exc.message, files=[])
            return console.fragment(
                ctx,
                "_job_logs.html",
                error=None,
                files=log.files,
                job_id=log.job_id,
                kind=log.kind.value,
                scope=log.scope.value,
                note=log.note,
                cluster_log=log.cluster_log,
                cluster=cluster,
            )

        return console.respond(request, Permission.READ, handle)

    @router.post("/jobs/{job_id}/delete")
    def delete_job(request: Request, job_id: str, csrf: FormField = "") -> Response:
        def handle(ctx: RequestContext) -> Response:
            deleted = services.jobs.delete(ctx.scope, ctx.actor, job_id)
            target = (
                f"{request.scope.get('root_path', '')}/console/deployments/{deleted.deployment_id}"
            )
            return Response(status_code=200, headers={"HX-Redirect": target})

        return console.respond(request, Permission.WRITE, handle, csrf=csrf)
