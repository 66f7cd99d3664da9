"""Use cases, one module per resource; ``Services`` bundles them for the API dialects."""

from __future__ import annotations

from dataclasses import dataclass

from millstream.control.engine_versions import EngineVersions
from millstream.control.services.artifacts import ArtifactService
from millstream.control.services.deployments import DeploymentPatch, DeploymentService
from millstream.control.services.events import EventService
from millstream.control.services.jobs import JobService
from millstream.control.services.logs import LogService
from millstream.control.services.savepoints import SavepointService
from millstream.control.services.variables import VariableService

__all__ = [
    "ArtifactService",
    "DeploymentPatch",
    "DeploymentService",
    "EventService",
    "JobService",
    "SavepointService",
    "Services",
]


@dataclass(frozen=True, slots=True)
class Services:
    """Everything an API dialect, the console or the CLI server side may call."""

    deployments: DeploymentService
    jobs: JobService
    savepoints: SavepointService
    events: EventService
    versions: EngineVersions
    default_workspace: str
    variables: VariableService | None = None
    logs: LogService | None = None
    artifacts: ArtifactService | None = None
