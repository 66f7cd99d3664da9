"""Queues: CU quotas on a cluster, and the CU cost of a job (DESIGN.md §5).

A ``Queue`` caps the compute units (CU) its jobs may hold at once on one cluster;
1 CU = 1 vCPU + 4 GiB, and a process costs the larger of its vCPUs and its memory / 4 GiB.
``job_cost`` turns a job's resource setting (BASIC or EXPERT) into CUs;
``domain.admission`` decides which waiting jobs a queue admits. The queue service
(``control.services.queues``), the admission step of the reconciler
(``control.admission``) and the store call these; nothing here does I/O.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec, parse_memory

__all__ = [
    "CU_MEMORY_BYTES",
    "DEFAULT_QUEUE",
    "MAX_CAPACITY_CU",
    "Queue",
    "cluster_capacity_cu",
    "job_cost",
    "process_cost",
    "validate_queue_name",
]

CU_MEMORY_BYTES = 4 * 1024**3
DEFAULT_QUEUE = "default"
MAX_CAPACITY_CU = 1_000_000.0
_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?")


def validate_queue_name(name: str) -> str:
    """Lower-case letters, digits and dashes (it appears in URLs and CLI arguments)."""
    if not name or not _NAME.fullmatch(name):
        raise InvalidInput(
            f"invalid queue name {name!r}: 1-64 lower-case letters, digits or '-', "
            "starting and ending with a letter or digit",
            code=ErrorCode.INVALID_QUEUE_NAME,
        )
    return name


def _round(cu: float) -> float:
    """CU figures are shown and compared to the thousandth (no float noise in sums)."""
    return round(cu, 3)


def process_cost(cpu: float, memory_bytes: int) -> float:
    """CUs of one process: the larger of its vCPUs and its memory in units of 4 GiB."""
    return max(cpu, memory_bytes / CU_MEMORY_BYTES)


def _spec_cost(spec: ResourceSpec) -> float:
    return process_cost(spec.cpu, spec.memory_bytes())


def _expert_slot_cost(resources: ResourceSetting) -> float | None:
    """CUs of one slot from an EXPERT plan's slot-sharing-group profile (cpu, heap,
    offHeap), or None when the plan names no sizes (the TaskManager spec applies)."""
    try:
        plan = json.loads(resources.resource_plan or "")
    except ValueError:
        return None
    groups = plan.get("ssgProfiles") if isinstance(plan, dict) else None
    if not isinstance(groups, list) or not groups or not isinstance(groups[0], dict):
        return None
    group: dict[str, Any] = groups[0]
    cpu = group.get("cpu")
    memory = 0
    for key in ("heap", "offHeap"):
        value = group.get(key)
        if isinstance(value, str) and value.strip():
            memory += parse_memory(value)
    if not isinstance(cpu, int | float) and not memory:
        return None
    return process_cost(float(cpu) if isinstance(cpu, int | float) else 0.0, memory)


def job_cost(resources: ResourceSetting, *, slots_per_taskmanager: int = 1) -> float:
    """CUs a job holds while it runs: its JobManager plus its TaskManagers.

    BASIC: ``ceil(parallelism / slots)`` TaskManagers of the TaskManager spec. EXPERT:
    one slot per parallel instance sized by the plan's slot-sharing-group profile when
    it gives one, else TaskManagers of the TaskManager spec as in BASIC.
    """
    slots = max(1, slots_per_taskmanager)
    parallelism = resources.effective_parallelism()
    jobmanager = _spec_cost(resources.jobmanager)
    if resources.mode is ResourceMode.EXPERT:
        per_slot = _expert_slot_cost(resources)
        if per_slot is not None:
            return _round(jobmanager + parallelism * per_slot)
    taskmanagers = math.ceil(parallelism / slots)
    return _round(jobmanager + taskmanagers * _spec_cost(resources.taskmanager))


def cluster_capacity_cu(
    *,
    taskmanagers: int,
    slots_per_taskmanager: int,
    taskmanager_cpu: float,
    taskmanager_memory: str,
) -> float:
    """What the ``default`` queue of a session cluster holds.

    A session cluster shares one JobManager, but every job is charged one (1 CU at the
    default size) plus its TaskManager share: so each slot counts as one job of
    parallelism 1, i.e. 1 CU for its JobManager plus the slot's share of a TaskManager
    (at least 1 CU, a default TaskManager). With the embedded defaults (1 TaskManager
    x 4 slots, 2 GiB) that is 8 CU: four default jobs, as many as the slots take.
    """
    slots = max(1, slots_per_taskmanager)
    share = process_cost(taskmanager_cpu, parse_memory(taskmanager_memory)) / slots
    return _round(max(1, taskmanagers) * slots * (1.0 + max(1.0, share)))


@dataclass(slots=True)
class Queue:
    """A CU quota on one cluster, installation-wide, usable from ``namespaces``
    (workspace-relative names; empty = every namespace of ``workspace``)."""

    id: str
    name: str
    workspace: str
    cluster: str
    capacity_cu: float
    max_job_cu: float | None = None
    namespaces: tuple[str, ...] = ()
    description: str | None = None
    # The ``default`` queue's capacity is recomputed from its cluster at every start
    # until someone sets it by hand.
    follows_cluster: bool = False
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        validate_queue_name(self.name)
        if not self.cluster:
            raise InvalidInput(f"queue {self.name!r} needs a cluster", code=ErrorCode.INVALID_QUEUE)
        if not 0 < self.capacity_cu <= MAX_CAPACITY_CU:
            raise InvalidInput(
                f"queue capacity must be more than 0 and at most {MAX_CAPACITY_CU:g} CU, "
                f"got {self.capacity_cu:g}",
                code=ErrorCode.INVALID_QUEUE_CAPACITY,
            )
        if self.max_job_cu is not None and not 0 < self.max_job_cu <= MAX_CAPACITY_CU:
            raise InvalidInput(
                f"a queue's per-job maximum must be more than 0 CU, got {self.max_job_cu:g}",
                code=ErrorCode.INVALID_QUEUE_CAPACITY,
            )
        for namespace in self.namespaces:
            if not namespace or not namespace.strip():
                raise InvalidInput(
                    "allowed namespaces must be non-empty names", code=ErrorCode.INVALID_QUEUE
                )

    def allows(self, workspace: str, namespace: str) -> bool:
        """Jobs of ``namespace`` may use this queue."""
        return workspace == self.workspace and (not self.namespaces or namespace in self.namespaces)

    def never_fits(self, cost_cu: float) -> str | None:
        """Why a job of ``cost_cu`` can never run in this queue, or None if it can."""
        if self.max_job_cu is not None and cost_cu > self.max_job_cu:
            return (
                f"the job needs {cost_cu:g} CU but queue {self.name!r} allows at most "
                f"{self.max_job_cu:g} CU per job"
            )
        if cost_cu > self.capacity_cu:
            return (
                f"the job needs {cost_cu:g} CU but queue {self.name!r} holds only "
                f"{self.capacity_cu:g} CU"
            )
        return None
