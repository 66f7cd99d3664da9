"""EXPERT resource plans generated from Flink's job graph, and the tickets that carry
their generation (GenerateResourcePlanWithFlinkConfAsync).

``expert_plan`` turns a JobGraph plan (``{"nodes": [{"id", "description",
"parallelism", "inputs": [...]}]}``, what ``POST /jars/{id}/plan`` answers) into the
Ververica expert resource plan shape ``domain.resources.parse_resource_plan`` accepts:
one slot-sharing group (``ssgProfiles``) sized from the TaskManager spec and the slots
per TaskManager, every vertex a node with its parallelism, and the job graph's edges.
Flink applies one parallelism per job here, so every node gets the job's parallelism
(the largest vertex parallelism of the graph, which is the configured default).
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from millstream.domain.resources import ResourceSetting, format_memory, parse_resource_plan

__all__ = ["ResourcePlanTicket", "TicketStatus", "expert_plan", "graph_parallelism"]


class TicketStatus(enum.StrEnum):
    EXECUTING = "EXECUTING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class ResourcePlanTicket:
    id: str
    workspace: str
    namespace: str
    deployment_id: str
    status: TicketStatus
    created_at: datetime
    modified_at: datetime
    plan: str | None = None
    message: str | None = None


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return default
    return value


def _slot_profile(resources: ResourceSetting, slots: int) -> dict[str, Any]:
    """One slot's share of a TaskManager (cpu cores, heap)."""
    slots = max(1, slots)
    return {
        "name": "default",
        "cpu": round(resources.taskmanager.cpu / slots, 3),
        "heap": format_memory(math.ceil(resources.taskmanager.memory_bytes() / slots)),
        "offHeap": "0m",
    }


def expert_plan(
    graph: dict[str, Any],
    resources: ResourceSetting,
    *,
    parallelism: int,
    max_parallelism: int | None = None,
    slots_per_taskmanager: int = 1,
) -> str:
    """The EXPERT resource plan (JSON text) of ``graph`` at ``parallelism``."""
    vertices = [n for n in graph.get("nodes") or [] if isinstance(n, dict)]
    if not vertices:
        raise ValueError("Flink's plan of the job has no vertices")
    profile: dict[str, Any] = {"group": "default", "parallelism": parallelism}
    if max_parallelism is not None:
        profile["maxParallelism"] = max(max_parallelism, parallelism)
    nodes = []
    edges = []
    for vertex in vertices:
        vertex_id = str(vertex.get("id"))
        nodes.append(
            {
                "id": vertex_id,
                "type": str(vertex.get("operator") or "VERTEX"),
                "desc": str(vertex.get("description") or "")[:512],
                "profile": dict(profile),
            }
        )
        for source in vertex.get("inputs") or []:
            if isinstance(source, dict):
                edges.append(
                    {
                        "source": str(source.get("id")),
                        "target": vertex_id,
                        "mode": str(source.get("ship_strategy") or "FORWARD"),
                    }
                )
    plan = {
        "ssgProfiles": [_slot_profile(resources, slots_per_taskmanager)],
        "nodes": nodes,
        "edges": edges,
        "vertices": [str(v.get("id")) for v in vertices],
    }
    text = json.dumps(plan, separators=(",", ":"))
    parse_resource_plan(text)  # what is generated must be what a deployment accepts
    return text


def graph_parallelism(graph: dict[str, Any], default: int) -> int:
    """The job's parallelism as Flink planned it (the largest vertex parallelism)."""
    found = [_int(n.get("parallelism"), 0) for n in graph.get("nodes") or [] if isinstance(n, dict)]
    return max([p for p in found if p > 0], default=default)
