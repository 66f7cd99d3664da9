"""Periodic savepoints of a deployment: when the next one is due, when none may be taken
(daily blackout windows) and which old savepoints retention deletes.

Pure values and functions; ``control.savepoint_scheduler`` applies them each round and
``control.services.savepoint_schedules`` validates what users set.

Retention looks at every finished savepoint and retained checkpoint of the deployment
(COMPLETED or FAILED), newest first, and never picks one still in progress, the newest
COMPLETED one, or a protected one: what a live job restored from or a job's configured
restore or pending resume names (``Protected``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from millstream.domain.errors import InvalidInput
from millstream.domain.savepoints import Savepoint, SavepointState

__all__ = [
    "MIN_INTERVAL_SECONDS",
    "Blackout",
    "Protected",
    "Retention",
    "SavepointSchedule",
    "format_duration",
    "in_blackout",
    "next_due",
    "parse_blackout",
    "parse_duration",
    "retention_victims",
    "should_trigger",
]

MIN_INTERVAL_SECONDS = 1
_MAX_SECONDS = 10 * 365 * 24 * 3600
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhdw]?)\s*$", re.IGNORECASE)
_BLACKOUT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class Blackout:
    """A daily window [start, end) in the schedule's time zone; wraps midnight when
    ``end`` <= ``start`` (``22:00-02:00``)."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Retention:
    """Keep at most ``max_count`` finished savepoints, none older than ``max_age_seconds``;
    ``None`` is no limit."""

    max_count: int | None = None
    max_age_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class SavepointSchedule:
    """One deployment's schedule: exactly one of ``interval_seconds`` and ``cron``;
    ``timezone`` (IANA) applies to the cron expression and the blackout windows.
    ``last_triggered_at`` and ``pending_savepoint_id`` are the scheduler's bookkeeping."""

    deployment_id: str
    workspace: str
    namespace: str
    interval_seconds: int | None = None
    cron: str | None = None
    timezone: str = "UTC"
    retention: Retention = field(default_factory=Retention)
    blackouts: tuple[Blackout, ...] = ()
    last_triggered_at: datetime | None = None
    pending_savepoint_id: str | None = None
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    def validate(self) -> None:
        if (self.interval_seconds is None) == (self.cron is None):
            raise InvalidInput("a savepoint schedule needs either an interval or a cron expression")
        if self.interval_seconds is not None and not (
            MIN_INTERVAL_SECONDS <= self.interval_seconds <= _MAX_SECONDS
        ):
            raise InvalidInput(
                f"the savepoint interval must be between {MIN_INTERVAL_SECONDS} second and 10 years"
            )
        if self.cron is not None and (
            len(self.cron) > 128 or len(self.cron.split()) != 5 or not croniter.is_valid(self.cron)
        ):
            raise InvalidInput(
                f"invalid cron expression {self.cron!r}: use five fields, e.g. '0 * * * *'"
            )
        _zone(self.timezone)
        count, age = self.retention.max_count, self.retention.max_age_seconds
        if count is not None and not 1 <= count <= 10_000:
            raise InvalidInput("keep (max count) must be between 1 and 10000")
        if age is not None and not 1 <= age <= _MAX_SECONDS:
            raise InvalidInput("max age must be between 1 second and 10 years")
        if len(self.blackouts) > 24:
            raise InvalidInput("at most 24 blackout windows")
        for window in self.blackouts:
            if window.start == window.end:
                raise InvalidInput(f"blackout window {window} is empty: start equals end")


@dataclass(frozen=True, slots=True)
class Protected:
    """What retention must keep: savepoint ids and state locations jobs depend on."""

    ids: frozenset[str] = frozenset()
    locations: frozenset[str] = frozenset()

    def covers(self, savepoint: Savepoint) -> bool:
        return savepoint.id in self.ids or (
            savepoint.location is not None and savepoint.location in self.locations
        )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}; use an IANA name such as UTC") from None


def parse_duration(text: str) -> int:
    """Seconds of ``90``, ``30s``, ``15m``, ``1h``, ``7d`` or ``2w``."""
    match = _DURATION.match(text)
    if match is None:
        raise InvalidInput(f"invalid duration {text!r}: use a number and s, m, h, d or w")
    return int(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]


def format_duration(seconds: int) -> str:
    """The shortest exact ``parse_duration`` spelling (``3600`` -> ``1h``)."""
    for unit, size in sorted(_UNITS.items(), key=lambda item: -item[1]):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_blackout(text: str) -> Blackout:
    """A daily window from ``HH:MM-HH:MM``."""
    match = _BLACKOUT.match(text)
    if match is None:
        raise InvalidInput(f"invalid blackout window {text!r}: use HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise InvalidInput(f"invalid blackout window {text!r}: hours 00-23, minutes 00-59")
    window = Blackout(time(h1, m1), time(h2, m2))
    if window.start == window.end:
        raise InvalidInput(f"blackout window {text!r} is empty: start equals end")
    return window


def next_due(schedule: SavepointSchedule) -> datetime:
    """When the next savepoint is due: one interval (or the next cron time) after the last
    trigger, or after the schedule was set."""
    base = schedule.last_triggered_at or schedule.created_at
    if base is None:
        raise InvalidInput("a schedule without a creation time has no due time")
    if schedule.interval_seconds is not None:
        return base + timedelta(seconds=schedule.interval_seconds)
    zone = _zone(schedule.timezone)
    expression = schedule.cron or "* * * * *"  # validate() guarantees one of the two
    following: datetime = croniter(expression, base.astimezone(zone)).get_next(datetime)
    return following.astimezone(base.tzinfo)


def in_blackout(schedule: SavepointSchedule, at: datetime) -> bool:
    """Whether ``at`` falls in one of the schedule's daily blackout windows."""
    if not schedule.blackouts:
        return False
    local = at.astimezone(_zone(schedule.timezone)).time().replace(tzinfo=None)
    return any(window.contains(local) for window in schedule.blackouts)


def should_trigger(schedule: SavepointSchedule, now: datetime, *, in_progress: bool) -> bool:
    """Due, outside every blackout window and no savepoint of the deployment in flight."""
    return not in_progress and now >= next_due(schedule) and not in_blackout(schedule, now)


def retention_victims(
    savepoints: Iterable[Savepoint],
    retention: Retention,
    *,
    now: datetime,
    protected: Protected = Protected(),
) -> list[Savepoint]:
    """The savepoints ``retention`` deletes, oldest first: beyond the newest ``max_count``
    finished ones (the newest COMPLETED one counted first) or older than
    ``max_age_seconds``; never one in progress, the newest COMPLETED one or a protected
    one."""
    finished = _newest_first(s for s in savepoints if s.state is not SavepointState.STARTED)
    newest_completed = next((s for s in finished if s.state is SavepointState.COMPLETED), None)
    oldest_allowed = (
        now - timedelta(seconds=retention.max_age_seconds)
        if retention.max_age_seconds is not None
        else None
    )
    # The newest COMPLETED one always stays, so it takes the first of ``max_count`` slots.
    ranked = [s for s in finished if s is newest_completed] + [
        s for s in finished if s is not newest_completed
    ]
    victims: list[Savepoint] = []
    for rank, savepoint in enumerate(ranked):
        if savepoint is newest_completed or protected.covers(savepoint):
            continue
        beyond_count = retention.max_count is not None and rank >= retention.max_count
        too_old = oldest_allowed is not None and _created(savepoint) < oldest_allowed
        if beyond_count or too_old:
            victims.append(savepoint)
    return sorted(victims, key=lambda s: (_created(s), s.id))


def _created(savepoint: Savepoint) -> datetime:
    if savepoint.created_at is None:
        raise InvalidInput(f"savepoint {savepoint.id} has no creation time")
    return savepoint.created_at


def _newest_first(savepoints: Iterable[Savepoint]) -> Sequence[Savepoint]:
    return sorted(savepoints, key=lambda s: (_created(s), s.id), reverse=True)
