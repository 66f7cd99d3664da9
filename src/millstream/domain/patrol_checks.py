"""The patrol checks: restarts, checkpoint failures, backpressure, idle sources and
savepoint age, each a small rule over one job's ``JobEvidence`` and the config's
``Thresholds`` that returns a ``Finding`` (severity, evidence, advice) or nothing.
``inspect`` applies them all; ``control.services.patrol`` calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from millstream.domain.patrol import Check, Finding, JobEvidence, Severity, Thresholds

__all__ = ["CHECKS", "inspect"]

Rule = Callable[[JobEvidence, Thresholds, datetime], "Finding | None"]


def _finding(
    job: JobEvidence,
    check: Check,
    severity: Severity,
    description: str,
    advice: str,
    **evidence: float | int | str,
) -> Finding:
    return Finding(
        check=check,
        severity=severity,
        job_id=job.job_id,
        deployment_id=job.deployment_id,
        deployment_name=job.deployment_name,
        description=description,
        advice=advice,
        evidence=evidence,
        tags=job.tags,
    )


def restarts(job: JobEvidence, limits: Thresholds, _now: datetime) -> Finding | None:
    """Flink restarted the current run at least ``max_restarts`` times."""
    if job.restarts is None or job.restarts < limits.max_restarts:
        return None
    severity = Severity.CRITICAL if job.restarts >= 3 * limits.max_restarts else Severity.WARNING
    return _finding(
        job,
        Check.RESTARTS,
        severity,
        f"The job restarted {job.restarts} times (threshold {limits.max_restarts}).",
        "Read the job's exception history for the root cause; fix the failing operator or "
        "its external system before raising the restart strategy's limits.",
        restarts=job.restarts,
        threshold=limits.max_restarts,
    )


def checkpoint_failures(job: JobEvidence, limits: Thresholds, _now: datetime) -> Finding | None:
    """At least ``max_failed_checkpoints`` checkpoints of the current run failed."""
    failed = job.failed_checkpoints
    if failed is None or failed < limits.max_failed_checkpoints:
        return None
    completed = job.completed_checkpoints or 0
    severity = Severity.CRITICAL if completed == 0 else Severity.WARNING
    cause = (
        f" Latest failure: {job.latest_checkpoint_failure}" if job.latest_checkpoint_failure else ""
    )
    return _finding(
        job,
        Check.CHECKPOINT_FAILURES,
        severity,
        f"{failed} checkpoints failed, {completed} completed.{cause}",
        "Check the checkpoint storage is reachable and writable; if checkpoints time out, "
        "raise execution.checkpointing.timeout, enable unaligned checkpoints or relieve "
        "backpressure.",
        failed_checkpoints=failed,
        completed_checkpoints=completed,
        threshold=limits.max_failed_checkpoints,
    )


def backpressure(job: JobEvidence, limits: Thresholds, _now: datetime) -> Finding | None:
    """A vertex is backpressured at least ``backpressure_ratio`` of the time."""
    ratio = job.max_backpressure
    if ratio is None or ratio < limits.backpressure_ratio:
        return None
    severity = Severity.CRITICAL if ratio >= 0.9 else Severity.WARNING
    vertex = job.backpressured_vertex or "a vertex"
    return _finding(
        job,
        Check.BACKPRESSURE,
        severity,
        f"{vertex} is backpressured {ratio:.0%} of the time "
        f"(threshold {limits.backpressure_ratio:.0%}).",
        "The operators downstream of it are too slow: raise their parallelism (or enable "
        "Autopilot), or look for a slow sink or data skew.",
        backpressure_ratio=round(ratio, 4),
        vertex=vertex,
        threshold=limits.backpressure_ratio,
    )


def idle_source(job: JobEvidence, limits: Thresholds, now: datetime) -> Finding | None:
    """The sources emitted nothing over the whole idle window (and the job ran that long)."""
    rates = job.source_output
    if not rates or any(rate > 0 for rate in rates):
        return None
    window = timedelta(minutes=limits.idle_minutes)
    if job.running_since is None or now - job.running_since < window:
        return None
    return _finding(
        job,
        Check.IDLE_SOURCE,
        Severity.WARNING,
        f"The sources emitted no records for {limits.idle_minutes} minutes ({len(rates)} samples).",
        "Check the upstream system still produces data and the source's offsets or "
        "partitions; set table.exec.source.idle-timeout so idle partitions do not hold "
        "back watermarks.",
        samples=len(rates),
        idle_minutes=limits.idle_minutes,
    )


def savepoint_age(job: JobEvidence, limits: Thresholds, now: datetime) -> Finding | None:
    """The deployment's newest completed savepoint is older than the limit (or missing
    for a job that ran longer than it)."""
    limit = timedelta(hours=limits.max_savepoint_age_hours)
    if job.latest_savepoint_at is None:
        if job.running_since is None or now - job.running_since < limit:
            return None
        return _finding(
            job,
            Check.SAVEPOINT_AGE,
            Severity.WARNING,
            f"The deployment has no savepoint and has run longer than "
            f"{limits.max_savepoint_age_hours} hours.",
            "Take a savepoint, or set a savepoint schedule, so an upgrade or a failure "
            "can restore recent state.",
            threshold_hours=limits.max_savepoint_age_hours,
        )
    age = now - job.latest_savepoint_at
    if age <= limit:
        return None
    hours = age.total_seconds() / 3600
    return _finding(
        job,
        Check.SAVEPOINT_AGE,
        Severity.INFO,
        f"The newest savepoint is {hours:.1f} hours old "
        f"(threshold {limits.max_savepoint_age_hours} hours).",
        "Take a savepoint, or set a savepoint schedule, so a restore does not replay "
        "hours of input.",
        age_hours=round(hours, 2),
        threshold_hours=limits.max_savepoint_age_hours,
    )


CHECKS: dict[Check, Rule] = {
    Check.RESTARTS: restarts,
    Check.CHECKPOINT_FAILURES: checkpoint_failures,
    Check.BACKPRESSURE: backpressure,
    Check.IDLE_SOURCE: idle_source,
    Check.SAVEPOINT_AGE: savepoint_age,
}


def inspect(jobs: Sequence[JobEvidence], limits: Thresholds, now: datetime) -> list[Finding]:
    """Every check over every job, the most severe first."""
    found = [
        finding
        for job in jobs
        for rule in CHECKS.values()
        if (finding := rule(job, limits, now)) is not None
    ]
    return sorted(found, key=lambda item: -item.severity.rank)
