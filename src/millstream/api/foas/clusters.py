"""foas clusters (spec §3.6): a foas cluster is a Millstream cluster of the default
workspace that the default project can use, named by its cluster name (``clusterId``):
the installation's ``default`` cluster, external targets and session clusters
(``control.services.clusters``).

- ListCluster, GetClusterDetails: the clusters, their state (``CLUSTER_STATES``: a
  stopped session cluster is ``DESTROYED``, a failed one ``MAINTAINING``, one whose
  JobManager resize carries its jobs over a restart ``UPGRADING`` until they run again;
  targets that Millstream does not run are ``RUNNING``) and sizes (``InstanceInfos``: the JobManager
  and TaskManagers a session cluster runs).
- GetClusterEngineVersions: the installed Flink runtimes and their aliases, the
  default first (any runs on any cluster Millstream starts).
- GetClusterResource, GetClusterMetrics: what is real, the CUs of the queues on the
  cluster (total, used by admitted jobs, free), in the document's units
  (100 vcores = 1 CU = 4096 MB). GetClusterMetrics answers the metrics ``cu.total``,
  ``cu.used``, ``cu.free``, ``cu.waiting`` (optionally prefixed ``<clusterId>.``) with
  one data point now.
- CreateCluster creates a session cluster named ``displayName``, sized from the request's
  machine models (``cluster_changes``, ``machines``), and starts it; DestroyCluster stops
  a session cluster (refused while jobs run on it), which then shows as ``DESTROYING``
  and ``DESTROYED``.
- ExpandCluster and ShrinkCluster add or remove TaskManagers of a running session cluster
  live (a shrink only takes idle ones); ModifyMasterSpec restarts it with another
  JobManager size, suspending its running jobs first and resuming them from their
  savepoints afterwards: ``cluster_changes``.
Every cluster operation is authorized in the default project (``context``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from millstream.api.dialect import Context, RequestContext
from millstream.api.foas import cluster_changes
from millstream.api.foas.context import DEFAULT_PROJECT, Project, open_project
from millstream.api.foas.envelope import ok
from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.api.foas.machines import instance_infos
from millstream.api.foas.routing import CLUSTERS, Params, foas_router, read_params
from millstream.control.services.clusters import ClusterService
from millstream.control.services.queues import QueueService, QueueUsage
from millstream.domain.clusters import Cluster, ClusterKind, ClusterStatus
from millstream.domain.errors import ErrorCode, InvalidInput, NotFound, Unavailable
from millstream.domain.queues import CU_MEMORY_BYTES

__all__ = [
    "CLUSTER",
    "CLUSTER_STATES",
    "VCORES_PER_CU",
    "cluster_named",
    "cluster_project",
    "memory_mb",
    "queue_service",
    "router",
    "vcores",
]

router = foas_router()

CLUSTER = CLUSTERS + "/{clusterId}"
VCORES_PER_CU = 100  # the document's unit: "100 Vcore = 1 CU = 4G MEM"
_MB_PER_CU = CU_MEMORY_BYTES // (1024 * 1024)
_MAX_PAGE_SIZE = 100
_DESCRIPTION_LABEL = "description"

# Millstream's cluster status -> the document's cluster state (spec §2.7).
CLUSTER_STATES: Mapping[ClusterStatus, str] = {
    ClusterStatus.STARTING: "STARTING",
    ClusterStatus.RUNNING: "RUNNING",
    ClusterStatus.STOPPING: "DESTROYING",
    ClusterStatus.STOPPED: "DESTROYED",
    # No "failed" state in the document; MAINTAINING is the one that means "not usable now".
    ClusterStatus.FAILED: "MAINTAINING",
}
_METRICS = ("cu.total", "cu.used", "cu.free", "cu.waiting")
UPGRADING = "UPGRADING"  # a JobManager resize carrying the cluster's jobs is open


def vcores(cu: float) -> int:
    return round(cu * VCORES_PER_CU)


def memory_mb(cu: float) -> int:
    return round(cu * _MB_PER_CU)


def cluster_project(request: Request, ctx: RequestContext) -> Project:
    """The default project: where operations outside any project are authorized."""
    return open_project(request, ctx, DEFAULT_PROJECT)


def _clusters_service(project: Project) -> ClusterService:
    service = project.services.clusters
    if service is None:
        raise Unavailable("clusters are not enabled on this server (no cluster service wired)")
    return service


def queue_service(project: Project) -> QueueService:
    service = project.services.queues
    if service is None:
        raise Unavailable("queues are not enabled on this server (no queue service wired)")
    return service


def _all_clusters(project: Project) -> list[Cluster]:
    service = _clusters_service(project)
    found = service.list_targets(project.scope) + service.list_session_clusters(project.scope)
    return sorted(found, key=lambda c: c.name)


def cluster_named(project: Project, cluster_id: str) -> Cluster:
    """The cluster ``clusterId`` names; ``Cluster.NotFound`` if none."""
    for cluster in _all_clusters(project):
        if cluster.name == cluster_id:
            return cluster
    raise NotFound(f"cluster {cluster_id[:80]!r} does not exist", code=ErrorCode.CLUSTER_NOT_FOUND)


def _upgrading(project: Project) -> set[str]:
    """Names of the clusters with an open JobManager resize."""
    restarts = project.services.cluster_restarts
    return set(restarts.open_restarts(project.scope)) if restarts is not None else set()


def _state(cluster: Cluster, upgrading: Collection[str]) -> str:
    if cluster.kind is not ClusterKind.SESSION or cluster.status is None:
        return "RUNNING"
    if cluster.name in upgrading:
        return UPGRADING
    return CLUSTER_STATES[cluster.status]


def _millis(cluster: Cluster, created: bool) -> int | None:
    moment = cluster.created_at if created else cluster.modified_at
    return int(moment.timestamp() * 1000) if moment is not None else None


def _region(request: Request) -> str:
    return request.query_params.get("RegionId") or request.headers.get("x-acs-region-id") or ""


def _view(cluster: Cluster, request: Request, upgrading: Collection[str]) -> dict[str, Any]:
    return {
        "ClusterId": cluster.name,
        "Description": cluster.labels.get(_DESCRIPTION_LABEL, ""),
        "DisplayName": cluster.name,
        "GmtCreate": _millis(cluster, True),
        "GmtModified": _millis(cluster, False),
        "Operator": cluster.modifier or "",
        "OwnerId": cluster.creator or "",
        "RegionId": _region(request),
        "State": _state(cluster, upgrading),
        "ZoneId": "",
    }


def _list(request: Request, ctx: RequestContext, params: Params) -> Response:
    page_index = params.integer("pageIndex", 1, low=1) or 1
    page_size = min(params.integer("pageSize", 10, low=1) or 10, _MAX_PAGE_SIZE)
    wanted_id, wanted_name = params.text("clusterId"), params.text("displayName")
    wanted_state = (params.text("state") or "").upper() or None
    project = cluster_project(request, ctx)
    upgrading = _upgrading(project)
    found = [
        c
        for c in _all_clusters(project)
        if (wanted_id is None or c.name == wanted_id)
        and (wanted_name is None or wanted_name.lower() in c.name.lower())
        and (wanted_state is None or _state(c, upgrading) == wanted_state)
    ]
    shown = found[(page_index - 1) * page_size : page_index * page_size]
    return ok(
        ctx.request_id,
        Clusters={"Cluster": [_view(c, request, upgrading) for c in shown]},
        PageIndex=page_index,
        PageSize=page_size,
        TotalCount=len(found),
        TotalPage=(len(found) + page_size - 1) // page_size,
    )


@router.get(CLUSTERS, name="ListCluster")
async def list_cluster(request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_list, request, ctx, params)


def _details(request: Request, ctx: RequestContext, cluster_id: str) -> Response:
    project = cluster_project(request, ctx)
    cluster = cluster_named(project, cluster_id)
    service = _clusters_service(project)
    infos = instance_infos(cluster, service.taskmanagers(cluster), service.default_slots)
    details = {
        **_view(cluster, request, _upgrading(project)),
        "InstanceInfos": json.dumps(infos),
        "IsMixDeploy": False,
        "StorageType": "",
        "UserOssInfo": "",
        "UserSGId": "",
        "UserVSwitchList": "[]",
        "UserVpcId": "",
    }
    return ok(ctx.request_id, Details=details)


@router.get(CLUSTER + "/details", name="GetClusterDetails")
async def get_cluster_details(clusterId: str, request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_details, request, ctx, clusterId)


def _engine_versions(request: Request, ctx: RequestContext, cluster_id: str) -> Response:
    project = cluster_project(request, ctx)
    cluster_named(project, cluster_id)
    names = [info.name for info in project.services.versions.metadata()]
    return ok(ctx.request_id, EngineVersions={"EngineVersion": names})


@router.get(CLUSTER + "/engineversions", name="GetClusterEngineVersions")
async def get_cluster_engine_versions(clusterId: str, request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_engine_versions, request, ctx, clusterId)


def _usage(project: Project, cluster: Cluster) -> tuple[float, float, float]:
    """(total, used, waiting) CUs of the queues on the cluster."""
    usages: list[QueueUsage] = [
        u for u in queue_service(project).list() if u.queue.cluster == cluster.name
    ]
    total = round(sum(u.queue.capacity_cu for u in usages), 3)
    used = round(sum(u.used_cu for u in usages), 3)
    waiting = round(sum(u.waiting_cu for u in usages), 3)
    return total, used, waiting


def _resource(request: Request, ctx: RequestContext, cluster_id: str) -> Response:
    project = cluster_project(request, ctx)
    total, used, _ = _usage(project, cluster_named(project, cluster_id))
    free = max(0.0, total - used)
    return ok(
        ctx.request_id,
        Resource={
            "AllocatedMB": memory_mb(used),
            "AllocatedVirtualCores": vcores(used),
            "AvailableMB": memory_mb(free),
            "AvailableVirtualCores": vcores(free),
            "TotalMB": memory_mb(total),
            "TotalVirtualCores": vcores(total),
        },
    )


@router.get(CLUSTER + "/resource", name="GetClusterResource")
async def get_cluster_resource(clusterId: str, request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_resource, request, ctx, clusterId)


def _metric_names(raw: str) -> list[str]:
    """The ``metric`` of each query in ``metricJson`` (or of the object itself)."""
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):
        raise FoasError(400, INVALID_PARAMETER, "metricJson is not valid JSON") from None
    if not isinstance(decoded, dict):
        raise FoasError(400, INVALID_PARAMETER, "metricJson must be a JSON object")
    queries = decoded.get("queries")
    items = queries if isinstance(queries, list) else [decoded]
    names = [str(q.get("metric")) for q in items if isinstance(q, dict) and q.get("metric")]
    if not names:
        raise FoasError(400, INVALID_PARAMETER, "metricJson names no metric (queries[].metric)")
    return names


def _metrics(request: Request, ctx: RequestContext, cluster_id: str, params: Params) -> Response:
    names = _metric_names(params.required("metricJson"))
    project = cluster_project(request, ctx)
    cluster = cluster_named(project, cluster_id)
    total, used, waiting = _usage(project, cluster)
    values = {
        "cu.total": total,
        "cu.used": used,
        "cu.free": max(0.0, round(total - used, 3)),
        "cu.waiting": waiting,
    }
    now = str(int(time.time()))
    metrics = []
    for name in names:
        short = name.removeprefix(f"{cluster.name}.").lower()
        if short not in values:
            raise FoasError(
                400,
                INVALID_PARAMETER,
                f"metric {name[:80]!r} is not available; Millstream reports {', '.join(_METRICS)}",
            )
        metrics.append(
            {
                "MetricName": name,
                "Dps": {now: values[short]},
                "Summary": values[short],
                "Tags": {"clusterId": cluster.name},
            }
        )
    return ok(ctx.request_id, Metrics={"Metric": metrics})


@router.post(CLUSTER + "/metrics", name="GetClusterMetrics")
async def get_cluster_metrics(clusterId: str, request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_metrics, request, ctx, clusterId, params)


def _create(request: Request, ctx: RequestContext, params: Params) -> Response:
    name = params.required("displayName")
    description = params.text("description") or ""
    if "\x00" in description:
        raise FoasError(400, INVALID_PARAMETER, "description cannot contain NUL characters")
    patch = cluster_changes.create_patch(params, name, {_DESCRIPTION_LABEL: description[:256]})
    project = cluster_project(request, ctx)
    service = _clusters_service(project)
    try:
        cluster = service.create_session_cluster(project.scope, project.actor, patch)
    except InvalidInput as exc:
        raise FoasError(
            400, INVALID_PARAMETER, f"displayName becomes the cluster id: {exc.message}"
        ) from None
    service.start_session_cluster(project.scope, project.actor, cluster.name)
    return ok(ctx.request_id, ClusterId=cluster.name)


@router.post(CLUSTERS, name="CreateCluster")
async def create_cluster(request: Request, ctx: Context) -> Response:
    params = await read_params(request)
    return await run_in_threadpool(_create, request, ctx, params)


def _destroy(request: Request, ctx: RequestContext, cluster_id: str) -> Response:
    project = cluster_project(request, ctx)
    cluster = cluster_named(project, cluster_id)
    cluster_changes.require_session(cluster, "DestroyCluster")
    _clusters_service(project).stop_session_cluster(project.scope, project.actor, cluster.name)
    return ok(ctx.request_id)


@router.delete(CLUSTER, name="DestroyCluster")
async def destroy_cluster(clusterId: str, request: Request, ctx: Context) -> Response:
    return await run_in_threadpool(_destroy, request, ctx, clusterId)


_Change = Callable[[ClusterService, Project, Cluster, Params], None]


def _change(change: _Change) -> Any:
    """A route that applies ``change`` to the cluster ``clusterId`` names."""

    def endpoint(
        request: Request, ctx: RequestContext, cluster_id: str, params: Params
    ) -> Response:
        project = cluster_project(request, ctx)
        cluster = cluster_named(project, cluster_id)
        change(_clusters_service(project), project, cluster, params)
        return ok(ctx.request_id)

    async def route(clusterId: str, request: Request, ctx: Context) -> Response:
        params = await read_params(request)
        return await run_in_threadpool(endpoint, request, ctx, clusterId, params)

    return route


router.add_api_route(
    CLUSTER + "/expand",
    _change(cluster_changes.expand),
    methods=["PUT"],
    name="ExpandCluster",
)
router.add_api_route(
    CLUSTER + "/shrink",
    _change(cluster_changes.shrink),
    methods=["PUT"],
    name="ShrinkCluster",
)
router.add_api_route(
    CLUSTER + "/specification",
    _change(cluster_changes.modify_master),
    methods=["PUT"],
    name="ModifyMasterSpec",
)
