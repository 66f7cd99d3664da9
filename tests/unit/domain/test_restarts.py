"""The restart policy's hourly budget (domain.restarts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from millstream.domain.errors import InvalidInput
from millstream.domain.restarts import RestartPolicy, restart_allowed, restarts_in_window

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_policy_is_off_by_default() -> None:
    assert RestartPolicy().enabled is False
    assert restart_allowed(RestartPolicy(), (), T0) is False


def test_n_restarts_within_an_hour_spend_the_budget() -> None:
    policy = RestartPolicy(enabled=True, max_restarts_per_hour=3)
    history: tuple[datetime, ...] = ()
    for minute in range(3):
        now = T0 + timedelta(minutes=minute)
        assert restart_allowed(policy, history, now)
        history = (*history, now)
    assert not restart_allowed(policy, history, T0 + timedelta(minutes=5))


def test_the_budget_frees_an_hour_after_each_restart() -> None:
    policy = RestartPolicy(enabled=True, max_restarts_per_hour=2)
    history = (T0, T0 + timedelta(minutes=30))
    assert not restart_allowed(policy, history, T0 + timedelta(minutes=59))
    assert restarts_in_window(history, T0 + timedelta(minutes=60)) == 1
    assert restart_allowed(policy, history, T0 + timedelta(minutes=60))


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_limit_out_of_range_is_invalid(limit: int) -> None:
    with pytest.raises(InvalidInput, match="maximum restarts per hour"):
        RestartPolicy(enabled=True, max_restarts_per_hour=limit).validate()
