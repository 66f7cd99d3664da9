"""Scheduled plans, resource plans and lineage through the official ververica SDK client,
against the app served by uvicorn in-process over real services on SQLite and a fake
Flink (its plan is a two-vertex graph). The leader task runs on a clock the test moves:
a boundary is applied once, a pause catches up with the newest boundary only, and a
restarted runner (a new process) does not apply it again."""

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
from millstream.control.notifier import Notifier
from millstream.control.scheduled_plans import ScheduledPlanRunner
from millstream.control.services import DeploymentPatch
from millstream.control.services.hot_updates import HotUpdateService
from millstream.control.services.lineage import LineageService
from millstream.control.services.resource_plans import ResourcePlanService
from millstream.control.services.scheduled_plans import ScheduledPlanService
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.engine.sql_lineage import plan_table_edges, sql_lineage
from millstream.store.hot_updates import SqlHotUpdateStore
from millstream.store.scheduled_plans import SqlScheduledPlanStore
from tests.integration.api.test_foas_resources import NS, SQL, WS, World
from tests.ports import free_port

from .conftest import authenticate_admin

RT = RuntimeOptions()
HOUR = 3_600_000


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclasses.dataclass
class Stack:
    world: World
    sdk: Client
    deployment_id: str
    runner: ScheduledPlanRunner
    clock: Clock
    plan_store: SqlScheduledPlanStore


def _free_port() -> int:
    return free_port()  # reserved: safe under pytest-xdist (tests/ports.py)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    world = World(tmp_path)
    clock = Clock()
    plan_store = SqlScheduledPlanStore(world.store.engine)
    hot_update_store = SqlHotUpdateStore(world.store.engine)
    deployments = world.services.deployments
    hot_updates = HotUpdateService(hot_update_store, world.services.jobs, deployments, Notifier())
    resource_plans = ResourcePlanService(plan_store, deployments)
    world.services = dataclasses.replace(
        world.services,
        scheduled_plans=ScheduledPlanService(
            plan_store, deployments, hot_update_store, clock=clock
        ),
        resource_plans=resource_plans,
        lineage=LineageService(plan_store, deployments, sql_lineage, plan_table_edges),
    )
    runner = ScheduledPlanRunner(plan_store, world.store, deployments, hot_updates, clock=clock)
    deployment = deployments.create(
        Scope(WS, NS),
        SYSTEM,
        DeploymentPatch(name="orders", artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=SQL)),
    )
    port = _free_port()
    app = build_app(world.services, authenticate_admin)
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
        yield Stack(world, Client(config), deployment.id, runner, clock, plan_store)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        resource_plans.close()
        world.close()


def _policy(parallelism: int, at_ms: int) -> vv.PeriodicSchedulingPolicy:
    return vv.PeriodicSchedulingPolicy(
        periodic_scheduling_level="DAY",
        periodic_trigger_time=at_ms,
        resource_setting=vv.BriefResourceSetting(
            streaming_resource_setting=vv.StreamingResourceSetting(
                basic_resource_setting=vv.BasicResourceSetting(parallelism=parallelism)
            ),
            flink_conf={"pipeline.name": f"p{parallelism}"},
        ),
    )


def _create(stack: Stack, *policies: vv.PeriodicSchedulingPolicy) -> Any:
    return stack.sdk.create_scheduled_plan_with_options(
        NS,
        vv.CreateScheduledPlanRequest(
            body=vv.ScheduledPlan(
                name="day-night",
                deployment_id=stack.deployment_id,
                periodic_scheduling_policies=list(policies),
            )
        ),
        vv.CreateScheduledPlanHeaders(workspace=WS),
        RT,
    ).body.data


def _history(stack: Stack) -> list[Any]:
    data: list[Any] = stack.sdk.list_scheduled_plan_executed_history_with_options(
        NS,
        vv.ListScheduledPlanExecutedHistoryRequest(deployment_id=stack.deployment_id),
        vv.ListScheduledPlanExecutedHistoryHeaders(workspace=WS),
        RT,
    ).body.data
    return data


def _parallelism(stack: Stack) -> int:
    return stack.world.services.deployments.get(
        Scope(WS, NS), stack.deployment_id
    ).resources.parallelism


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def test_boundaries_are_applied_once_and_a_pause_catches_up_once(stack: Stack) -> None:
    stack.clock.now = _midnight(datetime.now(UTC)) + timedelta(hours=7)
    plan = _create(stack, _policy(3, 8 * HOUR), _policy(1, 20 * HOUR))
    stack.sdk.apply_scheduled_plan_with_options(
        NS, plan.scheduled_plan_id, vv.ApplyScheduledPlanHeaders(workspace=WS), RT
    )
    assert stack.runner.run_iteration() == 0  # no boundary since the plan was applied
    stack.clock.now += timedelta(hours=1, seconds=1)  # 08:00:01
    assert stack.runner.run_iteration() == 1
    assert _parallelism(stack) == 3
    assert stack.runner.run_iteration() == 0  # the same boundary is not applied twice
    first = _history(stack)
    assert [e.status.restart_type for e in first] == ["NO_RESTART"]  # no job runs
    assert first[0].status.status_state == "FINISHED"
    assert first[0].name == "day-night"

    # Down for two days and a half: only the newest boundary (20:00) is applied, once.
    stack.clock.now += timedelta(days=2, hours=13)  # 21:00:01 two days later
    restarted = ScheduledPlanRunner(
        stack.plan_store,
        stack.world.store,
        stack.world.services.deployments,
        stack.runner._hot_updates,
        clock=stack.clock,
    )
    assert restarted.run_iteration() == 1
    assert _parallelism(stack) == 1
    assert restarted.run_iteration() == 0
    assert len(_history(stack)) == 2
    conf = stack.world.services.deployments.get(Scope(WS, NS), stack.deployment_id).flink_conf
    assert conf["pipeline.name"] == "p1"

    # Stopped: boundaries pass without changes.
    stack.sdk.stop_apply_scheduled_plan_with_options(
        NS, plan.scheduled_plan_id, vv.StopApplyScheduledPlanHeaders(workspace=WS), RT
    )
    stack.clock.now += timedelta(days=1)
    assert restarted.run_iteration() == 0


def test_resource_plan_and_lineage_over_the_sdk(stack: Stack) -> None:
    ticket = stack.sdk.generate_resource_plan_with_flink_conf_async_with_options(
        NS,
        stack.deployment_id,
        vv.GenerateResourcePlanWithFlinkConfAsyncRequest(body={"parallelism.default": 4}),
        vv.GenerateResourcePlanWithFlinkConfAsyncHeaders(workspace=WS),
        RT,
    ).body.data.ticket_id
    deadline = time.monotonic() + 10
    while True:
        result = stack.sdk.get_generate_resource_plan_result_with_options(
            NS, ticket, vv.GetGenerateResourcePlanResultHeaders(workspace=WS), RT
        ).body.data
        if result.ticket_status != "EXECUTING" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert result.ticket_status == "FINISHED", result.message
    assert '"parallelism":4' in result.plan

    lineage = stack.sdk.get_lineage_info_with_options(
        vv.GetLineageInfoRequest(
            body=vv.GetLineageInfoParams(
                id=stack.deployment_id, id_type="JOB", namespace=NS, workspace=WS
            )
        ),
        vv.GetLineageInfoHeaders(workspace=WS),
        RT,
    ).body.data
    d = "default_catalog.default_database"
    assert [(e.source, e.destination) for e in lineage.edges.column_lineage] == [
        (f"{d}.s.a", f"{d}.t.a")
    ]
    with pytest.raises(ClientException) as caught:
        stack.sdk.get_lineage_info_with_options(
            vv.GetLineageInfoRequest(
                body=vv.GetLineageInfoParams(id="nope.nope.nope", id_type="TABLE", namespace=NS)
            ),
            vv.GetLineageInfoHeaders(workspace=WS),
            RT,
        )
    assert caught.value.status_code == 404


def test_changes_written_to_an_applied_plan_do_not_fire_retroactively(stack: Stack) -> None:
    stack.clock.now = _midnight(datetime.now(UTC)) + timedelta(hours=7)
    plan = _create(stack, _policy(3, 8 * HOUR))
    stack.sdk.apply_scheduled_plan_with_options(
        NS, plan.scheduled_plan_id, vv.ApplyScheduledPlanHeaders(workspace=WS), RT
    )
    stack.clock.now += timedelta(hours=2)  # 09:00: the 08:00 boundary passed unseen
    stack.sdk.update_scheduled_plan_with_options(
        NS,
        plan.scheduled_plan_id,
        vv.UpdateScheduledPlanRequest(
            body=vv.ScheduledPlan(periodic_scheduling_policies=[_policy(2, 8 * HOUR + 60_000)])
        ),
        vv.UpdateScheduledPlanHeaders(workspace=WS),
        RT,
    )
    assert stack.runner.run_iteration() == 0
    stack.clock.now += timedelta(days=1)
    assert stack.runner.run_iteration() == 1
    assert _parallelism(stack) == 2
