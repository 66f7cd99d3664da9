"""Scheduled plans, wire <-> domain: SDK ``ScheduledPlan`` with its
``PeriodicSchedulingPolicy`` list, ``ScheduledPlanAppliedInfo`` and
``ScheduledPlanExecutedInfo``.

A policy fires at ``periodicTriggerTime`` (milliseconds after midnight UTC, 0 to
86 399 999) every ``DAY``, on ``WEEK`` days (``periodicSchedulingValues`` 1 = Monday …
7 = Sunday) or ``MONTH`` days (1 … 31); or once at ``onlyOnceTriggerTime`` (epoch
milliseconds). Its ``resourceSetting`` (SDK ``BriefResourceSetting``) is merged onto the
deployment's current resources when the plan is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from millstream.api.native import schemas
from millstream.api.native.mappers.common import parse_enum
from millstream.api.native.mappers.resources import (
    batch_resource_from_wire,
    batch_resource_to_wire,
    streaming_resource_from_wire,
    streaming_resource_to_wire,
)
from millstream.api.native.schemas import WireModel
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.deployments import Deployment
from millstream.domain.errors import InvalidInput
from millstream.domain.scheduled_plans import (
    PlanExecution,
    ScheduledChange,
    ScheduledPlan,
    ScheduleLevel,
)

__all__ = [
    "ScheduledPlanBody",
    "applied_to_wire",
    "changes_from_wire",
    "execution_to_wire",
    "plan_to_wire",
]

_MAX_EPOCH_MS = 253_402_300_799_999


class BriefResourceSetting(WireModel):
    streaming_resource_setting: schemas.StreamingResourceSetting | None = None
    batch_resource_setting: schemas.BatchResourceSetting | None = None
    flink_conf: dict[str, Any] | None = None


class PeriodicSchedulingPolicy(WireModel):
    periodic_scheduling_level: str | None = Field(default=None, max_length=16)
    periodic_scheduling_values: list[int] | None = Field(default=None, max_length=31)
    periodic_trigger_time: int | None = None
    only_once_trigger_time: int | None = None
    resource_setting: BriefResourceSetting | None = None


class ScheduledPlanBody(WireModel):
    """SDK ``ScheduledPlan`` as a request (server-set fields are ignored)."""

    name: str | None = Field(default=None, max_length=128)
    deployment_id: str | None = Field(default=None, max_length=64)
    periodic_scheduling_policies: list[PeriodicSchedulingPolicy] | None = Field(
        default=None, max_length=48
    )


def _millis(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _change(
    policy: PeriodicSchedulingPolicy, deployment: Deployment, index: int
) -> ScheduledChange:
    where = f"periodicSchedulingPolicies[{index}]"
    setting = policy.resource_setting
    if setting is None:
        raise InvalidInput(f"{where} needs a resourceSetting: the resources it switches to")
    batch = deployment.execution_mode is ExecutionMode.BATCH
    if batch:
        resources = (
            batch_resource_from_wire(setting.batch_resource_setting, deployment.batch_resource)
            if setting.batch_resource_setting is not None
            else deployment.batch_resource
        )
    else:
        resources = (
            streaming_resource_from_wire(
                setting.streaming_resource_setting, deployment.streaming_resource
            )
            if setting.streaming_resource_setting is not None
            else deployment.streaming_resource
        )
    if policy.only_once_trigger_time is not None and policy.periodic_scheduling_level is None:
        if not 0 <= policy.only_once_trigger_time <= _MAX_EPOCH_MS:
            raise InvalidInput(f"{where}.onlyOnceTriggerTime must be epoch milliseconds")
        return ScheduledChange(
            level=ScheduleLevel.ONCE,
            resources=resources,
            flink_conf=dict(setting.flink_conf or {}),
            once_at=datetime.fromtimestamp(policy.only_once_trigger_time / 1000, UTC),
        )
    if policy.periodic_scheduling_level is None:
        raise InvalidInput(
            f"{where} needs periodicSchedulingLevel (DAY, WEEK or MONTH) and "
            "periodicTriggerTime, or onlyOnceTriggerTime"
        )
    level = parse_enum(
        ScheduleLevel, policy.periodic_scheduling_level, f"{where}.periodicSchedulingLevel"
    )
    return ScheduledChange(
        level=level,
        resources=resources,
        flink_conf=dict(setting.flink_conf or {}),
        values=tuple(policy.periodic_scheduling_values or ()),
        time_of_day_ms=policy.periodic_trigger_time,
        once_at=(
            datetime.fromtimestamp(policy.only_once_trigger_time / 1000, UTC)
            if level is ScheduleLevel.ONCE and policy.only_once_trigger_time is not None
            else None
        ),
    )


def changes_from_wire(
    policies: list[PeriodicSchedulingPolicy], deployment: Deployment
) -> tuple[ScheduledChange, ...]:
    return tuple(_change(p, deployment, i) for i, p in enumerate(policies))


def _policy_to_wire(
    change: ScheduledChange, plan: ScheduledPlan, now: datetime, batch: bool
) -> dict[str, Any]:
    once = change.once_at
    setting: dict[str, Any] = {"flinkConf": dict(change.flink_conf)}
    if batch:
        setting["batchResourceSetting"] = batch_resource_to_wire(change.resources).model_dump(
            mode="json", by_alias=True
        )
    else:
        setting["streamingResourceSetting"] = streaming_resource_to_wire(
            change.resources
        ).model_dump(mode="json", by_alias=True)
    return {
        "periodicSchedulingLevel": None if once is not None else change.level.value,
        "periodicSchedulingValues": list(change.values),
        "periodicTriggerTime": change.time_of_day_ms,
        "onlyOnceTriggerTime": _millis(once),
        "onlyOnceTriggerTimeIsExpired": None if once is None else once <= now,
        "isFinished": (
            None
            if once is None
            else bool(
                plan.applied_at
                and plan.handled_until
                and plan.applied_at < once <= plan.handled_until
            )
        ),
        "resourceSetting": setting,
    }


def plan_to_wire(plan: ScheduledPlan, *, batch: bool = False) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "scheduledPlanId": plan.id,
        "name": plan.name,
        "deploymentId": plan.deployment_id,
        "namespace": plan.namespace,
        "workspace": plan.workspace,
        "origin": "USER",
        "status": "APPLIED" if plan.applied else "NOT_APPLIED",
        "updatedByUser": True,
        "creator": plan.creator,
        "creatorName": plan.creator,
        "modifier": plan.modifier,
        "modifierName": plan.modifier,
        "createdAt": str(_millis(plan.created_at)),
        "modifiedAt": str(_millis(plan.modified_at)),
        "periodicSchedulingPolicies": [_policy_to_wire(c, plan, now, batch) for c in plan.changes],
    }


def applied_to_wire(plan: ScheduledPlan) -> dict[str, Any]:
    state = "RUNNING" if plan.applied else "STOPPED"
    return {
        "scheduledPlanId": plan.id,
        "scheduledPlanName": plan.name,
        "deploymentId": plan.deployment_id,
        "namespace": plan.namespace,
        "workspace": plan.workspace,
        "expectedState": state,
        "statusState": state,
        "modifier": plan.modifier,
        "modifierName": plan.modifier,
        "modifiedAt": str(_millis(plan.modified_at)),
    }


def execution_to_wire(execution: PlanExecution) -> dict[str, Any]:
    return {
        "jobResourceUpgradingId": execution.id,
        "name": execution.plan_name,
        "scheduledPlanId": execution.plan_id,
        "deploymentId": execution.deployment_id,
        "namespace": execution.namespace,
        "workspace": execution.workspace,
        "origin": "SCHEDULED_PLAN",
        "originJobId": execution.job_id,
        "hotUpdateId": execution.hot_update_id,
        "message": execution.message,
        "boundaryAt": _millis(execution.boundary_at),
        "creator": "scheduled-plan",
        "creatorName": "scheduled plan",
        "modifier": "scheduled-plan",
        "modifierName": "scheduled plan",
        "createdAt": str(_millis(execution.created_at)),
        "modifiedAt": str(_millis(execution.created_at)),
        "status": {
            "restartType": execution.restart_type.value,
            "statusState": execution.state.value,
        },
    }
