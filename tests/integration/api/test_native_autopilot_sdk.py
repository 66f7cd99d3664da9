"""Native Autopilot (GetAutopilotPolicy, UpdateAutopilotPolicy, ListAutopilotTuningHistories)
and ChatAiAgent through the official ververica SDK client, against the app served by
uvicorn in-process over real services on SQLite, with the same ``AutoscaleService`` the
foas dialect uses. Plans are written as the autoscaler writes them (its store); planning
itself is covered by tests/unit/control/test_autoscaler.py."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_ververica20220718 import models as vv
from alibabacloud_ververica20220718.client import Client
from darabonba.runtime import RuntimeOptions

from millstream.api.app import build_app
from millstream.control.context import SYSTEM, Scope
from millstream.control.services import DeploymentPatch
from millstream.control.services.autoscale import AutoscaleService
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.autoscale import (
    AutoscaleConfig,
    AutoscalePlan,
    PlanOutcome,
    ScalingDecision,
    VertexLoad,
)
from millstream.store.autoscale import SqlAutoscaleStore
from tests.integration.api.test_foas_resources import NS, SQL, WS, World
from tests.ports import free_port

from .conftest import authenticate_admin


@dataclasses.dataclass
class Stack:
    world: World
    sdk: Any
    deployment_id: str


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    world = World(tmp_path)
    services = dataclasses.replace(
        world.services,
        autoscale=AutoscaleService(
            SqlAutoscaleStore(world.store.engine), world.services.deployments
        ),
    )
    world.services = services
    deployment = services.deployments.create(
        Scope(WS, NS),
        SYSTEM,
        DeploymentPatch(name="orders", artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=SQL)),
    )
    port = _free_port()
    app = build_app(services, authenticate_admin)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    config = open_api_models.Config(
        access_key_id="x", access_key_secret="y", endpoint=f"127.0.0.1:{port}", protocol="http"
    )
    try:
        yield Stack(world, Client(config), deployment.id)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        world.close()


def _get(stack: Stack) -> Any:
    response = stack.sdk.get_autopilot_policy_with_options(
        NS,
        stack.deployment_id,
        vv.GetAutopilotPolicyRequest(),
        vv.GetAutopilotPolicyHeaders(workspace=WS),
        RuntimeOptions(),
    )
    assert response.body.success is True
    return response.body.data


def _update(stack: Stack, request: Any) -> Any:
    return stack.sdk.update_autopilot_policy_with_options(
        NS,
        stack.deployment_id,
        request,
        vv.UpdateAutopilotPolicyHeaders(workspace=WS),
        RuntimeOptions(),
    )


def _config(stack: Stack) -> AutoscaleConfig:
    service = stack.world.services.autoscale
    assert service is not None
    return service.config(Scope(WS, NS), stack.deployment_id)


def test_a_new_deployment_has_autopilot_disabled_with_the_default_policy(stack: Stack) -> None:
    data = _get(stack)
    assert data.enabled is False
    limits = data.policy_config.limits
    assert (limits.job_min_parallelism, limits.job_max_parallelism) == (1, 4)
    assert limits.cool_down_minutes == 5
    up = data.policy_config.scale_up_rules.slot_busy_scale_up_rule
    down = data.policy_config.scale_down_rules.slot_busy_scale_down_rule
    assert (up.enabled, up.slot_busy_scale_up_threshold) == (True, 0.9)
    assert (down.enabled, down.slot_busy_scale_down_threshold) == (True, 0.5)
    assert data.policy_config.scale_up_rules.gc_rule.enabled is False


def test_update_autopilot_policy_configures_the_shared_autoscaler(stack: Stack) -> None:
    policy = vv.AutopilotPolicy(
        limits=vv.AutopilotPolicyLimits(
            cool_down_minutes=10, job_min_parallelism=2, job_max_parallelism=8
        ),
        scale_up_rules=vv.AutopilotPolicyScaleUpRules(
            slot_busy_scale_up_rule=vv.AutopilotPolicyScaleUpRulesSlotBusyScaleUpRule(
                enabled=True, slot_busy_scale_up_threshold=0.8
            ),
            gc_rule=vv.AutopilotPolicyScaleUpRulesGcRule(enabled=False),
        ),
        scale_down_rules=vv.AutopilotPolicyScaleDownRules(
            slot_busy_scale_down_rule=vv.AutopilotPolicyScaleDownRulesSlotBusyScaleDownRule(
                enabled=True, slot_busy_scale_down_threshold=0.4
            )
        ),
    )
    response = _update(stack, vv.UpdateAutopilotPolicyRequest(enabled=True, policy_config=policy))
    assert response.body.success is True
    assert response.body.data.enabled is True

    config = _config(stack)
    assert (config.enabled, config.recommend_only) == (True, False)
    assert (config.min_parallelism, config.max_parallelism) == (2, 8)
    assert config.cool_down_seconds == 600.0
    assert config.target_utilization == pytest.approx(0.6)
    assert config.utilization_boundary == pytest.approx(0.2)

    data = _get(stack)
    assert data.enabled is True
    assert data.policy_config.limits.job_max_parallelism == 8
    up = data.policy_config.scale_up_rules.slot_busy_scale_up_rule
    assert up.slot_busy_scale_up_threshold == pytest.approx(0.8)

    # ``enabled`` alone keeps the policy; false turns tuning off.
    assert _update(stack, vv.UpdateAutopilotPolicyRequest(enabled=False)).body.success is True
    assert _config(stack).enabled is False
    assert _config(stack).max_parallelism == 8


def test_what_the_autoscaler_cannot_do_is_a_400_and_changes_nothing(stack: Stack) -> None:
    policy = vv.AutopilotPolicy(
        scale_up_rules=vv.AutopilotPolicyScaleUpRules(
            gc_rule=vv.AutopilotPolicyScaleUpRulesGcRule(enabled=True, gc_time_ratio_threshold=0.3)
        )
    )
    with pytest.raises(ClientException) as caught:
        _update(stack, vv.UpdateAutopilotPolicyRequest(enabled=True, policy_config=policy))
    assert caught.value.code == "InvalidParameter"
    assert "gcRule" in caught.value.message
    with pytest.raises(ClientException) as memory:
        _update(
            stack,
            vv.UpdateAutopilotPolicyRequest(
                policy_config=vv.AutopilotPolicy(
                    limits=vv.AutopilotPolicyLimits(job_max_memory="8Gi")
                )
            ),
        )
    assert "jobMaxMemory" in memory.value.message
    assert _config(stack) == AutoscaleConfig()


def test_an_unknown_deployment_is_not_found(stack: Stack) -> None:
    with pytest.raises(ClientException) as caught:
        stack.sdk.get_autopilot_policy_with_options(
            NS,
            "no-such-deployment",
            vv.GetAutopilotPolicyRequest(),
            vv.GetAutopilotPolicyHeaders(workspace=WS),
            RuntimeOptions(),
        )
    assert caught.value.code == "DeploymentNotFound"


def _record(stack: Stack, at: datetime, outcome: PlanOutcome, proposed: int = 2) -> None:
    plan = AutoscalePlan(
        id=f"plan-{at.timestamp():.0f}",
        workspace=WS,
        namespace=NS,
        deployment_id=stack.deployment_id,
        job_id="job-1",
        name=at.strftime("%Y-%m-%d %H:%M:%S"),
        created_at=at,
        decision=ScalingDecision(1, proposed, "the busiest vertex is 95% busy", 0.95, "Calc"),
        inputs=(VertexLoad("v1", "Calc", 1, 950.0, 0.0),),
        config=AutoscaleConfig(enabled=True),
        outcome=outcome,
        message="hot update h1" if outcome is PlanOutcome.APPLIED else None,
        hot_update_id="h1" if outcome is PlanOutcome.APPLIED else None,
    )
    with SqlAutoscaleStore(stack.world.store.engine).transaction() as repos:
        repos.create_autoscale_plan(plan=plan)


def _histories(stack: Stack, **query: Any) -> Any:
    response = stack.sdk.list_autopilot_tuning_histories_with_options(
        NS,
        stack.deployment_id,
        vv.ListAutopilotTuningHistoriesRequest(**query),
        vv.ListAutopilotTuningHistoriesHeaders(workspace=WS),
        RuntimeOptions(),
    )
    assert response.body.success is True
    return response.body.data


def test_tuning_histories_are_the_recorded_plans_newest_first(stack: Stack) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    _record(stack, now - timedelta(hours=1), PlanOutcome.APPLIED)
    _record(stack, now - timedelta(minutes=30), PlanOutcome.KEPT, proposed=1)
    _record(stack, now - timedelta(minutes=10), PlanOutcome.RECOMMENDED, proposed=3)
    _record(stack, now - timedelta(days=5), PlanOutcome.FAILED)

    data = _histories(stack)
    assert data.total_count == 2  # KEPT is no tuning; the 5-day-old plan is outside 3 days
    newest, applied = data.tuning_histories
    assert (newest.tuning_state, newest.new_resource_setting.parallelism) == ("RECOMMENDED", 3)
    assert applied.action_type == "SCALE_UP_PARALLELISM"
    assert applied.tuning_state == "SUCCESS"
    assert applied.deployment_name == "orders"
    assert applied.old_resource_setting.parallelism == 1
    assert applied.annotations["millstream.hotUpdateId"] == "h1"
    assert applied.trigger_time == int((now - timedelta(hours=1)).timestamp() * 1000)

    week = int((now - timedelta(days=7)).timestamp() * 1000)
    paged = _histories(stack, start_time=week, page_number=2, page_size=2)
    assert paged.total_count == 3
    assert [h.tuning_state for h in paged.tuning_histories] == ["FAILED"]


def test_a_tuning_history_window_over_30_days_is_a_400(stack: Stack) -> None:
    with pytest.raises(ClientException) as caught:
        _histories(stack, start_time=0, end_time=31 * 24 * 3600 * 1000)
    assert caught.value.code == "InvalidParameter"
    assert "30 days" in caught.value.message


def test_chat_ai_agent_is_a_documented_not_found(stack: Stack) -> None:
    with pytest.raises(ClientException) as caught:
        stack.sdk.chat_ai_agent_with_options(
            NS,
            vv.ChatAiAgentRequest(user_message="why is my job slow?"),
            vv.ChatAiAgentHeaders(workspace=WS),
            RuntimeOptions(),
        )
    assert caught.value.code == "NotFound"
    assert "ChatAiAgent is not supported" in caught.value.message
