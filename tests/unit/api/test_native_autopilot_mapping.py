"""The native Autopilot wire mapped onto the one autoscaler's settings
(``api.native.mappers.autopilot``): modes, bounds, cool-down, thresholds, what is refused,
and tuning histories from recorded plans."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from millstream.api.native.mappers.autopilot import (
    AutopilotMode,
    UpdateAutopilotPolicyBody,
    mode_of,
    policy_patch,
    policy_to_wire,
    tuning_history_to_wire,
)
from millstream.domain.autoscale import (
    AutoscaleConfig,
    AutoscalePlan,
    PlanOutcome,
    ScalingDecision,
)
from millstream.domain.errors import InvalidInput


def _body(**wire: Any) -> UpdateAutopilotPolicyBody:
    return UpdateAutopilotPolicyBody.model_validate(wire)


@pytest.mark.parametrize(
    ("wire", "enabled", "recommend_only"),
    [
        ({"enabled": True}, True, False),
        ({"enabled": False}, False, None),
        ({"mode": "ACTIVE"}, True, False),
        ({"mode": "MONITORING"}, True, True),
        ({"mode": "DISABLED"}, False, None),
        ({}, None, None),
    ],
)
def test_modes_map_to_enabled_and_recommend_only(
    wire: dict[str, Any], enabled: bool | None, recommend_only: bool | None
) -> None:
    patch = policy_patch(_body(**wire))
    assert (patch.enabled, patch.recommend_only) == (enabled, recommend_only)
    assert patch.max_parallelism is None  # no policyConfig: the policy is kept


def test_enabled_contradicting_mode_is_refused() -> None:
    with pytest.raises(InvalidInput, match="contradicts mode=MONITORING"):
        policy_patch(_body(enabled=True, mode="MONITORING"))


@pytest.mark.parametrize(
    ("config", "mode", "enabled"),
    [
        (AutoscaleConfig(), AutopilotMode.DISABLED, False),
        (AutoscaleConfig(enabled=True), AutopilotMode.ACTIVE, True),
        (AutoscaleConfig(enabled=True, recommend_only=True), AutopilotMode.MONITORING, False),
    ],
)
def test_the_read_shows_the_mode(
    config: AutoscaleConfig, mode: AutopilotMode, enabled: bool
) -> None:
    assert mode_of(config) is mode
    wire = policy_to_wire(config)
    assert (wire["mode"], wire["enabled"]) == (mode.value, enabled)


def test_a_policy_sets_bounds_cool_down_and_the_busy_band() -> None:
    patch = policy_patch(
        _body(
            policyConfig={
                "limits": {"coolDownMinutes": 3, "jobMinParallelism": 2, "jobMaxParallelism": 6},
                "scaleUpRules": {
                    "slotBusyScaleUpRule": {"enabled": True, "slotBusyScaleUpThreshold": 0.9},
                    "gcRule": {"enabled": False},
                },
                "scaleDownRules": {
                    "slotBusyScaleDownRule": {"slotBusyScaleDownThreshold": 0.3},
                },
                "advancedRules": {"enabled": False, "parameters": {}},
                "silentPeriodConfig": {"enabled": False, "silentPeriods": []},
            }
        )
    )
    config = patch.apply(AutoscaleConfig())
    assert (config.min_parallelism, config.max_parallelism) == (2, 6)
    assert config.cool_down_seconds == 180.0
    assert config.target_utilization == pytest.approx(0.6)
    assert config.utilization_boundary == pytest.approx(0.3)


def test_a_policy_is_a_full_replacement() -> None:
    current = AutoscaleConfig(enabled=True, max_parallelism=20, cool_down_seconds=60.0)
    config = policy_patch(_body(policyConfig={})).apply(current)
    defaults = AutoscaleConfig()
    assert config.enabled is True  # ``enabled`` was not sent: kept
    assert config.max_parallelism == defaults.max_parallelism
    assert config.cool_down_seconds == defaults.cool_down_seconds


@given(
    st.floats(min_value=0.1, max_value=1.0),
    st.floats(min_value=0.01, max_value=0.99),
    st.integers(min_value=1, max_value=64),
    st.integers(min_value=0, max_value=600),
)
def test_what_is_written_reads_back(high: float, share: float, top: int, minutes: int) -> None:
    low = high * share
    wire = {
        "limits": {"coolDownMinutes": minutes, "jobMinParallelism": 1, "jobMaxParallelism": top},
        "scaleUpRules": {"slotBusyScaleUpRule": {"slotBusyScaleUpThreshold": high}},
        "scaleDownRules": {"slotBusyScaleDownRule": {"slotBusyScaleDownThreshold": low}},
    }
    try:
        config = policy_patch(_body(policyConfig=wire)).apply(AutoscaleConfig())
    except InvalidInput:
        assert (high + low) / 2 < 0.05  # below the autoscaler's lowest target
        return
    read = policy_to_wire(config)["policyConfig"]
    assert read["limits"]["coolDownMinutes"] == minutes
    assert read["limits"]["jobMaxParallelism"] == top
    up = read["scaleUpRules"]["slotBusyScaleUpRule"]["slotBusyScaleUpThreshold"]
    down = read["scaleDownRules"]["slotBusyScaleDownRule"]["slotBusyScaleDownThreshold"]
    assert up == pytest.approx(high, abs=1e-4)
    assert down == pytest.approx(low, abs=1e-4)


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"scaleUpRules": {"delayRule": {"enabled": True}}}, "scaleUpRules.delayRule"),
        ({"scaleUpRules": {"gcRule": {"enabled": True}}}, "scaleUpRules.gcRule"),
        ({"scaleUpRules": {"oomScaleUpRule": {"enabled": True}}}, "oomScaleUpRule"),
        ({"scaleUpRules": {"memoryScaleUpRule": {"enabled": True}}}, "memoryScaleUpRule"),
        ({"scaleDownRules": {"memoryScaleDownRule": {"enabled": True}}}, "memoryScaleDownRule"),
        (
            {"scaleUpRules": {"slotBusyScaleUpRule": {"enabled": False}}},
            "slotBusyScaleUpRule.enabled",
        ),
        (
            {"scaleDownRules": {"slotBusyScaleDownRule": {"enabled": False}}},
            "slotBusyScaleDownRule.enabled",
        ),
        (
            {"scaleUpRules": {"slotBusyScaleUpRule": {"slotBusyScaleUpSampleInterval": "5m"}}},
            "slotBusyScaleUpSampleInterval",
        ),
        ({"limits": {"jobMaxCpu": 4.0}}, "limits.jobMaxCpu"),
        ({"limits": {"jobMaxMemory": "8Gi"}}, "limits.jobMaxMemory"),
        ({"advancedRules": {"enabled": True}}, "advancedRules"),
        ({"advancedRules": {"parameters": {"k": "v"}}}, "advancedRules.parameters"),
        ({"silentPeriodConfig": {"enabled": True}}, "silentPeriodConfig"),
        (
            {"silentPeriodConfig": {"silentPeriods": [{"beginTime": 1, "level": "DAY"}]}},
            "silentPeriodConfig.silentPeriods",
        ),
    ],
)
def test_what_the_autoscaler_cannot_do_is_refused_by_name(
    policy: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput, match="is not supported") as caught:
        policy_patch(_body(enabled=True, policyConfig=policy))
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ({"limits": {"coolDownMinutes": -1}}, "coolDownMinutes"),
        (
            {"scaleUpRules": {"slotBusyScaleUpRule": {"slotBusyScaleUpThreshold": 1.5}}},
            "slotBusyScaleUpThreshold",
        ),
        (
            {"scaleDownRules": {"slotBusyScaleDownRule": {"slotBusyScaleDownThreshold": 0.95}}},
            "below the scale-up threshold",
        ),
    ],
)
def test_out_of_range_values_are_refused(policy: dict[str, Any], needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        policy_patch(_body(policyConfig=policy))


def test_an_unknown_field_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError):
        _body(policyConfig={"limits": {"jobMaxGpu": 1}})


def _plan(outcome: PlanOutcome, current: int = 2, proposed: int = 4) -> AutoscalePlan:
    return AutoscalePlan(
        id="p1",
        workspace="w",
        namespace="n",
        deployment_id="d1",
        job_id="j1",
        name="2026-12-04 21:30:05",
        created_at=datetime(2026, 12, 4, 21, 30, 5, tzinfo=UTC),
        decision=ScalingDecision(current, proposed, "busy", 0.95, "Calc"),
        inputs=(),
        config=AutoscaleConfig(enabled=True),
        outcome=outcome,
        message="refused: no slots" if outcome is PlanOutcome.FAILED else None,
        hot_update_id="h1" if outcome is PlanOutcome.APPLIED else None,
    )


@pytest.mark.parametrize(
    ("outcome", "state"),
    [
        (PlanOutcome.APPLIED, "SUCCESS"),
        (PlanOutcome.FAILED, "FAILED"),
        (PlanOutcome.COOLING_DOWN, "TERMINATED"),
        (PlanOutcome.RECOMMENDED, "RECOMMENDED"),
    ],
)
def test_a_plan_outcome_is_a_tuning_state(outcome: PlanOutcome, state: str) -> None:
    wire = tuning_history_to_wire(_plan(outcome), "orders")
    assert wire["tuningState"] == state
    assert wire["annotations"]["millstream.outcome"] == outcome.value


def test_a_tuning_history_carries_the_plan() -> None:
    wire = tuning_history_to_wire(_plan(PlanOutcome.APPLIED, 4, 2), "orders")
    assert wire["actionType"] == "SCALE_DOWN_PARALLELISM"
    assert wire["oldResourceSetting"]["parallelism"] == 4
    assert wire["newResourceSetting"]["parallelism"] == 2
    assert wire["triggerTime"] == 1796419805000
    assert wire["deploymentName"] == "orders"
    failed = tuning_history_to_wire(_plan(PlanOutcome.FAILED), "orders")
    assert failed["newResourceSetting"] is None
    assert failed["tuningMessage"] == "busy; refused: no slots"
