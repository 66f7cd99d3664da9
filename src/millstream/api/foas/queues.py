"""foas queues (spec §3.5): CreateQueue, UpdateQueue, DeleteQueue, GetClusterQueueInfo,
BindQueue, UnbindQueue, ListProjectBindQueue and ListProjectBindQueueResource over
Millstream's queues (``control.services.queues``: CU quotas on a cluster, usable from
some namespaces).

- Names: a foas queue ``root.<name>`` (or plain ``<name>``) is the Millstream queue
  ``<name>`` in lower case with ``_`` written ``-`` (``root.fast_lane`` is
  ``fast-lane``: Millstream queue names are lower-case letters, digits and ``-``);
  answers show ``root.<name>``, the document's spelling (``root.default``).
- Sizes: the document's units, 100 vcores = 1 CU = 4096 MB: a queue's capacity is the
  larger of ``maxVcore / 100`` and ``maxMemMB / 4096`` CU; Max/Min are the capacity
  (Millstream's quota is both the guarantee and the cap), Used the CUs its admitted
  jobs hold. GPUs are not scheduled: ``gpu`` above 0 is refused.
- Binding: a queue's projects are its allowed namespaces. BindQueue adds the project,
  UnbindQueue removes it (refused while the project has live or waiting jobs in the
  queue, the document's "take the jobs offline first"; ``clusterId`` is optional
  there). DeleteQueue is refused while jobs use the queue (Millstream's rule; bound
  projects lose it, the document's "unbind first" is not enforced). A queue bound to no
  project is open to every project (Millstream's rule), so ListProjectBindQueue lists
  the queues the project may use: the ones bound to it and the open ones.
Cluster operations are authorized in the default project, project ones in the project.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas.clusters import (
    CLUSTER,
    VCORES_PER_CU,
    cluster_named,
    cluster_project,
    memory_mb,
    queue_service,
    vcores,
)
from millstream.api.foas.context import Project, open_project
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import INVALID_PARAMETER, QUEUE_NOT_FOUND, FoasError
from millstream.api.foas.routing import PROJECT, Params, foas_router, read_params
from millstream.control.services import Services
from millstream.control.services.queues import QueuePatch, QueueUsage
from millstream.domain.errors import Conflict, ErrorCode
from millstream.domain.queues import CU_MEMORY_BYTES, Queue, validate_queue_name

__all__ = ["foas_queue_name", "job_queue", "millstream_queue_name", "router"]

router = foas_router()

_ROOT = "root."
_INT_MAX = 2**31 - 1
_OVERFLOW = -9999  # the document: an Integer field past its range reads -9999


def millstream_queue_name(name: str) -> str:
    """The Millstream queue a foas ``queueName`` names (``root.`` is optional)."""
    return validate_queue_name(name.removeprefix(_ROOT).lower().replace("_", "-"))


def foas_queue_name(queue: Queue) -> str:
    return _ROOT + queue.name


def job_queue(services: Services, foas_name: str | None) -> str | None:
    """The Millstream queue a job's ``queueName`` names (None when it names none);
    ``Queue.NotFound`` when no such queue exists. Used by ``jobs`` (CreateJob,
    UpdateJob). Blocking: thread pool only."""
    if not foas_name:
        return None
    name = millstream_queue_name(foas_name)
    if services.queues is not None:
        services.queues.get(name)  # NotFound (Queue.NotFound) when it does not exist
    return name


def _capacity(params: Params) -> float:
    memory = params.integer("maxMemMB", low=0)
    cores = params.integer("maxVcore", low=0)
    if memory is None and cores is None:
        raise FoasError(400, "MissingParameter", "maxVcore or maxMemMB is required")
    if params.integer("gpu", 0, low=0):
        raise FoasError(
            400, INVALID_PARAMETER, "gpu must be 0: Millstream queues do not schedule GPUs"
        )
    cu = max((cores or 0) / VCORES_PER_CU, (memory or 0) * 1024 * 1024 / CU_MEMORY_BYTES)
    return round(cu, 3)


def _int(value: int) -> int:
    return value if value <= _INT_MAX else _OVERFLOW


def _resource_view(usage: QueueUsage) -> dict[str, Any]:
    queue = usage.queue
    figures = {
        "maxGpu": 0,
        "maxMem": memory_mb(queue.capacity_cu),
        "maxVCore": vcores(queue.capacity_cu),
        "minGpu": 0,
        "minMem": memory_mb(queue.capacity_cu),
        "minVCore": vcores(queue.capacity_cu),
        "usedGpu": 0,
        "usedMem": memory_mb(usage.used_cu),
        "usedVCore": vcores(usage.used_cu),
    }
    external = {
        "name": foas_queue_name(queue),
        **figures,
        "capacityCu": queue.capacity_cu,
        "usedCu": usage.used_cu,
        "waitingCu": usage.waiting_cu,
        "freeCu": usage.free_cu,
    }
    return {
        "ClusterId": queue.cluster,
        "ExternalInfo": json.dumps(external, sort_keys=True),
        "MaxGpu": 0,
        "MaxMem": _int(figures["maxMem"]),
        "MaxVCore": _int(figures["maxVCore"]),
        "MinGpu": 0,
        "MinMem": _int(figures["minMem"]),
        "MinVCore": _int(figures["minVCore"]),
        "QueueName": foas_queue_name(queue),
        "UsedGpu": 0,
        "UsedMem": _int(figures["usedMem"]),
        "UsedVCore": _int(figures["usedVCore"]),
    }


def _check_cluster(project: Project, cluster_id: str) -> None:
    """``Cluster.NotFound`` for an unknown cluster (when clusters are wired; the queue
    service checks the cluster of a new queue itself)."""
    if project.services.clusters is not None:
        cluster_named(project, cluster_id)


def _queue_on(project: Project, cluster_id: str | None, foas_name: str) -> QueueUsage:
    """The queue ``foas_name`` (of cluster ``cluster_id`` when given); ``Queue.NotFound``
    otherwise."""
    name = millstream_queue_name(foas_name)
    usage = queue_service(project).get(name)
    on_cluster = cluster_id is None or usage.queue.cluster == cluster_id
    if not on_cluster or usage.queue.workspace != project.scope.workspace:
        raise FoasError(
            404, QUEUE_NOT_FOUND, f"queue {foas_name!r} does not exist on cluster {cluster_id}"
        )
    return usage


# ----------------------------------------------------------------- cluster queues


def _create(request: Request, ctx: RequestContext, cluster_id: str, params: Params) -> Response:
    name = millstream_queue_name(params.required("queueName"))
    capacity = _capacity(params)
    project = cluster_project(request, ctx)
    _check_cluster(project, cluster_id)
    queue_service(project).create(
        project.actor,
        name,
        QueuePatch(cluster=cluster_id, capacity_cu=capacity, workspace=project.scope.workspace),
    )
    return ok(ctx.request_id)


@router.post(CLUSTER + "/queue", name="CreateQueue")
async def create_queue(clusterId: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_create, request, ctx, clusterId, params)


def _update(request: Request, ctx: RequestContext, cluster_id: str, params: Params) -> Response:
    foas_name = params.required("queueName")
    capacity = _capacity(params)
    project = cluster_project(request, ctx)
    usage = _queue_on(project, cluster_id, foas_name)
    queue_service(project).update(
        project.actor,
        usage.queue.name,
        QueuePatch(capacity_cu=capacity, expected_version=usage.queue.version),
    )
    return ok(ctx.request_id)


@router.put(CLUSTER + "/queue", name="UpdateQueue")
async def update_queue(clusterId: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_update, request, ctx, clusterId, params)


def _delete(request: Request, ctx: RequestContext, cluster_id: str, params: Params) -> Response:
    foas_name = params.required("queueName")
    project = cluster_project(request, ctx)
    usage = _queue_on(project, cluster_id, foas_name)
    queue_service(project).delete(project.actor, usage.queue.name)
    return ok(ctx.request_id)


@router.delete(CLUSTER + "/queue", name="DeleteQueue")
async def delete_queue(clusterId: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_delete, request, ctx, clusterId, params)


def _cluster_queues(request: Request, ctx: RequestContext, cluster_id: str) -> Response:
    project = cluster_project(request, ctx)
    _check_cluster(project, cluster_id)
    usages = [u for u in queue_service(project).list() if u.queue.cluster == cluster_id]
    return ok(
        ctx.request_id,
        Queues={"Queue": [_resource_view(u) for u in sorted(usages, key=lambda u: u.queue.name)]},
    )


@router.get(CLUSTER + "/queueinfo", name="GetClusterQueueInfo")
async def get_cluster_queue_info(clusterId: str, request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_cluster_queues, request, ctx, clusterId)


# ----------------------------------------------------------------- project bindings


def _bind(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    foas_name, cluster_id = params.required("queueName"), params.required("clusterId")
    project = open_project(request, ctx, name)
    usage = _queue_on(project, cluster_id, foas_name)
    namespace = project.scope.namespace
    if namespace not in usage.queue.namespaces:
        queue_service(project).update(
            project.actor,
            usage.queue.name,
            QueuePatch(
                namespaces=(*usage.queue.namespaces, namespace),
                expected_version=usage.queue.version,
            ),
        )
    return ok(ctx.request_id)


@router.post(PROJECT + "/queue", name="BindQueue")
async def bind_queue(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_bind, request, ctx, projectName, params)


def _unbind(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    foas_name, cluster_id = params.required("queueName"), params.text("clusterId")
    project = open_project(request, ctx, name)
    usage = _queue_on(project, cluster_id, foas_name)
    namespace = project.scope.namespace
    if namespace not in usage.queue.namespaces:
        raise FoasError(
            400,
            INVALID_PARAMETER,
            f"project {project.name!r} is not bound to queue {foas_name!r}",
        )
    live = [
        job
        for job in (*usage.admitted, *usage.waiting)
        if job.workspace == project.scope.workspace and job.namespace == namespace
    ]
    if live:
        raise Conflict(
            f"project {project.name!r} has {len(live)} live or waiting job(s) in queue "
            f"{foas_name!r} ({', '.join(sorted({j.deployment_name for j in live})[:5])}); "
            "stop them first",
            code=ErrorCode.QUEUE_IN_USE,
        )
    queue_service(project).update(
        project.actor,
        usage.queue.name,
        QueuePatch(
            namespaces=tuple(n for n in usage.queue.namespaces if n != namespace),
            expected_version=usage.queue.version,
        ),
    )
    return ok(ctx.request_id)


@router.delete(PROJECT + "/queue", name="UnbindQueue")
async def unbind_queue(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_unbind, request, ctx, projectName, params)


def _project_queues(project: Project, params: Params) -> list[QueueUsage]:
    wanted_cluster = params.text("clusterId")
    wanted = params.text("queueName")
    wanted_name = millstream_queue_name(wanted) if wanted is not None else None
    scope = project.scope
    found = [
        u
        for u in queue_service(project).list()
        if u.queue.allows(scope.workspace, scope.namespace)
        and (wanted_cluster is None or u.queue.cluster == wanted_cluster)
        and (wanted_name is None or u.queue.name == wanted_name)
    ]
    return sorted(found, key=lambda u: u.queue.name)


def _bound(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    project = open_project(request, ctx, name)
    queues = [
        {"ClusterId": u.queue.cluster, "QueueName": foas_queue_name(u.queue)}
        for u in _project_queues(project, params)
    ]
    return ok(ctx.request_id, Queues={"Queue": queues})


@router.get(PROJECT + "/queues", name="ListProjectBindQueue")
async def list_project_bind_queue(projectName: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_bound, request, ctx, projectName, params)


def _bound_resources(request: Request, ctx: RequestContext, name: str, params: Params) -> Response:
    project = open_project(request, ctx, name)
    queues = []
    for usage in _project_queues(project, params):
        view = _resource_view(usage)
        del view["ExternalInfo"]  # not part of this operation's Queue
        queues.append(view)
    return ok(ctx.request_id, Queues={"Queue": queues})


@router.get(PROJECT + "/queueresource", name="ListProjectBindQueueResource")
async def list_project_bind_queue_resource(
    projectName: str, request: Request, ctx: Context
) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_bound_resources, request, ctx, projectName, params)
