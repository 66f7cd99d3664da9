"""Wire models and mapping of native session clusters and deployment targets (ververica
2022-07-18), used by ``session_clusters`` and ``deployment_targets`` (the routes).

Bodies and data shapes are the official SDK's (``SessionCluster``,
``SessionClusterStatus``, ``DeploymentTarget``, ``ResourceQuota``; the ops table in
``spec/ops/ververica-2022-07-18.tsv``). The SDK sends ``%3A`` for ``:``; the ASGI server
decodes it, so routes declare ``/sessionclusters/{name}:start``.

Extension: the SDK's deployment-target body is a ``ResourceSpec`` (the quota's cpu and
memory). Millstream targets are external Flink session clusters, so the body also takes
``flinkRestUrl`` (e.g. a ``ResourceSpec`` subclass whose ``to_map`` adds it); the answer
echoes it beside ``name``, ``namespace`` and ``quota``.
"""

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from millstream.api.dialect import Guard
from millstream.api.json_shape import JsonObject, StringList
from millstream.api.native import mappers, schemas, states
from millstream.control.services.clusters import ClusterService, SessionClusterPatch
from millstream.domain.clusters import Cluster, ClusterStatus
from millstream.domain.errors import InvalidInput
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec

__all__ = [
    "DeploymentTargetBody",
    "DeploymentTargetWire",
    "SessionClusterWire",
    "build_clusters_router",
    "cluster_to_wire",
    "quota_from_wire",
    "session_patch",
    "target_to_wire",
]


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
    reference_deployment_ids: StringList | None = None


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
    flink_conf: JsonObject | None = None
    labels: JsonObject | None = None
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
            current_session_cluster_status=states.CLUSTER_STATUSES[status],
            failure=failure,
            running=running,
        ),
        creator=cluster.creator,
        creator_name=cluster.creator,
        modifier=cluster.modifier,
        modifier_name=cluster.modifier,
        created_at=_seconds(cluster.created_at),
        modified_at=_seconds(cluster.modified_at),
    )


def quota_from_wire(body: DeploymentTargetBody) -> ResourceSpec | None:
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


# --------------------------------------------------------------------------- standalone


def build_clusters_router(cluster_service: ClusterService, authenticate: Guard) -> APIRouter:
    """The session cluster and deployment target routes alone, over one service (tests
    and tools; the server serves them as part of the native dialect)."""
    from millstream.api.native import deployment_targets, session_clusters
    from millstream.api.native.standalone import standalone_router

    return standalone_router(
        [session_clusters.router, deployment_targets.router],
        authenticate,
        cluster_service.default_workspace,
        clusters=cluster_service,
    )
