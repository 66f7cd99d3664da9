"""The JobManager resize operation: its phase machine and the decision over the carried
jobs' suspends (every job state a carried job can be in)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from millstream.domain.cluster_restarts import (
    CLUSTER_RESTART_TRANSITIONS,
    OPEN_PHASES,
    ClusterRestart,
    ClusterRestartPhase,
    SuspendCheck,
    suspend_check,
)
from millstream.domain.errors import InvalidTransition
from millstream.domain.jobs import DesiredState, Failure, Job, JobStatus
from millstream.domain.resources import ResourceSpec
from tests.factories import make_job


def _restart(phase: ClusterRestartPhase) -> ClusterRestart:
    return ClusterRestart("r", "ws", "ns", "s1", ResourceSpec(2.0, "2 GiB"), phase=phase)


@pytest.mark.parametrize(
    ("start", "end"),
    [(a, b) for a in ClusterRestartPhase for b in ClusterRestartPhase if a is not b],
)
def test_phases_move_only_along_the_declared_transitions(
    start: ClusterRestartPhase, end: ClusterRestartPhase
) -> None:
    restart = _restart(start)
    if end in CLUSTER_RESTART_TRANSITIONS[start]:
        restart.move_to(end)
        assert restart.phase is end
        assert restart.is_open is (end in OPEN_PHASES)
    else:
        with pytest.raises(InvalidTransition):
            restart.move_to(end)


def test_fail_records_reason_and_message() -> None:
    restart = _restart(ClusterRestartPhase.RESTARTING)
    restart.fail("ClusterFailed", "no port")
    assert (restart.phase, restart.failure_reason, restart.message) == (
        ClusterRestartPhase.FAILED,
        "ClusterFailed",
        "no port",
    )
    assert not restart.is_open


def _job(status: JobStatus, desired: DesiredState) -> Job:
    job = make_job(status=status, desired=desired)
    if status is JobStatus.FAILED:
        job.failure = Failure("out of memory", "JobFailed", datetime(2026, 1, 1, tzinfo=UTC))
    return job


@pytest.mark.parametrize(
    ("status", "desired", "outcome"),
    [
        (JobStatus.SUSPENDED, DesiredState.SUSPENDED, "done"),
        (JobStatus.CANCELLED, DesiredState.STOPPED, "done"),
        (JobStatus.FINISHED, DesiredState.RUNNING, "done"),
        (JobStatus.FAILED, DesiredState.SUSPENDED, "failed"),
        (JobStatus.RUNNING, DesiredState.RUNNING, "failed"),
        (JobStatus.RUNNING, DesiredState.SUSPENDED, "waiting"),
        (JobStatus.CANCELLING, DesiredState.SUSPENDED, "waiting"),
        (JobStatus.CANCELLING, DesiredState.STOPPED, "waiting"),
        (JobStatus.SUSPENDED, DesiredState.RUNNING, "waiting"),
        (JobStatus.STARTING, DesiredState.RUNNING, "waiting"),
    ],
)
def test_suspend_check_over_every_job_state(
    status: JobStatus, desired: DesiredState, outcome: str
) -> None:
    parked = _job(JobStatus.SUSPENDED, DesiredState.SUSPENDED)
    job = _job(status, desired)
    check = suspend_check([parked.id, job.id], {parked.id: parked, job.id: job})
    if outcome == "done":
        assert check == SuspendCheck(done=True)
    elif outcome == "failed":
        assert not check.done
        assert check.failure is not None
        assert job.id in check.failure
    else:
        assert check == SuspendCheck(waiting_for=(job.id,))


def test_a_deleted_job_needs_no_carrying() -> None:
    assert suspend_check(["gone"], {}) == SuspendCheck(done=True)
