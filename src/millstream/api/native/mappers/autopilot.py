"""The native Autopilot wire (SDK ``AutopilotPolicy``, ``TuningHistory``) mapped onto
Millstream's one autoscaler (``domain.autoscale``), which the foas dialect's
autoscaling operations share.

What maps:

- ``enabled`` true is ACTIVE (plans applied), false is DISABLED; the Millstream extension
  ``mode`` (``ACTIVE`` / ``MONITORING`` / ``DISABLED``) also reaches MONITORING
  (``recommend_only``: plans recorded, never applied).
- ``limits.jobMinParallelism`` / ``jobMaxParallelism``: the parallelism bounds;
  ``limits.coolDownMinutes``: the cool-down.
- ``scaleUpRules.slotBusyScaleUpRule.slotBusyScaleUpThreshold`` (up) and
  ``scaleDownRules.slotBusyScaleDownRule.slotBusyScaleDownThreshold`` (down): the
  autoscaler scales up above ``target + boundary`` and down below ``target - boundary``
  of the busiest vertex's busy share, so ``target = (up + down) / 2`` and
  ``boundary = (up - down) / 2``.

What the SDK has and the autoscaler cannot do (CPU and memory limits, delay, GC, memory
and OOM rules, sample intervals, advanced rules, silent periods, turning the slot-busy
rules off alone) is refused with ``InvalidInput`` naming the field; a read shows those
rules disabled and those limits null. ``policyConfig`` is a full replacement, as the SDK
documents: an omitted limit or threshold goes back to its default.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from millstream.domain.autoscale import (
    AutoscaleConfig,
    AutoscaleConfigPatch,
    AutoscalePlan,
    PlanOutcome,
    ScalingAction,
)
from millstream.domain.errors import InvalidInput

__all__ = [
    "AutopilotMode",
    "AutopilotPolicy",
    "UpdateAutopilotPolicyBody",
    "mode_of",
    "policy_patch",
    "policy_to_wire",
    "tuning_history_to_wire",
]

_DEFAULTS = AutoscaleConfig()
_MAX_COOL_DOWN_MINUTES = 7 * 24 * 60


class AutopilotMode(enum.StrEnum):
    ACTIVE = "ACTIVE"
    MONITORING = "MONITORING"
    DISABLED = "DISABLED"


class _Strict(BaseModel):
    """camelCase on the wire; an unknown field is a 400, never silently dropped."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class _Toggle(_Strict):
    enabled: bool | None = None


class _SlotBusyUp(_Toggle):
    slot_busy_scale_up_sample_interval: str | None = None
    slot_busy_scale_up_threshold: float | None = None


class _SlotBusyDown(_Toggle):
    slot_busy_scale_down_sample_interval: str | None = None
    slot_busy_scale_down_threshold: float | None = None


class _MemoryUp(_Toggle):
    mem_usage_scale_up_threshold: float | None = None


class _MemoryDown(_Toggle):
    mem_usage_scale_down_sample_interval: str | None = None
    mem_usage_scale_down_threshold: float | None = None


class _Gc(_Toggle):
    gc_sample_interval: str | None = None
    gc_time_ratio_threshold: float | None = None


class _Delay(_Toggle):
    delay_sample_interval: str | None = None
    delay_threshold: str | None = None


class _ScaleUpRules(_Strict):
    delay_rule: _Delay | None = None
    gc_rule: _Gc | None = None
    memory_scale_up_rule: _MemoryUp | None = None
    oom_scale_up_rule: _Toggle | None = None
    slot_busy_scale_up_rule: _SlotBusyUp | None = None


class _ScaleDownRules(_Strict):
    memory_scale_down_rule: _MemoryDown | None = None
    slot_busy_scale_down_rule: _SlotBusyDown | None = None


class _Limits(_Strict):
    cool_down_minutes: int | None = None
    job_max_cpu: float | None = None
    job_max_memory: str | None = None
    job_max_parallelism: int | None = None
    job_min_parallelism: int | None = None


class _SilentPeriod(_Strict):
    begin_time: int | None = None
    end_time: int | None = None
    level: str | None = None


class _SilentPeriodConfig(_Toggle):
    silent_periods: list[_SilentPeriod] | None = None


class _AdvancedRules(_Toggle):
    parameters: dict[str, str] | None = None


class AutopilotPolicy(_Strict):
    """SDK ``AutopilotPolicy``."""

    advanced_rules: _AdvancedRules | None = None
    limits: _Limits | None = None
    scale_down_rules: _ScaleDownRules | None = None
    scale_up_rules: _ScaleUpRules | None = None
    silent_period_config: _SilentPeriodConfig | None = None


class UpdateAutopilotPolicyBody(_Strict):
    """SDK ``UpdateAutopilotPolicyRequest`` plus the Millstream extension ``mode``."""

    enabled: bool | None = None
    mode: AutopilotMode | None = None
    policy_config: AutopilotPolicy | None = None


def mode_of(config: AutoscaleConfig) -> AutopilotMode:
    if not config.enabled:
        return AutopilotMode.DISABLED
    return AutopilotMode.MONITORING if config.recommend_only else AutopilotMode.ACTIVE


def _unsupported(field: str, why: str) -> InvalidInput:
    return InvalidInput(f"policyConfig.{field} is not supported: {why}")


def _refuse_enabled(rule: _Toggle | None, field: str, why: str) -> None:
    if rule is not None and rule.enabled:
        raise _unsupported(field, why)


def _refuse_set(value: object, field: str, why: str) -> None:
    if value is not None and value != "" and value != [] and value != {}:
        raise _unsupported(field, why)


def _check_unsupported(policy: AutopilotPolicy) -> None:
    no_rule = "the autoscaler scales parallelism on the busiest vertex's busy time only"
    up, down = policy.scale_up_rules, policy.scale_down_rules
    if up is not None:
        _refuse_enabled(up.delay_rule, "scaleUpRules.delayRule", no_rule)
        _refuse_enabled(up.gc_rule, "scaleUpRules.gcRule", no_rule)
        _refuse_enabled(up.memory_scale_up_rule, "scaleUpRules.memoryScaleUpRule", no_rule)
        _refuse_enabled(up.oom_scale_up_rule, "scaleUpRules.oomScaleUpRule", no_rule)
    if down is not None:
        _refuse_enabled(down.memory_scale_down_rule, "scaleDownRules.memoryScaleDownRule", no_rule)
    sampled = "the autoscaler samples every running job once per round (server setting)"
    slot_up = up.slot_busy_scale_up_rule if up else None
    slot_down = down.slot_busy_scale_down_rule if down else None
    for rule, field in (
        (slot_up, "scaleUpRules.slotBusyScaleUpRule"),
        (slot_down, "scaleDownRules.slotBusyScaleDownRule"),
    ):
        if rule is not None and rule.enabled is False:
            raise _unsupported(
                field + ".enabled",
                "slot-busy scaling cannot be turned off alone; set enabled=false to stop tuning",
            )
    if slot_up is not None:
        _refuse_set(
            slot_up.slot_busy_scale_up_sample_interval,
            "scaleUpRules.slotBusyScaleUpRule.slotBusyScaleUpSampleInterval",
            sampled,
        )
    if slot_down is not None:
        _refuse_set(
            slot_down.slot_busy_scale_down_sample_interval,
            "scaleDownRules.slotBusyScaleDownRule.slotBusyScaleDownSampleInterval",
            sampled,
        )
    if policy.limits is not None:
        resources = "the autoscaler changes parallelism only, never CPU or memory"
        _refuse_set(policy.limits.job_max_cpu, "limits.jobMaxCpu", resources)
        _refuse_set(policy.limits.job_max_memory, "limits.jobMaxMemory", resources)
    advanced = policy.advanced_rules
    if advanced is not None:
        _refuse_enabled(advanced, "advancedRules", "Millstream has no advanced tuning rules")
        _refuse_set(advanced.parameters, "advancedRules.parameters", "no advanced rules exist")
    silent = policy.silent_period_config
    if silent is not None:
        _refuse_enabled(silent, "silentPeriodConfig", "Millstream has no silent periods")
        _refuse_set(silent.silent_periods, "silentPeriodConfig.silentPeriods", "no silent periods")


def _thresholds(policy: AutopilotPolicy) -> tuple[float, float]:
    """``(target_utilization, utilization_boundary)`` from the slot-busy thresholds."""
    up_rule = policy.scale_up_rules.slot_busy_scale_up_rule if policy.scale_up_rules else None
    down_rule = (
        policy.scale_down_rules.slot_busy_scale_down_rule if policy.scale_down_rules else None
    )
    up = up_rule.slot_busy_scale_up_threshold if up_rule else None
    down = down_rule.slot_busy_scale_down_threshold if down_rule else None
    high = _DEFAULTS.target_utilization + _DEFAULTS.utilization_boundary if up is None else up
    low = _DEFAULTS.target_utilization - _DEFAULTS.utilization_boundary if down is None else down
    if not 0.0 < high <= 1.0:
        raise InvalidInput(
            "policyConfig.scaleUpRules.slotBusyScaleUpRule.slotBusyScaleUpThreshold must be "
            f"above 0 and at most 1, got {high}"
        )
    if not 0.0 < low < high:
        raise InvalidInput(
            "policyConfig.scaleDownRules.slotBusyScaleDownRule.slotBusyScaleDownThreshold must "
            f"be above 0 and below the scale-up threshold ({high}), got {low}"
        )
    return (high + low) / 2, (high - low) / 2


def policy_patch(body: UpdateAutopilotPolicyBody) -> AutoscaleConfigPatch:
    """The autoscaler settings an UpdateAutopilotPolicy asks for (``InvalidInput`` if it
    asks for something the autoscaler cannot do)."""
    enabled: bool | None = None
    recommend_only: bool | None = None
    mode = body.mode
    if body.enabled is not None:
        implied = AutopilotMode.ACTIVE if body.enabled else AutopilotMode.DISABLED
        if mode is not None and mode is not implied:
            raise InvalidInput(
                f"enabled={str(body.enabled).lower()} contradicts mode={mode.value}; "
                "send one of them"
            )
        mode = implied
    if mode is AutopilotMode.ACTIVE:
        enabled, recommend_only = True, False
    elif mode is AutopilotMode.MONITORING:
        enabled, recommend_only = True, True
    elif mode is AutopilotMode.DISABLED:
        enabled = False
    policy = body.policy_config
    if policy is None:
        return AutoscaleConfigPatch(enabled=enabled, recommend_only=recommend_only)
    _check_unsupported(policy)
    limits = policy.limits or _Limits()
    cool_down = limits.cool_down_minutes
    if cool_down is not None and not 0 <= cool_down <= _MAX_COOL_DOWN_MINUTES:
        raise InvalidInput(
            f"policyConfig.limits.coolDownMinutes must be between 0 and "
            f"{_MAX_COOL_DOWN_MINUTES}, got {cool_down}"
        )
    target, boundary = _thresholds(policy)
    # A full replacement: whatever the policy leaves out goes back to its default.
    return AutoscaleConfigPatch(
        enabled=enabled,
        recommend_only=recommend_only,
        min_parallelism=(
            _DEFAULTS.min_parallelism
            if limits.job_min_parallelism is None
            else limits.job_min_parallelism
        ),
        max_parallelism=(
            _DEFAULTS.max_parallelism
            if limits.job_max_parallelism is None
            else limits.job_max_parallelism
        ),
        cool_down_seconds=(_DEFAULTS.cool_down_seconds if cool_down is None else cool_down * 60.0),
        target_utilization=target,
        utilization_boundary=boundary,
    )


def _minutes(seconds: float) -> int | float:
    minutes = seconds / 60.0
    return int(minutes) if minutes.is_integer() else round(minutes, 2)


def policy_to_wire(config: AutoscaleConfig) -> dict[str, Any]:
    """GetAutopilotPolicy's ``data``: ``enabled``, ``policyConfig`` and ``mode``."""
    off = {"enabled": False}
    policy = {
        "limits": {
            "coolDownMinutes": _minutes(config.cool_down_seconds),
            "jobMaxCpu": None,
            "jobMaxMemory": None,
            "jobMaxParallelism": config.max_parallelism,
            "jobMinParallelism": config.min_parallelism,
        },
        "scaleUpRules": {
            "delayRule": off,
            "gcRule": off,
            "memoryScaleUpRule": off,
            "oomScaleUpRule": off,
            "slotBusyScaleUpRule": {
                "enabled": True,
                "slotBusyScaleUpThreshold": round(
                    config.target_utilization + config.utilization_boundary, 4
                ),
            },
        },
        "scaleDownRules": {
            "memoryScaleDownRule": off,
            "slotBusyScaleDownRule": {
                "enabled": True,
                "slotBusyScaleDownThreshold": round(
                    config.target_utilization - config.utilization_boundary, 4
                ),
            },
        },
        "advancedRules": {"enabled": False, "parameters": {}},
        "silentPeriodConfig": {"enabled": False, "silentPeriods": []},
    }
    mode = mode_of(config)
    return {"enabled": mode is AutopilotMode.ACTIVE, "mode": mode.value, "policyConfig": policy}


_ACTION_TYPES = {
    ScalingAction.SCALE_UP: "SCALE_UP_PARALLELISM",
    ScalingAction.SCALE_DOWN: "SCALE_DOWN_PARALLELISM",
    ScalingAction.KEEP: "KEEP",
}
# SDK tuning states where one fits; RECOMMENDED (monitoring mode) and KEPT (a plan that
# changes nothing, which ListAutopilotTuningHistories leaves out) have none.
_TUNING_STATES = {
    PlanOutcome.APPLIED: "SUCCESS",
    PlanOutcome.FAILED: "FAILED",
    PlanOutcome.COOLING_DOWN: "TERMINATED",
    PlanOutcome.RECOMMENDED: "RECOMMENDED",
    PlanOutcome.KEPT: "KEPT",
}


def tuning_history_to_wire(plan: AutoscalePlan, deployment_name: str) -> dict[str, Any]:
    """SDK ``TuningHistory`` of one recorded plan."""
    decision = plan.decision
    message = decision.reason if not plan.message else f"{decision.reason}; {plan.message}"
    annotations = {"millstream.outcome": plan.outcome.value, "millstream.plan": plan.name}
    if plan.hot_update_id:
        annotations["millstream.hotUpdateId"] = plan.hot_update_id
    failed = plan.outcome is PlanOutcome.FAILED
    return {
        "tuningId": plan.id,
        "jobId": plan.job_id,
        "deploymentName": deployment_name,
        "actionType": _ACTION_TYPES[decision.action],
        "tuningState": _TUNING_STATES[plan.outcome],
        "tuningMessage": message,
        "triggerTime": int(plan.created_at.timestamp() * 1000),
        "isHotUpdate": True,
        "oldResourceSetting": {
            "parallelism": decision.current_parallelism,
            "cpu": None,
            "memory": None,
        },
        "newResourceSetting": (
            {"parallelism": decision.proposed_parallelism, "cpu": None, "memory": None}
            if not failed
            else None
        ),
        "annotations": annotations,
    }
