"""foas autoscaling operations (UpdateAutoScaleConfig, GetJobLatestAutoScalePlan,
GetInstanceHistoryAutoScalePlanList / Content) over real services on SQLite, through
httpx's ASGITransport, with requests built and signed by the official SDK. Plans are
written as the autoscaler writes them (its store); the planning itself is covered by
tests/unit/control/test_autoscaler.py and, on real Flink, tests/compat/foas."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aliyunsdkfoas.request.v20181111 import (
    CommitJobRequest,
    CreateJobRequest,
    GetInstanceHistoryAutoScalePlanContentRequest,
    GetInstanceHistoryAutoScalePlanListRequest,
    GetJobLatestAutoScalePlanRequest,
    UpdateAutoScaleConfigRequest,
)

from millstream.api.app import create_api
from millstream.api.foas import FOAS
from millstream.api.foas.ids import Ids
from millstream.control.context import SYSTEM, Scope
from millstream.control.services.autoscale import AutoscaleService
from millstream.domain.autoscale import (
    AutoscaleConfig,
    AutoscalePlan,
    PlanOutcome,
    ScalingDecision,
    VertexLoad,
)
from millstream.store.autoscale import SqlAutoscaleStore
from tests.integration.api.test_foas_resources import HOST, NS, PROJECT, SQL, WS, Foas, World

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

T0 = datetime(2026, 12, 4, 21, 30, 5, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = World(tmp_path)
    built.services = dataclasses.replace(
        built.services,
        autoscale=AutoscaleService(
            SqlAutoscaleStore(built.store.engine), built.services.deployments
        ),
    )
    yield built
    built.close()


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app = create_api(world.services, world.access, dialects=[FOAS], max_body_bytes=8192)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        yield client


@pytest.fixture
def foas(http: httpx.AsyncClient, world: World) -> Foas:
    return Foas(http, world.admin.key.id, world.admin.secret)


def _request(cls: Any, job: str = "orders", **fields: Any) -> Any:
    request = cls()
    request.set_projectName(PROJECT)
    request.set_jobName(job)
    for key, value in fields.items():
        getattr(request, f"set_{key}")(value)
    return request


def _configure(settings: dict[str, Any], instance: str = "-1") -> Any:
    return _request(
        UpdateAutoScaleConfigRequest.UpdateAutoScaleConfigRequest,
        instanceId=instance,
        configJson=json.dumps(settings),
    )


async def _create_job(foas: Foas, name: str = "orders") -> None:
    await foas.ok(
        _request(
            CreateJobRequest.CreateJobRequest,
            job=name,
            jobType="FLINK_STREAM",
            apiType="SQL",
            code=SQL,
        )
    )


def _record_plan(world: World, job_id: str, at: datetime, outcome: PlanOutcome) -> AutoscalePlan:
    deployment = world.services.deployments.get_by_name(Scope(WS, NS), "orders")
    plan = AutoscalePlan(
        id=f"plan-{at.timestamp():.0f}",
        workspace=WS,
        namespace=NS,
        deployment_id=deployment.id,
        job_id=job_id,
        name=at.strftime("%Y-%m-%d %H:%M:%S"),
        created_at=at,
        decision=ScalingDecision(1, 2, "the busiest vertex is 95% busy", 0.95, "Calc"),
        inputs=(VertexLoad("v1", "Calc", 1, 950.0, 0.0),),
        config=AutoscaleConfig(enabled=True),
        outcome=outcome,
        message="hot update h1" if outcome is PlanOutcome.APPLIED else None,
        hot_update_id="h1" if outcome is PlanOutcome.APPLIED else None,
    )
    with SqlAutoscaleStore(world.store.engine).transaction() as repos:
        repos.create_autoscale_plan(plan=plan)
    return plan


async def test_update_config_enables_and_merges_settings(foas: Foas, world: World) -> None:
    await _create_job(foas)
    answer = await foas.ok(_configure({"autoscale.enable": "true"}))
    assert json.loads(answer["AutoScaleConfig"])["autoscale.enable"] is True
    await foas.ok(
        _configure(
            {
                "autoscale.max-parallelism": 3,
                "autoscale.target-utilization": "0.6",
                "autoscale.cool-down-seconds": 0,
            }
        )
    )
    service = world.services.autoscale
    assert service is not None
    deployment = world.services.deployments.get_by_name(Scope(WS, NS), "orders")
    assert service.config(Scope(WS, NS), deployment.id) == AutoscaleConfig(
        enabled=True, max_parallelism=3, target_utilization=0.6, cool_down_seconds=0.0
    )
    await foas.ok(_configure({"autoscale.enable": False}))
    assert service.config(Scope(WS, NS), deployment.id).enabled is False


@pytest.mark.parametrize(
    ("config_json", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("{}", "one or more of"),
        ('["autoscale.enable"]', "one or more of"),
        ('{"autoscale.turbo": true}', "autoscale.turbo is not known"),
        ('{"autoscale.enable": "yes"}', "true or false"),
        ('{"autoscale.max-parallelism": 2.5}', "whole number"),
        ('{"autoscale.max-parallelism": true}', "a number"),
        ('{"autoscale.target-utilization": "NaN"}', "finite"),
        ('{"autoscale.target-utilization": 3}', "target utilisation"),
        ('{"autoscale.min-parallelism": 5, "autoscale.max-parallelism": 2}', "maximum"),
    ],
)
async def test_bad_config_is_a_400(foas: Foas, config_json: str, needle: str) -> None:
    await _create_job(foas)
    request = _request(
        UpdateAutoScaleConfigRequest.UpdateAutoScaleConfigRequest,
        instanceId="-1",
        configJson=config_json,
    )
    status, error = await foas.error(request)
    assert (status, error["Code"]) == (400, "InvalidParameter"), error
    assert needle in error["Message"]


async def test_unknown_job_instance_and_plan_are_404(foas: Foas) -> None:
    status, error = await foas.error(
        _request(GetJobLatestAutoScalePlanRequest.GetJobLatestAutoScalePlanRequest, job="nope")
    )
    assert (status, error["Code"]) == (404, "Job.NotFound")
    await _create_job(foas)
    status, error = await foas.error(_configure({"autoscale.enable": True}, instance="999"))
    assert status == 404, error
    status, error = await foas.error(_configure({"autoscale.enable": True}, instance="x"))
    assert status == 400, error
    content = _request(
        GetInstanceHistoryAutoScalePlanContentRequest.GetInstanceHistoryAutoScalePlanContentRequest,
        instanceId="-1",
        planName="2020-01-01 00:00:00",
    )
    status, error = await foas.error(content)
    assert status == 404, error
    missing = _request(
        GetInstanceHistoryAutoScalePlanContentRequest.GetInstanceHistoryAutoScalePlanContentRequest,
        instanceId="-1",
    )
    status, error = await foas.error(missing)
    assert (status, error["Code"]) == (400, "MissingParameter")


async def test_plans_are_listed_and_shown_with_their_inputs(foas: Foas, world: World) -> None:
    await _create_job(foas)
    assert "PlanJson" not in await foas.ok(
        _request(GetJobLatestAutoScalePlanRequest.GetJobLatestAutoScalePlanRequest)
    )
    deployment = world.services.deployments.get_by_name(Scope(WS, NS), "orders")
    first = world.services.jobs.start(Scope(WS, NS), SYSTEM, deployment.id)
    older = _record_plan(world, first.id, T0, PlanOutcome.APPLIED)
    newer = _record_plan(world, "another-run", T0 + timedelta(seconds=30), PlanOutcome.KEPT)

    listing = GetInstanceHistoryAutoScalePlanListRequest.GetInstanceHistoryAutoScalePlanListRequest
    every = await foas.ok(_request(listing, instanceId="-1"))
    assert every["PlanList"] == [newer.name, older.name]
    instance = world.services.external_keys
    assert instance is not None
    number = Ids(instance, workspace=WS).instance_id(first.id)
    of_first = await foas.ok(_request(listing, instanceId=str(number)))
    assert of_first["PlanList"] == [older.name]

    latest = json.loads(
        (
            await foas.ok(
                _request(GetJobLatestAutoScalePlanRequest.GetJobLatestAutoScalePlanRequest)
            )
        )["PlanJson"]
    )
    assert (latest["planName"], latest["outcome"], latest["action"]) == (
        newer.name,
        "KEPT",
        "SCALE_UP",
    )
    assert latest["instanceId"] is None  # its instance no longer exists
    content_request = (
        GetInstanceHistoryAutoScalePlanContentRequest.GetInstanceHistoryAutoScalePlanContentRequest
    )
    content = json.loads(
        (await foas.ok(_request(content_request, instanceId=str(number), planName=older.name)))[
            "PlanContent"
        ]
    )
    assert content["instanceId"] == number
    assert (content["currentParallelism"], content["proposedParallelism"]) == (1, 2)
    assert (content["outcome"], content["hotUpdateId"]) == ("APPLIED", "h1")
    assert content["vertices"] == [
        {
            "id": "v1",
            "name": "Calc",
            "parallelism": 1,
            "busyTimeMsPerSecond": 950.0,
            "backPressuredTimeMsPerSecond": 0.0,
        }
    ]
    assert content["config"]["autoscale.enable"] is True
    # A plan of another instance is not this instance's.
    status, _ = await foas.error(
        _request(content_request, instanceId=str(number), planName=newer.name)
    )
    assert status == 404


async def test_commit_job_switches_the_autoscaler_only_when_it_names_is_on_off(
    foas: Foas, world: World
) -> None:
    await _create_job(foas)
    service = world.services.autoscale
    assert service is not None
    deployment = world.services.deployments.get_by_name(Scope(WS, NS), "orders")

    def config() -> AutoscaleConfig:
        assert service is not None
        return service.config(Scope(WS, NS), deployment.id)

    await foas.ok(_request(CommitJobRequest.CommitJobRequest, isOnOff="True"))
    assert (config().enabled, config().recommend_only) == (True, False)
    await foas.ok(_request(CommitJobRequest.CommitJobRequest, maxCU="2"))  # no isOnOff
    assert config().enabled is True
    await foas.ok(_request(CommitJobRequest.CommitJobRequest, isOnOff="True", recommendOnly="True"))
    assert (config().enabled, config().recommend_only) == (True, True)
    await foas.ok(_request(CommitJobRequest.CommitJobRequest, isOnOff="False"))
    assert config().enabled is False
