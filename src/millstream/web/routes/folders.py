"""Folder actions beside the SQL editor: create a folder under another, rename one (a
move within its parent: whatever is filed under it moves along) and delete an empty one
(a folder still holding drafts or SQL files is refused, as the native API refuses it).
Each answers with a redirect to the drafts page; ``routes/drafts.py`` shows the tree.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from millstream.control.context import Scope
from millstream.control.services import Services
from millstream.control.services.folders import FolderService
from millstream.domain.access import Permission
from millstream.domain.errors import Conflict, InvalidInput, NotFound
from millstream.domain.folders import ROOT, Folder, parent_path
from millstream.web.responder import Console, RequestContext
from millstream.web.routes.drafts import form_fields

__all__ = ["child_path", "register"]


def child_path(parent: str, name: str) -> str:
    """``parent``/``name``; a name is one segment (no slash)."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInput("a folder needs a name, e.g. 'reports'")
    if "/" in cleaned:
        raise InvalidInput(
            f"folder name {cleaned[:40]!r} contains a slash; pick the parent folder instead"
        )
    return f"{parent.rstrip('/')}/{cleaned}"


def _folders(services: Services) -> FolderService:
    if services.folders is None:
        raise NotFound("folders are not enabled on this server")
    return services.folders


def _holds(services: Services, scope: Scope, folder: Folder) -> int:
    held = services.sql_files.count_in_folder(scope, folder.id) if services.sql_files else 0
    return held + (services.drafts.count_in_folder(scope, folder.id) if services.drafts else 0)


def register(router: APIRouter, console: Console) -> None:
    services = console.services

    def back(ctx: RequestContext) -> Response:
        root = ctx.request.scope.get("root_path", "")
        return RedirectResponse(f"{root}/console/drafts", status_code=303)

    @router.post("/folders/new")
    async def create_folder(request: Request) -> Response:
        fields = await form_fields(request)

        def handle(ctx: RequestContext) -> Response:
            parent = fields.get("parent", ROOT) or ROOT
            path = child_path(parent, fields.get("name", ""))
            _folders(services).create(ctx.scope, ctx.actor, path)
            return back(ctx)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )

    @router.post("/folders/rename")
    async def rename_folder(request: Request) -> Response:
        fields = await form_fields(request)

        def handle(ctx: RequestContext) -> Response:
            path = fields.get("path", "")
            if not path or path == ROOT:
                raise InvalidInput("the root folder '/' cannot be renamed")
            target = child_path(parent_path(path), fields.get("name", ""))
            _folders(services).move(ctx.scope, ctx.actor, path, target)
            return back(ctx)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )

    @router.post("/folders/delete")
    async def delete_folder(request: Request) -> Response:
        fields = await form_fields(request)

        def handle(ctx: RequestContext) -> Response:
            service = _folders(services)
            folder = service.get(ctx.scope, fields.get("path", ""))
            held = _holds(services, ctx.scope, folder) if folder.path != ROOT else 0
            if held:
                raise Conflict(
                    f"folder {folder.path!r} holds {held} draft(s) or SQL file(s); delete or "
                    "move them first"
                )
            service.delete(
                ctx.scope,
                ctx.actor,
                folder.path,
                holds=lambda found: _holds(services, ctx.scope, found),
            )
            return back(ctx)

        return await run_in_threadpool(
            console.respond, request, Permission.WRITE, handle, csrf=fields.get("csrf", "")
        )
