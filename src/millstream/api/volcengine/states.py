"""Domain states as the Volcengine Flink console and its SDK show them: one total table
per domain enum the dialect renders.

- ``INSTANCE_STATES``: a job's status as an application instance ``State``; an
  application (a deployment) shows its newest instance's state, ``CREATED`` before its
  first start. ``ListApplicationInstance`` filters by these names (``statuses_of``).
- ``DESIRED_STATES``: what the caller asked of an instance.
- ``SAVEPOINT_STATES`` / ``SAVEPOINT_CREATE_TYPES``: ``Status`` and ``CreateType`` of
  ListGWSSavepoint and GetGWSStartMethod.
- ``POOL_STATES``: a cluster's status as a resource pool ``Status``.

The mappers render states only through these tables, so a state added to the domain
without a Volcengine name fails the mapping tests instead of reaching the SDK. The README
documents the instance table.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from millstream.domain.clusters import ClusterStatus
from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.savepoints import SavepointOrigin, SavepointState

__all__ = [
    "APPLICATION_NEVER_STARTED",
    "DESIRED_STATES",
    "INSTANCE_STATES",
    "POOL_STATES",
    "SAVEPOINT_CREATE_TYPES",
    "SAVEPOINT_STATES",
    "application_state",
    "instance_state",
    "statuses_of",
]

INSTANCE_STATES: Mapping[JobStatus, str] = MappingProxyType(
    {
        JobStatus.STARTING: "STARTING",
        JobStatus.RUNNING: "RUNNING",
        JobStatus.CANCELLING: "STOPPING",
        JobStatus.CANCELLED: "STOPPED",
        JobStatus.FAILED: "FAILED",
        JobStatus.FINISHED: "FINISHED",
        JobStatus.SUSPENDED: "SUSPENDED",
    }
)

DESIRED_STATES: Mapping[DesiredState, str] = MappingProxyType(
    {
        DesiredState.RUNNING: "RUNNING",
        DesiredState.STOPPED: "STOPPED",
        DesiredState.SUSPENDED: "SUSPENDED",
    }
)

SAVEPOINT_STATES: Mapping[SavepointState, str] = MappingProxyType(
    {
        SavepointState.STARTED: "IN_PROGRESS",
        SavepointState.COMPLETED: "COMPLETED",
        SavepointState.FAILED: "FAILED",
    }
)

SAVEPOINT_CREATE_TYPES: Mapping[SavepointOrigin, str] = MappingProxyType(
    {
        SavepointOrigin.USER_REQUEST: "MANUAL",
        SavepointOrigin.STOP_WITH_SAVEPOINT: "STOP",
        SavepointOrigin.RETAINED_CHECKPOINT: "CHECKPOINT",
        SavepointOrigin.SCHEDULE: "PERIODIC",
    }
)

POOL_STATES: Mapping[ClusterStatus, str] = MappingProxyType(
    {
        ClusterStatus.STARTING: "CREATING",
        ClusterStatus.RUNNING: "RUNNING",
        ClusterStatus.STOPPING: "STOPPING",
        ClusterStatus.STOPPED: "STOPPED",
        ClusterStatus.FAILED: "FAILED",
    }
)

APPLICATION_NEVER_STARTED = "CREATED"

# "ALL" (and an empty filter) match every instance: the SDK makes State mandatory.
_ANY_STATE = frozenset({"", "ALL"})


def instance_state(status: JobStatus) -> str:
    """The wire state of one instance (a job)."""
    return INSTANCE_STATES[status]


def application_state(newest_job_status: JobStatus | None) -> str:
    """An application's state: that of its newest instance, ``CREATED`` without one."""
    if newest_job_status is None:
        return APPLICATION_NEVER_STARTED
    return INSTANCE_STATES[newest_job_status]


def statuses_of(state: str | None) -> frozenset[JobStatus] | None:
    """The domain statuses a ``State`` filter selects; None selects every instance."""
    wanted = (state or "").strip().upper()
    if wanted in _ANY_STATE:
        return None
    found = frozenset(status for status, name in INSTANCE_STATES.items() if name == wanted)
    if not found:
        valid = ", ".join(sorted({*INSTANCE_STATES.values(), "ALL"}))
        raise InvalidInput(
            f"unknown instance state {state!r}; use one of {valid}", code=ErrorCode.INVALID_INPUT
        )
    return found
