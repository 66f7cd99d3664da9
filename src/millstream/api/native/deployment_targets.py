"""Native deployment target operations: Create/List/Update/DeleteDeploymentTarget. A
Millstream target is an external Flink session cluster: the body adds ``flinkRestUrl`` to
the SDK's ``ResourceSpec`` (see ``clusters``)."""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from typing import Annotated

from fastapi import Path, Query
from fastapi.responses import JSONResponse

from millstream.api.native.clusters import DeploymentTargetBody, quota_from_wire, target_to_wire
from millstream.api.native.params import NAMESPACE, PageIndex, PageSize
from millstream.api.native.routing import Ctx, dump, native_router, ok
from millstream.api.native.session_clusters import cluster_service
from millstream.control.services.clusters import TargetPatch
from millstream.domain.errors import ErrorCode, InvalidInput

__all__ = ["router"]

router = native_router()

_PATH = NAMESPACE + "/deployment-targets"
Name = Annotated[str, Path(min_length=1, max_length=128)]


def _patch(body: DeploymentTargetBody | None) -> TargetPatch:
    body = body or DeploymentTargetBody()
    return TargetPatch(flink_rest_url=body.flink_rest_url, quota=quota_from_wire(body))


@router.post(_PATH, name="CreateDeploymentTarget")
def create_deployment_target(
    ctx: Ctx,
    deployment_target_name: Annotated[str, Query(alias="deploymentTargetName", min_length=1)],
    body: DeploymentTargetBody | None = None,
) -> JSONResponse:
    service = cluster_service(ctx)
    if body is None or not body.flink_rest_url:
        # Named by its wire field: the SDK's ResourceSpec has no such field, users add it.
        raise InvalidInput(
            "flinkRestUrl is required: a Millstream deployment target is a Flink session "
            "cluster reached by its REST URL (send it beside cpu/memory in the body)",
            code=ErrorCode.CLUSTER_URL_REQUIRED,
        )
    cluster = service.create_target(ctx.scope, ctx.actor, deployment_target_name, _patch(body))
    return ok(ctx, dump(target_to_wire(cluster)))


@router.get(_PATH, name="ListDeploymentTargets")
def list_deployment_targets(
    ctx: Ctx, page_index: PageIndex = 1, page_size: PageSize = 10
) -> JSONResponse:
    found = cluster_service(ctx).list_targets(ctx.scope)
    chunk = found[(page_index - 1) * page_size : page_index * page_size]
    return ok(
        ctx,
        [dump(target_to_wire(c)) for c in chunk],
        pageIndex=page_index,
        pageSize=page_size,
        totalSize=len(found),
    )


@router.put(_PATH + "/{deployment_target_name}", name="UpdateDeploymentTarget")
def update_deployment_target(
    ctx: Ctx, deployment_target_name: Name, body: DeploymentTargetBody | None = None
) -> JSONResponse:
    service = cluster_service(ctx)
    cluster = service.update_target(ctx.scope, ctx.actor, deployment_target_name, _patch(body))
    return ok(ctx, dump(target_to_wire(cluster)))


@router.delete(_PATH + "/{deployment_target_name}", name="DeleteDeploymentTarget")
def delete_deployment_target(ctx: Ctx, deployment_target_name: Name) -> JSONResponse:
    cluster = cluster_service(ctx).delete_target(ctx.scope, ctx.actor, deployment_target_name)
    return ok(ctx, dump(target_to_wire(cluster)))
