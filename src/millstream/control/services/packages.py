"""Package use cases: the files a namespace's deployments use, as a catalog.

A package is a file of the namespace's artifact store (``ArtifactService``) and, when
someone registered it, its catalog entry (``domain.packages.Package``: kind, location,
MD5, description, tag). Listing shows both: registered packages, and stored files
nobody registered (their kind guessed from the name, their location the store).
Updating an unregistered stored file registers it. Deleting removes the entry and the
stored file, and is refused while something uses the package (the caller says what via
``users``). The API dialects call it through ``Services.packages``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from millstream.control.artifact_ports import StoredArtifact
from millstream.control.catalog_ports import CatalogStore
from millstream.control.context import Actor, Scope
from millstream.control.services.artifacts import ArtifactService
from millstream.domain.errors import Conflict, ErrorCode, NotFound
from millstream.domain.packages import Package, PackageKind, kind_of_file, validate_package_name

__all__ = ["PackagePatch", "PackageService"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PackagePatch:
    """Fields a registration or update sets; ``None`` keeps a field (on update)."""

    kind: PackageKind | None = None
    location: str | None = None
    description: str | None = None
    tag: str | None = None
    md5: str | None = None
    origin_name: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)  # merged into the old ones


class PackageService:
    def __init__(
        self,
        store: CatalogStore,
        artifacts: ArtifactService | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._artifacts = artifacts
        self._clock = clock

    def register(self, scope: Scope, actor: Actor, name: str, patch: PackagePatch) -> Package:
        validate_package_name(name)
        now = self._clock()
        package = _apply(
            Package(
                workspace=scope.workspace,
                namespace=scope.namespace,
                name=name,
                kind=patch.kind or kind_of_file(name),
                creator=actor.id,
                created_at=now,
            ),
            patch,
            actor,
            now,
        )
        with self._store.transaction() as repos:
            if repos.read_package(workspace=scope.workspace, namespace=scope.namespace, name=name):
                raise Conflict(f"package {name!r} already exists in namespace {scope.namespace!r}")
            repos.create_package(package=package)
        _log.info("package %s registered in %s/%s", name, scope.workspace, scope.namespace)
        return package

    def get(self, scope: Scope, name: str) -> Package:
        validate_package_name(name)
        with self._store.transaction() as repos:
            found = repos.read_package(
                workspace=scope.workspace, namespace=scope.namespace, name=name
            )
        if found is not None:
            return found
        stored = self._stored(scope, name)
        if stored is None:
            raise NotFound(
                f"package {name!r} does not exist in namespace {scope.namespace!r}",
                code=ErrorCode.ARTIFACT_NOT_FOUND,
            )
        return _unregistered(stored)

    def list(self, scope: Scope) -> list[Package]:
        """Registered packages and unregistered stored files, by name."""
        with self._store.transaction() as repos:
            registered = {
                p.name: p
                for p in repos.read_packages(workspace=scope.workspace, namespace=scope.namespace)
            }
        stored = self._artifacts.list(scope) if self._artifacts is not None else []
        for artifact in stored:
            registered.setdefault(artifact.name, _unregistered(artifact))
        return [registered[name] for name in sorted(registered)]

    def update(self, scope: Scope, actor: Actor, name: str, patch: PackagePatch) -> Package:
        validate_package_name(name)
        now = self._clock()
        with self._store.transaction() as repos:
            found = repos.read_package(
                workspace=scope.workspace, namespace=scope.namespace, name=name
            )
            if found is not None:
                package = _apply(found, patch, actor, now)
                repos.update_package(package=package)
                return package
        # A stored file nobody registered: updating it registers it.
        return self.register(scope, actor, self.get(scope, name).name, patch)

    def delete(
        self,
        scope: Scope,
        actor: Actor,
        name: str,
        *,
        users: Callable[[Package], Sequence[str]] | None = None,
    ) -> Package:
        """Refused while ``users(package)`` names anything using it."""
        package = self.get(scope, name)
        using = users(package) if users is not None else []
        if using:
            shown = ", ".join(sorted(using)[:5])
            raise Conflict(
                f"package {name!r} is used by {len(using)} job(s) ({shown}); "
                "remove it from them first"
            )
        with self._store.transaction() as repos:
            repos.delete_package(workspace=scope.workspace, namespace=scope.namespace, name=name)
        if self._artifacts is not None and self._stored(scope, name) is not None:
            self._artifacts.delete(scope, actor, name)
        _log.info("package %s deleted by %s", name, actor.name)
        return package

    def _stored(self, scope: Scope, name: str) -> StoredArtifact | None:
        if self._artifacts is None:
            return None
        try:
            return self._artifacts.get(scope, name)
        except NotFound as exc:
            if exc.code is ErrorCode.NAMESPACE_NOT_FOUND:
                raise
            return None


def _apply(package: Package, patch: PackagePatch, actor: Actor, now: datetime) -> Package:
    changed = replace(
        package,
        kind=patch.kind or package.kind,
        location=package.location if patch.location is None else patch.location,
        description=package.description if patch.description is None else patch.description,
        tag=package.tag if patch.tag is None else patch.tag,
        md5=package.md5 if patch.md5 is None else patch.md5,
        origin_name=package.origin_name if patch.origin_name is None else patch.origin_name,
        attributes={**package.attributes, **patch.attributes},
        modifier=actor.id,
        modified_at=now,
    )
    changed.validate()
    return changed


def _unregistered(artifact: StoredArtifact) -> Package:
    return Package(
        workspace=artifact.workspace,
        namespace=artifact.namespace,
        name=artifact.name,
        kind=kind_of_file(artifact.name),
        location=artifact.uri,
        created_at=artifact.modified_at,
        modified_at=artifact.modified_at,
    )
