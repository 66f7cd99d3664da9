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
from millstream.domain.observed import ObservedStatus
from millstream.domain.resources import ResourceSetting
from millstream.domain.restarts import RestartPolicy

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


# ``domain.admission.AdmissionReason.WAITING_FOR_RESOURCES``: the reason a queued job
# shows while it waits (spelled here too: admission imports nothing from jobs).
WAITING_FOR_RESOURCES = "WAITING_FOR_RESOURCES"
# The reason a live job shows while its cluster does not answer: its observed state is
# ``UNKNOWN`` until the reconciler reads it again (``control.reconciler.observer``).
CLUSTER_UNREACHABLE = "CLUSTER_UNREACHABLE"


class JobStatus(enum.StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    FINISHED = "FINISHED"
    # Stopped with a savepoint on request and remembered: live (holds the deployment's
    # one live job), not terminal; resumed from exactly that savepoint.
    SUSPENDED = "SUSPENDED"


TERMINAL = frozenset({JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.FINISHED})

TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    # STARTING -> STARTING: resubmitted (cluster lost the job before it ran).
    # STARTING/RUNNING -> SUSPENDED: suspended while the cluster had lost the job (no
    # savepoint to take; resume restores from the latest state).
    JobStatus.STARTING: frozenset(
        {
            JobStatus.STARTING,
            JobStatus.RUNNING,
            JobStatus.CANCELLING,
            JobStatus.CANCELLED,
            JobStatus.FAILED,
            JobStatus.FINISHED,
            JobStatus.SUSPENDED,
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
            JobStatus.SUSPENDED,
        }
    ),
    # CANCELLING -> RUNNING: a stop-with-savepoint failed and the job kept running.
    # CANCELLING -> SUSPENDED: a suspend's savepoint completed and the run ended.
    JobStatus.CANCELLING: frozenset(
        {
            JobStatus.CANCELLED,
            JobStatus.FAILED,
            JobStatus.FINISHED,
            JobStatus.RUNNING,
            JobStatus.SUSPENDED,
        }
    ),
    # SUSPENDED -> STARTING: resumed (a new attempt from the suspend savepoint);
    # SUSPENDED -> CANCELLED: stopped while suspended; -> FAILED: resume impossible.
    JobStatus.SUSPENDED: frozenset({JobStatus.STARTING, JobStatus.CANCELLED, JobStatus.FAILED}),
    JobStatus.CANCELLED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.FINISHED: frozenset(),
}


class DesiredState(enum.StrEnum):
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    SUSPENDED = "SUSPENDED"  # stop with a savepoint, keep the job to resume it


class RestoreKind(enum.StrEnum):
    NONE = "NONE"
    LATEST_SAVEPOINT = "LATEST_SAVEPOINT"
    LATEST_STATE = "LATEST_STATE"
    FROM_SAVEPOINT = "FROM_SAVEPOINT"

    @classmethod
    def parse(cls, value: str) -> RestoreKind:
        """A domain restore kind by name (any case); dialects map their own aliases first."""
        try:
            return cls(value.upper())
        except ValueError:
            valid = ", ".join(k.value for k in cls)
            raise InvalidInput(f"unknown restore strategy {value!r}; use one of {valid}") from None


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
            raise InvalidInput(f"unknown stop strategy {value!r}; use one of {valid}") from None


@dataclass(frozen=True, slots=True)
class RestoreStrategy:
    kind: RestoreKind = RestoreKind.NONE
    savepoint_id: str | None = None
    allow_non_restored_state: bool = False
    job_start_time_ms: int | None = None

    def validate(self) -> None:
        if self.kind is RestoreKind.FROM_SAVEPOINT and not self.savepoint_id:
            raise InvalidInput(
                "restoring from a savepoint needs the savepoint's id: name the savepoint "
                "or choose another restore strategy"
            )


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
    observed: ObservedStatus = field(default_factory=ObservedStatus)
    failure: Failure | None = None
    # the savepoint a stop or suspend takes; kept while SUSPENDED: resume restores from it
    stop_savepoint_id: str | None = None
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)  # from the deployment
    restart_history: tuple[datetime, ...] = ()  # when the restart policy restarted the job
    start_time: datetime | None = None
    end_time: datetime | None = None
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    # --- queues and admission (DESIGN.md §5): None queue = not subject to admission
    queue: str | None = None
    priority: int = 0
    schedule_timeout_seconds: int | None = None
    cost_cu: float | None = None  # CUs the job holds while admitted (domain.queues.job_cost)
    enqueued_at: datetime | None = None
    admitted_at: datetime | None = None
    status_reason: str | None = None  # e.g. WAITING_FOR_RESOURCES while STARTING
    # the Flink version of the runtime that runs the current attempt (engine version chosen)
    runtime: str | None = None

    @property
    def waiting_for_admission(self) -> bool:
        """Queued and not admitted yet: the reconciler must not submit it."""
        return self.queue is not None and self.admitted_at is None and not self.is_terminal

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
        if status is not JobStatus.STARTING and self.status_reason == WAITING_FOR_RESOURCES:
            self.status_reason = None  # the wait is over, whatever ended it

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

    def request_suspend(self) -> None:
        """Record the wish to suspend: stop with a savepoint and keep the job to resume."""
        if self.status is not JobStatus.RUNNING or self.desired is not DesiredState.RUNNING:
            being = {
                DesiredState.STOPPED: " and being stopped",
                DesiredState.SUSPENDED: " and being suspended",
            }.get(self.desired, "")
            raise InvalidTransition(
                f"job {self.id} is {self.status.value}{being}; only a RUNNING job can be suspended"
            )
        self.desired = DesiredState.SUSPENDED
        self.stop_strategy = StopStrategy.STOP_WITH_SAVEPOINT

    def request_resume(self) -> None:
        """Record the wish to resume a SUSPENDED job from its suspend savepoint."""
        if self.status is not JobStatus.SUSPENDED or self.desired is not DesiredState.SUSPENDED:
            raise InvalidTransition(
                f"job {self.id} is {self.status.value}; only a SUSPENDED job can be resumed"
            )
        self.desired = DesiredState.RUNNING

    def next_flink_job_id(self) -> str:
        """Advance to a new submission attempt and return its Flink JobID."""
        self.attempt += 1
        self.flink_job_id = flink_job_id(self.id, self.attempt)
        return self.flink_job_id
