"""Jobs: one run of a deployment, its desired state and its status state machine.

A user action only changes ``desired`` (and records an event); the reconciler moves
``status`` by the transitions in ``TRANSITIONS`` and nothing else does.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from millstream.domain.artifacts import Artifact, ExecutionMode
from millstream.domain.deployments import Logging
from millstream.domain.errors import InvalidInput, InvalidTransition
from millstream.domain.resources import ResourceSetting

__all__ = [
    "TERMINAL",
    "TRANSITIONS",
    "DesiredState",
    "Failure",
    "Job",
    "JobStatus",
    "RestoreKind",
    "RestoreStrategy",
    "StopStrategy",
    "flink_job_id",
]


class JobStatus(enum.StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    FINISHED = "FINISHED"


TERMINAL = frozenset({JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.FINISHED})

TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    # STARTING -> STARTING: resubmitted (cluster lost the job before it ran).
    JobStatus.STARTING: frozenset(
        {
            JobStatus.STARTING,
            JobStatus.RUNNING,
            JobStatus.CANCELLING,
            JobStatus.CANCELLED,
            JobStatus.FAILED,
            JobStatus.FINISHED,
        }
    ),
    # RUNNING -> STARTING: the cluster lost the job and it is being resubmitted.
    # RUNNING -> CANCELLED: someone cancelled the job in Flink itself (web UI, REST).
    JobStatus.RUNNING: frozenset(
        {
            JobStatus.STARTING,
            JobStatus.CANCELLING,
            JobStatus.CANCELLED,
            JobStatus.FAILED,
            JobStatus.FINISHED,
        }
    ),
    # CANCELLING -> RUNNING: a stop-with-savepoint failed and the job kept running.
    JobStatus.CANCELLING: frozenset(
        {JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.FINISHED, JobStatus.RUNNING}
    ),
    JobStatus.CANCELLED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.FINISHED: frozenset(),
}


class DesiredState(enum.StrEnum):
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class RestoreKind(enum.StrEnum):
    NONE = "NONE"
    LATEST_SAVEPOINT = "LATEST_SAVEPOINT"
    LATEST_STATE = "LATEST_STATE"
    FROM_SAVEPOINT = "FROM_SAVEPOINT"

    @classmethod
    def parse(cls, value: str) -> RestoreKind:
        aliases = {"FROM_NEW": cls.NONE, "FROM_LATEST": cls.LATEST_STATE}
        upper = value.upper()
        if upper in aliases:
            return aliases[upper]
        try:
            return cls(upper)
        except ValueError:
            valid = ", ".join(k.value for k in cls)
            raise InvalidInput(
                f"unknown restoreStrategy.kind {value!r}; use one of {valid}"
            ) from None


class StopStrategy(enum.StrEnum):
    NONE = "NONE"  # plain cancel, no state kept
    STOP_WITH_SAVEPOINT = "STOP_WITH_SAVEPOINT"
    STOP_WITH_DRAIN = "STOP_WITH_DRAIN"

    @classmethod
    def parse(cls, value: str) -> StopStrategy:
        try:
            return cls(value.upper())
        except ValueError:
            valid = ", ".join(k.value for k in cls)
            raise InvalidInput(f"unknown stopStrategy {value!r}; use one of {valid}") from None


@dataclass(frozen=True, slots=True)
class RestoreStrategy:
    kind: RestoreKind = RestoreKind.NONE
    savepoint_id: str | None = None
    allow_non_restored_state: bool = False
    job_start_time_ms: int | None = None

    def validate(self) -> None:
        if self.kind is RestoreKind.FROM_SAVEPOINT and not self.savepoint_id:
            raise InvalidInput("restoreStrategy.savepointId is required with FROM_SAVEPOINT")


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a job failed: Flink's root exception when there is one (seed 000 status.failure)."""

    message: str
    reason: str
    failed_at: datetime


def flink_job_id(job_id: str, attempt: int) -> str:
    """Deterministic 32-hex Flink JobID for one submission attempt of one job.

    Flink never accepts a JobID twice on the same JobManager, so every resubmission
    (attempt) gets its own id; a retried submission of the same attempt reuses it and
    so finds the job already there instead of creating a duplicate.
    """
    return uuid.uuid5(uuid.UUID(job_id), f"attempt-{attempt}").hex


@dataclass(slots=True)
class Job:
    id: str
    workspace: str
    namespace: str
    deployment_id: str
    deployment_name: str
    artifact: Artifact
    execution_mode: ExecutionMode
    engine_version: str | None
    resources: ResourceSetting
    flink_conf: dict[str, Any]  # effective configuration sent to Flink
    user_flink_conf: dict[str, Any]  # the deployment's own flinkConf at start
    logging: Logging
    local_variables: dict[str, str]
    restore: RestoreStrategy
    cluster: str
    desired: DesiredState = DesiredState.RUNNING
    stop_strategy: StopStrategy | None = None
    status: JobStatus = JobStatus.STARTING
    attempt: int = 0
    flink_job_id: str | None = None
    restored_from: str | None = None  # savepoint/checkpoint path the current attempt used
    observed_flink_status: str | None = None
    observed_restarts: int | None = None
    observed_modified_ms: int | None = None
    failure: Failure | None = None
    stop_savepoint_id: str | None = None  # savepoint being taken by a stop
    start_time: datetime | None = None
    end_time: datetime | None = None
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def move_to(self, status: JobStatus) -> None:
        """Change status along an allowed transition, or raise InvalidTransition."""
        if status is self.status and status not in TERMINAL:
            return
        if status not in TRANSITIONS[self.status]:
            raise InvalidTransition(
                f"job {self.id} cannot go from {self.status.value} to {status.value}"
            )
        self.status = status

    def request_stop(self, strategy: StopStrategy) -> None:
        """Record the wish to stop; the reconciler carries it out."""
        if self.is_terminal:
            raise InvalidTransition(
                f"job {self.id} is already {self.status.value}; only a live job can be stopped"
            )
        if self.desired is DesiredState.STOPPED:
            raise InvalidTransition(f"job {self.id} is already being stopped")
        self.desired = DesiredState.STOPPED
        self.stop_strategy = strategy

    def next_flink_job_id(self) -> str:
        """Advance to a new submission attempt and return its Flink JobID."""
        self.attempt += 1
        self.flink_job_id = flink_job_id(self.id, self.attempt)
        return self.flink_job_id
