"""View helpers: paging, statuses, durations, Flink UI links, timelines and cluster use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from millstream.domain.events import Event, EventName
from millstream.domain.jobs import CLUSTER_UNREACHABLE, DesiredState, JobStatus
from millstream.domain.observed import ObservedState, ObservedStatus
from millstream.web import views
from tests.factories import make_deployment, make_event, make_job

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("number", "total", "offset", "pages", "prev", "nxt", "first", "last"),
    [
        (1, 0, 0, 1, False, False, 0, 0),
        (1, 20, 0, 1, False, False, 1, 20),
        (1, 21, 0, 2, False, True, 1, 20),
        (2, 21, 20, 2, True, False, 21, 21),
        (None, 5, 0, 1, False, False, 1, 5),
    ],
)
def test_pager(
    number: int | None,
    total: int,
    offset: int,
    pages: int,
    prev: bool,
    nxt: bool,
    first: int,
    last: int,
) -> None:
    pager = views.Pager.of(number, 20).with_total(total)
    assert (pager.offset, pager.pages, pager.has_previous, pager.has_next) == (
        offset,
        pages,
        prev,
        nxt,
    )
    assert (pager.first_item, pager.last_item) == (first, last)


def test_display_status_of_jobs() -> None:
    assert views.display_status(None) == "NOT STARTED"
    assert views.display_status(make_job(status=JobStatus.RUNNING)) == "RUNNING"
    stopping = make_job(status=JobStatus.RUNNING, desired=DesiredState.STOPPED)
    assert views.display_status(stopping) == "STOPPING"
    done = make_job(status=JobStatus.CANCELLED, desired=DesiredState.STOPPED)
    assert views.display_status(done) == "CANCELLED"
    restarting = make_job(
        status=JobStatus.RUNNING, observed=ObservedStatus(state=ObservedState.RESTARTING)
    )
    assert views.display_status(restarting) == "RESTARTING"


@pytest.mark.parametrize("state", [ObservedState.FAILING, ObservedState.RECONCILING])
def test_display_status_shows_flinks_trouble_states(state: ObservedState) -> None:
    job = make_job(status=JobStatus.RUNNING, observed=ObservedStatus(state=state))
    assert views.display_status(job) == state.value
    assert views.status_tone(views.display_status(job)) == "warn"


def test_display_status_of_a_job_whose_cluster_does_not_answer() -> None:
    job = make_job(
        status=JobStatus.RUNNING,
        observed=ObservedStatus(state=ObservedState.UNKNOWN),
        status_reason=CLUSTER_UNREACHABLE,
    )
    assert views.display_status(job) == "UNREACHABLE"
    assert views.status_tone("UNREACHABLE") == "warn"


@pytest.mark.parametrize(
    ("status", "tone"),
    [("RUNNING", "ok"), ("STARTING", "busy"), ("FAILED", "bad"), ("x", "muted"), (None, "muted")],
)
def test_status_tone(status: str | None, tone: str) -> None:
    assert views.status_tone(status) == tone


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0.25, "250 ms"), (12.34, "12.3 s"), (245, "4 min 05 s"), (7380, "2 h 03 min")],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert views.format_duration(seconds) == text


def test_flink_job_url_depends_on_the_job_being_live() -> None:
    running = make_job(status=JobStatus.RUNNING, flink_job_id="abc")
    assert (
        views.flink_job_url("http://f:8081/", running) == "http://f:8081/#/job/running/abc/overview"
    )
    ended = make_job(status=JobStatus.CANCELLED, flink_job_id="abc")
    assert views.flink_job_url("http://f", ended) == "http://f/#/job/completed/abc/overview"
    assert views.flink_job_url("http://f", make_job(flink_job_id=None)) is None


def _event(name: EventName, seconds: int) -> Event:
    return make_event(name=name, created_at=T0 + timedelta(seconds=seconds))


def test_timeline_merges_repeats_and_stops_at_a_final_status() -> None:
    events = [
        _event(EventName.JOB_CANCELLED, 30),
        _event(EventName.JOB_START_REQUESTED, 0),
        _event(EventName.JOB_SUBMITTED, 2),
        _event(EventName.JOB_RUNNING, 10),
        _event(EventName.SAVEPOINT_TRIGGERED, 15),
        _event(EventName.JOB_STOP_REQUESTED, 20),
    ]
    segments = views.timeline(events, now=T0 + timedelta(hours=1))
    assert [s.status for s in segments] == ["STARTING", "RUNNING", "STOPPING", "CANCELLED"]
    assert [s.seconds for s in segments] == [10, 10, 10, 0]
    assert segments[0].left == 0
    assert segments[1].left == pytest.approx(10 / 30)
    assert sum(s.width for s in segments) == pytest.approx(1)


def test_timeline_of_a_live_job_runs_until_now() -> None:
    events = [_event(EventName.JOB_START_REQUESTED, 0), _event(EventName.JOB_RUNNING, 10)]
    segments = views.timeline(events, now=T0 + timedelta(seconds=40))
    assert [(s.status, s.seconds) for s in segments] == [("STARTING", 10), ("RUNNING", 30)]
    assert views.timeline([], now=T0) == []


def test_cluster_usage_counts_running_jobs_and_their_slots() -> None:
    idle = make_deployment()
    running = make_deployment(cluster="session-a")
    job = make_job(running, status=JobStatus.RUNNING, cluster="session-a")
    usage = views.cluster_usage([(idle, None), (running, job)])
    assert [(u.name, u.deployments, u.running, u.slots) for u in usage] == [
        ("default", 1, 0, 0),
        ("session-a", 1, 1, job.resources.parallelism),
    ]
    assert [u.name for u in views.cluster_usage([])] == ["default"]
