"""The autoscaler on the in-memory store, a fake Flink and fake vertex loads: it records a
plan per round with its inputs, applies a change through the real hot-update path (the
coordinator and reconciler then restart the job from a savepoint), and respects
stabilisation, cool-down, recommend-only and a hot update in flight. Also the
``AutoscaleService`` use cases and ``FlinkVertexLoads`` on a fake proxy."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from millstream.control.autoscale_ports import StoredAutoscaleConfig
from millstream.control.autoscaler import AUTOSCALER, Autoscaler
from millstream.control.context import Scope
from millstream.control.hot_updates import HotUpdateCoordinator
from millstream.control.notifier import Notifier
from millstream.control.services.autoscale import AutoscaleService
from millstream.control.services.diagnosis import ProxyResource
from millstream.control.services.hot_updates import HotUpdateService
from millstream.control.vertex_loads import FlinkVertexLoads
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.autoscale import (
    AutoscaleConfigPatch,
    AutoscalePlan,
    PlanOutcome,
    ScalingAction,
    VertexLoad,
)
from millstream.domain.errors import EngineUnavailable, InvalidInput, NotFound
from millstream.domain.hot_updates import HotUpdate, HotUpdateChange, HotUpdatePhase
from millstream.domain.jobs import Job, JobStatus, RestoreKind
from millstream.domain.resources import ResourceSetting
from tests.factories import make_job
from tests.unit.control.conftest import ALICE, SCOPE, World
from tests.unit.control.test_hot_updates import InMemoryHotUpdateStore


class _Repos:
    def __init__(self, configs: dict[str, StoredAutoscaleConfig], plans: list[AutoscalePlan]):
        self.configs = configs
        self.plans = plans

    def read_autoscale_config(self, *, deployment_id: str) -> StoredAutoscaleConfig | None:
        return self.configs.get(deployment_id)

    def read_enabled_autoscale_configs(self) -> list[StoredAutoscaleConfig]:
        return [c for c in self.configs.values() if c.config.enabled]

    def write_autoscale_config(self, *, stored: StoredAutoscaleConfig) -> None:
        self.configs[stored.deployment_id] = stored

    def create_autoscale_plan(self, *, plan: AutoscalePlan) -> None:
        self.plans.append(plan)

    def read_autoscale_plans(
        self,
        *,
        deployment_id: str,
        job_id: str | None = None,
        outcome: PlanOutcome | None = None,
        limit: int = 100,
    ) -> list[AutoscalePlan]:
        found = [
            p
            for p in reversed(self.plans)
            if p.deployment_id == deployment_id
            and (job_id is None or p.job_id == job_id)
            and (outcome is None or p.outcome is outcome)
        ]
        return found[:limit]

    def read_autoscale_plan(self, *, deployment_id: str, name: str) -> AutoscalePlan | None:
        found = [
            p for p in self.read_autoscale_plans(deployment_id=deployment_id) if p.name == name
        ]
        return found[0] if found else None

    def delete_autoscale_plans(self, *, deployment_id: str, keep: int) -> int:
        mine = [p for p in self.plans if p.deployment_id == deployment_id]
        gone = mine[: max(len(mine) - keep, 0)]
        self.plans[:] = [p for p in self.plans if p not in gone]
        return len(gone)


class InMemoryAutoscaleStore:
    def __init__(self) -> None:
        self.configs: dict[str, StoredAutoscaleConfig] = {}
        self.plans: list[AutoscalePlan] = []

    @contextmanager
    def transaction(self) -> Iterator[_Repos]:
        configs, plans = copy.deepcopy(self.configs), list(self.plans)
        yield _Repos(configs, plans)
        self.configs, self.plans = configs, plans


class FakeLoads:
    """Busy and backpressured time per vertex, set by the test."""

    def __init__(self) -> None:
        self.busy = 900.0
        self.backpressured = 0.0
        self.read: list[str] = []
        self.failure: Exception | None = None

    def loads(self, job: Job) -> list[VertexLoad]:
        self.read.append(job.id)
        if self.failure is not None:
            raise self.failure
        return [
            VertexLoad("v1", "Source: src", job.resources.parallelism, 50.0, self.backpressured),
            VertexLoad("v2", "Calc -> Sink", job.resources.parallelism, self.busy, 0.0),
        ]


@dataclasses.dataclass
class Rig:
    world: World
    store: InMemoryAutoscaleStore
    loads: FakeLoads
    service: AutoscaleService
    hot_updates: HotUpdateService
    coordinator: HotUpdateCoordinator
    autoscaler: Autoscaler
    now: list[datetime]

    def running_job(self, parallelism: int = 1) -> Job:
        dep = self.world.deployment(streaming_resource=ResourceSetting(parallelism=parallelism))
        job = self.make_running(self.world.services.jobs.start(SCOPE, ALICE, dep.id).id)
        assert job.start_time is not None
        self.now[0] = job.start_time  # the clock: the job has just started
        return job

    def make_running(self, job_id: str) -> Job:
        self.world.tick()
        job = self.world.services.jobs.get(SCOPE, job_id)
        self.world.flink.set_state(job.flink_job_id or "", "RUNNING")
        self.world.tick()
        job = self.world.services.jobs.get(SCOPE, job_id)
        assert job.status is JobStatus.RUNNING
        return job

    def enable(self, job: Job, **settings: Any) -> None:
        patch = AutoscaleConfigPatch(enabled=True, **settings)
        self.service.update_config(SCOPE, ALICE, job.deployment_id, patch)

    def later(self, seconds: float) -> None:
        self.now[0] += timedelta(seconds=seconds)

    def tick(self, times: int = 1) -> None:
        for _ in range(times):
            self.world.reconciler.run_iteration()
            self.coordinator.run_iteration()


@pytest.fixture
def rig(world: World) -> Rig:
    now = [datetime.now(UTC)]
    store = InMemoryAutoscaleStore()
    hot_store = InMemoryHotUpdateStore()
    loads = FakeLoads()

    def clock() -> datetime:
        return now[0]

    hot_updates = HotUpdateService(
        hot_store, world.services.jobs, world.services.deployments, Notifier(), clock=clock
    )
    coordinator = HotUpdateCoordinator(hot_store, world.store, world.services.jobs, clock=clock)
    autoscaler = Autoscaler(
        store, world.store, hot_store, hot_updates, loads, stabilization=30, clock=clock
    )
    service = AutoscaleService(store, world.services.deployments, clock=clock)
    return Rig(world, store, loads, service, hot_updates, coordinator, autoscaler, now)


def test_a_busy_job_is_scaled_up_through_a_savepoint_and_the_plan_recorded(rig: Rig) -> None:
    job = rig.running_job(parallelism=1)
    rig.enable(job, max_parallelism=4, target_utilization=0.5, cool_down_seconds=0)
    rig.later(60)
    assert rig.autoscaler.run_iteration() == 1
    [plan] = rig.service.plans(SCOPE, job.deployment_id)
    assert plan.outcome is PlanOutcome.APPLIED
    assert (plan.decision.current_parallelism, plan.decision.proposed_parallelism) == (1, 2)
    assert plan.action is ScalingAction.SCALE_UP
    assert plan.decision.bottleneck == "Calc -> Sink"
    assert [load.busy_ms_per_second for load in plan.inputs] == [50.0, 900.0]
    assert plan.config.target_utilization == 0.5
    assert plan.job_id == job.id
    assert plan.hot_update_id
    hot_update = rig.hot_updates.get(SCOPE, plan.hot_update_id)
    assert hot_update.creator == AUTOSCALER.id
    assert hot_update.change == HotUpdateChange(parallelism=2)
    deployment = rig.world.services.deployments.get(SCOPE, job.deployment_id)
    assert deployment.streaming_resource.parallelism == 2
    # While the hot update runs, no round plans on the job.
    assert rig.autoscaler.run_iteration() == 0
    rig.tick(4)
    result = rig.hot_updates.get(SCOPE, plan.hot_update_id)
    assert result.phase is HotUpdatePhase.STARTING
    new = rig.world.services.jobs.get(SCOPE, result.new_job_id or "")
    assert new.resources.parallelism == 2
    assert new.restore.kind is RestoreKind.FROM_SAVEPOINT
    assert new.restore.savepoint_id == result.savepoint_id
    assert rig.world.services.jobs.get(SCOPE, job.id).status is JobStatus.CANCELLED


def test_an_unstable_job_is_not_measured(rig: Rig) -> None:
    job = rig.running_job()
    rig.enable(job)
    assert rig.autoscaler.run_iteration() == 0  # started just now: stabilising
    assert rig.loads.read == []
    rig.later(31)
    assert rig.autoscaler.run_iteration() == 1


def test_cool_down_and_recommend_only_record_without_applying(rig: Rig) -> None:
    job = rig.running_job()
    rig.enable(job, target_utilization=0.5, cool_down_seconds=600)
    rig.later(60)
    rig.autoscaler.run_iteration()
    [cooling] = rig.service.plans(SCOPE, job.deployment_id)
    assert cooling.outcome is PlanOutcome.COOLING_DOWN
    assert cooling.message is not None
    assert "540 s" in cooling.message
    rig.enable(job, recommend_only=True)
    rig.later(600)
    rig.autoscaler.run_iteration()
    recommended = rig.service.latest_plan(SCOPE, job.deployment_id)
    assert recommended is not None
    assert recommended.outcome is PlanOutcome.RECOMMENDED
    assert recommended.decision.proposed_parallelism == 2
    assert (
        rig.world.services.deployments.get(SCOPE, job.deployment_id).streaming_resource.parallelism
        == 1
    )


def test_a_balanced_job_is_kept_and_a_disabled_one_ignored(rig: Rig) -> None:
    job = rig.running_job()
    rig.enable(job, target_utilization=0.8)
    rig.later(60)
    rig.autoscaler.run_iteration()
    [kept] = rig.service.plans(SCOPE, job.deployment_id)
    assert (kept.outcome, kept.action) == (PlanOutcome.KEPT, ScalingAction.KEEP)
    rig.service.update_config(SCOPE, ALICE, job.deployment_id, AutoscaleConfigPatch(enabled=False))
    assert rig.autoscaler.run_iteration() == 0


class _Refusing:
    """A hot-update path that refuses every change, as a too-small cluster would."""

    def request(self, *_args: object, **_kwargs: object) -> HotUpdate:
        raise InvalidInput("the cluster has 4 slots; parallelism 9 does not fit")


def test_a_users_hot_update_pauses_planning_and_a_refusal_is_recorded(rig: Rig) -> None:
    job = rig.running_job()
    rig.enable(job, target_utilization=0.5, cool_down_seconds=0)
    rig.later(60)
    users = rig.hot_updates.request(SCOPE, ALICE, job.id, HotUpdateChange(flink_conf={"k": "v"}))
    assert rig.autoscaler.run_iteration() == 0  # a user's hot update is in flight
    assert rig.loads.read == []
    assert users.phase is HotUpdatePhase.REQUESTED
    refused = Autoscaler(
        rig.store,
        rig.world.store,
        InMemoryHotUpdateStore(),
        _Refusing(),
        rig.loads,
        clock=lambda: rig.now[0],
    )
    assert refused.run_iteration() == 1
    [failed] = rig.service.plans(SCOPE, job.deployment_id)
    assert failed.outcome is PlanOutcome.FAILED
    assert failed.hot_update_id is None
    assert failed.message is not None
    assert "does not fit" in failed.message


def test_flink_unavailable_skips_the_round(rig: Rig) -> None:
    job = rig.running_job()
    rig.enable(job)
    rig.later(60)
    rig.loads.failure = EngineUnavailable("connection refused")
    assert rig.autoscaler.run_iteration() == 0
    assert rig.service.plans(SCOPE, job.deployment_id) == []


def test_old_plans_are_pruned(rig: Rig) -> None:
    job = rig.running_job()
    rig.enable(job, target_utilization=0.8)
    rig.autoscaler._keep_plans = 3
    for _ in range(5):
        rig.later(60)
        rig.autoscaler.run_iteration()
    plans = rig.service.plans(SCOPE, job.deployment_id)
    assert len(plans) == 3
    assert plans[0].created_at > plans[-1].created_at  # newest first
    assert rig.service.plan(SCOPE, job.deployment_id, plans[1].name) == plans[1]


def test_service_reads_defaults_refuses_batch_and_unknown(rig: Rig) -> None:
    job = rig.running_job()
    assert rig.service.config(SCOPE, job.deployment_id).enabled is False
    assert rig.service.latest_plan(SCOPE, job.deployment_id) is None
    with pytest.raises(NotFound):
        rig.service.plan(SCOPE, job.deployment_id, "2020-01-01 00:00:00")
    with pytest.raises(NotFound):
        rig.service.config(Scope("ws", "elsewhere"), job.deployment_id)
    with pytest.raises(InvalidInput):
        rig.enable(job, min_parallelism=3, max_parallelism=2)
    batch = rig.world.deployment(name="batch", execution_mode=ExecutionMode.BATCH)
    with pytest.raises(InvalidInput, match="batch"):
        rig.service.update_config(SCOPE, ALICE, batch.id, AutoscaleConfigPatch(enabled=True))


# ----------------------------------------------------------------- FlinkVertexLoads


class _Proxy:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.paths: list[str] = []

    def proxy(self, scope: Scope, resource: ProxyResource, path: str) -> Any:
        assert (scope, resource) == (Scope("ws", "ns"), ProxyResource("jobs", "j1"))
        self.paths.append(path)
        return self.answers[path]


def test_vertex_loads_read_each_vertex_average() -> None:
    metrics = "subtasks/metrics?get=busyTimeMsPerSecond,backPressuredTimeMsPerSecond&agg=avg"
    proxy = _Proxy(
        {
            "/jobs/j1": {
                "vertices": [
                    {"id": "a1", "name": "Source: src", "parallelism": 2},
                    {"id": "b2", "name": "Sink", "parallelism": 2},
                ]
            },
            f"/jobs/j1/vertices/a1/{metrics}": [
                {"id": "busyTimeMsPerSecond", "avg": "NaN"},
                {"id": "backPressuredTimeMsPerSecond", "avg": 812.5},
            ],
            f"/jobs/j1/vertices/b2/{metrics}": [
                {"id": "busyTimeMsPerSecond", "avg": 990.0},
                {"id": "backPressuredTimeMsPerSecond", "avg": 0.0},
            ],
        }
    )
    job = make_job(id="j1", workspace="ws", namespace="ns")
    loads = FlinkVertexLoads(proxy).loads(job)
    assert loads == [
        VertexLoad("a1", "Source: src", 2, None, 812.5),
        VertexLoad("b2", "Sink", 2, 990.0, 0.0),
    ]
