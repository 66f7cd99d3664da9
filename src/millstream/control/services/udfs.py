"""UDF and custom connector use cases: jars that extend a namespace's SQL.

- UDF artifacts: a jar (plus dependency jars) from the namespace's artifacts, scanned for
  function classes (``JarScanner``); create, list, update (rescanned: a class that has
  registered functions must still be there) and delete (with its functions).
- UDF functions: a name bound to a class of an artifact; SQL jobs of the namespace that
  call it get ``CREATE TEMPORARY SYSTEM FUNCTION`` and the artifact's jars.
- Custom connectors: the table factories of a connector jar, by identifier; SQL jobs
  whose ``WITH`` clause names one get its jars.

``libraries_for`` is what the reconciler asks when it submits a SQL job
(``domain.sql_libraries``). Deleting anything a live job of the namespace was given is
refused (``Conflict``), naming the deployments. Jars are scanned before the transaction
that stores the result, so no database transaction waits for a JVM.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from millstream.control.artifact_ports import artifact_uri
from millstream.control.context import Actor, Scope
from millstream.control.ports import Store
from millstream.control.services.common import require_namespace
from millstream.control.udf_ports import JarScanner, UdfRepositories, UdfStore
from millstream.domain.artifacts import ArtifactKind
from millstream.domain.errors import Conflict, InvalidArtifact, InvalidInput, NotFound
from millstream.domain.sql_libraries import SqlLibraries, libraries_for
from millstream.domain.udfs import (
    CustomConnector,
    UdfArtifact,
    UdfClass,
    UdfFunction,
    check_class_name,
    check_connector_name,
    check_function_name,
    check_udf_artifact_name,
    default_function_name,
)

__all__ = ["ArtifactChange", "UdfService"]

_log = logging.getLogger(__name__)
_MAX_DEPENDENCIES = 32
_KINDS = "ScalarFunction, TableFunction, AggregateFunction or TableAggregateFunction"


@dataclass(frozen=True, slots=True)
class ArtifactChange:
    """The outcome of creating or updating a UDF artifact. Not ``ok``: nothing was
    stored, because classes collide with another artifact's or registered functions'
    classes would be missing."""

    artifact: UdfArtifact
    ok: bool = True
    colliding: tuple[UdfClass, ...] = ()
    missing: tuple[UdfClass, ...] = ()
    message: str = ""
    functions: tuple[UdfFunction, ...] = field(default=())


class UdfService:
    def __init__(
        self,
        udfs: UdfStore,
        scanner: JarScanner,
        store: Store,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._udfs = udfs
        self._scanner = scanner
        self._store = store
        self._clock = clock

    # ------------------------------------------------------------------ artifacts

    def create_artifact(
        self,
        scope: Scope,
        actor: Actor,
        name: str | None,
        jar_uri: str | None,
        dependency_uris: Sequence[str] = (),
    ) -> ArtifactChange:
        name = check_udf_artifact_name(name)
        jar, dependencies = _check_uris(scope, jar_uri, dependency_uris)
        self._require_namespace(scope)
        with self._udfs.transaction() as repos:
            if repos.read_udf_artifact(**_where(scope), name=name) is not None:
                raise Conflict(f"the namespace already has a UDF artifact named {name!r}")
        classes = self._scan(scope, jar, dependencies)
        now = self._clock()
        artifact = UdfArtifact(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            name=name,
            jar_uri=jar,
            dependency_uris=dependencies,
            classes=tuple(classes),
            creator=actor.id,
            modifier=actor.id,
            created_at=now,
            modified_at=now,
        )
        with self._udfs.transaction() as repos:
            colliding = _colliding(repos, scope, artifact)
            if colliding:
                return ArtifactChange(
                    artifact,
                    ok=False,
                    colliding=colliding,
                    message=_collision_message(colliding),
                )
            repos.create_udf_artifact(artifact=artifact)
        _log.info("UDF artifact %s created in %s/%s", name, scope.workspace, scope.namespace)
        return ArtifactChange(artifact, message=f"{len(classes)} function class(es) found")

    def artifacts(self, scope: Scope, name: str | None = None) -> list[UdfArtifact]:
        """All artifacts of the namespace, or the one named (``NotFound`` if missing)."""
        with self._udfs.transaction() as repos:
            if name:
                return [_require_artifact(repos, scope, name)]
            return repos.read_udf_artifacts(**_where(scope))

    def functions(self, scope: Scope) -> list[UdfFunction]:
        with self._udfs.transaction() as repos:
            return repos.read_udf_functions(**_where(scope))

    def update_artifact(
        self,
        scope: Scope,
        actor: Actor,
        name: str,
        jar_uri: str | None,
        dependency_uris: Sequence[str] | None = None,
    ) -> ArtifactChange:
        """Point the artifact at a new jar (or rescan the same one)."""
        with self._udfs.transaction() as repos:
            current = _require_artifact(repos, scope, name)
        jar, dependencies = _check_uris(
            scope,
            jar_uri or current.jar_uri,
            current.dependency_uris if dependency_uris is None else dependency_uris,
        )
        classes = self._scan(scope, jar, dependencies)
        updated = UdfArtifact(
            id=current.id,
            workspace=current.workspace,
            namespace=current.namespace,
            name=current.name,
            jar_uri=jar,
            dependency_uris=dependencies,
            classes=tuple(classes),
            creator=current.creator,
            modifier=actor.id,
            created_at=current.created_at,
            modified_at=self._clock(),
        )
        with self._udfs.transaction() as repos:
            kept = {c.class_name for c in classes}
            bound = {
                f.class_name
                for f in repos.read_udf_functions(**_where(scope))
                if f.artifact_name == name
            }
            # Functions are only registered for the artifact's classes (register_function).
            missing = tuple(c for c in current.classes if c.class_name in bound - kept)
            if missing:
                names = ", ".join(c.class_name for c in missing)
                return ArtifactChange(
                    current,
                    ok=False,
                    missing=missing,
                    message=f"the new jar lacks classes that have registered functions: "
                    f"{names}; delete those functions first",
                )
            colliding = _colliding(repos, scope, updated)
            if colliding:
                return ArtifactChange(
                    current, ok=False, colliding=colliding, message=_collision_message(colliding)
                )
            repos.update_udf_artifact(artifact=updated)
        return ArtifactChange(updated, message=f"{len(classes)} function class(es) found")

    def delete_artifact(self, scope: Scope, actor: Actor, name: str) -> list[UdfFunction]:  # noqa: ARG002 - actor: audit hook
        """Delete the artifact and its functions; the functions deleted with it."""
        with self._udfs.transaction() as repos:
            _require_artifact(repos, scope, name)
            functions = [
                f for f in repos.read_udf_functions(**_where(scope)) if f.artifact_name == name
            ]
        self._refuse_if_used(
            scope,
            f"UDF artifact {name!r}",
            functions={f.name for f in functions},
            connectors=set(),
        )
        with self._udfs.transaction() as repos:
            repos.delete_udf_artifact(**_where(scope), name=name)
        return functions

    # ------------------------------------------------------------------ functions

    def register_function(
        self,
        scope: Scope,
        actor: Actor,
        *,
        artifact_name: str | None,
        class_name: str | None,
        function_name: str | None = None,
    ) -> UdfFunction:
        if not artifact_name:
            raise InvalidInput("udfArtifactName is required: the UDF artifact of the class")
        class_name = check_class_name(class_name)
        name = check_function_name(function_name or default_function_name(class_name))
        with self._udfs.transaction() as repos:
            artifact = _require_artifact(repos, scope, artifact_name)
            if artifact.find_class(class_name) is None:
                known = ", ".join(c.class_name for c in artifact.classes) or "none"
                raise NotFound(
                    f"class {class_name!r} is not a function class of UDF artifact "
                    f"{artifact_name!r} (its function classes: {known})"
                )
            function = UdfFunction(
                workspace=scope.workspace,
                namespace=scope.namespace,
                name=name,
                artifact_name=artifact_name,
                class_name=class_name,
                creator=actor.id,
                created_at=self._clock(),
            )
            if any(
                f.name.lower() == name.lower() for f in repos.read_udf_functions(**_where(scope))
            ):
                raise Conflict(f"the namespace already has a function named {name!r}")
            repos.create_udf_function(function=function)
        return function

    def delete_function(
        self,
        scope: Scope,
        actor: Actor,  # noqa: ARG002 - audit hook
        name: str,
        *,
        artifact_name: str | None = None,
        class_name: str | None = None,
    ) -> UdfFunction:
        with self._udfs.transaction() as repos:
            function = next(
                (f for f in repos.read_udf_functions(**_where(scope)) if f.name == name), None
            )
        if (
            function is None
            or (artifact_name and function.artifact_name != artifact_name)
            or (class_name and function.class_name != class_name)
        ):
            raise NotFound(f"function {name!r} is not registered in namespace {scope.namespace!r}")
        self._refuse_if_used(scope, f"function {name!r}", functions={name}, connectors=set())
        with self._udfs.transaction() as repos:
            repos.delete_udf_function(**_where(scope), name=name)
        return function

    # ------------------------------------------------------------------ connectors

    def register_connectors(
        self,
        scope: Scope,
        actor: Actor,
        jar_uri: str | None,
        dependency_uris: Sequence[str] = (),
    ) -> list[CustomConnector]:
        """Register every table factory of the jar (again: the jar replaces itself)."""
        jar, dependencies = _check_uris(scope, jar_uri, dependency_uris)
        self._require_namespace(scope)
        factories = self._scanner.scan_connectors(jar, dependencies, **_where(scope))
        if not factories:
            raise InvalidArtifact(
                f"{jar!r} declares no table source or sink factory: a connector jar lists "
                "its DynamicTableSourceFactory/DynamicTableSinkFactory classes in "
                "META-INF/services/org.apache.flink.table.factories.Factory"
            )
        for factory in factories:
            check_connector_name(factory.identifier)
            if factory.builtin:
                raise Conflict(
                    f"Flink already has a connector {factory.identifier!r}; a second one of "
                    "that identifier would make every job that names it fail"
                )
        now = self._clock()
        saved: list[CustomConnector] = []
        with self._udfs.transaction() as repos:
            existing = {c.name: c for c in repos.read_custom_connectors(**_where(scope))}
            for factory in factories:
                other = existing.get(factory.identifier)
                if other is not None and other.jar_uri != jar:
                    raise Conflict(
                        f"connector {factory.identifier!r} is already registered from "
                        f"{other.jar_uri!r}; delete it first"
                    )
                connector = CustomConnector(
                    workspace=scope.workspace,
                    namespace=scope.namespace,
                    name=factory.identifier,
                    factory_class=factory.factory_class,
                    jar_uri=jar,
                    dependency_uris=dependencies,
                    source=factory.source,
                    sink=factory.sink,
                    options=factory.options,
                    formats=factory.formats,
                    creator=other.creator if other else actor.id,
                    modifier=actor.id,
                    created_at=other.created_at if other else now,
                    modified_at=now,
                )
                repos.save_custom_connector(connector=connector)
                saved.append(connector)
        return saved

    def connectors(self, scope: Scope) -> list[CustomConnector]:
        with self._udfs.transaction() as repos:
            return repos.read_custom_connectors(**_where(scope))

    def delete_connector(self, scope: Scope, actor: Actor, name: str) -> CustomConnector:  # noqa: ARG002 - audit hook
        with self._udfs.transaction() as repos:
            found = next(
                (c for c in repos.read_custom_connectors(**_where(scope)) if c.name == name), None
            )
        if found is None:
            raise NotFound(f"connector {name!r} is not registered in namespace {scope.namespace!r}")
        self._refuse_if_used(scope, f"connector {name!r}", functions=set(), connectors={name})
        with self._udfs.transaction() as repos:
            repos.delete_custom_connector(**_where(scope), name=name)
        return found

    # ------------------------------------------------------------------ jobs

    def libraries_for(self, scope: Scope, script: str) -> SqlLibraries:
        """The statements and jars a SQL job of the namespace needs for ``script``."""
        with self._udfs.reading() as repos:
            functions = repos.read_udf_functions(**_where(scope))
            connectors = repos.read_custom_connectors(**_where(scope))
            artifacts = (
                {a.name: a for a in repos.read_udf_artifacts(**_where(scope))} if functions else {}
            )
        if not functions and not connectors:
            return SqlLibraries()
        return libraries_for(
            script, functions=functions, artifacts=artifacts, connectors=connectors
        )

    # ------------------------------------------------------------------ helpers

    def _scan(self, scope: Scope, jar: str, dependencies: Sequence[str]) -> list[UdfClass]:
        classes = self._scanner.scan_functions(jar, dependencies, **_where(scope))
        if not classes:
            raise InvalidArtifact(
                f"{jar!r} has no function classes: a UDF jar holds public, non-abstract "
                f"classes extending {_KINDS}"
            )
        return classes

    def _refuse_if_used(
        self, scope: Scope, what: str, *, functions: set[str], connectors: set[str]
    ) -> None:
        if not functions and not connectors:
            return
        with self._store.transaction() as repos:
            live = [
                job
                for job in repos.read_active_jobs()
                if job.workspace == scope.workspace
                and job.namespace == scope.namespace
                and job.artifact.kind is ArtifactKind.SQLSCRIPT
            ]
        users = sorted(
            {
                job.deployment_name
                for job in live
                if self._uses(scope, job.artifact.sql_script or "", functions, connectors)
            }
        )
        if users:
            raise Conflict(
                f"{what} is used by the running deployment(s) {', '.join(map(repr, users))}; "
                "stop them first"
            )

    def _uses(self, scope: Scope, script: str, functions: set[str], connectors: set[str]) -> bool:
        given = self.libraries_for(scope, script)
        return bool(functions & set(given.functions) or connectors & set(given.connectors))

    def _require_namespace(self, scope: Scope) -> None:
        with self._store.transaction() as repos:
            require_namespace(repos, scope)


def _where(scope: Scope) -> dict[str, str]:
    return {"workspace": scope.workspace, "namespace": scope.namespace}


def _require_artifact(repos: UdfRepositories, scope: Scope, name: str) -> UdfArtifact:
    found = repos.read_udf_artifact(**_where(scope), name=name)
    if found is None:
        raise NotFound(f"UDF artifact {name!r} not found in namespace {scope.namespace!r}")
    return found


def _colliding(repos: UdfRepositories, scope: Scope, artifact: UdfArtifact) -> tuple[UdfClass, ...]:
    """Classes of ``artifact`` another artifact of the namespace has too: one job could
    get both jars, and which class it loads would depend on their order."""
    others = {
        c.class_name
        for other in repos.read_udf_artifacts(**_where(scope))
        if other.name != artifact.name
        for c in other.classes
    }
    return tuple(c for c in artifact.classes if c.class_name in others)


def _collision_message(colliding: Sequence[UdfClass]) -> str:
    names = ", ".join(c.class_name for c in colliding)
    return f"classes already provided by another UDF artifact of the namespace: {names}"


def _check_uris(
    scope: Scope, jar_uri: str | None, dependency_uris: Sequence[str]
) -> tuple[str, tuple[str, ...]]:
    """The URIs trimmed, a plain name made ``artifacts://<ws>/<ns>/<name>``: jobs and
    planners resolve them later without knowing the namespace they came from."""
    jar = _canonical(scope, jar_uri or "")
    if not jar:
        raise InvalidInput(
            "jarUrl is required: the URI of an uploaded jar, e.g. "
            "'artifacts://default/default-namespace/udfs.jar'"
        )
    dependencies = tuple(_canonical(scope, u) for u in dependency_uris if u and u.strip())
    if len(dependencies) > _MAX_DEPENDENCIES:
        raise InvalidInput(f"at most {_MAX_DEPENDENCIES} dependency jars, got {len(dependencies)}")
    return jar, dependencies


def _canonical(scope: Scope, uri: str) -> str:
    uri = uri.strip()
    if not uri or "://" in uri:
        return uri
    return artifact_uri(scope.workspace, scope.namespace, uri)
