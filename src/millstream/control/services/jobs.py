"""Job use cases: start (StartJobWithParams), stop, read, list, delete.

Start and stop only write desired state and an event in one transaction, then wake the
reconciler; nothing here talks to Flink except SQL validation of the resolved script.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from millstream.control.context import Actor, Scope
from millstream.control.flinkconf import effective_flink_conf
from millstream.control.notifier import Notifier
from millstream.control.ports import Engine, Page, Repositories, Store
from millstream.control.services.common import (
    planning_cluster,
    record_event,
    require_namespace,
    resolve_cluster,
    retry_on_stale,
)
from millstream.control.services.deployments import DeploymentService
from millstream.control.services.variables import NamespaceVariables, ResolvedVariables
from millstream.control.variables import (
    find_variables,
    merge_variables,
    substitute,
    substitute_conf,
    substitute_known,
)
from millstream.domain.artifacts import ArtifactKind
from millstream.domain.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    JobAlreadyLive,
    NotFound,
)
from millstream.domain.events import EventName
from millstream.domain.jobs import Job, RestoreKind, RestoreStrategy, StopStrategy
from millstream.domain.savepoints import SavepointState

__all__ = ["JobService"]


class JobService:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        notifier: Notifier,
        *,
        checkpoint_interval: str = "10s",
        variables: NamespaceVariables | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._variables = variables
        self._engine = engine
        self._notifier = notifier
        self._checkpoint_interval = checkpoint_interval
        self._clock = clock

    def start(
        self,
        scope: Scope,
        actor: Actor,
        deployment_id: str,
        *,
        restore: RestoreStrategy | None = None,
        local_variables: dict[str, str] | None = None,
    ) -> Job:
        restore = restore or RestoreStrategy()
        restore.validate()
        now = self._clock()
        namespace_variables = (
            self._variables.resolve(scope) if self._variables is not None else ResolvedVariables()
        )
        with self._store.transaction() as repos:
            deployment = DeploymentService.read(repos, scope, deployment_id)
            live = repos.read_active_jobs(deployment_id=deployment_id)
            if live:
                raise JobAlreadyLive(
                    f"deployment {deployment.name!r} already has a live job {live[0].id} "
                    f"({live[0].status.value}); stop it first"
                )
            if restore.kind is RestoreKind.FROM_SAVEPOINT:
                self._check_savepoint(repos, scope, deployment_id, restore.savepoint_id or "")
            cluster = resolve_cluster(repos, scope, deployment.cluster)
            variables = merge_variables(
                namespace_variables.values, deployment.local_variables, local_variables
            )
            artifact = deployment.artifact
            if artifact.kind is ArtifactKind.SQLSCRIPT:
                script = artifact.sql_script or ""
                resolved = substitute(script, variables, where="sqlScript")
                if resolved != script:  # not validated at create time: plan it now
                    self._engine.cluster(planning_cluster(repos, scope, cluster)).validate_sql(
                        resolved,
                        execution_mode=deployment.execution_mode,
                        flink_conf=dict(deployment.flink_conf),
                    )
            if artifact.main_args:
                substitute(artifact.main_args, variables, where="mainArgs")
            effective = effective_flink_conf(
                deployment,
                checkpoint_dir=self._engine.checkpoint_directory(deployment_id=deployment.id),
                savepoint_dir=self._engine.savepoint_directory(deployment_id=deployment.id),
                checkpoint_interval=self._checkpoint_interval,
            )
            substitute_conf(effective, variables)  # every reference must resolve, now
            stored = _storable_variables(
                namespace_variables,
                {**deployment.local_variables, **(local_variables or {})},
                _references(artifact.sql_script, artifact.main_args, effective),
            )
            # Encrypted values stay out of the stored job: the reconciler substitutes
            # them from the namespace at submission.
            conf = {
                key: substitute_known(value, stored) if isinstance(value, str) else value
                for key, value in effective.items()
            }
            job = Job(
                id=str(uuid.uuid4()),
                workspace=scope.workspace,
                namespace=scope.namespace,
                deployment_id=deployment.id,
                deployment_name=deployment.name,
                artifact=artifact,
                execution_mode=deployment.execution_mode,
                engine_version=deployment.engine_version,
                resources=deployment.resources,
                flink_conf=conf,
                user_flink_conf=dict(deployment.flink_conf),
                logging=deployment.logging,
                local_variables=stored,
                restore=RestoreStrategy(
                    kind=restore.kind,
                    savepoint_id=restore.savepoint_id,
                    allow_non_restored_state=restore.allow_non_restored_state,
                    job_start_time_ms=restore.job_start_time_ms or int(now.timestamp() * 1000),
                ),
                cluster=cluster.name,
                creator=actor.id,
                modifier=actor.id,
                created_at=now,
                modified_at=now,
            )
            try:
                repos.create_job(job=job)
            except Conflict as exc:  # the store's one-live-job-per-deployment guard
                raise JobAlreadyLive(
                    f"deployment {deployment.name!r} already has a live job; stop it first"
                ) from exc
            record_event(
                repos,
                job,
                EventName.JOB_START_REQUESTED,
                f"start requested by {actor.name} (restore {restore.kind.value})",
                now=now,
            )
        self._notifier.wake()
        return job

    def stop(self, scope: Scope, actor: Actor, job_id: str, strategy: StopStrategy) -> Job:
        # The reconciler updates a live job's observed fields all the time; the user did not
        # ask for a version, so a concurrent observation must not fail the stop.
        job = retry_on_stale(lambda: self._request_stop(scope, actor, job_id, strategy))
        self._notifier.wake()
        return job

    def _request_stop(self, scope: Scope, actor: Actor, job_id: str, strategy: StopStrategy) -> Job:
        with self._store.transaction() as repos:
            job = self.read(repos, scope, job_id)
            try:
                job.request_stop(strategy)
            except InvalidTransition as exc:
                raise InvalidTransition(str(exc), code="JobNotStoppable") from exc
            job.modifier = actor.id
            job.modified_at = self._clock()
            repos.update_job(job=job)
            record_event(
                repos,
                job,
                EventName.JOB_STOP_REQUESTED,
                f"stop ({strategy.value}) requested by {actor.name}",
                now=job.modified_at,
            )
        return job

    def get(self, scope: Scope, job_id: str) -> Job:
        with self._store.transaction() as repos:
            return self.read(repos, scope, job_id)

    def list(
        self, scope: Scope, deployment_id: str, page: Page, *, newest_first: bool = True
    ) -> tuple[list[Job], int]:
        with self._store.transaction() as repos:
            DeploymentService.read(repos, scope, deployment_id)
            return repos.read_jobs(
                workspace=scope.workspace,
                namespace=scope.namespace,
                deployment_id=deployment_id,
                page=page,
                newest_first=newest_first,
            )

    def delete(self, scope: Scope, actor: Actor, job_id: str) -> Job:
        with self._store.transaction() as repos:
            job = self.read(repos, scope, job_id)
            if not job.is_terminal:
                raise InvalidTransition(
                    f"job {job_id} is {job.status.value}; only a CANCELLED, FAILED or "
                    "FINISHED job can be deleted",
                    code="JobNotTerminal",
                )
            repos.delete_job(job_id=job_id)
            record_event(
                repos, job, EventName.JOB_DELETED, f"job deleted by {actor.name}", now=self._clock()
            )
        return job

    @staticmethod
    def read(repos: Repositories, scope: Scope, job_id: str) -> Job:
        require_namespace(repos, scope)
        job = repos.read_job(job_id=job_id)
        if job is None or (job.workspace, job.namespace) != (scope.workspace, scope.namespace):
            raise NotFound(
                f"job {job_id!r} not found in namespace {scope.namespace!r}", code="JobNotFound"
            )
        return job

    @staticmethod
    def _check_savepoint(
        repos: Repositories, scope: Scope, deployment_id: str, savepoint_id: str
    ) -> None:
        savepoint = repos.read_savepoint(savepoint_id=savepoint_id)
        if savepoint is None or (savepoint.workspace, savepoint.namespace) != (
            scope.workspace,
            scope.namespace,
        ):
            raise NotFound(f"savepoint {savepoint_id!r} not found", code="SavepointNotFound")
        if savepoint.deployment_id != deployment_id:
            raise InvalidInput(
                f"savepoint {savepoint_id} belongs to deployment {savepoint.deployment_id}, "
                f"not {deployment_id}: a job restores only from its own deployment's state",
                code="SavepointOfOtherDeployment",
            )
        if savepoint.state is not SavepointState.COMPLETED or not savepoint.location:
            raise InvalidInput(
                f"savepoint {savepoint_id} is {savepoint.state.value}; only a COMPLETED "
                "savepoint can be restored",
                code="SavepointNotCompleted",
            )


def _references(sql_script: str | None, main_args: str | None, conf: dict[str, Any]) -> set[str]:
    texts = [sql_script or "", main_args or ""]
    texts.extend(value for value in conf.values() if isinstance(value, str))
    return set().union(*(find_variables(text) for text in texts))


def _storable_variables(
    namespace: ResolvedVariables, local: dict[str, str], referenced: set[str]
) -> dict[str, str]:
    """What the job keeps as its ``localVariables``: the caller's and the deployment's,
    plus the Plain namespace variables it uses (a resubmission sees the values of the
    start). Encrypted values are never stored with the job."""
    public = namespace.public()
    used = {name: public[name] for name in sorted(referenced) if name in public}
    return {**used, **local}
