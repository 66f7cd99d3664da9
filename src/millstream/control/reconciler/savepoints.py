"""Savepoints: trigger, poll, and record a location the moment Flink reports it.

Two kinds go through here. The savepoint a stop or a suspend takes (``Step.
STOP_WITH_SAVEPOINT`` and ``Step.POLL_STOP``, handlers called by the controller): it is
recorded before Flink is asked, its trigger id right after, its location as soon as Flink
reports it, even if the job's conclusion fails later; a stop that cannot take its
savepoint fails loudly and the job keeps running. And a savepoint a user requested
(``reconcile_savepoint``, once per tick per pending savepoint): trigger, store the
trigger id, check it next tick. ``retain_checkpoint`` records a job's newest checkpoint
as restorable state; the job actions call it when a run ends or is lost.
"""

from __future__ import annotations

import uuid

from millstream.control.ports import FlinkCluster, Repositories
from millstream.control.reconciler.actions import Act, Context
from millstream.control.services.common import record_event
from millstream.domain.clusters import Cluster
from millstream.domain.decisions import Step
from millstream.domain.errors import EnginePermanentError
from millstream.domain.events import EventName
from millstream.domain.jobs import DesiredState, Job, JobStatus, StopStrategy
from millstream.domain.observed import ObservedState
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState

__all__ = ["Savepoints", "retain_checkpoint"]

_NO_CAUSE = "savepoint failed without a cause"


def retain_checkpoint(ctx: Context, repos: Repositories, job: Job) -> None:
    """Record the job's newest known checkpoint as restorable state, once."""
    path = job.observed.latest_checkpoint
    if path is None or job.observed.retained_checkpoint == path:
        return
    now = ctx.clock()
    repos.create_savepoint(
        savepoint=Savepoint(
            id=str(uuid.uuid4()),
            workspace=job.workspace,
            namespace=job.namespace,
            deployment_id=job.deployment_id,
            job_id=job.id,
            origin=SavepointOrigin.RETAINED_CHECKPOINT,
            state=SavepointState.COMPLETED,
            location=path,
            created_at=now,
            modified_at=now,
        )
    )
    job.observed.retained_checkpoint = path


class Savepoints:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # ------------------------------------------------------------------ stop / suspend

    def stop_with_savepoint(self, act: Act) -> None:
        """``Step.STOP_WITH_SAVEPOINT``: record the savepoint, then ask Flink."""
        job, flink = act.job, act.flink
        drain = job.stop_strategy is StopStrategy.STOP_WITH_DRAIN
        now = self._ctx.clock()
        savepoint = Savepoint(
            id=str(uuid.uuid4()),
            workspace=job.workspace,
            namespace=job.namespace,
            deployment_id=job.deployment_id,
            job_id=job.id,
            origin=SavepointOrigin.STOP_WITH_SAVEPOINT,
            stop_with_drain=drain,
            created_at=now,
            modified_at=now,
        )
        verb = "suspending" if job.desired is DesiredState.SUSPENDED else "stopping"
        with self._ctx.store.transaction() as repos:
            repos.create_savepoint(savepoint=savepoint)
            job.stop_savepoint_id = savepoint.id
            job.move_to(JobStatus.CANCELLING)
            job.modified_at = now
            repos.update_job(job=job)
            record_event(
                repos, job, EventName.JOB_STOPPING, f"{verb} with savepoint {savepoint.id}", now=now
            )
        self._trigger_stop(job, savepoint, flink)

    def _trigger_stop(self, job: Job, savepoint: Savepoint, flink: FlinkCluster) -> None:
        try:
            trigger = flink.stop_with_savepoint(
                job.flink_job_id or "",
                target_directory=self._ctx.engine.savepoint_directory(
                    deployment_id=job.deployment_id
                ),
                drain=savepoint.stop_with_drain,
            )
        except EnginePermanentError as exc:
            self._stop_failed(job, savepoint, str(exc))
            return
        with self._ctx.store.transaction() as repos:
            savepoint.trigger_id = trigger
            savepoint.modified_at = self._ctx.clock()
            repos.update_savepoint(savepoint=savepoint)

    def poll_stop(self, act: Act) -> None:
        """``Step.POLL_STOP``: check the stop's savepoint; record its location at once."""
        job, row, flink = act.job, act.row, act.flink
        with self._ctx.store.transaction() as repos:
            savepoint = repos.read_savepoint(savepoint_id=job.stop_savepoint_id or "")
        if savepoint is None or savepoint.state is not SavepointState.STARTED:
            return
        if savepoint.trigger_id is None:
            if row is not None and row.state is ObservedState.RUNNING:
                self._trigger_stop(job, savepoint, flink)
                return
            self._stop_failed(job, savepoint, "the job ended before the savepoint was triggered")
            return
        try:
            progress = flink.savepoint_progress(job.flink_job_id or "", savepoint.trigger_id)
        except EnginePermanentError as exc:
            progress_failure: str | None = str(exc)
        else:
            if not progress.done:
                return
            progress_failure = progress.failure
            if progress.location and progress_failure is None:
                with self._ctx.store.transaction() as repos:
                    savepoint.state = SavepointState.COMPLETED
                    savepoint.location = progress.location
                    savepoint.modified_at = self._ctx.clock()
                    repos.update_savepoint(savepoint=savepoint)
                    record_event(
                        repos,
                        job,
                        EventName.SAVEPOINT_COMPLETED,
                        f"savepoint {savepoint.id} at {progress.location}",
                        now=savepoint.modified_at,
                    )
                return
        self._stop_failed(job, savepoint, progress_failure or _NO_CAUSE)

    def _stop_failed(self, job: Job, savepoint: Savepoint, cause: str) -> None:
        """A stop or suspend that cannot take its savepoint fails loudly; the job keeps
        running (its desired state goes back to RUNNING)."""
        now = self._ctx.clock()
        with self._ctx.store.transaction() as repos:
            savepoint.state = SavepointState.FAILED
            savepoint.failure = cause
            savepoint.modified_at = now
            repos.update_savepoint(savepoint=savepoint)
            current = repos.read_job(job_id=job.id)
            if current is None:
                return
            wish = "suspend" if current.desired is DesiredState.SUSPENDED else "stop"
            if not current.is_terminal:
                current.desired = DesiredState.RUNNING
                current.stop_strategy = None
                current.stop_savepoint_id = None
                if current.status is JobStatus.CANCELLING:
                    current.move_to(JobStatus.RUNNING)
                current.modified_at = now
                repos.update_job(job=current)
            record_event(
                repos,
                current,
                EventName.STOP_FAILED,
                f"{wish} with savepoint failed, the job keeps running: {cause}",
                now=now,
            )

    # ------------------------------------------------------------------ user savepoints

    def reconcile_savepoint(
        self, savepoint: Savepoint, clusters: dict[tuple[str, str], Cluster]
    ) -> Step:
        """A savepoint a user asked for: trigger it, then poll it on the next ticks."""
        with self._ctx.store.transaction() as repos:
            job = repos.read_job(job_id=savepoint.job_id or "")
        cluster = clusters.get((job.workspace, job.cluster)) if job else None
        if (
            job is None
            or job.is_terminal
            or job.status is JobStatus.SUSPENDED
            or job.flink_job_id is None
            or cluster is None
        ):
            self._savepoint_done(savepoint, None, "the job is no longer running", job)
            return Step.CONCLUDE
        flink = self._ctx.engine.cluster(cluster)
        try:
            if savepoint.trigger_id is None:
                trigger = flink.trigger_savepoint(
                    job.flink_job_id,
                    target_directory=self._ctx.engine.savepoint_directory(
                        deployment_id=job.deployment_id
                    ),
                )
                with self._ctx.store.transaction() as repos:
                    savepoint.trigger_id = trigger
                    savepoint.modified_at = self._ctx.clock()
                    repos.update_savepoint(savepoint=savepoint)
                    record_event(
                        repos,
                        job,
                        EventName.SAVEPOINT_TRIGGERED,
                        f"savepoint {savepoint.id} triggered",
                        now=savepoint.modified_at,
                    )
                return Step.POLL_STOP
            progress = flink.savepoint_progress(job.flink_job_id, savepoint.trigger_id)
        except EnginePermanentError as exc:
            self._savepoint_done(savepoint, None, str(exc), job)
            return Step.CONCLUDE
        if progress.done:
            self._savepoint_done(savepoint, progress.location, progress.failure, job)
            return Step.CONCLUDE
        return Step.NOTHING

    def _savepoint_done(
        self, savepoint: Savepoint, location: str | None, failure: str | None, job: Job | None
    ) -> None:
        now = self._ctx.clock()
        with self._ctx.store.transaction() as repos:
            if location and failure is None:
                savepoint.state = SavepointState.COMPLETED
                savepoint.location = location
                name, message = (
                    EventName.SAVEPOINT_COMPLETED,
                    f"savepoint {savepoint.id} at {location}",
                )
            else:
                savepoint.state = SavepointState.FAILED
                savepoint.failure = failure or _NO_CAUSE
                name, message = (
                    EventName.SAVEPOINT_FAILED,
                    f"savepoint {savepoint.id} failed: {savepoint.failure}",
                )
            savepoint.modified_at = now
            repos.update_savepoint(savepoint=savepoint)
            if job is not None:
                record_event(repos, job, name, message, now=now)
