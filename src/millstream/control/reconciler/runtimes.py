"""Runtime clusters: the on-demand session cluster of each Flink runtime other than the
default cluster's.

A deployment's engine version selects a runtime (``EngineVersions.choose``: its own Flink
line, else the version map). A job bound for the default cluster whose runtime is not the
default cluster's is moved, before its first submission, onto that runtime's cluster: a
managed SESSION cluster named ``runtime-<version>`` (``runtime-1-20-5``), labelled with its
runtime, created on first use in one transaction with the move and an event saying which
runtime runs the job (``runs on Flink 1.20.5 (requested vvr-8.0.9-flink-1.17)``). From then
on it is a session cluster like any other (its own ports and data directory, supervised,
adopted after a crash, ``ManagedClusters`` starts it), except that it runs only while a job
needs it: ``wanted`` keeps it running while it has live jobs and for ``idle_stop`` seconds
after the last one ended, and starts it again when a job needs it later.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence

from millstream.control.engine_versions import (
    EngineChoice,
    EngineVersions,
    runtime_cluster_name,
)
from millstream.control.reconciler.actions import Context
from millstream.control.reconciler_ports import JobHead
from millstream.control.services.common import DEFAULT_CLUSTER, record_event
from millstream.domain.artifacts import ArtifactKind
from millstream.domain.clusters import (
    Cluster,
    ClusterDesiredState,
    ClusterKind,
    ClusterStatus,
)
from millstream.domain.errors import InvalidInput
from millstream.domain.events import EventName
from millstream.domain.jobs import DesiredState, Job, JobStatus
from millstream.domain.resources import ResourceSetting

__all__ = ["RUNTIME_LABEL", "RuntimeClusters", "runtime_cluster_name"]

_log = logging.getLogger(__name__)

RUNTIME_LABEL = "millstream.runtime"  # on a runtime cluster: the Flink version it runs


def is_runtime_cluster(cluster: Cluster) -> bool:
    return cluster.kind is ClusterKind.SESSION and RUNTIME_LABEL in cluster.labels


class RuntimeClusters:
    def __init__(
        self,
        ctx: Context,
        versions: EngineVersions | None,
        *,
        default_runtime: str | None,
        default_slots: int,
        idle_stop: float,
        movable: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ctx = ctx
        self._versions = versions
        self._default_runtime = default_runtime  # the default cluster's Flink version
        self._movable = movable  # False: no cluster processes here, jobs stay put
        self._default_slots = default_slots
        self._idle_stop = idle_stop
        self._monotonic = monotonic
        self._idle_since: dict[tuple[str, str], float] = {}

    # ------------------------------------------------------------------ jobs

    def choice(self, job: Job) -> EngineChoice | None:
        """Which runtime runs ``job`` (None when versions are not wired, or unknown)."""
        if self._versions is None:
            return None
        try:
            return self._versions.choose(job.engine_version, python=_python(job))
        except InvalidInput:
            return None  # checked when the deployment was stored; the default runs it

    def runtime_on(self, cluster: Cluster | None) -> str | None:
        """The Flink version a job submitted to ``cluster`` runs on (None: unknown, e.g.
        an external cluster's)."""
        if cluster is None:
            return None
        if cluster.managed:
            try:
                return self.runtime_of(cluster) or self._default_runtime
            except InvalidInput:
                return None
        return self._default_runtime if cluster.name == DEFAULT_CLUSTER else None

    def wants_move(self, job: Job, cluster: Cluster | None) -> EngineChoice | None:
        """The runtime to move a first submission to the default cluster onto, when it is
        not the default cluster's runtime; else None."""
        if (
            not self._movable
            or self._versions is None
            or self._default_runtime is None
            or cluster is None
            or cluster.name != DEFAULT_CLUSTER
            or cluster.managed
            or job.flink_job_id is not None
            or job.desired is not DesiredState.RUNNING
        ):
            return None
        # InvalidInput (its runtime is gone, a Python program without PyFlink): it fails
        choice = self._versions.choose(job.engine_version, python=_python(job))
        return choice if choice.version != self._default_runtime else None

    def move(self, job: Job, choice: EngineChoice) -> None:
        """Record the runtime's cluster (if new) and move the job onto it, in one
        transaction; ``ManagedClusters`` starts it on the next ticks."""
        name = runtime_cluster_name(choice.version)
        now = self._ctx.clock()
        with self._ctx.store.transaction() as repos:
            cluster = repos.read_cluster(workspace=job.workspace, name=name)
            if cluster is None:
                cluster = Cluster(
                    id=str(uuid.uuid4()),
                    workspace=job.workspace,
                    namespace=None,  # shared by every namespace of the workspace
                    name=name,
                    kind=ClusterKind.SESSION,
                    rest_url="",
                    created_at=now,
                    modified_at=now,
                    desired=ClusterDesiredState.STARTED,
                    status=ClusterStatus.STARTING,
                    resources=ResourceSetting(parallelism=self._default_slots),
                    engine_version=choice.name,
                    labels={RUNTIME_LABEL: choice.version},
                    generation=1,
                    creator=job.creator,
                    modifier=job.modifier,
                )
                repos.create_cluster(cluster=cluster)
            elif cluster.status is ClusterStatus.FAILED:  # a new job: try it again
                cluster.desired = ClusterDesiredState.STARTED
                cluster.status = ClusterStatus.STARTING
                cluster.generation += 1
                cluster.modified_at = now
                repos.update_cluster(cluster=cluster)
            job.cluster = name
            job.modified_at = now
            repos.update_job(job=job)
            record_event(
                repos,
                job,
                EventName.JOB_SUBMITTING,
                f"{choice.describe()}: on cluster {name}, the cluster of that runtime "
                "(started on demand)",
                now=now,
            )

    # ------------------------------------------------------------------ clusters

    def runtime_of(self, cluster: Cluster) -> str | None:
        """The Flink version a managed cluster runs (None: the bundled runtime); a session
        or dedicated cluster's engine version resolves like a deployment's."""
        if RUNTIME_LABEL in cluster.labels:
            return cluster.labels[RUNTIME_LABEL]
        if self._versions is None or not cluster.engine_version:
            return None
        return self._versions.choose(cluster.engine_version).version

    def wanted(self, cluster: Cluster, jobs: Sequence[JobHead]) -> bool:
        """A runtime cluster runs while a job needs it, and ``idle_stop`` seconds after."""
        key = (cluster.workspace, cluster.name)
        if any(not _parked(job) for job in jobs):
            self._idle_since.pop(key, None)
            return True
        if cluster.desired is not ClusterDesiredState.STARTED:
            return False
        since = self._idle_since.setdefault(key, self._monotonic())
        if self._monotonic() - since < self._idle_stop:
            return True
        self._idle_since.pop(key, None)
        _log.info(
            "stopping runtime cluster %s/%s: no live job for %.0f s",
            cluster.workspace,
            cluster.name,
            self._idle_stop,
        )
        return False

    def restart_if_needed(self, cluster: Cluster, wanted: bool) -> None:
        """A job needs a runtime cluster that was stopped (idle): start it again."""
        if not wanted or cluster.desired is ClusterDesiredState.STARTED:
            return
        cluster.desired = ClusterDesiredState.STARTED
        cluster.generation += 1  # a new attempt, also after a failed start
        cluster.modified_at = self._ctx.clock()
        _log.info("starting runtime cluster %s/%s again", cluster.workspace, cluster.name)


def _python(job: Job) -> bool:
    return job.artifact.kind is ArtifactKind.PYTHON


def _parked(job: Job | JobHead) -> bool:
    return job.status is JobStatus.SUSPENDED and job.desired is not DesiredState.RUNNING
