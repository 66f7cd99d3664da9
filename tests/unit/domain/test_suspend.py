"""Suspend and resume as desired-state changes on a job (domain.jobs)."""

from __future__ import annotations

import pytest

from millstream.domain.errors import InvalidTransition
from millstream.domain.jobs import TERMINAL, TRANSITIONS, DesiredState, JobStatus, StopStrategy
from millstream.domain.observed import ObservedState
from tests.factories import make_job


def test_suspended_is_live_and_not_terminal() -> None:
    assert JobStatus.SUSPENDED not in TERMINAL
    assert make_job(status=JobStatus.SUSPENDED).is_terminal is False


def test_suspend_transitions() -> None:
    assert JobStatus.SUSPENDED in TRANSITIONS[JobStatus.CANCELLING]
    assert TRANSITIONS[JobStatus.SUSPENDED] == {
        JobStatus.STARTING,
        JobStatus.CANCELLED,
        JobStatus.FAILED,
    }


def test_suspend_asks_for_a_stop_with_savepoint() -> None:
    job = make_job(status=JobStatus.RUNNING)
    job.request_suspend()
    assert job.desired is DesiredState.SUSPENDED
    assert job.stop_strategy is StopStrategy.STOP_WITH_SAVEPOINT


@pytest.mark.parametrize(
    ("status", "desired"),
    [
        (JobStatus.STARTING, DesiredState.RUNNING),
        (JobStatus.SUSPENDED, DesiredState.SUSPENDED),
        (JobStatus.RUNNING, DesiredState.STOPPED),
        (JobStatus.RUNNING, DesiredState.SUSPENDED),
        *((status, DesiredState.RUNNING) for status in sorted(TERMINAL)),  # xdist: stable order
    ],
)
def test_only_a_running_job_can_be_suspended(status: JobStatus, desired: DesiredState) -> None:
    job = make_job(status=status, desired=desired)
    with pytest.raises(InvalidTransition, match="only a RUNNING job can be suspended"):
        job.request_suspend()


def test_resume_asks_for_running_again() -> None:
    job = make_job(status=JobStatus.SUSPENDED, desired=DesiredState.SUSPENDED)
    job.request_resume()
    assert job.desired is DesiredState.RUNNING


@pytest.mark.parametrize(
    "status",
    [JobStatus.RUNNING, JobStatus.CANCELLING, *sorted(TERMINAL)],  # xdist: stable order
)
def test_only_a_suspended_job_can_be_resumed(status: JobStatus) -> None:
    job = make_job(status=status, desired=DesiredState.SUSPENDED)
    with pytest.raises(InvalidTransition, match="only a SUSPENDED job can be resumed"):
        job.request_resume()


def test_a_suspended_job_can_be_stopped() -> None:
    job = make_job(status=JobStatus.SUSPENDED, desired=DesiredState.SUSPENDED)
    job.request_stop(StopStrategy.NONE)
    assert job.desired is DesiredState.STOPPED


@pytest.mark.parametrize("state", list(ObservedState))
def test_observed_states_are_terminal_or_live_or_suspended(state: ObservedState) -> None:
    assert ObservedState.parse(state.value) is state
    kinds = [state.is_terminal, state.is_live, state is ObservedState.SUSPENDED]
    assert kinds.count(True) == 1


def test_unknown_observed_state_parses_as_unknown() -> None:
    assert ObservedState.parse("SOMETHING_NEW") is ObservedState.UNKNOWN
    assert ObservedState.parse(None) is None
