"""The admission policy: priority then first come, all or nothing, no overtaking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.admission import Waiting, admit, queue_order

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _job(
    name: str, cost: float, *, priority: int = 0, at: int = 0, timeout: int | None = None
) -> Waiting:
    return Waiting(name, priority, T0 + timedelta(seconds=at), cost, timeout)


def _names(jobs: tuple[Waiting, ...]) -> list[str]:
    return [job.job_id for job in jobs]


def test_higher_priority_first_then_first_come() -> None:
    line = [
        _job("late-low", 1, priority=0, at=3),
        _job("early-low", 1, priority=0, at=1),
        _job("high", 1, priority=5, at=9),
    ]
    result = admit(capacity_cu=2, used_cu=0, waiting=line, now=T0)
    assert _names(result.admitted) == ["high", "early-low"]
    assert _names(result.waiting) == ["late-low"]
    assert result.used_cu == 2


def test_a_job_is_admitted_whole_or_not_at_all() -> None:
    result = admit(capacity_cu=5, used_cu=2, waiting=[_job("big", 4)], now=T0)
    assert result.admitted == ()
    assert _names(result.waiting) == ["big"]
    assert result.used_cu == 2


def test_a_smaller_job_does_not_overtake_the_head_of_the_line() -> None:
    line = [_job("big", 4, at=0), _job("small", 1, at=1)]
    result = admit(capacity_cu=5, used_cu=2, waiting=line, now=T0)
    assert result.admitted == ()
    assert _names(result.waiting) == ["big", "small"]


def test_admits_as_soon_as_capacity_frees() -> None:
    line = [_job("second", 2)]
    assert admit(capacity_cu=4, used_cu=3, waiting=line, now=T0).admitted == ()
    assert _names(admit(capacity_cu=4, used_cu=2, waiting=line, now=T0).admitted) == ["second"]


def test_a_job_that_can_never_fit_is_refused_instead_of_blocking() -> None:
    line = [_job("huge", 9, priority=9), _job("too-big-for-max", 3), _job("ok", 1)]
    result = admit(capacity_cu=8, used_cu=0, waiting=line, now=T0, max_job_cu=2)
    assert [(job.job_id, "maximum" in why) for job, why in result.never_fit] == [
        ("huge", True),
        ("too-big-for-max", True),
    ]
    line = [_job("huge", 9)]
    result = admit(capacity_cu=8, used_cu=0, waiting=line, now=T0)
    assert "whole capacity 8 CU" in result.never_fit[0][1]
    assert result.waiting == ()


def test_expired_jobs_leave_the_line() -> None:
    line = [_job("patient", 5, at=0), _job("hurried", 5, at=0, timeout=10)]
    early = admit(capacity_cu=5, used_cu=5, waiting=line, now=T0 + timedelta(seconds=9))
    assert early.timed_out == ()
    late = admit(capacity_cu=5, used_cu=5, waiting=line, now=T0 + timedelta(seconds=10))
    assert _names(late.timed_out) == ["hurried"]
    assert _names(late.waiting) == ["patient"]


def test_equal_priority_and_time_are_ordered_by_id_for_a_stable_line() -> None:
    line = [_job("b", 1), _job("a", 1)]
    assert _names(admit(capacity_cu=1, used_cu=0, waiting=line, now=T0).admitted) == ["a"]


jobs = st.lists(
    st.builds(
        Waiting,
        job_id=st.uuids().map(str),
        priority=st.integers(-3, 3),
        enqueued_at=st.integers(0, 1000).map(lambda s: T0 + timedelta(seconds=s)),
        cost_cu=st.sampled_from([0.5, 1.0, 2.0, 3.5]),
        timeout_seconds=st.none(),
    ),
    max_size=40,
    unique_by=lambda job: job.job_id,
)


@given(line=jobs, capacity=st.floats(1, 40), used=st.floats(0, 40))
def test_admission_never_exceeds_capacity_and_serves_a_prefix_of_the_order(
    line: list[Waiting], capacity: float, used: float
) -> None:
    result = admit(capacity_cu=capacity, used_cu=used, waiting=line, now=T0)
    fitting = [job for job in line if job.cost_cu <= capacity]
    assert list(result.admitted) + list(result.waiting) == sorted(fitting, key=queue_order)
    assert len(result.never_fit) == len(line) - len(fitting)
    admitted_cu = sum(job.cost_cu for job in result.admitted)
    if result.admitted:
        assert used + admitted_cu <= capacity + 1e-6
    if result.waiting:  # the head of what is left did not fit
        assert used + admitted_cu + result.waiting[0].cost_cu > capacity
