"""DLI queue operations on Millstream's queues (DESIGN.md §5; ``cu_count`` = capacity).

    GET    /v1.0/{project_id}/queues                ListQueues   -> {"queues": [Queue]}
    GET    /v1.0/{project_id}/queues/{queue_name}   ShowQueue    -> the Queue's fields
    POST   /v1.0/{project_id}/queues                CreateQueue  -> {"queue_name"}
    DELETE /v1.0/{project_id}/queues/{queue_name}   DeleteQueue

DLI queue names are case-insensitive and may hold underscores; Millstream's are lower
case with dashes, so ``queue_name`` maps by lower-casing and ``_`` -> ``-``
(``testQueue`` is ``testqueue``, ``my_queue`` is ``my-queue``) everywhere, jobs'
``queue_name`` included. A queue created here runs on the default cluster and is open to
the project's namespace only; creating or deleting one needs an administrator or the
owner of that namespace. Listing shows the queues the project may use: all of them are
``general`` queues (they run Flink jobs) without tags, so ``queue_type=sql`` and any
``tags`` filter list none; an unknown ``queue_type`` or a malformed filter is a 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.dli.context import Project, open_project
from millstream.api.dli.envelope import ok_json
from millstream.api.dli.errors import BAD_PARAMETER, DialectError
from millstream.api.dli.mappers import millstream_queue
from millstream.api.dli.routing import V1, dli_router, parse_body
from millstream.api.dli.schemas import CreateQueue
from millstream.control.services.queues import QueuePatch, QueueService, QueueUsage
from millstream.domain.access import Role
from millstream.domain.errors import ErrorCode, NotFound, PermissionDenied, Unavailable

__all__ = ["router"]

router = dli_router()

_QUEUE_TYPES = frozenset({"sql", "general", "all"})
_SHOW_KEYS = {
    "queue_name": "queueName",
    "queue_type": "queueType",
    "cu_count": "cuCount",
    "charging_mode": "chargingMode",
}


def _queues(project: Project) -> QueueService:
    if project.services.queues is None:
        raise Unavailable("queues are not enabled on this server")
    return project.services.queues


def _require_owner(project: Project) -> None:
    access = project.services.access
    if access is None:
        return
    if access.role_for(project.actor, project.scope) is Role.OWNER:
        return
    try:
        if access.read_user(project.actor.id).is_admin:
            return
    except NotFound:
        pass  # a caller that is no user (a service actor) is no administrator
    raise PermissionDenied(
        "creating or deleting a queue needs an administrator or the owner of the "
        f"project's namespace {project.scope.namespace!r}"
    )


def _wire(usage: QueueUsage) -> dict[str, Any]:
    queue = usage.queue
    created = queue.created_at
    return {
        "queue_name": queue.name,
        "description": queue.description or "",
        "owner": queue.creator,
        "create_time": int(created.timestamp() * 1000) if created else None,
        "queue_type": "general",
        "cu_count": int(queue.capacity_cu),
        "used_cu": usage.used_cu,
        "charging_mode": 1,
        "resource_mode": 0,
        "engine": "flink",
    }


def _visible(project: Project, usage: QueueUsage) -> bool:
    return usage.queue.allows(project.scope.workspace, project.scope.namespace)


def _list_filters(request: Request) -> bool:
    """Whether the list's filters can match Millstream's queues; a value outside the SDK's
    documented ones is a 400 (an empty list would hide the typo)."""
    query = request.query_params
    queue_type = (query.get("queue_type") or "all").lower()
    if queue_type not in _QUEUE_TYPES:
        raise DialectError(
            400,
            BAD_PARAMETER,
            f"queue_type {queue_type[:32]!r} is not valid: use one of "
            f"{', '.join(sorted(_QUEUE_TYPES))}",
        )
    for flag in ("with-priv", "with-charge-info"):
        raw = (query.get(flag) or "false").lower()
        if raw not in {"true", "false"}:
            raise DialectError(400, BAD_PARAMETER, f"{flag} must be true or false, not {raw!r}")
    tags = query.get("tags") or ""
    for part in tags.split(",") if tags else []:
        key, sep, _ = part.partition("=")
        if not sep or not key.strip():
            raise DialectError(400, BAD_PARAMETER, f"tags filter {part!r} is not key=value")
    # Millstream's queues run Flink jobs (DLI's "general" queues) and carry no tags.
    return queue_type != "sql" and not tags


def _list(request: Request, ctx: RequestContext, project_id: str) -> JSONResponse:
    can_match = _list_filters(request)
    project = open_project(request, ctx, project_id)
    usages = _queues(project).list() if can_match else []
    shown = [_wire(u) for u in usages if _visible(project, u)]
    return ok_json(ctx.request_id, "", queues=shown)


def _show(request: Request, ctx: RequestContext, project_id: str, name: str) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    usage = _queues(project).get(millstream_queue(name))
    if not _visible(project, usage):
        raise NotFound(f"queue {name!r} not found", code=ErrorCode.QUEUE_NOT_FOUND)
    # ShowQueueResponse reads a few keys in camelCase (the service's own quirk).
    wire = _wire(usage)
    for snake, camel in _SHOW_KEYS.items():
        wire[camel] = wire.pop(snake)
    return ok_json(ctx.request_id, "", **wire)


def _create(
    request: Request, ctx: RequestContext, project_id: str, body: CreateQueue
) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    _require_owner(project)
    name = millstream_queue(body.queue_name)
    _queues(project).create(
        project.actor,
        name,
        QueuePatch(
            capacity_cu=float(body.cu_count),
            namespaces=(project.scope.namespace,),
            description=body.description,
            workspace=project.scope.workspace,
        ),
    )
    return ok_json(ctx.request_id, "", queue_name=name)


def _delete(request: Request, ctx: RequestContext, project_id: str, name: str) -> JSONResponse:
    project = open_project(request, ctx, project_id)
    _require_owner(project)
    service = _queues(project)
    usage = service.get(millstream_queue(name))
    if not _visible(project, usage):
        raise NotFound(f"queue {name!r} not found", code=ErrorCode.QUEUE_NOT_FOUND)
    service.delete(project.actor, usage.queue.name)
    return ok_json(ctx.request_id, "")


@router.get(V1 + "/queues", name="ListQueues")
async def list_queues(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    return await run_in_threadpool(_list, request, ctx, project_id)


@router.get(V1 + "/queues/{queue_name}", name="ShowQueue")
async def show_queue(
    project_id: str, queue_name: str, request: Request, ctx: Context
) -> JSONResponse:
    return await run_in_threadpool(_show, request, ctx, project_id, queue_name)


@router.post(V1 + "/queues", name="CreateQueue")
async def create_queue(project_id: str, request: Request, ctx: Context) -> JSONResponse:
    body = await parse_body(request, CreateQueue)
    return await run_in_threadpool(_create, request, ctx, project_id, body)


@router.delete(V1 + "/queues/{queue_name}", name="DeleteQueue")
async def delete_queue(
    project_id: str, queue_name: str, request: Request, ctx: Context
) -> JSONResponse:
    return await run_in_threadpool(_delete, request, ctx, project_id, queue_name)
