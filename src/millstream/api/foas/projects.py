"""foas projects (spec §3.7): CreateProject, GetProject, ListProject, UpdateProject,
DeleteProject and UpdateProjectConfig over the namespaces of the installation's default
workspace (``context``: a project is a namespace by name, the default namespace is the
project ``default``) and their profiles (``Services.namespaces``, ``project_profiles``).

CreateProject and DeleteProject are an administrator's (the spec: "cannot be created
with a RAM sub-account's AccessKey"); the creator becomes the new namespace's OWNER. The
name follows Millstream's namespace rule (lower-case letters, digits, '-'); ``default``
is taken by the installation's default namespace. ``deployType`` ``cell`` (an exclusive
cluster: Millstream runs its own Flink) is the only meaningful one; ``public`` (a
shared cluster bought with an ``orderId``) is refused, never faked. ``clusterId`` must
name a cluster Millstream knows; it and ``managerIds`` are kept and shown back.
DeleteProject refuses, saying what is in the way, while the project has jobs, live
instances, session clusters or a queue bound to it alone (409 ``Project.InUse``); the
project ``default`` is never deleted. It removes what belongs to the namespace (see
``store.namespaces``) and unbinds it from queues it shares with other projects, as the
document says. UpdateProject sets ``globalJobConfig`` (and ``description``, which the SDK
does not send but the document's GetProject shows); UpdateProjectConfig's
``IsOpenBatchSQL=False`` makes CreateJob/UpdateJob refuse batch SQL jobs. Both need the
OWNER role in the project.

ListProject lists the projects where the caller may change things (every namespace for an
administrator, else the namespaces the caller is an owner or editor of; the access
service has no "readable namespaces" query), filtered by ``name`` and paged. ``Region``
echoes the region the SDK sends (``RegionId``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.clusters import cluster_named
from millstream.api.foas.context import (
    DEFAULT_PROJECT,
    Project,
    open_project,
    project_name_of,
)
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import (
    INVALID_PARAMETER,
    PROJECT_EXISTS,
    PROJECT_IN_USE,
    FoasError,
)
from millstream.api.foas.project_profiles import (
    BATCH_SQL,
    CLUSTER_ID,
    GLOBAL_JOB_CONFIG,
    MANAGER_IDS,
    profile_of,
)
from millstream.api.foas.routing import PROJECT, Params, foas_router, read_params
from millstream.control.context import Scope
from millstream.control.services.namespaces import NamespaceService
from millstream.domain.errors import Conflict, Unavailable
from millstream.domain.namespace_profiles import NamespaceProfile

__all__ = ["router"]

router = foas_router()

_MAX_PAGE_SIZE = 100
_DEPLOY_TYPES = {"cell"}


def _region(request: Request) -> str:
    return request.query_params.get("RegionId") or request.headers.get("x-acs-region-id") or ""


def _millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def _view(name: str, request: Request, profile: NamespaceProfile | None) -> dict[str, Any]:
    attributes = profile.attributes if profile is not None else {}
    view: dict[str, Any] = {
        "ClusterId": attributes.get(CLUSTER_ID) or "default",
        "DeployType": "cell",
        "Description": profile.description if profile is not None else "",
        "GlobalJobConfig": attributes.get(GLOBAL_JOB_CONFIG, ""),
        "Id": profile.id if profile is not None else name,
        "ManagerIds": attributes.get(MANAGER_IDS, ""),
        "Name": name,
        "Region": _region(request),
        "State": "ENABLE",
    }
    if profile is not None:
        view["CreateTime"] = _millis(profile.created_at)
        view["ModifyTime"] = _millis(profile.modified_at or profile.created_at)
        view["Creator"] = profile.creator or ""
        view["Modifier"] = profile.modifier or profile.creator or ""
    return view


def _namespaces(ctx: RequestContext) -> NamespaceService:
    service = ctx.services.namespaces
    if service is None:
        raise Unavailable("projects cannot be managed here (no namespace service wired)")
    return service


def _profile(ctx: RequestContext, namespace: str) -> NamespaceProfile | None:
    service = ctx.services.namespaces
    if service is None:
        return None
    return service.get(Scope(ctx.services.default_workspace, namespace))


# ----------------------------------------------------------------- read


def _get(request: Request, ctx: RequestContext, name: str) -> Response:
    project: Project = open_project(request, ctx, name)
    return ok(ctx.request_id, Project=_view(project.name, request, profile_of(project)))


@router.get(PROJECT, name="GetProject")
async def get_project(projectName: str, request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_get, request, ctx, projectName)


def _names(ctx: RequestContext) -> list[tuple[str, str]]:
    """(project name, namespace) of the projects the caller may change."""
    services = ctx.services
    workspace = services.default_workspace
    if services.access is None:
        namespaces = [services.default_namespace]
    else:
        editable = services.access.editable_namespaces(ctx.actor, workspace=workspace)
        namespaces = [n.namespace for n in editable]
    return sorted({(project_name_of(services, n), n) for n in namespaces})


def _list(request: Request, ctx: RequestContext) -> Response:
    params = Params(dict(request.query_params))
    page_index = params.integer("pageIndex", 1, low=1) or 1
    page_size = min(params.integer("pageSize", 10, low=1) or 10, _MAX_PAGE_SIZE)
    wanted = params.text("name")
    names = [n for n in _names(ctx) if wanted is None or wanted.lower() in n[0].lower()]
    shown = names[(page_index - 1) * page_size : page_index * page_size]
    return ok(
        ctx.request_id,
        Projects={"Project": [_view(name, request, _profile(ctx, ns)) for name, ns in shown]},
        PageIndex=page_index,
        PageSize=page_size,
        TotalCount=len(names),
        TotalPage=(len(names) + page_size - 1) // page_size,
    )


@router.get("/api/v2/projects", name="ListProject")
async def list_project(request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_list, request, ctx)


# ----------------------------------------------------------------- create / delete


def _create(request: Request, ctx: RequestContext, params: Params) -> Response:
    name = params.required("name")
    deploy_type = (params.text("deployType") or "cell").lower()
    if deploy_type not in _DEPLOY_TYPES:
        raise FoasError(
            400,
            INVALID_PARAMETER,
            f"deployType {deploy_type[:40]!r} is not available: this self-hosted server "
            "runs exclusive clusters only (deployType cell); shared clusters bought with "
            "an orderId do not exist here",
        )
    if name == DEFAULT_PROJECT:
        raise FoasError(
            400,
            INVALID_PARAMETER,
            "project name 'default' is taken: it is the installation's default namespace",
        )
    attributes: dict[str, str] = {}
    cluster_id = params.text("clusterId")
    if cluster_id is not None:
        if ctx.services.clusters is not None:
            cluster_named(open_project(request, ctx, DEFAULT_PROJECT), cluster_id)
        attributes[CLUSTER_ID] = cluster_id
    managers = params.text("managerIds")
    if managers is not None:
        attributes[MANAGER_IDS] = managers
    workspace = ctx.services.default_workspace
    try:
        _namespaces(ctx).create(
            workspace,
            ctx.actor,
            name,
            description=params.text("description") or "",
            attributes=attributes,
        )
    except Conflict as exc:
        raise FoasError(409, PROJECT_EXISTS, exc.message) from None
    request.state.scope = Scope(workspace, name)  # what the audit log records
    return ok(ctx.request_id)


@router.post("/api/v2/projects", name="CreateProject")
async def create_project(request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_create, request, ctx, params)


def _delete(request: Request, ctx: RequestContext, name: str) -> Response:
    project = open_project(request, ctx, name)
    try:
        _namespaces(ctx).delete(project.scope, project.actor)
    except Conflict as exc:
        raise FoasError(409, PROJECT_IN_USE, exc.message) from None
    return ok(ctx.request_id)


@router.delete(PROJECT, name="DeleteProject")
async def delete_project(projectName: str, request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_delete, request, ctx, projectName)


# ----------------------------------------------------------------- update


def _update(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    project = open_project(request, ctx, name)
    config = params.values.get("globalJobConfig")
    description = params.values.get("description")
    if config is None and description is None:
        raise FoasError(400, "MissingParameter", "globalJobConfig is required")
    _namespaces(ctx).update(
        project.scope,
        project.actor,
        description=description,
        # An empty globalJobConfig clears it (the service drops empty attributes).
        attributes={GLOBAL_JOB_CONFIG: config} if config is not None else None,
    )
    return ok(ctx.request_id)


@router.put(PROJECT, name="UpdateProject")
async def update_project(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_update, request, ctx, projectName, params)


def _update_config(request: Request, ctx: RequestContext, params: Params) -> Response:
    project = open_project(request, ctx, params.required("ProjectName"))
    batch_sql = params.boolean("IsOpenBatchSQL", True)
    if params.text("IsOpenBatchSQL") is None:
        raise FoasError(400, "MissingParameter", "IsOpenBatchSQL is required")
    _namespaces(ctx).update(
        project.scope,
        project.actor,
        attributes={BATCH_SQL: "true" if batch_sql else "false"},
    )
    return ok(ctx.request_id)


@router.put("/api/v2/project/config", name="UpdateProjectConfig")
async def update_project_config(request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_update_config, request, ctx, params)
