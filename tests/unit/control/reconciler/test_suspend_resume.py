"""Suspend and resume carried out by the reconciler against the fake Flink."""

from __future__ import annotations

import pytest

from millstream.control.ports import Page, Submission
from millstream.domain.errors import EngineUnavailable, InvalidTransition, JobAlreadyLive
from millstream.domain.events import EventName
from millstream.domain.jobs import DesiredState, Job, JobStatus, StopStrategy
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState
from tests.unit.control.conftest import ALICE, SCOPE, World


def _events(world: World, job_id: str) -> list[EventName]:
    events, _ = world.services.events.list(SCOPE, Page(0, 1000), job_id=job_id)
    return [e.name for e in events]


def _running_job(world: World) -> Job:
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    world.tick()
    fid = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    world.flink.set_state(fid, "RUNNING")
    world.tick()
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.status is JobStatus.RUNNING
    return job


def _suspended_job(world: World) -> tuple[Job, Savepoint]:
    job = _running_job(world)
    world.services.jobs.suspend(SCOPE, ALICE, job.id)
    world.tick(3)
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.status is JobStatus.SUSPENDED
    savepoint = world.services.savepoints.get(SCOPE, job.stop_savepoint_id or "")
    return job, savepoint


def test_suspend_stops_with_a_savepoint_and_keeps_the_job(world: World) -> None:
    running = _running_job(world)
    requested = world.services.jobs.suspend(SCOPE, ALICE, running.id)
    assert requested.desired is DesiredState.SUSPENDED
    world.tick(3)
    job = world.services.jobs.get(SCOPE, running.id)
    assert job.status is JobStatus.SUSPENDED
    assert job.end_time is None
    assert ("stop", running.flink_job_id) in world.flink.calls
    savepoint = world.services.savepoints.get(SCOPE, job.stop_savepoint_id or "")
    assert savepoint.origin is SavepointOrigin.STOP_WITH_SAVEPOINT
    assert savepoint.state is SavepointState.COMPLETED
    events = _events(world, job.id)
    assert EventName.JOB_SUSPEND_REQUESTED in events
    assert EventName.JOB_SUSPENDED in events
    assert EventName.JOB_CANCELLED not in events


def test_a_suspended_job_holds_its_deployment(world: World) -> None:
    job, _ = _suspended_job(world)
    with pytest.raises(JobAlreadyLive):
        world.services.jobs.start(SCOPE, ALICE, job.deployment_id)


def test_a_suspended_job_is_left_alone(world: World) -> None:
    job, _ = _suspended_job(world)
    calls = len(world.flink.calls)
    world.tick(3)
    assert world.services.jobs.get(SCOPE, job.id).version == job.version
    assert {name for name, _ in world.flink.calls[calls:]} == {"list_jobs"}


def test_resume_restores_the_same_job_from_the_suspend_savepoint(world: World) -> None:
    job, savepoint = _suspended_job(world)
    world.services.jobs.resume(SCOPE, ALICE, job.id)
    world.tick()
    resumed = world.services.jobs.get(SCOPE, job.id)
    assert resumed.status is JobStatus.STARTING
    assert resumed.attempt == job.attempt + 1
    assert resumed.flink_job_id != job.flink_job_id
    assert resumed.restored_from == savepoint.location
    assert resumed.stop_savepoint_id is None
    assert resumed.stop_strategy is None
    submitted = world.flink.jobs[resumed.flink_job_id or ""].submission
    assert submitted.savepoint_path == savepoint.location
    world.flink.set_state(resumed.flink_job_id or "", "RUNNING")
    world.tick()
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.RUNNING
    assert EventName.JOB_RESUME_REQUESTED in _events(world, job.id)


def test_resume_lost_before_submission_is_retried_with_the_same_attempt(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    job, savepoint = _suspended_job(world)
    world.services.jobs.resume(SCOPE, ALICE, job.id)
    real_submit = world.flink.submit

    def unreachable(submission: Submission) -> None:  # noqa: ARG001 - the port's signature
        raise EngineUnavailable("connection refused")

    monkeypatch.setattr(world.flink, "submit", unreachable)
    world.tick()  # the attempt is recorded, Flink never got it (like a crash in between)
    recorded = world.services.jobs.get(SCOPE, job.id)
    assert recorded.status is JobStatus.STARTING
    monkeypatch.setattr(world.flink, "submit", real_submit)
    world.tick()
    again = world.services.jobs.get(SCOPE, job.id)
    assert (again.attempt, again.flink_job_id) == (recorded.attempt, recorded.flink_job_id)
    assert world.flink.jobs[again.flink_job_id or ""].submission.savepoint_path == (
        savepoint.location
    )


def test_resume_fails_loudly_when_the_suspend_savepoint_is_gone(world: World) -> None:
    job, savepoint = _suspended_job(world)
    with world.store.transaction() as repos:
        repos.delete_savepoint(savepoint_id=savepoint.id)
    world.services.jobs.resume(SCOPE, ALICE, job.id)
    world.tick()
    failed = world.services.jobs.get(SCOPE, job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.failure is not None
    assert "suspend savepoint" in failed.failure.message
    assert failed.attempt == job.attempt  # nothing was submitted


def test_stopping_a_suspended_job_cancels_it_without_flink(world: World) -> None:
    job, _ = _suspended_job(world)
    calls = len(world.flink.calls)
    world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.STOP_WITH_SAVEPOINT)
    world.tick()
    stopped = world.services.jobs.get(SCOPE, job.id)
    assert stopped.status is JobStatus.CANCELLED
    assert stopped.end_time is not None
    assert {name for name, _ in world.flink.calls[calls:]} == {"list_jobs"}


def test_a_suspend_that_cannot_take_its_savepoint_keeps_the_job_running(world: World) -> None:
    job = _running_job(world)
    world.flink.savepoint_failure = "disk full"
    world.services.jobs.suspend(SCOPE, ALICE, job.id)
    world.tick(3)
    kept = world.services.jobs.get(SCOPE, job.id)
    assert kept.status is JobStatus.RUNNING
    assert kept.desired is DesiredState.RUNNING
    events, _ = world.services.events.list(SCOPE, Page(0, 100), job_id=job.id)
    failed = [e.message for e in events if e.name is EventName.STOP_FAILED]
    assert failed == ["suspend with savepoint failed, the job keeps running: disk full"]


def test_only_a_running_job_can_be_suspended_and_only_a_suspended_one_resumed(
    world: World,
) -> None:
    dep = world.deployment()
    starting = world.services.jobs.start(SCOPE, ALICE, dep.id)
    with pytest.raises(InvalidTransition):
        world.services.jobs.suspend(SCOPE, ALICE, starting.id)
    with pytest.raises(InvalidTransition):
        world.services.jobs.resume(SCOPE, ALICE, starting.id)
