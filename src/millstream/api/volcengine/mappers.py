"""Volcengine wire models <-> the domain: applications are deployments, application
instances are jobs, savepoints are savepoints, resource pools are clusters (DESIGN.md §2).

``JobType`` is the execution mode and the artifact kind in one word
(``FLINK_STREAMING_SQL`` = STREAMING + SQLSCRIPT; ``_JAR``; ``_PYTHON`` for PyFlink, which
the SDK's client-side check does not list but the wire accepts). ``Jar``, ``MainClass``,
``Args``, ``SqlText`` and ``Dependency`` make the artifact; ``Conf`` the Flink
configuration; ``DeployRequest`` where and how the jobs are admitted (``ResourcePool`` =
cluster, ``Queue``, ``Priority``, ``ScheduleTimeout`` in seconds). ``EngineVersion`` keeps
the name the caller sent; the deployment service resolves it through the engine-version
aliases and refuses an unknown one. Used by the operation modules.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from millstream.api.volcengine import schemas, states
from millstream.control.services import DeploymentPatch
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.clusters import Cluster
from millstream.domain.deployments import Deployment
from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.domain.jobs import Job, RestoreKind, RestoreStrategy
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec
from millstream.domain.savepoints import Savepoint, SavepointState

__all__ = [
    "JOB_TYPES",
    "LABEL_STAGE",
    "LABEL_UNIQUE_KEY",
    "RESTORE_TYPES",
    "STAGE_DEPLOYED",
    "STAGE_DRAFT",
    "application_record",
    "application_state_of",
    "artifact_of",
    "deploy_request_of",
    "instance_detail",
    "instance_record",
    "job_type",
    "parse_job_type",
    "patch_from_app",
    "pool",
    "pool_resources",
    "restore_of",
    "savepoint_info",
    "timestamp",
]

# Labels this dialect keeps on deployments (visible, harmless, in the native API too).
LABEL_UNIQUE_KEY = "volcengine.unique-key"  # App.UniqueKey: the application's own key
LABEL_STAGE = "volcengine.stage"  # DRAFT until DeployGWSApplicationDraft
STAGE_DRAFT = "DRAFT"
STAGE_DEPLOYED = "DEPLOYED"

JOB_TYPES: dict[str, tuple[ExecutionMode, ArtifactKind]] = {
    "FLINK_STREAMING_SQL": (ExecutionMode.STREAMING, ArtifactKind.SQLSCRIPT),
    "FLINK_STREAMING_JAR": (ExecutionMode.STREAMING, ArtifactKind.JAR),
    "FLINK_STREAMING_PYTHON": (ExecutionMode.STREAMING, ArtifactKind.PYTHON),
    "FLINK_BATCH_SQL": (ExecutionMode.BATCH, ArtifactKind.SQLSCRIPT),
    "FLINK_BATCH_JAR": (ExecutionMode.BATCH, ArtifactKind.JAR),
    "FLINK_BATCH_PYTHON": (ExecutionMode.BATCH, ArtifactKind.PYTHON),
}
_KIND_WORDS = {
    ArtifactKind.SQLSCRIPT: "SQL",
    ArtifactKind.JAR: "JAR",
    ArtifactKind.PYTHON: "PYTHON",
}

RESTORE_TYPES: dict[str, RestoreKind] = {
    "FROM_NEW": RestoreKind.NONE,
    "FROM_LATEST": RestoreKind.LATEST_STATE,
    "FROM_SAVEPOINT": RestoreKind.FROM_SAVEPOINT,
}

_CU_MEMORY = "4 GiB"  # 1 CU = 1 vCPU + 4 GiB (DESIGN.md §2)


def timestamp(at: datetime | None) -> str | None:
    """Times as Volcengine writes them: UTC, second precision, ``Z``."""
    if at is None:
        return None
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- job types


def parse_job_type(text: str | None) -> tuple[ExecutionMode, ArtifactKind]:
    wanted = (text or "").strip().upper()
    found = JOB_TYPES.get(wanted)
    if found is None:
        raise InvalidInput(
            f"unknown JobType {text!r}; use one of {', '.join(JOB_TYPES)}",
            code=ErrorCode.INVALID_INPUT,
        )
    return found


def job_type(mode: ExecutionMode, artifact: Artifact) -> str:
    return f"FLINK_{mode.value}_{_KIND_WORDS[artifact.kind]}"


# --------------------------------------------------------------------------- artifacts


def artifact_of(
    kind: ArtifactKind,
    *,
    sql_text: str | None,
    jar: str | None,
    main_class: str | None,
    args: str | None,
    jars: list[str] | None = None,
    py_libraries: list[str] | None = None,
) -> Artifact:
    """The artifact of a job type; a field the kind needs and lacks is an InvalidInput."""
    if kind is ArtifactKind.SQLSCRIPT:
        if not (sql_text or "").strip():
            raise InvalidInput("SqlText is required for a SQL application")
        return Artifact(kind=kind, sql_script=sql_text, additional_dependencies=tuple(jars or ()))
    if not (jar or "").strip():
        raise InvalidInput(f"Jar is required for a {_KIND_WORDS[kind]} application")
    if kind is ArtifactKind.JAR:
        return Artifact(
            kind=kind,
            jar_uri=jar,
            entry_class=main_class or None,
            main_args=args or None,
            additional_dependencies=tuple(jars or ()),
        )
    return Artifact(
        kind=kind,
        python_artifact_uri=jar,
        entry_module=main_class or None,
        main_args=args or None,
        additional_dependencies=tuple(jars or ()),
        additional_python_libraries=tuple(py_libraries or ()),
    )


def _conf(conf: dict[str, Any] | None) -> dict[str, Any] | None:
    if conf is None:
        return None
    return {
        str(key): value if isinstance(value, str) else json.dumps(value)
        for key, value in conf.items()
    }


def _seconds(text: str | None, field: str) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"{field} must be a whole number of seconds, got {text!r}") from None
    return value if value > 0 else None


def _priority(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"DeployRequest.Priority must be an integer, got {text!r}") from None


def deploy_request_of(
    request: schemas.AppDeployRequest | schemas.DeployDraftRequest | None,
    base: DeploymentPatch | None = None,
) -> DeploymentPatch:
    """``base`` placed as a DeployRequest says: ResourcePool (cluster), Queue, Priority,
    ScheduleTimeout (seconds); absent fields keep the deployment's values."""
    patch = base or DeploymentPatch()
    if request is None:
        return patch
    policy = (request.schedule_policy or "GANG").strip().upper()
    if policy not in ("GANG", "DRF"):
        raise InvalidInput(
            f"unknown DeployRequest.SchedulePolicy {request.schedule_policy!r}; use GANG"
        )
    # Admission is all-or-nothing for every job (DESIGN.md §5): GANG is what runs, and
    # DRF (fair sharing between queues) is accepted as the same thing.
    return dataclasses.replace(
        patch,
        cluster=request.resource_pool or None,
        queue=request.queue or None,
        priority=_priority(request.priority),
        schedule_timeout_seconds=_seconds(request.schedule_timeout, "ScheduleTimeout"),
    )


def patch_from_app(app: schemas.App, *, labels: dict[str, str] | None = None) -> DeploymentPatch:
    """The deployment an ``App`` block describes (create or full update)."""
    mode, kind = parse_job_type(app.job_type)
    dependency = app.dependency or schemas.AppDependency()
    artifact = artifact_of(
        kind,
        sql_text=app.sql_text,
        jar=app.jar,
        main_class=app.main_class,
        args=app.args,
        jars=list(dependency.jars),
        py_libraries=list(dependency.py_libraries),
    )
    patch = DeploymentPatch(
        name=app.job_name or None,
        artifact=artifact,
        execution_mode=mode,
        engine_version=app.engine_version or None,
        flink_conf=_conf(app.conf),
        labels=labels,
    )
    return deploy_request_of(app.deploy_request, patch)


def restore_of(strategy: schemas.RestoreStrategy | None) -> RestoreStrategy:
    """``RestoreStrategy {Type, SavepointId}``; FROM_NEW when absent."""
    if strategy is None or not strategy.type:
        return RestoreStrategy()
    kind = RESTORE_TYPES.get(strategy.type.strip().upper())
    if kind is None:
        raise InvalidInput(
            f"unknown RestoreStrategy.Type {strategy.type!r}; use one of {', '.join(RESTORE_TYPES)}"
        )
    if kind is RestoreKind.FROM_SAVEPOINT and not strategy.savepoint_id:
        raise InvalidInput("RestoreStrategy.SavepointId is required with FROM_SAVEPOINT")
    return RestoreStrategy(kind=kind, savepoint_id=strategy.savepoint_id or None)


# --------------------------------------------------------------------------- to the wire


def _dependency(artifact: Artifact) -> schemas.DependencyOut:
    return schemas.DependencyOut(
        jars=list(artifact.additional_dependencies),
        py_libraries=list(artifact.additional_python_libraries),
    )


def _deploy_request(deployment: Deployment, cluster: str | None) -> schemas.DeployRequestOut:
    timeout = deployment.schedule_timeout_seconds
    return schemas.DeployRequestOut(
        namespace=deployment.namespace,
        priority=str(deployment.priority),
        queue=deployment.queue,
        resource_pool=cluster or deployment.cluster or "default",
        schedule_policy="GANG",
        schedule_timeout=str(timeout) if timeout is not None else None,
    )


def _entry(artifact: Artifact) -> tuple[str | None, str | None]:
    if artifact.kind is ArtifactKind.JAR:
        return artifact.jar_uri, artifact.entry_class
    if artifact.kind is ArtifactKind.PYTHON:
        return artifact.python_artifact_uri, artifact.entry_module
    return None, None


def instance_record(
    job: Job, *, instance_id: str, application_id: str, deployment: Deployment | None = None
) -> schemas.InstanceRecord:
    return schemas.InstanceRecord(**_instance_fields(job, instance_id, application_id, deployment))


def _instance_fields(
    job: Job, instance_id: str, application_id: str, deployment: Deployment | None
) -> dict[str, Any]:
    jar, main_class = _entry(job.artifact)
    return {
        "id": instance_id,
        "application_id": application_id,
        "job_id": application_id,
        "deployment_id": application_id,
        "job_name": job.deployment_name,
        "job_type": job_type(job.execution_mode, job.artifact),
        "project_id": job.namespace,
        "state": states.instance_state(job.status),
        "engine_version": job.engine_version,
        "user_id": job.creator,
        "jar": jar,
        "main_class": main_class,
        "args": job.artifact.main_args,
        "sql_text": job.artifact.sql_script,
        "conf": json.dumps(job.user_flink_conf, sort_keys=True),
        "dependency": _dependency(job.artifact),
        "deploy_request": _deploy_request(deployment, job.cluster) if deployment else None,
        "start_time": timestamp(job.start_time or job.created_at),
        "end_time": timestamp(job.end_time),
    }


def instance_detail(
    job: Job,
    *,
    instance_id: str,
    application_id: str,
    deployment: Deployment | None = None,
    now: datetime | None = None,
) -> schemas.InstanceDetail:
    fields = _instance_fields(job, instance_id, application_id, deployment)
    started = job.start_time
    ended = job.end_time or (now or datetime.now(UTC))
    resources = job.resources
    processes = [resources.jobmanager] + [resources.taskmanager] * max(
        1, resources.effective_parallelism()
    )
    return schemas.InstanceDetail(
        **fields,
        cluster=job.cluster,
        cur_queue=job.extra.get("queue") if isinstance(job.extra.get("queue"), str) else None,
        job_engine_key=job.flink_job_id,
        duration=int((ended - started).total_seconds()) if started else None,
        core=int(sum(spec.cpu for spec in processes)),
        memory=sum(spec.memory_bytes() for spec in processes) // 1024**2,
        resource_version=str(job.version),
        version_id=job.version,
    )


def application_state_of(deployment: Deployment, newest: Job | None) -> str:
    """The newest instance's state; ``DRAFT`` for a draft never started, else ``CREATED``."""
    if newest is None and deployment.labels.get(LABEL_STAGE) == STAGE_DRAFT:
        return STAGE_DRAFT
    return states.application_state(newest.status if newest is not None else None)


def application_record(
    deployment: Deployment,
    *,
    application_id: str,
    newest: Job | None,
) -> schemas.ApplicationRecord:
    return schemas.ApplicationRecord(
        id=application_id,
        application_id=application_id,
        job_name=deployment.name,
        job_type=job_type(deployment.execution_mode, deployment.artifact),
        project_id=deployment.namespace,
        state=application_state_of(deployment, newest),
        engine_version=deployment.engine_version,
        user_id=deployment.creator,
        cluster=deployment.cluster or "default",
        cluster_id=deployment.cluster or "default",
        dependency=_dependency(deployment.artifact),
        deploy_request=_deploy_request(deployment, None),
        options=json.dumps(deployment.flink_conf, sort_keys=True),
        job_priority=str(deployment.priority),
        create_time=timestamp(deployment.created_at),
        modified_time=timestamp(deployment.modified_at),
        deploy_time=timestamp(deployment.modified_at),
        start_time=timestamp(newest.start_time or newest.created_at) if newest else None,
        end_time=timestamp(newest.end_time) if newest else None,
        resource_version=str(deployment.version),
    )


def savepoint_info(savepoint: Savepoint) -> schemas.SavepointInfo:
    return schemas.SavepointInfo(
        savepoint_id=savepoint.id,
        savepoint_path=savepoint.location,
        status=states.SAVEPOINT_STATES[savepoint.state],
        create_type=states.SAVEPOINT_CREATE_TYPES[savepoint.origin],
        description=savepoint.description,
        create_time=timestamp(savepoint.created_at),
        compelete_time=(
            timestamp(savepoint.modified_at)
            if savepoint.state is SavepointState.COMPLETED
            else None
        ),
    )


# --------------------------------------------------------------------------- pools


def pool_resources(resources: list[schemas.PoolResourceIn]) -> ResourceSetting | None:
    """A pool's ``Resources`` (CUs) as a session cluster's size: one JobManager and one
    TaskManager slot per further CU (1 CU = 1 vCPU + 4 GiB)."""
    if not resources:
        return None
    total = 0
    for resource in resources:
        units = (resource.units or "CU").strip().upper()
        if units != "CU":
            raise InvalidInput(f"Resources.Units must be CU, got {resource.units!r}")
        cu = resource.capability if resource.capability is not None else resource.basic
        if cu is None or cu < 1:
            raise InvalidInput("Resources.Capability (or Basic) must be at least 1 CU")
        total += cu
    return ResourceSetting(
        mode=ResourceMode.BASIC,
        parallelism=max(1, total - 1),
        jobmanager=ResourceSpec(1.0, _CU_MEMORY),
        taskmanager=ResourceSpec(1.0, _CU_MEMORY),
    )


def _pool_cu(cluster: Cluster) -> int:
    resources = cluster.resources
    return 1 + max(1, resources.effective_parallelism())


def pool(cluster: Cluster, *, project: str | None) -> schemas.Pool:
    cu = _pool_cu(cluster)
    status = "RUNNING" if cluster.status is None else states.POOL_STATES[cluster.status]
    return schemas.Pool(
        id=cluster.name,
        name=cluster.name,
        full_name=f"{cluster.workspace}/{cluster.name}",
        status=status,
        project_id=project,
        project_name=project,
        namespace=cluster.namespace,
        create_time=timestamp(cluster.created_at),
        update_time=timestamp(cluster.modified_at),
        resources=[schemas.PoolResource(basic=cu, capability=cu, units="CU")],
        tags=[schemas.Tag(key=key, value=value) for key, value in sorted(cluster.labels.items())],
    )
