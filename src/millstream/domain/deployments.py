"""Deployments: what a user wants to run, and how (seed 000 and the SDK's ``Deployment``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from millstream.domain.artifacts import Artifact, ExecutionMode
from millstream.domain.errors import InvalidInput
from millstream.domain.names import has_control_characters
from millstream.domain.queues import validate_queue_name
from millstream.domain.resources import ResourceSetting
from millstream.domain.restarts import RestartPolicy

__all__ = ["Deployment", "Logging", "validate_deployment_name", "validate_scheduling"]

_MAX_NAME = 128


def validate_deployment_name(name: str) -> str:
    if not name or not name.strip():
        raise InvalidInput("deployment name is required")
    if len(name) > _MAX_NAME or any(ch in name for ch in "/\\") or has_control_characters(name):
        raise InvalidInput(
            f"invalid deployment name {name!r}: at most {_MAX_NAME} characters, "
            "no slashes or control characters"
        )
    return name


def validate_scheduling(priority: int, schedule_timeout_seconds: int | None) -> None:
    """Priority and schedule timeout of a deployment's jobs (queues, DESIGN.md §5)."""
    if not -1000 <= priority <= 1000:
        raise InvalidInput(f"priority must be between -1000 and 1000, got {priority}")
    if schedule_timeout_seconds is not None and not 1 <= schedule_timeout_seconds <= 31_536_000:
        raise InvalidInput(
            "scheduleTimeoutSeconds must be between 1 and 31536000 (a year), "
            f"got {schedule_timeout_seconds}"
        )


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
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)  # off by default
    queue: str | None = None  # queue its jobs wait on; None = the cluster's default queue
    priority: int = 0  # higher is admitted first (domain.admission)
    schedule_timeout_seconds: int | None = None  # how long a job may wait; None = forever
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
        self.restart_policy.validate()
        validate_scheduling(self.priority, self.schedule_timeout_seconds)
        if self.queue is not None:
            validate_queue_name(self.queue)

    @property
    def resources(self) -> ResourceSetting:
        """The setting that applies to this deployment's execution mode."""
        if self.execution_mode is ExecutionMode.BATCH:
            return self.batch_resource
        return self.streaming_resource
