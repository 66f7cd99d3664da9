"""The restart policy carried out by the reconciler: restart a FAILED run from the newest
state, at most N times an hour (an injected clock moves time), then stay FAILED."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.ports import Page
from millstream.control.reconciler import Reconciler
from millstream.control.services import DeploymentPatch
from millstream.domain.decisions import RESTART_BUDGET_SPENT
from millstream.domain.events import EventName
from millstream.domain.jobs import Failure, Job, JobStatus
from millstream.domain.restarts import RestartPolicy
from millstream.domain.savepoints import SavepointOrigin
from tests.unit.control.conftest import ALICE, SCOPE, World

_T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = _T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock(world: World) -> Iterator[Clock]:
    clock = Clock()
    world.reconciler.close()
    world.reconciler = Reconciler(world.store, world.engine, details_interval=0.0, clock=clock)
    yield clock
    world.reconciler.close()


def _start(world: World, policy: RestartPolicy) -> Job:
    dep = world.deployment(restart_policy=policy)
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    return _run(world, job.id)


def _run(world: World, job_id: str) -> Job:
    fid = world.services.jobs.get(SCOPE, job_id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.tick()
    job = world.services.jobs.get(SCOPE, job_id)
    assert job.status is JobStatus.RUNNING
    return job


def _fail(world: World, job: Job, message: str = "NullPointerException in map") -> Job:
    fid = job.flink_job_id or ""
    world.flink.jobs[fid].failure = Failure(message, "java.lang.RuntimeException", _T0)
    world.flink.set_state(fid, "FAILED")
    world.tick()
    return world.services.jobs.get(SCOPE, job.id)


def _messages(world: World, job_id: str, name: EventName) -> list[str]:
    events, _ = world.services.events.list(SCOPE, Page(0, 1000), job_id=job_id)
    return [e.message for e in events if e.name is name]


@pytest.mark.usefixtures("clock")
def test_without_a_policy_a_failed_run_fails_the_job(world: World) -> None:
    job = _fail(world, _start(world, RestartPolicy()))
    assert job.status is JobStatus.FAILED
    assert job.attempt == 1


def test_a_failed_run_restarts_from_its_newest_checkpoint(world: World, clock: Clock) -> None:
    job = _start(world, RestartPolicy(enabled=True, max_restarts_per_hour=3))
    first = job.flink_job_id or ""
    world.flink.jobs[first].checkpoint = "file:///state/checkpoints/chk-4"
    restarted = _fail(world, job)
    assert restarted.status is JobStatus.STARTING
    assert restarted.attempt == 2
    assert restarted.restored_from == "file:///state/checkpoints/chk-4"
    assert world.flink.jobs[restarted.flink_job_id or ""].submission.savepoint_path == (
        "file:///state/checkpoints/chk-4"
    )
    assert restarted.restart_history == (clock.now,)
    savepoints, _ = world.services.savepoints.list(SCOPE, Page(), deployment_id=job.deployment_id)
    assert [s.origin for s in savepoints] == [SavepointOrigin.RETAINED_CHECKPOINT]
    (event,) = _messages(world, job.id, EventName.JOB_RESTARTING_AFTER_FAILURE)
    assert "restart 1 of at most 3 per hour" in event
    assert "NullPointerException in map" in event
    assert _run(world, job.id).status is JobStatus.RUNNING


def test_the_budget_spent_leaves_the_job_failed_with_the_reason(world: World, clock: Clock) -> None:
    job = _start(world, RestartPolicy(enabled=True, max_restarts_per_hour=2))
    for _ in range(2):
        clock.advance(10)
        job = _run(world, _fail(world, job).id)
    clock.advance(10)
    failed = _fail(world, job, "OutOfMemoryError: Java heap space")
    assert failed.status is JobStatus.FAILED
    assert failed.attempt == 3
    assert failed.failure is not None
    assert failed.failure.reason == RESTART_BUDGET_SPENT
    assert "2 restarts within the last hour" in failed.failure.message
    assert "OutOfMemoryError: Java heap space" in failed.failure.message
    assert len(_messages(world, job.id, EventName.JOB_RESTARTING_AFTER_FAILURE)) == 2
    assert _messages(world, job.id, EventName.JOB_FAILED) == [failed.failure.message]


def test_the_budget_frees_after_an_hour(world: World, clock: Clock) -> None:
    job = _start(world, RestartPolicy(enabled=True, max_restarts_per_hour=2))
    job = _run(world, _fail(world, job).id)
    clock.advance(30)
    job = _run(world, _fail(world, job).id)
    clock.advance(31)  # the first restart is now more than an hour ago
    restarted = _fail(world, job)
    assert restarted.status is JobStatus.STARTING
    assert restarted.attempt == 4
    assert restarted.restart_history == (clock.now - timedelta(minutes=31), clock.now)


@pytest.mark.usefixtures("clock")
def test_the_policy_is_copied_to_the_job_at_start(world: World) -> None:
    policy = RestartPolicy(enabled=True, max_restarts_per_hour=5)
    job = _start(world, policy)
    assert job.restart_policy == policy
    updated = world.services.deployments.update(
        SCOPE, ALICE, job.deployment_id, DeploymentPatch(restart_policy=RestartPolicy())
    )
    assert updated.restart_policy == RestartPolicy()
    assert world.services.jobs.get(SCOPE, job.id).restart_policy == policy
