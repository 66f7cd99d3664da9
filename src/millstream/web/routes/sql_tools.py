"""The SQL editor's side tools: the catalog browser (catalogs → databases → tables with
their columns) and the preview panel under the editor, which runs the selected text (or
the whole script) through ``SqlPreviewService`` with a row and time budget, polls its
rows into a table, and cancels it. Both answer htmx fragments; a server without the
catalog or preview service says so in the panel instead of showing anything made up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from millstream.control.services.sql_catalog import CatalogInfo
from millstream.control.services.sql_previews import PreviewLimits, SqlPreview
from millstream.domain.access import Permission
from millstream.domain.errors import InvalidInput, MillstreamError
from millstream.domain.sql_catalog import CatalogDatabase, CatalogObject
from millstream.domain.sql_previews import QueryProgress, QueryState
from millstream.web.responder import Console, RequestContext
from millstream.web.routes.drafts import form_fields

__all__ = ["CatalogEntry", "preview_budget", "preview_script", "register"]

_LIMITS = PreviewLimits()


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One catalog with its databases, each with its tables and views."""

    info: CatalogInfo
    databases: tuple[tuple[CatalogDatabase, tuple[CatalogObject, ...]], ...]


def preview_script(fields: dict[str, str]) -> str:
    """The selected text if any, else the whole script."""
    selection = fields.get("selection", "").replace("\r\n", "\n")
    script = selection if selection.strip() else fields.get("sql_script", "")
    if not script.strip():
        raise InvalidInput("there is nothing to preview: write a query such as SELECT 1")
    return script.replace("\r\n", "\n")


def preview_budget(fields: dict[str, str]) -> tuple[int, float]:
    """(rows, seconds) asked for, within the service's limits (checked there too)."""
    try:
        rows = int(fields.get("max_rows", "") or _LIMITS.default_rows)
        seconds = float(fields.get("timeout", "") or _LIMITS.default_timeout)
    except ValueError:
        raise InvalidInput("the row and time budgets are numbers") from None
    return rows, seconds


def _elapsed(preview: SqlPreview, progress: QueryProgress) -> float:
    end = preview.ended_at if progress.state.ended and preview.ended_at else time.monotonic()
    return max(0.0, end - preview.started)


def register(router: APIRouter, console: Console) -> None:
    services = console.services

    @router.get("/sql/catalog")
    def catalog(request: Request) -> Response:
        def handle(ctx: RequestContext) -> Response:
            service = services.sql_catalog
            if service is None:
                return console.fragment(ctx, "_catalog.html", entries=None)
            entries = []
            for info in service.catalogs(ctx.scope):
                databases = tuple(
                    (db, tuple(service.tables(ctx.scope, info.name, db.name)))
                    for db in service.databases(ctx.scope, info.name)
                )
                entries.append(CatalogEntry(info, databases))
            return console.fragment(ctx, "_catalog.html", entries=entries)

        return console.respond(request, Permission.READ, handle)

    def panel(
        ctx: RequestContext, preview: SqlPreview | None, *, error: str | None = None
    ) -> Response:
        values: dict[str, Any] = {"preview": preview, "error": error, "running": False}
        if preview is not None and services.sql_previews is not None:
            progress, _ = services.sql_previews.fetch(ctx.scope, preview.id)
            values.update(
                progress=progress,
                running=progress.state is QueryState.RUNNING,
                elapsed=_elapsed(preview, progress),
            )
        return console.fragment(ctx, "_preview.html", **values)

    @router.post("/sql/preview")
    async def submit(request: Request) -> Response:
        fields = await form_fields(request)

        def handle(ctx: RequestContext) -> Response:
            previews = services.sql_previews
            if previews is None:
                return panel(ctx, None, error="Preview is unavailable on this server.")
            try:
                rows, seconds = preview_budget(fields)
                preview = previews.submit(
                    ctx.scope,
                    preview_script(fields),
                    batch=fields.get("execution_mode", "").upper() == "BATCH",
                    max_rows=rows,
                    timeout=seconds,
                    description="console preview",
                )
            except MillstreamError as exc:
                return panel(ctx, None, error=exc.message)
            return panel(ctx, preview)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )

    @router.get("/sql/preview/{preview_id}")
    def poll(request: Request, preview_id: str) -> Response:
        def handle(ctx: RequestContext) -> Response:
            previews = services.sql_previews
            if previews is None:
                return panel(ctx, None, error="Preview is unavailable on this server.")
            try:
                preview = previews.get(ctx.scope, preview_id)
            except MillstreamError as exc:
                return panel(ctx, None, error=exc.message)
            return panel(ctx, preview)

        return console.respond(request, Permission.READ, handle)

    @router.post("/sql/preview/{preview_id}/cancel")
    async def cancel(request: Request, preview_id: str) -> Response:
        fields = await form_fields(request)

        def handle(ctx: RequestContext) -> Response:
            previews = services.sql_previews
            if previews is None:
                return panel(ctx, None, error="Preview is unavailable on this server.")
            try:
                previews.cancel(ctx.scope, preview_id)
                preview = previews.get(ctx.scope, preview_id)
            except MillstreamError as exc:
                return panel(ctx, None, error=exc.message)
            return panel(ctx, preview)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )
