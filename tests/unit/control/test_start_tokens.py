"""Idempotent start: a start with a client token returns the job the first start with
that token created, across service instances (a restart), until the token expires."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.notifier import Notifier
from millstream.control.services import JobService
from millstream.domain.errors import Conflict, InvalidInput, JobAlreadyLive
from millstream.domain.events import EventName
from millstream.domain.jobs import JobStatus
from tests.fakes import InMemoryStore
from tests.unit.control.conftest import ALICE, SCOPE, World


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def jobs(world: World, clock: Clock) -> JobService:
    return JobService(world.store, world.engine, Notifier(), clock=clock)


def _start_requests(store: InMemoryStore) -> int:
    return sum(1 for e in store.data.events if e.name is EventName.JOB_START_REQUESTED)


def _finish(store: InMemoryStore, job_id: str) -> None:
    with store.transaction() as repos:
        job = repos.read_job(job_id=job_id)
        assert job is not None
        job.status = JobStatus.CANCELLED
        repos.update_job(job=job)


def test_the_same_token_returns_the_same_job(world: World, jobs: JobService) -> None:
    deployment = world.deployment()
    first = jobs.start(SCOPE, ALICE, deployment.id, client_token="t-1")
    again = jobs.start(SCOPE, ALICE, deployment.id, client_token="t-1")
    assert again.id == first.id
    assert len(world.store.data.jobs) == 1
    assert _start_requests(world.store) == 1


def test_a_restarted_service_returns_the_same_job(world: World, clock: Clock) -> None:
    deployment = world.deployment()
    before = JobService(world.store, world.engine, Notifier(), clock=clock)
    first = before.start(SCOPE, ALICE, deployment.id, client_token="crash")
    after = JobService(world.store, world.engine, Notifier(), clock=clock)
    assert after.start(SCOPE, ALICE, deployment.id, client_token="crash").id == first.id


def test_a_token_returns_its_job_even_after_the_job_ended(world: World, jobs: JobService) -> None:
    deployment = world.deployment()
    first = jobs.start(SCOPE, ALICE, deployment.id, client_token="t")
    _finish(world.store, first.id)
    assert jobs.start(SCOPE, ALICE, deployment.id, client_token="t").id == first.id
    assert len(world.store.data.jobs) == 1


def test_a_new_token_starts_a_new_job(world: World, jobs: JobService) -> None:
    deployment = world.deployment()
    first = jobs.start(SCOPE, ALICE, deployment.id, client_token="a")
    with pytest.raises(JobAlreadyLive):
        jobs.start(SCOPE, ALICE, deployment.id, client_token="b")
    _finish(world.store, first.id)
    assert jobs.start(SCOPE, ALICE, deployment.id, client_token="b").id != first.id


def test_a_token_reused_for_another_deployment_is_a_conflict(
    world: World, jobs: JobService
) -> None:
    jobs.start(SCOPE, ALICE, world.deployment("one").id, client_token="shared")
    other = world.deployment("two")
    with pytest.raises(Conflict, match="already used to start another deployment"):
        jobs.start(SCOPE, ALICE, other.id, client_token="shared")
    assert all(job.deployment_id != other.id for job in world.store.data.jobs.values())


def test_an_expired_token_starts_a_new_job(world: World, jobs: JobService, clock: Clock) -> None:
    deployment = world.deployment()
    first = jobs.start(SCOPE, ALICE, deployment.id, client_token="old")
    _finish(world.store, first.id)
    clock.now += timedelta(hours=23, minutes=59)
    assert jobs.start(SCOPE, ALICE, deployment.id, client_token="old").id == first.id
    clock.now += timedelta(minutes=2)
    second = jobs.start(SCOPE, ALICE, deployment.id, client_token="old")
    assert second.id != first.id
    assert jobs.start(SCOPE, ALICE, deployment.id, client_token="old").id == second.id


def test_purge_forgets_only_expired_tokens(world: World, jobs: JobService, clock: Clock) -> None:
    old = jobs.start(SCOPE, ALICE, world.deployment("one").id, client_token="old")
    clock.now += timedelta(hours=12)
    jobs.start(SCOPE, ALICE, world.deployment("two").id, client_token="young")
    clock.now += timedelta(hours=12, seconds=1)
    assert jobs.purge_start_tokens() == 1
    assert [key[2] for key in world.store.data.start_tokens] == ["young"]
    assert old.id in world.store.data.jobs  # the job itself stays


def test_starting_with_a_token_purges_expired_ones(
    world: World, jobs: JobService, clock: Clock
) -> None:
    jobs.start(SCOPE, ALICE, world.deployment("one").id, client_token="old")
    clock.now += timedelta(days=2)
    jobs.start(SCOPE, ALICE, world.deployment("two").id, client_token="new")
    assert [key[2] for key in world.store.data.start_tokens] == ["new"]


def test_a_deleted_job_frees_its_token(world: World, jobs: JobService) -> None:
    deployment = world.deployment()
    first = jobs.start(SCOPE, ALICE, deployment.id, client_token="t")
    _finish(world.store, first.id)
    jobs.delete(SCOPE, ALICE, first.id)
    assert jobs.start(SCOPE, ALICE, deployment.id, client_token="t").id != first.id


@pytest.mark.parametrize("token", ["", "x" * 129, "line\nbreak"])
def test_a_malformed_token_is_invalid_input(world: World, jobs: JobService, token: str) -> None:
    with pytest.raises(InvalidInput, match="client token"):
        jobs.start(SCOPE, ALICE, world.deployment().id, client_token=token)
    assert world.store.data.jobs == {}


def test_concurrent_starts_with_one_token_make_one_job(world: World, jobs: JobService) -> None:
    deployment = world.deployment()
    ids: list[str] = []
    errors: list[Exception] = []

    def start() -> None:
        try:
            ids.append(jobs.start(SCOPE, ALICE, deployment.id, client_token="same").id)
        except Exception as error:  # collected, asserted below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(ids)) == 1
    assert len(ids) == 8
    assert list(world.store.data.jobs) == ids[:1]
