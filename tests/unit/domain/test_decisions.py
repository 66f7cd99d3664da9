"""Every branch of the reconciler's decision policy, one row each."""

from __future__ import annotations

import pytest

from millstream.domain.decisions import Step, decide
from millstream.domain.jobs import DesiredState, JobStatus, StopStrategy
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
    decision = decide(job, observed, stop_savepoint_pending=pending)
    assert decision.step is step
    assert decision.status == (JobStatus(to) if to else None)
