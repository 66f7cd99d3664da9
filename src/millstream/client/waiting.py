"""The policy behind ``wait_for_job``, ``wait_for_savepoint`` and ``wait_for_hot_update``:
when to stop polling.

Both clients poll with this policy and differ only in how they sleep. A job or savepoint
that ends in a terminal status nobody asked for stops the wait at once (with the failure
Flink reported) instead of running into the timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from millstream.client.errors import UnexpectedStatusError, WaitTimeoutError
from millstream.client.models import HotUpdateResult, Job, Savepoint

__all__ = [
    "HOT_UPDATED",
    "HOT_UPDATE_FAILED",
    "JOB_TERMINAL",
    "SAVEPOINT_TERMINAL",
    "StatusCallback",
    "hot_update_progress",
    "hot_update_reached",
    "job_reached",
    "savepoint_reached",
    "timeout_error",
    "wanted_set",
]

JOB_TERMINAL = frozenset({"CANCELLED", "FAILED", "FINISHED"})
SAVEPOINT_TERMINAL = frozenset({"COMPLETED", "FAILED"})
HOT_UPDATED = "HOT_UPDATED"
HOT_UPDATE_FAILED = "HOT_UPDATE_FAILED"

# Called with each status seen while polling (the CLI updates its spinner with it).
StatusCallback = Callable[[str | None], None]


def wanted_set(statuses: str | Iterable[str]) -> frozenset[str]:
    """Statuses upper-cased; a single string is one status, not its letters."""
    items = [statuses] if isinstance(statuses, str) else list(statuses)
    return frozenset(status.upper() for status in items)


def job_reached(job: Job, wanted: frozenset[str]) -> bool:
    """True when the job is in a wanted status; raises when it can never get there."""
    state = job.state
    if state in wanted:
        return True
    if state in JOB_TERMINAL:
        raise UnexpectedStatusError(f"job {job.job_id}", state, job.failure_message)
    return False


def savepoint_reached(savepoint: Savepoint, wanted: frozenset[str]) -> bool:
    """True when the savepoint is in a wanted state; raises when it can never get there."""
    state = savepoint.state
    if state in wanted:
        return True
    if state in SAVEPOINT_TERMINAL:
        failure = savepoint.status.failure if savepoint.status else None
        detail = failure.message if failure else None
        raise UnexpectedStatusError(f"savepoint {savepoint.savepoint_id}", state, detail)
    return False


def hot_update_reached(result: HotUpdateResult) -> bool:
    """True once the hot update is done; raises when it failed."""
    if result.state == HOT_UPDATED:
        return True
    if result.state == HOT_UPDATE_FAILED:
        raise UnexpectedStatusError(
            f"hot update {result.job_hot_update_id}", result.state, result.failure_message
        )
    return False


def hot_update_progress(result: HotUpdateResult) -> str | None:
    """What to show while waiting: the phase (STOPPING, STARTING …) says more than
    ``HOT_UPDATING``."""
    return result.phase or result.state


def timeout_error(what: str, wanted: frozenset[str], last: str | None) -> WaitTimeoutError:
    return WaitTimeoutError(what, wanted, last)
