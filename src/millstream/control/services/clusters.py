"""Use cases of clusters: session clusters (Millstream starts them) and deployment
targets (external Flink session clusters registered by REST URL).

Session clusters only record the user's wish (desired STARTED/STOPPED, sizes, flinkConf,
engine version) in one transaction and wake the reconciler, which starts or stops the
processes and records the status. Deployment targets are checked when registered: the
URL must answer Flink's ``GET /overview``. Both are referenced by deployments through
``deploymentTarget {mode: SESSION, name}`` (``Deployment.cluster``); a cluster with live
jobs can be neither stopped nor deleted. A running session cluster is resized through
``expand_session_cluster``, ``shrink_session_cluster`` and ``resize_jobmanager``
(``session_resize``: they record the new size; the reconciler applies it live).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from millstream.control.cluster_ports import ClusterProbe, TaskManagerProbe
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import EngineVersions
from millstream.control.ports import Repositories, Store
from millstream.control.services.common import DEFAULT_CLUSTER, require_namespace
from millstream.control.services.session_resize import (
    SessionResizer,
    live_jobs,
    read_session_cluster,
    refuse_live_jobs,
)
from millstream.domain.clusters import (
    Cluster,
    ClusterDesiredState,
    ClusterKind,
    ClusterStatus,
    TaskManagerSlots,
    cluster_size,
    validate_cluster_name,
)
from millstream.domain.deployments import Logging
from millstream.domain.errors import Conflict, EngineUnavailable, ErrorCode, InvalidInput, NotFound
from millstream.domain.jobs import Job
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec

__all__ = ["ClusterService", "SessionClusterPatch", "TargetPatch"]

_TARGET_KINDS = frozenset({ClusterKind.EXTERNAL, ClusterKind.EMBEDDED})


@dataclass(frozen=True, slots=True)
class SessionClusterPatch:
    """Fields of a create or update; None = keep (update) or default (create)."""

    name: str | None = None
    resources: ResourceSetting | None = None
    flink_conf: dict[str, Any] | None = None
    engine_version: str | None = None
    labels: dict[str, str] | None = None
    logging: Logging | None = None
    deployment_target_name: str | None = None


@dataclass(frozen=True, slots=True)
class TargetPatch:
    flink_rest_url: str | None = None
    quota: ResourceSpec | None = None


class ClusterService:
    def __init__(
        self,
        store: Store,
        probe: ClusterProbe,
        versions: EngineVersions,
        *,
        default_workspace: str = "default",
        default_slots: int = 1,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        taskmanager_probe: TaskManagerProbe | None = None,
    ) -> None:
        self.default_workspace = default_workspace
        self._store = store
        self._probe = probe
        self._versions = versions
        self.default_slots = default_slots  # slots per TaskManager when flinkConf sets none
        self._wake = wake
        self._clock = clock
        if taskmanager_probe is None and isinstance(probe, TaskManagerProbe):
            taskmanager_probe = probe  # FlinkProbe answers both
        self._resizer = SessionResizer(
            store, taskmanager_probe, default_slots=default_slots, wake=wake
        )

    # ------------------------------------------------------------------ session clusters

    def create_session_cluster(
        self, scope: Scope, actor: Actor, patch: SessionClusterPatch
    ) -> Cluster:
        name = validate_cluster_name(patch.name or "")
        now = self._clock()
        cluster = Cluster(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            name=name,
            kind=ClusterKind.SESSION,
            rest_url="",
            created_at=now,
            modified_at=now,
            desired=ClusterDesiredState.STOPPED,
            status=ClusterStatus.STOPPED,
            creator=actor.id,
            modifier=actor.id,
        )
        self._apply(cluster, patch)
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            repos.create_cluster(cluster=cluster)
        return cluster

    def get_session_cluster(self, scope: Scope, name: str) -> Cluster:
        with self._store.transaction() as repos:
            return self._session(repos, scope, name)

    def list_session_clusters(self, scope: Scope) -> list[Cluster]:
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            return [
                c
                for c in repos.read_clusters(workspace=scope.workspace)
                if c.kind is ClusterKind.SESSION and c.namespace == scope.namespace
            ]

    def update_session_cluster(
        self, scope: Scope, actor: Actor, name: str, patch: SessionClusterPatch
    ) -> Cluster:
        """Changes apply at the cluster's next start, except the TaskManager count
        (parallelism / slots), which a running cluster follows live (idle ones only go)."""
        if patch.name is not None and patch.name != name:
            raise InvalidInput(f"a session cluster cannot be renamed ({name!r} -> {patch.name!r})")
        with self._store.transaction() as repos:
            cluster = self._session(repos, scope, name)
            self._apply(cluster, patch)
            cluster.modifier = actor.id
            repos.update_cluster(cluster=cluster)
        return cluster

    def start_session_cluster(self, scope: Scope, actor: Actor, name: str) -> Cluster:
        with self._store.transaction() as repos:
            cluster = self._session(repos, scope, name)
            if cluster.desired is not ClusterDesiredState.STARTED or cluster.status in (
                ClusterStatus.FAILED,
                ClusterStatus.STOPPED,
            ):
                cluster.desired = ClusterDesiredState.STARTED
                if cluster.status is not ClusterStatus.RUNNING:
                    cluster.status = ClusterStatus.STARTING
                    cluster.failure = None
                    cluster.generation += 1
                cluster.modifier = actor.id
                repos.update_cluster(cluster=cluster)
        self._wake()
        return cluster

    def stop_session_cluster(self, scope: Scope, actor: Actor, name: str) -> Cluster:
        with self._store.transaction() as repos:
            cluster = self._session(repos, scope, name)
            self._refuse_live_jobs(repos, cluster, "stopped")
            if cluster.desired is not ClusterDesiredState.STOPPED:
                cluster.desired = ClusterDesiredState.STOPPED
                if cluster.status is not ClusterStatus.STOPPED:
                    cluster.status = ClusterStatus.STOPPING
                cluster.modifier = actor.id
                repos.update_cluster(cluster=cluster)
        self._wake()
        return cluster

    def delete_session_cluster(self, scope: Scope, actor: Actor, name: str) -> Cluster:  # noqa: ARG002
        with self._store.transaction() as repos:
            cluster = self._session(repos, scope, name)
            self._refuse_live_jobs(repos, cluster, "deleted")
            if cluster.status not in (None, ClusterStatus.STOPPED, ClusterStatus.FAILED) or (
                cluster.desired is ClusterDesiredState.STARTED
            ):
                raise Conflict(
                    f"session cluster {name!r} is {cluster.status or 'STARTED'}: stop it "
                    "and wait until it is STOPPED before deleting it",
                    code=ErrorCode.SESSION_CLUSTER_NOT_STOPPED,
                )
            repos.delete_cluster(cluster_id=cluster.id)
        return cluster

    def taskmanagers(self, cluster: Cluster) -> list[TaskManagerSlots] | None:
        """Flink's TaskManagers of a running session cluster (None: not running)."""
        return self._resizer.taskmanagers(cluster)

    def expand_session_cluster(
        self, scope: Scope, actor: Actor, name: str, taskmanagers: int
    ) -> Cluster:
        """Grow a running session cluster to ``taskmanagers`` TaskManagers (live)."""
        return self._resizer.expand(scope, actor, name, taskmanagers)

    def shrink_session_cluster(
        self, scope: Scope, actor: Actor, name: str, *, count: int = 0, named: Sequence[str] = ()
    ) -> tuple[Cluster, list[str]]:
        """Remove ``count`` (or the ``named``) TaskManagers, idle ones only (live)."""
        return self._resizer.shrink(scope, actor, name, count=count, named=named)

    def resize_jobmanager(
        self, scope: Scope, actor: Actor, name: str, jobmanager: ResourceSpec
    ) -> Cluster:
        """New JobManager size; a started cluster restarts with it (no jobs may run)."""
        return self._resizer.resize_jobmanager(scope, actor, name, jobmanager)

    def reference_deployment_ids(self, cluster: Cluster) -> list[str]:
        """Deployments whose live jobs run on ``cluster``."""
        with self._store.transaction() as repos:
            return sorted({job.deployment_id for job in self._live_jobs(repos, cluster)})

    # ------------------------------------------------------------------ deployment targets

    def create_target(self, scope: Scope, actor: Actor, name: str, patch: TargetPatch) -> Cluster:
        validate_cluster_name(name, "external cluster")
        if not patch.flink_rest_url:
            raise InvalidInput(
                "an external cluster needs its Flink REST URL (e.g. http://flink:8081): "
                "Millstream reaches an external Flink session cluster only through it",
                code=ErrorCode.CLUSTER_URL_REQUIRED,
            )
        url = self._check_url(patch.flink_rest_url)
        if patch.quota is not None:
            patch.quota.validate("the resource quota")
        now = self._clock()
        cluster = Cluster(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            name=name,
            kind=ClusterKind.EXTERNAL,
            rest_url=url,
            created_at=now,
            modified_at=now,
            quota=patch.quota,
            creator=actor.id,
            modifier=actor.id,
        )
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            repos.create_cluster(cluster=cluster)
        return cluster

    def list_targets(self, scope: Scope) -> list[Cluster]:
        """External targets of the namespace, and the shared default cluster first."""
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            found = [
                c
                for c in repos.read_clusters(workspace=scope.workspace)
                if c.kind in _TARGET_KINDS and c.namespace in (None, scope.namespace)
            ]
        return sorted(found, key=lambda c: (c.name != DEFAULT_CLUSTER, c.name))

    def update_target(self, scope: Scope, actor: Actor, name: str, patch: TargetPatch) -> Cluster:
        if patch.quota is not None:
            patch.quota.validate("the resource quota")
        url = self._check_url(patch.flink_rest_url) if patch.flink_rest_url else None
        with self._store.transaction() as repos:
            cluster = self._target(repos, scope, name)
            if url is not None:
                cluster.rest_url = url
            if patch.quota is not None:
                cluster.quota = patch.quota
            cluster.modifier = actor.id
            repos.update_cluster(cluster=cluster)
        return cluster

    def delete_target(self, scope: Scope, actor: Actor, name: str) -> Cluster:  # noqa: ARG002
        with self._store.transaction() as repos:
            cluster = self._target(repos, scope, name)
            self._refuse_live_jobs(repos, cluster, "deleted")
            repos.delete_cluster(cluster_id=cluster.id)
        return cluster

    # ------------------------------------------------------------------ helpers

    def _apply(self, cluster: Cluster, patch: SessionClusterPatch) -> None:
        """Validate and merge ``patch`` into ``cluster`` (engine version, sizes, conf)."""
        if patch.engine_version is not None:
            self._versions.resolve(patch.engine_version)
            cluster.engine_version = patch.engine_version
        if patch.resources is not None:
            if patch.resources.mode is not ResourceMode.BASIC:
                raise InvalidInput(
                    "a session cluster takes BASIC resources only (parallelism and the "
                    "JobManager and TaskManager sizes), not an EXPERT resource plan"
                )
            patch.resources.validate()
            cluster.resources = patch.resources
        if patch.flink_conf is not None:
            cluster.flink_conf = {str(k): v for k, v in patch.flink_conf.items()}
        if patch.labels is not None:
            cluster.labels = dict(patch.labels)
        if patch.logging is not None:
            cluster.logging = patch.logging
        if patch.deployment_target_name is not None:
            cluster.deployment_target_name = patch.deployment_target_name or None
        cluster_size(cluster.resources, cluster.flink_conf, default_slots=self.default_slots)

    @staticmethod
    def _session(repos: Repositories, scope: Scope, name: str) -> Cluster:
        return read_session_cluster(repos, scope, name)

    def _target(self, repos: Repositories, scope: Scope, name: str) -> Cluster:
        cluster = repos.read_cluster(workspace=scope.workspace, name=name)
        if (
            cluster is None
            or cluster.kind is not ClusterKind.EXTERNAL
            or cluster.namespace != scope.namespace
        ):
            if cluster is not None and cluster.name == DEFAULT_CLUSTER:
                raise InvalidInput(
                    "the default cluster is configured by the server (setting "
                    "flink.external_rest_url), not through the API",
                    code=ErrorCode.DEFAULT_CLUSTER_READ_ONLY,
                )
            raise NotFound(
                f"external cluster {name!r} not found in namespace {scope.namespace!r}",
                code=ErrorCode.EXTERNAL_CLUSTER_NOT_FOUND,
            )
        return cluster

    @staticmethod
    def _live_jobs(repos: Repositories, cluster: Cluster) -> list[Job]:
        return live_jobs(repos, cluster)

    @staticmethod
    def _refuse_live_jobs(repos: Repositories, cluster: Cluster, what: str) -> None:
        refuse_live_jobs(repos, cluster, what)

    def _check_url(self, url: str) -> str:
        url = url.strip().rstrip("/")
        try:
            self._probe.check(url)
        except EngineUnavailable as exc:
            raise InvalidInput(
                f"{url} is not reachable as a Flink session cluster: {exc}; check the URL "
                "and that the cluster is up",
                code=ErrorCode.CLUSTER_URL_UNREACHABLE,
            ) from exc
        return url
