"""In-memory fakes of the control services, for driving the API without store or engine.

Each fake subclasses its service and re-implements its public methods over one shared
``FakeWorld``, keeping the behaviour the API relies on: namespace checks, not-found codes,
one live job per deployment, stop/delete rules, optimistic versions. ``world.fail_next``
makes the next service call raise, to test how the API maps unexpected failures.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.ports import Page
from millstream.control.services import (
    DeploymentPatch,
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.variables import substitute
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.deployments import Deployment
from millstream.domain.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    InvalidSql,
    InvalidTransition,
    JobAlreadyLive,
    NotFound,
)
from millstream.domain.events import Event, EventName
from millstream.domain.jobs import Job, JobStatus, RestoreKind, RestoreStrategy, StopStrategy
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState

__all__ = ["ADMIN", "FakeWorld", "fake_services"]

ADMIN = Actor(id="admin-id", name="admin")

_T = TypeVar("_T")


def _paged(items: Iterable[_T], page: Page) -> tuple[list[_T], int]:
    everything = list(items)
    return everything[page.offset : page.offset + page.limit], len(everything)


@dataclass
class FakeWorld:
    """The state every fake service reads and writes."""

    namespaces: set[tuple[str, str]] = field(default_factory=lambda: {("default", "ns1")})
    deployments: dict[str, Deployment] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    savepoints: dict[str, Savepoint] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    # (workspace, namespace, client token) -> (deployment id, job id) of the start.
    start_tokens: dict[tuple[str, str, str], tuple[str, str]] = field(default_factory=dict)
    fail_next: Exception | None = None
    validations: list[tuple[str, ExecutionMode, dict[str, Any]]] = field(default_factory=list)
    now: datetime = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def enter(self, scope: Scope) -> None:
        """Start of every use case: injected failure, then the namespace check."""
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure
        if (scope.workspace, scope.namespace) not in self.namespaces:
            raise NotFound(
                f"namespace {scope.namespace!r} not found in workspace {scope.workspace!r}",
                code=ErrorCode.NAMESPACE_NOT_FOUND,
            )

    def record(self, scope: Scope, name: EventName, message: str, **ids: str | None) -> None:
        self.events.append(
            Event(
                id=str(uuid.uuid4()),
                workspace=scope.workspace,
                namespace=scope.namespace,
                name=name,
                message=message,
                created_at=self.now,
                deployment_id=ids.get("deployment_id"),
                job_id=ids.get("job_id"),
            )
        )

    def deployment(self, scope: Scope, deployment_id: str) -> Deployment:
        found = self.deployments.get(deployment_id)
        if found is None or (found.workspace, found.namespace) != (
            scope.workspace,
            scope.namespace,
        ):
            raise NotFound(
                f"deployment {deployment_id!r} not found", code=ErrorCode.DEPLOYMENT_NOT_FOUND
            )
        return found

    def job(self, scope: Scope, job_id: str) -> Job:
        found = self.jobs.get(job_id)
        if found is None or (found.workspace, found.namespace) != (
            scope.workspace,
            scope.namespace,
        ):
            raise NotFound(f"job {job_id!r} not found", code=ErrorCode.JOB_NOT_FOUND)
        return found

    def live_jobs(self, deployment_id: str) -> list[Job]:
        return [
            job
            for job in self.jobs.values()
            if job.deployment_id == deployment_id and not job.is_terminal
        ]

    def set_job_status(self, job_id: str, status: JobStatus) -> None:
        """What the reconciler would do (a write: the version moves on)."""
        self.jobs[job_id].status = status
        self.jobs[job_id].version += 1


class FakeDeploymentService(DeploymentService):
    def __init__(self, world: FakeWorld, versions: EngineVersions) -> None:
        self._world = world
        self._versions = versions

    def job_counts(self, deployment_ids: Collection[str]) -> dict[str, dict[JobStatus, int]]:
        counts: dict[str, dict[JobStatus, int]] = {}
        for job in self._world.jobs.values():
            if job.deployment_id in deployment_ids:
                per_status = counts.setdefault(job.deployment_id, {})
                per_status[job.status] = per_status.get(job.status, 0) + 1
        return counts

    def create(self, scope: Scope, actor: Actor, patch: DeploymentPatch) -> Deployment:
        self._world.enter(scope)
        if patch.name is None:
            raise InvalidInput("name is required")
        if patch.artifact is None:
            raise InvalidInput("artifact is required")
        now = self._world.tick()
        deployment = patch.apply(
            Deployment(
                id=str(uuid.uuid4()),
                workspace=scope.workspace,
                namespace=scope.namespace,
                name=patch.name,
                artifact=patch.artifact,
                creator=actor.id,
                modifier=actor.id,
                created_at=now,
                modified_at=now,
            )
        )
        self._validate(deployment)
        if any(
            d.name == deployment.name
            and (d.workspace, d.namespace) == (scope.workspace, scope.namespace)
            for d in self._world.deployments.values()
        ):
            raise Conflict(
                f"a deployment named {deployment.name!r} exists",
                code=ErrorCode.DEPLOYMENT_NAME_TAKEN,
            )
        self._world.deployments[deployment.id] = copy.deepcopy(deployment)
        self._world.record(
            scope, EventName.DEPLOYMENT_CREATED, "created", deployment_id=deployment.id
        )
        return deployment

    def get_counted(
        self, scope: Scope, deployment_id: str
    ) -> tuple[Deployment, dict[JobStatus, int]]:
        deployment = self.get(scope, deployment_id)
        return deployment, self.job_counts([deployment.id]).get(deployment.id, {})

    def stamp(self, scope: Scope, deployment_id: str) -> tuple[int, dict[JobStatus, int]]:
        deployment, counts = self.get_counted(scope, deployment_id)
        return deployment.version, counts

    def get(self, scope: Scope, deployment_id: str) -> Deployment:
        self._world.enter(scope)
        return copy.deepcopy(self._world.deployment(scope, deployment_id))

    def get_by_name(self, scope: Scope, name: str) -> Deployment:
        self._world.enter(scope)
        for deployment in self._in(scope):
            if deployment.name == name:
                return copy.deepcopy(deployment)
        raise NotFound(f"deployment named {name!r} not found", code=ErrorCode.DEPLOYMENT_NOT_FOUND)

    def list(
        self,
        scope: Scope,
        page: Page,
        *,
        name: str | None = None,
        labels: dict[str, str] | None = None,
        execution_mode: ExecutionMode | None = None,
    ) -> tuple[list[Deployment], int]:
        self._world.enter(scope)
        matching = [
            copy.deepcopy(d)
            for d in self._in(scope)
            if (name is None or d.name == name)
            and (execution_mode is None or d.execution_mode is execution_mode)
            and all(d.labels.get(k) == v for k, v in (labels or {}).items())
        ]
        return _paged(matching, page)

    def update(
        self, scope: Scope, actor: Actor, deployment_id: str, patch: DeploymentPatch
    ) -> Deployment:
        self._world.enter(scope)
        current = self._world.deployment(scope, deployment_id)
        if patch.expected_version is not None and patch.expected_version != current.version:
            raise Conflict(
                f"deployment is at version {current.version}, not {patch.expected_version}",
                code=ErrorCode.STALE_VERSION,
            )
        updated = patch.apply(copy.deepcopy(current))
        updated.modifier = actor.id
        updated.modified_at = self._world.tick()
        self._validate(updated)
        updated.version += 1
        self._world.deployments[deployment_id] = copy.deepcopy(updated)
        return updated

    def delete(self, scope: Scope, actor: Actor, deployment_id: str) -> Deployment:
        self._world.enter(scope)
        deployment = self._world.deployment(scope, deployment_id)
        if self._world.live_jobs(deployment_id):
            raise Conflict("deployment has a live job", code=ErrorCode.DEPLOYMENT_HAS_LIVE_JOB)
        del self._world.deployments[deployment_id]
        self._world.record(
            scope,
            EventName.DEPLOYMENT_DELETED,
            f"deleted by {actor.name}",
            deployment_id=deployment_id,
        )
        return deployment

    def validate_sql(
        self,
        scope: Scope,
        script: str,
        *,
        execution_mode: ExecutionMode = ExecutionMode.STREAMING,
        variables: dict[str, str] | None = None,
        flink_conf: dict[str, Any] | None = None,
        engine_version: str | None = None,  # noqa: ARG002 (plans on that runtime's cluster)
    ) -> None:
        self._world.enter(scope)
        text = substitute(script, variables or {}, where="sqlScript")
        self._world.validations.append((text, execution_mode, dict(flink_conf or {})))
        _fake_plan(text)

    def _in(self, scope: Scope) -> builtins.list[Deployment]:
        return [
            d
            for d in self._world.deployments.values()
            if (d.workspace, d.namespace) == (scope.workspace, scope.namespace)
        ]

    def _validate(self, deployment: Deployment) -> None:
        deployment.validate()
        self._versions.resolve(deployment.engine_version)
        if deployment.cluster not in (None, "session-1"):
            raise InvalidInput(
                f"unknown session cluster {deployment.cluster!r}", code=ErrorCode.CLUSTER_NOT_FOUND
            )
        if deployment.artifact.sql_script is not None:
            _fake_plan(deployment.artifact.sql_script)


def _fake_plan(script: str) -> None:
    """A 'planner' that rejects the word SELEC (line/column of its first occurrence)."""
    for number, line in enumerate(script.splitlines(), start=1):
        column = line.find("SELEC ")
        if column >= 0:
            raise InvalidSql(
                f'SQL parse failed. Encountered "SELEC" at line {number}, column {column + 1}',
                line=number,
                column=column + 1,
            )


class FakeJobService(JobService):
    def __init__(self, world: FakeWorld) -> None:
        self._world = world

    def start(
        self,
        scope: Scope,
        actor: Actor,
        deployment_id: str,
        *,
        restore: RestoreStrategy | None = None,
        local_variables: dict[str, str] | None = None,
        client_token: str | None = None,
        # Queues are not modelled here (test_native_job_control.py runs the real service).
        queue: str | None = None,  # noqa: ARG002
    ) -> Job:
        restore = restore or RestoreStrategy()
        restore.validate()
        self._world.enter(scope)
        token_key = (scope.workspace, scope.namespace, client_token or "")
        if client_token is not None and token_key in self._world.start_tokens:
            started_deployment, started_job = self._world.start_tokens[token_key]
            if started_deployment != deployment_id:
                raise Conflict(f"client token {client_token!r} was used for another deployment")
            return copy.deepcopy(self._world.jobs[started_job])
        deployment = self._world.deployment(scope, deployment_id)
        live = self._world.live_jobs(deployment_id)
        if live:
            raise JobAlreadyLive(f"deployment already has a live job {live[0].id}")
        if restore.kind is RestoreKind.FROM_SAVEPOINT and (
            restore.savepoint_id not in self._world.savepoints
        ):
            raise NotFound(
                f"savepoint {restore.savepoint_id!r} not found", code=ErrorCode.SAVEPOINT_NOT_FOUND
            )
        now = self._world.tick()
        job = Job(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            deployment_id=deployment.id,
            deployment_name=deployment.name,
            artifact=deployment.artifact,
            execution_mode=deployment.execution_mode,
            engine_version=deployment.engine_version,
            resources=deployment.resources,
            flink_conf={
                "execution.runtime-mode": deployment.execution_mode.value,
                **deployment.flink_conf,
            },
            user_flink_conf=dict(deployment.flink_conf),
            logging=deployment.logging,
            local_variables={**deployment.local_variables, **(local_variables or {})},
            restore=dataclasses.replace(
                restore, job_start_time_ms=restore.job_start_time_ms or int(now.timestamp() * 1000)
            ),
            cluster=deployment.cluster or "default",
            creator=actor.id,
            modifier=actor.id,
            created_at=now,
            modified_at=now,
        )
        self._world.jobs[job.id] = copy.deepcopy(job)
        if client_token is not None:
            self._world.start_tokens[token_key] = (deployment.id, job.id)
        self._world.record(
            scope,
            EventName.JOB_START_REQUESTED,
            "start",
            deployment_id=deployment.id,
            job_id=job.id,
        )
        return job

    def stop(self, scope: Scope, actor: Actor, job_id: str, strategy: StopStrategy) -> Job:
        self._world.enter(scope)
        job = self._world.job(scope, job_id)
        try:
            job.request_stop(strategy)
        except InvalidTransition as exc:
            raise InvalidTransition(str(exc), code=ErrorCode.JOB_NOT_STOPPABLE) from exc
        job.modifier = actor.id
        job.modified_at = self._world.tick()
        job.version += 1  # as the store does on every write
        return copy.deepcopy(job)

    def get(self, scope: Scope, job_id: str) -> Job:
        self._world.enter(scope)
        return copy.deepcopy(self._world.job(scope, job_id))

    def list(
        self, scope: Scope, deployment_id: str, page: Page, *, newest_first: bool = True
    ) -> tuple[list[Job], int]:
        self._world.enter(scope)
        self._world.deployment(scope, deployment_id)
        jobs = sorted(
            (j for j in self._world.jobs.values() if j.deployment_id == deployment_id),
            key=_created,
            reverse=newest_first,
        )
        return _paged(copy.deepcopy(jobs), page)

    def key(self, scope: Scope, job_id: str) -> tuple[str, int]:
        return job_id, self.get(scope, job_id).version

    def list_keys(
        self, scope: Scope, deployment_id: str, page: Page, *, newest_first: bool = True
    ) -> tuple[Sequence[tuple[str, int]], int]:
        jobs, total = self.list(scope, deployment_id, page, newest_first=newest_first)
        return [(job.id, job.version) for job in jobs], total

    def get_many(self, scope: Scope, job_ids: Collection[str]) -> dict[str, Job]:
        self._world.enter(scope)
        return {
            job.id: copy.deepcopy(job)
            for job in self._world.jobs.values()
            if job.id in job_ids
            and (job.workspace, job.namespace) == (scope.workspace, scope.namespace)
        }

    def delete(self, scope: Scope, actor: Actor, job_id: str) -> Job:
        self._world.enter(scope)
        job = self._world.job(scope, job_id)
        if not job.is_terminal:
            raise InvalidTransition(
                f"job {job_id} is {job.status.value}; only a terminal job can be deleted",
                code=ErrorCode.JOB_NOT_TERMINAL,
            )
        del self._world.jobs[job_id]
        self._world.record(
            scope,
            EventName.JOB_DELETED,
            f"deleted by {actor.name}",
            deployment_id=job.deployment_id,
        )
        return job


def _created(item: Job | Savepoint) -> datetime:
    return item.created_at or datetime.min.replace(tzinfo=UTC)


class FakeSavepointService(SavepointService):
    def __init__(self, world: FakeWorld) -> None:
        self._world = world

    def create(
        self,
        scope: Scope,
        actor: Actor,
        deployment_id: str,
        *,
        description: str | None = None,
        native_format: bool = False,
        origin: SavepointOrigin = SavepointOrigin.USER_REQUEST,
    ) -> Savepoint:
        self._world.enter(scope)
        self._world.deployment(scope, deployment_id)
        running = [j for j in self._world.live_jobs(deployment_id) if j.status is JobStatus.RUNNING]
        if not running:
            raise Conflict("no RUNNING job to take a savepoint of", code=ErrorCode.JOB_NOT_RUNNING)
        now = self._world.tick()
        savepoint = Savepoint(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            deployment_id=deployment_id,
            job_id=running[0].id,
            origin=origin,
            description=description,
            native_format=native_format,
            created_at=now,
            modified_at=now,
        )
        self._world.savepoints[savepoint.id] = copy.deepcopy(savepoint)
        self._world.record(
            scope, EventName.SAVEPOINT_REQUESTED, f"by {actor.name}", deployment_id=deployment_id
        )
        return savepoint

    def get(self, scope: Scope, savepoint_id: str) -> Savepoint:
        self._world.enter(scope)
        return copy.deepcopy(self._find(scope, savepoint_id))

    def list(
        self,
        scope: Scope,
        page: Page,
        *,
        deployment_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[list[Savepoint], int]:
        self._world.enter(scope)
        matching = sorted(
            (
                s
                for s in self._world.savepoints.values()
                if (s.workspace, s.namespace) == (scope.workspace, scope.namespace)
                and (deployment_id is None or s.deployment_id == deployment_id)
                and (job_id is None or s.job_id == job_id)
            ),
            key=_created,
            reverse=True,
        )
        return _paged(copy.deepcopy(matching), page)

    def delete(self, scope: Scope, actor: Actor, savepoint_id: str) -> Savepoint:
        self._world.enter(scope)
        savepoint = self._find(scope, savepoint_id)
        if savepoint.state is SavepointState.STARTED:
            raise Conflict("savepoint is still being taken", code=ErrorCode.SAVEPOINT_IN_PROGRESS)
        del self._world.savepoints[savepoint_id]
        self._world.record(
            scope,
            EventName.SAVEPOINT_DELETED,
            f"deleted by {actor.name}",
            deployment_id=savepoint.deployment_id,
        )
        return savepoint

    def _find(self, scope: Scope, savepoint_id: str) -> Savepoint:
        found = self._world.savepoints.get(savepoint_id)
        if found is None or (found.workspace, found.namespace) != (
            scope.workspace,
            scope.namespace,
        ):
            raise NotFound(
                f"savepoint {savepoint_id!r} not found", code=ErrorCode.SAVEPOINT_NOT_FOUND
            )
        return found


class FakeEventService(EventService):
    def __init__(self, world: FakeWorld) -> None:
        self._world = world

    def list(
        self,
        scope: Scope,
        page: Page,
        *,
        deployment_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[list[Event], int]:
        self._world.enter(scope)
        matching = [
            e
            for e in reversed(self._world.events)
            if (e.workspace, e.namespace) == (scope.workspace, scope.namespace)
            and (deployment_id is None or e.deployment_id == deployment_id)
            and (job_id is None or e.job_id == job_id)
        ]
        return _paged(matching, page)


def fake_services(world: FakeWorld, *, default_workspace: str = "default") -> Services:
    versions = EngineVersions(installed=["flink-1.20"], aliases=DEFAULT_ALIASES)
    return Services(
        deployments=FakeDeploymentService(world, versions),
        jobs=FakeJobService(world),
        savepoints=FakeSavepointService(world),
        events=FakeEventService(world),
        versions=versions,
        default_workspace=default_workspace,
    )
