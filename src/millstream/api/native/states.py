"""The native dialect's names for domain states: one total table per domain enum.

The native mappers render every state through these tables, never through an enum's
``.value``, so the domain can name its states freely and a state added to the domain
without a native name fails ``tests/unit/api/test_dialect_mappings.py`` instead of
leaking onto the wire. The wire names are the Ververica 2022-07-18 ones the official SDK
documents (``JobStatus.currentJobStatus``, ``SavepointStatus.state``,
``SessionClusterStatus.currentSessionClusterStatus``, ``HotUpdateJobStatus.status``,
``JobStatusRunning.observedFlinkJobStatus``).

Called by ``api/native/mappers/``, ``clusters.py`` and ``operations.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from millstream.domain.clusters import ClusterStatus
from millstream.domain.hot_updates import HotUpdatePhase, HotUpdateStatus
from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.observed import ObservedState
from millstream.domain.savepoints import SavepointOrigin, SavepointState

__all__ = [
    "CLUSTER_STATUSES",
    "DESIRED_STATES",
    "HOT_UPDATE_PHASES",
    "HOT_UPDATE_STATUSES",
    "JOB_STATUSES",
    "OBSERVED_STATES",
    "SAVEPOINT_ORIGINS",
    "SAVEPOINT_STATES",
]

# ``Job.status.currentJobStatus``. A suspended job has no Ververica job state of its own
# (Ververica suspends deployments); ``SUSPENDED`` is the deployment state VVP uses for it.
JOB_STATUSES: Mapping[JobStatus, str] = MappingProxyType(
    {
        JobStatus.STARTING: "STARTING",
        JobStatus.RUNNING: "RUNNING",
        JobStatus.CANCELLING: "CANCELLING",
        JobStatus.CANCELLED: "CANCELLED",
        JobStatus.FAILED: "FAILED",
        JobStatus.FINISHED: "FINISHED",
        JobStatus.SUSPENDED: "SUSPENDED",
    }
)

# ``Job.status.running.observedFlinkJobStatus``: the state of the job's current engine run.
# The native wire has always carried Flink's own job state names here, and the domain's
# ``ObservedState`` values are those names, so the table is the identity; it exists so a
# state added to the domain gets a deliberate native name (the dialect-mapping test).
OBSERVED_STATES: Mapping[ObservedState, str] = MappingProxyType(
    {
        ObservedState.INITIALIZING: "INITIALIZING",
        ObservedState.CREATED: "CREATED",
        ObservedState.RUNNING: "RUNNING",
        ObservedState.FAILING: "FAILING",
        ObservedState.FAILED: "FAILED",
        ObservedState.CANCELLING: "CANCELLING",
        ObservedState.CANCELED: "CANCELED",
        ObservedState.FINISHED: "FINISHED",
        ObservedState.RESTARTING: "RESTARTING",
        ObservedState.SUSPENDED: "SUSPENDED",
        ObservedState.RECONCILING: "RECONCILING",
        ObservedState.UNKNOWN: "UNKNOWN",
    }
)

# What the user asked a deployment's job to be, in Ververica Platform's deployment states
# (``RUNNING``, ``CANCELLED``, ``SUSPENDED``), for native answers that show intent.
DESIRED_STATES: Mapping[DesiredState, str] = MappingProxyType(
    {
        DesiredState.RUNNING: "RUNNING",
        DesiredState.STOPPED: "CANCELLED",
        DesiredState.SUSPENDED: "SUSPENDED",
    }
)

# ``Savepoint.status.state``.
SAVEPOINT_STATES: Mapping[SavepointState, str] = MappingProxyType(
    {
        SavepointState.STARTED: "STARTED",
        SavepointState.COMPLETED: "COMPLETED",
        SavepointState.FAILED: "FAILED",
    }
)

# ``Savepoint.savepointOrigin``.
SAVEPOINT_ORIGINS: Mapping[SavepointOrigin, str] = MappingProxyType(
    {
        SavepointOrigin.USER_REQUEST: "USER_REQUEST",
        SavepointOrigin.STOP_WITH_SAVEPOINT: "STOP_WITH_SAVEPOINT",
        SavepointOrigin.RETAINED_CHECKPOINT: "RETAINED_CHECKPOINT",
        SavepointOrigin.SCHEDULE: "SCHEDULE",
    }
)

# ``SessionCluster.status.currentSessionClusterStatus``.
CLUSTER_STATUSES: Mapping[ClusterStatus, str] = MappingProxyType(
    {
        ClusterStatus.STARTING: "STARTING",
        ClusterStatus.RUNNING: "RUNNING",
        ClusterStatus.STOPPING: "STOPPING",
        ClusterStatus.STOPPED: "STOPPED",
        ClusterStatus.FAILED: "FAILED",
    }
)

# ``HotUpdateJobStatus.status``.
HOT_UPDATE_STATUSES: Mapping[HotUpdateStatus, str] = MappingProxyType(
    {
        HotUpdateStatus.HOT_UPDATING: "HOT_UPDATING",
        HotUpdateStatus.HOT_UPDATED: "HOT_UPDATED",
        HotUpdateStatus.HOT_UPDATE_FAILED: "HOT_UPDATE_FAILED",
    }
)

# The progress of a hot update (``phase`` beside the status in the native result).
HOT_UPDATE_PHASES: Mapping[HotUpdatePhase, str] = MappingProxyType(
    {
        HotUpdatePhase.REQUESTED: "REQUESTED",
        HotUpdatePhase.STOPPING: "STOPPING",
        HotUpdatePhase.STARTING: "STARTING",
        HotUpdatePhase.DONE: "DONE",
        HotUpdatePhase.FAILED: "FAILED",
    }
)
