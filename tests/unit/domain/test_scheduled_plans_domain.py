"""Boundaries of scheduled plans: when a change fires, which one is due after a pause
(only the newest, once), and which pairs of changes clash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.errors import InvalidInput
from millstream.domain.resources import ResourceSetting
from millstream.domain.scheduled_plans import (
    DAY_MS,
    ScheduledChange,
    ScheduledPlan,
    ScheduleLevel,
    due_change,
    last_boundary,
    overlapping,
)

R1 = ResourceSetting(parallelism=1)
R2 = ResourceSetting(parallelism=2)
HOUR = 3_600_000


def _daily(hour: int, resources: ResourceSetting = R1) -> ScheduledChange:
    return ScheduledChange(level=ScheduleLevel.DAY, resources=resources, time_of_day_ms=hour * HOUR)


def _plan(*changes: ScheduledChange) -> ScheduledPlan:
    return ScheduledPlan(
        id="p", workspace="w", namespace="n", deployment_id="d", name="night", changes=changes
    )


def test_daily_boundary_is_today_once_passed_and_yesterday_before() -> None:
    change = _daily(8)
    assert last_boundary(change, datetime(2026, 3, 2, 9, tzinfo=UTC)) == datetime(
        2026, 3, 2, 8, tzinfo=UTC
    )
    assert last_boundary(change, datetime(2026, 3, 2, 7, tzinfo=UTC)) == datetime(
        2026, 3, 1, 8, tzinfo=UTC
    )


def test_weekly_boundary_only_on_listed_weekdays() -> None:
    monday_only = ScheduledChange(
        level=ScheduleLevel.WEEK, resources=R1, values=(1,), time_of_day_ms=0
    )
    # 2026-03-05 is a Thursday; the last Monday midnight is 2026-03-02.
    assert last_boundary(monday_only, datetime(2026, 3, 5, 12, tzinfo=UTC)) == datetime(
        2026, 3, 2, tzinfo=UTC
    )


def test_monthly_boundary_skips_months_without_the_day() -> None:
    on_31st = ScheduledChange(
        level=ScheduleLevel.MONTH, resources=R1, values=(31,), time_of_day_ms=0
    )
    # No 30 April 31st: the last one before May 10 is March 31.
    assert last_boundary(on_31st, datetime(2026, 5, 10, tzinfo=UTC)) == datetime(
        2026, 3, 31, tzinfo=UTC
    )


def test_once_fires_only_after_its_instant() -> None:
    at = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    once = ScheduledChange(level=ScheduleLevel.ONCE, resources=R1, once_at=at)
    assert last_boundary(once, at - timedelta(seconds=1)) is None
    assert last_boundary(once, at) == at


def test_a_long_pause_catches_up_with_the_newest_boundary_only() -> None:
    changes = (_daily(8, R2), _daily(20, R1))
    since = datetime(2026, 3, 1, 9, tzinfo=UTC)
    now = datetime(2026, 3, 4, 21, tzinfo=UTC)  # three days of boundaries missed
    assert due_change(changes, since, now) == (1, datetime(2026, 3, 4, 20, tzinfo=UTC))
    # Handled up to now: nothing is due again until the next boundary.
    assert due_change(changes, now, now + timedelta(hours=10)) is None
    assert due_change(changes, now, now + timedelta(hours=11, minutes=1)) == (
        0,
        datetime(2026, 3, 5, 8, tzinfo=UTC),
    )


def _brute_latest(hour: int, since: datetime, now: datetime) -> datetime | None:
    day = now.date()
    while True:
        boundary = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour)
        if boundary <= now:
            return boundary if boundary > since else None
        day -= timedelta(days=1)


@given(
    hour=st.integers(0, 23),
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    steps=st.lists(st.integers(1, 4000), min_size=1, max_size=40),
)
def test_each_tick_reports_the_newest_crossed_boundary_once(
    hour: int, start: datetime, steps: list[int]
) -> None:
    """Whatever the tick spacing, a tick reports the newest boundary it crossed (missed
    older ones are not replayed), and no boundary is reported twice."""
    changes = (_daily(hour),)
    handled = start
    fired: list[datetime] = []
    for step in steps:
        now = handled + timedelta(minutes=step)
        due = due_change(changes, handled, now)
        assert (due[1] if due else None) == _brute_latest(hour, handled, now)
        if due is not None:
            fired.append(due[1])
        handled = now
    assert len(fired) == len(set(fired))


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        (_daily(8), _daily(8), True),
        (_daily(8), _daily(9), False),
        (
            ScheduledChange(
                level=ScheduleLevel.WEEK, resources=R1, values=(1, 2), time_of_day_ms=0
            ),
            ScheduledChange(level=ScheduleLevel.WEEK, resources=R1, values=(3,), time_of_day_ms=0),
            False,
        ),
        (
            ScheduledChange(
                level=ScheduleLevel.WEEK, resources=R1, values=(1, 2), time_of_day_ms=0
            ),
            ScheduledChange(level=ScheduleLevel.WEEK, resources=R1, values=(2,), time_of_day_ms=0),
            True,
        ),
        (
            ScheduledChange(
                level=ScheduleLevel.ONCE,
                resources=R1,
                once_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
            ),
            _daily(8),
            True,
        ),
    ],
)
def test_overlapping_changes(first: ScheduledChange, second: ScheduledChange, clash: bool) -> None:
    assert (overlapping((first, second)) is not None) is clash


@pytest.mark.parametrize(
    "change",
    [
        ScheduledChange(level=ScheduleLevel.DAY, resources=R1, time_of_day_ms=DAY_MS),
        ScheduledChange(level=ScheduleLevel.DAY, resources=R1, time_of_day_ms=-1),
        ScheduledChange(level=ScheduleLevel.DAY, resources=R1),
        ScheduledChange(level=ScheduleLevel.WEEK, resources=R1, values=(8,), time_of_day_ms=0),
        ScheduledChange(level=ScheduleLevel.MONTH, resources=R1, time_of_day_ms=0),
        ScheduledChange(level=ScheduleLevel.ONCE, resources=R1),
        ScheduledChange(
            level=ScheduleLevel.DAY, resources=ResourceSetting(parallelism=0), time_of_day_ms=0
        ),
    ],
)
def test_bad_changes_are_refused(change: ScheduledChange) -> None:
    with pytest.raises(InvalidInput):
        _plan(change).validate()


def test_a_plan_with_overlapping_changes_is_refused() -> None:
    with pytest.raises(InvalidInput, match="same moment"):
        _plan(_daily(8, R1), _daily(8, R2)).validate()
    _plan(_daily(8, R1), _daily(20, R2)).validate()
