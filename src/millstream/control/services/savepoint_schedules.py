"""Periodic-savepoint use cases the API and CLI serve: read, set and remove a
deployment's savepoint schedule (``domain.savepoint_schedules``).

Setting a schedule only writes it (validated); ``control.savepoint_scheduler`` reads the
schedules each round, takes the savepoints and applies retention. The store port is
``control.savepoint_schedule_ports.SavepointScheduleStore``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from millstream.control.context import Actor, Scope
from millstream.control.savepoint_schedule_ports import SavepointScheduleStore
from millstream.control.services.deployments import DeploymentService
from millstream.domain.errors import NotFound
from millstream.domain.savepoint_schedules import (
    Retention,
    SavepointSchedule,
    parse_blackout,
)

__all__ = ["SavepointScheduleService"]


class SavepointScheduleService:
    def __init__(
        self,
        store: SavepointScheduleStore,
        deployments: DeploymentService,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._deployments = deployments
        self._clock = clock

    def get(self, scope: Scope, deployment_id: str) -> SavepointSchedule:
        """The deployment's schedule; ``NotFound`` when it has none."""
        deployment = self._deployments.get(scope, deployment_id)  # NotFound outside scope
        with self._store.transaction() as repos:
            schedule = repos.read_savepoint_schedule(deployment_id=deployment_id)
        if schedule is None:
            raise NotFound(f"deployment {deployment.name!r} has no savepoint schedule")
        return schedule

    def put(
        self,
        scope: Scope,
        actor: Actor,
        deployment_id: str,
        *,
        interval_seconds: int | None = None,
        cron: str | None = None,
        timezone: str = "UTC",
        max_count: int | None = None,
        max_age_seconds: int | None = None,
        blackouts: Sequence[str] = (),
    ) -> SavepointSchedule:
        """Create or replace the schedule (validated); the scheduler's bookkeeping stays."""
        self._deployments.get(scope, deployment_id)
        now = self._clock()
        schedule = SavepointSchedule(
            deployment_id=deployment_id,
            workspace=scope.workspace,
            namespace=scope.namespace,
            interval_seconds=interval_seconds,
            cron=cron.strip() if cron is not None else None,
            timezone=timezone,
            retention=Retention(max_count=max_count, max_age_seconds=max_age_seconds),
            blackouts=tuple(parse_blackout(text) for text in blackouts),
            modifier=actor.id,
            created_at=now,
            modified_at=now,
        )
        schedule.validate()
        with self._store.transaction() as repos:
            current = repos.read_savepoint_schedule(deployment_id=deployment_id)
            if current is not None:
                schedule = dataclasses.replace(
                    schedule,
                    created_at=current.created_at,
                    last_triggered_at=current.last_triggered_at,
                    pending_savepoint_id=current.pending_savepoint_id,
                )
            repos.write_savepoint_schedule(schedule=schedule)
        return schedule

    def delete(self, scope: Scope, deployment_id: str) -> None:
        """Remove the schedule; existing savepoints stay. ``NotFound`` when it has none."""
        deployment = self._deployments.get(scope, deployment_id)
        with self._store.transaction() as repos:
            if not repos.delete_savepoint_schedule(deployment_id=deployment_id):
                raise NotFound(f"deployment {deployment.name!r} has no savepoint schedule")
