"""Restart policy and observed status in the store (migration 0008), on SQLite and PostgreSQL:
round trips, and rows written before 0008 (checkpoint paths in ``extra``) still load."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, create_engine, update

from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.observed import ObservedState, ObservedStatus
from millstream.domain.restarts import RestartPolicy
from millstream.store import SqlStore, upgrade
from millstream.store.mappers import deployment_columns, job_columns
from millstream.store.models import JobRow
from tests.factories import make_deployment, make_job

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_restart_policy_and_history_round_trip(store: SqlStore) -> None:
    policy = RestartPolicy(enabled=True, max_restarts_per_hour=4)
    deployment = make_deployment(restart_policy=policy)
    job = make_job(
        deployment,
        status=JobStatus.SUSPENDED,
        desired=DesiredState.SUSPENDED,
        restart_policy=policy,
        restart_history=(T0, T0 + timedelta(minutes=5)),
        observed=ObservedStatus(state=ObservedState.FINISHED, latest_checkpoint="s3://c/chk-2"),
    )
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    with store.transaction() as repos:
        assert (
            repos.read_deployment(
                workspace=deployment.workspace,
                namespace=deployment.namespace,
                deployment_id=deployment.id,
            )
            == deployment
        )
        assert repos.read_job(job_id=job.id) == job
        assert [j.id for j in repos.read_active_jobs()] == [job.id]


def test_a_row_with_checkpoint_paths_in_extra_still_loads(store: SqlStore) -> None:
    deployment = make_deployment()
    job = make_job(deployment)
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
        repos.create_job(job=job)
    legacy = {"latest_checkpoint": "s3://c/chk-7", "retained_checkpoint": "s3://c/chk-6", "x": 1}
    with store.engine.begin() as connection:
        connection.execute(update(JobRow).where(JobRow.id == job.id).values(extra=legacy))
    with store.transaction() as repos:
        loaded = repos.read_job(job_id=job.id)
    assert loaded is not None
    assert loaded.observed.latest_checkpoint == "s3://c/chk-7"
    assert loaded.observed.retained_checkpoint == "s3://c/chk-6"
    assert loaded.extra == {"x": 1}
    assert loaded.restart_policy == RestartPolicy()


def test_migration_0008_moves_checkpoint_paths_out_of_extra(new_database_url: str) -> None:
    upgrade(new_database_url, "0007")
    deployment = make_deployment(created_at=T0, modified_at=T0)
    job = make_job(deployment, status=JobStatus.RUNNING, created_at=T0, modified_at=T0)
    engine = create_engine(new_database_url)
    try:
        tables = MetaData()
        tables.reflect(engine, only=["deployments", "jobs"])
        deployments, jobs = tables.tables["deployments"], tables.tables["jobs"]
        old_job = {k: v for k, v in job_columns(job).items() if k in jobs.c}
        old_job["extra"] = {"latest_checkpoint": "s3://c/chk-3", "dialect": "kept"}
        with engine.begin() as connection:
            connection.execute(
                deployments.insert().values(
                    {k: v for k, v in deployment_columns(deployment).items() if k in deployments.c}
                )
            )
            connection.execute(jobs.insert().values(old_job))
    finally:
        engine.dispose()
    upgrade(new_database_url, "0008")
    engine = create_engine(new_database_url)
    try:
        tables = MetaData()
        tables.reflect(engine, only=["jobs"])
        jobs = tables.tables["jobs"]
        with engine.connect() as connection:
            row = connection.execute(jobs.select().where(jobs.c.id == job.id)).one()
    finally:
        engine.dispose()
    assert row.latest_checkpoint == "s3://c/chk-3"
    assert row.retained_checkpoint is None
    assert _document(row.extra) == {"dialect": "kept"}
    assert row.restart_policy is None
    assert row.restart_history is None


def _document(value: object) -> object:
    """A JSON column as reflected: a dict on PostgreSQL, its text on SQLite."""
    return json.loads(value) if isinstance(value, str) else value
