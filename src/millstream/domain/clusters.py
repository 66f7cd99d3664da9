"""Clusters: the Flink clusters jobs run on (embedded, session, dedicated, external REST).

- ``EMBEDDED``: the local standalone cluster Millstream starts at boot (the ``default``).
- ``SESSION``: a named session cluster Millstream starts and stops on request; its
  ``desired`` state (STARTED/STOPPED) is reconciled into ``status``.
- ``DEDICATED``: a per-job cluster the reconciler starts before submitting one job and
  tears down after it ended (``job_id`` names that job).
- ``EXTERNAL``: any Flink session cluster given by its REST URL (a deployment target).

``cluster_size`` is the arithmetic that turns resource settings into processes;
``TaskManagerSlots`` and ``removable_taskmanagers`` decide which TaskManagers of a running
cluster a shrink may stop (only idle ones: a shrink never takes slots a job uses).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from millstream.domain.deployments import Logging
from millstream.domain.errors import Conflict, ErrorCode, InvalidInput
from millstream.domain.resources import ResourceSetting, ResourceSpec, format_memory

__all__ = [
    "MANAGED_KINDS",
    "SLOTS_KEY",
    "Cluster",
    "ClusterDesiredState",
    "ClusterFailure",
    "ClusterKind",
    "ClusterSize",
    "ClusterStatus",
    "TaskManagerSlots",
    "cluster_size",
    "dedicated_cluster_name",
    "idle_newest_first",
    "removable_taskmanagers",
    "validate_cluster_name",
]

SLOTS_KEY = "taskmanager.numberOfTaskSlots"
_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?")


class ClusterKind(enum.StrEnum):
    EMBEDDED = "EMBEDDED"  # the local standalone cluster Millstream starts itself
    SESSION = "SESSION"  # a session cluster Millstream starts on request
    DEDICATED = "DEDICATED"  # a per-job cluster the reconciler starts for one job
    EXTERNAL = "EXTERNAL"  # any Flink session cluster given by its REST URL


MANAGED_KINDS = frozenset({ClusterKind.SESSION, ClusterKind.DEDICATED})


class ClusterDesiredState(enum.StrEnum):
    STARTED = "STARTED"
    STOPPED = "STOPPED"


class ClusterStatus(enum.StrEnum):
    """Where a cluster is in its life (dialects name it in their ``states.py``)."""

    STARTING = "STARTING"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class ClusterFailure:
    message: str
    reason: str
    failed_at: datetime


@dataclass(slots=True)
class Cluster:
    id: str
    workspace: str
    namespace: str | None  # None: usable from every namespace
    name: str
    kind: ClusterKind
    rest_url: str
    flink_conf: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    modified_at: datetime | None = None
    # --- managed clusters (SESSION, DEDICATED); None/defaults for the others
    desired: ClusterDesiredState | None = None
    status: ClusterStatus | None = None
    resources: ResourceSetting = field(default_factory=ResourceSetting)
    engine_version: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    logging: Logging = field(default_factory=Logging)
    deployment_target_name: str | None = None
    quota: ResourceSpec | None = None  # deployment targets: the limit they declare
    failure: ClusterFailure | None = None
    started_at: datetime | None = None
    generation: int = 0  # bumped by every user start: a new attempt after a failure
    job_id: str | None = None  # DEDICATED: the job it runs
    creator: str | None = None
    modifier: str | None = None
    version: int = 1

    @property
    def managed(self) -> bool:
        """Millstream owns its processes (start, stop, teardown)."""
        return self.kind in MANAGED_KINDS

    @property
    def ready(self) -> bool:
        """Jobs can be observed and submitted on it now."""
        return not self.managed or self.status is ClusterStatus.RUNNING

    def size(self, *, default_slots: int) -> ClusterSize:
        return cluster_size(self.resources, self.flink_conf, default_slots=default_slots)


@dataclass(frozen=True, slots=True)
class ClusterSize:
    """What a managed cluster's processes look like."""

    taskmanagers: int
    slots: int
    jobmanager_memory: str  # Flink syntax: '1024m'
    taskmanager_memory: str
    jobmanager_cpu: float
    taskmanager_cpu: float


def cluster_size(
    resources: ResourceSetting, flink_conf: dict[str, Any], *, default_slots: int
) -> ClusterSize:
    """TaskManager count = ceil(parallelism / slots); slots from the cluster's
    ``taskmanager.numberOfTaskSlots`` (else ``default_slots``)."""
    raw = flink_conf.get(SLOTS_KEY, default_slots)
    try:
        slots = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"the Flink configuration's {SLOTS_KEY} must be a whole number, got {raw!r}"
        ) from None
    if not 1 <= slots <= 1024:
        raise InvalidInput(
            f"the Flink configuration's {SLOTS_KEY} must be between 1 and 1024, got {slots}"
        )
    parallelism = resources.effective_parallelism()
    return ClusterSize(
        taskmanagers=max(1, -(-parallelism // slots)),
        slots=slots,
        jobmanager_memory=format_memory(resources.jobmanager.memory_bytes()),
        taskmanager_memory=format_memory(resources.taskmanager.memory_bytes()),
        jobmanager_cpu=resources.jobmanager.cpu,
        taskmanager_cpu=resources.taskmanager.cpu,
    )


def validate_cluster_name(name: str, what: str = "session cluster") -> str:
    """Lower-case letters, digits and dashes (it names a directory and appears in URLs)."""
    if not name or not _NAME.fullmatch(name):
        raise InvalidInput(
            f"invalid {what} name {name!r}: 1-64 lower-case letters, digits or '-', "
            "starting and ending with a letter or digit",
            code=ErrorCode.INVALID_CLUSTER_NAME,
        )
    return name


def dedicated_cluster_name(job_id: str) -> str:
    """The name of the dedicated cluster of one job (stable: found again after a crash)."""
    return f"job-{job_id}"


@dataclass(frozen=True, slots=True)
class TaskManagerSlots:
    """One TaskManager of a running cluster as Flink reports it: its id and slots."""

    id: str
    slots: int
    free: int

    @property
    def used(self) -> int:
        return max(0, self.slots - self.free)

    @property
    def idle(self) -> bool:
        return self.used == 0


def _newest_first(taskmanager: TaskManagerSlots) -> tuple[int, str]:
    """'taskmanager-10' after 'taskmanager-9': by the number its id ends with."""
    digits = re.search(r"(\d+)$", taskmanager.id)
    return (-int(digits.group(1)) if digits else 0, taskmanager.id)


def idle_newest_first(taskmanagers: Sequence[TaskManagerSlots]) -> list[str]:
    """The ids of the idle TaskManagers, the newest (highest number) first: the order in
    which a shrink stops them."""
    return [tm.id for tm in sorted(taskmanagers, key=_newest_first) if tm.idle]


def _slots(taskmanagers: Sequence[TaskManagerSlots]) -> str:
    return ", ".join(f"{tm.id} {tm.used} used/{tm.free} free" for tm in taskmanagers)


def removable_taskmanagers(
    taskmanagers: Sequence[TaskManagerSlots],
    *,
    count: int,
    named: Sequence[str] = (),
    cluster: str,
) -> list[str]:
    """The ``count`` TaskManagers a shrink of ``cluster`` stops, or why it cannot: every
    ``named`` one must exist and be idle, and ``count`` idle ones must exist (a shrink never
    takes slots that running jobs use). Raise ``InvalidInput`` for an unknown name or a
    count that leaves no TaskManager, ``Conflict`` (naming used and free slots) otherwise."""
    known = {tm.id: tm for tm in taskmanagers}
    unknown = sorted(set(named) - set(known))
    if unknown:
        raise InvalidInput(
            f"cluster {cluster!r} has no TaskManager {', '.join(unknown)}; it runs "
            f"{', '.join(tm.id for tm in sorted(taskmanagers, key=_newest_first, reverse=True))}"
        )
    if count < 1 or count >= len(taskmanagers):
        raise InvalidInput(
            f"cluster {cluster!r} runs {len(taskmanagers)} TaskManager(s): a shrink removes "
            f"at least 1 and keeps at least 1, not {count}"
        )
    busy = [known[name] for name in named if not known[name].idle]
    if busy:
        raise Conflict(
            f"cluster {cluster!r} cannot remove TaskManager(s) whose slots running jobs use: "
            f"{_slots(busy)}; stop those jobs first or remove idle TaskManagers",
            code=ErrorCode.CLUSTER_IN_USE,
        )
    idle = idle_newest_first(taskmanagers)
    if len(idle) < count:
        raise Conflict(
            f"cluster {cluster!r} cannot remove {count} TaskManager(s): only {len(idle)} "
            f"have all their slots free ({_slots(taskmanagers)}); a shrink never takes "
            "slots that running jobs use: stop jobs first or remove fewer",
            code=ErrorCode.CLUSTER_IN_USE,
        )
    chosen = list(dict.fromkeys([*named, *idle]))
    return chosen[:count]
