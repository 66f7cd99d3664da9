"""Ports for clusters Millstream runs itself: the processes of session and dedicated
clusters (``ClusterProcesses``), the health check of external ones (``ClusterProbe``) and
the TaskManagers of a running one with their slots (``TaskManagerProbe``: a shrink must
know which are idle).

``engine.cluster_manager.ClusterManager`` implements ``ClusterProcesses``,
``engine.cluster_manager.FlinkProbe`` the two probes. A running cluster's processes follow
``ProcessSpec.taskmanagers`` live; a newer ``generation`` with other sizes restarts it.
The reconciler calls ``ensure``/``release`` every tick; they never block on a JVM start
or stop (that runs in the background and is seen as ``STARTING``/``STOPPING`` until done),
so one slow cluster never delays the other jobs' reconciliation.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from millstream.domain.clusters import TaskManagerSlots
from millstream.domain.deployments import Logging

__all__ = [
    "ClusterProbe",
    "ClusterProcesses",
    "ProcessSpec",
    "ProcessState",
    "ProcessStatus",
    "TaskManagerProbe",
]


class ProcessStatus(enum.StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    """One managed cluster as processes: where it lives and how big it is."""

    key: str  # unique and stable: '<workspace>/<name>'; names the data directory
    taskmanagers: int
    slots: int
    jobmanager_memory: str  # Flink syntax, e.g. '1024m'
    taskmanager_memory: str
    flink_conf: dict[str, Any] = field(default_factory=dict)
    logging: Logging | None = None  # dedicated clusters: the job's log4j configuration
    # A higher generation retries a cluster that FAILED, and restarts a running one whose
    # sizes or configuration changed (the TaskManager count changes live, at any generation).
    generation: int = 0
    preferred_rest_url: str | None = None  # keep the port of the previous run if free
    runtime: str | None = None  # the Flink version of the runtime it runs (None: bundled)


@dataclass(frozen=True, slots=True)
class ProcessState:
    status: ProcessStatus
    rest_url: str | None = None
    failure: str | None = None


class ClusterProcesses(Protocol):
    def ensure(self, spec: ProcessSpec) -> ProcessState:
        """Make the cluster run: adopt one left running by an earlier Millstream, else
        start it in the background. A FAILED cluster is retried only for a newer
        ``spec.generation``."""
        ...

    def release(self, key: str) -> ProcessState:
        """Make the cluster stop (in the background); STOPPED once nothing is left."""
        ...

    def state(self, key: str) -> ProcessState:
        """What the processes of ``key`` are doing now (STOPPED if unknown)."""
        ...


class ClusterProbe(Protocol):
    def check(self, rest_url: str) -> dict[str, Any]:
        """``GET /overview`` of a Flink cluster; raise ``EngineUnavailable`` (unreachable)
        or ``InvalidInput`` (not a Flink REST endpoint) saying what is wrong."""
        ...


@runtime_checkable
class TaskManagerProbe(Protocol):
    def taskmanagers(self, rest_url: str) -> list[TaskManagerSlots]:
        """Flink's registered TaskManagers with their slots and free slots; raise
        ``EngineUnavailable`` when the cluster does not answer."""
        ...
