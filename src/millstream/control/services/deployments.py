"""Deployment use cases: create, read, list, update, delete (with SQL validation)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from millstream.control.artifact_ports import ArtifactChecker
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import EngineVersions
from millstream.control.ports import Engine, Page, Repositories, Store
from millstream.control.services.common import (
    planning_cluster,
    record_event,
    require_namespace,
    resolve_cluster,
)
from millstream.control.services.logs import validate_logging
from millstream.control.services.variables import NamespaceVariables, ResolvedVariables
from millstream.control.variables import merge_variables, substitute
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.deployments import Deployment, Logging
from millstream.domain.errors import Conflict, InvalidInput, NotFound, UnknownVariable
from millstream.domain.events import EventName
from millstream.domain.resources import ResourceSetting

__all__ = ["DeploymentPatch", "DeploymentService"]


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
    expected_version: int | None = None

    def apply(self, deployment: Deployment) -> Deployment:
        changes = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name != "expected_version" and getattr(self, field.name) is not None
        }
        return dataclasses.replace(deployment, **changes)


class DeploymentService:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        versions: EngineVersions,
        *,
        variables: NamespaceVariables | None = None,
        artifacts: ArtifactChecker | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._artifacts = artifacts
        self._store = store
        self._engine = engine
        self._versions = versions
        self._variables = variables
        self._clock = clock

    def create(self, scope: Scope, actor: Actor, patch: DeploymentPatch) -> Deployment:
        if patch.name is None:
            raise InvalidInput("name is required")
        if patch.artifact is None:
            raise InvalidInput("artifact is required")
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
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            self._check(repos, deployment, namespace_variables)
            if repos.read_deployment_by_name(
                workspace=scope.workspace, namespace=scope.namespace, name=deployment.name
            ):
                raise Conflict(
                    f"a deployment named {deployment.name!r} already exists in namespace "
                    f"{scope.namespace!r}",
                    code="DeploymentNameExists",
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

    def get_by_name(self, scope: Scope, name: str) -> Deployment:
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            found = repos.read_deployment_by_name(
                workspace=scope.workspace, namespace=scope.namespace, name=name
            )
        if found is None:
            raise NotFound(f"deployment named {name!r} not found", code="DeploymentNotFound")
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

    def update(
        self, scope: Scope, actor: Actor, deployment_id: str, patch: DeploymentPatch
    ) -> Deployment:
        namespace_variables = self._namespace_variables(scope)
        if patch.artifact is not None:
            self._check_artifact(scope, patch.artifact)
        with self._store.transaction() as repos:
            current = self.read(repos, scope, deployment_id)
            if patch.expected_version is not None and patch.expected_version != current.version:
                raise Conflict(
                    f"deployment {deployment_id} is at version {current.version}, "
                    f"not {patch.expected_version}: re-read it and apply your change again",
                    code="ResourceVersionConflict",
                )
            updated = patch.apply(current)
            updated.modifier = actor.id
            updated.modified_at = self._clock()
            if updated.name != current.name and repos.read_deployment_by_name(
                workspace=scope.workspace, namespace=scope.namespace, name=updated.name
            ):
                raise Conflict(
                    f"a deployment named {updated.name!r} already exists",
                    code="DeploymentNameExists",
                )
            self._check(repos, updated, namespace_variables)
            repos.update_deployment(deployment=updated)
            record_event(
                repos,
                updated,
                EventName.DEPLOYMENT_UPDATED,
                f"deployment {updated.name!r} updated by {actor.name}",
                now=updated.modified_at,
            )
        return updated

    def delete(self, scope: Scope, actor: Actor, deployment_id: str) -> Deployment:
        with self._store.transaction() as repos:
            deployment = self.read(repos, scope, deployment_id)
            live = repos.read_active_jobs(deployment_id=deployment_id)
            if live:
                raise Conflict(
                    f"deployment {deployment.name!r} has a live job ({live[0].id}, "
                    f"{live[0].status.value}): stop it before deleting the deployment",
                    code="DeploymentHasLiveJob",
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
    ) -> None:
        """Plan a SQL script on the default cluster; InvalidSql with line/column if bad.
        ``variables`` override the namespace's."""
        namespace_variables = self._namespace_variables(scope)
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            cluster = resolve_cluster(repos, scope, None)
        text = substitute(
            script, merge_variables(namespace_variables.values, variables or {}), where="sqlScript"
        )
        self._engine.cluster(cluster).validate_sql(
            text, execution_mode=execution_mode, flink_conf=flink_conf or {}
        )

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
        require_namespace(repos, scope)
        found = repos.read_deployment(
            workspace=scope.workspace, namespace=scope.namespace, deployment_id=deployment_id
        )
        if found is None:
            raise NotFound(
                f"deployment {deployment_id!r} not found in namespace {scope.namespace!r}",
                code="DeploymentNotFound",
            )
        return found

    def _namespace_variables(self, scope: Scope) -> ResolvedVariables:
        if self._variables is None:
            return ResolvedVariables()
        return self._variables.resolve(scope)

    def _check(
        self, repos: Repositories, deployment: Deployment, namespace: ResolvedVariables
    ) -> None:
        """Everything that makes a deployment runnable, checked before it is stored."""
        deployment.validate()
        validate_logging(deployment.logging)
        self._versions.resolve(deployment.engine_version)
        if not deployment.engine_version:  # record what it runs on, not "unspecified"
            deployment.engine_version = self._versions.default
        scope = Scope(deployment.workspace, deployment.namespace)
        cluster = planning_cluster(repos, scope, resolve_cluster(repos, scope, deployment.cluster))
        if deployment.artifact.kind is ArtifactKind.SQLSCRIPT:
            try:
                script = substitute(
                    deployment.artifact.sql_script or "",
                    merge_variables(namespace.values, deployment.local_variables),
                    where="sqlScript",
                )
            except UnknownVariable:
                return  # still undefined: supplied at start, where the script is planned
            self._engine.cluster(cluster).validate_sql(
                script,
                execution_mode=deployment.execution_mode,
                flink_conf=dict(deployment.flink_conf),
            )
