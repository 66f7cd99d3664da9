"""Deployments: a Create/UpdateDeployment body as a ``DeploymentPatch``, a deployment as
the wire model, and the parts only deployments and jobs carry (logging, local variables,
restart policy)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from millstream.api.native import schemas
from millstream.api.native.mappers.artifacts import (
    artifact_from_wire,
    artifact_to_wire,
    execution_mode_from_wire,
)
from millstream.api.native.mappers.common import seconds_text
from millstream.api.native.mappers.resources import (
    batch_resource_from_wire,
    batch_resource_to_wire,
    streaming_resource_from_wire,
    streaming_resource_to_wire,
)
from millstream.control.services import DeploymentPatch
from millstream.domain.deployments import Deployment, Logging
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import JobStatus
from millstream.domain.restarts import RestartPolicy

__all__ = [
    "deployment_patch",
    "deployment_to_wire",
    "job_summary_to_wire",
    "logging_from_wire",
    "logging_to_wire",
    "restart_policy_from_wire",
    "restart_policy_to_wire",
    "variables_from_wire",
    "variables_to_wire",
]


def _label_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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


def job_summary_to_wire(counts: Mapping[JobStatus, int]) -> schemas.JobSummary:
    """SDK ``JobSummary``: how many of the deployment's jobs are in each job state (0 when
    none). A suspended job has no field of its own there and is not counted."""
    return schemas.JobSummary(
        starting=counts.get(JobStatus.STARTING, 0),
        running=counts.get(JobStatus.RUNNING, 0),
        cancelling=counts.get(JobStatus.CANCELLING, 0),
        cancelled=counts.get(JobStatus.CANCELLED, 0),
        finished=counts.get(JobStatus.FINISHED, 0),
        failed=counts.get(JobStatus.FAILED, 0),
    )


def deployment_to_wire(
    deployment: Deployment, job_counts: Mapping[JobStatus, int] | None = None
) -> schemas.Deployment:
    """The wire deployment; ``jobSummary`` only when ``job_counts`` were read for it."""
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
        created_at=seconds_text(deployment.created_at),
        modified_at=seconds_text(deployment.modified_at),
        job_summary=None if job_counts is None else job_summary_to_wire(job_counts),
        resource_version=deployment.version,
        queue=deployment.queue,
        priority=deployment.priority,
        schedule_timeout_seconds=deployment.schedule_timeout_seconds,
        restart_policy=restart_policy_to_wire(deployment.restart_policy),
    )
