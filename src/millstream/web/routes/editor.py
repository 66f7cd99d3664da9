"""The SQL editor: a new deployment or an existing one's script, validated by Flink as it
is typed (the browser editor posts to ``/sql/validate``, debounced) or on request, saved as
a deployment. Every error is shown at its field (``editor_errors.locate_error``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from millstream.domain.access import Permission
from millstream.domain.errors import MillstreamError
from millstream.web.editor_errors import (
    EditorError,
    Field,
    configuration_error,
    locate_error,
    may_be_configuration,
)
from millstream.web.forms import EditorForm, parse_flink_conf
from millstream.web.rendering import error_status
from millstream.web.responder import Console, RequestContext

__all__ = ["register"]


def register(router: APIRouter, console: Console) -> None:
    services = console.services

    def locate(
        ctx: RequestContext, form: EditorForm, error: MillstreamError | None
    ) -> EditorError | None:
        """Where the page shows ``error``; a refusal Flink placed nowhere is planned once
        more without the configuration to tell whether the configuration is at fault."""
        if error is None:
            return None
        located = locate_error(error, flink_conf=form.flink_conf)
        if not may_be_configuration(located, error, form.flink_conf):
            return located
        try:
            services.deployments.validate_sql(ctx.scope, form.sql_script, execution_mode=form.mode)
        except MillstreamError:
            return located  # the script fails on its own too
        return configuration_error(error)

    def editor(
        ctx: RequestContext,
        form: EditorForm,
        *,
        deployment_id: str | None,
        error: MillstreamError | None = None,
    ) -> Response:
        located = locate(ctx, form, error)
        status_code = 200
        if error is not None:  # an error at a field is the input's (400), whatever raised it
            status_code = (
                400 if located and located.field is not Field.FORM else error_status(error)
            )
        return console.page(
            ctx,
            "editor.html",
            status_code=status_code,
            form=form,
            deployment_id=deployment_id,
            versions=list(services.versions.installed),
            error=located,
        )

    @router.get("/sql/new")
    def new_sql(request: Request) -> Response:
        def handle(ctx: RequestContext) -> Response:
            return editor(ctx, EditorForm(sql_script=_STARTER_SQL), deployment_id=None)

        return console.respond(request, Permission.WRITE, handle)

    @router.get("/deployments/{deployment_id}/edit")
    def edit_sql(request: Request, deployment_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            deployment = services.deployments.get(ctx.scope, deployment_id)
            return editor(ctx, EditorForm.from_deployment(deployment), deployment_id=deployment_id)

        return console.respond(request, Permission.WRITE, handle)

    async def _fields(request: Request) -> dict[str, Any]:
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}

    @router.post("/sql/validate")
    async def validate(request: Request) -> Response:
        fields = await _fields(request)
        form = EditorForm.from_fields(fields)

        def handle(ctx: RequestContext) -> Response:
            try:
                services.deployments.validate_sql(
                    ctx.scope,
                    form.sql_script,
                    execution_mode=form.mode,
                    flink_conf=dict(parse_flink_conf(form.flink_conf)),
                )
            except MillstreamError as exc:
                return console.fragment(ctx, "_validation.html", error=locate(ctx, form, exc))
            return console.fragment(ctx, "_validation.html", error=None)

        return await run_in_threadpool(
            console.respond, request, Permission.READ, handle, csrf=fields.get("csrf", "")
        )

    @router.post("/sql/save")
    async def save(request: Request) -> Response:
        fields = await _fields(request)
        form = EditorForm.from_fields(fields)
        deployment_id = fields.get("deployment_id") or None

        def handle(ctx: RequestContext) -> Response:
            try:
                if deployment_id is None:
                    saved = services.deployments.create(ctx.scope, ctx.actor, form.to_patch())
                else:
                    current = services.deployments.get(ctx.scope, deployment_id)
                    saved = services.deployments.update(
                        ctx.scope, ctx.actor, deployment_id, form.to_patch(current)
                    )
            except MillstreamError as exc:
                return editor(ctx, form, deployment_id=deployment_id, error=exc)
            target = f"{request.scope.get('root_path', '')}/console/deployments/{saved.id}"
            return RedirectResponse(target, status_code=303)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )


_STARTER_SQL = """CREATE TEMPORARY TABLE source_table (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '10'
);

CREATE TEMPORARY TABLE sink_table (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO sink_table SELECT id, name FROM source_table;
"""
