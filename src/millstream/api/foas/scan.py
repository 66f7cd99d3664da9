"""What a project's jobs refer to: the folder each is filed in (``folderId``) and the
packages each uses, read from the deployments (``mappers.spec_of`` and the artifact's
URIs), and where a project's packages are (``package_locations``: what CreateJob and
UpdateJob turn package names into). Used by ``folders`` (a folder holding jobs cannot be
deleted), ``packages`` (GetRefPackageJob; a package in use cannot be deleted) and
``jobs`` / ``instances``. Blocking: thread pool only.
"""

from __future__ import annotations

from millstream.api.foas.context import Project
from millstream.api.foas.mappers import spec_of
from millstream.control.artifact_ports import artifact_uri
from millstream.control.ports import Page
from millstream.domain.deployments import Deployment

__all__ = ["all_deployments", "folder_id_of", "package_locations", "uses_package"]

_PAGE = 500


def all_deployments(project: Project) -> list[Deployment]:
    found: list[Deployment] = []
    while True:
        page, total = project.services.deployments.list(project.scope, Page(len(found), _PAGE))
        found.extend(page)
        if not page or len(found) >= total:
            return found


def folder_id_of(deployment: Deployment) -> int:
    """The folder a job is filed in (0: the root, also for jobs made by other dialects)."""
    raw = str(spec_of(deployment).get("folderId") or "")
    return int(raw) if raw.isdigit() else 0


def package_locations(project: Project) -> dict[str, str]:
    """Each package name of the project -> its location: a registered package's own
    (``oss://bucket/key`` from CreatePackage, resolved through the artifact resolver's
    scheme map and download checks at submission), a stored file's ``artifacts://``
    URI. Empty where no package service is wired (names then mean stored files)."""
    service = project.services.packages
    if service is None:
        return {}
    return {package.name: package.location for package in service.list(project.scope)}


def uses_package(
    deployment: Deployment, project: Project, name: str, location: str | None = None
) -> bool:
    """The job lists the package in ``packages`` or its artifact names the file (by name,
    by its ``artifacts://`` URI, or by the package's ``location``)."""
    spec = spec_of(deployment)
    listed = {p.strip() for p in str(spec.get("packages") or "").split(",")}
    if name in listed:
        return True
    artifact = deployment.artifact
    uris = {
        artifact.jar_uri,
        artifact.python_artifact_uri,
        *artifact.additional_dependencies,
        *artifact.additional_python_libraries,
        *artifact.additional_python_archives,
    }
    names = {name, artifact_uri(project.scope.workspace, project.scope.namespace, name)}
    if location:
        names.add(location)
    return bool(names & uris)
