"""Savepoint use cases: take one of a running job, import one a user names, read, list,
delete (files too).

``import_savepoint`` has the engine (the ``SavepointImporter`` port, when the engine has
it) check and copy the user's savepoint into the deployment's savepoint directory,
outside any transaction, then records the copy as a COMPLETED savepoint of the
deployment (origin ``USER_REQUEST``, no job): the newest, so the next start with the
latest-savepoint restore strategy restores from it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.context import Actor, Scope
from millstream.control.notifier import Notifier
from millstream.control.ports import Engine, Page, Repositories, Store
from millstream.control.savepoint_ports import SavepointImporter
from millstream.control.services.common import record_event, require_namespace
from millstream.control.services.deployments import DeploymentService
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
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
        importer: SavepointImporter | None = None,
    ) -> None:
        self._store = store
        self._engine = engine
        self._notifier = notifier
        self._clock = clock
        # The engine copies imported savepoints when it can (``FlinkEngine`` does).
        if importer is None and isinstance(engine, SavepointImporter):
            importer = engine
        self._importer = importer

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
        """Request a savepoint of the deployment's RUNNING job (the periodic scheduler
        passes ``origin=SCHEDULE``)."""
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
                origin=origin,
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

    def import_savepoint(
        self, scope: Scope, actor: Actor, deployment_id: str, location: str
    ) -> Savepoint:
        """Copy the savepoint at ``location`` (checked by the engine: the namespace's
        artifact store or its deployments' savepoint directories) and record the copy as
        the deployment's newest savepoint."""
        if self._importer is None:
            raise InvalidInput("this installation's engine cannot import savepoints")
        with self._store.transaction() as repos:
            DeploymentService.read(repos, scope, deployment_id)

        def owns(candidate: str) -> bool:
            with self._store.transaction() as repos:
                return (
                    repos.read_deployment(
                        workspace=scope.workspace,
                        namespace=scope.namespace,
                        deployment_id=candidate,
                    )
                    is not None
                )

        copied = self._importer.import_savepoint(
            location,
            workspace=scope.workspace,
            namespace=scope.namespace,
            owns_deployment=owns,
            target_directory=self._engine.savepoint_directory(deployment_id=deployment_id),
        )
        now = self._clock()
        savepoint = Savepoint(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            deployment_id=deployment_id,
            job_id=None,
            origin=SavepointOrigin.USER_REQUEST,
            state=SavepointState.COMPLETED,
            location=copied,
            description=f"imported from {location}",
            created_at=now,
            modified_at=now,
        )
        try:
            with self._store.transaction() as repos:
                DeploymentService.read(repos, scope, deployment_id)  # not deleted meanwhile
                repos.create_savepoint(savepoint=savepoint)
                repos.create_event(
                    event=Event(
                        id=str(uuid.uuid4()),
                        workspace=scope.workspace,
                        namespace=scope.namespace,
                        name=EventName.SAVEPOINT_COMPLETED,
                        message=f"savepoint {savepoint.id} imported from {location} by "
                        f"{actor.name}",
                        created_at=now,
                        deployment_id=deployment_id,
                    )
                )
        except BaseException:
            self._engine.delete_state(copied)  # nothing refers to the copy
            raise
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
