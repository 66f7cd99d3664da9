"""Flink's job states, translated into the domain's neutral ``ObservedState``.

Flink's ``JobStatus`` (``/jobs/overview`` ``state``) is an engine word; the reconciler and
``domain.decisions`` only see ``ObservedState``. ``RestFlinkCluster.list_jobs`` calls
``observed_state`` for every row. A state a newer Flink adds maps to ``UNKNOWN`` (treated
as live) instead of failing the whole observation.
"""

from __future__ import annotations

from millstream.domain.observed import ObservedState

__all__ = ["FLINK_JOB_STATES", "observed_state"]

# Every state of org.apache.flink.api.common.JobStatus (Flink 1.13 ... 2.x).
FLINK_JOB_STATES: dict[str, ObservedState] = {
    "INITIALIZING": ObservedState.INITIALIZING,
    "CREATED": ObservedState.CREATED,
    "RUNNING": ObservedState.RUNNING,
    "FAILING": ObservedState.FAILING,
    "FAILED": ObservedState.FAILED,
    "CANCELLING": ObservedState.CANCELLING,
    "CANCELED": ObservedState.CANCELED,
    "FINISHED": ObservedState.FINISHED,
    "RESTARTING": ObservedState.RESTARTING,
    "SUSPENDED": ObservedState.SUSPENDED,
    "RECONCILING": ObservedState.RECONCILING,
}


def observed_state(flink_state: str) -> ObservedState:
    """The domain state for one of Flink's job state names (case-insensitive)."""
    return FLINK_JOB_STATES.get(flink_state.upper(), ObservedState.UNKNOWN)
