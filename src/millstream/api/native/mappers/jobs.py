"""Jobs as the wire model: status (through ``states``), failure, observed Flink state,
scheduling and resource totals. ``startTime``/``endTime`` are int epoch seconds."""

from __future__ import annotations

from typing import Any

from millstream.api.native import schemas, states
from millstream.api.native.mappers.artifacts import artifact_to_wire
from millstream.api.native.mappers.common import seconds, seconds_text
from millstream.api.native.mappers.deployments import logging_to_wire, variables_to_wire
from millstream.api.native.mappers.resources import (
    batch_resource_to_wire,
    streaming_resource_to_wire,
)
from millstream.api.native.mappers.strategies import restore_to_wire
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import Job
from millstream.domain.resources import ResourceMode

__all__ = ["job_to_wire"]


_SLOTS_KEY = "taskmanager.numberOfTaskSlots"


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
            failed_at=seconds(job.failure.failed_at),
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
            enqueued_at=seconds(job.enqueued_at),
            admitted_at=seconds(job.admitted_at),
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
        start_time=seconds(job.start_time),
        end_time=seconds(job.end_time),
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
        created_at=seconds_text(job.created_at),
        modified_at=seconds_text(job.modified_at),
        flink_version=job.runtime,
    )
