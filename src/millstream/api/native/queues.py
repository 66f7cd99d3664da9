"""Native queue operations (Millstream extension): ListQueues, GetQueue, CreateQueue,
UpdateQueue and DeleteQueue.

    GET    /api/v2/queues            every queue with its use
    POST   /api/v2/queues            create ({"name", "capacityCu", "cluster", ...})
    GET    /api/v2/queues/{name}     one queue, its admitted and waiting jobs (in order)
    PATCH  /api/v2/queues/{name}     change capacity, per-job maximum, namespaces, ...
    DELETE /api/v2/queues/{name}     refused (409 QueueInUse) while jobs use or wait on it

Queues are installation-wide (DESIGN.md §5), so these routes sit outside a namespace.
Anyone signed in may read them; a write needs an administrator, or the owner of every
namespace the queue is limited to. ``maxJobCu`` 0 on update removes the per-job maximum.
"""

# No ``from __future__ import annotations``: FastAPI resolves the handlers' annotations.

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse
from pydantic import Field

from millstream.api.dialect import Context, RequestContext
from millstream.api.native.routing import dump, native_router, not_enabled, ok
from millstream.api.native.schemas import WireModel
from millstream.control.context import Scope
from millstream.control.services.queues import QueuedJob, QueuePatch, QueueService, QueueUsage
from millstream.domain.access import Role
from millstream.domain.errors import ErrorCode, InvalidInput, NotFound, PermissionDenied
from millstream.domain.queues import Queue

__all__ = ["QueueBody", "QueueWire", "queue_to_wire", "router"]

router = native_router()

_PATH = "/api/v2/queues"
Name = Annotated[str, Path(min_length=1, max_length=128)]


class QueueBody(WireModel):
    """The body of CreateQueue (``name`` and ``capacityCu`` required) and UpdateQueue."""

    name: str | None = None
    workspace: str | None = None
    cluster: str | None = None
    capacity_cu: float | None = None
    max_job_cu: float | None = None
    namespaces: list[str] | None = None
    description: str | None = None
    resource_version: int | None = None


class QueuedJobWire(WireModel):
    job_id: str | None = None
    deployment_id: str | None = None
    deployment_name: str | None = None
    namespace: str | None = None
    workspace: str | None = None
    status: str | None = None
    priority: int | None = None
    cost_cu: float | None = None
    enqueued_at: int | None = None
    admitted_at: int | None = None


class QueueUsageWire(WireModel):
    used_cu: float | None = None
    waiting_cu: float | None = None
    free_cu: float | None = None
    admitted: list[QueuedJobWire] = Field(default_factory=list)
    waiting: list[QueuedJobWire] = Field(default_factory=list)  # in start order


class QueueWire(WireModel):
    name: str | None = None
    workspace: str | None = None
    cluster: str | None = None
    capacity_cu: float | None = None
    max_job_cu: float | None = None
    namespaces: list[str] | None = None
    description: str | None = None
    follows_cluster: bool | None = None
    creator: str | None = None
    modifier: str | None = None
    created_at: str | None = None
    modified_at: str | None = None
    resource_version: int | None = None
    usage: QueueUsageWire | None = None


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _job(job: QueuedJob) -> QueuedJobWire:
    return QueuedJobWire(
        job_id=job.job_id,
        deployment_id=job.deployment_id,
        deployment_name=job.deployment_name,
        namespace=job.namespace,
        workspace=job.workspace,
        status=job.status,
        priority=job.priority,
        cost_cu=job.cost_cu,
        enqueued_at=_seconds(job.enqueued_at),
        admitted_at=_seconds(job.admitted_at),
    )


def queue_to_wire(queue: Queue, usage: QueueUsage | None = None) -> dict[str, Any]:
    wire = QueueWire(
        name=queue.name,
        workspace=queue.workspace,
        cluster=queue.cluster,
        capacity_cu=queue.capacity_cu,
        max_job_cu=queue.max_job_cu,
        namespaces=list(queue.namespaces),
        description=queue.description,
        follows_cluster=queue.follows_cluster,
        creator=queue.creator,
        modifier=queue.modifier,
        created_at=None if queue.created_at is None else str(_seconds(queue.created_at)),
        modified_at=None if queue.modified_at is None else str(_seconds(queue.modified_at)),
        resource_version=queue.version,
        usage=None
        if usage is None
        else QueueUsageWire(
            used_cu=usage.used_cu,
            waiting_cu=usage.waiting_cu,
            free_cu=usage.free_cu,
            admitted=[_job(job) for job in usage.admitted],
            waiting=[_job(job) for job in usage.waiting],
        ),
    )
    return dump(wire)


def _queues(ctx: RequestContext) -> QueueService:
    if ctx.services.queues is None:
        raise not_enabled("queues")
    return ctx.services.queues


def _require_owner(ctx: RequestContext, workspace: str, namespaces: Iterable[str]) -> None:
    """Admins may change any queue; others must own every namespace it is limited to
    (a queue open to every namespace is an administrator's)."""
    access = ctx.services.access
    if access is None:  # a server without access control (tests, tools)
        return
    names = sorted(set(namespaces))
    if names and all(
        access.role_for(ctx.actor, Scope(workspace, name)) is Role.OWNER for name in names
    ):
        return
    try:
        if access.read_user(ctx.actor.id).is_admin:
            return
    except NotFound:
        pass  # a caller that is no user (a service actor) is no administrator
    raise PermissionDenied(
        "changing a queue needs an administrator, or the owner of every namespace it is "
        "limited to" + (f" ({', '.join(names)})" if names else " (it is open to all)")
    )


def _patch(body: QueueBody) -> QueuePatch:
    if body.max_job_cu is not None and body.max_job_cu < 0:
        raise InvalidInput(
            f"maxJobCu must be positive (0 removes it), got {body.max_job_cu:g}",
            code=ErrorCode.INVALID_QUEUE_CAPACITY,
        )
    return QueuePatch(
        cluster=body.cluster,
        capacity_cu=body.capacity_cu,
        max_job_cu=body.max_job_cu or None,
        clear_max_job_cu=body.max_job_cu == 0,
        namespaces=None if body.namespaces is None else tuple(body.namespaces),
        description=body.description,
        workspace=body.workspace,
        expected_version=body.resource_version,
    )


@router.get(_PATH, name="ListQueues")
def list_queues(ctx: Context) -> JSONResponse:
    found = _queues(ctx).list()
    return ok(ctx, [queue_to_wire(usage.queue, usage) for usage in found])


@router.get(_PATH + "/{name}", name="GetQueue")
def get_queue(ctx: Context, name: Name) -> JSONResponse:
    usage = _queues(ctx).get(name)
    return ok(ctx, queue_to_wire(usage.queue, usage))


@router.post(_PATH, name="CreateQueue")
def create_queue(ctx: Context, body: QueueBody) -> JSONResponse:
    if not body.name:
        raise InvalidInput(
            'name is required, e.g. {"name": "etl", "capacityCu": 8}',
            code=ErrorCode.INVALID_QUEUE_NAME,
        )
    service = _queues(ctx)
    workspace = body.workspace or ctx.services.default_workspace
    _require_owner(ctx, workspace, body.namespaces or ())
    queue = service.create(ctx.actor, body.name, _patch(body))
    return ok(ctx, queue_to_wire(queue, service.get(queue.name)))


@router.patch(_PATH + "/{name}", name="UpdateQueue")
def update_queue(ctx: Context, name: Name, body: QueueBody) -> JSONResponse:
    if body.name is not None and body.name != name:
        raise InvalidInput(
            f"a queue cannot be renamed ({name!r} -> {body.name!r}); create a new one",
            code=ErrorCode.INVALID_QUEUE,
        )
    service = _queues(ctx)
    current = service.get(name).queue
    _require_owner(ctx, current.workspace, (*current.namespaces, *(body.namespaces or ())))
    if not current.namespaces and body.namespaces is not None:
        _require_owner(ctx, current.workspace, ())  # narrowing an open queue: admins
    queue = service.update(ctx.actor, name, _patch(body))
    return ok(ctx, queue_to_wire(queue, service.get(name)))


@router.delete(_PATH + "/{name}", name="DeleteQueue")
def delete_queue(ctx: Context, name: Name) -> JSONResponse:
    service = _queues(ctx)
    current = service.get(name).queue
    _require_owner(ctx, current.workspace, current.namespaces)
    service.delete(ctx.actor, name)
    return ok(ctx)
