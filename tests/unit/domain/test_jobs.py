"""The job state machine, restore/stop parsing and deterministic Flink JobIDs."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.errors import InvalidInput, InvalidTransition
from millstream.domain.jobs import (
    TERMINAL,
    TRANSITIONS,
    JobStatus,
    RestoreKind,
    StopStrategy,
    flink_job_id,
)
from tests.factories import make_job


@pytest.mark.parametrize("source", list(JobStatus))
@pytest.mark.parametrize("target", list(JobStatus))
def test_move_to_follows_the_transition_table(source: JobStatus, target: JobStatus) -> None:
    job = make_job(status=source)
    allowed = target in TRANSITIONS[source] or (source is target and source not in TERMINAL)
    if allowed:
        job.move_to(target)
        assert job.status is target
    else:
        with pytest.raises(InvalidTransition):
            job.move_to(target)
        assert job.status is source


def test_terminal_states_have_no_way_out() -> None:
    for status in TERMINAL:
        assert TRANSITIONS[status] == frozenset()


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_stopping_a_terminal_job_is_refused(status: JobStatus) -> None:
    job = make_job(status=status)
    with pytest.raises(InvalidTransition):
        job.request_stop(StopStrategy.NONE)


def test_second_stop_is_refused() -> None:
    job = make_job(status=JobStatus.RUNNING)
    job.request_stop(StopStrategy.STOP_WITH_SAVEPOINT)
    with pytest.raises(InvalidTransition):
        job.request_stop(StopStrategy.NONE)


@given(st.uuids(), st.integers(min_value=1, max_value=10_000))
def test_flink_job_id_is_deterministic_hex_and_unique_per_attempt(
    job_id: uuid.UUID, attempt: int
) -> None:
    first = flink_job_id(str(job_id), attempt)
    assert first == flink_job_id(str(job_id), attempt)
    assert len(first) == 32
    assert int(first, 16) >= 0
    assert first != flink_job_id(str(job_id), attempt + 1)


def test_restore_kind_parses_domain_names_only() -> None:
    assert RestoreKind.parse("latest_state") is RestoreKind.LATEST_STATE
    assert RestoreKind.parse("NONE") is RestoreKind.NONE
    # Wire aliases (FROM_NEW, FROM_LATEST) belong to the native dialect's mapper.
    for alias in ("FROM_NEW", "FROM_LATEST", "SOMETIMES"):
        with pytest.raises(InvalidInput, match=r"unknown restore strategy .*LATEST_SAVEPOINT"):
            RestoreKind.parse(alias)
    with pytest.raises(InvalidInput, match="unknown stop strategy 'KILL'"):
        StopStrategy.parse("KILL")
