"""What the reconciler should do next for one job: a pure decision over desired vs observed.

``decide`` is the whole policy: given a job (desired state, status, current engine run,
stop or suspend in progress, restart policy) and the state the cluster reports for that
run (``ObservedState``, or None when the cluster does not list it), it returns one
``Decision``. The reconciler (``control/reconciler``) carries it out; nothing here does
I/O. The policy reads in three parts, one per kind of wish:

- a SUSPENDED job waits, is resumed, or is stopped without touching the engine;
- a job asked to stop or suspend is cancelled or stopped with a savepoint, then ends
  CANCELLED or SUSPENDED;
- a job asked to run is submitted, resubmitted when the cluster lost it, observed, or
  concluded when its run ended; a FAILED run is restarted while the job's restart
  policy has budget left (``domain.restarts``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from millstream.domain.jobs import DesiredState, Job, JobStatus, StopStrategy
from millstream.domain.observed import ObservedState
from millstream.domain.restarts import restart_allowed, restarts_in_window

__all__ = [
    "RESTART_BUDGET_SPENT",
    "Decision",
    "Step",
    "decide",
]

# ``Failure.reason`` of a job whose restart policy gave up.
RESTART_BUDGET_SPENT = "RestartBudgetSpent"


class Step(enum.StrEnum):
    NOTHING = "NOTHING"  # wait: the engine is still getting there, or nothing is wanted
    SUBMIT = "SUBMIT"  # submit the current attempt (first time, or a retry of it)
    RESUBMIT = "RESUBMIT"  # the cluster lost the job: new attempt from the latest state
    RESUME = "RESUME"  # a SUSPENDED job: new attempt from its suspend savepoint
    RESTART = "RESTART"  # the run FAILED and the restart policy allows: new attempt
    OBSERVE = "OBSERVE"  # record what the engine shows; maybe move STARTING -> RUNNING
    CANCEL = "CANCEL"  # plain cancel (stop strategy NONE)
    STOP_WITH_SAVEPOINT = "STOP_WITH_SAVEPOINT"  # take the savepoint that ends the run
    POLL_STOP = "POLL_STOP"  # check the stop's savepoint; record its location
    CONCLUDE = "CONCLUDE"  # the run ended: record the job's status (terminal or SUSPENDED)


@dataclass(frozen=True, slots=True)
class Decision:
    step: Step
    status: JobStatus | None = None  # for CONCLUDE: the status the job ends in
    reason: str = ""
    # for CONCLUDE as FAILED: record ``reason`` as the job's failure under this reason
    # code (the engine's root cause goes into the message) instead of the root cause
    failure_reason: str | None = None


def _ended(job: Job, observed: ObservedState) -> JobStatus:
    """The status a job ends in when its run ended in ``observed``."""
    if observed is ObservedState.FAILED:
        return JobStatus.FAILED
    if job.desired is DesiredState.SUSPENDED:
        return JobStatus.SUSPENDED  # a stop with savepoint ends the run FINISHED
    if job.desired is DesiredState.STOPPED:
        return JobStatus.CANCELLED
    if observed is ObservedState.FINISHED:
        return JobStatus.FINISHED
    return JobStatus.CANCELLED


def decide(
    job: Job,
    observed: ObservedState | None,
    *,
    stop_savepoint_pending: bool,
    now: datetime | None = None,
) -> Decision:
    """One step for ``job`` given the state of its current run (None: not listed).

    ``stop_savepoint_pending``: the savepoint a stop or suspend took is still STARTED.
    ``now``: the reconciler's clock, for the restart policy's hourly budget (without it
    a FAILED run is never restarted).
    """
    if job.is_terminal:
        return Decision(Step.NOTHING, reason="job is terminal")
    if job.status is JobStatus.SUSPENDED:
        return _suspended(job)
    if job.desired is DesiredState.RUNNING:
        return _running(job, observed, now)
    return _stopping(job, observed, stop_savepoint_pending=stop_savepoint_pending)


def _suspended(job: Job) -> Decision:
    """A SUSPENDED job has no run on the cluster: only the user's wish moves it."""
    if job.desired is DesiredState.RUNNING:
        return Decision(Step.RESUME, reason="resume requested")
    if job.desired is DesiredState.STOPPED:
        return Decision(Step.CONCLUDE, JobStatus.CANCELLED, "stopped while suspended")
    return Decision(Step.NOTHING, reason="suspended")


def _stopping(
    job: Job, observed: ObservedState | None, *, stop_savepoint_pending: bool
) -> Decision:
    """Desired STOPPED or SUSPENDED: end the run (with a savepoint unless a plain cancel)."""
    suspend = job.desired is DesiredState.SUSPENDED
    wish = "suspend" if suspend else "stop"
    ended = JobStatus.SUSPENDED if suspend else JobStatus.CANCELLED
    if job.flink_job_id is None:
        return Decision(Step.CONCLUDE, ended, f"{wish} before submission")
    if observed is None:
        if stop_savepoint_pending:
            return Decision(Step.POLL_STOP, reason="job gone; settle its savepoint first")
        if (
            not suspend
            and job.stop_strategy not in (None, StopStrategy.NONE)
            and job.stop_savepoint_id is None
        ):
            # The cluster lost the job before its savepoint was asked for: the attempt
            # fails loudly (STOP_FAILED) and the job is resubmitted from its latest
            # state, never concluded as stopped without the state the stop promised.
            return Decision(Step.STOP_WITH_SAVEPOINT, reason=f"{wish} requested; job gone")
        return Decision(Step.CONCLUDE, ended, "no longer on the cluster")
    if observed.is_terminal:
        if stop_savepoint_pending:
            return Decision(Step.POLL_STOP, reason="job ended; record the savepoint")
        return Decision(Step.CONCLUDE, _ended(job, observed), _stop_outcome(wish, observed))
    if job.stop_strategy in (None, StopStrategy.NONE):
        return Decision(Step.CANCEL, reason="stop without savepoint")
    if job.stop_savepoint_id is not None:
        return Decision(Step.POLL_STOP, reason=f"{wish} with savepoint in progress")
    if observed is not ObservedState.RUNNING:
        return Decision(Step.NOTHING, reason=f"cannot savepoint while {observed.value}")
    return Decision(Step.STOP_WITH_SAVEPOINT, reason=f"{wish} requested")


def _stop_outcome(wish: str, observed: ObservedState) -> str:
    """Why a stop or suspend concluded, in words a user reads in the job's events."""
    done = "suspended" if wish == "suspend" else "stopped"
    if observed is ObservedState.FINISHED:
        # A stop with savepoint ends the job: Flink calls that FINISHED.
        return f"{done} with a savepoint; Flink ended the job after taking it"
    if observed is ObservedState.CANCELED:
        return f"{done}: Flink cancelled the job"
    return f"{done}, but Flink reports the job {observed.value}"


def _running(job: Job, observed: ObservedState | None, now: datetime | None) -> Decision:
    """Desired RUNNING: get the current attempt onto the cluster and keep it there."""
    if job.flink_job_id is None:
        return Decision(Step.SUBMIT, reason="not submitted yet")
    if observed is None:
        if job.status is JobStatus.STARTING:
            return Decision(Step.SUBMIT, reason="submission not visible on the cluster")
        return Decision(Step.RESUBMIT, reason="the cluster no longer has the job")
    if observed is ObservedState.SUSPENDED:
        return Decision(Step.RESUBMIT, reason="Flink suspended the job")
    if observed is ObservedState.FAILED and job.restart_policy.enabled and now is not None:
        return _restart_or_fail(job, now)
    if observed.is_terminal:
        return Decision(Step.CONCLUDE, _ended(job, observed), f"Flink reports {observed.value}")
    return Decision(Step.OBSERVE)


def _restart_or_fail(job: Job, now: datetime) -> Decision:
    limit = job.restart_policy.max_restarts_per_hour
    if restart_allowed(job.restart_policy, job.restart_history, now):
        count = restarts_in_window(job.restart_history, now) + 1
        return Decision(
            Step.RESTART,
            reason=f"Flink reports FAILED; restart {count} of at most {limit} per hour",
        )
    return Decision(
        Step.CONCLUDE,
        JobStatus.FAILED,
        f"the restart policy's budget is spent ({limit} restart{'' if limit == 1 else 's'} "
        "within the last hour)",
        failure_reason=RESTART_BUDGET_SPENT,
    )
