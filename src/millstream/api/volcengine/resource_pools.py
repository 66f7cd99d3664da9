"""Resource-pool operations (CreateGMCSResourcePool, GetGMCSResourcePool,
UpdateGMCSResourcePool, ListGMCSResources, DeleteGMCSResource) on Millstream clusters.

A resource pool is a cluster, named by its name (the pool ``Id``): creating one makes a
session cluster of the project sized by its CUs and starts it, as Volcengine provisions
a pool on creation; updating resizes it (applied at its next start); deleting stops it,
waits until it has stopped and removes it. A pool with running jobs can be neither
stopped nor deleted. The shared default cluster (and registered external clusters) are
listed and readable as pools but are configured by the server, not through this API.
Jobs are placed on a pool by ``DeployRequest.ResourcePool``.
"""

from __future__ import annotations

import time
from typing import Any

from millstream.api.volcengine import mappers, schemas
from millstream.api.volcengine.context import Call
from millstream.control.context import Scope
from millstream.control.services.clusters import ClusterService, SessionClusterPatch
from millstream.domain.clusters import Cluster, ClusterKind, ClusterStatus
from millstream.domain.errors import ErrorCode, InvalidInput, NotFound

__all__ = ["create_pool", "delete_pool", "get_pool", "list_pools", "update_pool"]

STOP_WAIT_SECONDS = 120.0
_POLL_SECONDS = 0.5


def _clusters(call: Call) -> ClusterService:
    clusters = call.backend.clusters
    if clusters is None:
        raise InvalidInput(
            "resource pools are not available on this server (no cluster service is wired)",
            code=ErrorCode.CLUSTER_NOT_FOUND,
        )
    return clusters


def _pool_scope(call: Call, name: str) -> Scope:
    locator = call.backend.locator
    backend = call.backend
    if locator is None:
        scope = Scope(backend.workspace, backend.default_namespace)
    else:
        scope = locator.cluster_scope(
            name, workspace=backend.workspace, default_namespace=backend.default_namespace
        )
    call.authorize(scope)
    return scope


def _find(call: Call, name: str) -> tuple[Scope, Cluster]:
    scope = _pool_scope(call, name)
    clusters = _clusters(call)
    for cluster in [*clusters.list_session_clusters(scope), *clusters.list_targets(scope)]:
        if cluster.name == name:
            return scope, cluster
    raise NotFound(f"cluster {name!r} not found", code=ErrorCode.CLUSTER_NOT_FOUND)


def _session(cluster: Cluster) -> None:
    if cluster.kind is not ClusterKind.SESSION:
        raise InvalidInput(
            f"cluster {cluster.name!r} is configured by the server, not through this API",
            code=ErrorCode.DEFAULT_CLUSTER_READ_ONLY,
        )


def create_pool(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.CreatePoolRequest)
    scope = call.project(request.project_id)
    clusters = _clusters(call)
    patch = SessionClusterPatch(
        name=request.name,
        resources=mappers.pool_resources(request.resources),
        labels={tag.key: tag.value for tag in request.tags} or None,
    )
    cluster = clusters.create_session_cluster(scope, call.actor, patch)
    clusters.start_session_cluster(scope, call.actor, cluster.name)
    return schemas.CreatePoolResult(
        project_name=scope.namespace,
        trade_config_id=cluster.name,
        tags=[schemas.Tag(key=tag.key, value=tag.value) for tag in request.tags],
    ).wire()


def get_pool(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.GetPoolRequest)
    scope, cluster = _find(call, request.id)
    return mappers.pool(cluster, project=scope.namespace).wire()


def update_pool(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.UpdatePoolRequest)
    scope, cluster = _find(call, request.resource_pool_id)
    _session(cluster)
    resources = mappers.pool_resources(request.resources)
    _clusters(call).update_session_cluster(
        scope, call.actor, cluster.name, SessionClusterPatch(resources=resources)
    )
    return schemas.UpdatePoolResult(trade_config_id=cluster.name).wire()


def list_pools(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.ListPoolsRequest)
    scope = call.project(request.project_id)
    clusters = _clusters(call)
    wanted = {part.strip() for part in (request.resource_pool_ids or "").split(",") if part.strip()}
    found = [
        cluster
        for cluster in [*clusters.list_targets(scope), *clusters.list_session_clusters(scope)]
        if (not wanted or cluster.name in wanted)
        and (not request.name or request.name in cluster.name)
    ]
    start = (request.page_num - 1) * request.page_size
    page = found[start : start + request.page_size]
    return schemas.ListPoolsResult(
        page_num=request.page_num,
        page_size=request.page_size,
        total=len(found),
        data_list=[mappers.pool(cluster, project=scope.namespace) for cluster in page],
    ).wire()


def delete_pool(call: Call) -> dict[str, Any]:
    request = call.parse(schemas.DeletePoolRequest)
    scope, cluster = _find(call, request.resource_pool_id)
    _session(cluster)
    clusters = _clusters(call)
    cluster = clusters.stop_session_cluster(scope, call.actor, cluster.name)
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while cluster.status not in (None, ClusterStatus.STOPPED, ClusterStatus.FAILED):
        if time.monotonic() > deadline:
            break  # the delete below answers why (the cluster is still stopping)
        time.sleep(_POLL_SECONDS)
        cluster = clusters.get_session_cluster(scope, cluster.name)
    clusters.delete_session_cluster(scope, call.actor, cluster.name)
    return schemas.DeletePoolResult(order_id=cluster.name).wire()
