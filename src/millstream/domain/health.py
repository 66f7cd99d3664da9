"""Health checks of a deployment's running job and rollback to its last stable spec.

A ``HealthPolicy`` (per deployment, set by a user) says what makes a job unhealthy: more
than ``max_restarts`` restarts within ``restart_window_seconds``, no completed checkpoint
for ``checkpoint_stall_seconds`` while checkpointing is on, or sources that read nothing
for ``source_idle_seconds``. It also says what to do: ``auto_restart`` (restart from the
latest state) and ``rollback`` (a new spec that is not stable within
``readiness_timeout_seconds`` goes back to the last stable spec, the Flink Kubernetes
Operator's ``lastStableSpec``).

``step`` is the whole decision, pure: the previous ``HealthStatus`` (the checker's
bookkeeping) and one ``HealthSample`` of the deployment's newest job in, the next status
and the ``Action`` to take out. ``control.health_checks`` observes, calls ``step``,
stores the status and acts. A job is *stable* once it has been RUNNING and healthy for
``stable_period_seconds``; its spec (``spec_fingerprint``) becomes the deployment's last
stable spec.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from millstream.domain.errors import InvalidInput
from millstream.domain.jobs import DesiredState, Job, JobStatus
from millstream.domain.observed import ObservedState

__all__ = [
    "MAX_RESTART_MARKS",
    "Action",
    "HealthPolicy",
    "HealthSample",
    "HealthState",
    "HealthStatus",
    "Step",
    "UnhealthyReason",
    "restarts_in_window",
    "spec_fingerprint",
    "step",
]

_MAX_SECONDS = 30 * 24 * 3600
# Restart times kept in the bookkeeping: enough to count any ``max_restarts`` (<= 1000).
MAX_RESTART_MARKS = 1001


class HealthState(enum.StrEnum):
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    UNKNOWN = "UNKNOWN"  # no live job to judge (none, stopped, or still starting)


class UnhealthyReason(enum.StrEnum):
    RESTARTS = "RESTARTS"
    CHECKPOINT_STALL = "CHECKPOINT_STALL"
    SOURCE_IDLE = "SOURCE_IDLE"
    JOB_FAILED = "JOB_FAILED"
    NOT_READY = "NOT_READY"  # a new spec not stable within the readiness timeout


class Action(enum.StrEnum):
    NONE = "NONE"
    RESTART = "RESTART"  # stop the job, start again from the latest state
    ROLLBACK = "ROLLBACK"  # stop the job, restore the last stable spec and its state


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """What is checked (``None`` turns a check off) and what is done about it."""

    deployment_id: str
    workspace: str
    namespace: str
    max_restarts: int | None = None
    restart_window_seconds: int = 600
    checkpoint_stall_seconds: int | None = None
    source_idle_seconds: int | None = None
    auto_restart: bool = False
    rollback: bool = False
    readiness_timeout_seconds: int = 300
    stable_period_seconds: int = 60
    modifier: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    def validate(self) -> None:
        if self.max_restarts is not None and not 0 <= self.max_restarts <= 1000:
            raise InvalidInput("maxRestarts must be between 0 and 1000")
        for name, value in (
            ("restartWindowSeconds", self.restart_window_seconds),
            ("readinessTimeoutSeconds", self.readiness_timeout_seconds),
            ("stablePeriodSeconds", self.stable_period_seconds),
            ("checkpointStallSeconds", self.checkpoint_stall_seconds),
            ("sourceIdleSeconds", self.source_idle_seconds),
        ):
            if value is not None and not 1 <= value <= _MAX_SECONDS:
                raise InvalidInput(f"{name} must be between 1 second and 30 days, got {value}")
        if self.rollback and self.stable_period_seconds >= self.readiness_timeout_seconds:
            raise InvalidInput(
                "readinessTimeoutSeconds must be longer than stablePeriodSeconds: a new spec "
                "is ready once it has been stable that long"
            )


@dataclass(frozen=True, slots=True)
class HealthSample:
    """The deployment's newest job as seen now. ``completed_checkpoints`` and
    ``source_records`` are Flink's counters of the current run (``None``: not read or
    not reported); ``spec_version`` the deployment version the job is believed to run."""

    job: Job | None
    spec_version: int | None = None
    completed_checkpoints: float | None = None
    source_records: float | None = None

    @property
    def running(self) -> bool:
        job = self.job
        return (
            job is not None
            and job.status is JobStatus.RUNNING
            and job.desired is DesiredState.RUNNING
            and job.observed.state in (ObservedState.RUNNING, None)
        )


@dataclass(frozen=True, slots=True)
class HealthStatus:
    """A deployment's health and the checker's bookkeeping (stored; survives restarts).

    ``state``/``reason``/``message``/``since``: what users see. ``job_id`` ..
    ``healthy_since``: the watched job's counters. ``stable_*``: the last stable spec
    (the job that ran it, its fingerprint and deployment version). ``pending_*``: a
    restart or rollback under way (``pending_job_id``: the job it stops; it stays
    named after the action is done, so the same job is never acted on twice)."""

    deployment_id: str
    workspace: str
    namespace: str
    state: HealthState = HealthState.UNKNOWN
    reason: UnhealthyReason | None = None
    message: str | None = None
    since: datetime | None = None
    job_id: str | None = None
    flink_job_id: str | None = None
    job_fingerprint: str | None = None
    job_version: int | None = None
    job_created_at: datetime | None = None
    restarts_seen: int | None = None
    restart_marks: tuple[datetime, ...] = ()
    checkpoints_seen: float | None = None
    checkpoint_progress_at: datetime | None = None
    records_seen: float | None = None
    source_progress_at: datetime | None = None
    healthy_since: datetime | None = None
    stable_job_id: str | None = None
    stable_fingerprint: str | None = None
    stable_version: int | None = None
    stable_at: datetime | None = None
    pending_action: Action | None = None
    pending_job_id: str | None = None
    last_action_at: datetime | None = None
    checked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Step:
    status: HealthStatus
    action: Action = Action.NONE
    became_unhealthy: bool = False
    became_healthy: bool = False
    became_stable: bool = False


def spec_fingerprint(job: Job) -> str:
    """A stable hash of what a job runs (artifact, mode, engine, resources, the
    deployment's Flink configuration, logging, variables): equal specs, equal hashes."""
    spec: dict[str, Any] = {
        "artifact": dataclasses.asdict(job.artifact),
        "mode": job.execution_mode.value,
        "engine": job.engine_version,
        "resources": dataclasses.asdict(job.resources),
        "conf": job.user_flink_conf,
        "logging": dataclasses.asdict(job.logging),
        "variables": job.local_variables,
    }
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def step(policy: HealthPolicy, previous: HealthStatus, sample: HealthSample, now: datetime) -> Step:
    """One check of the deployment: the next status and what to do."""
    job = sample.job
    status = _watch(previous, sample, now)
    if job is None:
        return _settle(previous, dataclasses.replace(status, checked_at=now), None, None, now)
    status = _count_restarts(status, job, now)
    status = _progress(status, sample, now)
    verdict = _verdict(policy, status, sample, job, now)
    ready = verdict is None and sample.running
    healthy_since = (status.healthy_since or now) if ready else None
    status = dataclasses.replace(status, healthy_since=healthy_since, checked_at=now)
    became_stable = False
    if (
        healthy_since is not None
        and now - healthy_since >= timedelta(seconds=policy.stable_period_seconds)
        and status.stable_job_id != job.id
    ):
        status = dataclasses.replace(
            status,
            stable_job_id=job.id,
            stable_fingerprint=status.job_fingerprint,
            stable_version=status.job_version,
            stable_at=now,
        )
        became_stable = True
    action = Action.NONE
    if _awaits_readiness(status, job) and policy.rollback:
        failed = job.status is JobStatus.FAILED
        late = now - (status.job_created_at or now) >= timedelta(
            seconds=policy.readiness_timeout_seconds
        )
        if failed or late:
            why = verdict[1] if verdict is not None else _not_ready(job, policy)
            verdict = (UnhealthyReason.NOT_READY, why)
            action = Action.ROLLBACK
    elif verdict is not None and policy.auto_restart and _restartable(policy, status, job, now):
        action = Action.RESTART
    if status.pending_action is not None or status.pending_job_id == job.id:
        action = Action.NONE  # one at a time, and never twice for the same job
    result = _settle(previous, status, verdict, sample, now)
    return dataclasses.replace(result, action=action, became_stable=became_stable)


def _watch(previous: HealthStatus, sample: HealthSample, now: datetime) -> HealthStatus:
    """Start over when the newest job changes; keep counters of the same job."""
    job = sample.job
    if job is None:
        return dataclasses.replace(
            previous,
            job_id=None,
            flink_job_id=None,
            restarts_seen=None,
            restart_marks=(),
            healthy_since=None,
        )
    if job.id == previous.job_id:
        return previous
    return dataclasses.replace(
        previous,
        job_id=job.id,
        flink_job_id=job.flink_job_id,
        job_fingerprint=spec_fingerprint(job),
        job_version=sample.spec_version,
        job_created_at=job.created_at or now,
        restarts_seen=job.observed.restarts,
        restart_marks=(),
        checkpoints_seen=None,
        checkpoint_progress_at=None,
        records_seen=None,
        source_progress_at=None,
        healthy_since=None,
    )


def _count_restarts(status: HealthStatus, job: Job, now: datetime) -> HealthStatus:
    """A rise of Flink's restart counter adds that many restart marks at ``now``; a new
    run (attempt) starts a new baseline (the restart policy's resubmissions are counted
    from the job's own restart history)."""
    seen, current = status.restarts_seen, job.observed.restarts
    marks = status.restart_marks
    if job.flink_job_id != status.flink_job_id:
        seen = None
    if current is not None and seen is not None and current > seen:
        marks = (*marks, *([now] * min(current - seen, MAX_RESTART_MARKS)))
    if current is not None:
        seen = current
    restarted = len(marks) > len(status.restart_marks)
    return dataclasses.replace(
        status,
        flink_job_id=job.flink_job_id,
        restarts_seen=seen,
        restart_marks=marks[-MAX_RESTART_MARKS:],
        healthy_since=None if restarted else status.healthy_since,
    )


def _progress(status: HealthStatus, sample: HealthSample, now: datetime) -> HealthStatus:
    """When completed checkpoints and records read last went up (or the run was first
    seen RUNNING: the stall is measured from there)."""
    if not sample.running:
        return dataclasses.replace(status, checkpoint_progress_at=None, source_progress_at=None)
    checkpoints, checkpoint_at = _advance(
        status.checkpoints_seen, status.checkpoint_progress_at, sample.completed_checkpoints, now
    )
    records, records_at = _advance(
        status.records_seen, status.source_progress_at, sample.source_records, now
    )
    return dataclasses.replace(
        status,
        checkpoints_seen=checkpoints,
        checkpoint_progress_at=checkpoint_at,
        records_seen=records,
        source_progress_at=records_at,
    )


def _advance(
    seen: float | None, at: datetime | None, value: float | None, now: datetime
) -> tuple[float | None, datetime]:
    if at is None:
        return value, now
    if value is None:
        return seen, at
    if seen is None or value != seen:  # up, or a new run's counter
        return value, now
    return seen, at


def _verdict(
    policy: HealthPolicy, status: HealthStatus, sample: HealthSample, job: Job, now: datetime
) -> tuple[UnhealthyReason, str] | None:
    if job.status is JobStatus.FAILED:
        reason = job.failure.message if job.failure is not None else "no reason recorded"
        return UnhealthyReason.JOB_FAILED, f"the job failed: {reason}"[:500]
    if policy.max_restarts is not None and not job.is_terminal:
        window = timedelta(seconds=policy.restart_window_seconds)
        restarts = sum(1 for at in status.restart_marks if now - at <= window)
        restarts += sum(1 for at in job.restart_history if now - at <= window)
        if restarts > policy.max_restarts:
            return (
                UnhealthyReason.RESTARTS,
                f"restarted {restarts} time{'' if restarts == 1 else 's'} in the last "
                f"{_span(policy.restart_window_seconds)} "
                f"(at most {policy.max_restarts} allowed)",
            )
    if not sample.running:
        return None
    stall = policy.checkpoint_stall_seconds
    at = status.checkpoint_progress_at
    if (
        stall is not None
        and _checkpointing(job)
        and at is not None
        and now - at >= timedelta(seconds=stall)
    ):
        return (
            UnhealthyReason.CHECKPOINT_STALL,
            f"no checkpoint completed for {_span(int((now - at).total_seconds()))} "
            f"(at most {_span(stall)} allowed)",
        )
    idle = policy.source_idle_seconds
    at = status.source_progress_at
    if idle is not None and at is not None and now - at >= timedelta(seconds=idle):
        return (
            UnhealthyReason.SOURCE_IDLE,
            f"the sources read nothing for {_span(int((now - at).total_seconds()))} "
            f"(at most {_span(idle)} allowed)",
        )
    return None


def _awaits_readiness(status: HealthStatus, job: Job) -> bool:
    """The job runs a spec other than the last stable one and has not become stable."""
    return (
        status.stable_fingerprint is not None
        and status.job_fingerprint != status.stable_fingerprint
        and status.stable_job_id != job.id
        and job.desired is DesiredState.RUNNING
        and job.status in (JobStatus.STARTING, JobStatus.RUNNING, JobStatus.FAILED)
    )


def _not_ready(job: Job, policy: HealthPolicy) -> str:
    return (
        f"the new spec was not RUNNING and healthy for {_span(policy.stable_period_seconds)} "
        f"within {_span(policy.readiness_timeout_seconds)} (job {job.status.value})"
    )


def _restartable(policy: HealthPolicy, status: HealthStatus, job: Job, now: datetime) -> bool:
    """A live job, not restarted by the checker within the restart window already."""
    if job.is_terminal or job.desired is not DesiredState.RUNNING:
        return False
    last = status.last_action_at
    return last is None or now - last >= timedelta(seconds=policy.restart_window_seconds)


def _checkpointing(job: Job) -> bool:
    interval = str(job.flink_conf.get("execution.checkpointing.interval", "")).strip()
    return interval not in ("", "0", "0s", "0 ms", "0ms")


def _settle(
    previous: HealthStatus,
    status: HealthStatus,
    verdict: tuple[UnhealthyReason, str] | None,
    sample: HealthSample | None,
    now: datetime,
) -> Step:
    """The user-visible state from the verdict, with ``since`` kept while it lasts."""
    if verdict is not None:
        reason, message = verdict
        since = previous.since if previous.state is HealthState.UNHEALTHY else now
        state = HealthState.UNHEALTHY
    elif sample is not None and sample.running:
        reason, message, state = None, None, HealthState.HEALTHY
        since = previous.since if previous.state is HealthState.HEALTHY else now
    else:
        reason, message, state = None, None, HealthState.UNKNOWN
        since = previous.since if previous.state is HealthState.UNKNOWN else now
    settled = dataclasses.replace(status, state=state, reason=reason, message=message, since=since)
    return Step(
        status=settled,
        became_unhealthy=state is HealthState.UNHEALTHY
        and (previous.state is not HealthState.UNHEALTHY or previous.reason is not reason),
        became_healthy=state is HealthState.HEALTHY and previous.state is HealthState.UNHEALTHY,
    )


def _span(seconds: int) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def restarts_in_window(marks: Sequence[datetime], window_seconds: int, now: datetime) -> int:
    """How many of ``marks`` fall in the window ending ``now`` (the API shows it)."""
    return sum(1 for at in marks if now - at <= timedelta(seconds=window_seconds))
