"""The JobManager resize coordinator: moves every open ``ClusterRestart`` one step per tick.

The reconciler daemon calls ``ClusterRestartCoordinator.run_iteration()`` once per tick,
after the reconciler. It observes the carried jobs and the cluster, decides, and acts only
through the services (``JobService.suspend`` / ``resume``, ``ClusterService.resize_jobmanager``);
the reconciler does everything on Flink and restarts the cluster's processes.

    REQUESTED   ask every carried RUNNING job to suspend                  -> SUSPENDING
    SUSPENDING  all SUSPENDED (or ended on purpose), the cluster RUNNING
                -> record its start time, apply the new size              -> RESTARTING
                a suspend failed (job RUNNING again) or a job FAILED      -> FAILED
    RESTARTING  the cluster RUNNING again (another start time, the new size)
                -> resume every carried SUSPENDED job                     -> RESUMING
                the cluster FAILED                                        -> FAILED
    RESUMING    every carried job RUNNING                                 -> DONE
                a carried job ended                                       -> FAILED

A FAILED operation leaves things as they are: before the size is applied the cluster is
untouched, and jobs already suspended stay SUSPENDED (its message names them: resume them).
A phase waiting longer than its timeout fails with a message saying what it waited for.

Every step is safe to repeat after a crash: a suspend already asked for is not asked
again (only RUNNING jobs wanting to run are), the start time is recorded before the size
is applied and the size is applied again while the cluster does not have it (the same
size is a no-op), and only jobs still SUSPENDED and not wanted running are resumed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.context import Scope
from millstream.control.ports import Store
from millstream.control.services.cluster_restarts import (
    ClusterRestartStore,
    resize_actor,
    suspend_all,
)
from millstream.control.services.clusters import ClusterService
from millstream.control.services.jobs import JobService
from millstream.domain.cluster_restarts import ClusterRestart, ClusterRestartPhase, suspend_check
from millstream.domain.clusters import Cluster, ClusterKind, ClusterStatus
from millstream.domain.errors import Conflict, InvalidTransition, MillstreamError, Unavailable
from millstream.domain.jobs import DesiredState, Job, JobStatus

__all__ = ["ClusterRestartCoordinator"]

_log = logging.getLogger(__name__)


class ClusterRestartCoordinator:
    def __init__(
        self,
        restarts: ClusterRestartStore,
        store: Store,
        jobs: JobService,
        clusters: ClusterService,
        *,
        timeout: float = 600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._restarts = restarts
        self._store = store
        self._jobs = jobs
        self._clusters = clusters
        self._timeout = timeout  # per phase
        self._clock = clock

    def run_iteration(self) -> int:
        """Advance every open operation by at most one step; how many moved."""
        with self._restarts.transaction() as repos:
            open_restarts = repos.read_open_cluster_restarts()
        moved = 0
        for restart in open_restarts:
            before = restart.phase
            try:
                self._advance(restart)
            except Unavailable as exc:  # the store blinked: next tick retries
                _log.info("JobManager resize %s waits: %s", restart.id, exc)
                continue
            except MillstreamError as exc:  # e.g. a race with a user's action: re-observe
                _log.warning("JobManager resize %s step failed, retrying: %s", restart.id, exc)
                continue
            if restart.phase is not before:
                moved += 1
        return moved

    # ------------------------------------------------------------------ steps

    def _advance(self, restart: ClusterRestart) -> None:
        jobs = self._read_jobs(restart)
        if restart.phase is ClusterRestartPhase.REQUESTED:
            suspend_all(self._jobs, restart, list(jobs.values()))
            self._save(restart, ClusterRestartPhase.SUSPENDING)
        elif restart.phase is ClusterRestartPhase.SUSPENDING:
            self._after_suspend(restart, jobs)
        elif restart.phase is ClusterRestartPhase.RESTARTING:
            self._watch_restart(restart, jobs)
        elif restart.phase is ClusterRestartPhase.RESUMING:
            self._watch_resume(restart, jobs)

    def _after_suspend(self, restart: ClusterRestart, jobs: dict[str, Job]) -> None:
        check = suspend_check(restart.job_ids, jobs)
        if check.failure is not None:
            self._fail(restart, "SuspendFailed", f"{check.failure}. {_left(jobs)}")
            return
        if not check.done:
            self._time_out(
                restart,
                "SuspendTimedOut",
                f"job(s) {', '.join(check.waiting_for)} not suspended",
                jobs,
            )
            return
        cluster = self._read_cluster(restart)
        if cluster is None:
            self._fail(restart, "ClusterNotFound", f"cluster {restart.cluster!r} was deleted")
            return
        if cluster.status is not ClusterStatus.RUNNING:
            self._time_out(
                restart, "ClusterNotRunning", f"cluster {cluster.name!r} not RUNNING", jobs
            )
            return
        restart.previous_start = cluster.started_at
        self._save(
            restart,
            ClusterRestartPhase.RESTARTING,
            "the jobs are suspended; the cluster restarts with the new JobManager size",
        )
        self._apply(restart, jobs)

    def _apply(self, restart: ClusterRestart, jobs: dict[str, Job]) -> None:
        try:
            self._clusters.resize_jobmanager(
                _scope(restart), resize_actor(restart), restart.cluster, restart.jobmanager
            )
        except Conflict as exc:  # e.g. another job was started on the cluster meanwhile
            self._fail(restart, "ResizeRefused", f"{exc.message}. {_left(jobs)}")

    def _watch_restart(self, restart: ClusterRestart, jobs: dict[str, Job]) -> None:
        cluster = self._read_cluster(restart)
        if cluster is None:
            self._fail(restart, "ClusterNotFound", f"cluster {restart.cluster!r} was deleted")
        elif cluster.resources.jobmanager != restart.jobmanager:
            self._apply(restart, jobs)  # recorded RESTARTING, then crashed before applying
        elif cluster.status is ClusterStatus.FAILED:
            reason = cluster.failure.message if cluster.failure else "no cause recorded"
            self._fail(
                restart,
                "ClusterFailed",
                f"cluster {cluster.name!r} failed to restart with the new JobManager size: "
                f"{reason}. {_left(jobs)}",
            )
        elif (
            cluster.status is ClusterStatus.RUNNING
            and cluster.started_at is not None
            and cluster.started_at != restart.previous_start
        ):
            actor = resize_actor(restart)
            for job in jobs.values():
                if job.status is JobStatus.SUSPENDED and job.desired is DesiredState.SUSPENDED:
                    try:
                        self._jobs.resume(Scope(job.workspace, job.namespace), actor, job.id)
                    except InvalidTransition:
                        continue
            self._save(
                restart,
                ClusterRestartPhase.RESUMING,
                "the cluster runs with the new JobManager size; the jobs resume from their "
                "savepoints",
            )
        else:
            self._time_out(restart, "RestartTimedOut", f"cluster {cluster.name!r} not back", jobs)

    def _watch_resume(self, restart: ClusterRestart, jobs: dict[str, Job]) -> None:
        ended = [job for job in jobs.values() if job.is_terminal]
        if ended:
            job = ended[0]
            reason = job.failure.message if job.failure else job.status.value
            self._fail(
                restart,
                "ResumeFailed",
                f"job {job.id} did not run again after the restart: {reason}",
            )
            return
        waiting = [
            j.id
            for j in jobs.values()
            if j.status is not JobStatus.RUNNING
            and not (j.status is JobStatus.SUSPENDED and j.desired is DesiredState.SUSPENDED)
        ]
        if not waiting:
            self._save(restart, ClusterRestartPhase.DONE, "the jobs run on the resized cluster")
        elif self._waited(restart) > self._timeout:
            self._fail(
                restart,
                "ResumeTimedOut",
                f"job(s) {', '.join(waiting)} not RUNNING after {self._timeout:.0f} s; "
                "they keep trying",
            )

    # ------------------------------------------------------------------ reads

    def _read_jobs(self, restart: ClusterRestart) -> dict[str, Job]:
        """The carried jobs still stored, by id."""
        with self._store.transaction() as repos:
            found = [repos.read_job(job_id=job_id) for job_id in restart.job_ids]
        return {job.id: job for job in found if job is not None}

    def _read_cluster(self, restart: ClusterRestart) -> Cluster | None:
        with self._store.transaction() as repos:
            cluster = repos.read_cluster(workspace=restart.workspace, name=restart.cluster)
        return cluster if cluster is not None and cluster.kind is ClusterKind.SESSION else None

    def _waited(self, restart: ClusterRestart) -> float:
        since = restart.modified_at or restart.created_at or self._clock()
        return (self._clock() - since).total_seconds()

    # ------------------------------------------------------------------ writes

    def _time_out(
        self, restart: ClusterRestart, reason: str, what: str, jobs: dict[str, Job]
    ) -> None:
        """Fail ``restart`` if it has waited in its phase longer than the timeout."""
        if self._waited(restart) > self._timeout:
            self._fail(
                restart,
                reason,
                f"{what} after {self._timeout:.0f} s in phase {restart.phase.value}. {_left(jobs)}",
            )

    def _save(
        self,
        restart: ClusterRestart,
        phase: ClusterRestartPhase | None = None,
        message: str | None = None,
    ) -> None:
        if phase is not None:
            restart.move_to(phase, message)
        restart.modified_at = self._clock()
        with self._restarts.transaction() as repos:
            repos.update_cluster_restart(restart=restart)

    def _fail(self, restart: ClusterRestart, reason: str, message: str) -> None:
        _log.warning("JobManager resize %s of %s failed: %s", restart.id, restart.cluster, message)
        restart.fail(reason, message)
        self._save(restart)


def _left(jobs: dict[str, Job]) -> str:
    """What a failed operation leaves: the carried jobs that stay suspended."""
    parked = sorted(
        f"{job.deployment_name} ({job.id})"
        for job in jobs.values()
        if job.status is JobStatus.SUSPENDED and job.desired is DesiredState.SUSPENDED
    )
    if not parked:
        return "No carried job is left suspended."
    return f"Left SUSPENDED (resume them when ready): {', '.join(parked)}."


def _scope(restart: ClusterRestart) -> Scope:
    return Scope(workspace=restart.workspace, namespace=restart.namespace)
