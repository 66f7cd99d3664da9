"""``SavepointScheduler``: the leader's periodic task that takes each deployment's
scheduled savepoints and applies its retention (``domain.savepoint_schedules``).

Each round, per schedule: observe the deployment's savepoints and live jobs; decide
(due, outside the blackout windows, no savepoint in flight, a RUNNING job); act through
``SavepointService`` (``create`` with origin SCHEDULE; ``delete`` for what retention
picks, which deletes the files too). The trigger time is stored, so a restarted control
plane carries on where it left off. The app factory lists ``run_iteration`` in the
``ReconcilerDaemon``'s periodic tasks.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from millstream.control.context import SYSTEM, Scope
from millstream.control.ports import Page, Store
from millstream.control.savepoint_schedule_ports import SavepointScheduleStore
from millstream.control.services.savepoints import SavepointService
from millstream.domain.errors import MillstreamError
from millstream.domain.jobs import DesiredState, Job, JobStatus
from millstream.domain.savepoint_schedules import (
    Protected,
    SavepointSchedule,
    next_due,
    retention_victims,
    should_trigger,
)
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState

__all__ = ["SavepointScheduler"]

_log = logging.getLogger(__name__)
# Savepoints read per deployment each round (retention's view of its history).
_HISTORY_LIMIT = 10_000
# Between two triggers, a deployment's history is read (and retention applied by age) at
# most this often: the leader runs a round every second.
_IDLE_RETENTION_EVERY = timedelta(seconds=60)


class SavepointScheduler:
    def __init__(
        self,
        schedules: SavepointScheduleStore,
        store: Store,
        savepoints: SavepointService,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._schedules = schedules
        self._store = store
        self._savepoints = savepoints
        self._clock = clock
        self._retained_at: dict[str, datetime] = {}  # deployment -> last retention pass

    def run_iteration(self) -> None:
        """One round over every schedule; one deployment's failure does not stop the rest."""
        with self._schedules.transaction() as repos:
            schedules = repos.read_savepoint_schedules()
        kept = {schedule.deployment_id for schedule in schedules}
        self._retained_at = {k: v for k, v in self._retained_at.items() if k in kept}
        for schedule in schedules:
            try:
                self._run_one(schedule)
            except MillstreamError as exc:
                _log.warning("savepoint schedule of %s: %s", schedule.deployment_id, exc)

    def _run_one(self, schedule: SavepointSchedule) -> None:
        now = self._clock()
        last = self._retained_at.get(schedule.deployment_id)
        idle = now < next_due(schedule) and schedule.pending_savepoint_id is None
        if idle and last is not None and now - last < _IDLE_RETENTION_EVERY:
            return  # nothing to trigger or settle, and retention ran a moment ago
        with self._store.transaction() as repos:
            jobs = repos.read_active_jobs(deployment_id=schedule.deployment_id)
            history, _ = repos.read_savepoints(
                workspace=schedule.workspace,
                namespace=schedule.namespace,
                page=Page(offset=0, limit=_HISTORY_LIMIT),
                deployment_id=schedule.deployment_id,
            )
        in_progress = any(s.state is SavepointState.STARTED for s in history)
        if should_trigger(schedule, now, in_progress=in_progress) and _running(jobs):
            self._trigger(schedule, now)
        elif schedule.pending_savepoint_id is not None and not in_progress:
            self._record(schedule.deployment_id, schedule.last_triggered_at, None)
        self._retain(schedule, history, jobs, now)
        self._retained_at[schedule.deployment_id] = now

    def _trigger(self, schedule: SavepointSchedule, now: datetime) -> None:
        savepoint = self._savepoints.create(
            Scope(schedule.workspace, schedule.namespace),
            SYSTEM,
            schedule.deployment_id,
            description="periodic savepoint",
            origin=SavepointOrigin.SCHEDULE,
        )
        self._record(schedule.deployment_id, now, savepoint.id)
        _log.info("periodic savepoint %s of %s requested", savepoint.id, schedule.deployment_id)

    def _record(
        self, deployment_id: str, last_triggered_at: datetime | None, pending: str | None
    ) -> None:
        """Write the bookkeeping onto the stored schedule (a user may have changed the rest)."""
        with self._schedules.transaction() as repos:
            current = repos.read_savepoint_schedule(deployment_id=deployment_id)
            if current is not None:
                repos.write_savepoint_schedule(
                    schedule=dataclasses.replace(
                        current, last_triggered_at=last_triggered_at, pending_savepoint_id=pending
                    )
                )

    def _retain(
        self,
        schedule: SavepointSchedule,
        history: list[Savepoint],
        jobs: list[Job],
        now: datetime,
    ) -> None:
        victims = retention_victims(
            history, schedule.retention, now=now, protected=_protected(jobs)
        )
        scope = Scope(schedule.workspace, schedule.namespace)
        for victim in victims:
            try:
                self._savepoints.delete(scope, SYSTEM, victim.id)
            except MillstreamError as exc:  # in use meanwhile, or already gone
                _log.info("retention kept savepoint %s: %s", victim.id, exc)


def _running(jobs: list[Job]) -> bool:
    return any(
        job.status is JobStatus.RUNNING and job.desired is DesiredState.RUNNING for job in jobs
    )


def _protected(jobs: list[Job]) -> Protected:
    """What live jobs depend on: the state they restored from, the savepoint their restore
    strategy names, the savepoint a suspended job resumes from."""
    ids = {job.restore.savepoint_id for job in jobs if job.restore.savepoint_id}
    ids |= {job.stop_savepoint_id for job in jobs if job.stop_savepoint_id}
    locations = {job.restored_from for job in jobs if job.restored_from}
    return Protected(ids=frozenset(ids), locations=frozenset(locations))
