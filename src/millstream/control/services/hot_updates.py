"""Hot update use cases: HotUpdateJob (request) and GetHotUpdateJobResult (read).

A request checks the job is RUNNING, works out the change, writes it to the deployment
(``DeploymentService.update``, so an invalid setting is refused right here) and records
the operation in phase REQUESTED. ``control.hot_updates.HotUpdateCoordinator`` then stops
the job with a savepoint and starts the new one from it. Nothing here talks to Flink.

The store port ``HotUpdateStore`` is implemented by ``store.hot_updates``.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Protocol

from millstream.control.context import Actor, Scope
from millstream.control.notifier import Notifier
from millstream.control.services.deployments import DeploymentPatch, DeploymentService
from millstream.control.services.jobs import JobService
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, InvalidTransition, NotFound
from millstream.domain.hot_updates import HotUpdate, HotUpdateChange, changed_settings
from millstream.domain.jobs import DesiredState, JobStatus

__all__ = ["HotUpdateRepositories", "HotUpdateService", "HotUpdateStore"]


class HotUpdateRepositories(Protocol):
    def read_hot_update(self, *, hot_update_id: str) -> HotUpdate | None: ...
    def read_active_hot_updates(self, *, job_id: str | None = None) -> list[HotUpdate]:
        """Hot updates not DONE or FAILED (oldest first), optionally of one job."""
        ...

    def create_hot_update(self, *, hot_update: HotUpdate) -> None: ...
    def update_hot_update(self, *, hot_update: HotUpdate) -> None: ...


class HotUpdateStore(Protocol):
    def transaction(self) -> AbstractContextManager[HotUpdateRepositories]: ...


class HotUpdateService:
    def __init__(
        self,
        store: HotUpdateStore,
        jobs: JobService,
        deployments: DeploymentService,
        notifier: Notifier,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._jobs = jobs
        self._deployments = deployments
        self._notifier = notifier
        self._clock = clock

    def request(
        self,
        scope: Scope,
        actor: Actor,
        job_id: str,
        change: HotUpdateChange | None = None,
        *,
        request_id: str | None = None,
    ) -> HotUpdate:
        """Start a hot update of a RUNNING job. Without a change, the deployment's current
        parallelism and flinkConf are applied to the job (what the SDK, which sends no
        parameters, can ask for)."""
        change = change or HotUpdateChange()
        change.validate()
        job = self._jobs.get(scope, job_id)
        if job.status is not JobStatus.RUNNING or job.desired is not DesiredState.RUNNING:
            raise InvalidTransition(
                f"job {job_id} is {job.status.value}"
                f"{' and being stopped' if job.desired is DesiredState.STOPPED else ''}; "
                "only a RUNNING job can be hot-updated",
                code=ErrorCode.JOB_NOT_RUNNING,
            )
        with self._store.transaction() as repos:
            active = repos.read_active_hot_updates(job_id=job_id)
        if active:
            raise Conflict(
                f"job {job_id} already has a hot update in progress ({active[0].id}); "
                "wait for its result before asking for another",
                code=ErrorCode.HOT_UPDATE_IN_PROGRESS,
            )
        deployment = self._deployments.get(scope, job.deployment_id)
        current = deployment.resources
        target_parallelism = change.parallelism or current.parallelism
        target_conf = change.merged_conf(deployment.flink_conf)
        effective = changed_settings(
            job_parallelism=job.resources.parallelism,
            job_conf=job.user_flink_conf,
            target_parallelism=target_parallelism,
            target_conf=target_conf,
        )
        if effective.is_empty:
            raise InvalidInput(
                f"job {job_id} already runs with parallelism {job.resources.parallelism} and "
                "the deployment's Flink configuration: ask for a new parallelism or new "
                "configuration entries, or update the deployment first",
                code=ErrorCode.HOT_UPDATE_NO_CHANGE,
            )
        if target_parallelism != current.parallelism or target_conf != deployment.flink_conf:
            resources = dataclasses.replace(current, parallelism=target_parallelism)
            batch = deployment.execution_mode is ExecutionMode.BATCH
            self._deployments.update(
                scope,
                actor,
                deployment.id,
                DeploymentPatch(
                    flink_conf=target_conf,
                    streaming_resource=None if batch else resources,
                    batch_resource=resources if batch else None,
                ),
            )
        now = self._clock()
        hot_update = HotUpdate(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            deployment_id=job.deployment_id,
            job_id=job.id,
            change=effective,
            target_parallelism=target_parallelism,
            target_flink_conf=target_conf,
            request_id=request_id,
            creator=actor.id,
            created_at=now,
            modified_at=now,
        )
        with self._store.transaction() as repos:
            if repos.read_active_hot_updates(job_id=job_id):  # a concurrent request won
                raise Conflict(
                    f"job {job_id} already has a hot update in progress",
                    code=ErrorCode.HOT_UPDATE_IN_PROGRESS,
                )
            repos.create_hot_update(hot_update=hot_update)
        self._notifier.wake()
        return hot_update

    def get(self, scope: Scope, hot_update_id: str) -> HotUpdate:
        with self._store.transaction() as repos:
            found = repos.read_hot_update(hot_update_id=hot_update_id)
        if found is None or (found.workspace, found.namespace) != (
            scope.workspace,
            scope.namespace,
        ):
            raise NotFound(
                f"hot update {hot_update_id!r} not found in namespace {scope.namespace!r}",
                code=ErrorCode.HOT_UPDATE_NOT_FOUND,
            )
        return found
