"""The hot update coordinator: moves every open hot update one step per tick.

The reconciler daemon calls ``HotUpdateCoordinator.run_iteration()`` once per tick, after
the reconciler. Like the reconciler it observes (the old job, its stop savepoint, the
new job), decides, and acts — but it only writes desired state through the services
(``JobService.stop`` / ``JobService.start``); the reconciler does everything on Flink.

    REQUESTED  the job is RUNNING   -> request STOP_WITH_SAVEPOINT        -> STOPPING
    STOPPING   job ended, savepoint COMPLETED -> start FROM_SAVEPOINT     -> STARTING
               stop failed (job RUNNING again) or job FAILED              -> FAILED
    STARTING   new job RUNNING                                            -> DONE
               new job ended, or not RUNNING within ``start_timeout``     -> FAILED

Every step is safe to repeat after a crash: a stop already requested by this update, or
a live job already started from its savepoint, is adopted instead of asked for again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.context import Actor, Scope
from millstream.control.ports import Page, Store
from millstream.control.services.hot_updates import HotUpdateStore
from millstream.control.services.jobs import JobService
from millstream.domain.errors import (
    InvalidInput,
    JobAlreadyLive,
    MillstreamError,
    NotFound,
    Unavailable,
)
from millstream.domain.hot_updates import HotUpdate, HotUpdatePhase
from millstream.domain.jobs import (
    DesiredState,
    Job,
    JobStatus,
    RestoreKind,
    RestoreStrategy,
    StopStrategy,
)
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState

__all__ = ["HotUpdateCoordinator"]

_log = logging.getLogger(__name__)


class HotUpdateCoordinator:
    def __init__(
        self,
        hot_updates: HotUpdateStore,
        store: Store,
        jobs: JobService,
        *,
        start_timeout: float = 600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._hot_updates = hot_updates
        self._store = store
        self._jobs = jobs
        self._start_timeout = start_timeout
        self._clock = clock

    def run_iteration(self) -> int:
        """Advance every open hot update by at most one step; how many moved."""
        with self._hot_updates.transaction() as repos:
            open_updates = repos.read_active_hot_updates()
        moved = 0
        for hot_update in open_updates:
            before = hot_update.phase
            try:
                self._advance(hot_update)
            except Unavailable as exc:  # the store or Flink blinked: next tick retries
                _log.debug("hot update %s waits: %s", hot_update.id, exc)
                continue
            except MillstreamError as exc:  # e.g. a race with a user's stop: re-observe
                _log.warning("hot update %s step failed, retrying: %s", hot_update.id, exc)
                continue
            if hot_update.phase is not before:
                moved += 1
        return moved

    # ------------------------------------------------------------------ steps

    def _advance(self, hot_update: HotUpdate) -> None:
        job = self._read_job(hot_update.job_id)
        if hot_update.phase is HotUpdatePhase.REQUESTED:
            self._request_stop(hot_update, job)
        elif hot_update.phase is HotUpdatePhase.STOPPING:
            self._after_stop(hot_update, job)
        elif hot_update.phase is HotUpdatePhase.STARTING:
            self._watch_new_job(hot_update)

    def _request_stop(self, hot_update: HotUpdate, job: Job | None) -> None:
        if job is None or job.is_terminal:
            status = job.status.value if job else "deleted"
            self._fail(
                hot_update,
                "JobNotRunning",
                f"job {hot_update.job_id} ended ({status}) before the hot update stopped it",
            )
            return
        if job.desired is DesiredState.STOPPED:
            if job.stop_strategy is StopStrategy.STOP_WITH_SAVEPOINT:
                self._save(hot_update, HotUpdatePhase.STOPPING)  # our stop, before a crash
            else:
                self._fail(
                    hot_update,
                    "JobStoppedByUser",
                    f"job {job.id} is being stopped ({job.stop_strategy}) by another request",
                )
            return
        if job.status is not JobStatus.RUNNING:
            return  # resubmitting after a cluster loss: wait until it runs again
        self._jobs.stop(
            _scope(hot_update), _actor(hot_update), job.id, StopStrategy.STOP_WITH_SAVEPOINT
        )
        self._save(hot_update, HotUpdatePhase.STOPPING)

    def _after_stop(self, hot_update: HotUpdate, job: Job | None) -> None:
        if job is not None and job.stop_savepoint_id and hot_update.savepoint_id is None:
            hot_update.savepoint_id = job.stop_savepoint_id
            self._save(hot_update)
        savepoint = self._stop_savepoint(hot_update)
        if job is not None and not job.is_terminal:
            if job.desired is DesiredState.RUNNING:  # the reconciler gave up the stop
                cause = savepoint.failure if savepoint and savepoint.failure else "unknown cause"
                self._fail(
                    hot_update,
                    "SavepointFailed",
                    f"the stop-with-savepoint of job {job.id} failed, so the job keeps "
                    f"running with its old settings: {cause}",
                )
            return
        if job is not None and job.status is JobStatus.FAILED:
            reason = job.failure.message if job.failure else "no cause recorded"
            self._fail(hot_update, "JobFailed", f"job {job.id} failed while stopping: {reason}")
            return
        if savepoint is None or savepoint.state is SavepointState.FAILED:
            why = (savepoint.failure if savepoint else None) or "the job ended without one"
            self._fail(hot_update, "SavepointFailed", f"no savepoint to restart from: {why}")
            return
        if savepoint.state is not SavepointState.COMPLETED:
            return  # the job ended first; the reconciler records the location next
        hot_update.savepoint_id = savepoint.id
        self._start_new_job(hot_update)

    def _start_new_job(self, hot_update: HotUpdate) -> None:
        adopted = self._job_started_from(hot_update)
        if adopted is None:
            try:
                adopted = self._jobs.start(
                    _scope(hot_update),
                    _actor(hot_update),
                    hot_update.deployment_id,
                    restore=RestoreStrategy(
                        kind=RestoreKind.FROM_SAVEPOINT, savepoint_id=hot_update.savepoint_id
                    ),
                )
            except JobAlreadyLive as exc:
                self._fail(hot_update, "DeploymentHasOtherJob", str(exc))
                return
            except (InvalidInput, NotFound) as exc:
                self._fail(hot_update, "StartFailed", f"the new job cannot start: {exc}")
                return
        hot_update.new_job_id = adopted.id
        self._save(hot_update, HotUpdatePhase.STARTING)

    def _watch_new_job(self, hot_update: HotUpdate) -> None:
        job = self._read_job(hot_update.new_job_id or "")
        if job is None:
            self._fail(hot_update, "NewJobNotFound", "the new job was deleted")
        elif job.status is JobStatus.RUNNING:
            self._save(hot_update, HotUpdatePhase.DONE)
        elif job.is_terminal:
            reason = job.failure.message if job.failure else job.status.value
            self._fail(
                hot_update,
                "NewJobFailed",
                f"the new job {job.id} did not keep running: {reason}",
            )
        elif self._waited(hot_update) > self._start_timeout:
            self._fail(
                hot_update,
                "NewJobNotRunning",
                f"the new job {job.id} is still {job.status.value} after "
                f"{self._start_timeout:.0f} s; it keeps trying",
            )

    # ------------------------------------------------------------------ reads

    def _read_job(self, job_id: str) -> Job | None:
        with self._store.transaction() as repos:
            return repos.read_job(job_id=job_id)

    def _stop_savepoint(self, hot_update: HotUpdate) -> Savepoint | None:
        """The savepoint of this update's stop: the one recorded on the job, else the
        newest stop savepoint of the job taken since the update began."""
        with self._store.transaction() as repos:
            if hot_update.savepoint_id:
                return repos.read_savepoint(savepoint_id=hot_update.savepoint_id)
            found, _ = repos.read_savepoints(
                workspace=hot_update.workspace,
                namespace=hot_update.namespace,
                page=Page(offset=0, limit=20),
                job_id=hot_update.job_id,
            )
        since = hot_update.created_at
        candidates = [
            s
            for s in found
            if s.origin is SavepointOrigin.STOP_WITH_SAVEPOINT
            and (since is None or s.created_at is None or s.created_at >= since)
        ]
        candidates.sort(key=lambda s: s.created_at or since or self._clock(), reverse=True)
        return candidates[0] if candidates else None

    def _job_started_from(self, hot_update: HotUpdate) -> Job | None:
        with self._store.transaction() as repos:
            live = repos.read_active_jobs(deployment_id=hot_update.deployment_id)
        for job in live:
            if (
                job.restore.kind is RestoreKind.FROM_SAVEPOINT
                and job.restore.savepoint_id == hot_update.savepoint_id
            ):
                return job
        return None

    def _waited(self, hot_update: HotUpdate) -> float:
        since = hot_update.modified_at or hot_update.created_at or self._clock()
        return (self._clock() - since).total_seconds()

    # ------------------------------------------------------------------ writes

    def _save(self, hot_update: HotUpdate, phase: HotUpdatePhase | None = None) -> None:
        if phase is not None:
            hot_update.move_to(phase)
        hot_update.modified_at = self._clock()
        with self._hot_updates.transaction() as repos:
            repos.update_hot_update(hot_update=hot_update)

    def _fail(self, hot_update: HotUpdate, reason: str, message: str) -> None:
        _log.warning("hot update %s failed: %s", hot_update.id, message)
        hot_update.fail(reason, message)
        self._save(hot_update)


def _scope(hot_update: HotUpdate) -> Scope:
    return Scope(workspace=hot_update.workspace, namespace=hot_update.namespace)


def _actor(hot_update: HotUpdate) -> Actor:
    return Actor(id=hot_update.creator or "system", name=f"hot update {hot_update.id}")
