"""Savepoint use cases: take one of a running job, read, list, delete (files too)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.context import Actor, Scope
from millstream.control.notifier import Notifier
from millstream.control.ports import Engine, Page, Repositories, Store
from millstream.control.services.common import record_event, require_namespace
from millstream.control.services.deployments import DeploymentService
from millstream.domain.errors import Conflict, ErrorCode, NotFound
from millstream.domain.events import Event, EventName
from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState

__all__ = ["SavepointService"]


class SavepointService:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        notifier: Notifier,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._engine = engine
        self._notifier = notifier
        self._clock = clock

    def create(
        self,
        scope: Scope,
        actor: Actor,
        deployment_id: str,
        *,
        description: str | None = None,
        native_format: bool = False,
    ) -> Savepoint:
        now = self._clock()
        with self._store.transaction() as repos:
            deployment = DeploymentService.read(repos, scope, deployment_id)
            running = [
                job
                for job in repos.read_active_jobs(deployment_id=deployment_id)
                if job.status is JobStatus.RUNNING and job.desired is DesiredState.RUNNING
            ]
            if not running:
                raise Conflict(
                    f"deployment {deployment.name!r} has no RUNNING job to take a savepoint of",
                    code=ErrorCode.JOB_NOT_RUNNING,
                )
            job = running[0]
            savepoint = Savepoint(
                id=str(uuid.uuid4()),
                workspace=scope.workspace,
                namespace=scope.namespace,
                deployment_id=deployment_id,
                job_id=job.id,
                origin=SavepointOrigin.USER_REQUEST,
                description=description,
                native_format=native_format,
                created_at=now,
                modified_at=now,
            )
            repos.create_savepoint(savepoint=savepoint)
            record_event(
                repos,
                job,
                EventName.SAVEPOINT_REQUESTED,
                f"savepoint {savepoint.id} requested by {actor.name}",
                now=now,
            )
        self._notifier.wake()
        return savepoint

    def get(self, scope: Scope, savepoint_id: str) -> Savepoint:
        with self._store.transaction() as repos:
            return self.read(repos, scope, savepoint_id)

    def list(
        self,
        scope: Scope,
        page: Page,
        *,
        deployment_id: str | None = None,
        job_id: str | None = None,
    ) -> tuple[list[Savepoint], int]:
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            return repos.read_savepoints(
                workspace=scope.workspace,
                namespace=scope.namespace,
                page=page,
                deployment_id=deployment_id,
                job_id=job_id,
            )

    def delete(self, scope: Scope, actor: Actor, savepoint_id: str) -> Savepoint:
        with self._store.transaction() as repos:
            savepoint = self.read(repos, scope, savepoint_id)
            if savepoint.state is SavepointState.STARTED:
                raise Conflict(
                    f"savepoint {savepoint_id} is still being taken; delete it once it "
                    "completed or failed",
                    code=ErrorCode.SAVEPOINT_IN_PROGRESS,
                )
            for job in repos.read_active_jobs(deployment_id=savepoint.deployment_id):
                if savepoint.location and job.restored_from == savepoint.location:
                    raise Conflict(
                        f"savepoint {savepoint_id} is the state live job {job.id} restored "
                        "from; stop the job before deleting it",
                        code=ErrorCode.SAVEPOINT_IN_USE,
                    )
            repos.delete_savepoint(savepoint_id=savepoint_id)
            repos.create_event(
                event=_deleted_event(savepoint, actor, self._clock()),
            )
        if savepoint.location:
            self._engine.delete_state(savepoint.location)
        return savepoint

    @staticmethod
    def read(repos: Repositories, scope: Scope, savepoint_id: str) -> Savepoint:
        require_namespace(repos, scope)
        found = repos.read_savepoint(savepoint_id=savepoint_id)
        if found is None or (found.workspace, found.namespace) != (
            scope.workspace,
            scope.namespace,
        ):
            raise NotFound(
                f"savepoint {savepoint_id!r} not found in namespace {scope.namespace!r}",
                code=ErrorCode.SAVEPOINT_NOT_FOUND,
            )
        return found


def _deleted_event(savepoint: Savepoint, actor: Actor, now: datetime) -> Event:
    return Event(
        id=str(uuid.uuid4()),
        workspace=savepoint.workspace,
        namespace=savepoint.namespace,
        name=EventName.SAVEPOINT_DELETED,
        message=f"savepoint {savepoint.id} deleted by {actor.name}",
        created_at=now,
        deployment_id=savepoint.deployment_id,
        job_id=savepoint.job_id,
    )
