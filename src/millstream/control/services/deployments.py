"""Deployment use cases: create, read, list, update, delete (with SQL validation)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from millstream.control.artifact_ports import ArtifactChecker
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import (
    EngineVersions,
    check_engine_change,
    runtime_cluster_name,
)
from millstream.control.ports import Engine, Page, Repositories, Store
from millstream.control.services.common import (
    DEFAULT_CLUSTER,
    missing_in_namespace,
    planning_cluster,
    record_event,
    require_namespace,
    resolve_cluster,
)
from millstream.control.services.logs import validate_logging
from millstream.control.services.queues import place_job
from millstream.control.services.variables import NamespaceVariables, ResolvedVariables
from millstream.control.variables import merge_variables, secrets_masked, substitute
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.clusters import Cluster
from millstream.domain.deployments import Deployment, Logging
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound, UnknownVariable
from millstream.domain.events import EventName
from millstream.domain.jobs import JobStatus
from millstream.domain.resources import ResourceSetting
from millstream.domain.restarts import RestartPolicy
from millstream.domain.sql_libraries import SqlLibraries

__all__ = ["DeploymentPatch", "DeploymentService"]

# An update is planned outside its write; a deployment changed meanwhile is planned again.
_PLANNING_ROUNDS = 3


@dataclass(frozen=True, slots=True)
class DeploymentPatch:
    """Fields a caller sets; ``None`` keeps the current value (or the default on create)."""

    name: str | None = None
    artifact: Artifact | None = None
    execution_mode: ExecutionMode | None = None
    engine_version: str | None = None
    description: str | None = None
    labels: dict[str, str] | None = None
    flink_conf: dict[str, Any] | None = None
    streaming_resource: ResourceSetting | None = None
    batch_resource: ResourceSetting | None = None
    logging: Logging | None = None
    local_variables: dict[str, str] | None = None
    cluster: str | None = None
    restart_policy: RestartPolicy | None = None
    # Queues (DESIGN.md §5): queue "" and scheduleTimeoutSeconds 0 clear the value.
    queue: str | None = None
    priority: int | None = None
    schedule_timeout_seconds: int | None = None
    expected_version: int | None = None

    def apply(self, deployment: Deployment) -> Deployment:
        changes = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name != "expected_version" and getattr(self, field.name) is not None
        }
        updated = dataclasses.replace(deployment, **changes)
        if updated.queue == "":
            updated.queue = None
        if updated.schedule_timeout_seconds == 0:
            updated.schedule_timeout_seconds = None
        return updated


class DeploymentService:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        versions: EngineVersions,
        *,
        variables: NamespaceVariables | None = None,
        artifacts: ArtifactChecker | None = None,
        catalog: Callable[[Scope], Sequence[str]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sql_libraries: Callable[[Scope, str], SqlLibraries] | None = None,
    ) -> None:
        self._artifacts = artifacts
        # The registered functions and custom connectors a script uses (UdfService):
        # their DDL and jars are planned with it, as the reconciler submits them.
        self._sql_libraries = sql_libraries
        # The namespace's persistent SQL catalog (SqlCatalogService.preamble): its DDL
        # runs before a SQL script, when it is planned here as when its job is submitted.
        self._catalog = catalog
        self._store = store
        self._engine = engine
        self._versions = versions
        self._variables = variables
        self._clock = clock

    def create(self, scope: Scope, actor: Actor, patch: DeploymentPatch) -> Deployment:
        if patch.name is None:
            raise InvalidInput("a deployment needs a name")
        if patch.artifact is None:
            raise InvalidInput(
                "a deployment needs an artifact: the SQL script, JAR or Python file to run"
            )
        self._check_artifact(scope, patch.artifact)
        now = self._clock()
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
        namespace_variables = self._namespace_variables(scope)
        preamble = self._planning_preamble(scope, deployment, namespace_variables)
        with self._store.reading() as repos:
            require_namespace(repos, scope)
            planner = self._checked(repos, deployment)
        self._plan(planner, deployment, namespace_variables, preamble)
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            if deployment.queue is not None:
                _check_queue(repos, deployment)
            if repos.read_deployment_by_name(
                workspace=scope.workspace, namespace=scope.namespace, name=deployment.name
            ):
                raise Conflict(
                    f"a deployment named {deployment.name!r} already exists in namespace "
                    f"{scope.namespace!r}",
                    code=ErrorCode.DEPLOYMENT_NAME_TAKEN,
                )
            repos.create_deployment(deployment=deployment)
            record_event(
                repos,
                deployment,
                EventName.DEPLOYMENT_CREATED,
                f"deployment {deployment.name!r} created by {actor.name}",
                now=now,
            )
        return deployment

    def get(self, scope: Scope, deployment_id: str) -> Deployment:
        with self._store.transaction() as repos:
            return self.read(repos, scope, deployment_id)

    def get_counted(
        self, scope: Scope, deployment_id: str
    ) -> tuple[Deployment, dict[JobStatus, int]]:
        """``get`` with ``job_counts`` of the deployment, in one unit of work."""
        with self._store.reading() as repos:
            deployment = self.read(repos, scope, deployment_id)
            counts = repos.count_jobs_by_status(deployment_ids=[deployment.id])
        return deployment, counts.get(deployment.id, {})

    def stamp(self, scope: Scope, deployment_id: str) -> tuple[int, dict[JobStatus, int]]:
        """What ``get_counted`` answers depends on: the deployment's version and its job
        counts, in one statement (for a reader that keeps renderings; NotFound alike)."""
        with self._store.reading() as repos:
            found = repos.read_deployment_stamp(
                workspace=scope.workspace, namespace=scope.namespace, deployment_id=deployment_id
            )
            if found is None:
                missing_in_namespace(
                    repos, scope, "deployment", deployment_id, ErrorCode.DEPLOYMENT_NOT_FOUND
                )
        return found

    def get_by_name(self, scope: Scope, name: str) -> Deployment:
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            found = repos.read_deployment_by_name(
                workspace=scope.workspace, namespace=scope.namespace, name=name
            )
        if found is None:
            raise NotFound(
                f"deployment named {name!r} not found", code=ErrorCode.DEPLOYMENT_NOT_FOUND
            )
        return found

    def list(
        self,
        scope: Scope,
        page: Page,
        *,
        name: str | None = None,
        labels: dict[str, str] | None = None,
        execution_mode: ExecutionMode | None = None,
    ) -> tuple[list[Deployment], int]:
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            return repos.read_deployments(
                workspace=scope.workspace,
                namespace=scope.namespace,
                page=page,
                name=name,
                labels=labels,
                execution_mode=execution_mode,
            )

    def job_counts(self, deployment_ids: Collection[str]) -> dict[str, dict[JobStatus, int]]:
        """Jobs per status of each deployment (already read in its scope), in one query."""
        with self._store.transaction() as repos:
            return repos.count_jobs_by_status(deployment_ids=deployment_ids)

    def update(
        self, scope: Scope, actor: Actor, deployment_id: str, patch: DeploymentPatch
    ) -> Deployment:
        namespace_variables = self._namespace_variables(scope)
        if patch.artifact is not None:
            self._check_artifact(scope, patch.artifact)
        for _ in range(_PLANNING_ROUNDS):
            with self._store.reading() as repos:  # what the update will plan, and where
                current = self.read(repos, scope, deployment_id)
                _check_expected_version(patch, current)
                updated = patch.apply(current)
                if updated.engine_version != current.engine_version:
                    self._check_engine_change(repos, current, updated)
                planner = self._checked(repos, updated)
            preamble = self._planning_preamble(scope, updated, namespace_variables)
            self._plan(planner, updated, namespace_variables, preamble)
            with self._store.transaction() as repos:
                if self.read(repos, scope, deployment_id).version != current.version:
                    continue  # changed while it was planned: what was planned is not it
                updated.modifier = actor.id
                updated.modified_at = self._clock()
                if updated.name != current.name and repos.read_deployment_by_name(
                    workspace=scope.workspace, namespace=scope.namespace, name=updated.name
                ):
                    raise Conflict(
                        f"a deployment named {updated.name!r} already exists",
                        code=ErrorCode.DEPLOYMENT_NAME_TAKEN,
                    )
                if patch.queue and updated.queue is not None:  # a queue named now: usable?
                    _check_queue(repos, updated)
                repos.update_deployment(deployment=updated)
                record_event(
                    repos,
                    updated,
                    EventName.DEPLOYMENT_UPDATED,
                    f"deployment {updated.name!r} updated by {actor.name}",
                    now=updated.modified_at,
                )
            return updated
        raise Conflict(
            f"deployment {deployment_id} kept changing while this update was checked "
            f"({_PLANNING_ROUNDS} times): re-read it and apply your change again",
            code=ErrorCode.STALE_VERSION,
        )

    def delete(self, scope: Scope, actor: Actor, deployment_id: str) -> Deployment:
        with self._store.transaction() as repos:
            deployment = self.read(repos, scope, deployment_id)
            live = repos.read_active_jobs(deployment_id=deployment_id)
            if live:
                raise Conflict(
                    f"deployment {deployment.name!r} has a live job ({live[0].id}, "
                    f"{live[0].status.value}): stop it before deleting the deployment",
                    code=ErrorCode.DEPLOYMENT_HAS_LIVE_JOB,
                )
            repos.delete_deployment(deployment_id=deployment_id)
            record_event(
                repos,
                deployment,
                EventName.DEPLOYMENT_DELETED,
                f"deployment {deployment.name!r} deleted by {actor.name}",
                now=self._clock(),
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
        engine_version: str | None = None,
    ) -> None:
        """Plan a SQL script on the default cluster (on the cluster of ``engine_version``'s
        runtime when that one runs); InvalidSql with line/column if bad.
        ``variables`` override the namespace's. Anyone who may read may validate, so
        Encrypted variables stand as the mask here: their values never reach the planner,
        whose messages quote names and literals back."""
        namespace_variables = self._namespace_variables(scope)
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            cluster = self._runtime_planner(
                repos, scope, resolve_cluster(repos, scope, None), engine_version
            )
        text = substitute(
            script,
            merge_variables(namespace_variables.masked(), variables or {}),
            where="the SQL script",
        )
        with secrets_masked(namespace_variables.secret_values()):
            self._engine.cluster(cluster).validate_sql(
                text,
                execution_mode=execution_mode,
                flink_conf=flink_conf or {},
                **self.catalog_preamble(scope, text),
            )

    def plan_sql(
        self,
        scope: Scope,
        script: str,
        *,
        execution_mode: ExecutionMode = ExecutionMode.STREAMING,
        flink_conf: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``validate_sql`` answering Flink's JobGraph plan of the script (the foas
        dialect's GetRawPlanJson). Encrypted variables stand as their mask, as there."""
        namespace_variables = self._namespace_variables(scope)
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            cluster = resolve_cluster(repos, scope, None)
        text = substitute(
            script, merge_variables(namespace_variables.masked(), {}), where="the SQL script"
        )
        with secrets_masked(namespace_variables.secret_values()):
            return self._engine.cluster(cluster).plan_sql(
                text,
                execution_mode=execution_mode,
                flink_conf=flink_conf or {},
                **self.catalog_preamble(scope, text),
            )

    def catalog_preamble(self, scope: Scope, script: str = "") -> dict[str, Any]:
        """``sql_preamble=`` for planning a script of the namespace: its catalog's DDL
        (nothing while the catalog is empty, so planners without catalogs still fit),
        after the functions ``script`` calls; ``sql_jars=`` their and its connectors'
        jars."""
        preamble = list(self._catalog(scope)) if self._catalog is not None else []
        jars: dict[str, Any] = {}
        if self._sql_libraries is not None and script:
            # what the catalog's own tables and views use counts too (their connectors)
            libraries = self._sql_libraries(scope, "\n".join((*preamble, script)))
            preamble = [*libraries.statements, *preamble]
            jars = {"sql_jars": list(libraries.jars)} if libraries.jars else {}
        return ({"sql_preamble": preamble} if preamble else {}) | jars

    def _check_artifact(self, scope: Scope, artifact: Artifact) -> None:
        """Missing jars / unreadable URIs are refused now, not when the job starts.
        Outside any transaction: resolving may download."""
        artifact.validate()
        if self._artifacts is not None:
            self._artifacts.check_artifact(
                artifact, workspace=scope.workspace, namespace=scope.namespace
            )

    @staticmethod
    def read(repos: Repositories, scope: Scope, deployment_id: str) -> Deployment:
        found = repos.read_deployment(
            workspace=scope.workspace, namespace=scope.namespace, deployment_id=deployment_id
        )
        if found is None:
            missing_in_namespace(
                repos, scope, "deployment", deployment_id, ErrorCode.DEPLOYMENT_NOT_FOUND
            )
        return found

    @staticmethod
    def require(repos: Repositories, scope: Scope, deployment_id: str) -> None:
        """``read``'s NotFound, without reading the deployment (for its jobs' pages)."""
        if not repos.has_deployment(
            workspace=scope.workspace, namespace=scope.namespace, deployment_id=deployment_id
        ):
            missing_in_namespace(
                repos, scope, "deployment", deployment_id, ErrorCode.DEPLOYMENT_NOT_FOUND
            )

    def _namespace_variables(self, scope: Scope) -> ResolvedVariables:
        if self._variables is None:
            return ResolvedVariables()
        return self._variables.resolve(scope)

    def _planning_preamble(
        self, scope: Scope, deployment: Deployment, namespace: ResolvedVariables
    ) -> dict[str, Any]:
        """What ``_plan`` plans a SQL deployment's script with (``catalog_preamble``),
        read outside any other unit of work: the catalog and the functions have their
        own, and one opened inside another waits for a second pooled connection (under
        load every thread holds one and waits: the pool deadlocks)."""
        if deployment.artifact.kind is not ArtifactKind.SQLSCRIPT:
            return {}
        try:
            script = substitute(
                deployment.artifact.sql_script or "",
                merge_variables(namespace.values, deployment.local_variables),
                where="the SQL script",
            )
        except (UnknownVariable, InvalidInput):
            return {}  # _plan says why, or it is planned at start
        return self.catalog_preamble(scope, script)

    def _checked(self, repos: Repositories, deployment: Deployment) -> Cluster:
        """Everything that makes a deployment runnable and needs no Flink, checked before
        it is stored; the cluster that plans its SQL (``_plan``). Sets the default engine
        version on ``deployment`` when it names none."""
        deployment.validate()
        validate_logging(deployment.logging)
        # A Python program needs a runtime with PyFlink (EngineVersions.choose).
        python = deployment.artifact.kind is ArtifactKind.PYTHON
        self._versions.choose(deployment.engine_version, python=python)
        if not deployment.engine_version:  # record what it runs on, not "unspecified"
            deployment.engine_version = self._versions.default
        scope = Scope(deployment.workspace, deployment.namespace)
        cluster = planning_cluster(repos, scope, resolve_cluster(repos, scope, deployment.cluster))
        return self._runtime_planner(repos, scope, cluster, deployment.engine_version)

    def _plan(
        self,
        cluster: Cluster,
        deployment: Deployment,
        namespace: ResolvedVariables,
        preamble: dict[str, Any],
    ) -> None:
        """A SQL deployment's script planned by ``cluster`` (``preamble``:
        ``_planning_preamble``'s). Outside any unit of work: a Flink round trip must not
        hold a pooled connection, nor SQLite's write lock."""
        if deployment.artifact.kind is not ArtifactKind.SQLSCRIPT:
            return
        try:
            script = substitute(
                deployment.artifact.sql_script or "",
                merge_variables(namespace.values, deployment.local_variables),
                where="the SQL script",
            )
        except UnknownVariable:
            return  # still undefined: supplied at start, where the script is planned
        with secrets_masked(namespace.secret_values()):
            self._engine.cluster(cluster).validate_sql(
                script,
                execution_mode=deployment.execution_mode,
                flink_conf=dict(deployment.flink_conf),
                **preamble,
            )

    def _runtime_planner(
        self, repos: Repositories, scope: Scope, cluster: Cluster, engine_version: str | None
    ) -> Cluster:
        """SQL is planned by the deployment's runtime: on the default cluster, a runtime
        other than its own plans on that runtime's cluster when it runs (else, like a
        stopped session cluster, on the default one; the submission plans it again)."""
        if cluster.name != DEFAULT_CLUSTER or cluster.managed or not engine_version:
            return cluster
        version = self._versions.choose(engine_version).version
        found = repos.read_cluster(workspace=scope.workspace, name=runtime_cluster_name(version))
        return found if found is not None and found.ready else cluster

    def _check_engine_change(
        self, repos: Repositories, current: Deployment, updated: Deployment
    ) -> None:
        """A new engine version must be able to restore the deployment's state."""
        try:
            old = self._versions.choose(current.engine_version)
        except InvalidInput:
            return  # its old runtime is gone: nothing to compare with
        new = self._versions.choose(updated.engine_version)
        latest = repos.read_latest_savepoint(deployment_id=current.id, include_checkpoints=True)
        check_engine_change(old, new, has_state=latest is not None)


def _check_expected_version(patch: DeploymentPatch, current: Deployment) -> None:
    if patch.expected_version is not None and patch.expected_version != current.version:
        raise Conflict(
            f"deployment {current.id} is at version {current.version}, "
            f"not {patch.expected_version}: re-read it and apply your change again",
            code=ErrorCode.STALE_VERSION,
        )


def _check_queue(repos: Repositories, deployment: Deployment) -> None:
    """The deployment's queue exists, admits its namespace and caps its cluster."""
    place_job(
        repos,
        Scope(deployment.workspace, deployment.namespace),
        queue_name=deployment.queue,
        cluster_name=deployment.cluster,
    )
