"""Flink's job state names translated into the domain's ObservedState (engine.job_states)."""

from __future__ import annotations

import pytest

from millstream.domain.observed import ObservedState
from millstream.engine.job_states import FLINK_JOB_STATES, observed_state

# org.apache.flink.api.common.JobStatus, every constant.
FLINK_STATES = [
    "INITIALIZING",
    "CREATED",
    "RUNNING",
    "FAILING",
    "FAILED",
    "CANCELLING",
    "CANCELED",
    "FINISHED",
    "RESTARTING",
    "SUSPENDED",
    "RECONCILING",
]


@pytest.mark.parametrize("name", FLINK_STATES)
def test_every_flink_state_has_a_domain_state(name: str) -> None:
    assert observed_state(name) is not ObservedState.UNKNOWN
    assert observed_state(name.lower()) is observed_state(name)


def test_terminal_flink_states_are_terminal() -> None:
    terminal = {name for name in FLINK_STATES if observed_state(name).is_terminal}
    assert terminal == {"FAILED", "CANCELED", "FINISHED"}


def test_every_domain_state_but_unknown_is_reachable() -> None:
    assert set(FLINK_JOB_STATES.values()) == set(ObservedState) - {ObservedState.UNKNOWN}


def test_a_state_flink_adds_later_is_unknown_not_an_error() -> None:
    assert observed_state("DEGRADED") is ObservedState.UNKNOWN
