"""What a project's jobs refer to: the folder each is filed in (``folderId``) and the
packages each uses, read from the deployments (``mappers.spec_of`` and the artifact's
URIs). Used by ``folders`` (a folder holding jobs cannot be deleted) and ``packages``
(GetRefPackageJob; a package in use cannot be deleted). Blocking: thread pool only.
"""

from __future__ import annotations

from millstream.api.foas.context import Project
from millstream.api.foas.mappers import spec_of
from millstream.control.artifact_ports import artifact_uri
from millstream.control.ports import Page
from millstream.domain.deployments import Deployment

__all__ = ["all_deployments", "folder_id_of", "uses_package"]

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


def uses_package(deployment: Deployment, project: Project, name: str) -> bool:
    """The job lists the package in ``packages`` or its artifact names the file."""
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
    return bool({name, artifact_uri(project.scope.workspace, project.scope.namespace, name)} & uris)
