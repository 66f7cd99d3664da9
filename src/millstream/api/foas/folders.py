"""foas folders (spec §3.2): CreateFolder, GetFolder, ListChildFolder, MVFolder and
DeleteFolder over the project's folder tree (``control.services.folders``).

``FolderId`` is the folder's integer id; the root ``/`` is id 0 and always exists (the
document's "job development directory"). A job is filed in a folder by its
``folderId`` (CreateJob/UpdateJob), so moving a folder moves its jobs along (the ids do
not change), and a folder holding jobs or sub-folders cannot be deleted
(``OperationDenied``, the document's "deleting a non-empty folder returns an error").
The document does not say where GET/DELETE take ``path``: the SDK sends it in the query.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.context import Project, open_project
from millstream.api.foas.envelope import ok
from millstream.api.foas.routing import PROJECT, Params, foas_router, read_params
from millstream.api.foas.scan import all_deployments, folder_id_of
from millstream.control.services.folders import FolderService
from millstream.domain.errors import Unavailable
from millstream.domain.folders import Folder

__all__ = ["router"]

router = foas_router()

FOLDERS = PROJECT + "/folders"


def _service(project: Project) -> FolderService:
    service = project.services.folders
    if service is None:
        raise Unavailable("folders are not enabled on this server (no folder service wired)")
    return service


def _view(folder: Folder) -> dict[str, Any]:
    return {"FolderId": folder.id, "Path": folder.path}


def _create(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    path = params.required("path")
    project = open_project(request, ctx, name)
    folder = _service(project).create(project.scope, project.actor, path)
    return ok(ctx.request_id, FolderId=folder.id)


@router.post(FOLDERS, name="CreateFolder")
async def create_folder(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_create, request, ctx, projectName, params)


def _get(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    path = params.required("path")
    project = open_project(request, ctx, name)
    return ok(ctx.request_id, Folder=_view(_service(project).get(project.scope, path)))


@router.get(FOLDERS, name="GetFolder")
async def get_folder(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_get, request, ctx, projectName, params)


def _children(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    path = params.required("path")
    project = open_project(request, ctx, name)
    children = _service(project).children(project.scope, path)
    return ok(ctx.request_id, Folders={"Folder": [_view(f) for f in children]})


@router.get(FOLDERS + "/children", name="ListChildFolder")
async def list_child_folder(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_children, request, ctx, projectName, params)


def _move(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    source, destination = params.required("srcPath"), params.required("destPath")
    project = open_project(request, ctx, name)
    _service(project).move(project.scope, project.actor, source, destination)
    return ok(ctx.request_id)


@router.put(FOLDERS, name="MVFolder")
async def mv_folder(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_move, request, ctx, projectName, params)


def _delete(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    path = params.required("path")
    project = open_project(request, ctx, name)

    def holds(folder: Folder) -> int:
        """Jobs filed in the folder, and SQL files and deployment drafts (native API)
        kept in it."""
        held = sum(1 for d in all_deployments(project) if folder_id_of(d) == folder.id)
        for other in (project.services.sql_files, project.services.drafts):
            if other is not None:
                held += other.count_in_folder(project.scope, folder.id)
        return held

    _service(project).delete(project.scope, project.actor, path, holds=holds)
    return ok(ctx.request_id)


@router.delete(FOLDERS, name="DeleteFolder")
async def delete_folder(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_delete, request, ctx, projectName, params)
