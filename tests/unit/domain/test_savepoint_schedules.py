"""Periodic savepoints (``domain.savepoint_schedules``): parsing, validation, due times,
blackout windows, and retention's invariants under hypothesis."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.errors import InvalidInput
from millstream.domain.savepoint_schedules import (
    Blackout,
    Protected,
    Retention,
    SavepointSchedule,
    format_duration,
    in_blackout,
    next_due,
    parse_blackout,
    parse_duration,
    retention_victims,
    should_trigger,
)
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _schedule(**overrides: object) -> SavepointSchedule:
    values: dict[str, object] = {
        "deployment_id": "d1",
        "workspace": "ws",
        "namespace": "ns",
        "interval_seconds": 3600,
        "created_at": T0,
    }
    return SavepointSchedule(**(values | overrides))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("30s", 30), ("15m", 900), ("1h", 3600), ("7d", 604800), ("2W", 1209600)],
)
def test_parse_duration_reads_units(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1.5h", "-1h", "1y", "1 h 2m"])
def test_parse_duration_refuses_garbage(text: str) -> None:
    with pytest.raises(InvalidInput, match="invalid duration"):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**8))
def test_format_duration_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["9-10", "24:00-01:00", "09:60-10:00", "10:00-10:00", "x"])
def test_parse_blackout_refuses_bad_windows(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_blackout(text)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"interval_seconds": None}, "either an interval or a cron"),
        ({"cron": "0 * * * *"}, "either an interval or a cron"),
        ({"interval_seconds": None, "cron": "61 * * * *"}, "invalid cron"),
        ({"interval_seconds": None, "cron": "* * * * * *"}, "invalid cron"),
        ({"interval_seconds": 0}, "interval must be"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"retention": Retention(max_count=0)}, "keep"),
        ({"retention": Retention(max_age_seconds=0)}, "max age"),
    ],
)
def test_validate_refuses_bad_schedules(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        _schedule(**overrides).validate()


def test_interval_is_due_one_interval_after_the_last_trigger() -> None:
    schedule = _schedule(interval_seconds=60)
    assert next_due(schedule) == T0 + timedelta(seconds=60)
    later = dataclasses.replace(schedule, last_triggered_at=T0 + timedelta(hours=1))
    assert next_due(later) == T0 + timedelta(hours=1, seconds=60)


def test_cron_is_due_at_its_next_time_in_its_time_zone() -> None:
    # 12:00 UTC is 13:00 in Berlin (winter); "30 14 * * *" Berlin is 13:30 UTC.
    schedule = _schedule(interval_seconds=None, cron="30 14 * * *", timezone="Europe/Berlin")
    schedule.validate()
    assert next_due(schedule) == datetime(2026, 12, 4, 13, 30, tzinfo=UTC)


def test_blackout_windows_block_triggers_and_may_wrap_midnight() -> None:
    schedule = _schedule(
        interval_seconds=60,
        blackouts=(parse_blackout("09:00-10:00"), parse_blackout("22:00-02:00")),
        timezone="Asia/Shanghai",  # UTC+8
    )
    schedule.validate()
    assert in_blackout(schedule, datetime(2026, 12, 5, 1, 30, tzinfo=UTC))  # 09:30 local
    assert not in_blackout(schedule, datetime(2026, 12, 5, 2, 0, tzinfo=UTC))  # 10:00 local
    assert in_blackout(schedule, datetime(2026, 12, 5, 17, 0, tzinfo=UTC))  # 01:00 local
    assert not should_trigger(schedule, datetime(2026, 12, 5, 1, 30, tzinfo=UTC), in_progress=False)
    assert should_trigger(schedule, datetime(2026, 12, 5, 3, 0, tzinfo=UTC), in_progress=False)
    assert not should_trigger(schedule, datetime(2026, 12, 5, 3, 0, tzinfo=UTC), in_progress=True)
    assert not should_trigger(schedule, T0 + timedelta(seconds=59), in_progress=False)


@given(start=st.times(), end=st.times(), probe=st.times().map(lambda t: t.replace(microsecond=0)))
def test_a_window_and_its_complement_split_the_day(start: time, end: time, probe: time) -> None:
    if start == end:
        return
    assert Blackout(start, end).contains(probe) != Blackout(end, start).contains(probe)


# --------------------------------------------------------------------------- retention

_STATES = st.sampled_from(list(SavepointState))


@st.composite
def _histories(draw: st.DrawFn) -> list[Savepoint]:
    ages = draw(st.lists(st.integers(min_value=0, max_value=30 * 86400), max_size=25))
    return [
        Savepoint(
            id=f"sp-{index}",
            workspace="ws",
            namespace="ns",
            deployment_id="d1",
            job_id=None,
            origin=draw(st.sampled_from(list(SavepointOrigin))),
            state=draw(_STATES),
            location=f"file:///sp/{index}",
            created_at=T0 - timedelta(seconds=age),
        )
        for index, age in enumerate(ages)
    ]


_RETENTIONS = st.builds(
    Retention,
    max_count=st.none() | st.integers(min_value=1, max_value=10),
    max_age_seconds=st.none() | st.integers(min_value=1, max_value=20 * 86400),
)


@given(history=_histories(), retention=_RETENTIONS, data=st.data())
def test_retention_never_deletes_what_must_stay(
    history: list[Savepoint], retention: Retention, data: st.DataObject
) -> None:
    ids = {s.id for s in history}
    protected = Protected(
        ids=frozenset(data.draw(st.sets(st.sampled_from(sorted(ids)))) if ids else set()),
        locations=frozenset(
            data.draw(st.sets(st.sampled_from(sorted(s.location or "" for s in history))))
            if history
            else set()
        ),
    )
    victims = retention_victims(history, retention, now=T0, protected=protected)
    completed = [s for s in history if s.state is SavepointState.COMPLETED]
    newest = max(completed, key=lambda s: (s.created_at or T0, s.id), default=None)
    for victim in victims:
        assert victim.state is not SavepointState.STARTED
        assert victim is not newest
        assert not protected.covers(victim)
    assert len({v.id for v in victims}) == len(victims)


@given(history=_histories(), retention=_RETENTIONS)
def test_retention_deletes_only_what_breaks_a_limit_and_then_rests(
    history: list[Savepoint], retention: Retention
) -> None:
    victims = retention_victims(history, retention, now=T0)
    finished = sorted(
        (s for s in history if s.state is not SavepointState.STARTED),
        key=lambda s: (s.created_at or T0, s.id),
        reverse=True,
    )
    newest = next((s for s in finished if s.state is SavepointState.COMPLETED), None)
    ranked = [s for s in finished if s is newest] + [s for s in finished if s is not newest]
    for victim in victims:
        rank = ranked.index(victim)
        too_many = retention.max_count is not None and rank >= retention.max_count
        too_old = retention.max_age_seconds is not None and (
            victim.created_at or T0
        ) < T0 - timedelta(seconds=retention.max_age_seconds)
        assert too_many or too_old
    kept = [s for s in history if s not in victims]
    assert retention_victims(kept, retention, now=T0) == []
    if retention.max_count is not None:
        kept_finished = [s for s in kept if s.state is not SavepointState.STARTED]
        assert len(kept_finished) <= retention.max_count


def test_retention_keeps_the_newest_completed_even_past_every_limit() -> None:
    old = [
        Savepoint(
            id=f"sp-{i}",
            workspace="ws",
            namespace="ns",
            deployment_id="d1",
            job_id=None,
            origin=SavepointOrigin.SCHEDULE,
            state=state,
            created_at=T0 - timedelta(days=10 + i),
        )
        for i, state in enumerate(
            [SavepointState.FAILED, SavepointState.COMPLETED, SavepointState.COMPLETED]
        )
    ]
    victims = retention_victims(old, Retention(max_count=1, max_age_seconds=86400), now=T0)
    assert [v.id for v in victims] == ["sp-2", "sp-0"]  # oldest first; sp-1 stays
