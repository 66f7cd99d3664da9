"""The observed engine state reaches the native wire (``JobStatusRunning``'s
``observedFlinkJobStatus``) through ``states.OBSERVED_STATES``, with the names the native
API has always sent: Flink's own job state names, one for one."""

from __future__ import annotations

import pytest
from tests.factories import make_job

from millstream.api.native import mappers
from millstream.api.native.states import OBSERVED_STATES
from millstream.domain.observed import ObservedState, ObservedStatus


def test_every_observed_state_keeps_its_historic_native_name() -> None:
    # The wire carried ``state.value`` before the table existed: it must not change.
    assert dict(OBSERVED_STATES) == {state: state.value for state in ObservedState}


@pytest.mark.parametrize("state", list(ObservedState), ids=str)
def test_job_status_renders_the_observed_state_through_the_table(state: ObservedState) -> None:
    job = make_job(observed=ObservedStatus(state=state, restarts=2))

    status = mappers.job_to_wire(job).status

    assert status is not None
    running = status.running
    assert running is not None
    assert running.observed_flink_job_status == OBSERVED_STATES[state]
    assert running.observed_flink_job_restarts == 2


def test_a_job_never_observed_has_no_running_status() -> None:
    job = make_job(observed=ObservedStatus())

    status = mappers.job_to_wire(job).status

    assert status is not None
    assert status.running is None
