"""Hot updates: the request use case and the coordinator, on the in-memory store and a
fake Flink, with the reconciler ticking between coordinator steps as the daemon does."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.hot_updates import HotUpdateCoordinator
from millstream.control.notifier import Notifier
from millstream.control.services.hot_updates import HotUpdateService
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, InvalidTransition, NotFound
from millstream.domain.hot_updates import HotUpdate, HotUpdateChange, HotUpdatePhase
from millstream.domain.jobs import Job, JobStatus, RestoreKind, StopStrategy
from millstream.domain.resources import ResourceSetting
from millstream.domain.savepoints import SavepointState
from tests.unit.control.conftest import ALICE, SCOPE, World


class _Repos:
    def __init__(self, rows: dict[str, HotUpdate]) -> None:
        self.rows = rows

    def read_hot_update(self, *, hot_update_id: str) -> HotUpdate | None:
        return copy.deepcopy(self.rows.get(hot_update_id))

    def read_active_hot_updates(self, *, job_id: str | None = None) -> list[HotUpdate]:
        return [
            copy.deepcopy(h)
            for h in self.rows.values()
            if not h.is_finished and (job_id is None or h.job_id == job_id)
        ]

    def create_hot_update(self, *, hot_update: HotUpdate) -> None:
        self.rows[hot_update.id] = copy.deepcopy(hot_update)

    def update_hot_update(self, *, hot_update: HotUpdate) -> None:
        self.rows[hot_update.id] = copy.deepcopy(hot_update)


class InMemoryHotUpdateStore:
    def __init__(self) -> None:
        self.rows: dict[str, HotUpdate] = {}

    @contextmanager
    def transaction(self) -> Iterator[_Repos]:
        working = copy.deepcopy(self.rows)
        yield _Repos(working)
        self.rows = working


@dataclasses.dataclass
class Rig:
    world: World
    store: InMemoryHotUpdateStore
    service: HotUpdateService
    coordinator: HotUpdateCoordinator
    now: list[datetime]

    def tick(self, times: int = 1) -> None:
        """One daemon tick: the reconciler, then the coordinator."""
        for _ in range(times):
            self.world.reconciler.run_iteration()
            self.coordinator.run_iteration()

    def running_job(self, parallelism: int = 1) -> Job:
        dep = self.world.deployment(
            streaming_resource=ResourceSetting(parallelism=parallelism), flink_conf={"a": "1"}
        )
        job = self.world.services.jobs.start(SCOPE, ALICE, dep.id)
        self.world.tick()
        return self.make_running(job.id)

    def make_running(self, job_id: str) -> Job:
        job = self.world.services.jobs.get(SCOPE, job_id)
        if job.flink_job_id is None:
            self.world.tick()  # submit it first
            job = self.world.services.jobs.get(SCOPE, job_id)
        self.world.flink.set_state(job.flink_job_id or "", "RUNNING")
        self.world.tick()
        job = self.world.services.jobs.get(SCOPE, job_id)
        assert job.status is JobStatus.RUNNING
        return job

    def result(self, hot_update_id: str) -> HotUpdate:
        return self.service.get(SCOPE, hot_update_id)


@pytest.fixture
def rig(world: World) -> Rig:
    store = InMemoryHotUpdateStore()
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    service = HotUpdateService(
        store, world.services.jobs, world.services.deployments, Notifier(), clock=lambda: now[0]
    )
    coordinator = HotUpdateCoordinator(
        store, world.store, world.services.jobs, start_timeout=60, clock=lambda: now[0]
    )
    return Rig(world, store, service, coordinator, now)


def test_rescale_stops_with_savepoint_and_restarts_from_it(rig: Rig) -> None:
    job = rig.running_job(parallelism=1)
    update = rig.service.request(SCOPE, ALICE, job.id, HotUpdateChange(parallelism=3))
    assert update.phase is HotUpdatePhase.REQUESTED
    deployment = rig.world.services.deployments.get(SCOPE, job.deployment_id)
    assert deployment.streaming_resource.parallelism == 3
    rig.tick(4)
    result = rig.result(update.id)
    assert result.phase is HotUpdatePhase.STARTING
    old = rig.world.services.jobs.get(SCOPE, job.id)
    assert old.status is JobStatus.CANCELLED
    assert result.savepoint_id == old.stop_savepoint_id
    new = rig.world.services.jobs.get(SCOPE, result.new_job_id or "")
    assert new.restore.kind is RestoreKind.FROM_SAVEPOINT
    assert new.restore.savepoint_id == result.savepoint_id
    assert new.resources.parallelism == 3
    rig.make_running(new.id)
    rig.tick()
    done = rig.result(update.id)
    assert done.phase is HotUpdatePhase.DONE
    assert done.status.value == "HOT_UPDATED"
    assert done.current_job_id == new.id


def test_config_change_is_merged_and_none_removes_a_key(rig: Rig) -> None:
    job = rig.running_job()
    update = rig.service.request(
        SCOPE, ALICE, job.id, HotUpdateChange(flink_conf={"b": "2", "a": None})
    )
    assert update.target_flink_conf == {"b": "2"}
    rig.tick(4)
    new = rig.world.services.jobs.get(SCOPE, rig.result(update.id).new_job_id or "")
    assert new.user_flink_conf == {"b": "2"}


def test_without_parameters_applies_the_deployment_settings(rig: Rig) -> None:
    from millstream.control.services import DeploymentPatch

    job = rig.running_job()
    with pytest.raises(InvalidInput) as nothing:
        rig.service.request(SCOPE, ALICE, job.id)
    assert nothing.value.code == ErrorCode.HOT_UPDATE_NO_CHANGE
    rig.world.services.deployments.update(
        SCOPE, ALICE, job.deployment_id, DeploymentPatch(flink_conf={"a": "9"})
    )
    update = rig.service.request(SCOPE, ALICE, job.id)
    assert update.change == HotUpdateChange(flink_conf={"a": "9"})


def test_failed_savepoint_fails_the_update_and_keeps_the_job(rig: Rig) -> None:
    job = rig.running_job()
    rig.world.flink.savepoint_failure = "disk full"
    update = rig.service.request(SCOPE, ALICE, job.id, HotUpdateChange(parallelism=2))
    rig.tick(4)
    result = rig.result(update.id)
    assert result.phase is HotUpdatePhase.FAILED
    assert result.failure is not None
    assert result.failure.reason == "SavepointFailed"
    assert "disk full" in result.failure.message
    assert rig.world.services.jobs.get(SCOPE, job.id).status is JobStatus.RUNNING


def test_only_a_running_job_and_one_update_at_a_time(rig: Rig) -> None:
    dep = rig.world.deployment()
    starting = rig.world.services.jobs.start(SCOPE, ALICE, dep.id)
    with pytest.raises(InvalidTransition) as not_running:
        rig.service.request(SCOPE, ALICE, starting.id, HotUpdateChange(parallelism=2))
    assert not_running.value.code == ErrorCode.JOB_NOT_RUNNING
    job = rig.make_running(starting.id)
    rig.service.request(SCOPE, ALICE, job.id, HotUpdateChange(parallelism=2))
    with pytest.raises(Conflict) as busy:
        rig.service.request(SCOPE, ALICE, job.id, HotUpdateChange(parallelism=3))
    assert busy.value.code == ErrorCode.HOT_UPDATE_IN_PROGRESS


@pytest.mark.parametrize(
    "change",
    [HotUpdateChange(parallelism=0), HotUpdateChange(flink_conf={"": "x"})],
)
def test_invalid_changes_are_refused(rig: Rig, change: HotUpdateChange) -> None:
    job = rig.running_job()
    with pytest.raises(InvalidInput):
        rig.service.request(SCOPE, ALICE, job.id, change)


def test_unknown_update_and_other_namespace_are_not_found(rig: Rig) -> None:
    job = rig.running_job()
    update = rig.service.request(SCOPE, ALICE, job.id, HotUpdateChange(parallelism=2))
    with pytest.raises(NotFound):
        rig.service.get(SCOPE, "nope")
    with pytest.raises(NotFound):
        rig.service.get(dataclasses.replace(SCOPE, namespace="other"), update.id)


def test_stop_requested_before_a_crash_is_adopted_not_repeated(rig: Rig) -> None:
    job = rig.running_job()
    update = rig.service.request(SCOPE, ALICE, job.id, HotUpdateChange(parallelism=2))
    # The coordinator asked for the stop, then died before recording STOPPING.
    rig.world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.STOP_WITH_SAVEPOINT)
    rig.coordinator.run_iteration()
    assert rig.result(update.id).phase is HotUpdatePhase.STOPPING
    rig.tick(4)
    assert rig.result(update.id).phase is HotUpdatePhase.STARTING


def test_new_job_started_before_a_crash_is_adopted(rig: Rig) -> None:
    job = rig.running_job()
    update = rig.service.request(SCOPE, ALICE, job.id, HotUpdateChange(parallelism=2))
    rig.tick(4)
    first = rig.result(update.id)
    # Pretend the phase write after the start was lost.
    stale = dataclasses.replace(first, phase=HotUpdatePhase.STOPPING, new_job_id=None)
    rig.store.rows[update.id] = stale
    rig.coordinator.run_iteration()
    again = rig.result(update.id)
    assert again.phase is HotUpdatePhase.STARTING
    assert again.new_job_id == first.new_job_id


def test_a_user_cancel_fails_the_update(rig: Rig) -> None:
    job = rig.running_job()
    update = rig.service.request(SCOPE, ALICE, job.id, HotUpdateChange(parallelism=2))
    rig.world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.NONE)
    rig.coordinator.run_iteration()
    result = rig.result(update.id)
    assert result.phase is HotUpdatePhase.FAILED
    assert result.failure is not None
    assert result.failure.reason == "JobStoppedByUser"


def test_new_job_that_never_runs_times_out(rig: Rig) -> None:
    job = rig.running_job()
    update = rig.service.request(SCOPE, ALICE, job.id, HotUpdateChange(parallelism=2))
    rig.tick(4)
    assert rig.result(update.id).phase is HotUpdatePhase.STARTING
    rig.now[0] += timedelta(seconds=61)
    rig.coordinator.run_iteration()
    result = rig.result(update.id)
    assert result.phase is HotUpdatePhase.FAILED
    assert result.failure is not None
    assert result.failure.reason == "NewJobNotRunning"


def test_stop_savepoint_is_completed_before_the_restart(rig: Rig) -> None:
    job = rig.running_job()
    update = rig.service.request(SCOPE, ALICE, job.id, HotUpdateChange(parallelism=2))
    rig.tick(4)
    savepoint = rig.world.services.savepoints.get(SCOPE, rig.result(update.id).savepoint_id or "")
    assert savepoint.state is SavepointState.COMPLETED
