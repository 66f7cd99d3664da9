"""Domain job states -> foas instance states (spec §2.1: WAITING, RUNNING, PAUSED,
TERMINATED, SUCCESS, FAILED; UNKNOWN only in the document's demo).

A foas instance is a Millstream job (one run of a deployment). ``JOB_STATES`` is the one
table of its ``ActualState`` (total, walked by ``tests/unit/api/test_dialect_mappings.py``):
a STARTING job is WAITING (queued or being submitted); a SUSPENDED job (stopped with a
savepoint, kept to resume) is PAUSED. The document has no word for an instance on its way
down, and a client polling for TERMINATED or PAUSED must not stop early, so CANCELLING is
``TERMINATING`` (``PAUSING`` while it takes the pause's savepoint), Millstream's addition.
``expect_state`` is the instance's ``ExpectState``: what was last asked of it (desired
state).
Used by ``mappers`` and ``instances``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from millstream.domain.jobs import DesiredState, Job, JobStatus

__all__ = [
    "EXPECT_STATES",
    "JOB_STATES",
    "PAUSED",
    "RUNNING",
    "TERMINATED",
    "UNKNOWN",
    "actual_state",
    "expect_state",
]

WAITING = "WAITING"
RUNNING = "RUNNING"
PAUSED = "PAUSED"
TERMINATED = "TERMINATED"
SUCCESS = "SUCCESS"
FAILED = "FAILED"
UNKNOWN = "UNKNOWN"
TERMINATING = "TERMINATING"
PAUSING = "PAUSING"

JOB_STATES: Mapping[JobStatus, str] = MappingProxyType(
    {
        JobStatus.STARTING: WAITING,
        JobStatus.RUNNING: RUNNING,
        JobStatus.CANCELLING: TERMINATING,
        JobStatus.CANCELLED: TERMINATED,
        JobStatus.FAILED: FAILED,
        JobStatus.FINISHED: SUCCESS,
        JobStatus.SUSPENDED: PAUSED,
    }
)

# The states ModifyInstanceState may ask for (SUCCESS/FAILED are batch outcomes, not wishes).
EXPECT_STATES = frozenset({RUNNING, PAUSED, TERMINATED})

_EXPECT: Mapping[DesiredState, str] = MappingProxyType(
    {
        DesiredState.RUNNING: RUNNING,
        DesiredState.STOPPED: TERMINATED,
        DesiredState.SUSPENDED: PAUSED,
    }
)


def actual_state(job: Job | None) -> str:
    """The instance's ``ActualState`` (UNKNOWN: the job never ran)."""
    if job is None:
        return UNKNOWN
    if job.status is JobStatus.CANCELLING and job.desired is DesiredState.SUSPENDED:
        return PAUSING
    return JOB_STATES[job.status]


def expect_state(job: Job | None) -> str:
    """The instance's ``ExpectState``: a job that ended on its own expects its outcome."""
    if job is None:
        return UNKNOWN
    if job.is_terminal and job.desired is DesiredState.RUNNING:
        return JOB_STATES[job.status]
    return _EXPECT[job.desired]
