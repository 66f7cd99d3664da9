"""Scheduled plans: time-of-day resource changes of one deployment, and their boundaries.

A plan is a list of changes. Each change fires at a boundary — a time of day (UTC) every
day, on some days of the week, on some days of the month, or once at a given instant —
and switches the deployment to its resources (and Flink configuration entries) from then
until the next boundary of the plan. ``control.scheduled_plans`` applies the latest
boundary that passed since it last looked, once: a control plane that was down over
several boundaries catches up with the newest one only, never replays them all.

Pure functions of time here (``last_boundary``, ``due_change``, ``overlapping``), so the
boundary logic is tested without a clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from millstream.domain.errors import ErrorCode, InvalidInput
from millstream.domain.resources import ResourceSetting

__all__ = [
    "DAY_MS",
    "ExecutionState",
    "PlanExecution",
    "RestartType",
    "ScheduleLevel",
    "ScheduledChange",
    "ScheduledPlan",
    "due_change",
    "last_boundary",
    "overlapping",
]

DAY_MS = 86_400_000
# Changes per plan: a day has few useful boundaries; bounds the catch-up search.
_MAX_CHANGES = 48


class ScheduleLevel(enum.StrEnum):
    """How a change repeats: every day, on days of the week (1 = Monday … 7 = Sunday),
    on days of the month (1 … 31; a month without that day skips it), or never."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    ONCE = "ONCE"


_VALUE_RANGE = {ScheduleLevel.WEEK: (1, 7), ScheduleLevel.MONTH: (1, 31)}


class RestartType(enum.StrEnum):
    """How an applied change reached the job."""

    HOT_UPDATE = "HOT_UPDATE"  # stop with a savepoint, restart with the new resources
    NO_RESTART = "NO_RESTART"  # no running job, or nothing the running job would change


class ExecutionState(enum.StrEnum):
    EXECUTING = "EXECUTING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, code=ErrorCode.INVALID_INPUT)


@dataclass(frozen=True, slots=True)
class ScheduledChange:
    """One boundary of a plan and the resources the deployment runs with after it."""

    level: ScheduleLevel
    resources: ResourceSetting
    flink_conf: dict[str, Any] = field(default_factory=dict)
    values: tuple[int, ...] = ()
    time_of_day_ms: int | None = None  # periodic levels: milliseconds after midnight (UTC)
    once_at: datetime | None = None  # ONCE: the instant

    def validate(self, where: str = "the change") -> None:
        if self.level is ScheduleLevel.ONCE:
            if self.once_at is None:
                raise _bad(f"{where} fires once: give its trigger time")
        else:
            if self.time_of_day_ms is None:
                raise _bad(f"{where} repeats every {self.level.value}: give its time of day")
            if not 0 <= self.time_of_day_ms < DAY_MS:
                raise _bad(
                    f"{where} has time of day {self.time_of_day_ms}: use milliseconds after "
                    f"midnight UTC, 0 to {DAY_MS - 1}"
                )
        bounds = _VALUE_RANGE.get(self.level)
        if bounds is None:
            if self.values:
                raise _bad(f"{where} repeats every {self.level.value}: it takes no values")
        else:
            low, high = bounds
            if not self.values:
                raise _bad(
                    f"{where} repeats every {self.level.value}: give the days ({low}-{high})"
                )
            for value in self.values:
                if not low <= value <= high:
                    raise _bad(
                        f"{where} has day {value} for level {self.level.value}: use {low} to {high}"
                    )
        self.resources.validate()

    def days(self) -> frozenset[int]:
        return frozenset(self.values)


@dataclass(frozen=True, slots=True)
class ScheduledPlan:
    id: str
    workspace: str
    namespace: str
    deployment_id: str
    name: str
    changes: tuple[ScheduledChange, ...]
    applied: bool = False
    applied_at: datetime | None = None
    # Boundaries up to this instant have been handled (or predate the application).
    handled_until: datetime | None = None
    creator: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    def validate(self) -> None:
        name = self.name.strip()
        if not name or len(name) > 128:
            raise _bad("a scheduled plan needs a name of 1 to 128 characters")
        if not self.changes:
            raise _bad("a scheduled plan needs at least one scheduled change")
        if len(self.changes) > _MAX_CHANGES:
            raise _bad(f"a scheduled plan holds at most {_MAX_CHANGES} changes")
        for index, change in enumerate(self.changes):
            change.validate(f"change {index + 1}")
        clash = overlapping(self.changes)
        if clash is not None:
            first, second = clash
            raise InvalidInput(
                f"changes {first + 1} and {second + 1} can fire at the same moment: give "
                "each boundary its own time",
                code=ErrorCode.INVALID_INPUT,
            )


@dataclass(frozen=True, slots=True)
class PlanExecution:
    """One change of a plan applied to the deployment (the executed history)."""

    id: str
    workspace: str
    namespace: str
    deployment_id: str
    plan_id: str
    plan_name: str
    boundary_at: datetime
    restart_type: RestartType
    state: ExecutionState
    created_at: datetime
    job_id: str | None = None
    hot_update_id: str | None = None
    message: str | None = None


# --------------------------------------------------------------------------- boundaries


def _at_time(day: datetime, time_of_day_ms: int) -> datetime:
    midnight = day.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(milliseconds=time_of_day_ms)


def _fires_on(change: ScheduledChange, day: datetime) -> bool:
    if change.level is ScheduleLevel.DAY:
        return True
    if change.level is ScheduleLevel.WEEK:
        return day.isoweekday() in change.values
    if change.level is ScheduleLevel.MONTH:
        return day.day in change.values
    return False


def last_boundary(change: ScheduledChange, now: datetime) -> datetime | None:
    """The latest instant at or before ``now`` at which ``change`` fired (None: never)."""
    if change.level is ScheduleLevel.ONCE:
        return change.once_at if change.once_at is not None and change.once_at <= now else None
    assert change.time_of_day_ms is not None
    # 62 days back covers every level: a day of the month recurs within two months,
    # except 31 (or 30, 29) that may skip a month; look back a little further for those.
    for back in range(0, 124):
        day = now - timedelta(days=back)
        if not _fires_on(change, day):
            continue
        moment = _at_time(day, change.time_of_day_ms)
        if moment <= now:
            return moment
    return None


def due_change(
    changes: tuple[ScheduledChange, ...], since: datetime, now: datetime
) -> tuple[int, datetime] | None:
    """The change whose boundary is the newest in ``(since, now]`` and that boundary, or
    None when no boundary passed. Only the newest: missed boundaries are not replayed."""
    best: tuple[int, datetime] | None = None
    for index, change in enumerate(changes):
        moment = last_boundary(change, now)
        if moment is None or moment <= since:
            continue
        if best is None or moment > best[1]:
            best = (index, moment)
    return best


def _days_meet(first: ScheduledChange, second: ScheduledChange) -> bool:
    """Whether two periodic changes can fire on the same calendar day."""
    levels = {first.level, second.level}
    if ScheduleLevel.DAY in levels:
        return True
    if first.level is second.level:
        return bool(first.days() & second.days())
    return True  # a weekday and a day of the month meet in some month


def _meets_once(once: ScheduledChange, other: ScheduledChange) -> bool:
    assert once.once_at is not None
    moment = once.once_at.astimezone(UTC)
    if other.level is ScheduleLevel.ONCE:
        return other.once_at is not None and other.once_at.astimezone(UTC) == moment
    since_midnight = moment - moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(since_midnight / timedelta(milliseconds=1)) == other.time_of_day_ms and _fires_on(
        other, moment
    )


def overlapping(changes: tuple[ScheduledChange, ...]) -> tuple[int, int] | None:
    """The first pair of changes (indexes) that can fire at the same instant — they would
    fight over the deployment's resources — or None."""
    for i, first in enumerate(changes):
        for j in range(i + 1, len(changes)):
            second = changes[j]
            if first.level is ScheduleLevel.ONCE:
                clash = _meets_once(first, second)
            elif second.level is ScheduleLevel.ONCE:
                clash = _meets_once(second, first)
            else:
                clash = first.time_of_day_ms == second.time_of_day_ms and _days_meet(first, second)
            if clash:
                return (i, j)
    return None
