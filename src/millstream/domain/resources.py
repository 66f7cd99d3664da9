"""Resource settings (BASIC or EXPERT) and the arithmetic on them (1 CU = 1 vCPU + 4 GiB).

EXPERT mode carries a resource plan (seed 000: ``ssgProfiles``, ``nodes`` with
``profile.parallelism``, ``edges``, ``vertices``). Flink applies one parallelism per job
through its configuration; per-operator parallelism would need a rewritten compiled
plan, which Millstream does not do. So ``parse_resource_plan`` honours a plan whose nodes
all share one parallelism (and one max parallelism) in one slot-sharing group, and
rejects anything else with an ``InvalidInput`` that names what cannot be honoured.
"""

from __future__ import annotations

import enum
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from millstream.domain.errors import ErrorCode, InvalidInput

__all__ = [
    "ResourceMode",
    "ResourcePlan",
    "ResourceSetting",
    "ResourceSpec",
    "format_memory",
    "parse_memory",
    "parse_resource_plan",
]

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
    "t": 1024**4,
    "tb": 1024**4,
    "tib": 1024**4,
}
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_memory(text: str) -> int:
    """'4 GiB', '1024m', '512 mb' -> bytes; InvalidInput on anything else."""
    match = _MEMORY.match(text)
    if match is None or match.group(2).lower() not in _UNITS:
        raise InvalidInput(f"invalid memory size {text!r}: use a number and a unit like '4 GiB'")
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if value <= 0:
        raise InvalidInput(f"memory size {text!r} must be positive")
    return int(value)


def format_memory(size: int) -> str:
    """Bytes -> Flink's memory syntax in whole MiB ('1024m')."""
    return f"{max(1, math.ceil(size / 1024**2))}m"


class ResourceMode(enum.StrEnum):
    BASIC = "BASIC"
    EXPERT = "EXPERT"


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """CPU cores and memory of one JobManager or TaskManager."""

    cpu: float = 1.0
    memory: str = "1 GiB"

    def memory_bytes(self) -> int:
        return parse_memory(self.memory)

    def validate(self, what: str) -> None:
        """``what`` names the process in the message, e.g. ``"the JobManager"``."""
        if not 0 < self.cpu <= 1024:
            raise InvalidInput(f"{what}'s CPU must be between 0 and 1024 cores, got {self.cpu}")
        self.memory_bytes()


@dataclass(frozen=True, slots=True)
class ResourceSetting:
    """How big a job runs: parallelism and per-process sizes, or an expert resource plan."""

    mode: ResourceMode = ResourceMode.BASIC
    parallelism: int = 1
    jobmanager: ResourceSpec = ResourceSpec(1.0, "1 GiB")
    taskmanager: ResourceSpec = ResourceSpec(1.0, "2 GiB")
    resource_plan: str | None = None
    max_slot: int | None = None

    def validate(self) -> None:
        if not 1 <= self.parallelism <= 32768:
            raise InvalidInput(f"parallelism must be between 1 and 32768, got {self.parallelism}")
        self.jobmanager.validate("the JobManager")
        self.taskmanager.validate("each TaskManager")
        if self.mode is ResourceMode.EXPERT:
            if not (self.resource_plan or "").strip():
                raise InvalidInput(
                    "EXPERT resources need a resource plan: give one or use BASIC resources"
                )
            parse_resource_plan(self.resource_plan or "")
        if self.max_slot is not None and not 1 <= self.max_slot <= 32768:
            raise InvalidInput(
                f"the maximum slot count of a batch job must be between 1 and 32768, "
                f"got {self.max_slot}"
            )

    def plan(self) -> ResourcePlan | None:
        """The parsed resource plan in EXPERT mode, else None."""
        if self.mode is not ResourceMode.EXPERT or not (self.resource_plan or "").strip():
            return None
        return parse_resource_plan(self.resource_plan or "")

    def effective_parallelism(self) -> int:
        """What the job runs with: the plan's parallelism (EXPERT) or ``parallelism``,
        capped by ``max_slot`` (batch jobs never take more slots than that)."""
        plan = self.plan()
        parallelism = plan.parallelism if plan is not None else self.parallelism
        if self.max_slot is not None:
            parallelism = min(parallelism, self.max_slot)
        return parallelism

    def flink_conf(self) -> dict[str, Any]:
        """Configuration the plan implies beyond the parallelism (max parallelism)."""
        plan = self.plan()
        if plan is None or plan.max_parallelism is None:
            return {}
        return {"pipeline.max-parallelism": plan.max_parallelism}

    def taskmanager_count(self, slots_per_taskmanager: int) -> int:
        return max(1, math.ceil(self.parallelism / max(1, slots_per_taskmanager)))

    def total_cpu(self, slots_per_taskmanager: int = 1) -> float:
        tms = self.taskmanager_count(slots_per_taskmanager)
        return self.jobmanager.cpu + tms * self.taskmanager.cpu

    def total_memory_bytes(self, slots_per_taskmanager: int = 1) -> int:
        tms = self.taskmanager_count(slots_per_taskmanager)
        return self.jobmanager.memory_bytes() + tms * self.taskmanager.memory_bytes()


# --------------------------------------------------------------------------- expert plans

_PLAN_KEYS = frozenset({"ssgProfiles", "nodes", "edges", "vertices"})
_NODE_KEYS = frozenset({"id", "type", "desc", "profile"})
_PROFILE_KEYS = frozenset({"group", "parallelism", "maxParallelism", "minParallelism"})
_SSG_KEYS = frozenset({"name", "cpu", "heap", "offHeap", "managed", "extended"})


@dataclass(frozen=True, slots=True)
class ResourcePlan:
    """What Millstream applies of an EXPERT resource plan."""

    parallelism: int
    max_parallelism: int | None
    nodes: int


def _fail(problem: str) -> InvalidInput:
    return InvalidInput(
        f"the resource plan cannot be honoured: {problem}",
        code=ErrorCode.UNSUPPORTED_RESOURCE_PLAN,
    )


def _unknown(found: dict[str, Any], known: frozenset[str], where: str) -> None:
    extra = sorted(set(found) - known)
    if extra:
        raise _fail(f"unknown field(s) {', '.join(extra)} in {where}")


def _whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 32768:
        raise _fail(f"{where} must be a whole number between 1 and 32768, got {value!r}")
    return value


def parse_resource_plan(text: str) -> ResourcePlan:
    """Validate a resource plan and reduce it to what Flink can apply per job.

    Honoured: every node in one slot-sharing group with the same ``parallelism`` (and
    the same ``maxParallelism``, applied as ``pipeline.max-parallelism``). Rejected:
    differing per-node parallelism, several slot-sharing groups, managed/extended
    resources per group, and any field this parser does not know.
    """
    try:
        plan = json.loads(text)
    except ValueError as exc:
        raise _fail(f"not valid JSON ({exc})") from None
    if not isinstance(plan, dict):
        raise _fail("it must be a JSON object with 'nodes'")
    _unknown(plan, _PLAN_KEYS, "the plan")
    nodes = plan.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise _fail("'nodes' must be a non-empty list")
    groups = plan.get("ssgProfiles") or []
    if not isinstance(groups, list):
        raise _fail("'ssgProfiles' must be a list")
    if len(groups) > 1:
        names = [g.get("name") if isinstance(g, dict) else g for g in groups]
        raise _fail(
            f"{len(groups)} slot-sharing groups {names}: Flink SQL jobs run in one group; "
            "use a single profile"
        )
    for group in groups:
        if not isinstance(group, dict):
            raise _fail("each ssgProfiles entry must be an object")
        _unknown(group, _SSG_KEYS, f"ssgProfiles[{group.get('name')!r}]")
        for key in ("managed", "extended"):
            if group.get(key):
                raise _fail(
                    f"ssgProfiles[{group.get('name')!r}].{key} resources are not supported; "
                    "leave it empty"
                )
    by_parallelism: dict[int, list[str]] = {}
    max_parallelisms: set[int] = set()
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise _fail(f"nodes[{index}] must be an object")
        label = f"node {node.get('id', index)} ({node.get('desc') or node.get('type') or '?'})"
        _unknown(node, _NODE_KEYS, f"nodes[{index}]")
        profile = node.get("profile")
        if not isinstance(profile, dict):
            raise _fail(f"{label} has no 'profile'")
        _unknown(profile, _PROFILE_KEYS, f"nodes[{index}].profile")
        parallelism = _whole(profile.get("parallelism"), f"{label} parallelism")
        if "maxParallelism" in profile:
            top = _whole(profile["maxParallelism"], f"{label} maxParallelism")
            if top < parallelism:
                raise _fail(f"{label} has maxParallelism {top} below its parallelism")
            max_parallelisms.add(top)
        if (
            "minParallelism" in profile
            and _whole(profile["minParallelism"], f"{label} minParallelism") > parallelism
        ):
            raise _fail(f"{label} has minParallelism above its parallelism")
        by_parallelism.setdefault(parallelism, []).append(label)
    if len(by_parallelism) > 1:
        listed = "; ".join(
            f"{p}: {', '.join(labels)}" for p, labels in sorted(by_parallelism.items())
        )
        raise _fail(
            "per-operator parallelism differs between nodes "
            f"({listed}); Flink applies one parallelism per job here, so give every node "
            "the same parallelism"
        )
    if len(max_parallelisms) > 1:
        raise _fail(f"maxParallelism differs between nodes ({sorted(max_parallelisms)})")
    return ResourcePlan(
        parallelism=next(iter(by_parallelism)),
        max_parallelism=next(iter(max_parallelisms), None),
        nodes=len(nodes),
    )
