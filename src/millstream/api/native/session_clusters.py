"""Native session cluster operations: Create/List/Get/Update/Start/Stop/DeleteSessionCluster
at the SDK's paths (``/sessionclusters/{name}:start`` is sent as ``%3Astart``). Wire
models and mapping live in ``clusters``."""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse

from millstream.api.dialect import RequestContext
from millstream.api.native.clusters import SessionClusterWire, cluster_to_wire, session_patch
from millstream.api.native.params import NAMESPACE
from millstream.api.native.routing import Ctx, dump, native_router, not_enabled, ok
from millstream.api.safe_rows import dumped_one, dumped_rows
from millstream.control.services.clusters import ClusterService
from millstream.domain.clusters import Cluster
from millstream.domain.errors import InvalidInput

__all__ = ["cluster_service", "router"]

router = native_router()

_PATH = NAMESPACE + "/sessionclusters"
Name = Annotated[str, Path(min_length=1, max_length=128)]


def cluster_service(ctx: RequestContext) -> ClusterService:
    if ctx.services.clusters is None:
        raise not_enabled("clusters")
    return ctx.services.clusters


def _wire(service: ClusterService, cluster: Cluster) -> dict[str, Any]:
    # A row stored before free-form JSON was bounded must not break the answer.
    ids = service.reference_deployment_ids(cluster)
    return dumped_one(cluster, lambda c: cluster_to_wire(c, ids))


@router.post(_PATH, name="CreateSessionCluster")
def create_session_cluster(ctx: Ctx, body: SessionClusterWire) -> JSONResponse:
    if not body.name:
        raise InvalidInput("name is required")
    service = cluster_service(ctx)
    cluster = service.create_session_cluster(ctx.scope, ctx.actor, session_patch(body))
    return ok(ctx, _wire(service, cluster))


@router.get(_PATH, name="ListSessionClusters")
def list_session_clusters(ctx: Ctx) -> JSONResponse:
    service = cluster_service(ctx)
    clusters = service.list_session_clusters(ctx.scope)
    return ok(
        ctx,
        dumped_rows(clusters, lambda c: cluster_to_wire(c, service.reference_deployment_ids(c))),
    )


@router.get(_PATH + "/{session_cluster_name}", name="GetSessionCluster")
def get_session_cluster(ctx: Ctx, session_cluster_name: Name) -> JSONResponse:
    service = cluster_service(ctx)
    return ok(ctx, _wire(service, service.get_session_cluster(ctx.scope, session_cluster_name)))


@router.patch(_PATH + "/{session_cluster_name}", name="UpdateSessionCluster")
def update_session_cluster(
    ctx: Ctx, session_cluster_name: Name, body: SessionClusterWire
) -> JSONResponse:
    service = cluster_service(ctx)
    current = service.get_session_cluster(ctx.scope, session_cluster_name)
    cluster = service.update_session_cluster(
        ctx.scope, ctx.actor, session_cluster_name, session_patch(body, current)
    )
    return ok(ctx, _wire(service, cluster))


@router.post(_PATH + "/{session_cluster_name}:start", name="StartSessionCluster")
def start_session_cluster(ctx: Ctx, session_cluster_name: Name) -> JSONResponse:
    cluster_service(ctx).start_session_cluster(ctx.scope, ctx.actor, session_cluster_name)
    return ok(ctx)


@router.post(_PATH + "/{session_cluster_name}:stop", name="StopSessionCluster")
def stop_session_cluster(ctx: Ctx, session_cluster_name: Name) -> JSONResponse:
    cluster_service(ctx).stop_session_cluster(ctx.scope, ctx.actor, session_cluster_name)
    return ok(ctx)


@router.delete(_PATH + "/{session_cluster_name}", name="DeleteSessionCluster")
def delete_session_cluster(ctx: Ctx, session_cluster_name: Name) -> JSONResponse:
    service = cluster_service(ctx)
    cluster = service.delete_session_cluster(ctx.scope, ctx.actor, session_cluster_name)
    return ok(ctx, dump(cluster_to_wire(cluster, [])))
