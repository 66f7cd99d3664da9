"""Fakes for fast tests: an in-memory ``Store`` and a ``FakeEngine`` with fake Flink clusters.

They implement the ports of ``millstream.control.ports`` faithfully enough that the
services and the reconciler cannot tell them apart from the real adapters.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from millstream.control.ports import (
    JobDetails,
    ObservedJob,
    Page,
    SavepointProgress,
    StartToken,
    Submission,
)
from millstream.control.reconciler_ports import JobHead
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.clusters import Cluster
from millstream.domain.deployments import Deployment
from millstream.domain.errors import (
    Conflict,
    EnginePermanentError,
    EngineUnavailable,
    ErrorCode,
    InvalidSql,
    NotFound,
    StaleVersion,
)
from millstream.domain.events import Event
from millstream.domain.external_keys import ExternalKey, KeyedEntity
from millstream.domain.jobs import TERMINAL, Failure, Job, JobStatus
from millstream.domain.namespaces import Namespace
from millstream.domain.observed import ObservedState
from millstream.domain.queues import Queue
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState

__all__ = ["FakeEngine", "FakeFlink", "InMemoryExternalKeyStore", "InMemoryStore"]


def _paged(items: list[Any], page: Page) -> tuple[list[Any], int]:
    return items[page.offset : page.offset + page.limit], len(items)


@dataclass
class _Data:
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    deployments: dict[str, Deployment] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    savepoints: dict[str, Savepoint] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    start_tokens: dict[tuple[str, str, str], StartToken] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)


class _Repos:
    def __init__(self, data: _Data) -> None:
        self.d = data

    def read_namespace(self, *, workspace: str, name: str) -> Namespace | None:
        return copy.deepcopy(self.d.namespaces.get(f"{workspace}/{name}"))

    def read_namespaces(self, *, workspace: str | None = None) -> list[Namespace]:
        return [
            copy.deepcopy(n)
            for n in self.d.namespaces.values()
            if workspace is None or n.workspace == workspace
        ]

    def create_namespace(self, *, namespace: Namespace) -> None:
        self.d.namespaces[f"{namespace.workspace}/{namespace.name}"] = copy.deepcopy(namespace)

    def read_deployment(
        self, *, workspace: str, namespace: str, deployment_id: str
    ) -> Deployment | None:
        d = self.d.deployments.get(deployment_id)
        if d is None or (d.workspace, d.namespace) != (workspace, namespace):
            return None
        return copy.deepcopy(d)

    def has_deployment(self, *, workspace: str, namespace: str, deployment_id: str) -> bool:
        found = self.read_deployment(
            workspace=workspace, namespace=namespace, deployment_id=deployment_id
        )
        return found is not None

    def read_deployment_stamp(
        self, *, workspace: str, namespace: str, deployment_id: str
    ) -> tuple[int, dict[JobStatus, int]] | None:
        found = self.read_deployment(
            workspace=workspace, namespace=namespace, deployment_id=deployment_id
        )
        if found is None:
            return None
        counts = self.count_jobs_by_status(deployment_ids=[deployment_id])
        return found.version, counts.get(deployment_id, {})

    def read_deployment_by_name(
        self, *, workspace: str, namespace: str, name: str
    ) -> Deployment | None:
        for d in self.d.deployments.values():
            if (d.workspace, d.namespace, d.name) == (workspace, namespace, name):
                return copy.deepcopy(d)
        return None

    def read_deployments(
        self,
        *,
        workspace: str,
        namespace: str,
        page: Page,
        name: str | None = None,
        labels: dict[str, str] | None = None,
        execution_mode: ExecutionMode | None = None,
    ) -> tuple[list[Deployment], int]:
        found = [
            copy.deepcopy(d)
            for d in self.d.deployments.values()
            if (d.workspace, d.namespace) == (workspace, namespace)
            and (name is None or d.name == name)
            and (execution_mode is None or d.execution_mode is execution_mode)
            and all(d.labels.get(k) == v for k, v in (labels or {}).items())
        ]
        return _paged(found, page)

    def create_deployment(self, *, deployment: Deployment) -> None:
        if self.read_deployment_by_name(
            workspace=deployment.workspace, namespace=deployment.namespace, name=deployment.name
        ):
            raise Conflict("duplicate deployment name")
        self.d.deployments[deployment.id] = copy.deepcopy(deployment)

    def update_deployment(self, *, deployment: Deployment) -> None:
        stored = self.d.deployments.get(deployment.id)
        if stored is None or stored.version != deployment.version:
            raise StaleVersion("deployment changed")
        deployment.version += 1
        self.d.deployments[deployment.id] = copy.deepcopy(deployment)

    def delete_deployment(self, *, deployment_id: str) -> None:
        self.d.deployments.pop(deployment_id, None)

    def read_job(self, *, job_id: str) -> Job | None:
        return copy.deepcopy(self.d.jobs.get(job_id))

    def read_job_version(self, *, workspace: str, namespace: str, job_id: str) -> int | None:
        job = self.d.jobs.get(job_id)
        if job is None or (job.workspace, job.namespace) != (workspace, namespace):
            return None
        return job.version

    def read_jobs(
        self,
        *,
        workspace: str,
        namespace: str,
        deployment_id: str,
        page: Page,
        newest_first: bool = True,
    ) -> tuple[list[Job], int]:
        found = [
            copy.deepcopy(j)
            for j in self.d.jobs.values()
            if j.deployment_id == deployment_id
            and (j.workspace, j.namespace) == (workspace, namespace)
        ]
        found.sort(key=lambda j: (j.created_at, j.id), reverse=newest_first)
        return _paged(found, page)

    def read_job_keys(
        self,
        *,
        workspace: str,
        namespace: str,
        deployment_id: str,
        page: Page,
        newest_first: bool = True,
    ) -> tuple[list[tuple[str, int]], int]:
        jobs, total = self.read_jobs(
            workspace=workspace,
            namespace=namespace,
            deployment_id=deployment_id,
            page=page,
            newest_first=newest_first,
        )
        return [(j.id, j.version) for j in jobs], total

    def read_active_jobs(self, *, deployment_id: str | None = None) -> list[Job]:
        return [
            copy.deepcopy(j)
            for j in self.d.jobs.values()
            if j.status not in TERMINAL and deployment_id in (None, j.deployment_id)
        ]

    def count_jobs_by_status(
        self, *, deployment_ids: Collection[str]
    ) -> dict[str, dict[JobStatus, int]]:
        counts: dict[str, dict[JobStatus, int]] = {}
        for j in self.d.jobs.values():
            if j.deployment_id in deployment_ids:
                per_status = counts.setdefault(j.deployment_id, {})
                per_status[j.status] = per_status.get(j.status, 0) + 1
        return counts

    def read_live_job_versions(self) -> dict[str, int]:
        return {j.id: j.version for j in self.d.jobs.values() if j.status not in TERMINAL}

    def read_job_heads(self, *, job_ids: Collection[str] | None = None) -> list[JobHead]:
        return [
            JobHead(
                id=j.id,
                version=j.version,
                workspace=j.workspace,
                cluster=j.cluster,
                status=j.status,
                desired=j.desired,
                flink_job_id=j.flink_job_id,
                observed_state=j.observed.state,
                observed_modified_ms=j.observed.modified_ms,
                stop_savepoint_id=j.stop_savepoint_id,
                status_reason=j.status_reason,
                queue=j.queue,
                admitted=j.admitted_at is not None,
            )
            for j in self.d.jobs.values()
            if j.status not in TERMINAL and (job_ids is None or j.id in job_ids)
        ]

    def read_jobs_by_id(self, *, job_ids: Collection[str]) -> list[Job]:
        return [copy.deepcopy(self.d.jobs[i]) for i in job_ids if i in self.d.jobs]

    def create_job(self, *, job: Job) -> None:
        if self.read_active_jobs(deployment_id=job.deployment_id):
            raise Conflict("live job exists")
        self.d.jobs[job.id] = copy.deepcopy(job)

    def update_job(self, *, job: Job) -> None:
        stored = self.d.jobs.get(job.id)
        if stored is None or stored.version != job.version:
            raise StaleVersion("job changed")
        job.version += 1
        self.d.jobs[job.id] = copy.deepcopy(job)

    def delete_job(self, *, job_id: str) -> None:
        self.d.jobs.pop(job_id, None)

    def read_savepoint(self, *, savepoint_id: str) -> Savepoint | None:
        return copy.deepcopy(self.d.savepoints.get(savepoint_id))

    def read_savepoints(
        self,
        *,
        workspace: str,
        namespace: str,
        page: Page,
        deployment_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[list[Savepoint], int]:
        found = [
            copy.deepcopy(s)
            for s in self.d.savepoints.values()
            if (s.workspace, s.namespace) == (workspace, namespace)
            and deployment_id in (None, s.deployment_id)
            and job_id in (None, s.job_id)
        ]
        return _paged(found, page)

    def read_latest_savepoint(
        self, *, deployment_id: str, include_checkpoints: bool
    ) -> Savepoint | None:
        found = [
            s
            for s in self.d.savepoints.values()
            if s.deployment_id == deployment_id
            and s.state is SavepointState.COMPLETED
            and (include_checkpoints or s.origin is not SavepointOrigin.RETAINED_CHECKPOINT)
        ]
        if not found:
            return None
        return copy.deepcopy(max(found, key=lambda s: (s.created_at, s.id)))

    def read_pending_savepoints(self) -> list[Savepoint]:
        return [
            copy.deepcopy(s)
            for s in self.d.savepoints.values()
            if s.state is SavepointState.STARTED
        ]

    def create_savepoint(self, *, savepoint: Savepoint) -> None:
        self.d.savepoints[savepoint.id] = copy.deepcopy(savepoint)

    def update_savepoint(self, *, savepoint: Savepoint) -> None:
        self.d.savepoints[savepoint.id] = copy.deepcopy(savepoint)

    def delete_savepoint(self, *, savepoint_id: str) -> None:
        self.d.savepoints.pop(savepoint_id, None)

    def create_event(self, *, event: Event) -> None:
        self.d.events.append(copy.deepcopy(event))

    def read_events(
        self,
        *,
        workspace: str,
        namespace: str,
        page: Page,
        deployment_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[list[Event], int]:
        found = [
            e
            for e in self.d.events
            if (e.workspace, e.namespace) == (workspace, namespace)
            and deployment_id in (None, e.deployment_id)
            and job_id in (None, e.job_id)
        ]
        return _paged(found, page)

    def read_cluster(self, *, workspace: str, name: str) -> Cluster | None:
        return copy.deepcopy(self.d.clusters.get(f"{workspace}/{name}"))

    def read_clusters(self, *, workspace: str | None = None) -> list[Cluster]:
        return [
            copy.deepcopy(c)
            for c in self.d.clusters.values()
            if workspace is None or c.workspace == workspace
        ]

    def create_cluster(self, *, cluster: Cluster) -> None:
        self.d.clusters[f"{cluster.workspace}/{cluster.name}"] = copy.deepcopy(cluster)

    def update_cluster(self, *, cluster: Cluster) -> None:
        self.create_cluster(cluster=cluster)

    def delete_cluster(self, *, cluster_id: str) -> None:
        self.d.clusters = {k: c for k, c in self.d.clusters.items() if c.id != cluster_id}

    def read_start_token(self, *, workspace: str, namespace: str, token: str) -> StartToken | None:
        found = self.d.start_tokens.get((workspace, namespace, token))
        # The store's foreign key drops a token with its job.
        return found if found is not None and found.job_id in self.d.jobs else None

    def create_start_token(self, *, start_token: StartToken) -> None:
        key = (start_token.workspace, start_token.namespace, start_token.token)
        if self.read_start_token(workspace=key[0], namespace=key[1], token=key[2]) is not None:
            raise Conflict(f"client token {start_token.token!r} was already used")
        self.d.start_tokens[key] = start_token

    def delete_start_tokens(self, *, created_before: datetime) -> int:
        old = [k for k, t in self.d.start_tokens.items() if t.created_at < created_before]
        for key in old:
            del self.d.start_tokens[key]
        return len(old)

    def read_queue(self, *, name: str) -> Queue | None:
        return copy.deepcopy(self.d.queues.get(name))

    def read_queues(self) -> list[Queue]:
        return [copy.deepcopy(q) for _, q in sorted(self.d.queues.items())]

    def create_queue(self, *, queue: Queue) -> None:
        if queue.name in self.d.queues:
            raise Conflict(
                f"a queue named {queue.name!r} already exists", code=ErrorCode.QUEUE_EXISTS
            )
        self.d.queues[queue.name] = copy.deepcopy(queue)

    def update_queue(self, *, queue: Queue) -> None:
        stored = self.d.queues.get(queue.name)
        if stored is None or stored.id != queue.id:
            raise NotFound(f"queue {queue.name!r} does not exist")
        if stored.version != queue.version:
            raise StaleVersion(f"queue {queue.name!r} was changed concurrently")
        queue.version += 1
        self.d.queues[queue.name] = copy.deepcopy(queue)

    def delete_queue(self, *, queue_id: str) -> None:
        self.d.queues = {k: q for k, q in self.d.queues.items() if q.id != queue_id}

    def count_live_jobs_in_queue(self, *, name: str) -> int:
        return sum(1 for j in self.d.jobs.values() if j.queue == name and j.status not in TERMINAL)


class InMemoryStore:
    """Transactions copy the data and swap it in on success (rollback = drop the copy);
    one at a time, like SQLite's single writer, so concurrent actions lose nothing."""

    def __init__(self) -> None:
        self.data = _Data()
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[_Repos]:
        with self._lock:
            working = copy.deepcopy(self.data)
            yield _Repos(working)
            self.data = working

    @contextmanager
    def reading(self) -> Iterator[_Repos]:
        with self._lock:  # on a copy: a write in a read is dropped, never kept
            yield _Repos(copy.deepcopy(self.data))


class _ExternalKeyRepos:
    def __init__(
        self,
        keys: dict[tuple[str, str], ExternalKey],
        counters: dict[tuple[str, str], int],
        entities: InMemoryStore | None,
    ) -> None:
        self._keys = keys
        self._counters = counters
        self._entities = entities

    def _alive(self, key: ExternalKey) -> bool:
        if self._entities is None:
            return True
        data = self._entities.data
        return key.entity_id in data.deployments or key.entity_id in data.jobs

    def _check_entity(self, entity: KeyedEntity, entity_id: str) -> None:
        if self._entities is None:
            return
        data = self._entities.data
        pool = data.deployments if entity is KeyedEntity.DEPLOYMENT else data.jobs
        if entity_id not in pool:
            raise NotFound(f"{entity.value} {entity_id!r} not found")

    def read_external_key(self, *, space: str, entity_id: str) -> ExternalKey | None:
        key = self._keys.get((space, entity_id))
        return key if key is not None and self._alive(key) else None

    def read_external_keys(self, *, space: str, entity_ids: Collection[str]) -> list[ExternalKey]:
        found = (self.read_external_key(space=space, entity_id=e) for e in entity_ids)
        return [key for key in found if key is not None]

    def read_external_key_by_value(
        self, *, space: str, scope: str, value: int | str
    ) -> ExternalKey | None:
        for key in self._keys.values():
            stored = key.number if isinstance(value, int) else key.name
            if (key.space, key.scope, stored) == (space, scope, value) and self._alive(key):
                return key
        return None

    def allocate_external_number(
        self,
        *,
        space: str,
        scope: str,
        entity: KeyedEntity,
        entity_id: str,
        first_number: int = 1,
    ) -> ExternalKey:
        self._check_entity(entity, entity_id)
        if self.read_external_key(space=space, entity_id=entity_id) is not None:
            raise Conflict(f"{entity_id} already has a key in {space!r}")
        last = self._counters.get((space, scope))
        number = first_number if last is None else last + 1
        self._counters[(space, scope)] = number
        key = ExternalKey(space, scope, entity_id, number=number, created_at=datetime.now(UTC))
        self._keys[(space, entity_id)] = key
        return key

    def assign_external_name(
        self, *, space: str, scope: str, entity: KeyedEntity, entity_id: str, name: str
    ) -> ExternalKey:
        self._check_entity(entity, entity_id)
        holder = self.read_external_key_by_value(space=space, scope=scope, value=name)
        if holder is not None and holder.entity_id != entity_id:
            raise Conflict(f"the name {name!r} is already used")
        key = ExternalKey(space, scope, entity_id, name=name, created_at=datetime.now(UTC))
        self._keys[(space, entity_id)] = key
        return key


class InMemoryExternalKeyStore:
    """The ``ExternalKeyStore`` port in memory. Given the ``InMemoryStore`` of the
    entities, it refuses keys for unknown ids and forgets keys of deleted ones (as the
    store's cascading foreign keys do); the counters survive, like the real ones."""

    def __init__(self, entities: InMemoryStore | None = None) -> None:
        self.keys: dict[tuple[str, str], ExternalKey] = {}
        self.counters: dict[tuple[str, str], int] = {}
        self._entities = entities
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[_ExternalKeyRepos]:
        with self._lock:
            keys, counters = dict(self.keys), dict(self.counters)
            yield _ExternalKeyRepos(keys, counters, self._entities)
            self.keys, self.counters = keys, counters


@dataclass
class _FakeJob:
    submission: Submission
    state: str = "INITIALIZING"
    tasks: int = 2
    running: int = 0
    restarts: int = 0
    failure: Failure | None = None
    modified: int = 1
    checkpoint: str | None = None


class FakeFlink:
    """A Flink cluster in memory: tests move jobs through states with ``set_state``."""

    def __init__(self, rest_url: str = "http://fake-flink") -> None:
        self._rest_url = rest_url
        self.jobs: dict[str, _FakeJob] = {}
        self.calls: list[tuple[str, str]] = []
        # The sql_preamble of every validate/plan call (the namespace catalog's DDL).
        self.preambles: list[tuple[str, ...]] = []
        self.reachable = True
        self.reject_submissions: str | None = None
        self.savepoint_failure: str | None = None
        self.bad_sql: InvalidSql | None = None
        self._triggers: dict[str, str] = {}
        self._counter = itertools.count(1)
        self._rows: dict[str, ObservedJob] = {}  # the last ``list_jobs`` answer

    @property
    def rest_url(self) -> str:
        return self._rest_url

    def _check(self) -> None:
        if not self.reachable:
            raise EngineUnavailable("fake cluster unreachable")

    def set_state(self, flink_job_id: str, state: str, *, all_running: bool = True) -> None:
        job = self.jobs[flink_job_id]
        job.state = state
        job.running = job.tasks if (state == "RUNNING" and all_running) else 0
        job.modified += 1

    def list_jobs(self) -> list[ObservedJob]:
        """As ``RestFlinkCluster.list_jobs``: an unchanged row is the same object as in
        the previous answer (the reconciler remembers what it worked out on it)."""
        self._check()
        self.calls.append(("list_jobs", ""))
        rows = []
        for fid, j in self.jobs.items():
            row = ObservedJob(
                flink_job_id=fid,
                name=j.submission.job_name,
                state=ObservedState.parse(j.state) or ObservedState.UNKNOWN,
                start_time_ms=1_700_000_000_000,
                end_time_ms=None,
                last_modification_ms=j.modified,
                tasks_total=j.tasks,
                tasks_running=j.running,
            )
            before = self._rows.get(fid)
            rows.append(before if before == row else row)
        self._rows = {row.flink_job_id: row for row in rows}
        return rows

    def submit(self, submission: Submission) -> None:
        self._check()
        self.calls.append(("submit", submission.flink_job_id))
        if self.reject_submissions:
            raise EnginePermanentError(self.reject_submissions)
        self.jobs.setdefault(submission.flink_job_id, _FakeJob(submission))

    def job_details(self, flink_job_id: str) -> JobDetails:
        self._check()
        job = self.jobs[flink_job_id]
        return JobDetails(
            restarts=job.restarts, root_failure=job.failure, latest_checkpoint_path=job.checkpoint
        )

    def cancel(self, flink_job_id: str) -> None:
        self._check()
        self.calls.append(("cancel", flink_job_id))
        self.set_state(flink_job_id, "CANCELED")

    def stop_with_savepoint(self, flink_job_id: str, *, target_directory: str, drain: bool) -> str:
        self._check()
        self.calls.append(("stop", flink_job_id))
        trigger = f"trigger-{next(self._counter)}"
        self._triggers[trigger] = f"{target_directory}/savepoint-{trigger}"
        if self.savepoint_failure is None:
            self.set_state(flink_job_id, "FINISHED")
        return trigger

    def trigger_savepoint(self, flink_job_id: str, *, target_directory: str) -> str:
        self._check()
        self.calls.append(("savepoint", flink_job_id))
        trigger = f"trigger-{next(self._counter)}"
        self._triggers[trigger] = f"{target_directory}/savepoint-{trigger}"
        return trigger

    def savepoint_progress(self, flink_job_id: str, trigger_id: str) -> SavepointProgress:
        self._check()
        if self.savepoint_failure is not None:
            return SavepointProgress(done=True, failure=self.savepoint_failure)
        return SavepointProgress(done=True, location=self._triggers[trigger_id])

    def validate_sql(
        self,
        script: str,
        *,
        execution_mode: ExecutionMode,
        flink_conf: dict[str, Any],
        sql_preamble: Sequence[str] = (),
        sql_jars: Sequence[str] = (),  # the fake has no class path
    ) -> None:
        self.calls.append(("validate", script[:20]))
        self.preambles.append(tuple(sql_preamble))
        if self.bad_sql is not None:
            raise self.bad_sql

    def plan_sql(
        self,
        script: str,
        *,
        execution_mode: ExecutionMode,
        flink_conf: dict[str, Any],
        sql_preamble: Sequence[str] = (),
        sql_jars: Sequence[str] = (),  # the fake has no class path
    ) -> dict[str, Any]:
        """A two-vertex plan (source -> sink), like Flink's JobGraph plan."""
        self.calls.append(("plan", script[:20]))
        self.preambles.append(tuple(sql_preamble))
        if self.bad_sql is not None:
            raise self.bad_sql
        parallelism = int(flink_conf.get("parallelism.default", 1))
        return {
            "jid": "0" * 32,
            "name": "insert-into",
            "type": execution_mode.value,
            "nodes": [
                {"id": "a" * 32, "parallelism": parallelism, "description": "Source: s"},
                {
                    "id": "b" * 32,
                    "parallelism": parallelism,
                    "description": "Sink: t",
                    "inputs": [{"num": 0, "id": "a" * 32, "ship_strategy": "FORWARD"}],
                },
            ],
        }

    def jobmanager_log(self) -> str:
        return "fake jobmanager log"


class FakeEngine:
    def __init__(self, flink: FakeFlink | None = None) -> None:
        self.flink = flink or FakeFlink()
        self.deleted: list[str] = []
        self.checkpoints_on_disk: dict[str, str] = {}

    def cluster(self, cluster: Cluster) -> FakeFlink:
        return self.flink

    def savepoint_directory(self, *, deployment_id: str) -> str:
        return f"file:///state/savepoints/{deployment_id}"

    def checkpoint_directory(self, *, deployment_id: str) -> str:
        return f"file:///state/checkpoints/{deployment_id}"

    def delete_state(self, location: str) -> None:
        self.deleted.append(location)

    def newest_checkpoint(self, checkpoint_dir: str, flink_job_id: str) -> str | None:
        return self.checkpoints_on_disk.get(flink_job_id)

    def engine_versions(self) -> Sequence[str]:
        return ["flink-2.3.0"]
