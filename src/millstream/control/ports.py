"""Ports: the interfaces control/ needs from the outside world.

``store/`` implements ``Store`` (one transaction per use case) and ``LeaderLock``;
``engine/`` implements ``Engine`` and ``FlinkCluster`` (everything Flink). The app
factory wires concrete adapters into the services and the reconciler.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from millstream.domain.artifacts import Artifact, ExecutionMode
from millstream.domain.clusters import Cluster
from millstream.domain.deployments import Deployment
from millstream.domain.events import Event
from millstream.domain.jobs import Failure, Job
from millstream.domain.namespaces import Namespace
from millstream.domain.savepoints import Savepoint

__all__ = [
    "Engine",
    "FlinkCluster",
    "JobDetails",
    "LeaderLock",
    "ObservedJob",
    "Page",
    "Repositories",
    "SavepointProgress",
    "Store",
    "Submission",
]


@dataclass(frozen=True, slots=True)
class Page:
    """Offset paging; ``offset = (pageIndex - 1) * pageSize``."""

    offset: int = 0
    limit: int = 10


# --------------------------------------------------------------------------- store


class Repositories(Protocol):
    """Reads and writes inside one transaction. Writes raise domain errors:
    ``Conflict`` for a duplicate name, ``StaleVersion`` when ``version`` moved on."""

    # namespaces
    def read_namespace(self, *, workspace: str, name: str) -> Namespace | None: ...
    def read_namespaces(self, *, workspace: str | None = None) -> list[Namespace]: ...
    def create_namespace(self, *, namespace: Namespace) -> None: ...

    # deployments
    def read_deployment(
        self, *, workspace: str, namespace: str, deployment_id: str
    ) -> Deployment | None: ...
    def read_deployment_by_name(
        self, *, workspace: str, namespace: str, name: str
    ) -> Deployment | None: ...
    def read_deployments(
        self,
        *,
        workspace: str,
        namespace: str,
        page: Page,
        name: str | None = None,
        labels: dict[str, str] | None = None,
        execution_mode: ExecutionMode | None = None,
    ) -> tuple[list[Deployment], int]: ...
    def create_deployment(self, *, deployment: Deployment) -> None: ...
    def update_deployment(self, *, deployment: Deployment) -> None:
        """Persist; the stored version must equal ``deployment.version``, which is then
        incremented on the object."""
        ...

    def delete_deployment(self, *, deployment_id: str) -> None: ...

    # jobs
    def read_job(self, *, job_id: str) -> Job | None: ...
    def read_jobs(
        self,
        *,
        workspace: str,
        namespace: str,
        deployment_id: str,
        page: Page,
        newest_first: bool = True,
    ) -> tuple[list[Job], int]: ...
    def read_active_jobs(self, *, deployment_id: str | None = None) -> list[Job]:
        """Jobs whose status is not terminal (what the reconciler works on)."""
        ...

    def create_job(self, *, job: Job) -> None: ...
    def update_job(self, *, job: Job) -> None:
        """Optimistic: stored version must equal ``job.version``; then incremented."""
        ...

    def delete_job(self, *, job_id: str) -> None: ...

    # savepoints
    def read_savepoint(self, *, savepoint_id: str) -> Savepoint | None: ...
    def read_savepoints(
        self,
        *,
        workspace: str,
        namespace: str,
        page: Page,
        deployment_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[list[Savepoint], int]: ...
    def read_latest_savepoint(
        self, *, deployment_id: str, include_checkpoints: bool
    ) -> Savepoint | None:
        """Newest COMPLETED savepoint of a deployment (optionally retained checkpoints too)."""
        ...

    def read_pending_savepoints(self) -> list[Savepoint]:
        """Savepoints in state STARTED (triggered, not yet confirmed)."""
        ...

    def create_savepoint(self, *, savepoint: Savepoint) -> None: ...
    def update_savepoint(self, *, savepoint: Savepoint) -> None: ...
    def delete_savepoint(self, *, savepoint_id: str) -> None: ...

    # events
    def create_event(self, *, event: Event) -> None: ...
    def read_events(
        self,
        *,
        workspace: str,
        namespace: str,
        page: Page,
        deployment_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[list[Event], int]: ...

    # clusters
    def read_cluster(self, *, workspace: str, name: str) -> Cluster | None: ...
    def read_clusters(self, *, workspace: str | None = None) -> list[Cluster]: ...
    def create_cluster(self, *, cluster: Cluster) -> None: ...
    def update_cluster(self, *, cluster: Cluster) -> None: ...
    def delete_cluster(self, *, cluster_id: str) -> None: ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[Repositories]:
        """One unit of work: commit on success, roll back on any exception.
        Database connection failures surface as ``StoreUnavailable``."""
        ...


class LeaderLock(Protocol):
    """Exactly one reconciler runs: PostgreSQL advisory lock or a file lock for SQLite."""

    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


# --------------------------------------------------------------------------- engine


@dataclass(frozen=True, slots=True)
class ObservedJob:
    """One row of Flink's ``GET /jobs/overview``."""

    flink_job_id: str
    name: str
    state: str  # Flink's JobStatus: INITIALIZING, CREATED, RUNNING, RESTARTING, FAILED, ...
    start_time_ms: int | None
    end_time_ms: int | None
    last_modification_ms: int | None
    tasks_total: int
    tasks_running: int

    @property
    def all_running(self) -> bool:
        return (
            self.state == "RUNNING"
            and self.tasks_total > 0
            and (self.tasks_running == self.tasks_total)
        )


@dataclass(frozen=True, slots=True)
class JobDetails:
    """What the reconciler fetches for one job when its overview row changed."""

    restarts: int | None = None
    root_failure: Failure | None = None
    latest_checkpoint_path: str | None = None
    restored_from_path: str | None = None


@dataclass(frozen=True, slots=True)
class SavepointProgress:
    done: bool
    location: str | None = None
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    """Everything a cluster needs to run one attempt of one job."""

    flink_job_id: str
    job_name: str
    artifact: Artifact  # variables already substituted
    execution_mode: ExecutionMode
    parallelism: int
    flink_conf: dict[str, Any]
    savepoint_path: str | None = None
    allow_non_restored_state: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class FlinkCluster(Protocol):
    """One Flink cluster, reached through its REST API. Transient failures raise
    ``EngineUnavailable``; answers that retrying cannot fix raise ``EnginePermanentError``."""

    @property
    def rest_url(self) -> str: ...

    def list_jobs(self) -> list[ObservedJob]: ...
    def submit(self, submission: Submission) -> None:
        """Idempotent: a JobID Flink already has counts as submitted."""
        ...

    def job_details(self, flink_job_id: str) -> JobDetails: ...
    def cancel(self, flink_job_id: str) -> None: ...
    def stop_with_savepoint(self, flink_job_id: str, *, target_directory: str, drain: bool) -> str:
        """Returns Flink's trigger id."""
        ...

    def trigger_savepoint(self, flink_job_id: str, *, target_directory: str) -> str: ...
    def savepoint_progress(self, flink_job_id: str, trigger_id: str) -> SavepointProgress: ...
    def validate_sql(
        self, script: str, *, execution_mode: ExecutionMode, flink_conf: dict[str, Any]
    ) -> None:
        """Plan the script without running it; raise ``InvalidSql`` with line/column."""
        ...

    def jobmanager_log(self) -> str: ...


class Engine(Protocol):
    def cluster(self, cluster: Cluster) -> FlinkCluster: ...
    def savepoint_directory(self, *, deployment_id: str) -> str:
        """Where savepoints of this deployment go (a URI Flink can write to)."""
        ...

    def checkpoint_directory(self, *, deployment_id: str) -> str: ...
    def newest_checkpoint(self, checkpoint_dir: str, flink_job_id: str) -> str | None:
        """The newest complete checkpoint of a Flink job found in storage (None: none,
        or storage this engine cannot list). Newer than any the reconciler observed."""
        ...

    def delete_state(self, location: str) -> None:
        """Delete a savepoint's or checkpoint's files; missing files are not an error."""
        ...

    def engine_versions(self) -> Sequence[str]:
        """Engine version names this installation can run (first is the default)."""
        ...
