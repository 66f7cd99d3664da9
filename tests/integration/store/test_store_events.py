"""Events in the SQL store: newest first, paged, filtered by deployment and job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from millstream.control.ports import Page
from millstream.domain.events import EventName
from millstream.store import SqlStore
from tests.factories import make_event

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_event_round_trips_every_field(store: SqlStore) -> None:
    event = make_event(
        name=EventName.JOB_FAILED,
        message="job failed: java.lang.OutOfMemoryError",
        created_at=T0,
        deployment_id="d-1",
        job_id="j-1",
    )
    with store.transaction() as repos:
        repos.create_event(event=event)
    with store.transaction() as repos:
        found, total = repos.read_events(workspace="ws", namespace="ns", page=Page())
    assert (found, total) == ([event], 1)


def test_events_page_newest_first_and_filter(store: SqlStore) -> None:
    events = [
        make_event(
            deployment_id="d-1" if i % 2 == 0 else "d-2",
            job_id="j-1" if i < 4 else None,
            created_at=T0 + timedelta(seconds=i),
        )
        for i in range(10)
    ]
    with store.transaction() as repos:
        for event in events:
            repos.create_event(event=event)
        repos.create_event(event=make_event(namespace="other"))
    with store.transaction() as repos:
        second_page, total = repos.read_events(workspace="ws", namespace="ns", page=Page(3, 3))
        d1, d1_total = repos.read_events(
            workspace="ws", namespace="ns", page=Page(0, 2), deployment_id="d-1"
        )
        j1, j1_total = repos.read_events(
            workspace="ws", namespace="ns", page=Page(0, 10), job_id="j-1"
        )
        both, both_total = repos.read_events(
            workspace="ws", namespace="ns", page=Page(), deployment_id="d-2", job_id="j-1"
        )
    assert total == 10
    assert [e.id for e in second_page] == [events[6].id, events[5].id, events[4].id]
    assert d1_total == 5
    assert [e.id for e in d1] == [events[8].id, events[6].id]
    assert j1_total == 4
    assert [e.id for e in j1] == [events[i].id for i in (3, 2, 1, 0)]
    assert both_total == 2
    assert [e.id for e in both] == [events[3].id, events[1].id]


def test_events_written_at_the_same_instant_keep_their_order(store: SqlStore) -> None:
    events = [make_event(created_at=T0, message=str(i)) for i in range(5)]
    with store.transaction() as repos:
        for event in events:
            repos.create_event(event=event)
    with store.transaction() as repos:
        found, _ = repos.read_events(workspace="ws", namespace="ns", page=Page())
    assert [e.message for e in found] == ["4", "3", "2", "1", "0"]
