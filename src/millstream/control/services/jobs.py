"""Job use cases: start (StartJobWithParams), stop, suspend, resume, read, list, delete.

Start, stop, suspend and resume only write desired state and an event in one transaction,
then wake the reconciler; nothing here talks to Flink except SQL validation of the resolved script.
A start may carry a client token: the token is stored with the job, in the job's
transaction, and a later start with the same token (a client's retry, even after a
control-plane crash) returns that job instead of creating another; tokens are kept for
``start_token_ttl`` (24 h by default), then purged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from millstream.control.context import Actor, Scope
from millstream.control.flinkconf import effective_flink_conf
from millstream.control.notifier import Notifier
from millstream.control.ports import Engine, Page, Repositories, StartToken, Store
from millstream.control.services.common import (
    missing_in_namespace,
    planning_cluster,
    record_event,
    retry_on_stale,
)
from millstream.control.services.deployments import DeploymentService
from millstream.control.services.queues import (
    check_cluster_slots,
    check_queue_fits,
    cluster_slots,
    place_job,
)
from millstream.control.services.variables import NamespaceVariables, ResolvedVariables
from millstream.control.variables import (
    find_variables,
    merge_variables,
    secrets_masked,
    substitute,
    substitute_conf,
    substitute_known,
)
from millstream.domain.artifacts import ArtifactKind
from millstream.domain.clusters import SLOTS_KEY
from millstream.domain.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    InvalidTransition,
    JobAlreadyLive,
    NotFound,
)
from millstream.domain.events import EventName
from millstream.domain.jobs import Job, RestoreKind, RestoreStrategy, StopStrategy
from millstream.domain.queues import job_cost
from millstream.domain.savepoints import SavepointState
from millstream.domain.sql_libraries import SqlLibraries

__all__ = ["MAX_CLIENT_TOKEN_LENGTH", "START_TOKEN_TTL", "JobService"]

START_TOKEN_TTL = timedelta(hours=24)
MAX_CLIENT_TOKEN_LENGTH = 128


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
        start_token_ttl: timedelta = START_TOKEN_TTL,
        embedded_slots: int | None = None,
        default_slots: int = 1,
        catalog: Callable[[Scope], Sequence[str]] | None = None,
        sql_libraries: Callable[[Scope, str], SqlLibraries] | None = None,
    ) -> None:
        # The functions and connectors a script uses (UdfService), planned with it.
        self._sql_libraries = sql_libraries
        # The namespace's SQL catalog DDL, run before a script planned here (as in
        # DeploymentService).
        self._catalog = catalog
        # Task slots of the embedded cluster (None: unknown, not checked) and the slots
        # per TaskManager of session clusters: a job needing more is refused at start.
        self._embedded_slots = embedded_slots
        self._default_slots = default_slots
        self._store = store
        self._variables = variables
        self._engine = engine
        self._notifier = notifier
        self._checkpoint_interval = checkpoint_interval
        self._clock = clock
        self._start_token_ttl = start_token_ttl

    def start(
        self,
        scope: Scope,
        actor: Actor,
        deployment_id: str,
        *,
        restore: RestoreStrategy | None = None,
        local_variables: dict[str, str] | None = None,
        client_token: str | None = None,
        queue: str | None = None,
    ) -> Job:
        """Create the deployment's next job (desired RUNNING). With ``client_token``, a
        start that repeats an earlier one returns the job that one created; ``queue``
        admits this job through that queue instead of the deployment's."""
        if client_token is None:
            return self._start(scope, actor, deployment_id, restore, local_variables, None, queue)
        _check_client_token(client_token)
        try:
            return self._start(
                scope, actor, deployment_id, restore, local_variables, client_token, queue
            )
        except Conflict:
            # A concurrent start with the same token committed first (its job tripped
            # the live-job guard, or its token the token's key): answer with its job.
            with self._store.transaction() as repos:
                earlier = self._started_with(repos, scope, deployment_id, client_token)
            if earlier is None:
                raise
            return earlier

    def purge_start_tokens(self) -> int:
        """Forget client tokens older than the retention period (housekeeping)."""
        with self._store.transaction() as repos:
            return repos.delete_start_tokens(created_before=self._clock() - self._start_token_ttl)

    def _start(
        self,
        scope: Scope,
        actor: Actor,
        deployment_id: str,
        restore: RestoreStrategy | None,
        local_variables: dict[str, str] | None,
        client_token: str | None,
        queue_override: str | None,
    ) -> Job:
        restore = restore or RestoreStrategy()
        restore.validate()
        now = self._clock()
        namespace_variables = (
            self._variables.resolve(scope) if self._variables is not None else ResolvedVariables()
        )
        with self._store.transaction() as repos:
            if client_token is not None:
                earlier = self._started_with(repos, scope, deployment_id, client_token)
                if earlier is not None:
                    return earlier
            deployment = DeploymentService.read(repos, scope, deployment_id)
            live = repos.read_active_jobs(deployment_id=deployment_id)
            if live:
                raise JobAlreadyLive(
                    f"deployment {deployment.name!r} already has a live job {live[0].id} "
                    f"({live[0].status.value}); stop it first"
                )
            if restore.kind is RestoreKind.FROM_SAVEPOINT:
                self._check_savepoint(repos, scope, deployment_id, restore.savepoint_id or "")
            # An override is checked like the deployment's own queue: it must exist, allow
            # the namespace and cap the deployment's cluster.
            cluster, queue = place_job(
                repos,
                scope,
                queue_name=queue_override if queue_override is not None else deployment.queue,
                cluster_name=deployment.cluster,
            )
            check_cluster_slots(
                cluster,
                deployment.resources.effective_parallelism(),
                cluster_slots(
                    cluster, embedded_slots=self._embedded_slots, default_slots=self._default_slots
                ),
            )
            variables = merge_variables(
                namespace_variables.values, deployment.local_variables, local_variables
            )
            artifact = deployment.artifact
            if artifact.kind is ArtifactKind.SQLSCRIPT:
                script = artifact.sql_script or ""
                resolved = substitute(script, variables, where="the SQL script")
                if resolved != script:  # not validated at create time: plan it now
                    planner = self._engine.cluster(planning_cluster(repos, scope, cluster))
                    with secrets_masked(namespace_variables.secret_values()):
                        preamble = list(self._catalog(scope)) if self._catalog else []
                        libraries = (
                            self._sql_libraries(scope, resolved)
                            if self._sql_libraries is not None
                            else SqlLibraries()
                        )
                        preamble = [*libraries.statements, *preamble]
                        planner.validate_sql(
                            resolved,
                            execution_mode=deployment.execution_mode,
                            flink_conf=dict(deployment.flink_conf),
                            **({"sql_preamble": preamble} if preamble else {}),
                            **({"sql_jars": list(libraries.jars)} if libraries.jars else {}),
                        )
            if artifact.main_args:
                substitute(artifact.main_args, variables, where="the main arguments")
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
            cost = job_cost(
                deployment.resources, slots_per_taskmanager=_slots_per_taskmanager(conf)
            )
            if queue is not None:
                check_queue_fits(queue, cost)
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
                restart_policy=deployment.restart_policy,
                creator=actor.id,
                modifier=actor.id,
                created_at=now,
                modified_at=now,
                queue=queue.name if queue is not None else None,
                priority=deployment.priority,
                schedule_timeout_seconds=deployment.schedule_timeout_seconds,
                cost_cu=cost,
                enqueued_at=now if queue is not None else None,
            )
            try:
                repos.create_job(job=job)
            except Conflict as exc:  # the store's one-live-job-per-deployment guard
                raise JobAlreadyLive(
                    f"deployment {deployment.name!r} already has a live job; stop it first"
                ) from exc
            if client_token is not None:
                # Same transaction as the job: a crash keeps both or neither.
                repos.delete_start_tokens(created_before=now - self._start_token_ttl)
                repos.create_start_token(
                    start_token=StartToken(
                        workspace=scope.workspace,
                        namespace=scope.namespace,
                        token=client_token,
                        deployment_id=deployment.id,
                        job_id=job.id,
                        created_at=now,
                    )
                )
            record_event(
                repos,
                job,
                EventName.JOB_START_REQUESTED,
                f"start requested by {actor.name} (restore {restore.kind.value})"
                + (
                    f", {cost:g} CU in queue {queue.name} (priority {job.priority})"
                    if queue is not None
                    else ""
                ),
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
                raise InvalidTransition(str(exc), code=ErrorCode.JOB_NOT_STOPPABLE) from exc
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

    def suspend(self, scope: Scope, actor: Actor, job_id: str) -> Job:
        """Stop a RUNNING job with a savepoint and keep it SUSPENDED, to resume it later."""
        job = retry_on_stale(
            lambda: self._request(
                scope,
                actor,
                job_id,
                Job.request_suspend,
                EventName.JOB_SUSPEND_REQUESTED,
                f"suspend requested by {actor.name}",
            )
        )
        self._notifier.wake()
        return job

    def resume(self, scope: Scope, actor: Actor, job_id: str) -> Job:
        """Run a SUSPENDED job again (same job, next attempt) from its suspend savepoint."""
        job = retry_on_stale(
            lambda: self._request(
                scope,
                actor,
                job_id,
                Job.request_resume,
                EventName.JOB_RESUME_REQUESTED,
                f"resume requested by {actor.name}",
            )
        )
        self._notifier.wake()
        return job

    def _request(
        self,
        scope: Scope,
        actor: Actor,
        job_id: str,
        wish: Callable[[Job], None],
        name: EventName,
        message: str,
    ) -> Job:
        """Write one change of desired state and its event; the reconciler acts."""
        with self._store.transaction() as repos:
            job = self.read(repos, scope, job_id)
            wish(job)
            job.modifier = actor.id
            job.modified_at = self._clock()
            repos.update_job(job=job)
            record_event(repos, job, name, message, now=job.modified_at)
        return job

    def get(self, scope: Scope, job_id: str) -> Job:
        with self._store.reading() as repos:
            return self.read(repos, scope, job_id)

    def key(self, scope: Scope, job_id: str) -> tuple[str, int]:
        """``get``'s job as its (id, version): for a reader that keeps renderings by
        version (``get_many`` reads the job when it holds none)."""
        with self._store.reading() as repos:
            version = repos.read_job_version(
                workspace=scope.workspace, namespace=scope.namespace, job_id=job_id
            )
            if version is None:
                missing_in_namespace(repos, scope, "job", job_id, ErrorCode.JOB_NOT_FOUND)
        return job_id, version

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

    def list_keys(
        self, scope: Scope, deployment_id: str, page: Page, *, newest_first: bool = True
    ) -> tuple[Sequence[tuple[str, int]], int]:
        """``list``'s page as (id, version) pairs, and the total; ``get_many`` reads the
        jobs a caller does not hold at that version."""
        with self._store.reading() as repos:
            keys, total = repos.read_job_keys(
                workspace=scope.workspace,
                namespace=scope.namespace,
                deployment_id=deployment_id,
                page=page,
                newest_first=newest_first,
            )
            if not total:  # a deployment's jobs go with it (deleting it deletes them)
                DeploymentService.require(repos, scope, deployment_id)
            return keys, total

    def get_many(self, scope: Scope, job_ids: Collection[str]) -> dict[str, Job]:
        """The jobs of ``job_ids`` in the scope's namespace, by id (absent: not there)."""
        if not job_ids:
            return {}
        with self._store.reading() as repos:
            jobs = repos.read_jobs_by_id(job_ids=job_ids)
        return {
            job.id: job
            for job in jobs
            if (job.workspace, job.namespace) == (scope.workspace, scope.namespace)
        }

    def delete(self, scope: Scope, actor: Actor, job_id: str) -> Job:
        with self._store.transaction() as repos:
            job = self.read(repos, scope, job_id)
            if not job.is_terminal:
                raise InvalidTransition(
                    f"job {job_id} is {job.status.value}; only a CANCELLED, FAILED or "
                    "FINISHED job can be deleted",
                    code=ErrorCode.JOB_NOT_TERMINAL,
                )
            repos.delete_job(job_id=job_id)
            record_event(
                repos, job, EventName.JOB_DELETED, f"job deleted by {actor.name}", now=self._clock()
            )
        return job

    @staticmethod
    def read(repos: Repositories, scope: Scope, job_id: str) -> Job:
        job = repos.read_job(job_id=job_id)
        if job is None or (job.workspace, job.namespace) != (scope.workspace, scope.namespace):
            missing_in_namespace(repos, scope, "job", job_id, ErrorCode.JOB_NOT_FOUND)
        return job

    def _started_with(
        self, repos: Repositories, scope: Scope, deployment_id: str, client_token: str
    ) -> Job | None:
        """The job an unexpired earlier start with this token created, if any."""
        found = repos.read_start_token(
            workspace=scope.workspace, namespace=scope.namespace, token=client_token
        )
        if found is None or found.created_at <= self._clock() - self._start_token_ttl:
            return None
        if found.deployment_id != deployment_id:
            raise Conflict(
                f"client token {client_token!r} was already used to start another deployment "
                f"({found.deployment_id}); send a new token for each start you mean"
            )
        return self.read(repos, scope, found.job_id)

    @staticmethod
    def _check_savepoint(
        repos: Repositories, scope: Scope, deployment_id: str, savepoint_id: str
    ) -> None:
        savepoint = repos.read_savepoint(savepoint_id=savepoint_id)
        if savepoint is None or (savepoint.workspace, savepoint.namespace) != (
            scope.workspace,
            scope.namespace,
        ):
            raise NotFound(
                f"savepoint {savepoint_id!r} not found", code=ErrorCode.SAVEPOINT_NOT_FOUND
            )
        if savepoint.deployment_id != deployment_id:
            raise InvalidInput(
                f"savepoint {savepoint_id} belongs to deployment {savepoint.deployment_id}, "
                f"not {deployment_id}: a job restores only from its own deployment's state",
                code=ErrorCode.SAVEPOINT_OF_OTHER_DEPLOYMENT,
            )
        if savepoint.state is not SavepointState.COMPLETED or not savepoint.location:
            raise InvalidInput(
                f"savepoint {savepoint_id} is {savepoint.state.value}; only a COMPLETED "
                "savepoint can be restored",
                code=ErrorCode.SAVEPOINT_NOT_COMPLETED,
            )


def _check_client_token(token: str) -> None:
    if not token or not token.isprintable() or len(token) > MAX_CLIENT_TOKEN_LENGTH:
        raise InvalidInput(
            f"client token {token[:32]!r} is not valid: use 1 to {MAX_CLIENT_TOKEN_LENGTH} "
            "printable characters, e.g. a UUID"
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


def _slots_per_taskmanager(flink_conf: dict[str, Any]) -> int:
    """The job's ``taskmanager.numberOfTaskSlots`` (1 when absent or not a number)."""
    try:
        return max(1, int(flink_conf.get(SLOTS_KEY, 1)))
    except (TypeError, ValueError):
        return 1
