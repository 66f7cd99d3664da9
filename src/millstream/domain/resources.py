"""Resource settings (BASIC or EXPERT) and the arithmetic on them (1 CU = 1 vCPU + 4 GiB)."""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass

from millstream.domain.errors import InvalidInput

__all__ = [
    "ResourceMode",
    "ResourceSetting",
    "ResourceSpec",
    "format_memory",
    "parse_memory",
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
        if not 0 < self.cpu <= 1024:
            raise InvalidInput(f"{what}.cpu must be between 0 and 1024, got {self.cpu}")
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
        self.jobmanager.validate("jobmanagerResourceSettingSpec")
        self.taskmanager.validate("taskmanagerResourceSettingSpec")
        if self.mode is ResourceMode.EXPERT and not (self.resource_plan or "").strip():
            raise InvalidInput("expertResourceSetting.resourcePlan is required in EXPERT mode")
        if self.max_slot is not None and self.max_slot < 1:
            raise InvalidInput(f"maxSlot must be at least 1, got {self.max_slot}")

    def taskmanager_count(self, slots_per_taskmanager: int) -> int:
        return max(1, math.ceil(self.parallelism / max(1, slots_per_taskmanager)))

    def total_cpu(self, slots_per_taskmanager: int = 1) -> float:
        tms = self.taskmanager_count(slots_per_taskmanager)
        return self.jobmanager.cpu + tms * self.taskmanager.cpu

    def total_memory_bytes(self, slots_per_taskmanager: int = 1) -> int:
        tms = self.taskmanager_count(slots_per_taskmanager)
        return self.jobmanager.memory_bytes() + tms * self.taskmanager.memory_bytes()
