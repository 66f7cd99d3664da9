"""Ports: the interfaces control/ needs from the outside world.

``store/`` implements ``Store`` (one transaction per use case), ``LeaderLock`` and
``ExternalKeyStore``;
``engine/`` implements ``Engine`` and ``FlinkCluster`` (everything Flink). The app
factory wires concrete adapters into the services and the reconciler.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from millstream.domain.artifacts import Artifact, ExecutionMode
from millstream.domain.clusters import Cluster
from millstream.domain.deployments import Deployment
from millstream.domain.events import Event
from millstream.domain.external_keys import ExternalKey, KeyedEntity
from millstream.domain.jobs import Failure, Job, JobStatus
from millstream.domain.namespaces import Namespace
from millstream.domain.observed import ObservedState
from millstream.domain.queues import Queue
from millstream.domain.savepoints import Savepoint

__all__ = [
    "Engine",
    "ExternalKeyRepositories",
    "ExternalKeyStore",
    "FlinkCluster",
    "JobDetails",
    "LeaderLock",
    "ObservedJob",
    "Page",
    "Repositories",
    "SavepointProgress",
    "StartToken",
    "Store",
    "Submission",
]


@dataclass(frozen=True, slots=True)
class Page:
    """Offset paging; ``offset = (pageIndex - 1) * pageSize``."""

    offset: int = 0
    limit: int = 10


# --------------------------------------------------------------------------- store


@dataclass(frozen=True, slots=True)
class StartToken:
    """A client token of a start: the job the first start carrying it created.

    Written in the same transaction as the job, so a retried start (even after a
    control-plane crash) finds the job instead of creating a second one."""

    workspace: str
    namespace: str
    token: str
    deployment_id: str
    job_id: str
    created_at: datetime


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
    def has_deployment(self, *, workspace: str, namespace: str, deployment_id: str) -> bool:
        """Whether ``read_deployment`` would find it (without reading it)."""
        ...

    def read_deployment_stamp(
        self, *, workspace: str, namespace: str, deployment_id: str
    ) -> tuple[int, dict[JobStatus, int]] | None:
        """The deployment's version and ``count_jobs_by_status`` of it, if it is in that
        namespace: what a rendering of it with its job summary depends on."""
        ...

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
    def read_job_version(self, *, workspace: str, namespace: str, job_id: str) -> int | None:
        """The job's version if it is in that namespace: what a reader that keeps what it
        rendered before needs to know (a job's version changes with it)."""
        ...

    def read_jobs(
        self,
        *,
        workspace: str,
        namespace: str,
        deployment_id: str,
        page: Page,
        newest_first: bool = True,
    ) -> tuple[list[Job], int]: ...
    def read_job_keys(
        self,
        *,
        workspace: str,
        namespace: str,
        deployment_id: str,
        page: Page,
        newest_first: bool = True,
    ) -> tuple[list[tuple[str, int]], int]:
        """``read_jobs``' page as (id, version) pairs, and the total: what a reader that
        keeps what it rendered before needs to know (a job's version changes with it)."""
        ...

    def read_jobs_by_id(self, *, job_ids: Collection[str]) -> list[Job]:
        """The jobs among ``job_ids`` that still exist, whatever their status."""
        ...

    def read_active_jobs(self, *, deployment_id: str | None = None) -> list[Job]:
        """Jobs whose status is not terminal (what the reconciler works on)."""
        ...

    def count_jobs_by_status(
        self, *, deployment_ids: Collection[str]
    ) -> dict[str, dict[JobStatus, int]]:
        """Jobs per status of each deployment, in one grouped query; a deployment without
        jobs is absent."""
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

    # start tokens (idempotent start)
    def read_start_token(self, *, workspace: str, namespace: str, token: str) -> StartToken | None:
        """The token's record, however old (callers purge expired ones first)."""
        ...

    def create_start_token(self, *, start_token: StartToken) -> None:
        """``Conflict`` when the token is already recorded in its namespace."""
        ...

    def delete_start_tokens(self, *, created_before: datetime) -> int:
        """Purge tokens recorded before ``created_before``; returns how many."""
        ...

    # queues (installation-wide CU quotas, migration 0009)
    def read_queue(self, *, name: str) -> Queue | None: ...
    def read_queues(self) -> list[Queue]: ...
    def create_queue(self, *, queue: Queue) -> None:
        """``Conflict`` when a queue of that name exists."""
        ...

    def update_queue(self, *, queue: Queue) -> None:
        """Optimistic: stored version must equal ``queue.version``; then incremented."""
        ...

    def delete_queue(self, *, queue_id: str) -> None: ...
    def count_live_jobs_in_queue(self, *, name: str) -> int:
        """Jobs not terminal that hold or wait for room in queue ``name``."""
        ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[Repositories]:
        """One unit of work: commit on success, roll back on any exception.
        Database connection failures surface as ``StoreUnavailable``."""
        ...

    def reading(self) -> AbstractContextManager[Repositories]:
        """A unit of work that only reads (the API's hot reads): each read sees the
        latest commits; the store may skip the transaction around them."""
        ...


class ExternalKeyRepositories(Protocol):
    """External keys (``domain.external_keys``) inside one transaction. A key lives as
    long as its deployment or job: deleting the entity deletes its keys, while the
    per-(space, scope) counter stays, so a number is never handed out twice."""

    def read_external_key(self, *, space: str, entity_id: str) -> ExternalKey | None: ...
    def read_external_keys(self, *, space: str, entity_ids: Collection[str]) -> list[ExternalKey]:
        """The keys some of ``entity_ids`` have in ``space`` (in any order)."""
        ...

    def read_external_key_by_value(
        self, *, space: str, scope: str, value: int | str
    ) -> ExternalKey | None:
        """The key numbered (an ``int``) or named (a ``str``) ``value`` in its scope."""
        ...

    def allocate_external_number(
        self,
        *,
        space: str,
        scope: str,
        entity: KeyedEntity,
        entity_id: str,
        first_number: int = 1,
    ) -> ExternalKey:
        """Give the entity the next number of (space, scope). ``NotFound`` when no
        ``entity`` (deployment or job) has ``entity_id``; ``Conflict`` when it already
        has a key in ``space`` (a concurrent allocation won: roll back and read it)."""
        ...

    def assign_external_name(
        self, *, space: str, scope: str, entity: KeyedEntity, entity_id: str, name: str
    ) -> ExternalKey:
        """Set (or change) the entity's name in ``space``. ``NotFound`` as above;
        ``Conflict`` when another entity has that name in (space, scope)."""
        ...


class ExternalKeyStore(Protocol):
    def transaction(self) -> AbstractContextManager[ExternalKeyRepositories]: ...


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
    state: ObservedState  # Flink's job state, translated by the engine adapter
    start_time_ms: int | None
    end_time_ms: int | None
    last_modification_ms: int | None
    tasks_total: int
    tasks_running: int

    @property
    def all_running(self) -> bool:
        return (
            self.state is ObservedState.RUNNING
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
    # SQL run before the script (registered functions, ``domain.sql_libraries``); the
    # jars they need are in ``artifact.additional_dependencies``.
    sql_preamble: tuple[str, ...] = ()


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
        self,
        script: str,
        *,
        execution_mode: ExecutionMode,
        flink_conf: dict[str, Any],
        sql_preamble: Sequence[str] = (),
        sql_jars: Sequence[str] = (),
    ) -> None:
        """Plan the script without running it (after ``sql_preamble``, as a submission
        runs it, with ``sql_jars`` — canonical artifact URIs — on its class path);
        raise ``InvalidSql`` with line/column."""
        ...

    def plan_sql(
        self,
        script: str,
        *,
        execution_mode: ExecutionMode,
        flink_conf: dict[str, Any],
        sql_preamble: Sequence[str] = (),
        sql_jars: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Like ``validate_sql``, and answer Flink's plan of the job (the JobGraph plan
        of ``POST /jars/{id}/plan``: ``{"jid", "name", "nodes": [...]}``)."""
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
