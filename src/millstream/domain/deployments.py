"""Deployments: what a user wants to run, and how (seed 000 and the SDK's ``Deployment``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from millstream.domain.artifacts import Artifact, ExecutionMode
from millstream.domain.errors import InvalidInput
from millstream.domain.resources import ResourceSetting

__all__ = ["Deployment", "Logging", "validate_deployment_name"]

_MAX_NAME = 128


def validate_deployment_name(name: str) -> str:
    if not name or not name.strip():
        raise InvalidInput("deployment name is required")
    if len(name) > _MAX_NAME or any(ch in name for ch in "/\\\n\r\t"):
        raise InvalidInput(
            f"invalid deployment name {name!r}: at most {_MAX_NAME} characters, "
            "no slashes or control characters"
        )
    return name


@dataclass(frozen=True, slots=True)
class Logging:
    """Seed 000 ``logging``; applied where the target allows it (dedicated clusters)."""

    logging_profile: str | None = None
    log4j2_configuration_template: str | None = None
    log4j_loggers: tuple[tuple[str, str], ...] = ()
    log_reserve_open_history: bool | None = None
    log_reserve_expiration_days: int | None = None


@dataclass(slots=True)
class Deployment:
    id: str
    workspace: str
    namespace: str
    name: str
    artifact: Artifact
    execution_mode: ExecutionMode = ExecutionMode.STREAMING
    engine_version: str | None = None
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    flink_conf: dict[str, Any] = field(default_factory=dict)
    streaming_resource: ResourceSetting = field(default_factory=ResourceSetting)
    batch_resource: ResourceSetting = field(default_factory=ResourceSetting)
    logging: Logging = field(default_factory=Logging)
    local_variables: dict[str, str] = field(default_factory=dict)
    cluster: str | None = None  # session cluster / deployment target name; None = default
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    version: int = 1

    def validate(self) -> None:
        validate_deployment_name(self.name)
        self.artifact.validate()
        self.streaming_resource.validate()
        self.batch_resource.validate()

    @property
    def resources(self) -> ResourceSetting:
        """The setting that applies to this deployment's execution mode."""
        if self.execution_mode is ExecutionMode.BATCH:
            return self.batch_resource
        return self.streaming_resource
