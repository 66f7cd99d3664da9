"""Explicit conversions between the native wire models (``schemas``) and the domain.

Wire -> domain: request bodies become a ``DeploymentPatch``, a ``RestoreStrategy`` or a
``StopStrategy``; enum strings are parsed with a message listing the valid values. Nested
objects merge onto a base (the current deployment on update) field by field, so a field
that is absent keeps its value. Memory strings (``"4 GiB"``) pass through untouched; the
domain validates them.

Domain -> wire: every field the SDK models carry, filled from the domain or ``None`` when
Millstream does not know it (never invented). Times: ``Job.startTime``/``endTime`` and
``Savepoint.createdAt`` are int epoch seconds, ``createdAt`` strings elsewhere (seed 000,
SDK model types).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from millstream.api.native import schemas, states
from millstream.control.engine_versions import EngineVersions
from millstream.control.services import DeploymentPatch
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.deployments import Deployment, Logging
from millstream.domain.errors import InvalidInput, InvalidSql
from millstream.domain.events import Event
from millstream.domain.jobs import Job, RestoreKind, RestoreStrategy, StopStrategy
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec
from millstream.domain.restarts import RestartPolicy
from millstream.domain.savepoints import Savepoint, SavepointState

__all__ = [
    "RESTORE_KINDS",
    "artifact_from_wire",
    "artifact_to_wire",
    "batch_resource_from_wire",
    "batch_resource_to_wire",
    "deployment_patch",
    "deployment_to_wire",
    "engine_versions_to_wire",
    "event_to_wire",
    "execution_mode_from_wire",
    "job_to_wire",
    "logging_from_wire",
    "logging_to_wire",
    "require_artifact_file",
    "restart_policy_from_wire",
    "restart_policy_to_wire",
    "restore_from_wire",
    "restore_kind_from_wire",
    "restore_to_wire",
    "savepoint_to_wire",
    "sql_invalid_to_wire",
    "sql_valid_to_wire",
    "stop_strategy_from_wire",
    "streaming_resource_from_wire",
    "streaming_resource_to_wire",
    "variables_from_wire",
    "variables_to_wire",
]

_E = TypeVar("_E", bound=enum.Enum)

_SLOTS_KEY = "taskmanager.numberOfTaskSlots"


def _parse_enum(kind: type[_E], value: str, where: str) -> _E:
    try:
        return kind(value.upper())
    except ValueError:
        valid = ", ".join(str(member.value) for member in kind)
        raise InvalidInput(f"unknown {where} {value!r}; use one of {valid}") from None


def _seconds(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _seconds_text(moment: datetime | None) -> str | None:
    seconds = _seconds(moment)
    return None if seconds is None else str(seconds)


def _label_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------------- wire -> domain


def execution_mode_from_wire(value: str) -> ExecutionMode:
    return _parse_enum(ExecutionMode, value, "executionMode")


# The field each artifact kind cannot do without, by its wire path: the native message
# names it (the domain's own message says the same in domain words).
_REQUIRED_ARTIFACT_FIELDS: dict[ArtifactKind, tuple[str, str]] = {
    ArtifactKind.SQLSCRIPT: ("sql_script", "artifact.sqlArtifact.sqlScript"),
    ArtifactKind.JAR: ("jar_uri", "artifact.jarArtifact.jarUri"),
    ArtifactKind.PYTHON: ("python_artifact_uri", "artifact.pythonArtifact.pythonArtifactUri"),
}


def require_artifact_file(artifact: Artifact) -> None:
    """``InvalidInput`` naming the wire field when the artifact lacks what its kind runs
    (routes call it before the service, whose own check says it in domain words)."""
    attribute, field = _REQUIRED_ARTIFACT_FIELDS[artifact.kind]
    if not str(getattr(artifact, attribute) or "").strip():
        raise InvalidInput(f"{field} is required for kind {artifact.kind.value}")


def artifact_from_wire(wire: schemas.Artifact, base: Artifact | None = None) -> Artifact:
    """The artifact of ``wire.kind`` (default: the base's kind) from its sub-artifact."""
    if wire.kind:
        kind = _parse_enum(ArtifactKind, wire.kind, "artifact.kind")
    elif base is not None:
        kind = base.kind
    else:
        raise InvalidInput("artifact.kind is required; use one of SQLSCRIPT, JAR, PYTHON")
    keep = base if base is not None and base.kind is kind else Artifact(kind=kind)
    if kind is ArtifactKind.SQLSCRIPT:
        if wire.sql_artifact is None:
            return keep
        sql = wire.sql_artifact
        return Artifact(
            kind=kind,
            sql_script=sql.sql_script,
            additional_dependencies=tuple(sql.additional_dependencies or ()),
        )
    if kind is ArtifactKind.JAR:
        if wire.jar_artifact is None:
            return keep
        jar = wire.jar_artifact
        return Artifact(
            kind=kind,
            jar_uri=jar.jar_uri,
            entry_class=jar.entry_class,
            main_args=jar.main_args,
            additional_dependencies=tuple(jar.additional_dependencies or ()),
        )
    if wire.python_artifact is None:
        return keep
    py = wire.python_artifact
    return Artifact(
        kind=kind,
        python_artifact_uri=py.python_artifact_uri,
        entry_module=py.entry_module,
        main_args=py.main_args,
        additional_dependencies=tuple(py.additional_dependencies or ()),
        additional_python_libraries=tuple(py.additional_python_libraries or ()),
        additional_python_archives=tuple(py.additional_python_archives or ()),
    )


def _spec_from_wire(
    wire: schemas.BasicResourceSettingSpec | None, base: ResourceSpec
) -> ResourceSpec:
    if wire is None:
        return base
    return ResourceSpec(
        cpu=base.cpu if wire.cpu is None else wire.cpu,
        memory=base.memory if wire.memory is None else wire.memory,
    )


def _basic_from_wire(
    wire: schemas.BasicResourceSetting | None, base: ResourceSetting
) -> tuple[int, ResourceSpec, ResourceSpec]:
    if wire is None:
        return base.parallelism, base.jobmanager, base.taskmanager
    return (
        base.parallelism if wire.parallelism is None else wire.parallelism,
        _spec_from_wire(wire.jobmanager_resource_setting_spec, base.jobmanager),
        _spec_from_wire(wire.taskmanager_resource_setting_spec, base.taskmanager),
    )


def streaming_resource_from_wire(
    wire: schemas.StreamingResourceSetting, base: ResourceSetting | None = None
) -> ResourceSetting:
    base = base or ResourceSetting()
    mode = (
        _parse_enum(ResourceMode, wire.resource_setting_mode, "resourceSettingMode")
        if wire.resource_setting_mode
        else base.mode
    )
    parallelism, jobmanager, taskmanager = _basic_from_wire(wire.basic_resource_setting, base)
    plan = base.resource_plan
    expert = wire.expert_resource_setting
    if expert is not None:
        if mode is ResourceMode.EXPERT:
            jobmanager = _spec_from_wire(expert.jobmanager_resource_setting_spec, jobmanager)
        if expert.resource_plan is not None:
            plan = expert.resource_plan
    return ResourceSetting(
        mode=mode,
        parallelism=parallelism,
        jobmanager=jobmanager,
        taskmanager=taskmanager,
        resource_plan=plan,
        max_slot=base.max_slot,
    )


def batch_resource_from_wire(
    wire: schemas.BatchResourceSetting, base: ResourceSetting | None = None
) -> ResourceSetting:
    base = base or ResourceSetting()
    parallelism, jobmanager, taskmanager = _basic_from_wire(wire.basic_resource_setting, base)
    return ResourceSetting(
        mode=base.mode,
        parallelism=parallelism,
        jobmanager=jobmanager,
        taskmanager=taskmanager,
        resource_plan=base.resource_plan,
        max_slot=base.max_slot if wire.max_slot is None else wire.max_slot,
    )


def logging_from_wire(wire: schemas.Logging, base: Logging | None = None) -> Logging:
    base = base or Logging()
    loggers = base.log4j_loggers
    if wire.log4j_loggers is not None:
        pairs: list[tuple[str, str]] = []
        for index, logger in enumerate(wire.log4j_loggers):
            if logger.logger_name is None or logger.logger_level is None:
                raise InvalidInput(
                    f"logging.log4jLoggers[{index}] needs both loggerName and loggerLevel"
                )
            pairs.append((logger.logger_name, logger.logger_level))
        loggers = tuple(pairs)
    policy = wire.log_reserve_policy
    return Logging(
        logging_profile=(
            base.logging_profile if wire.logging_profile is None else wire.logging_profile
        ),
        log4j2_configuration_template=(
            base.log4j2_configuration_template
            if wire.log4j2_configuration_template is None
            else wire.log4j2_configuration_template
        ),
        log4j_loggers=loggers,
        log_reserve_open_history=(
            base.log_reserve_open_history
            if policy is None or policy.open_history is None
            else policy.open_history
        ),
        log_reserve_expiration_days=(
            base.log_reserve_expiration_days
            if policy is None or policy.expiration_days is None
            else policy.expiration_days
        ),
    )


def variables_from_wire(wire: Iterable[schemas.LocalVariable]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for index, variable in enumerate(wire):
        if not variable.name:
            raise InvalidInput(f"localVariables[{index}].name is required")
        if variable.value is None:
            raise InvalidInput(f"localVariables[{index}].value is required ({variable.name})")
        variables[variable.name] = variable.value
    return variables


def _cluster_from_wire(target: schemas.BriefDeploymentTarget) -> str | None:
    mode = (target.mode or "PER_JOB").upper()
    if mode == "SESSION":
        if not target.name:
            raise InvalidInput("deploymentTarget.name (the session cluster) is required")
        return target.name
    if mode == "PER_JOB":
        return None  # the default cluster; the name is a queue, which we do not use here
    raise InvalidInput(f"unknown deploymentTarget.mode {target.mode!r}; use SESSION or PER_JOB")


def deployment_patch(
    wire: schemas.Deployment, current: Deployment | None = None
) -> DeploymentPatch:
    """The changes a Create/UpdateDeployment body asks for; absent fields stay ``None``.

    Nested objects merge onto ``current`` (on update) so a partial object keeps the rest.
    """
    return DeploymentPatch(
        name=wire.name,
        artifact=(
            None
            if wire.artifact is None
            else artifact_from_wire(wire.artifact, current.artifact if current else None)
        ),
        execution_mode=(
            None if wire.execution_mode is None else execution_mode_from_wire(wire.execution_mode)
        ),
        engine_version=wire.engine_version,
        description=wire.description,
        labels=(
            None
            if wire.labels is None
            else {key: _label_text(value) for key, value in wire.labels.items()}
        ),
        flink_conf=None if wire.flink_conf is None else dict(wire.flink_conf),
        streaming_resource=(
            None
            if wire.streaming_resource_setting is None
            else streaming_resource_from_wire(
                wire.streaming_resource_setting,
                current.streaming_resource if current else None,
            )
        ),
        batch_resource=(
            None
            if wire.batch_resource_setting is None
            else batch_resource_from_wire(
                wire.batch_resource_setting, current.batch_resource if current else None
            )
        ),
        logging=(
            None
            if wire.logging is None
            else logging_from_wire(wire.logging, current.logging if current else None)
        ),
        local_variables=(
            None if wire.local_variables is None else variables_from_wire(wire.local_variables)
        ),
        cluster=None
        if wire.deployment_target is None
        else _cluster_from_wire(wire.deployment_target),
        queue=wire.queue,
        priority=wire.priority,
        schedule_timeout_seconds=wire.schedule_timeout_seconds,
        restart_policy=(
            None
            if wire.restart_policy is None
            else restart_policy_from_wire(
                wire.restart_policy, current.restart_policy if current else None
            )
        ),
        expected_version=wire.resource_version,
    )


def restart_policy_from_wire(
    wire: schemas.RestartPolicy, current: RestartPolicy | None = None
) -> RestartPolicy:
    """``restartPolicy`` merged onto the current policy (absent fields are kept)."""
    base = current or RestartPolicy()
    return RestartPolicy(
        enabled=base.enabled if wire.enabled is None else wire.enabled,
        max_restarts_per_hour=(
            base.max_restarts_per_hour
            if wire.max_restarts_per_hour is None
            else wire.max_restarts_per_hour
        ),
    )


def restart_policy_to_wire(policy: RestartPolicy) -> schemas.RestartPolicy:
    return schemas.RestartPolicy(
        enabled=policy.enabled, max_restarts_per_hour=policy.max_restarts_per_hour
    )


# ``restoreStrategy.kind`` on the wire -> domain. ``FROM_NEW`` and ``FROM_LATEST`` are the
# names older SDK samples send; the error lists only the current ones.
RESTORE_KINDS: dict[str, RestoreKind] = {
    "NONE": RestoreKind.NONE,
    "LATEST_SAVEPOINT": RestoreKind.LATEST_SAVEPOINT,
    "LATEST_STATE": RestoreKind.LATEST_STATE,
    "FROM_SAVEPOINT": RestoreKind.FROM_SAVEPOINT,
    "FROM_NEW": RestoreKind.NONE,
    "FROM_LATEST": RestoreKind.LATEST_STATE,
}
_RESTORE_KIND_NAMES = ("NONE", "LATEST_SAVEPOINT", "LATEST_STATE", "FROM_SAVEPOINT")


def restore_kind_from_wire(value: str) -> RestoreKind:
    """A wire ``restoreStrategy.kind`` (any case, aliases included) as a domain kind."""
    kind = RESTORE_KINDS.get(value.upper())
    if kind is None:
        valid = ", ".join(_RESTORE_KIND_NAMES)
        raise InvalidInput(f"unknown restoreStrategy.kind {value!r}; use one of {valid}")
    return kind


def restore_from_wire(wire: schemas.DeploymentRestoreStrategy | None) -> RestoreStrategy:
    """A restore strategy; absent (or without ``kind``) means start without state."""
    if wire is None:
        return RestoreStrategy()
    kind = RestoreKind.NONE if not wire.kind else restore_kind_from_wire(wire.kind)
    if kind is RestoreKind.FROM_SAVEPOINT and not wire.savepoint_id:
        raise InvalidInput("restoreStrategy.savepointId is required with FROM_SAVEPOINT")
    strategy = RestoreStrategy(
        kind=kind,
        savepoint_id=wire.savepoint_id or None,
        allow_non_restored_state=bool(wire.allow_non_restored_state),
        job_start_time_ms=wire.job_start_time_in_ms,
    )
    strategy.validate()
    return strategy


def stop_strategy_from_wire(value: str | None) -> StopStrategy:
    if not value:
        valid = ", ".join(strategy.value for strategy in StopStrategy)
        raise InvalidInput(f"stopStrategy is required; use one of {valid}")
    return _parse_enum(StopStrategy, value, "stopStrategy")


# --------------------------------------------------------------------------- domain -> wire


def artifact_to_wire(artifact: Artifact) -> schemas.Artifact:
    """Only the sub-artifact of the artifact's kind is filled."""
    wire = schemas.Artifact(kind=artifact.kind.value)
    dependencies = list(artifact.additional_dependencies)
    if artifact.kind is ArtifactKind.SQLSCRIPT:
        wire.sql_artifact = schemas.SqlArtifact(
            sql_script=artifact.sql_script, additional_dependencies=dependencies
        )
    elif artifact.kind is ArtifactKind.JAR:
        wire.jar_artifact = schemas.JarArtifact(
            jar_uri=artifact.jar_uri,
            entry_class=artifact.entry_class,
            main_args=artifact.main_args,
            additional_dependencies=dependencies,
        )
    else:
        wire.python_artifact = schemas.PythonArtifact(
            python_artifact_uri=artifact.python_artifact_uri,
            entry_module=artifact.entry_module,
            main_args=artifact.main_args,
            additional_dependencies=dependencies,
            additional_python_libraries=list(artifact.additional_python_libraries),
            additional_python_archives=list(artifact.additional_python_archives),
        )
    return wire


def _spec_to_wire(spec: ResourceSpec) -> schemas.BasicResourceSettingSpec:
    return schemas.BasicResourceSettingSpec(cpu=spec.cpu, memory=spec.memory)


def _basic_to_wire(setting: ResourceSetting) -> schemas.BasicResourceSetting:
    return schemas.BasicResourceSetting(
        parallelism=setting.parallelism,
        jobmanager_resource_setting_spec=_spec_to_wire(setting.jobmanager),
        taskmanager_resource_setting_spec=_spec_to_wire(setting.taskmanager),
    )


def streaming_resource_to_wire(setting: ResourceSetting) -> schemas.StreamingResourceSetting:
    expert = None
    if setting.mode is ResourceMode.EXPERT or setting.resource_plan is not None:
        expert = schemas.ExpertResourceSetting(
            jobmanager_resource_setting_spec=_spec_to_wire(setting.jobmanager),
            resource_plan=setting.resource_plan,
        )
    return schemas.StreamingResourceSetting(
        resource_setting_mode=setting.mode.value,
        basic_resource_setting=_basic_to_wire(setting),
        expert_resource_setting=expert,
    )


def batch_resource_to_wire(setting: ResourceSetting) -> schemas.BatchResourceSetting:
    return schemas.BatchResourceSetting(
        max_slot=setting.max_slot, basic_resource_setting=_basic_to_wire(setting)
    )


def logging_to_wire(logging: Logging) -> schemas.Logging:
    policy = None
    if (
        logging.log_reserve_open_history is not None
        or logging.log_reserve_expiration_days is not None
    ):
        policy = schemas.LogReservePolicy(
            open_history=logging.log_reserve_open_history,
            expiration_days=logging.log_reserve_expiration_days,
        )
    return schemas.Logging(
        logging_profile=logging.logging_profile,
        log4j2_configuration_template=logging.log4j2_configuration_template,
        log4j_loggers=[
            schemas.Log4jLogger(logger_name=name, logger_level=level)
            for name, level in logging.log4j_loggers
        ],
        log_reserve_policy=policy,
    )


def variables_to_wire(variables: dict[str, str]) -> list[schemas.LocalVariable]:
    return [schemas.LocalVariable(name=name, value=value) for name, value in variables.items()]


def deployment_to_wire(deployment: Deployment) -> schemas.Deployment:
    return schemas.Deployment(
        deployment_id=deployment.id,
        name=deployment.name,
        description=deployment.description,
        namespace=deployment.namespace,
        workspace=deployment.workspace,
        artifact=artifact_to_wire(deployment.artifact),
        execution_mode=deployment.execution_mode.value,
        engine_version=deployment.engine_version,
        flink_conf=dict(deployment.flink_conf),
        labels=dict(deployment.labels),
        local_variables=variables_to_wire(deployment.local_variables),
        logging=logging_to_wire(deployment.logging),
        streaming_resource_setting=streaming_resource_to_wire(deployment.streaming_resource),
        batch_resource_setting=batch_resource_to_wire(deployment.batch_resource),
        deployment_target=(
            None
            if deployment.cluster is None
            else schemas.BriefDeploymentTarget(mode="SESSION", name=deployment.cluster)
        ),
        creator=deployment.creator,
        creator_name=None,  # only the actor id is stored
        modifier=deployment.modifier,
        modifier_name=None,
        created_at=_seconds_text(deployment.created_at),
        modified_at=_seconds_text(deployment.modified_at),
        job_summary=None,  # the services do not count jobs per deployment
        resource_version=deployment.version,
        queue=deployment.queue,
        priority=deployment.priority,
        schedule_timeout_seconds=deployment.schedule_timeout_seconds,
        restart_policy=restart_policy_to_wire(deployment.restart_policy),
    )


def restore_to_wire(restore: RestoreStrategy) -> schemas.DeploymentRestoreStrategy:
    return schemas.DeploymentRestoreStrategy(
        kind=restore.kind.value,
        savepoint_id=restore.savepoint_id,
        allow_non_restored_state=restore.allow_non_restored_state,
        job_start_time_in_ms=restore.job_start_time_ms,
    )


def _slots_per_taskmanager(flink_conf: dict[str, Any]) -> int:
    try:
        return max(1, int(flink_conf.get(_SLOTS_KEY, 1)))
    except (TypeError, ValueError):
        return 1


def _metric(job: Job) -> schemas.JobMetric | None:
    """Totals of a BASIC setting; an EXPERT plan's totals are not known here (None)."""
    resources = job.resources
    if resources.mode is ResourceMode.EXPERT:
        return None
    slots = _slots_per_taskmanager(job.flink_conf)
    try:
        return schemas.JobMetric(
            total_cpu=resources.total_cpu(slots),
            total_memory_byte=resources.total_memory_bytes(slots),
        )
    except InvalidInput:  # a memory string stored before validation tightened
        return None


def _job_status(job: Job) -> schemas.JobStatus:
    failure = None
    if job.failure is not None:
        failure = schemas.JobFailure(
            message=job.failure.message,
            reason=job.failure.reason,
            failed_at=_seconds(job.failure.failed_at),
        )
    running = None
    observed = job.observed
    if observed.state is not None or observed.restarts is not None:
        running = schemas.JobStatusRunning(
            observed_flink_job_restarts=observed.restarts,
            observed_flink_job_status=(
                None if observed.state is None else states.OBSERVED_STATES[observed.state]
            ),
        )
    return schemas.JobStatus(
        current_job_status=states.JOB_STATUSES[job.status],
        failure=failure,
        running=running,
        risk_level=None,
        health_score=None,
        reason=job.status_reason,
        scheduling=schemas.JobScheduling(
            queue=job.queue,
            priority=job.priority,
            cost_cu=job.cost_cu,
            schedule_timeout_seconds=job.schedule_timeout_seconds,
            enqueued_at=_seconds(job.enqueued_at),
            admitted_at=_seconds(job.admitted_at),
        ),
    )


def job_to_wire(job: Job) -> schemas.Job:
    batch = job.execution_mode is ExecutionMode.BATCH
    return schemas.Job(
        job_id=job.id,
        deployment_id=job.deployment_id,
        deployment_name=job.deployment_name,
        namespace=job.namespace,
        workspace=job.workspace,
        execution_mode=job.execution_mode.value,
        creator=job.creator,
        creator_name=None,
        modifier=job.modifier,
        modifier_name=None,
        start_time=_seconds(job.start_time),
        end_time=_seconds(job.end_time),
        engine_version=job.engine_version,
        flink_conf=dict(job.flink_conf),
        user_flink_conf=dict(job.user_flink_conf),
        status=_job_status(job),
        metric=_metric(job),
        session_cluster_name=job.cluster,
        artifact=artifact_to_wire(job.artifact),
        logging=logging_to_wire(job.logging),
        batch_resource_setting=batch_resource_to_wire(job.resources) if batch else None,
        streaming_resource_setting=(None if batch else streaming_resource_to_wire(job.resources)),
        restore_strategy=restore_to_wire(job.restore),
        local_variables=variables_to_wire(job.local_variables),
        created_at=_seconds_text(job.created_at),
        modified_at=_seconds_text(job.modified_at),
    )


def savepoint_to_wire(savepoint: Savepoint) -> schemas.Savepoint:
    failure = None
    if savepoint.failure is not None:
        failure = schemas.SavepointFailure(
            message=savepoint.failure,
            reason=None,
            failed_at=(
                _seconds(savepoint.modified_at)
                if savepoint.state is SavepointState.FAILED
                else None
            ),
        )
    return schemas.Savepoint(
        savepoint_id=savepoint.id,
        deployment_id=savepoint.deployment_id,
        job_id=savepoint.job_id,
        namespace=savepoint.namespace,
        description=savepoint.description,
        native_format=savepoint.native_format,
        savepoint_location=savepoint.location,
        savepoint_origin=states.SAVEPOINT_ORIGINS[savepoint.origin],
        stop_with_drain_enabled=savepoint.stop_with_drain,
        status=schemas.SavepointStatus(
            state=states.SAVEPOINT_STATES[savepoint.state], failure=failure
        ),
        created_at=_seconds(savepoint.created_at),
        modified_at=_seconds(savepoint.modified_at),
    )


def event_to_wire(event: Event) -> schemas.Event:
    return schemas.Event(
        event_id=event.id,
        event_name=event.name.value,
        message=event.message,
        created_at=_seconds_text(event.created_at),
        deployment_id=event.deployment_id,
        job_id=event.job_id,
        namespace=event.namespace,
        workspace=event.workspace,
    )


def engine_versions_to_wire(versions: EngineVersions) -> schemas.EngineVersionMetadataIndex:
    """Installed runtimes, then the exact managed-service names aliased to them."""
    return schemas.EngineVersionMetadataIndex(
        default_engine_version=versions.default,
        engine_version_metadata=[
            schemas.EngineVersionMetadata(
                engine_version=info.name,
                status=info.status,
                features=schemas.EngineVersionSupportedFeatures(
                    use_for_sql_deployments=info.use_for_sql_deployments,
                    support_native_savepoint=info.support_native_savepoint,
                ),
            )
            for info in versions.metadata()
        ],
    )


_DDL = frozenset({"CREATE", "DROP", "ALTER"})


def _statement_kind(statement: str) -> str:
    """Ververica's validationResult for a valid script, from its statements' verbs."""
    verbs: Sequence[str] = [
        part.split(maxsplit=1)[0].upper() for part in statement.split(";") if part.strip()
    ]
    if any(verb in {"INSERT", "EXECUTE", "BEGIN"} for verb in verbs):
        return "VALIDATION_RESULT_VALID_INSERT_QUERY"
    if any(verb in {"SELECT", "WITH"} for verb in verbs):
        return "VALIDATION_RESULT_VALID_SELECT_QUERY"
    if verbs and all(verb in _DDL for verb in verbs):
        return "VALIDATION_RESULT_VALID_DDL_STATEMENT"
    return "VALIDATION_RESULT_VALID_COMMAND_STATEMENT"


def sql_valid_to_wire(statement: str) -> schemas.SqlStatementValidationResult:
    return schemas.SqlStatementValidationResult(
        success=True, message="", validation_result=_statement_kind(statement)
    )


def sql_invalid_to_wire(error: InvalidInput) -> schemas.SqlStatementValidationResult:
    """Flink's rejection with the line/column it reported (strings, as the SDK types them)."""
    line = column = None
    if isinstance(error, InvalidSql):
        line, column = error.line, error.column
    return schemas.SqlStatementValidationResult(
        success=True,  # the validation ran; the statement is what failed (ververica sample)
        message=error.message,
        validation_result="VALIDATION_RESULT_INVALID",
        error_details=schemas.ValidationErrorDetails(
            line_number=None if line is None else str(line),
            column_number=None if column is None else str(column),
            end_line_number=None,
            end_column_number=None,
            message=error.message,
        ),
    )
