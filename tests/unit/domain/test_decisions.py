"""Every branch of the reconciler's decision policy, one row each; suspend, resume and
the restart policy's budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from millstream.domain.decisions import RESTART_BUDGET_SPENT, Step, decide
from millstream.domain.jobs import DesiredState, JobStatus, StopStrategy
from millstream.domain.observed import ObservedState
from millstream.domain.restarts import RestartPolicy
from tests.factories import make_job


@pytest.mark.parametrize(
    ("desired", "status", "flink_id", "stop", "stop_sp", "observed", "pending", "step", "to"),
    [
        ("RUNNING", "STARTING", None, None, None, None, False, Step.SUBMIT, None),
        ("RUNNING", "STARTING", "f", None, None, None, False, Step.SUBMIT, None),
        ("RUNNING", "RUNNING", "f", None, None, None, False, Step.RESUBMIT, None),
        ("RUNNING", "RUNNING", "f", None, None, "SUSPENDED", False, Step.RESUBMIT, None),
        ("RUNNING", "STARTING", "f", None, None, "RUNNING", False, Step.OBSERVE, None),
        ("RUNNING", "RUNNING", "f", None, None, "RESTARTING", False, Step.OBSERVE, None),
        ("RUNNING", "RUNNING", "f", None, None, "FAILED", False, Step.CONCLUDE, "FAILED"),
        ("RUNNING", "RUNNING", "f", None, None, "FINISHED", False, Step.CONCLUDE, "FINISHED"),
        ("RUNNING", "RUNNING", "f", None, None, "CANCELED", False, Step.CONCLUDE, "CANCELLED"),
        ("STOPPED", "STARTING", None, "NONE", None, None, False, Step.CONCLUDE, "CANCELLED"),
        ("STOPPED", "RUNNING", "f", "NONE", None, None, False, Step.CONCLUDE, "CANCELLED"),
        ("STOPPED", "RUNNING", "f", "NONE", None, "RUNNING", False, Step.CANCEL, None),
        # the cluster lost the job before the stop's savepoint: try (fails as STOP_FAILED);
        # once its savepoint settled (completed), the stop concludes
        (
            "STOPPED",
            "CANCELLING",
            "f",
            "STOP_WITH_SAVEPOINT",
            "s",
            None,
            False,
            Step.CONCLUDE,
            "CANCELLED",
        ),
        (
            "STOPPED",
            "RUNNING",
            "f",
            "STOP_WITH_SAVEPOINT",
            None,
            None,
            False,
            Step.STOP_WITH_SAVEPOINT,
            None,
        ),
        (
            "STOPPED",
            "RUNNING",
            "f",
            "STOP_WITH_SAVEPOINT",
            None,
            "RUNNING",
            False,
            Step.STOP_WITH_SAVEPOINT,
            None,
        ),
        (
            "STOPPED",
            "STARTING",
            "f",
            "STOP_WITH_SAVEPOINT",
            None,
            "INITIALIZING",
            False,
            Step.NOTHING,
            None,
        ),
        (
            "STOPPED",
            "CANCELLING",
            "f",
            "STOP_WITH_DRAIN",
            "s",
            "RUNNING",
            True,
            Step.POLL_STOP,
            None,
        ),
        (
            "STOPPED",
            "CANCELLING",
            "f",
            "STOP_WITH_SAVEPOINT",
            "s",
            "FINISHED",
            True,
            Step.POLL_STOP,
            None,
        ),
        (
            "STOPPED",
            "CANCELLING",
            "f",
            "STOP_WITH_SAVEPOINT",
            "s",
            "FINISHED",
            False,
            Step.CONCLUDE,
            "CANCELLED",
        ),
        (
            "STOPPED",
            "CANCELLING",
            "f",
            "STOP_WITH_SAVEPOINT",
            "s",
            "FAILED",
            False,
            Step.CONCLUDE,
            "FAILED",
        ),
        (
            "STOPPED",
            "CANCELLING",
            "f",
            "STOP_WITH_SAVEPOINT",
            "s",
            None,
            True,
            Step.POLL_STOP,
            None,
        ),
        ("RUNNING", "FAILED", "f", None, None, "RUNNING", False, Step.NOTHING, None),
    ],
)
def test_decide(
    desired: str,
    status: str,
    flink_id: str | None,
    stop: str | None,
    stop_sp: str | None,
    observed: str | None,
    pending: bool,
    step: Step,
    to: str | None,
) -> None:
    job = make_job(
        desired=DesiredState(desired),
        status=JobStatus(status),
        flink_job_id=flink_id,
        stop_strategy=StopStrategy(stop) if stop else None,
        stop_savepoint_id=stop_sp,
    )
    decision = decide(
        job, ObservedState(observed) if observed else None, stop_savepoint_pending=pending
    )
    assert decision.step is step
    assert decision.status == (JobStatus(to) if to else None)


T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ON = RestartPolicy(enabled=True, max_restarts_per_hour=2)


@pytest.mark.parametrize(
    ("desired", "status", "flink_id", "stop_sp", "observed", "pending", "step", "to"),
    [
        # suspending: a stop with savepoint that ends SUSPENDED instead of CANCELLED
        ("SUSPENDED", "RUNNING", "f", None, "RUNNING", False, Step.STOP_WITH_SAVEPOINT, None),
        ("SUSPENDED", "RUNNING", "f", None, "RESTARTING", False, Step.NOTHING, None),
        ("SUSPENDED", "CANCELLING", "f", "s", "RUNNING", True, Step.POLL_STOP, None),
        ("SUSPENDED", "CANCELLING", "f", "s", "FINISHED", True, Step.POLL_STOP, None),
        ("SUSPENDED", "CANCELLING", "f", "s", "FINISHED", False, Step.CONCLUDE, "SUSPENDED"),
        ("SUSPENDED", "CANCELLING", "f", "s", "FAILED", False, Step.CONCLUDE, "FAILED"),
        ("SUSPENDED", "CANCELLING", "f", "s", None, False, Step.CONCLUDE, "SUSPENDED"),
        ("SUSPENDED", "RUNNING", "f", None, None, False, Step.CONCLUDE, "SUSPENDED"),
        # suspended: only the user's wish moves it, whatever the cluster still lists
        ("SUSPENDED", "SUSPENDED", "f", "s", "FINISHED", False, Step.NOTHING, None),
        ("SUSPENDED", "SUSPENDED", "f", "s", None, False, Step.NOTHING, None),
        ("RUNNING", "SUSPENDED", "f", "s", "FINISHED", False, Step.RESUME, None),
        ("RUNNING", "SUSPENDED", "f", "s", None, False, Step.RESUME, None),
        ("STOPPED", "SUSPENDED", "f", "s", None, False, Step.CONCLUDE, "CANCELLED"),
    ],
)
def test_decide_suspend_and_resume(
    desired: str,
    status: str,
    flink_id: str | None,
    stop_sp: str | None,
    observed: str | None,
    pending: bool,
    step: Step,
    to: str | None,
) -> None:
    job = make_job(
        desired=DesiredState(desired),
        status=JobStatus(status),
        flink_job_id=flink_id,
        stop_strategy=StopStrategy.STOP_WITH_SAVEPOINT if desired != "RUNNING" else None,
        stop_savepoint_id=stop_sp,
    )
    decision = decide(
        job, ObservedState(observed) if observed else None, stop_savepoint_pending=pending, now=T0
    )
    assert decision.step is step
    assert decision.status == (JobStatus(to) if to else None)


def test_failed_run_without_restart_policy_concludes_failed() -> None:
    job = make_job(status=JobStatus.RUNNING, flink_job_id="f")
    decision = decide(job, ObservedState.FAILED, stop_savepoint_pending=False, now=T0)
    assert (decision.step, decision.status) == (Step.CONCLUDE, JobStatus.FAILED)
    assert decision.failure_reason is None


@pytest.mark.parametrize("status", [JobStatus.STARTING, JobStatus.RUNNING])
def test_failed_run_restarts_while_the_policy_has_budget(status: JobStatus) -> None:
    job = make_job(status=status, flink_job_id="f", restart_policy=ON)
    decision = decide(job, ObservedState.FAILED, stop_savepoint_pending=False, now=T0)
    assert decision.step is Step.RESTART
    assert "restart 1 of at most 2 per hour" in decision.reason


def test_spent_budget_concludes_failed_with_the_reason() -> None:
    history = (T0 - timedelta(minutes=50), T0 - timedelta(minutes=10))
    job = make_job(
        status=JobStatus.RUNNING, flink_job_id="f", restart_policy=ON, restart_history=history
    )
    decision = decide(job, ObservedState.FAILED, stop_savepoint_pending=False, now=T0)
    assert (decision.step, decision.status) == (Step.CONCLUDE, JobStatus.FAILED)
    assert decision.failure_reason == RESTART_BUDGET_SPENT
    assert "2 restarts within the last hour" in decision.reason


def test_restarts_older_than_an_hour_free_the_budget() -> None:
    history = (T0 - timedelta(minutes=61), T0 - timedelta(minutes=10))
    job = make_job(
        status=JobStatus.RUNNING, flink_job_id="f", restart_policy=ON, restart_history=history
    )
    decision = decide(job, ObservedState.FAILED, stop_savepoint_pending=False, now=T0)
    assert decision.step is Step.RESTART
    assert "restart 2 of at most 2" in decision.reason


@pytest.mark.parametrize("observed", [ObservedState.FINISHED, ObservedState.CANCELED])
def test_restart_policy_applies_to_failures_only(observed: ObservedState) -> None:
    job = make_job(status=JobStatus.RUNNING, flink_job_id="f", restart_policy=ON)
    decision = decide(job, observed, stop_savepoint_pending=False, now=T0)
    assert decision.step is Step.CONCLUDE


def test_a_stop_in_progress_is_never_restarted() -> None:
    job = make_job(
        status=JobStatus.CANCELLING,
        desired=DesiredState.STOPPED,
        stop_strategy=StopStrategy.NONE,
        flink_job_id="f",
        restart_policy=ON,
    )
    decision = decide(job, ObservedState.FAILED, stop_savepoint_pending=False, now=T0)
    assert (decision.step, decision.status) == (Step.CONCLUDE, JobStatus.FAILED)


@pytest.mark.parametrize(
    ("desired", "observed", "reason"),
    [
        (
            DesiredState.STOPPED,
            ObservedState.FINISHED,
            "stopped with a savepoint; Flink ended the job after taking it",
        ),
        (
            DesiredState.SUSPENDED,
            ObservedState.FINISHED,
            "suspended with a savepoint; Flink ended the job after taking it",
        ),
        (DesiredState.STOPPED, ObservedState.CANCELED, "stopped: Flink cancelled the job"),
        (DesiredState.STOPPED, ObservedState.FAILED, "stopped, but Flink reports the job FAILED"),
    ],
)
def test_a_concluded_stop_says_what_happened_in_words(
    desired: DesiredState, observed: ObservedState, reason: str
) -> None:
    job = make_job(
        status=JobStatus.CANCELLING,
        desired=desired,
        stop_strategy=StopStrategy.STOP_WITH_SAVEPOINT,
        flink_job_id="f",
    )
    decision = decide(job, observed, stop_savepoint_pending=False, now=T0)
    assert (decision.step, decision.reason) == (Step.CONCLUDE, reason)
