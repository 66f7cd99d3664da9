"""Jobs in the SQL store: round trip, ordering, active jobs, optimistic versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.ports import Page
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.deployments import Logging
from millstream.domain.errors import JobAlreadyLive, NotFound, StaleVersion
from millstream.domain.jobs import (
    DesiredState,
    Failure,
    Job,
    JobStatus,
    RestoreKind,
    RestoreStrategy,
    StopStrategy,
)
from millstream.domain.observed import ObservedState, ObservedStatus
from millstream.domain.resources import ResourceSetting, ResourceSpec
from millstream.domain.restarts import RestartPolicy
from millstream.store import SqlStore
from tests.factories import make_deployment, make_job

T0 = datetime(2024, 5, 1, 12, 0, 0, 654321, tzinfo=UTC)


def test_job_round_trips_every_field(store: SqlStore) -> None:
    deployment = make_deployment()
    job = make_job(
        deployment,
        artifact=Artifact(
            ArtifactKind.PYTHON,
            python_artifact_uri="oss://b/job.py",
            entry_module="job.main",
            additional_python_libraries=("a.whl", "b.whl"),
        ),
        execution_mode=ExecutionMode.BATCH,
        engine_version="FLINK_VERSION_1_16",
        resources=ResourceSetting(parallelism=3, taskmanager=ResourceSpec(0.5, "1536 MiB")),
        flink_conf={"state.backend": "rocksdb", "pipeline.name": "x"},
        user_flink_conf={"state.backend": "rocksdb"},
        logging=Logging(log4j_loggers=(("root", "DEBUG"),)),
        local_variables={"v": "1"},
        restore=RestoreStrategy(
            kind=RestoreKind.FROM_SAVEPOINT,
            savepoint_id="sp-1",
            allow_non_restored_state=True,
            job_start_time_ms=1_700_000_000_000,
        ),
        cluster="session-2",
        desired=DesiredState.STOPPED,
        stop_strategy=StopStrategy.STOP_WITH_DRAIN,
        status=JobStatus.CANCELLING,
        attempt=2,
        flink_job_id="0123456789abcdef0123456789abcdef",
        restored_from="s3://b/savepoints/sp-1",
        observed=ObservedStatus(
            state=ObservedState.RUNNING,
            restarts=4,
            modified_ms=1_700_000_123_456,
            latest_checkpoint="s3://b/checkpoints/chk-9",
            retained_checkpoint="s3://b/checkpoints/chk-8",
        ),
        restart_policy=RestartPolicy(enabled=True, max_restarts_per_hour=5),
        restart_history=(T0 + timedelta(minutes=3), T0 + timedelta(minutes=4)),
        failure=Failure("boom", "java.lang.RuntimeException", T0 + timedelta(hours=1)),
        stop_savepoint_id="sp-2",
        start_time=T0 + timedelta(minutes=1),
        end_time=T0 + timedelta(minutes=2),
        creator="alice",
        modifier="bob",
        created_at=T0,
        modified_at=T0 + timedelta(seconds=1),
        version=7,
        extra={"dialect": {"instanceId": 42}},
    )
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    with store.transaction() as repos:
        stored = repos.read_job(job_id=job.id)
    assert stored == job


def test_job_of_missing_deployment_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="deployment"), store.transaction() as repos:
        repos.create_job(job=make_job())


def _create_jobs(store: SqlStore, count: int, *, same_time: bool = False) -> list[Job]:
    """``count`` jobs of one deployment; only the newest is live."""
    deployment = make_deployment()
    jobs = [
        make_job(
            deployment,
            created_at=T0 if same_time else T0 + timedelta(seconds=i),
            status=JobStatus.STARTING if i == count - 1 else JobStatus.FINISHED,
        )
        for i in range(count)
    ]
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        for job in jobs:
            repos.create_job(job=job)
    return jobs


def test_read_jobs_is_newest_first_with_total(store: SqlStore) -> None:
    jobs = _create_jobs(store, 5)
    deployment_id = jobs[0].deployment_id
    with store.transaction() as repos:
        page, total = repos.read_jobs(
            workspace="ws", namespace="ns", deployment_id=deployment_id, page=Page(1, 3)
        )
        oldest, _ = repos.read_jobs(
            workspace="ws",
            namespace="ns",
            deployment_id=deployment_id,
            page=Page(0, 2),
            newest_first=False,
        )
    assert total == 5
    assert [j.id for j in page] == [jobs[3].id, jobs[2].id, jobs[1].id]
    assert [j.status for j in page] == [JobStatus.FINISHED] * 3
    assert [j.id for j in oldest] == [jobs[0].id, jobs[1].id]


def test_read_job_keys_is_read_jobs_page_as_ids_and_versions(store: SqlStore) -> None:
    jobs = _create_jobs(store, 5, same_time=True)
    deployment_id = jobs[0].deployment_id
    with store.transaction() as repos:
        changed = repos.read_job(job_id=jobs[2].id)
        assert changed is not None
        repos.update_job(job=changed)
    for newest_first in (True, False):
        with store.transaction() as repos:
            which = {"workspace": "ws", "namespace": "ns", "deployment_id": deployment_id}
            full, total = repos.read_jobs(**which, page=Page(1, 3), newest_first=newest_first)
            keys, key_total = repos.read_job_keys(
                **which, page=Page(1, 3), newest_first=newest_first
            )
        assert (keys, key_total) == ([(j.id, j.version) for j in full], total)
        assert total == 5
    with store.transaction() as repos:  # past the end: no row carries the total
        past, past_total = repos.read_job_keys(
            workspace="ws", namespace="ns", deployment_id=deployment_id, page=Page(5, 3)
        )
    assert (past, past_total) == ([], 5)
    with store.transaction() as repos:
        elsewhere, none = repos.read_job_keys(
            workspace="ws", namespace="other", deployment_id=deployment_id, page=Page()
        )
        by_id = repos.read_jobs_by_id(job_ids=[jobs[2].id, "missing"])
    assert (elsewhere, none) == ([], 0)
    assert [(j.id, j.version) for j in by_id] == [(jobs[2].id, 2)]


def test_read_jobs_breaks_ties_by_id(store: SqlStore) -> None:
    jobs = _create_jobs(store, 4, same_time=True)
    with store.transaction() as repos:
        found, _ = repos.read_jobs(
            workspace="ws", namespace="ns", deployment_id=jobs[0].deployment_id, page=Page()
        )
    assert [j.id for j in found] == sorted((j.id for j in jobs), reverse=True)


def test_read_active_jobs_skips_terminal_ones(store: SqlStore) -> None:
    deployments = {status: make_deployment() for status in JobStatus}
    jobs = {status: make_job(deployments[status], status=status) for status in JobStatus}
    with store.transaction() as repos:
        for status in JobStatus:
            repos.create_deployment(deployment=deployments[status])
            repos.create_job(job=jobs[status])
    running = deployments[JobStatus.RUNNING].id
    with store.transaction() as repos:
        active = repos.read_active_jobs()
        of_running = repos.read_active_jobs(deployment_id=running)
        of_failed = repos.read_active_jobs(deployment_id=deployments[JobStatus.FAILED].id)
    live = {JobStatus.STARTING, JobStatus.RUNNING, JobStatus.CANCELLING, JobStatus.SUSPENDED}
    assert {j.id for j in active} == {jobs[s].id for s in live}
    assert [j.id for j in of_running] == [jobs[JobStatus.RUNNING].id]
    assert of_failed == []


def test_second_live_job_of_a_deployment_is_rejected(store: SqlStore) -> None:
    deployment = make_deployment(name="orders")
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=make_job(deployment, status=JobStatus.FAILED))
        repos.create_job(job=make_job(deployment, status=JobStatus.RUNNING))
    with (
        pytest.raises(JobAlreadyLive, match="'orders' already has a job"),
        store.transaction() as repos,
    ):
        repos.create_job(job=make_job(deployment))


def test_read_deployment_stamp_is_its_version_and_job_counts(store: SqlStore) -> None:
    jobs = _create_jobs(store, 3)
    deployment_id = jobs[0].deployment_id
    lone = make_deployment()
    which = {"workspace": "ws", "namespace": "ns"}
    with store.transaction() as repos:
        repos.create_deployment(deployment=lone)
        stamp = repos.read_deployment_stamp(**which, deployment_id=deployment_id)
        counts = repos.count_jobs_by_status(deployment_ids=[deployment_id])
        deployment = repos.read_deployment(**which, deployment_id=deployment_id)
        empty = repos.read_deployment_stamp(**which, deployment_id=lone.id)
        elsewhere = repos.read_deployment_stamp(
            workspace="ws", namespace="other", deployment_id=deployment_id
        )
        missing = repos.read_deployment_stamp(**which, deployment_id="missing")
    assert deployment is not None
    assert stamp == (deployment.version, counts[deployment_id])
    assert counts[deployment_id] == {JobStatus.FINISHED: 2, JobStatus.STARTING: 1}
    assert empty == (lone.version, {})
    assert elsewhere is None
    assert missing is None


def test_update_job_checks_and_increments_version(store: SqlStore) -> None:
    (job,) = _create_jobs(store, 1)
    with store.transaction() as repos:
        stale = repos.read_job(job_id=job.id)
    job.move_to(JobStatus.RUNNING)
    job.observed.restarts = 1
    with store.transaction() as repos:
        repos.update_job(job=job)
        again = repos.read_job(job_id=job.id)
    assert job.version == 2
    assert again == job
    assert stale is not None
    stale.move_to(JobStatus.FAILED)
    with pytest.raises(StaleVersion, match=f"job {job.id}"), store.transaction() as repos:
        repos.update_job(job=stale)
    with store.transaction() as repos:
        stored = repos.read_job(job_id=job.id)
    assert stored is not None
    assert stored.status is JobStatus.RUNNING


def test_updates_in_one_transaction_see_each_other(store: SqlStore) -> None:
    (job,) = _create_jobs(store, 1)
    with store.transaction() as repos:
        loaded = repos.read_job(job_id=job.id)
        assert loaded is not None
        loaded.attempt = 5
        repos.update_job(job=loaded)
        reloaded = repos.read_job(job_id=job.id)
        assert reloaded is not None
        reloaded.attempt = 6
        repos.update_job(job=reloaded)
    assert reloaded.version == 3


def test_delete_job(store: SqlStore) -> None:
    (job,) = _create_jobs(store, 1)
    with store.transaction() as repos:
        repos.delete_job(job_id=job.id)
        assert repos.read_job(job_id=job.id) is None
