"""What the reconciler should do next for one job: a pure decision over desired vs observed.

``decide`` is the whole policy: given a job (desired state, status, current Flink JobID,
stop in progress) and the row Flink's ``/jobs/overview`` shows for that JobID (or none),
it returns one ``Decision``. The reconciler carries it out; nothing here does I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from millstream.domain.jobs import DesiredState, Job, JobStatus, StopStrategy

__all__ = [
    "FLINK_LIVE_STATES",
    "FLINK_TERMINAL_STATES",
    "Decision",
    "Step",
    "decide",
]

FLINK_TERMINAL_STATES = frozenset({"FAILED", "CANCELED", "FINISHED"})
FLINK_LIVE_STATES = frozenset(
    {"INITIALIZING", "CREATED", "RUNNING", "FAILING", "CANCELLING", "RESTARTING", "RECONCILING"}
)


class Step(enum.StrEnum):
    NOTHING = "NOTHING"  # wait: Flink is still getting there
    SUBMIT = "SUBMIT"  # submit the current attempt (first time, or a retry of it)
    RESUBMIT = "RESUBMIT"  # the cluster lost the job: new attempt from the latest state
    OBSERVE = "OBSERVE"  # record what Flink shows; maybe move STARTING -> RUNNING
    CANCEL = "CANCEL"  # plain cancel (stopStrategy NONE)
    STOP_WITH_SAVEPOINT = "STOP_WITH_SAVEPOINT"  # take the savepoint that ends the job
    POLL_STOP = "POLL_STOP"  # check the stop's savepoint; record its location
    CONCLUDE = "CONCLUDE"  # the job ended: record its terminal status


@dataclass(frozen=True, slots=True)
class Decision:
    step: Step
    status: JobStatus | None = None  # for CONCLUDE: the terminal status
    reason: str = ""


def _terminal_for(flink_state: str, job: Job) -> JobStatus:
    if flink_state == "FAILED":
        return JobStatus.FAILED
    if job.desired is DesiredState.STOPPED:
        return JobStatus.CANCELLED
    if flink_state == "FINISHED":
        return JobStatus.FINISHED
    return JobStatus.CANCELLED


def decide(job: Job, observed_state: str | None, *, stop_savepoint_pending: bool) -> Decision:
    """One step for ``job`` given Flink's state for its current JobID (None: not listed).

    ``stop_savepoint_pending``: the savepoint a stop took is still in state STARTED.
    """
    if job.is_terminal:
        return Decision(Step.NOTHING, reason="job is terminal")

    if job.desired is DesiredState.STOPPED:
        if job.flink_job_id is None:
            return Decision(Step.CONCLUDE, JobStatus.CANCELLED, "stopped before submission")
        if observed_state is None:
            if stop_savepoint_pending:
                return Decision(Step.POLL_STOP, reason="job gone; settle its savepoint first")
            return Decision(Step.CONCLUDE, JobStatus.CANCELLED, "no longer on the cluster")
        if observed_state in FLINK_TERMINAL_STATES:
            if stop_savepoint_pending:
                return Decision(Step.POLL_STOP, reason="job ended; record the savepoint")
            return Decision(
                Step.CONCLUDE, _terminal_for(observed_state, job), f"Flink reports {observed_state}"
            )
        if job.stop_strategy in (None, StopStrategy.NONE):
            return Decision(Step.CANCEL, reason="stop without savepoint")
        if job.stop_savepoint_id is not None:
            return Decision(Step.POLL_STOP, reason="stop with savepoint in progress")
        if observed_state != "RUNNING":
            return Decision(Step.NOTHING, reason=f"cannot savepoint while {observed_state}")
        return Decision(Step.STOP_WITH_SAVEPOINT, reason="stop requested")

    # desired RUNNING
    if job.flink_job_id is None:
        return Decision(Step.SUBMIT, reason="not submitted yet")
    if observed_state is None:
        if job.status is JobStatus.STARTING:
            return Decision(Step.SUBMIT, reason="submission not visible on the cluster")
        return Decision(Step.RESUBMIT, reason="the cluster no longer has the job")
    if observed_state == "SUSPENDED":
        return Decision(Step.RESUBMIT, reason="Flink suspended the job")
    if observed_state in FLINK_TERMINAL_STATES:
        return Decision(
            Step.CONCLUDE, _terminal_for(observed_state, job), f"Flink reports {observed_state}"
        )
    return Decision(Step.OBSERVE)
