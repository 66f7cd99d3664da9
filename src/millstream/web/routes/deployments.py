"""Deployment pages and actions: the list (and its rows fragment), one deployment with
its live panel and action buttons, start / stop / savepoint / delete."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from millstream.control.ports import Page
from millstream.domain.access import Permission
from millstream.domain.errors import ErrorCode, NotFound
from millstream.domain.jobs import RestoreKind, StopStrategy
from millstream.domain.savepoints import SavepointState
from millstream.web import page_data
from millstream.web.forms import parse_restore, parse_stop
from millstream.web.highlight import highlight_sql
from millstream.web.responder import Console, FormField, RequestContext

__all__ = ["register"]


def register(router: APIRouter, console: Console) -> None:
    services = console.services

    @router.get("/deployments")
    def deployments(
        request: Request,
        name: Annotated[str, Query()] = "",
        page: Annotated[int, Query(ge=1)] = 1,
        deleted: Annotated[str, Query()] = "",
        gone: Annotated[str, Query()] = "",
    ) -> Response:
        def handle(ctx: RequestContext) -> Response:
            return console.page(
                ctx,
                "deployments.html",
                deleted=deleted,
                gone=gone,
                **page_data.deployment_rows(console, ctx, name, page),
            )

        return console.respond(request, Permission.READ, handle)

    @router.get("/deployments/rows")
    def deployment_rows(
        request: Request,
        name: Annotated[str, Query()] = "",
        page: Annotated[int, Query(ge=1)] = 1,
    ) -> Response:
        def handle(ctx: RequestContext) -> Response:
            return console.fragment(
                ctx, "_deployment_rows.html", **page_data.deployment_rows(console, ctx, name, page)
            )

        return console.respond(request, Permission.READ, handle)

    @router.get("/deployments/{deployment_id}")
    def deployment(request: Request, deployment_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            values = page_data.deployment_live(console, ctx, deployment_id)
            d = values["deployment"]
            completed, _ = services.savepoints.list(ctx.scope, Page(0, 50), deployment_id=d.id)
            return console.page(
                ctx,
                "deployment.html",
                sql_lines=highlight_sql(d.artifact.sql_script or ""),
                restore_kinds=list(RestoreKind),
                stop_strategies=list(StopStrategy),
                restorable=[s for s in completed if s.state is SavepointState.COMPLETED],
                **values,
            )

        return console.respond(request, Permission.READ, handle)

    @router.get("/deployments/{deployment_id}/live")
    def deployment_live(
        request: Request, deployment_id: str, seen: Annotated[str, Query()] = ""
    ) -> Response:
        def handle(ctx: RequestContext) -> Response:
            try:
                values = page_data.deployment_live(console, ctx, deployment_id)
            except NotFound as exc:
                if exc.code is not ErrorCode.DEPLOYMENT_NOT_FOUND:
                    raise
                return _gone(request, deployment_id)
            changed = bool(seen) and seen != values["status"]
            headers = {"HX-Trigger": "status-changed"} if changed else None
            return console.fragment(ctx, "_deployment_live.html", headers=headers, **values)

        return console.respond(request, Permission.READ, handle)

    @router.get("/deployments/{deployment_id}/actions")
    def deployment_actions(request: Request, deployment_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            values = page_data.deployment_live(console, ctx, deployment_id)
            completed, _ = services.savepoints.list(
                ctx.scope, Page(0, 50), deployment_id=deployment_id
            )
            return console.fragment(
                ctx,
                "_deployment_actions.html",
                restore_kinds=list(RestoreKind),
                stop_strategies=list(StopStrategy),
                restorable=[s for s in completed if s.state is SavepointState.COMPLETED],
                **values,
            )

        return console.respond(request, Permission.READ, handle)

    @router.post("/deployments/{deployment_id}/start")
    def start(
        request: Request,
        deployment_id: str,
        restore_kind: FormField = "NONE",
        savepoint_id: FormField = "",
        allow_non_restored_state: FormField = "",
        csrf: FormField = "",
    ) -> Response:
        def handle(ctx: RequestContext) -> Response:
            restore = parse_restore(restore_kind, savepoint_id, allow_non_restored_state)
            job = services.jobs.start(ctx.scope, ctx.actor, deployment_id, restore=restore)
            return console.flash(
                ctx, f"Start requested: job {job.id[:8]} (restore {restore.kind.value})."
            )

        return console.respond(request, Permission.WRITE, handle, csrf=csrf)

    @router.post("/deployments/{deployment_id}/stop")
    def stop(
        request: Request,
        deployment_id: str,
        strategy: FormField = "STOP_WITH_SAVEPOINT",
        csrf: FormField = "",
    ) -> Response:
        def handle(ctx: RequestContext) -> Response:
            stop_strategy = parse_stop(strategy)
            job = page_data.latest_job(console, ctx.scope, deployment_id)
            if job is None or job.is_terminal:
                raise NotFound("this deployment has no live job to stop")
            services.jobs.stop(ctx.scope, ctx.actor, job.id, stop_strategy)
            return console.flash(
                ctx, f"Stop ({stop_strategy.value}) requested for job {job.id[:8]}."
            )

        return console.respond(request, Permission.WRITE, handle, csrf=csrf)

    @router.post("/deployments/{deployment_id}/savepoint")
    def take_savepoint(request: Request, deployment_id: str, csrf: FormField = "") -> Response:
        def handle(ctx: RequestContext) -> Response:
            savepoint = services.savepoints.create(
                ctx.scope, ctx.actor, deployment_id, description="taken from the console"
            )
            return console.flash(ctx, f"Savepoint {savepoint.id[:8]} requested.")

        return console.respond(request, Permission.WRITE, handle, csrf=csrf)

    @router.post("/deployments/{deployment_id}/delete")
    def delete(request: Request, deployment_id: str, csrf: FormField = "") -> Response:
        def handle(ctx: RequestContext) -> Response:
            deployment = services.deployments.delete(ctx.scope, ctx.actor, deployment_id)
            target = f"{request.scope.get('root_path', '')}/console/deployments"
            return Response(
                status_code=200,
                headers={"HX-Redirect": f"{target}?deleted={quote(deployment.name)}"},
            )

        return console.respond(request, Permission.WRITE, handle, csrf=csrf)


def _gone(request: Request, deployment_id: str) -> Response:
    """The open page's deployment was deleted (here, in another tab, by the API): send the
    browser to the list, so the address no longer names it and a reload is no 404."""
    target = f"{request.scope.get('root_path', '')}/console/deployments?gone={quote(deployment_id)}"
    return Response(status_code=200, headers={"HX-Redirect": target})
