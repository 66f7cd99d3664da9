"""Events: the history of what happened to a deployment and its jobs (GetEvents)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Event", "EventName"]


class EventName(enum.StrEnum):
    DEPLOYMENT_CREATED = "DEPLOYMENT_CREATED"
    DEPLOYMENT_UPDATED = "DEPLOYMENT_UPDATED"
    DEPLOYMENT_DELETED = "DEPLOYMENT_DELETED"
    JOB_START_REQUESTED = "JOB_START_REQUESTED"
    JOB_WAITING = "JOB_WAITING"  # queued: its queue has no room yet (domain.admission)
    JOB_ADMITTED = "JOB_ADMITTED"  # its queue had room: it will be submitted now
    JOB_SUBMITTING = "JOB_SUBMITTING"
    JOB_SUBMITTED = "JOB_SUBMITTED"
    JOB_ADOPTED = "JOB_ADOPTED"
    JOB_RUNNING = "JOB_RUNNING"
    JOB_RESTARTED = "JOB_RESTARTED"
    JOB_RESUBMITTING = "JOB_RESUBMITTING"
    JOB_STOP_REQUESTED = "JOB_STOP_REQUESTED"
    JOB_STOPPING = "JOB_STOPPING"
    JOB_CANCELLED = "JOB_CANCELLED"
    JOB_FINISHED = "JOB_FINISHED"
    JOB_FAILED = "JOB_FAILED"
    JOB_DELETED = "JOB_DELETED"
    STOP_FAILED = "STOP_FAILED"
    JOB_SUSPEND_REQUESTED = "JOB_SUSPEND_REQUESTED"
    JOB_SUSPENDED = "JOB_SUSPENDED"
    JOB_RESUME_REQUESTED = "JOB_RESUME_REQUESTED"
    JOB_RESTARTING_AFTER_FAILURE = "JOB_RESTARTING_AFTER_FAILURE"  # the restart policy
    SAVEPOINT_REQUESTED = "SAVEPOINT_REQUESTED"
    SAVEPOINT_TRIGGERED = "SAVEPOINT_TRIGGERED"
    SAVEPOINT_COMPLETED = "SAVEPOINT_COMPLETED"
    SAVEPOINT_FAILED = "SAVEPOINT_FAILED"
    SAVEPOINT_DELETED = "SAVEPOINT_DELETED"
    CLUSTER_UNREACHABLE = "CLUSTER_UNREACHABLE"
    CLUSTER_REACHABLE = "CLUSTER_REACHABLE"
    # Health checks (domain.health): unhealthy with the reason, healthy again, the
    # last stable spec recorded, an unhealthy job restarted, a new spec rolled back.
    JOB_UNHEALTHY = "JOB_UNHEALTHY"
    JOB_HEALTHY = "JOB_HEALTHY"
    SPEC_STABLE = "SPEC_STABLE"
    HEALTH_RESTART = "HEALTH_RESTART"
    DEPLOYMENT_ROLLED_BACK = "DEPLOYMENT_ROLLED_BACK"


@dataclass(slots=True)
class Event:
    id: str
    workspace: str
    namespace: str
    name: EventName
    message: str
    created_at: datetime
    deployment_id: str | None = None
    job_id: str | None = None
