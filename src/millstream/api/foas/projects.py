"""foas projects (spec §3.7): GetProject and ListProject over the namespaces of the
installation's default workspace (``context``: a project is a namespace by name, the
default namespace is the project ``default``).

ListProject lists the projects where the caller may change things (every namespace for an
administrator, else the namespaces the caller is an owner or editor of; the access
service has no "readable namespaces" query), filtered by ``name`` and paged. ``Region``
echoes the region the SDK sends (``RegionId``), ``DeployType`` is ``cell`` (an exclusive
cluster: Millstream runs its own Flink). Creating, updating and deleting projects
(namespaces) answer ``NotImplemented`` until the domain has a namespace service.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.context import Project, open_project, project_name_of
from millstream.api.foas.envelope import ok
from millstream.api.foas.routing import PROJECT, Params, foas_router

__all__ = ["router"]

router = foas_router()

_MAX_PAGE_SIZE = 100


def _region(request: Request) -> str:
    return request.query_params.get("RegionId") or request.headers.get("x-acs-region-id") or ""


def _view(name: str, request: Request, cluster: str) -> dict[str, Any]:
    return {
        "ClusterId": cluster,
        "DeployType": "cell",
        "Description": "",
        "GlobalJobConfig": "",
        "Id": name,
        "ManagerIds": "",
        "Name": name,
        "Region": _region(request),
        "State": "ENABLE",
    }


def _get(request: Request, ctx: RequestContext, name: str) -> Response:
    project: Project = open_project(request, ctx, name)
    return ok(ctx.request_id, Project=_view(project.name, request, "default"))


@router.get(PROJECT, name="GetProject")
async def get_project(projectName: str, request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_get, request, ctx, projectName)


def _names(ctx: RequestContext) -> list[str]:
    services = ctx.services
    workspace = services.default_workspace
    if services.access is None:
        return [project_name_of(services, services.default_namespace)]
    editable = services.access.editable_namespaces(ctx.actor, workspace=workspace)
    return sorted({project_name_of(services, n.namespace) for n in editable})


def _list(request: Request, ctx: RequestContext) -> Response:
    params = Params(dict(request.query_params))
    page_index = params.integer("pageIndex", 1, low=1) or 1
    page_size = min(params.integer("pageSize", 10, low=1) or 10, _MAX_PAGE_SIZE)
    wanted = params.text("name")
    names = [n for n in _names(ctx) if wanted is None or wanted.lower() in n.lower()]
    shown = names[(page_index - 1) * page_size : page_index * page_size]
    return ok(
        ctx.request_id,
        Projects={"Project": [_view(name, request, "default") for name in shown]},
        PageIndex=page_index,
        PageSize=page_size,
        TotalCount=len(names),
        TotalPage=(len(names) + page_size - 1) // page_size,
    )


@router.get("/api/v2/projects", name="ListProject")
async def list_project(request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_list, request, ctx)
