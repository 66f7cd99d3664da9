"""Managed clusters: session and dedicated Flink cluster processes Millstream runs itself.

Given ``ClusterProcesses``, the controller calls ``reconcile`` before observing: every
session cluster's processes follow its desired state, every dedicated cluster runs while
its job needs it (not while the job is SUSPENDED), and the status is recorded (writes
guarded by the cluster's version, so a user's concurrent start/stop wins). Starts and
stops never block the tick. With ``per_job_clusters``, a job's first submission to the
default cluster is first moved onto a new DEDICATED cluster record (``assign_dedicated``,
one transaction), which the next ticks start, submit to, and tear down once the job
ended. Jobs of a cluster that is not RUNNING yet wait without being observed
(``waiting``).
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence

from millstream.control.cluster_ports import (
    ClusterProcesses,
    ProcessSpec,
    ProcessState,
    ProcessStatus,
)
from millstream.control.ports import FlinkCluster, ObservedJob
from millstream.control.reconciler.actions import Context
from millstream.control.reconciler.runtimes import RuntimeClusters, is_runtime_cluster
from millstream.control.reconciler_ports import JobHead
from millstream.control.services.common import DEFAULT_CLUSTER, record_event
from millstream.domain.clusters import (
    Cluster,
    ClusterDesiredState,
    ClusterFailure,
    ClusterKind,
    ClusterStatus,
    dedicated_cluster_name,
)
from millstream.domain.decisions import Step
from millstream.domain.errors import MillstreamError, StaleVersion
from millstream.domain.events import EventName
from millstream.domain.jobs import DesiredState, Failure, Job, JobStatus

__all__ = ["ManagedClusters", "ReconcileJob"]

_log = logging.getLogger(__name__)

ClusterKey = tuple[str, str]
# The controller's per-job entry point: (job, row, cluster's Flink, cluster) -> step.
ReconcileJob = Callable[[Job, ObservedJob | None, FlinkCluster, Cluster | None], Step]


def _parked(job: Job | JobHead) -> bool:
    """A suspended job needs no cluster unless it is being resumed (a stop of a suspended
    job only records CANCELLED)."""
    return job.status is JobStatus.SUSPENDED and job.desired is not DesiredState.RUNNING


def _process_key(cluster: Cluster) -> str:
    return f"{cluster.workspace}/{cluster.name}"


class ManagedClusters:
    def __init__(
        self,
        ctx: Context,
        processes: ClusterProcesses | None,
        *,
        per_job_clusters: bool,
        default_slots: int,
        runtimes: RuntimeClusters | None = None,
    ) -> None:
        self._ctx = ctx
        self._processes = processes
        self.runtimes = runtimes
        self._per_job_clusters = per_job_clusters and processes is not None
        self._default_slots = default_slots

    # ------------------------------------------------------------------ processes

    def reconcile(
        self,
        clusters: dict[ClusterKey, Cluster],
        by_cluster: Mapping[ClusterKey, Sequence[JobHead]],
    ) -> None:
        """Make managed clusters' processes match their desired state; record status.

        A session cluster runs while desired STARTED; a dedicated one while its job is
        live and not suspended.
        """
        processes = self._processes
        if processes is None:
            return
        for key, cluster in clusters.items():
            if not cluster.managed:
                continue
            restarted = False
            if cluster.kind is ClusterKind.DEDICATED:
                wanted = any(not _parked(job) for job in by_cluster.get(key, ()))
            elif self.runtimes is not None and is_runtime_cluster(cluster):
                # on demand: while jobs need it, then stopped when idle (``runtimes``)
                wanted = self.runtimes.wanted(cluster, by_cluster.get(key, ()))
                restarted = wanted and cluster.desired is not ClusterDesiredState.STARTED
                self.runtimes.restart_if_needed(cluster, wanted)
            else:
                wanted = cluster.desired is ClusterDesiredState.STARTED
            if not wanted and cluster.status in (None, ClusterStatus.STOPPED):
                continue  # recorded STOPPED only once nothing was left running
            try:
                state = (
                    processes.ensure(self._process_spec(cluster))
                    if wanted
                    else processes.release(_process_key(cluster))
                )
            except MillstreamError as exc:
                state = ProcessState(ProcessStatus.FAILED, failure=str(exc))
            self._record(cluster, state, wanted=wanted, changed=restarted)

    def _process_spec(self, cluster: Cluster) -> ProcessSpec:
        size = cluster.size(default_slots=self._default_slots)
        runtime = self.runtimes.runtime_of(cluster) if self.runtimes is not None else None
        return ProcessSpec(
            key=_process_key(cluster),
            taskmanagers=size.taskmanagers,
            slots=size.slots,
            jobmanager_memory=size.jobmanager_memory,
            taskmanager_memory=size.taskmanager_memory,
            flink_conf=dict(cluster.flink_conf),
            logging=cluster.logging if cluster.kind is ClusterKind.DEDICATED else None,
            generation=cluster.generation,
            preferred_rest_url=cluster.rest_url or None,
            runtime=runtime,
        )

    def _record(
        self, cluster: Cluster, state: ProcessState, *, wanted: bool, changed: bool = False
    ) -> None:
        status = ClusterStatus(state.status.value)
        now = self._ctx.clock()
        if status is not cluster.status:
            changed = True
            if status is ClusterStatus.RUNNING:
                cluster.started_at = now
                cluster.failure = None
            if status is ClusterStatus.FAILED:
                cluster.failure = ClusterFailure(
                    state.failure or "the cluster failed", "ClusterStartFailed", now
                )
            cluster.status = status
        if state.rest_url and state.rest_url != cluster.rest_url:
            cluster.rest_url, changed = state.rest_url, True
        if not wanted and cluster.desired is not ClusterDesiredState.STOPPED:
            cluster.desired, changed = ClusterDesiredState.STOPPED, True
        if not changed:
            return
        try:
            with self._ctx.store.transaction() as repos:
                repos.update_cluster(cluster=cluster)
        except StaleVersion:
            _log.debug("cluster %s changed meanwhile; re-reading next tick", cluster.name)
            return
        _log.info("cluster %s/%s is %s", cluster.workspace, cluster.name, status.value)

    # ------------------------------------------------------------------ jobs waiting

    def waiting(
        self, cluster: Cluster, jobs: list[Job], reconcile_job: ReconcileJob
    ) -> list[Callable[[], Step]]:
        """Jobs of a managed cluster that is not RUNNING: a stop before submission (or of
        a suspended job) ends the job; a dedicated cluster that failed to start fails its
        job; others wait."""
        work: list[Callable[[], Step]] = []
        flink = self._ctx.engine.cluster(cluster)
        for job in jobs:
            if job.desired is DesiredState.STOPPED and (
                job.flink_job_id is None or job.status is JobStatus.SUSPENDED
            ):
                work.append(functools.partial(reconcile_job, job, None, flink, cluster))
            elif _parked(job):
                continue  # its dedicated cluster was released on purpose
            elif cluster.status is ClusterStatus.FAILED and (
                cluster.kind is ClusterKind.DEDICATED or is_runtime_cluster(cluster)
            ):
                message = cluster.failure.message if cluster.failure else "start failed"
                work.append(functools.partial(self._cluster_failed, job, cluster, message))
        return work

    def _cluster_failed(self, job: Job, cluster: Cluster, message: str) -> Step:
        now = self._ctx.clock()
        job.move_to(JobStatus.FAILED)
        kind = "runtime" if is_runtime_cluster(cluster) else "dedicated"
        job.failure = Failure(
            f"{kind} Flink cluster {cluster.name} failed to start: {message}",
            "ClusterStartFailed",
            now,
        )
        job.end_time = now
        self._ctx.save(job, EventName.JOB_FAILED, job.failure.message)
        return Step.CONCLUDE

    # ------------------------------------------------------------------ dedicated clusters

    def wants_dedicated(self, job: Job, cluster: Cluster | None) -> bool:
        """A first submission to the default cluster gets its own cluster when
        ``per_job_clusters`` is on (named session clusters and targets never do)."""
        return (
            self._per_job_clusters
            and cluster is not None
            and cluster.name == DEFAULT_CLUSTER
            and not cluster.managed
            and job.flink_job_id is None
            and job.desired is DesiredState.RUNNING
        )

    def assign_dedicated(self, job: Job) -> None:
        """Record the job's dedicated cluster and move the job onto it, in one
        transaction; the processes start on the next ticks (found again by name)."""
        name = dedicated_cluster_name(job.id)
        now = self._ctx.clock()
        with self._ctx.store.transaction() as repos:
            cluster = repos.read_cluster(workspace=job.workspace, name=name)
            if cluster is None:
                cluster = Cluster(
                    id=str(uuid.uuid4()),
                    workspace=job.workspace,
                    namespace=job.namespace,
                    name=name,
                    kind=ClusterKind.DEDICATED,
                    rest_url="",
                    flink_conf=dict(job.user_flink_conf),
                    created_at=now,
                    modified_at=now,
                    desired=ClusterDesiredState.STARTED,
                    status=ClusterStatus.STARTING,
                    resources=job.resources,
                    engine_version=job.engine_version,
                    logging=job.logging,
                    generation=1,
                    job_id=job.id,
                    creator=job.creator,
                    modifier=job.modifier,
                )
                repos.create_cluster(cluster=cluster)
            size = cluster.size(default_slots=self._default_slots)
            job.cluster = name
            job.modified_at = now
            repos.update_job(job=job)
            record_event(
                repos,
                job,
                EventName.JOB_SUBMITTING,
                f"starting dedicated Flink cluster {name}: {size.taskmanagers} TaskManager(s) "
                f"x {size.slots} slot(s), JobManager {size.jobmanager_memory}, "
                f"TaskManager {size.taskmanager_memory}",
                now=now,
            )
