"""Resizing a running session cluster: more or fewer TaskManagers, another JobManager size.

``ClusterService`` delegates here (and uses the lookups at the bottom). Like every user
action, a resize only records the new size in the cluster's stored spec (so a restart or
an adoption after a crash keeps it) and wakes the reconciler, whose ``ensure`` makes the
processes follow (``control.cluster_ports``). What must be refused is refused here, before
anything is written:

- a shrink never takes slots that running jobs use: it asks Flink (``TaskManagerProbe``,
  outside the transaction) which TaskManagers are idle and refuses, naming used and free
  slots, when not enough are (``domain.clusters.removable_taskmanagers``);
- a JobManager resize restarts the cluster, so it is refused while jobs run on it
  (naming them). Suspended jobs do not hold it back: they wait on their savepoint and
  resume on the restarted cluster, so "suspend, resize, resume" keeps a job's state.
  ``control.services.cluster_restarts`` does that on the user's behalf (foas
  ModifyMasterSpec); its coordinator applies the size here once the jobs are suspended.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from millstream.control.cluster_ports import TaskManagerProbe
from millstream.control.context import Actor, Scope
from millstream.control.ports import Repositories, Store
from millstream.domain.clusters import (
    Cluster,
    ClusterDesiredState,
    ClusterKind,
    ClusterStatus,
    TaskManagerSlots,
    removable_taskmanagers,
)
from millstream.domain.errors import (
    Conflict,
    EngineUnavailable,
    ErrorCode,
    InvalidInput,
    NotFound,
    Unavailable,
)
from millstream.domain.jobs import DesiredState, Job, JobStatus
from millstream.domain.resources import ResourceSpec

__all__ = [
    "MAX_TASKMANAGERS",
    "SessionResizer",
    "live_jobs",
    "read_session_cluster",
    "refuse_live_jobs",
]

# Every TaskManager is a JVM on this machine: a bound that catches a typo (count=500).
MAX_TASKMANAGERS = 64


class SessionResizer:
    def __init__(
        self,
        store: Store,
        probe: TaskManagerProbe | None,
        *,
        default_slots: int,
        wake: Callable[[], None],
    ) -> None:
        self._store = store
        self._probe = probe
        self._default_slots = default_slots
        self._wake = wake

    def taskmanagers(self, cluster: Cluster) -> list[TaskManagerSlots] | None:
        """Flink's TaskManagers of a RUNNING session cluster with their slots; None when it
        is not running or does not answer."""
        if (
            self._probe is None
            or cluster.kind is not ClusterKind.SESSION
            or cluster.status is not ClusterStatus.RUNNING
            or not cluster.rest_url
        ):
            return None
        try:
            return self._probe.taskmanagers(cluster.rest_url)
        except EngineUnavailable:
            return None

    def expand(self, scope: Scope, actor: Actor, name: str, taskmanagers: int) -> Cluster:
        """Grow a running session cluster to ``taskmanagers`` TaskManagers."""
        cluster, _ = self._running(scope, name)
        current = self._count(cluster)
        if not current < taskmanagers <= MAX_TASKMANAGERS:
            raise InvalidInput(
                f"session cluster {name!r} runs {current} TaskManager(s): expanding takes a "
                f"larger count, at most {MAX_TASKMANAGERS}, not {taskmanagers}"
            )
        return self._write(scope, actor, cluster, taskmanagers)

    def shrink(
        self,
        scope: Scope,
        actor: Actor,
        name: str,
        *,
        count: int = 0,
        named: Sequence[str] = (),
    ) -> tuple[Cluster, list[str]]:
        """Remove ``count`` (or the ``named``) idle TaskManagers; returns the cluster and
        the TaskManagers that go (idle now; the engine stops only idle ones)."""
        cluster, observed = self._running(scope, name)
        wanted = len(named) if named else count
        removed = removable_taskmanagers(observed, count=wanted, named=named, cluster=name)
        return self._write(scope, actor, cluster, len(observed) - len(removed)), removed

    def resize_jobmanager(
        self, scope: Scope, actor: Actor, name: str, jobmanager: ResourceSpec
    ) -> Cluster:
        """Record a new JobManager size; a started cluster restarts with it (refused while
        jobs run on it)."""
        jobmanager.validate("the JobManager")
        with self._store.transaction() as repos:
            cluster = read_session_cluster(repos, scope, name)
            if cluster.resources.jobmanager == jobmanager:
                return cluster
            refuse_live_jobs(repos, cluster, "restarted with a new JobManager size", parked_ok=True)
            cluster.resources = replace(cluster.resources, jobmanager=jobmanager)
            if cluster.desired is ClusterDesiredState.STARTED:
                cluster.generation += 1  # the processes restart with the new size
            cluster.modifier = actor.id
            repos.update_cluster(cluster=cluster)
        self._wake()
        return cluster

    # ------------------------------------------------------------------ helpers

    def _count(self, cluster: Cluster) -> int:
        return cluster.size(default_slots=self._default_slots).taskmanagers

    def _running(self, scope: Scope, name: str) -> tuple[Cluster, list[TaskManagerSlots]]:
        """The cluster, RUNNING with as many TaskManagers registered as it should have."""
        with self._store.transaction() as repos:
            cluster = read_session_cluster(repos, scope, name)
        if (
            cluster.desired is not ClusterDesiredState.STARTED
            or cluster.status is not ClusterStatus.RUNNING
        ):
            raise Conflict(
                f"session cluster {name!r} is {cluster.status or 'STOPPED'}: only a RUNNING "
                "cluster can be resized (start it, or wait until it runs)"
            )
        if self._probe is None:
            raise Unavailable("this server cannot ask Flink for a cluster's TaskManagers")
        try:
            observed = self._probe.taskmanagers(cluster.rest_url)
        except EngineUnavailable as exc:
            raise Unavailable(
                f"session cluster {name!r} did not answer for its TaskManagers: {exc}"
            ) from exc
        wanted = self._count(cluster)
        if len(observed) != wanted:
            raise Conflict(
                f"session cluster {name!r} is still changing size ({len(observed)} of "
                f"{wanted} TaskManagers registered with Flink); try again when it is done"
            )
        return cluster, observed

    def _write(self, scope: Scope, actor: Actor, seen: Cluster, taskmanagers: int) -> Cluster:
        """Store the new TaskManager count (as parallelism = count x slots) unless the
        cluster changed since it was checked."""
        slots = seen.size(default_slots=self._default_slots).slots
        with self._store.transaction() as repos:
            cluster = read_session_cluster(repos, scope, seen.name)
            if cluster.version != seen.version:
                raise Conflict(
                    f"session cluster {seen.name!r} changed while it was being checked; try again"
                )
            cluster.resources = replace(cluster.resources, parallelism=taskmanagers * slots)
            cluster.modifier = actor.id
            repos.update_cluster(cluster=cluster)
        self._wake()
        return cluster


def read_session_cluster(repos: Repositories, scope: Scope, name: str) -> Cluster:
    cluster = repos.read_cluster(workspace=scope.workspace, name=name)
    if (
        cluster is None
        or cluster.kind is not ClusterKind.SESSION
        or cluster.namespace != scope.namespace
    ):
        raise NotFound(
            f"session cluster {name!r} not found in namespace {scope.namespace!r}",
            code=ErrorCode.SESSION_CLUSTER_NOT_FOUND,
        )
    return cluster


def live_jobs(repos: Repositories, cluster: Cluster) -> list[Job]:
    return [
        job
        for job in repos.read_active_jobs()
        if job.workspace == cluster.workspace and job.cluster == cluster.name
    ]


def _parked(job: Job) -> bool:
    """Suspended and staying so: it holds no slot and waits on its savepoint."""
    return job.status is JobStatus.SUSPENDED and job.desired is not DesiredState.RUNNING


def refuse_live_jobs(
    repos: Repositories, cluster: Cluster, what: str, *, parked_ok: bool = False
) -> None:
    """``Conflict`` naming the deployments whose jobs are live on ``cluster`` (suspended
    ones aside when ``parked_ok``)."""
    live = [job for job in live_jobs(repos, cluster) if not (parked_ok and _parked(job))]
    if live:
        names = sorted({job.deployment_name for job in live})
        fix = "stop or suspend them first" if parked_ok else "stop them first"
        raise Conflict(
            f"cluster {cluster.name!r} cannot be {what}: {len(live)} job(s) still run on "
            f"it (deployments {', '.join(names)}); {fix}",
            code=ErrorCode.CLUSTER_IN_USE,
        )
