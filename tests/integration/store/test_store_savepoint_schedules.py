"""Savepoint schedules in the SQL store (SQLite and PostgreSQL): a round trip of every
field, replace keeps one row per deployment, delete says whether there was one, and
deleting the deployment deletes its schedule."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time

from millstream.domain.savepoint_schedules import Blackout, Retention, SavepointSchedule
from millstream.store import SqlStore
from millstream.store.savepoint_schedules import SqlSavepointScheduleStore
from tests.factories import make_deployment

T0 = datetime(2026, 12, 4, 22, 40, 5, tzinfo=UTC)


def _deployment(store: SqlStore) -> str:
    deployment = make_deployment()
    with store.transaction() as repos:
        repos.create_deployment(deployment=deployment)
    return deployment.id


def _schedule(deployment_id: str) -> SavepointSchedule:
    return SavepointSchedule(
        deployment_id=deployment_id,
        workspace="default",
        namespace="default-namespace",
        cron="0 * * * *",
        timezone="Europe/Berlin",
        retention=Retention(max_count=5, max_age_seconds=7 * 86400),
        blackouts=(Blackout(time(9, 0), time(10, 0)), Blackout(time(22, 0), time(2, 30))),
        last_triggered_at=T0,
        pending_savepoint_id="sp-1",
        modifier="alice-id",
        created_at=T0,
        modified_at=T0,
    )


def test_schedule_round_trips_every_field_and_replaces(store: SqlStore) -> None:
    schedules = SqlSavepointScheduleStore(store.engine)
    schedule = _schedule(_deployment(store))
    with schedules.transaction() as repos:
        repos.write_savepoint_schedule(schedule=schedule)
    with schedules.transaction() as repos:
        assert repos.read_savepoint_schedule(deployment_id=schedule.deployment_id) == schedule
        assert repos.read_savepoint_schedule(deployment_id="missing") is None
    replaced = dataclasses.replace(
        schedule, cron=None, interval_seconds=60, blackouts=(), pending_savepoint_id=None
    )
    with schedules.transaction() as repos:
        repos.write_savepoint_schedule(schedule=replaced)
    with schedules.transaction() as repos:
        assert repos.read_savepoint_schedules() == [replaced]


def test_delete_reports_whether_there_was_one(store: SqlStore) -> None:
    schedules = SqlSavepointScheduleStore(store.engine)
    schedule = _schedule(_deployment(store))
    with schedules.transaction() as repos:
        repos.write_savepoint_schedule(schedule=schedule)
    with schedules.transaction() as repos:
        assert repos.delete_savepoint_schedule(deployment_id=schedule.deployment_id)
    with schedules.transaction() as repos:
        assert not repos.delete_savepoint_schedule(deployment_id=schedule.deployment_id)
        assert repos.read_savepoint_schedules() == []


def test_deleting_the_deployment_deletes_its_schedule(store: SqlStore) -> None:
    schedules = SqlSavepointScheduleStore(store.engine)
    schedule = _schedule(_deployment(store))
    with schedules.transaction() as repos:
        repos.write_savepoint_schedule(schedule=schedule)
    with store.transaction() as repos:
        repos.delete_deployment(deployment_id=schedule.deployment_id)
    with schedules.transaction() as repos:
        assert repos.read_savepoint_schedules() == []
