"""``FailureThrottle``: counting failures per subject, blocking, the memory bound."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from millstream.control.throttle import FailureThrottle


@dataclass
class Ticks:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_subject_is_blocked_after_max_failures_within_the_window() -> None:
    ticks = Ticks()
    throttle = FailureThrottle(max_failures=3, window=60, block=30, clock=ticks)
    for _ in range(2):
        throttle.record_failure(["addr:a"])
    assert throttle.retry_after(["addr:a"]) is None
    counts = throttle.record_failure(["addr:a"])
    assert counts["addr:a"].newly_blocked
    assert throttle.retry_after(["addr:a", "addr:b"]) == pytest.approx(30)
    assert throttle.retry_after(["addr:b"]) is None
    ticks.now += 31
    assert throttle.retry_after(["addr:a"]) is None


def test_failures_spread_over_windows_never_block() -> None:
    ticks = Ticks()
    throttle = FailureThrottle(max_failures=3, window=60, block=30, clock=ticks)
    for _ in range(10):
        throttle.record_failure(["key:K"])
        ticks.now += 25  # two per window at most
    assert throttle.retry_after(["key:K"]) is None


def test_per_key_limit_is_separate_and_can_be_turned_off() -> None:
    throttle = FailureThrottle(max_failures=2, max_failures_per_key=0, clock=Ticks())
    for _ in range(5):
        throttle.record_failure(["addr:a", "key:K"])
    assert throttle.retry_after(["key:K"]) is None
    assert throttle.retry_after(["addr:a"]) is not None


def test_memory_is_bounded_and_the_least_recent_are_forgotten() -> None:
    throttle = FailureThrottle(max_failures=2, max_subjects=100, clock=Ticks())
    throttle.record_failure(["addr:persistent"])
    throttle.record_failure(["addr:persistent"])  # blocked
    for i in range(99):
        throttle.record_failure([f"addr:flood-{i}"])
    assert len(throttle) == 100
    assert throttle.retry_after(["addr:persistent"]) is not None
    for i in range(99, 10_000):
        throttle.record_failure([f"addr:flood-{i}"])
    assert len(throttle) == 100
    assert throttle.retry_after(["addr:persistent"]) is None  # evicted, not kept forever
