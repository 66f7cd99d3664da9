"""Conversions between table rows and domain objects, used by ``repositories.py``.

``*_columns`` turn a domain object into the column values of its row; ``*_from_row`` build
the domain object back. JSON documents are read with defaults for missing keys, so rows
written before a field existed still load.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.clusters import (
    Cluster,
    ClusterDesiredState,
    ClusterFailure,
    ClusterKind,
    ClusterStatus,
)
from millstream.domain.deployments import Deployment, Logging
from millstream.domain.events import Event, EventName
from millstream.domain.jobs import (
    DesiredState,
    Failure,
    Job,
    JobStatus,
    RestoreKind,
    RestoreStrategy,
    StopStrategy,
)
from millstream.domain.namespaces import Namespace
from millstream.domain.observed import ObservedState, ObservedStatus
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec
from millstream.domain.restarts import RestartPolicy
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState
from millstream.store.models import (
    ClusterRow,
    DeploymentRow,
    EventRow,
    JobRow,
    NamespaceRow,
    SavepointRow,
)

__all__ = [
    "artifact_from_json",
    "artifact_to_json",
    "cluster_columns",
    "cluster_from_row",
    "deployment_columns",
    "deployment_from_row",
    "event_columns",
    "event_from_row",
    "failure_from_json",
    "failure_to_json",
    "job_columns",
    "job_from_row",
    "logging_from_json",
    "logging_to_json",
    "namespace_columns",
    "namespace_from_row",
    "resources_from_json",
    "resources_to_json",
    "restart_history_from_json",
    "restart_history_to_json",
    "restart_policy_from_json",
    "restart_policy_to_json",
    "restore_from_json",
    "restore_to_json",
    "savepoint_columns",
    "savepoint_from_row",
]

Columns = dict[str, Any]


# --------------------------------------------------------------------------- value objects


def artifact_to_json(artifact: Artifact) -> dict[str, Any]:
    return {
        "kind": artifact.kind.value,
        "sql_script": artifact.sql_script,
        "jar_uri": artifact.jar_uri,
        "entry_class": artifact.entry_class,
        "python_artifact_uri": artifact.python_artifact_uri,
        "entry_module": artifact.entry_module,
        "main_args": artifact.main_args,
        "additional_dependencies": list(artifact.additional_dependencies),
        "additional_python_libraries": list(artifact.additional_python_libraries),
        "additional_python_archives": list(artifact.additional_python_archives),
        "extra": dict(artifact.extra),
    }


def artifact_from_json(data: dict[str, Any]) -> Artifact:
    return Artifact(
        kind=ArtifactKind(data["kind"]),
        sql_script=data.get("sql_script"),
        jar_uri=data.get("jar_uri"),
        entry_class=data.get("entry_class"),
        python_artifact_uri=data.get("python_artifact_uri"),
        entry_module=data.get("entry_module"),
        main_args=data.get("main_args"),
        additional_dependencies=tuple(data.get("additional_dependencies", ())),
        additional_python_libraries=tuple(data.get("additional_python_libraries", ())),
        additional_python_archives=tuple(data.get("additional_python_archives", ())),
        extra=dict(data.get("extra", {})),
    )


def _spec_to_json(spec: ResourceSpec) -> dict[str, Any]:
    return {"cpu": spec.cpu, "memory": spec.memory}


def _spec_from_json(data: dict[str, Any] | None, default: ResourceSpec) -> ResourceSpec:
    if data is None:
        return default
    return ResourceSpec(cpu=float(data["cpu"]), memory=str(data["memory"]))


def resources_to_json(resources: ResourceSetting) -> dict[str, Any]:
    return {
        "mode": resources.mode.value,
        "parallelism": resources.parallelism,
        "jobmanager": _spec_to_json(resources.jobmanager),
        "taskmanager": _spec_to_json(resources.taskmanager),
        "resource_plan": resources.resource_plan,
        "max_slot": resources.max_slot,
    }


def resources_from_json(data: dict[str, Any]) -> ResourceSetting:
    default = ResourceSetting()
    return ResourceSetting(
        mode=ResourceMode(data.get("mode", default.mode.value)),
        parallelism=int(data.get("parallelism", default.parallelism)),
        jobmanager=_spec_from_json(data.get("jobmanager"), default.jobmanager),
        taskmanager=_spec_from_json(data.get("taskmanager"), default.taskmanager),
        resource_plan=data.get("resource_plan"),
        max_slot=data.get("max_slot"),
    )


def logging_to_json(logging: Logging) -> dict[str, Any]:
    return {
        "logging_profile": logging.logging_profile,
        "log4j2_configuration_template": logging.log4j2_configuration_template,
        "log4j_loggers": [[name, level] for name, level in logging.log4j_loggers],
        "log_reserve_open_history": logging.log_reserve_open_history,
        "log_reserve_expiration_days": logging.log_reserve_expiration_days,
    }


def logging_from_json(data: dict[str, Any]) -> Logging:
    return Logging(
        logging_profile=data.get("logging_profile"),
        log4j2_configuration_template=data.get("log4j2_configuration_template"),
        log4j_loggers=tuple((str(n), str(lv)) for n, lv in data.get("log4j_loggers", ())),
        log_reserve_open_history=data.get("log_reserve_open_history"),
        log_reserve_expiration_days=data.get("log_reserve_expiration_days"),
    )


def restore_to_json(restore: RestoreStrategy) -> dict[str, Any]:
    return {
        "kind": restore.kind.value,
        "savepoint_id": restore.savepoint_id,
        "allow_non_restored_state": restore.allow_non_restored_state,
        "job_start_time_ms": restore.job_start_time_ms,
    }


def restore_from_json(data: dict[str, Any]) -> RestoreStrategy:
    return RestoreStrategy(
        kind=RestoreKind(data.get("kind", RestoreKind.NONE.value)),
        savepoint_id=data.get("savepoint_id"),
        allow_non_restored_state=bool(data.get("allow_non_restored_state", False)),
        job_start_time_ms=data.get("job_start_time_ms"),
    )


def failure_to_json(failure: Failure | None) -> dict[str, Any] | None:
    if failure is None:
        return None
    return {
        "message": failure.message,
        "reason": failure.reason,
        "failed_at": failure.failed_at.isoformat(),
    }


def failure_from_json(data: dict[str, Any] | None) -> Failure | None:
    if data is None:
        return None
    return Failure(
        message=data["message"],
        reason=data["reason"],
        failed_at=datetime.fromisoformat(data["failed_at"]),
    )


def restart_policy_to_json(policy: RestartPolicy) -> dict[str, Any]:
    return {"enabled": policy.enabled, "max_restarts_per_hour": policy.max_restarts_per_hour}


def restart_policy_from_json(data: dict[str, Any] | None) -> RestartPolicy:
    """NULL (rows written before migration 0008): the default, off."""
    if not data:
        return RestartPolicy()
    default = RestartPolicy()
    return RestartPolicy(
        enabled=bool(data.get("enabled", default.enabled)),
        max_restarts_per_hour=int(data.get("max_restarts_per_hour", default.max_restarts_per_hour)),
    )


def restart_history_to_json(history: tuple[datetime, ...]) -> dict[str, Any] | None:
    if not history:
        return None
    return {"restarted_at": [moment.isoformat() for moment in history]}


def restart_history_from_json(data: dict[str, Any] | None) -> tuple[datetime, ...]:
    if not data:
        return ()
    return tuple(datetime.fromisoformat(moment) for moment in data.get("restarted_at", ()))


# Before migration 0008 the reconciler kept these in the free ``extra`` document; the
# migration moves them out, and a row that still has them there loads the same.
_LEGACY_CHECKPOINT_KEYS = ("latest_checkpoint", "retained_checkpoint")


def _observed_from_row(row: JobRow | Row[Any]) -> ObservedStatus:
    extra = row.extra or {}
    latest = row.latest_checkpoint or extra.get("latest_checkpoint")
    retained = row.retained_checkpoint or extra.get("retained_checkpoint")
    return ObservedStatus(
        state=ObservedState.parse(row.observed_flink_status),
        restarts=row.observed_restarts,
        modified_ms=row.observed_modified_ms,
        latest_checkpoint=latest if isinstance(latest, str) else None,
        retained_checkpoint=retained if isinstance(retained, str) else None,
    )


# --------------------------------------------------------------------------- entities


def namespace_columns(namespace: Namespace) -> Columns:
    return {
        "id": namespace.id,
        "workspace": namespace.workspace,
        "name": namespace.name,
        "created_at": namespace.created_at,
    }


def namespace_from_row(row: NamespaceRow | Row[Any]) -> Namespace:
    return Namespace(id=row.id, workspace=row.workspace, name=row.name, created_at=row.created_at)


def deployment_columns(deployment: Deployment) -> Columns:
    return {
        "id": deployment.id,
        "workspace": deployment.workspace,
        "namespace": deployment.namespace,
        "name": deployment.name,
        "execution_mode": deployment.execution_mode.value,
        "engine_version": deployment.engine_version,
        "description": deployment.description,
        "cluster": deployment.cluster,
        "artifact": artifact_to_json(deployment.artifact),
        "labels": dict(deployment.labels),
        "flink_conf": dict(deployment.flink_conf),
        "streaming_resource": resources_to_json(deployment.streaming_resource),
        "batch_resource": resources_to_json(deployment.batch_resource),
        "logging": logging_to_json(deployment.logging),
        "local_variables": dict(deployment.local_variables),
        "restart_policy": restart_policy_to_json(deployment.restart_policy),
        "queue": deployment.queue,
        "priority": deployment.priority,
        "schedule_timeout_seconds": deployment.schedule_timeout_seconds,
        "creator": deployment.creator,
        "modifier": deployment.modifier,
        "created_at": deployment.created_at,
        "modified_at": deployment.modified_at,
        "version": deployment.version,
    }


def deployment_from_row(row: DeploymentRow | Row[Any]) -> Deployment:
    return Deployment(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        name=row.name,
        artifact=artifact_from_json(row.artifact),
        execution_mode=ExecutionMode(row.execution_mode),
        engine_version=row.engine_version,
        description=row.description,
        labels=dict(row.labels),
        flink_conf=dict(row.flink_conf),
        streaming_resource=resources_from_json(row.streaming_resource),
        batch_resource=resources_from_json(row.batch_resource),
        logging=logging_from_json(row.logging),
        local_variables=dict(row.local_variables),
        cluster=row.cluster,
        restart_policy=restart_policy_from_json(row.restart_policy),
        queue=row.queue,
        priority=row.priority or 0,
        schedule_timeout_seconds=row.schedule_timeout_seconds,
        creator=row.creator,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
        version=row.version,
    )


def job_columns(job: Job) -> Columns:
    return {
        "id": job.id,
        "workspace": job.workspace,
        "namespace": job.namespace,
        "deployment_id": job.deployment_id,
        "deployment_name": job.deployment_name,
        "execution_mode": job.execution_mode.value,
        "engine_version": job.engine_version,
        "runtime": job.runtime,
        "cluster": job.cluster,
        "desired": job.desired.value,
        "stop_strategy": job.stop_strategy.value if job.stop_strategy is not None else None,
        "status": job.status.value,
        "attempt": job.attempt,
        "flink_job_id": job.flink_job_id,
        "restored_from": job.restored_from,
        "observed_flink_status": None if job.observed.state is None else job.observed.state.value,
        "observed_restarts": job.observed.restarts,
        "observed_modified_ms": job.observed.modified_ms,
        "latest_checkpoint": job.observed.latest_checkpoint,
        "retained_checkpoint": job.observed.retained_checkpoint,
        "restart_policy": restart_policy_to_json(job.restart_policy),
        "restart_history": restart_history_to_json(job.restart_history),
        "stop_savepoint_id": job.stop_savepoint_id,
        "artifact": artifact_to_json(job.artifact),
        "resources": resources_to_json(job.resources),
        "flink_conf": dict(job.flink_conf),
        "user_flink_conf": dict(job.user_flink_conf),
        "logging": logging_to_json(job.logging),
        "local_variables": dict(job.local_variables),
        "restore": restore_to_json(job.restore),
        "failure": failure_to_json(job.failure),
        "extra": {k: v for k, v in job.extra.items() if k not in _LEGACY_CHECKPOINT_KEYS},
        "queue": job.queue,
        "priority": job.priority,
        "schedule_timeout_seconds": job.schedule_timeout_seconds,
        "cost_cu": job.cost_cu,
        "enqueued_at": job.enqueued_at,
        "admitted_at": job.admitted_at,
        "status_reason": job.status_reason,
        "start_time": job.start_time,
        "end_time": job.end_time,
        "creator": job.creator,
        "modifier": job.modifier,
        "created_at": job.created_at,
        "modified_at": job.modified_at,
        "version": job.version,
    }


def job_from_row(row: JobRow | Row[Any]) -> Job:
    return Job(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        deployment_id=row.deployment_id,
        deployment_name=row.deployment_name,
        artifact=artifact_from_json(row.artifact),
        execution_mode=ExecutionMode(row.execution_mode),
        engine_version=row.engine_version,
        runtime=row.runtime,
        resources=resources_from_json(row.resources),
        flink_conf=dict(row.flink_conf),
        user_flink_conf=dict(row.user_flink_conf),
        logging=logging_from_json(row.logging),
        local_variables=dict(row.local_variables),
        restore=restore_from_json(row.restore),
        cluster=row.cluster,
        desired=DesiredState(row.desired),
        stop_strategy=StopStrategy(row.stop_strategy) if row.stop_strategy else None,
        status=JobStatus(row.status),
        attempt=row.attempt,
        flink_job_id=row.flink_job_id,
        restored_from=row.restored_from,
        observed=_observed_from_row(row),
        restart_policy=restart_policy_from_json(row.restart_policy),
        restart_history=restart_history_from_json(row.restart_history),
        failure=failure_from_json(row.failure),
        stop_savepoint_id=row.stop_savepoint_id,
        start_time=row.start_time,
        end_time=row.end_time,
        creator=row.creator,
        modifier=row.modifier,
        created_at=row.created_at,
        modified_at=row.modified_at,
        version=row.version,
        extra={k: v for k, v in row.extra.items() if k not in _LEGACY_CHECKPOINT_KEYS},
        queue=row.queue,
        priority=row.priority or 0,
        schedule_timeout_seconds=row.schedule_timeout_seconds,
        cost_cu=row.cost_cu,
        enqueued_at=row.enqueued_at,
        admitted_at=row.admitted_at,
        status_reason=row.status_reason,
    )


def savepoint_columns(savepoint: Savepoint) -> Columns:
    return {
        "id": savepoint.id,
        "workspace": savepoint.workspace,
        "namespace": savepoint.namespace,
        "deployment_id": savepoint.deployment_id,
        "job_id": savepoint.job_id,
        "origin": savepoint.origin.value,
        "state": savepoint.state.value,
        "location": savepoint.location,
        "trigger_id": savepoint.trigger_id,
        "failure": savepoint.failure,
        "description": savepoint.description,
        "native_format": savepoint.native_format,
        "stop_with_drain": savepoint.stop_with_drain,
        "created_at": savepoint.created_at,
        "modified_at": savepoint.modified_at,
    }


def savepoint_from_row(row: SavepointRow) -> Savepoint:
    return Savepoint(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        deployment_id=row.deployment_id,
        job_id=row.job_id,
        origin=SavepointOrigin(row.origin),
        state=SavepointState(row.state),
        location=row.location,
        trigger_id=row.trigger_id,
        failure=row.failure,
        description=row.description,
        native_format=row.native_format,
        stop_with_drain=row.stop_with_drain,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


def event_columns(event: Event) -> Columns:
    return {
        "id": event.id,
        "workspace": event.workspace,
        "namespace": event.namespace,
        "deployment_id": event.deployment_id,
        "job_id": event.job_id,
        "name": event.name.value,
        "message": event.message,
        "created_at": event.created_at,
    }


def event_from_row(row: EventRow) -> Event:
    return Event(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        name=EventName(row.name),
        message=row.message,
        created_at=row.created_at,
        deployment_id=row.deployment_id,
        job_id=row.job_id,
    )


def cluster_columns(cluster: Cluster) -> Columns:
    spec: dict[str, Any] = {
        "resources": resources_to_json(cluster.resources),
        "engine_version": cluster.engine_version,
        "labels": dict(cluster.labels),
        "logging": logging_to_json(cluster.logging),
        "deployment_target_name": cluster.deployment_target_name,
        "quota": None if cluster.quota is None else _spec_to_json(cluster.quota),
        "job_id": cluster.job_id,
        "creator": cluster.creator,
        "modifier": cluster.modifier,
    }
    state: dict[str, Any] = {
        "failure": None
        if cluster.failure is None
        else {
            "message": cluster.failure.message,
            "reason": cluster.failure.reason,
            "failed_at": cluster.failure.failed_at.isoformat(),
        },
        "started_at": None if cluster.started_at is None else cluster.started_at.isoformat(),
        "generation": cluster.generation,
    }
    return {
        "id": cluster.id,
        "workspace": cluster.workspace,
        "namespace": cluster.namespace,
        "name": cluster.name,
        "kind": cluster.kind.value,
        "rest_url": cluster.rest_url,
        "flink_conf": dict(cluster.flink_conf),
        "created_at": cluster.created_at,
        "modified_at": cluster.modified_at,
        "desired": None if cluster.desired is None else cluster.desired.value,
        "status": None if cluster.status is None else cluster.status.value,
        "spec": spec,
        "state": state,
        "version": cluster.version,
    }


def cluster_from_row(row: ClusterRow | Row[Any]) -> Cluster:
    spec = dict(row.spec or {})
    state = dict(row.state or {})
    failure = state.get("failure")
    quota = spec.get("quota")
    started = state.get("started_at")
    return Cluster(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        name=row.name,
        kind=ClusterKind(row.kind),
        rest_url=row.rest_url,
        flink_conf=dict(row.flink_conf),
        created_at=row.created_at,
        modified_at=row.modified_at,
        desired=None if row.desired is None else ClusterDesiredState(row.desired),
        status=None if row.status is None else ClusterStatus(row.status),
        resources=resources_from_json(spec.get("resources") or {}),
        engine_version=spec.get("engine_version"),
        labels={str(k): str(v) for k, v in (spec.get("labels") or {}).items()},
        logging=logging_from_json(spec.get("logging") or {}),
        deployment_target_name=spec.get("deployment_target_name"),
        quota=None if quota is None else _spec_from_json(quota, ResourceSpec()),
        failure=None
        if failure is None
        else ClusterFailure(
            message=failure["message"],
            reason=failure["reason"],
            failed_at=datetime.fromisoformat(failure["failed_at"]),
        ),
        started_at=None if started is None else datetime.fromisoformat(started),
        generation=int(state.get("generation", 0)),
        job_id=spec.get("job_id"),
        creator=spec.get("creator"),
        modifier=spec.get("modifier"),
        version=int(row.version or 1),
    )
