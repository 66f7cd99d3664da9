"""``SavepointScheduler`` over the in-memory store and a fake Flink, time injected:
it takes a savepoint (origin SCHEDULE) when due, not while one is in flight, not in a
blackout window, not without a RUNNING job; retention deletes old savepoints through the
savepoint service (their files too) and keeps what a job depends on; a new scheduler
over the same stores (a control-plane restart) carries on from the stored trigger time."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.ports import Page
from millstream.control.savepoint_scheduler import SavepointScheduler
from millstream.control.services.savepoint_schedules import SavepointScheduleService
from millstream.domain.errors import InvalidInput, NotFound
from millstream.domain.jobs import JobStatus, RestoreKind, RestoreStrategy
from millstream.domain.savepoint_schedules import SavepointSchedule
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState
from tests.unit.control.conftest import ALICE, SCOPE, World


class InMemorySchedules:
    """The ``SavepointScheduleStore`` port in a dict (one schedule per deployment)."""

    def __init__(self) -> None:
        self.rows: dict[str, SavepointSchedule] = {}

    @contextmanager
    def transaction(self) -> Iterator[InMemorySchedules]:
        yield self

    def read_savepoint_schedule(self, *, deployment_id: str) -> SavepointSchedule | None:
        return self.rows.get(deployment_id)

    def read_savepoint_schedules(self) -> list[SavepointSchedule]:
        return [self.rows[key] for key in sorted(self.rows)]

    def write_savepoint_schedule(self, *, schedule: SavepointSchedule) -> None:
        self.rows[schedule.deployment_id] = schedule

    def delete_savepoint_schedule(self, *, deployment_id: str) -> bool:
        return self.rows.pop(deployment_id, None) is not None


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def schedules() -> InMemorySchedules:
    return InMemorySchedules()


@pytest.fixture
def service(world: World, schedules: InMemorySchedules, clock: Clock) -> SavepointScheduleService:
    return SavepointScheduleService(schedules, world.services.deployments, clock=clock)


def _scheduler(world: World, schedules: InMemorySchedules, clock: Clock) -> SavepointScheduler:
    return SavepointScheduler(schedules, world.store, world.services.savepoints, clock=clock)


def _running_deployment(world: World) -> str:
    deployment = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, deployment.id)
    world.tick()
    world.flink.set_state(world.services.jobs.get(SCOPE, job.id).flink_job_id or "", "RUNNING")
    world.tick()
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.RUNNING
    return deployment.id


def _savepoints(world: World, deployment_id: str) -> list[Savepoint]:
    found, _ = world.services.savepoints.list(SCOPE, Page(0, 1000), deployment_id=deployment_id)
    return found


def test_takes_a_scheduled_savepoint_when_due_and_not_while_one_is_in_flight(
    world: World, schedules: InMemorySchedules, clock: Clock, service: SavepointScheduleService
) -> None:
    deployment_id = _running_deployment(world)
    service.put(SCOPE, ALICE, deployment_id, interval_seconds=60)
    scheduler = _scheduler(world, schedules, clock)
    clock.advance(59)
    scheduler.run_iteration()
    assert _savepoints(world, deployment_id) == []
    clock.advance(1)
    scheduler.run_iteration()
    [taken] = _savepoints(world, deployment_id)
    assert (taken.origin, taken.state) == (SavepointOrigin.SCHEDULE, SavepointState.STARTED)
    assert schedules.rows[deployment_id].pending_savepoint_id == taken.id
    clock.advance(120)  # overdue, but the first is still being taken
    scheduler.run_iteration()
    assert len(_savepoints(world, deployment_id)) == 1
    world.tick(2)
    assert world.services.savepoints.get(SCOPE, taken.id).state is SavepointState.COMPLETED
    scheduler.run_iteration()
    assert len(_savepoints(world, deployment_id)) == 2


def test_no_savepoint_inside_a_blackout_window_or_without_a_running_job(
    world: World, schedules: InMemorySchedules, clock: Clock, service: SavepointScheduleService
) -> None:
    deployment_id = _running_deployment(world)
    idle = world.deployment("idle").id
    service.put(SCOPE, ALICE, deployment_id, interval_seconds=10, blackouts=["12:00-12:30"])
    service.put(SCOPE, ALICE, idle, interval_seconds=10)
    scheduler = _scheduler(world, schedules, clock)
    for _ in range(5):
        clock.advance(300)
        scheduler.run_iteration()
    assert _savepoints(world, deployment_id) == []
    assert _savepoints(world, idle) == []
    clock.advance(301)  # 12:30:01, past the window
    scheduler.run_iteration()
    assert len(_savepoints(world, deployment_id)) == 1
    assert _savepoints(world, idle) == []


def test_retention_deletes_old_savepoints_and_their_files_but_keeps_a_configured_restore(
    world: World, schedules: InMemorySchedules, clock: Clock, service: SavepointScheduleService
) -> None:
    deployment_id = _running_deployment(world)
    service.put(SCOPE, ALICE, deployment_id, interval_seconds=10, max_count=2)
    scheduler = _scheduler(world, schedules, clock)
    for _ in range(4):
        clock.advance(10)
        scheduler.run_iteration()
        world.tick(2)  # the savepoint completes
    scheduler.run_iteration()
    kept = _savepoints(world, deployment_id)
    assert len(kept) == 2
    assert all(s.state is SavepointState.COMPLETED for s in kept)
    assert len(world.engine.deleted) == 2
    assert not {s.location for s in kept} & set(world.engine.deleted)
    # The live job's restore strategy names the oldest kept one: retention must keep it,
    # past max count and max age too (the savepoint service alone would delete it).
    oldest = min(kept, key=lambda s: s.created_at or clock.now)
    with world.store.transaction() as repos:
        [job] = repos.read_active_jobs(deployment_id=deployment_id)
        restore = RestoreStrategy(RestoreKind.FROM_SAVEPOINT, savepoint_id=oldest.id)
        repos.update_job(job=dataclasses.replace(job, restore=restore))
    service.put(SCOPE, ALICE, deployment_id, interval_seconds=10, max_count=1, max_age_seconds=1)
    clock.advance(5)
    scheduler.run_iteration()
    assert {s.id for s in _savepoints(world, deployment_id)} == {s.id for s in kept}


def test_a_restarted_scheduler_carries_on_from_the_stored_trigger_time(
    world: World, schedules: InMemorySchedules, clock: Clock, service: SavepointScheduleService
) -> None:
    deployment_id = _running_deployment(world)
    service.put(SCOPE, ALICE, deployment_id, interval_seconds=100)
    clock.advance(100)
    _scheduler(world, schedules, clock).run_iteration()
    world.tick(2)
    clock.advance(50)
    restarted = _scheduler(world, schedules, clock)
    restarted.run_iteration()
    assert len(_savepoints(world, deployment_id)) == 1
    clock.advance(50)
    restarted.run_iteration()
    assert len(_savepoints(world, deployment_id)) == 2


def test_the_service_validates_and_scopes_schedules(
    world: World, service: SavepointScheduleService
) -> None:
    deployment_id = world.deployment().id
    with pytest.raises(InvalidInput, match="either an interval or a cron"):
        service.put(SCOPE, ALICE, deployment_id)
    with pytest.raises(InvalidInput, match="blackout"):
        service.put(SCOPE, ALICE, deployment_id, interval_seconds=5, blackouts=["25:00-26:00"])
    with pytest.raises(NotFound):
        service.get(SCOPE, deployment_id)
    with pytest.raises(NotFound):
        service.put(SCOPE, ALICE, "missing", interval_seconds=5)
    service.put(SCOPE, ALICE, deployment_id, cron="*/5 * * * *", max_count=3)
    assert service.get(SCOPE, deployment_id).cron == "*/5 * * * *"
    service.delete(SCOPE, deployment_id)
    with pytest.raises(NotFound):
        service.delete(SCOPE, deployment_id)
