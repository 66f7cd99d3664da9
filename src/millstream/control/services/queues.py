"""Queue use cases: create, read, list, update, delete, and each queue's use.

Queues are installation-wide (an admin's or owner's operation); each names the cluster
it caps and the namespaces allowed to use it. A capacity change only writes the queue
and wakes the reconciler: it takes effect at the next admission pass
(``control.admission``). A queue that live jobs use or wait on cannot be deleted.

``place_job`` is the start-time half of admission, called by ``JobService.start``: it
picks the queue a new job waits on (the deployment's, its deployment target's quota
queue, or the ``default`` queue of the default cluster) and refuses a job that can
never fit. Called by the API dialects, the CLI's server side and the console.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from millstream.control.context import Actor, Scope
from millstream.control.ports import Repositories, Store
from millstream.control.services.common import DEFAULT_CLUSTER, resolve_cluster
from millstream.domain.admission import Waiting, queue_order
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
)
from millstream.domain.jobs import TERMINAL, Job
from millstream.domain.queues import (
    DEFAULT_QUEUE,
    Queue,
    process_cost,
    validate_queue_name,
)

__all__ = [
    "QueuePatch",
    "QueueService",
    "QueueUsage",
    "QueuedJob",
    "check_cluster_slots",
    "check_queue_fits",
    "cluster_slots",
    "place_job",
    "quota_capacity",
    "target_queue_name",
    "usage_of",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QueuePatch:
    """Fields a create or update sets; ``None`` leaves a field as it is (on update)."""

    cluster: str | None = None
    capacity_cu: float | None = None
    max_job_cu: float | None = None
    clear_max_job_cu: bool = False  # remove the per-job maximum
    namespaces: tuple[str, ...] | None = None
    description: str | None = None
    workspace: str | None = None  # create only: the workspace of ``cluster``
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """One job holding or waiting for room in a queue."""

    job_id: str
    workspace: str
    namespace: str
    deployment_id: str
    deployment_name: str
    status: str
    priority: int
    cost_cu: float
    enqueued_at: datetime | None
    admitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class QueueUsage:
    """A queue and its use: CUs held by admitted jobs, asked by waiting ones, left free."""

    queue: Queue
    used_cu: float
    waiting_cu: float
    free_cu: float
    admitted: tuple[QueuedJob, ...] = ()
    waiting: tuple[QueuedJob, ...] = field(default=())  # in the order they will start


def target_queue_name(cluster: Cluster) -> str:
    """The queue that enforces a deployment target's quota (queue names are
    installation-wide, target names only unique in their workspace)."""
    return f"target-{cluster.workspace}-{cluster.name}"


def quota_capacity(cluster: Cluster) -> float | None:
    """A deployment target's quota in CU (the larger of its cpu and memory / 4 GiB)."""
    if cluster.quota is None:
        return None
    return round(process_cost(cluster.quota.cpu, cluster.quota.memory_bytes()), 3)


def cluster_slots(
    cluster: Cluster, *, embedded_slots: int | None, default_slots: int
) -> int | None:
    """Task slots ``cluster`` can ever offer, when known: the embedded cluster's
    (``embedded_slots``), a session cluster's from its size; None for external clusters
    (their size is theirs) and dedicated ones (sized for their job)."""
    if cluster.kind is ClusterKind.EMBEDDED:
        return embedded_slots
    if cluster.kind is ClusterKind.SESSION:
        size = cluster.size(default_slots=default_slots)
        return size.taskmanagers * size.slots
    return None


def check_cluster_slots(cluster: Cluster, needed: int, offered: int | None) -> None:
    """Refuse a job that needs more slots than its cluster can ever offer."""
    if offered is not None and needed > offered:
        raise InvalidInput(
            f"the job needs {needed} task slots (its parallelism) but cluster "
            f"{cluster.name!r} has only {offered}: lower the parallelism or use a larger "
            "cluster",
            code=ErrorCode.JOB_TOO_LARGE,
        )


def check_queue_fits(queue: Queue, cost_cu: float) -> None:
    """Refuse a job that can never fit its queue (instead of letting it wait forever)."""
    reason = queue.never_fits(cost_cu)
    if reason is not None:
        raise InvalidInput(
            f"{reason}: lower the job's resources or use a larger queue",
            code=ErrorCode.JOB_TOO_LARGE,
        )


def _queued(job: Job) -> QueuedJob:
    return QueuedJob(
        job_id=job.id,
        workspace=job.workspace,
        namespace=job.namespace,
        deployment_id=job.deployment_id,
        deployment_name=job.deployment_name,
        status=job.status.value,
        priority=job.priority,
        cost_cu=job.cost_cu or 0.0,
        enqueued_at=job.enqueued_at,
        admitted_at=job.admitted_at,
    )


def usage_of(queue: Queue, jobs: Iterable[Job]) -> QueueUsage:
    """The use of ``queue`` given live jobs (others are ignored)."""
    admitted: list[Job] = []
    waiting: list[Job] = []
    for job in jobs:
        if job.queue != queue.name or job.status in TERMINAL:
            continue
        (waiting if job.admitted_at is None else admitted).append(job)
    epoch = datetime.min.replace(tzinfo=UTC)

    def order(job: Job) -> tuple[int, datetime, str]:
        return queue_order(
            Waiting(job.id, job.priority, job.enqueued_at or job.created_at or epoch, 0.0)
        )

    waiting.sort(key=order)
    admitted.sort(key=lambda job: (job.admitted_at or epoch, order(job)))
    used = round(sum(j.cost_cu or 0.0 for j in admitted), 3)
    return QueueUsage(
        queue=queue,
        used_cu=used,
        waiting_cu=round(sum(j.cost_cu or 0.0 for j in waiting), 3),
        free_cu=round(max(0.0, queue.capacity_cu - used), 3),
        admitted=tuple(_queued(j) for j in admitted),
        waiting=tuple(_queued(j) for j in waiting),
    )


def place_job(
    repos: Repositories, scope: Scope, *, queue_name: str | None, cluster_name: str | None
) -> tuple[Cluster, Queue | None]:
    """The cluster a new job runs on and the queue it waits on (None: no admission).

    An explicit queue must allow the namespace and sit on the deployment's cluster (a
    deployment without a cluster takes the queue's). Without one, a deployment target
    with a quota uses its quota queue (created here, kept in step with the quota), and
    the default cluster the ``default`` queue when the installation has one.
    """
    if queue_name is not None:
        queue = repos.read_queue(name=queue_name)
        if queue is None:
            raise NotFound(f"queue {queue_name!r} not found", code=ErrorCode.QUEUE_NOT_FOUND)
        if not queue.allows(scope.workspace, scope.namespace):
            raise PermissionDenied(
                f"namespace {scope.namespace!r} may not use queue {queue_name!r}",
                code=ErrorCode.QUEUE_NOT_ALLOWED,
            )
        if cluster_name is not None and cluster_name != queue.cluster:
            raise InvalidInput(
                f"queue {queue_name!r} caps cluster {queue.cluster!r}, but the deployment "
                f"runs on {cluster_name!r}: choose a queue of that cluster or drop one",
                code=ErrorCode.QUEUE_NOT_ALLOWED,
            )
        return resolve_cluster(repos, scope, queue.cluster), queue
    cluster = resolve_cluster(repos, scope, cluster_name)
    capacity = quota_capacity(cluster)
    if capacity is not None:
        return cluster, _sync_target_queue(repos, cluster, capacity)
    if cluster.name == DEFAULT_CLUSTER:
        queue = repos.read_queue(name=DEFAULT_QUEUE)
        if queue is not None and queue.cluster == cluster.name:
            return cluster, queue
    return cluster, None


def _sync_target_queue(repos: Repositories, cluster: Cluster, capacity: float) -> Queue:
    name = target_queue_name(cluster)
    queue = repos.read_queue(name=name)
    now = datetime.now(UTC)
    if queue is None:
        queue = Queue(
            id=str(uuid.uuid4()),
            name=name,
            workspace=cluster.workspace,
            cluster=cluster.name,
            capacity_cu=capacity,
            namespaces=(cluster.namespace,) if cluster.namespace else (),
            description=f"quota of deployment target {cluster.name}",
            follows_cluster=True,
            creator="system",
            modifier="system",
            created_at=now,
            modified_at=now,
        )
        repos.create_queue(queue=queue)
    elif queue.follows_cluster and queue.capacity_cu != capacity:
        queue.capacity_cu = capacity
        queue.modified_at = now
        repos.update_queue(queue=queue)
    return queue


class QueueService:
    def __init__(
        self,
        store: Store,
        *,
        default_workspace: str,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._default_workspace = default_workspace
        self._wake = wake
        self._clock = clock

    def create(self, actor: Actor, name: str, patch: QueuePatch) -> Queue:
        validate_queue_name(name)
        if patch.capacity_cu is None:
            raise InvalidInput(
                "a queue needs a capacity in CU (1 CU = 1 vCPU + 4 GiB)",
                code=ErrorCode.INVALID_QUEUE_CAPACITY,
            )
        now = self._clock()
        workspace = patch.workspace or self._default_workspace
        queue = Queue(
            id=str(uuid.uuid4()),
            name=name,
            workspace=workspace,
            cluster=patch.cluster or DEFAULT_CLUSTER,
            capacity_cu=float(patch.capacity_cu),
            max_job_cu=None if patch.max_job_cu is None else float(patch.max_job_cu),
            namespaces=tuple(patch.namespaces or ()),
            description=patch.description,
            creator=actor.id,
            modifier=actor.id,
            created_at=now,
            modified_at=now,
        )
        queue.validate()
        with self._store.transaction() as repos:
            self._check_cluster(repos, queue)
            repos.create_queue(queue=queue)
        _log.info(
            "queue %s created by %s: %g CU on %s",
            name,
            actor.name,
            queue.capacity_cu,
            queue.cluster,
        )
        self._wake()
        return queue

    def get(self, name: str) -> QueueUsage:
        with self._store.transaction() as repos:
            queue = self._read(repos, name)
            return usage_of(queue, repos.read_active_jobs())

    def list(self) -> list[QueueUsage]:
        with self._store.transaction() as repos:
            queues = repos.read_queues()
            jobs = repos.read_active_jobs() if queues else []
        return [usage_of(queue, jobs) for queue in queues]

    def update(self, actor: Actor, name: str, patch: QueuePatch) -> Queue:
        """Capacity changes take effect at the next admission pass."""
        if patch.workspace is not None:
            raise InvalidInput(
                "a queue's workspace cannot change; create a new queue",
                code=ErrorCode.INVALID_QUEUE,
            )
        with self._store.transaction() as repos:
            queue = self._read(repos, name)
            if patch.expected_version is not None and patch.expected_version != queue.version:
                raise StaleVersion(
                    f"queue {name!r} is at version {queue.version}, not "
                    f"{patch.expected_version}; read it again and reapply your change"
                )
            if patch.cluster is not None and patch.cluster != queue.cluster:
                if repos.count_live_jobs_in_queue(name=name):
                    raise Conflict(
                        f"queue {name!r} has live jobs on cluster {queue.cluster!r}; stop "
                        "them before moving the queue to another cluster",
                        code=ErrorCode.QUEUE_IN_USE,
                    )
                queue.cluster = patch.cluster
            if patch.capacity_cu is not None:
                queue.capacity_cu = float(patch.capacity_cu)
                queue.follows_cluster = False  # set by hand: no longer recomputed
            if patch.clear_max_job_cu:
                queue.max_job_cu = None
            elif patch.max_job_cu is not None:
                queue.max_job_cu = float(patch.max_job_cu)
            if patch.namespaces is not None:
                queue.namespaces = tuple(patch.namespaces)
            if patch.description is not None:
                queue.description = patch.description
            queue.validate()
            self._check_cluster(repos, queue)
            queue.modifier = actor.id
            queue.modified_at = self._clock()
            repos.update_queue(queue=queue)
        _log.info("queue %s updated by %s: %g CU", name, actor.name, queue.capacity_cu)
        self._wake()
        return queue

    def delete(self, actor: Actor, name: str) -> Queue:
        """Refused while a live job holds or waits for room in the queue."""
        with self._store.transaction() as repos:
            queue = self._read(repos, name)
            live = repos.count_live_jobs_in_queue(name=name)
            if live:
                raise Conflict(
                    f"queue {name!r} is used by {live} live job(s) (running or waiting); "
                    "stop them before deleting the queue",
                    code=ErrorCode.QUEUE_IN_USE,
                )
            repos.delete_queue(queue_id=queue.id)
        _log.info("queue %s deleted by %s", name, actor.name)
        return queue

    @staticmethod
    def _read(repos: Repositories, name: str) -> Queue:
        queue = repos.read_queue(name=name)
        if queue is None:
            raise NotFound(f"queue {name!r} not found", code=ErrorCode.QUEUE_NOT_FOUND)
        return queue

    @staticmethod
    def _check_cluster(repos: Repositories, queue: Queue) -> None:
        if repos.read_cluster(workspace=queue.workspace, name=queue.cluster) is None:
            raise InvalidInput(
                f"cluster {queue.cluster!r} does not exist in workspace {queue.workspace!r}",
                code=ErrorCode.CLUSTER_NOT_FOUND,
            )
