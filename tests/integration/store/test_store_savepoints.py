"""Savepoints in the SQL store: round trip, listing, latest and pending selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.ports import Page
from millstream.domain.deployments import Deployment
from millstream.domain.errors import NotFound
from millstream.domain.jobs import Job
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState
from millstream.store import SqlStore
from tests.factories import make_deployment, make_job, make_savepoint

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def job(store: SqlStore) -> Job:
    deployment = make_deployment()
    created = make_job(deployment)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=created)
    return created


def _save(store: SqlStore, *savepoints: Savepoint) -> None:
    with store.transaction() as repos:
        for savepoint in savepoints:
            repos.create_savepoint(savepoint=savepoint)


def test_savepoint_round_trips_every_field(store: SqlStore, job: Job) -> None:
    savepoint = make_savepoint(
        job=job,
        origin=SavepointOrigin.STOP_WITH_SAVEPOINT,
        state=SavepointState.FAILED,
        location="s3://bucket/sp/savepoint-1",
        trigger_id="trigger-1",
        failure="checkpoint declined",
        description="before upgrade",
        native_format=True,
        stop_with_drain=True,
        created_at=T0,
        modified_at=T0 + timedelta(seconds=3),
    )
    _save(store, savepoint)
    with store.transaction() as repos:
        assert repos.read_savepoint(savepoint_id=savepoint.id) == savepoint


def test_update_savepoint(store: SqlStore, job: Job) -> None:
    savepoint = make_savepoint(job=job)
    _save(store, savepoint)
    savepoint.state = SavepointState.COMPLETED
    savepoint.location = "file:///tmp/sp"
    with store.transaction() as repos:
        repos.update_savepoint(savepoint=savepoint)
    with store.transaction() as repos:
        assert repos.read_savepoint(savepoint_id=savepoint.id) == savepoint
    with pytest.raises(NotFound), store.transaction() as repos:
        repos.update_savepoint(savepoint=make_savepoint(job=job))


def _completed(deployment_id: str, origin: SavepointOrigin, minute: int) -> Savepoint:
    return make_savepoint(
        deployment_id=deployment_id,
        origin=origin,
        state=SavepointState.COMPLETED,
        created_at=T0 + timedelta(minutes=minute),
    )


def test_latest_savepoint_is_newest_completed_one(store: SqlStore, job: Job) -> None:
    deployment_id = job.deployment_id
    older = _completed(deployment_id, SavepointOrigin.USER_REQUEST, 1)
    newest_savepoint = _completed(deployment_id, SavepointOrigin.SCHEDULE, 2)
    newer_checkpoint = _completed(deployment_id, SavepointOrigin.RETAINED_CHECKPOINT, 3)
    in_flight = make_savepoint(
        deployment_id=deployment_id,
        origin=SavepointOrigin.USER_REQUEST,
        created_at=T0 + timedelta(minutes=4),
    )
    failed = make_savepoint(
        deployment_id=deployment_id,
        origin=SavepointOrigin.STOP_WITH_SAVEPOINT,
        state=SavepointState.FAILED,
        created_at=T0 + timedelta(minutes=5),
    )
    _save(store, older, newest_savepoint, newer_checkpoint, in_flight, failed)
    with store.transaction() as repos:
        savepoint = repos.read_latest_savepoint(
            deployment_id=deployment_id, include_checkpoints=False
        )
        state = repos.read_latest_savepoint(deployment_id=deployment_id, include_checkpoints=True)
        none = repos.read_latest_savepoint(deployment_id="unknown", include_checkpoints=True)
    assert savepoint is not None
    assert savepoint.id == newest_savepoint.id
    assert state is not None
    assert state.id == newer_checkpoint.id
    assert none is None


def test_latest_savepoint_ignores_only_checkpoints_when_asked(store: SqlStore, job: Job) -> None:
    _save(store, _completed(job.deployment_id, SavepointOrigin.RETAINED_CHECKPOINT, 1))
    with store.transaction() as repos:
        assert (
            repos.read_latest_savepoint(deployment_id=job.deployment_id, include_checkpoints=False)
            is None
        )


def test_pending_savepoints_are_the_started_ones(store: SqlStore, job: Job) -> None:
    started = make_savepoint(job=job, trigger_id="t-1")
    done = make_savepoint(job=job, state=SavepointState.COMPLETED)
    _save(store, started, done)
    with store.transaction() as repos:
        assert [s.id for s in repos.read_pending_savepoints()] == [started.id]


def test_read_savepoints_filters_and_pages(store: SqlStore, job: Job) -> None:
    deployment: Deployment = make_deployment()
    other_job = make_job(deployment)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=other_job)
    mine = [make_savepoint(job=job, created_at=T0 + timedelta(minutes=i)) for i in range(5)]
    theirs = [make_savepoint(job=other_job, created_at=T0) for _ in range(2)]
    without_job = make_savepoint(deployment=deployment, created_at=T0)
    _save(store, *mine, *theirs, without_job)
    with store.transaction() as repos:
        _, total = repos.read_savepoints(workspace="ws", namespace="ns", page=Page(0, 1))
        by_job, by_job_total = repos.read_savepoints(
            workspace="ws", namespace="ns", page=Page(0, 2), job_id=job.id
        )
        _, by_deployment_total = repos.read_savepoints(
            workspace="ws", namespace="ns", page=Page(), deployment_id=deployment.id
        )
    assert total == 8
    assert by_job_total == 5
    assert [s.id for s in by_job] == [mine[4].id, mine[3].id]
    assert by_deployment_total == 3


def test_deleting_a_job_keeps_its_savepoints(store: SqlStore, job: Job) -> None:
    savepoint = make_savepoint(job=job, state=SavepointState.COMPLETED)
    _save(store, savepoint)
    with store.transaction() as repos:
        repos.delete_job(job_id=job.id)
    with store.transaction() as repos:
        kept = repos.read_savepoint(savepoint_id=savepoint.id)
    assert kept is not None
    assert kept.job_id is None


def test_delete_savepoint(store: SqlStore, job: Job) -> None:
    savepoint = make_savepoint(job=job)
    _save(store, savepoint)
    with store.transaction() as repos:
        repos.delete_savepoint(savepoint_id=savepoint.id)
        assert repos.read_savepoint(savepoint_id=savepoint.id) is None
