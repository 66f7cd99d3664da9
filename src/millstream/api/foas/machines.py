"""foas machine models (spec §2.4, ``Ecs_<cores>c<memory>g``) as the Flink processes a
self-hosted Millstream runs for a cluster (``clusters``, ``cluster_resizes``).

Here a cluster's "machines" are processes on the server's own host, so a model sizes a
process instead of buying a VM:

- a Slave machine is one TaskManager with one task slot per core (the document's
  1 CU = 1 core) and ``cpu`` = cores;
- the Master machine is the JobManager, ``cpu`` = cores;
- either process gets 1 GiB of Flink process memory per core (a quarter of the model's
  memory: every process shares this host, and a slot of a streaming job needs far less
  than a VM's 4 GiB per core), so ``Ecs_4c16g`` is a 4-slot TaskManager of 4 GiB.

GetClusterDetails reports the processes as they run (``instance_infos``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from millstream.api.foas.errors import INVALID_PARAMETER, FoasError
from millstream.domain.clusters import SLOTS_KEY, Cluster, ClusterKind, TaskManagerSlots
from millstream.domain.resources import ResourceSetting, ResourceSpec

__all__ = [
    "MODELS",
    "cluster_resources",
    "instance_infos",
    "model_of",
    "process_spec",
    "slave_model",
]

# Model -> cores (§2.4); the memory in the name is always 4 GiB per core.
MODELS: Mapping[str, int] = {
    "Ecs_4c16g": 4,
    "Ecs_8c32g": 8,
    "Ecs_16c64g": 16,
    "Ecs_24c96g": 24,
    "Ecs_32c128g": 32,
    "Ecs_56c224g": 56,
    "Ecs_64c256g": 64,
}
_GIB = 1024**3


def process_spec(model: str, field: str) -> ResourceSpec:
    """The JobManager or TaskManager size of ``model``; 400 naming the models if unknown."""
    cores = MODELS.get(model)
    if cores is None:
        raise FoasError(
            400,
            INVALID_PARAMETER,
            f"{field} {model[:40]!r} is not a machine model; use one of {', '.join(MODELS)}",
        )
    return ResourceSpec(cpu=float(cores), memory=f"{cores} GiB")


def model_of(spec: ResourceSpec) -> str | None:
    """The model a process size came from (None: sized some other way)."""
    for model, cores in MODELS.items():
        if spec.cpu == cores and spec.memory_bytes() == cores * _GIB:
            return model
    return None


def slave_model(cluster: Cluster, default_slots: int) -> str | None:
    """The model of a cluster's TaskManagers: its size and slots both match one."""
    model = model_of(cluster.resources.taskmanager)
    slots = cluster.size(default_slots=default_slots).slots
    return model if model is not None and MODELS[model] == slots else None


def cluster_resources(
    master: str, slave: str, count: int
) -> tuple[ResourceSetting, dict[str, Any]]:
    """The resources and Flink configuration of a cluster of ``count`` ``slave`` machines
    and a ``master`` JobManager (TaskManagers = parallelism / slots)."""
    taskmanager = process_spec(slave, "slaveSpec")
    jobmanager = process_spec(master, "masterSpec")
    slots = MODELS[slave]
    resources = ResourceSetting(
        parallelism=count * slots,
        jobmanager=jobmanager,
        taskmanager=taskmanager,
    )
    return resources, {SLOTS_KEY: slots}


def instance_infos(
    cluster: Cluster, running: list[TaskManagerSlots] | None, default_slots: int
) -> list[dict[str, Any]]:
    """GetClusterDetails' ``InstanceInfos``: the JobManager ("master") and TaskManagers
    ("slave", ``instanceId`` = the TaskManager's id, which ShrinkCluster takes) of a
    session cluster: as Flink reports them while it runs, else as it will start."""
    if cluster.kind is not ClusterKind.SESSION:
        return [{"role": "external", "restUrl": cluster.rest_url}]
    size = cluster.size(default_slots=default_slots)
    model = slave_model(cluster, default_slots)
    master = {
        "role": "master",
        "cpu": size.jobmanager_cpu,
        "memory": size.jobmanager_memory,
        "model": model_of(cluster.resources.jobmanager) or "",
    }
    slave = {
        "role": "slave",
        "cpu": size.taskmanager_cpu,
        "memory": size.taskmanager_memory,
        "model": model or "",
    }
    if running is None:
        planned = [
            dict(slave, instanceId=f"taskmanager-{n}", slots=size.slots)
            for n in range(size.taskmanagers)
        ]
        return [master, *planned]
    seen = [
        dict(slave, instanceId=tm.id, slots=tm.slots, freeSlots=tm.free)
        for tm in sorted(running, key=lambda tm: (len(tm.id), tm.id))
    ]
    return [master, *seen]
