"""JobManager resizes that carry running jobs: suspend them, restart the cluster, resume.

A new JobManager size restarts a session cluster, which would kill its running jobs. A
``ClusterRestart`` is that resize done as one operation that keeps them: every RUNNING
job of the cluster is suspended (stopped with a savepoint, kept SUSPENDED), the new size
is applied (the cluster restarts), and the same jobs are resumed from their savepoints.
It is recorded so that it survives a control-plane restart;
``control.cluster_restarts.ClusterRestartCoordinator`` moves it along the phases below,
one step per tick, and nothing else changes ``phase``.

    REQUESTED ──> SUSPENDING ──> RESTARTING ──> RESUMING ──> DONE
        │              │              │             │
        └──────────────┴──────────────┴─────────────┴──────> FAILED

``suspend_check`` is the decision the SUSPENDING step takes over the carried jobs.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from millstream.domain.errors import InvalidTransition
from millstream.domain.jobs import DesiredState, Job, JobStatus
from millstream.domain.resources import ResourceSpec

__all__ = [
    "CLUSTER_RESTART_TRANSITIONS",
    "OPEN_PHASES",
    "ClusterRestart",
    "ClusterRestartPhase",
    "SuspendCheck",
    "suspend_check",
]


class ClusterRestartPhase(enum.StrEnum):
    REQUESTED = "REQUESTED"  # recorded; the suspends may not all be requested yet
    SUSPENDING = "SUSPENDING"  # every carried job asked to suspend
    RESTARTING = "RESTARTING"  # all suspended; the new size applied, the cluster restarts
    RESUMING = "RESUMING"  # the cluster runs with the new size; the jobs asked to resume
    DONE = "DONE"
    FAILED = "FAILED"


OPEN_PHASES = frozenset(
    {
        ClusterRestartPhase.REQUESTED,
        ClusterRestartPhase.SUSPENDING,
        ClusterRestartPhase.RESTARTING,
        ClusterRestartPhase.RESUMING,
    }
)
_FAILED = frozenset({ClusterRestartPhase.FAILED})
CLUSTER_RESTART_TRANSITIONS: dict[ClusterRestartPhase, frozenset[ClusterRestartPhase]] = {
    ClusterRestartPhase.REQUESTED: _FAILED | {ClusterRestartPhase.SUSPENDING},
    ClusterRestartPhase.SUSPENDING: _FAILED | {ClusterRestartPhase.RESTARTING},
    ClusterRestartPhase.RESTARTING: _FAILED | {ClusterRestartPhase.RESUMING},
    ClusterRestartPhase.RESUMING: _FAILED | {ClusterRestartPhase.DONE},
    ClusterRestartPhase.DONE: frozenset(),
    ClusterRestartPhase.FAILED: frozenset(),
}


@dataclass(slots=True)
class ClusterRestart:
    id: str
    workspace: str
    namespace: str
    cluster: str  # the session cluster's name
    jobmanager: ResourceSpec  # the new JobManager size
    job_ids: list[str] = field(default_factory=list)  # the jobs carried over the restart
    phase: ClusterRestartPhase = ClusterRestartPhase.REQUESTED
    message: str | None = None  # what it does or waits for; why it failed
    failure_reason: str | None = None
    # The cluster's start time when the new size was applied: a RUNNING cluster with
    # another one has restarted since (with the new size).
    previous_start: datetime | None = None
    request_id: str | None = None
    creator: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.phase in OPEN_PHASES

    def move_to(self, phase: ClusterRestartPhase, message: str | None = None) -> None:
        """Change phase along an allowed transition, or raise InvalidTransition."""
        if phase is not self.phase:
            if phase not in CLUSTER_RESTART_TRANSITIONS[self.phase]:
                raise InvalidTransition(
                    f"JobManager resize {self.id} cannot go from {self.phase.value} to "
                    f"{phase.value}"
                )
            self.phase = phase
        if message is not None:
            self.message = message

    def fail(self, reason: str, message: str) -> None:
        self.move_to(ClusterRestartPhase.FAILED, message)
        self.failure_reason = reason


@dataclass(frozen=True, slots=True)
class SuspendCheck:
    """Where the carried jobs' suspends stand: all done, one failed (why), or waiting."""

    done: bool = False
    failure: str | None = None
    waiting_for: tuple[str, ...] = ()  # ids of jobs still being suspended


def suspend_check(job_ids: Sequence[str], jobs: dict[str, Job]) -> SuspendCheck:
    """Decide over the carried jobs (``jobs``: those still stored, by id).

    A job that is SUSPENDED is done; one that ended CANCELLED or FINISHED, or was deleted,
    needs no carrying. A job RUNNING again with nothing more asked of it (the reconciler
    gave up its stop-with-savepoint) or FAILED makes the whole resize fail.
    """
    waiting: list[str] = []
    for job_id in job_ids:
        job = jobs.get(job_id)
        if job is None or job.status in (JobStatus.CANCELLED, JobStatus.FINISHED):
            continue
        if job.status is JobStatus.FAILED:
            reason = job.failure.message if job.failure else "no cause recorded"
            return SuspendCheck(failure=f"job {job_id} failed while suspending: {reason}")
        if job.status is JobStatus.SUSPENDED and job.desired is DesiredState.SUSPENDED:
            continue
        if job.status is JobStatus.RUNNING and job.desired is DesiredState.RUNNING:
            return SuspendCheck(
                failure=f"the suspend of job {job_id} failed (no savepoint), so it keeps "
                "running on the cluster as it is"
            )
        waiting.append(job_id)
    return SuspendCheck(done=not waiting, waiting_for=tuple(waiting))
