"""Native routes for session clusters and deployment targets (ververica 2022-07-18).

Paths, bodies and data shapes are the official SDK's (``SessionCluster``,
``SessionClusterStatus``, ``DeploymentTarget``, ``ResourceQuota``; the ops table in
``spec/ops/ververica-2022-07-18.tsv``). The SDK sends ``%3A`` for ``:``; the ASGI server
decodes it, so routes declare ``/sessionclusters/{name}:start``.

Extension: the SDK's deployment-target body is a ``ResourceSpec`` (the quota's cpu and
memory). Millstream targets are external Flink session clusters, so the body also takes
``flinkRestUrl`` (e.g. a ``ResourceSpec`` subclass whose ``to_map`` adds it); the answer
echoes it beside ``name``, ``namespace`` and ``quota``.

Mounted through ``api.app.build_app(routers=[...])`` before the native catch-all.
"""

# No ``from __future__ import annotations``: FastAPI must see the handlers' annotations.

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from millstream.api.native import mappers, schemas
from millstream.api.native.errors import NativeRoute, ok_response
from millstream.control.context import Actor, Scope
from millstream.control.services.clusters import ClusterService, SessionClusterPatch, TargetPatch
from millstream.domain.clusters import Cluster, ClusterStatus
from millstream.domain.errors import InvalidInput
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec

__all__ = [
    "DeploymentTargetBody",
    "DeploymentTargetWire",
    "SessionClusterWire",
    "build_clusters_router",
    "cluster_to_wire",
    "target_to_wire",
]

Authenticate = Callable[[Request], Actor | Awaitable[Actor]]

_PREFIX = "/api/v2/namespaces/{namespace}"
Name = Annotated[str, Path(min_length=1, max_length=128)]


# --------------------------------------------------------------------------- wire models


class SessionClusterFailureInfo(schemas.WireModel):
    """SDK ``SessionClusterFailureInfo``."""

    failed_at: int | None = None
    message: str | None = None
    reason: str | None = None


class SessionClusterRunningInfo(schemas.WireModel):
    """SDK ``SessionClusterRunningInfo``."""

    started_at: int | None = None
    last_update_time: int | None = None
    reference_deployment_ids: list[str] | None = None


class SessionClusterStatus(schemas.WireModel):
    """SDK ``SessionClusterStatus``."""

    current_session_cluster_status: str | None = None
    failure: SessionClusterFailureInfo | None = None
    running: SessionClusterRunningInfo | None = None


class SessionClusterWire(schemas.WireModel):
    """SDK ``SessionCluster`` (request body of Create/Update, data of the answers)."""

    session_cluster_id: str | None = None
    name: str | None = None
    namespace: str | None = None
    workspace: str | None = None
    engine_version: str | None = None
    deployment_target_name: str | None = None
    basic_resource_setting: schemas.BasicResourceSetting | None = None
    flink_conf: dict[str, Any] | None = None
    labels: dict[str, Any] | None = None
    logging: schemas.Logging | None = None
    status: SessionClusterStatus | None = None
    creator: str | None = None
    creator_name: str | None = None
    modifier: str | None = None
    modifier_name: str | None = None
    created_at: int | None = None
    modified_at: int | None = None


class ResourceSpecWire(schemas.WireModel):
    """SDK ``ResourceSpec``."""

    cpu: float | None = None
    memory: str | None = None


class ResourceQuotaWire(schemas.WireModel):
    """SDK ``ResourceQuota``: Millstream reports the declared ``limit``."""

    limit: ResourceSpecWire | None = None
    request: ResourceSpecWire | None = None
    used: ResourceSpecWire | None = None


class DeploymentTargetBody(ResourceSpecWire):
    """Create/UpdateDeploymentTarget body: SDK ``ResourceSpec`` + Millstream's
    ``flinkRestUrl`` (the external Flink session cluster's REST address)."""

    flink_rest_url: str | None = Field(default=None, max_length=2048)


class DeploymentTargetWire(schemas.WireModel):
    """SDK ``DeploymentTarget`` (+ ``flinkRestUrl``)."""

    name: str | None = None
    namespace: str | None = None
    quota: ResourceQuotaWire | None = None
    flink_rest_url: str | None = None


# --------------------------------------------------------------------------- mapping


def _seconds(cluster_time: Any) -> int | None:
    return None if cluster_time is None else int(cluster_time.timestamp())


def _resources_from_wire(
    wire: schemas.BasicResourceSetting, base: ResourceSetting
) -> ResourceSetting:
    def spec(part: schemas.BasicResourceSettingSpec | None, default: ResourceSpec) -> ResourceSpec:
        if part is None:
            return default
        return ResourceSpec(
            cpu=default.cpu if part.cpu is None else part.cpu,
            memory=default.memory if part.memory is None else part.memory,
        )

    return ResourceSetting(
        mode=ResourceMode.BASIC,
        parallelism=base.parallelism if wire.parallelism is None else wire.parallelism,
        jobmanager=spec(wire.jobmanager_resource_setting_spec, base.jobmanager),
        taskmanager=spec(wire.taskmanager_resource_setting_spec, base.taskmanager),
    )


def session_patch(wire: SessionClusterWire, base: Cluster | None = None) -> SessionClusterPatch:
    resources = None
    if wire.basic_resource_setting is not None:
        resources = _resources_from_wire(
            wire.basic_resource_setting, base.resources if base else ResourceSetting()
        )
    return SessionClusterPatch(
        name=wire.name,
        resources=resources,
        flink_conf=wire.flink_conf,
        engine_version=wire.engine_version,
        labels=None if wire.labels is None else {str(k): str(v) for k, v in wire.labels.items()},
        logging=None
        if wire.logging is None
        else mappers.logging_from_wire(wire.logging, base.logging if base else None),
        deployment_target_name=wire.deployment_target_name,
    )


def cluster_to_wire(cluster: Cluster, references: list[str]) -> SessionClusterWire:
    status = cluster.status or ClusterStatus.STOPPED
    failure = None
    if cluster.failure is not None and status is ClusterStatus.FAILED:
        failure = SessionClusterFailureInfo(
            failed_at=_seconds(cluster.failure.failed_at),
            message=cluster.failure.message,
            reason=cluster.failure.reason,
        )
    running = None
    if status is ClusterStatus.RUNNING:
        running = SessionClusterRunningInfo(
            started_at=_seconds(cluster.started_at),
            last_update_time=_seconds(cluster.modified_at),
            reference_deployment_ids=references,
        )
    resources = cluster.resources
    return SessionClusterWire(
        session_cluster_id=cluster.id,
        name=cluster.name,
        namespace=cluster.namespace,
        workspace=cluster.workspace,
        engine_version=cluster.engine_version,
        deployment_target_name=cluster.deployment_target_name,
        basic_resource_setting=schemas.BasicResourceSetting(
            parallelism=resources.parallelism,
            jobmanager_resource_setting_spec=schemas.BasicResourceSettingSpec(
                cpu=resources.jobmanager.cpu, memory=resources.jobmanager.memory
            ),
            taskmanager_resource_setting_spec=schemas.BasicResourceSettingSpec(
                cpu=resources.taskmanager.cpu, memory=resources.taskmanager.memory
            ),
        ),
        flink_conf=dict(cluster.flink_conf),
        labels=dict(cluster.labels),
        logging=mappers.logging_to_wire(cluster.logging),
        status=SessionClusterStatus(
            current_session_cluster_status=status.value, failure=failure, running=running
        ),
        creator=cluster.creator,
        creator_name=cluster.creator,
        modifier=cluster.modifier,
        modifier_name=cluster.modifier,
        created_at=_seconds(cluster.created_at),
        modified_at=_seconds(cluster.modified_at),
    )


def _quota_from_wire(body: DeploymentTargetBody) -> ResourceSpec | None:
    if body.cpu is None and body.memory is None:
        return None
    if body.cpu is None or body.memory is None:
        raise InvalidInput("a deployment target quota needs both cpu and memory")
    return ResourceSpec(cpu=body.cpu, memory=body.memory)


def target_to_wire(cluster: Cluster) -> DeploymentTargetWire:
    quota = None
    if cluster.quota is not None:
        quota = ResourceQuotaWire(
            limit=ResourceSpecWire(cpu=cluster.quota.cpu, memory=cluster.quota.memory)
        )
    return DeploymentTargetWire(
        name=cluster.name,
        namespace=cluster.namespace,
        quota=quota,
        flink_rest_url=cluster.rest_url,
    )


# --------------------------------------------------------------------------- routes


@dataclass(frozen=True, slots=True)
class _Call:
    request_id: str
    scope: Scope
    actor: Actor

    def ok(self, data: Any = None, **extra: Any) -> JSONResponse:
        return ok_response(self.request_id, data, **extra)


def _dump(model: schemas.WireModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def build_clusters_router(cluster_service: ClusterService, authenticate: Authenticate) -> APIRouter:
    """Session cluster and deployment target operations; ``authenticate`` is the
    role-checking dependency (``api.app``'s guard)."""
    router = APIRouter(route_class=NativeRoute)
    service = cluster_service

    def call(
        request: Request,
        namespace: Annotated[str, Path(min_length=1, max_length=128)],
        actor: Annotated[Actor, Depends(authenticate)],
        workspace: Annotated[str | None, Header()] = None,
    ) -> _Call:
        return _Call(
            request_id=request.state.request_id,
            scope=Scope(workspace=workspace or service.default_workspace, namespace=namespace),
            actor=actor,
        )

    Ctx = Annotated[_Call, Depends(call)]

    def wire(cluster: Cluster) -> dict[str, Any]:
        return _dump(cluster_to_wire(cluster, service.reference_deployment_ids(cluster)))

    # ------------------------------------------------------------------ session clusters

    @router.post(_PREFIX + "/sessionclusters")
    def create_session_cluster(ctx: Ctx, body: SessionClusterWire) -> JSONResponse:
        if not body.name:
            raise InvalidInput("name is required")
        cluster = service.create_session_cluster(ctx.scope, ctx.actor, session_patch(body))
        return ctx.ok(wire(cluster))

    @router.get(_PREFIX + "/sessionclusters")
    def list_session_clusters(ctx: Ctx) -> JSONResponse:
        return ctx.ok([wire(c) for c in service.list_session_clusters(ctx.scope)])

    @router.get(_PREFIX + "/sessionclusters/{session_cluster_name}")
    def get_session_cluster(ctx: Ctx, session_cluster_name: Name) -> JSONResponse:
        return ctx.ok(wire(service.get_session_cluster(ctx.scope, session_cluster_name)))

    @router.patch(_PREFIX + "/sessionclusters/{session_cluster_name}")
    def update_session_cluster(
        ctx: Ctx, session_cluster_name: Name, body: SessionClusterWire
    ) -> JSONResponse:
        current = service.get_session_cluster(ctx.scope, session_cluster_name)
        cluster = service.update_session_cluster(
            ctx.scope, ctx.actor, session_cluster_name, session_patch(body, current)
        )
        return ctx.ok(wire(cluster))

    @router.post(_PREFIX + "/sessionclusters/{session_cluster_name}:start")
    def start_session_cluster(ctx: Ctx, session_cluster_name: Name) -> JSONResponse:
        service.start_session_cluster(ctx.scope, ctx.actor, session_cluster_name)
        return ctx.ok()

    @router.post(_PREFIX + "/sessionclusters/{session_cluster_name}:stop")
    def stop_session_cluster(ctx: Ctx, session_cluster_name: Name) -> JSONResponse:
        service.stop_session_cluster(ctx.scope, ctx.actor, session_cluster_name)
        return ctx.ok()

    @router.delete(_PREFIX + "/sessionclusters/{session_cluster_name}")
    def delete_session_cluster(ctx: Ctx, session_cluster_name: Name) -> JSONResponse:
        cluster = service.delete_session_cluster(ctx.scope, ctx.actor, session_cluster_name)
        return ctx.ok(_dump(cluster_to_wire(cluster, [])))

    # ------------------------------------------------------------------ deployment targets

    @router.post(_PREFIX + "/deployment-targets")
    def create_deployment_target(
        ctx: Ctx,
        deployment_target_name: Annotated[str, Query(alias="deploymentTargetName", min_length=1)],
        body: DeploymentTargetBody | None = None,
    ) -> JSONResponse:
        body = body or DeploymentTargetBody()
        cluster = service.create_target(
            ctx.scope,
            ctx.actor,
            deployment_target_name,
            TargetPatch(flink_rest_url=body.flink_rest_url, quota=_quota_from_wire(body)),
        )
        return ctx.ok(_dump(target_to_wire(cluster)))

    @router.get(_PREFIX + "/deployment-targets")
    def list_deployment_targets(
        ctx: Ctx,
        page_index: Annotated[int, Query(alias="pageIndex", ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 10,
    ) -> JSONResponse:
        found = service.list_targets(ctx.scope)
        chunk = found[(page_index - 1) * page_size : page_index * page_size]
        return ctx.ok(
            [_dump(target_to_wire(c)) for c in chunk],
            pageIndex=page_index,
            pageSize=page_size,
            totalSize=len(found),
        )

    @router.put(_PREFIX + "/deployment-targets/{deployment_target_name}")
    def update_deployment_target(
        ctx: Ctx, deployment_target_name: Name, body: DeploymentTargetBody | None = None
    ) -> JSONResponse:
        body = body or DeploymentTargetBody()
        cluster = service.update_target(
            ctx.scope,
            ctx.actor,
            deployment_target_name,
            TargetPatch(flink_rest_url=body.flink_rest_url, quota=_quota_from_wire(body)),
        )
        return ctx.ok(_dump(target_to_wire(cluster)))

    @router.delete(_PREFIX + "/deployment-targets/{deployment_target_name}")
    def delete_deployment_target(ctx: Ctx, deployment_target_name: Name) -> JSONResponse:
        cluster = service.delete_target(ctx.scope, ctx.actor, deployment_target_name)
        return ctx.ok(_dump(target_to_wire(cluster)))

    return router
