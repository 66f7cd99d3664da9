"""A new JobManager size for a session cluster whose jobs keep running across the restart.

``resize_jobmanager`` is what foas ModifyMasterSpec calls. Without running jobs on the
cluster it is ``ClusterService.resize_jobmanager`` (the cluster restarts with the new
size, or starts with it next time). With running jobs it records a ``ClusterRestart``
carrying them, asks each to suspend (``JobService.suspend``: a stop with a savepoint, the
job kept SUSPENDED) and returns at once; ``control.cluster_restarts`` then applies the size
once all are suspended and resumes them on the restarted cluster. Refused (409): a second
resize while one is open, and carrying jobs off a cluster that is not RUNNING or whose
jobs are between states. Nothing here talks to Flink.

The store port ``ClusterRestartStore`` is implemented by ``store.cluster_restarts``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Protocol

from millstream.control.context import Actor, Scope
from millstream.control.ports import Store
from millstream.control.services.clusters import ClusterService
from millstream.control.services.jobs import JobService
from millstream.control.services.session_resize import live_jobs, read_session_cluster
from millstream.domain.cluster_restarts import ClusterRestart, ClusterRestartPhase
from millstream.domain.clusters import ClusterDesiredState, ClusterStatus
from millstream.domain.errors import Conflict, ErrorCode, InvalidTransition, NotFound
from millstream.domain.jobs import DesiredState, Job, JobStatus
from millstream.domain.resources import ResourceSpec

__all__ = [
    "ClusterRestartRepositories",
    "ClusterRestartService",
    "ClusterRestartStore",
    "resize_actor",
    "suspend_all",
]


class ClusterRestartRepositories(Protocol):
    def read_cluster_restart(self, *, restart_id: str) -> ClusterRestart | None: ...
    def read_open_cluster_restarts(
        self, *, workspace: str | None = None, cluster: str | None = None
    ) -> list[ClusterRestart]:
        """Operations not DONE or FAILED (oldest first), optionally of one cluster."""
        ...

    def create_cluster_restart(self, *, restart: ClusterRestart) -> None: ...
    def update_cluster_restart(self, *, restart: ClusterRestart) -> None: ...


class ClusterRestartStore(Protocol):
    def transaction(self) -> AbstractContextManager[ClusterRestartRepositories]: ...


def resize_actor(restart: ClusterRestart) -> Actor:
    """Who suspends and resumes the carried jobs: the events on the jobs say why."""
    size = f"{restart.jobmanager.cpu:g} CPU, {restart.jobmanager.memory}"
    return Actor(
        id=restart.creator or "system",
        name=f"the JobManager resize of cluster {restart.cluster!r} to {size} "
        f"(operation {restart.id}): the job is carried over the cluster's restart",
    )


def _carried(job: Job) -> bool:
    return job.status is JobStatus.RUNNING and job.desired is DesiredState.RUNNING


def _parked(job: Job) -> bool:
    return job.status is JobStatus.SUSPENDED and job.desired is not DesiredState.RUNNING


class ClusterRestartService:
    def __init__(
        self,
        restarts: ClusterRestartStore,
        store: Store,
        jobs: JobService,
        clusters: ClusterService,
        *,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._restarts = restarts
        self._store = store
        self._jobs = jobs
        self._clusters = clusters
        self._wake = wake
        self._clock = clock

    def resize_jobmanager(
        self,
        scope: Scope,
        actor: Actor,
        name: str,
        jobmanager: ResourceSpec,
        *,
        request_id: str | None = None,
    ) -> ClusterRestart | None:
        """Resize the JobManager of session cluster ``name``; the operation carrying its
        running jobs, or None when there were none to carry (resized directly)."""
        jobmanager.validate("the JobManager")
        with self._store.transaction() as repos:
            cluster = read_session_cluster(repos, scope, name)
            jobs = [job for job in live_jobs(repos, cluster) if not _parked(job)]
        self._refuse_open(scope, name)
        if cluster.resources.jobmanager == jobmanager:
            return None
        if not jobs:
            self._clusters.resize_jobmanager(scope, actor, name, jobmanager)
            return None
        if (
            cluster.desired is not ClusterDesiredState.STARTED
            or cluster.status is not ClusterStatus.RUNNING
        ):
            raise Conflict(
                f"session cluster {name!r} is {cluster.status or 'STOPPED'}: its jobs are "
                "carried over a JobManager resize only while it is RUNNING; wait until it runs",
                code=ErrorCode.CLUSTER_IN_USE,
            )
        between = [job for job in jobs if not _carried(job)]
        if between:
            names = ", ".join(sorted({f"{j.deployment_name} ({j.status.value})" for j in between}))
            raise Conflict(
                f"cluster {name!r} cannot be restarted with a new JobManager size now: "
                f"job(s) of deployments {names} are starting or being stopped; wait until "
                "they run or have stopped",
                code=ErrorCode.CLUSTER_IN_USE,
            )
        now = self._clock()
        restart = ClusterRestart(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            cluster=name,
            jobmanager=jobmanager,
            job_ids=[job.id for job in jobs],
            message=f"suspending {len(jobs)} job(s) with a savepoint",
            request_id=request_id,
            creator=actor.id,
            created_at=now,
            modified_at=now,
        )
        with self._restarts.transaction() as restarts:
            if restarts.read_open_cluster_restarts(workspace=scope.workspace, cluster=name):
                raise self._in_progress(name)  # a concurrent request won
            restarts.create_cluster_restart(restart=restart)
        suspend_all(self._jobs, restart, jobs)
        restart.move_to(ClusterRestartPhase.SUSPENDING)
        restart.modified_at = self._clock()
        with self._restarts.transaction() as restarts:
            stored = restarts.read_cluster_restart(restart_id=restart.id)
            # The coordinator may have moved it on already: never move it back.
            if stored is not None and stored.phase is ClusterRestartPhase.REQUESTED:
                restarts.update_cluster_restart(restart=restart)
        self._wake()
        return restart

    def open_restarts(self, scope: Scope) -> dict[str, ClusterRestart]:
        """The open operations of the scope's workspace, by cluster name."""
        with self._restarts.transaction() as restarts:
            found = restarts.read_open_cluster_restarts(workspace=scope.workspace)
        return {r.cluster: r for r in found if r.namespace == scope.namespace}

    def get(self, scope: Scope, restart_id: str) -> ClusterRestart:
        with self._restarts.transaction() as restarts:
            found = restarts.read_cluster_restart(restart_id=restart_id)
        if found is None or (found.workspace, found.namespace) != (
            scope.workspace,
            scope.namespace,
        ):
            raise NotFound(
                f"JobManager resize {restart_id!r} not found in namespace {scope.namespace!r}"
            )
        return found

    def _refuse_open(self, scope: Scope, name: str) -> None:
        with self._restarts.transaction() as restarts:
            if restarts.read_open_cluster_restarts(workspace=scope.workspace, cluster=name):
                raise self._in_progress(name)

    @staticmethod
    def _in_progress(name: str) -> Conflict:
        return Conflict(
            f"session cluster {name!r} is already being restarted with a new JobManager "
            "size; wait until that resize is done before asking for another",
            code=ErrorCode.CLUSTER_IN_USE,
        )


def suspend_all(jobs: JobService, restart: ClusterRestart, found: list[Job]) -> None:
    """Ask every RUNNING job among ``found`` to suspend; one that changed meanwhile is
    left to the coordinator's next look."""
    actor = resize_actor(restart)
    for job in found:
        if not _carried(job):
            continue
        try:
            jobs.suspend(Scope(job.workspace, job.namespace), actor, job.id)
        except InvalidTransition:
            continue
