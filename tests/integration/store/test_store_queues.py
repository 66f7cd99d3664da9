"""Queues in the SQL store (SQLite and PostgreSQL): round trip, unique names, optimistic
versions, live-job counts, the admission fields of deployments and jobs, and one
admission pass over the real store surviving a new store (a restarted control plane)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, MetaData, Table, insert, inspect

from millstream.control.admission import Admitter
from millstream.domain.admission import AdmissionReason
from millstream.domain.errors import Conflict, ErrorCode, NotFound, StaleVersion
from millstream.domain.jobs import JobStatus
from millstream.store import SqlStore, mappers, upgrade
from millstream.store.migrate import target_metadata
from tests.factories import (
    make_cluster,
    make_deployment,
    make_job,
    make_namespace,
    make_queue,
)

T0 = datetime(2024, 5, 1, 12, 0, 0, 654321, tzinfo=UTC)


def test_queue_round_trips_every_field(store: SqlStore) -> None:
    queue = make_queue(
        name="etl",
        cluster="session-1",
        capacity_cu=12.5,
        max_job_cu=4.0,
        namespaces=("a", "b"),
        description="nightly",
        follows_cluster=True,
        creator="alice",
        modifier="bob",
        created_at=T0,
        modified_at=T0,
    )
    with store.transaction() as repos:
        repos.create_queue(queue=queue)
    with store.transaction() as repos:
        assert repos.read_queue(name="etl") == queue
        assert repos.read_queue(name="missing") is None


def test_queue_names_are_unique(store: SqlStore) -> None:
    with store.transaction() as repos:
        repos.create_queue(queue=make_queue(name="q"))
    with pytest.raises(Conflict) as caught, store.transaction() as repos:
        repos.create_queue(queue=make_queue(name="q"))
    assert caught.value.code is ErrorCode.QUEUE_EXISTS


def test_queue_updates_are_versioned_and_listed_by_name(store: SqlStore) -> None:
    queue = make_queue(name="b")
    with store.transaction() as repos:
        repos.create_queue(queue=queue)
        repos.create_queue(queue=make_queue(name="a"))
    stale = make_queue(id=queue.id, name="b", version=queue.version)
    queue.capacity_cu = 9.0
    with store.transaction() as repos:
        repos.update_queue(queue=queue)
    assert queue.version == 2
    stale.capacity_cu = 1.0
    with pytest.raises(StaleVersion), store.transaction() as repos:
        repos.update_queue(queue=stale)
    with store.transaction() as repos:
        assert [(q.name, q.capacity_cu) for q in repos.read_queues()] == [("a", 4.0), ("b", 9.0)]
        repos.delete_queue(queue_id=queue.id)
        assert repos.read_queue(name="b") is None
    with pytest.raises(NotFound), store.transaction() as repos:
        repos.update_queue(queue=queue)


def test_deployment_and_job_keep_their_admission_fields(store: SqlStore) -> None:
    deployment = make_deployment(queue="q", priority=-5, schedule_timeout_seconds=90)
    job = make_job(
        deployment,
        queue="q",
        priority=-5,
        schedule_timeout_seconds=90,
        cost_cu=3.25,
        enqueued_at=T0,
        admitted_at=T0 + timedelta(seconds=3),
        status_reason="WAITING_FOR_RESOURCES",
    )
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    with store.transaction() as repos:
        read_deployment = repos.read_deployment(
            workspace=deployment.workspace,
            namespace=deployment.namespace,
            deployment_id=deployment.id,
        )
        read_job = repos.read_job(job_id=job.id)
    assert read_deployment is not None
    assert (read_deployment.queue, read_deployment.priority) == ("q", -5)
    assert read_deployment.schedule_timeout_seconds == 90
    assert read_job is not None
    assert (read_job.queue, read_job.priority, read_job.cost_cu) == ("q", -5, 3.25)
    assert (read_job.enqueued_at, read_job.admitted_at) == (T0, T0 + timedelta(seconds=3))
    assert read_job.status_reason == "WAITING_FOR_RESOURCES"


def test_live_jobs_in_a_queue_are_counted(store: SqlStore) -> None:
    with store.transaction() as repos:
        for status in (JobStatus.STARTING, JobStatus.RUNNING, JobStatus.FAILED):
            deployment = make_deployment()
            repos.create_deployment(deployment=deployment)
            repos.create_job(job=make_job(deployment, queue="q", status=status))
        other = make_deployment()
        repos.create_deployment(deployment=other)
        repos.create_job(job=make_job(other, queue="other"))
    with store.transaction() as repos:
        assert repos.count_live_jobs_in_queue(name="q") == 2
        assert repos.count_live_jobs_in_queue(name="none") == 0


def test_an_admission_pass_on_the_store_admits_in_order_once(
    store: SqlStore, database_url: str
) -> None:
    with store.transaction() as repos:
        repos.create_cluster(cluster=make_cluster(name="default"))
        repos.create_queue(queue=make_queue(name="q", capacity_cu=4.0))
        jobs = []
        for index, priority in enumerate((0, 5, 0)):
            deployment = make_deployment()
            repos.create_deployment(deployment=deployment)
            job = make_job(
                deployment,
                queue="q",
                priority=priority,
                cost_cu=2.0,
                enqueued_at=T0 + timedelta(seconds=index),
            )
            repos.create_job(job=job)
            jobs.append(job)
    now = T0 + timedelta(minutes=1)
    report = Admitter(store, clock=lambda: now).run_iteration()
    assert (report.admitted, report.waiting) == (2, 1)
    restarted = SqlStore(database_url)  # a new control plane over the same database
    try:
        again = Admitter(restarted, clock=lambda: now).run_iteration()
        assert (again.admitted, again.waiting) == (0, 1)
        with restarted.transaction() as repos:
            read = [repos.read_job(job_id=job.id) for job in jobs]
    finally:
        restarted.close()
    admitted = [job is not None and job.admitted_at is not None for job in read]
    assert admitted == [True, True, False]
    assert read[2] is not None
    assert read[2].status_reason == AdmissionReason.WAITING_FOR_RESOURCES


def _insert_as_of_now(connection: Connection, name: str, values: dict[str, Any]) -> None:
    """Insert through the model's column types, only into columns the schema has now."""
    table = target_metadata().tables[name]
    existing = {column["name"] for column in inspect(connection).get_columns(table.name)}
    columns = []
    for column in table.columns:
        if column.name in existing:
            copied = column._copy()
            copied.default = None  # no Python-side defaults for columns we leave out
            columns.append(copied)
    narrowed = Table(table.name, MetaData(), *columns)
    connection.execute(insert(narrowed).values({k: v for k, v in values.items() if k in existing}))


def test_upgrading_to_queues_keeps_every_deployment_and_job(new_database_url: str) -> None:
    # On SQLite a table-recreating migration of ``deployments`` would cascade into
    # ``jobs`` and delete them: 0009 must add its columns in place.
    upgrade(new_database_url, "0008")
    deployment = make_deployment(created_at=T0, modified_at=T0)
    job = make_job(deployment, created_at=T0, modified_at=T0)
    store = SqlStore(new_database_url)
    try:
        with store.engine.begin() as connection:
            _insert_as_of_now(
                connection,
                "namespaces",
                mappers.namespace_columns(make_namespace(created_at=T0)),
            )
            _insert_as_of_now(connection, "deployments", mappers.deployment_columns(deployment))
            _insert_as_of_now(connection, "jobs", mappers.job_columns(job))
    finally:
        store.close()
    upgrade(new_database_url)
    store = SqlStore(new_database_url)
    try:
        with store.transaction() as repos:
            read = repos.read_job(job_id=job.id)
            kept = repos.read_deployment(
                workspace=deployment.workspace,
                namespace=deployment.namespace,
                deployment_id=deployment.id,
            )
    finally:
        store.close()
    assert kept is not None
    assert (kept.queue, kept.priority) == (None, 0)
    assert read is not None
    assert (read.queue, read.priority, read.admitted_at, read.cost_cu) == (None, 0, None, None)
