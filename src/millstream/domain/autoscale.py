"""Autoscaling: a deployment's autoscaling settings, the planner that proposes a job
parallelism from Flink's per-vertex load, and the plan record.

``plan_parallelism`` is pure: from each vertex's busy and backpressured time (ms per
second, Flink's ``busyTimeMsPerSecond`` / ``backPressuredTimeMsPerSecond`` averaged over
its subtasks) and the job's current parallelism it proposes a new parallelism with the
reason. The rules, in order:

1. bounds: a parallelism outside ``[min_parallelism, max_parallelism]`` moves to the
   nearest bound, whatever the load;
2. no measured vertex: keep;
3. hysteresis: the busiest vertex's utilisation within ``target ± boundary``: keep;
4. scale so the busiest vertex would reach the target utilisation
   (``ceil(current * busiest / target)``), clamped to the bounds; a scale-down is
   refused while any vertex is backpressured (the job is not keeping up).

``control.autoscaler.Autoscaler`` calls it for every running job with autoscaling on and
records each result as an ``AutoscalePlan`` with its inputs.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields, replace
from datetime import datetime

from millstream.domain.errors import InvalidInput

__all__ = [
    "BACKPRESSURE_LIMIT",
    "MAX_PARALLELISM",
    "AutoscaleConfig",
    "AutoscaleConfigPatch",
    "AutoscalePlan",
    "PlanOutcome",
    "ScalingAction",
    "ScalingDecision",
    "VertexLoad",
    "plan_parallelism",
]

MAX_PARALLELISM = 32768
# A vertex backpressured more than this share of the time blocks any scale-down.
BACKPRESSURE_LIMIT = 0.1
_MAX_COOL_DOWN = 7 * 24 * 3600.0


class ScalingAction(enum.StrEnum):
    SCALE_UP = "SCALE_UP"
    SCALE_DOWN = "SCALE_DOWN"
    KEEP = "KEEP"


class PlanOutcome(enum.StrEnum):
    """What became of a plan."""

    KEPT = "KEPT"  # the plan changes nothing
    APPLIED = "APPLIED"  # a hot update to the proposed parallelism was requested
    RECOMMENDED = "RECOMMENDED"  # recommend-only: recorded, not applied
    COOLING_DOWN = "COOLING_DOWN"  # the last change is too recent
    FAILED = "FAILED"  # the hot update was refused (the message says why)


@dataclass(frozen=True, slots=True)
class AutoscaleConfig:
    """A deployment's autoscaling settings (defaults: off)."""

    enabled: bool = False
    min_parallelism: int = 1
    max_parallelism: int = 4
    target_utilization: float = 0.7  # busy share of the busiest vertex to aim for
    utilization_boundary: float = 0.2  # no change while within target ± boundary
    cool_down_seconds: float = 300.0  # after a change (or a job start) before the next
    recommend_only: bool = False  # record plans, never apply them

    def validate(self) -> None:
        if not 1 <= self.min_parallelism <= MAX_PARALLELISM:
            raise InvalidInput(
                f"the minimum parallelism must be between 1 and {MAX_PARALLELISM}, "
                f"got {self.min_parallelism}"
            )
        if not self.min_parallelism <= self.max_parallelism <= MAX_PARALLELISM:
            raise InvalidInput(
                f"the maximum parallelism must be between the minimum ({self.min_parallelism})"
                f" and {MAX_PARALLELISM}, got {self.max_parallelism}"
            )
        if not 0.05 <= self.target_utilization <= 1.0:
            raise InvalidInput(
                "the target utilisation must be between 0.05 and 1.0, got "
                f"{self.target_utilization}"
            )
        if not 0.0 <= self.utilization_boundary < self.target_utilization:
            raise InvalidInput(
                "the utilisation boundary must be at least 0 and below the target "
                f"utilisation ({self.target_utilization}), got {self.utilization_boundary}"
            )
        if not 0.0 <= self.cool_down_seconds <= _MAX_COOL_DOWN:
            raise InvalidInput(
                f"the cool-down must be between 0 and {_MAX_COOL_DOWN:.0f} seconds, got "
                f"{self.cool_down_seconds}"
            )


@dataclass(frozen=True, slots=True)
class AutoscaleConfigPatch:
    """Settings to change; ``None`` keeps the current value."""

    enabled: bool | None = None
    min_parallelism: int | None = None
    max_parallelism: int | None = None
    target_utilization: float | None = None
    utilization_boundary: float | None = None
    cool_down_seconds: float | None = None
    recommend_only: bool | None = None

    def apply(self, config: AutoscaleConfig) -> AutoscaleConfig:
        """``config`` with this patch's values, validated."""
        changes = {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }
        updated = replace(config, **changes)
        updated.validate()
        return updated


@dataclass(frozen=True, slots=True)
class VertexLoad:
    """One vertex's load as Flink measured it (``None``: Flink reported no value)."""

    vertex_id: str
    name: str
    parallelism: int
    busy_ms_per_second: float | None
    backpressured_ms_per_second: float | None

    @property
    def utilization(self) -> float | None:
        return _share(self.busy_ms_per_second)

    @property
    def backpressure(self) -> float:
        return _share(self.backpressured_ms_per_second) or 0.0


def _share(ms_per_second: float | None) -> float | None:
    if ms_per_second is None or math.isnan(ms_per_second):
        return None
    return min(max(ms_per_second / 1000.0, 0.0), 1.0)


@dataclass(frozen=True, slots=True)
class ScalingDecision:
    current_parallelism: int
    proposed_parallelism: int
    reason: str
    utilization: float | None = None  # the busiest vertex's
    bottleneck: str | None = None  # its name

    @property
    def action(self) -> ScalingAction:
        if self.proposed_parallelism > self.current_parallelism:
            return ScalingAction.SCALE_UP
        if self.proposed_parallelism < self.current_parallelism:
            return ScalingAction.SCALE_DOWN
        return ScalingAction.KEEP


def plan_parallelism(
    config: AutoscaleConfig, loads: list[VertexLoad], current: int
) -> ScalingDecision:
    """The parallelism the job should run with, and why (see the module docstring)."""
    low_bound, high_bound = config.min_parallelism, config.max_parallelism
    if current < low_bound:
        return ScalingDecision(
            current, low_bound, f"parallelism {current} is below the minimum {low_bound}"
        )
    if current > high_bound:
        return ScalingDecision(
            current, high_bound, f"parallelism {current} is above the maximum {high_bound}"
        )
    measured = [(load.utilization, load) for load in loads if load.utilization is not None]
    if not measured:
        return ScalingDecision(current, current, "Flink reported no busy time for any vertex")
    busiest, bottleneck = max(measured, key=lambda pair: (pair[0], pair[1].name))
    assert busiest is not None  # filtered above
    name = bottleneck.name
    target, boundary = config.target_utilization, config.utilization_boundary
    percent = f"{busiest:.0%}"

    def keep(reason: str) -> ScalingDecision:
        return ScalingDecision(current, current, reason, busiest, name)

    if target - boundary <= busiest <= target + boundary:
        return keep(f"the busiest vertex {name!r} is {percent} busy, within the target band")
    wanted = min(max(math.ceil(current * busiest / target), 1), MAX_PARALLELISM)
    proposed = min(max(wanted, low_bound), high_bound)
    if busiest > target:
        if proposed == current:
            return keep(f"{name!r} is {percent} busy but the job is at the maximum {high_bound}")
        return ScalingDecision(
            current,
            proposed,
            f"the busiest vertex {name!r} is {percent} busy (target {target:.0%})",
            busiest,
            name,
        )
    pressed = max(loads, key=lambda load: load.backpressure)
    if pressed.backpressure > BACKPRESSURE_LIMIT:
        return keep(
            f"vertex {pressed.name!r} is {pressed.backpressure:.0%} backpressured: no scale-down"
        )
    if proposed == current:
        return keep(f"{name!r} is {percent} busy; a smaller parallelism would not fit the target")
    return ScalingDecision(
        current,
        proposed,
        f"the busiest vertex {name!r} is only {percent} busy (target {target:.0%})",
        busiest,
        name,
    )


@dataclass(frozen=True, slots=True)
class AutoscalePlan:
    """One planning round of one job, recorded with its inputs and what became of it."""

    id: str
    workspace: str
    namespace: str
    deployment_id: str
    job_id: str
    name: str  # unique within the deployment; e.g. "2026-12-04 21:30:05"
    created_at: datetime
    decision: ScalingDecision
    inputs: tuple[VertexLoad, ...]
    config: AutoscaleConfig
    outcome: PlanOutcome
    message: str | None = None
    hot_update_id: str | None = None

    @property
    def action(self) -> ScalingAction:
        return self.decision.action
