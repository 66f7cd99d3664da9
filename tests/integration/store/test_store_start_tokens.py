"""Idempotent start on SQLite and PostgreSQL: the token is stored with its job, survives
a restart (a second store and service over the same database), makes concurrent starts
create one job, and expires."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
from sqlalchemy import func, select

from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.notifier import Notifier
from millstream.control.ports import StartToken
from millstream.control.services import JobService
from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import Conflict
from millstream.domain.jobs import JobStatus
from millstream.store import SqlStore
from millstream.store.models import JobRow
from tests.factories import NAMESPACE, WORKSPACE, make_deployment, make_job
from tests.fakes import FakeEngine

SCOPE = Scope(WORKSPACE, NAMESPACE)
ALICE = Actor("alice-id", "alice")


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def jobs(store: SqlStore, clock: Clock) -> JobService:
    ensure_defaults(
        store,
        workspace=WORKSPACE,
        namespace=NAMESPACE,
        cluster_kind=ClusterKind.EXTERNAL,
        rest_url="http://fake-flink",
    )
    return JobService(store, FakeEngine(), Notifier(), clock=clock)


@pytest.fixture
def deployment_id(store: SqlStore) -> str:
    deployment = make_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
    return deployment.id


def _job_count(store: SqlStore, deployment_id: str) -> int:
    with store.engine.connect() as connection:
        query = select(func.count()).where(JobRow.deployment_id == deployment_id)
        return int(connection.scalar(query) or 0)


def test_a_start_token_round_trips_and_rejects_a_duplicate(store: SqlStore) -> None:
    deployment = make_deployment()
    job = make_job(deployment)
    token = StartToken(WORKSPACE, NAMESPACE, "t", deployment.id, job.id, datetime.now(UTC))
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
        repos.create_start_token(start_token=token)
    with store.transaction() as repos:
        assert repos.read_start_token(workspace=WORKSPACE, namespace=NAMESPACE, token="t") == token
        assert repos.read_start_token(workspace=WORKSPACE, namespace="other", token="t") is None
    with pytest.raises(Conflict, match="already used"), store.transaction() as repos:
        repos.create_start_token(start_token=token)


def test_the_same_token_returns_the_same_job(
    store: SqlStore, jobs: JobService, deployment_id: str
) -> None:
    first = jobs.start(SCOPE, ALICE, deployment_id, client_token="retry-me")
    again = jobs.start(SCOPE, ALICE, deployment_id, client_token="retry-me")
    assert again.id == first.id
    assert _job_count(store, deployment_id) == 1


def test_a_restarted_control_plane_returns_the_same_job(
    database_url: str, jobs: JobService, deployment_id: str, clock: Clock
) -> None:
    first = jobs.start(SCOPE, ALICE, deployment_id, client_token="before-the-crash")
    # A new process: its own store (connection pool) and services over the same database.
    restarted = SqlStore(database_url)
    try:
        service = JobService(restarted, FakeEngine(), Notifier(), clock=clock)
        again = service.start(SCOPE, ALICE, deployment_id, client_token="before-the-crash")
        assert again.id == first.id
        assert again.flink_job_id == first.flink_job_id
        assert _job_count(restarted, deployment_id) == 1
    finally:
        restarted.close()


def test_a_failed_start_records_no_token(
    store: SqlStore, jobs: JobService, deployment_id: str
) -> None:
    live = jobs.start(SCOPE, ALICE, deployment_id)  # no token
    with pytest.raises(Conflict):
        jobs.start(SCOPE, ALICE, deployment_id, client_token="too-early")
    with store.transaction() as repos:
        job = repos.read_job(job_id=live.id)
        assert job is not None
        job.status = JobStatus.CANCELLED
        repos.update_job(job=job)
        assert (
            repos.read_start_token(workspace=WORKSPACE, namespace=NAMESPACE, token="too-early")
            is None
        )
    assert jobs.start(SCOPE, ALICE, deployment_id, client_token="too-early").id != live.id


def test_concurrent_starts_with_one_token_create_one_job(
    store: SqlStore, jobs: JobService, deployment_id: str
) -> None:
    barrier = Barrier(8)

    def start() -> str:
        barrier.wait()
        return jobs.start(SCOPE, ALICE, deployment_id, client_token="double-click").id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = [future.result() for future in [pool.submit(start) for _ in range(8)]]
    assert len(set(ids)) == 1
    assert _job_count(store, deployment_id) == 1


def test_a_token_of_another_deployment_is_a_conflict(
    store: SqlStore, jobs: JobService, deployment_id: str
) -> None:
    jobs.start(SCOPE, ALICE, deployment_id, client_token="shared")
    other = make_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=other)
    with pytest.raises(Conflict, match="another deployment"):
        jobs.start(SCOPE, ALICE, other.id, client_token="shared")
    assert _job_count(store, other.id) == 0


def test_tokens_expire_after_their_retention(
    store: SqlStore, jobs: JobService, deployment_id: str, clock: Clock
) -> None:
    first = jobs.start(SCOPE, ALICE, deployment_id, client_token="daily")
    with store.transaction() as repos:
        job = repos.read_job(job_id=first.id)
        assert job is not None
        job.status = JobStatus.CANCELLED
        repos.update_job(job=job)
    clock.now += timedelta(hours=23)
    assert jobs.start(SCOPE, ALICE, deployment_id, client_token="daily").id == first.id
    clock.now += timedelta(hours=1, seconds=1)
    second = jobs.start(SCOPE, ALICE, deployment_id, client_token="daily")
    assert second.id != first.id
    with store.transaction() as repos:
        token = repos.read_start_token(workspace=WORKSPACE, namespace=NAMESPACE, token="daily")
    assert token is not None
    assert token.job_id == second.id


def test_purge_deletes_only_expired_tokens(
    store: SqlStore, jobs: JobService, deployment_id: str, clock: Clock
) -> None:
    jobs.start(SCOPE, ALICE, deployment_id, client_token="old")
    other = make_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=other)
    clock.now += timedelta(hours=20)
    jobs.start(SCOPE, ALICE, other.id, client_token="young")
    clock.now += timedelta(hours=5)
    assert jobs.purge_start_tokens() == 1
    with store.transaction() as repos:
        assert repos.read_start_token(workspace=WORKSPACE, namespace=NAMESPACE, token="old") is None
        assert repos.read_start_token(workspace=WORKSPACE, namespace=NAMESPACE, token="young")


def test_deleting_the_job_deletes_its_token(
    store: SqlStore, jobs: JobService, deployment_id: str
) -> None:
    job = jobs.start(SCOPE, ALICE, deployment_id, client_token="t")
    with store.transaction() as repos:
        repos.delete_deployment(deployment_id=deployment_id)
        assert repos.read_start_token(workspace=WORKSPACE, namespace=NAMESPACE, token="t") is None
        assert repos.read_job(job_id=job.id) is None
