"""Job diagnosis: rule-based findings from what Flink reports about one job.

``DiagnosisInput`` is a snapshot (exceptions, restarts, backpressure, checkpoint
statistics) that ``control.services.diagnosis`` gathers through the engine; ``diagnose``
runs every rule of ``RULES`` over it, in order, and scores the result. Each rule is a
small pure function that returns the findings it is responsible for, so a rule is tested
by handing it a snapshot. Categories follow the SDK's ``JobDiagnosisSymptoms`` groups.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "PENALTY",
    "RULES",
    "CheckpointStats",
    "Diagnosis",
    "DiagnosisInput",
    "ExceptionEntry",
    "Finding",
    "FindingCategory",
    "Severity",
    "VertexPressure",
    "diagnose",
]


class FindingCategory(enum.StrEnum):
    STARTUP = "startup"
    RUNTIME = "runtime"
    STATE = "state"
    TROUBLESHOOTING = "troubleshooting"
    OTHERS = "others"
    AUTOPILOT = "autopilot"  # resource advice (one at most)


class Severity(enum.StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


PENALTY: dict[Severity, int] = {Severity.LOW: 5, Severity.MEDIUM: 15, Severity.HIGH: 35}


@dataclass(frozen=True, slots=True)
class ExceptionEntry:
    """One entry of Flink's exception history (newest first)."""

    name: str
    message: str
    timestamp_ms: int | None = None
    task: str | None = None


@dataclass(frozen=True, slots=True)
class CheckpointStats:
    completed: int = 0
    failed: int = 0
    in_progress: int = 0
    latest_failure: str | None = None
    latest_duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class VertexPressure:
    """Backpressure of one job vertex: Flink's level ``ok``, ``low`` or ``high``."""

    name: str
    level: str
    ratio: float | None = None


@dataclass(frozen=True, slots=True)
class DiagnosisInput:
    job_status: str  # Millstream's JobStatus value
    flink_state: str | None = None  # Flink's JobStatus, None when not observed
    reachable: bool = True  # False when Flink could not be asked
    failure: str | None = None  # the job's recorded failure message
    restarts: int | None = None
    uptime_ms: int | None = None
    exceptions: tuple[ExceptionEntry, ...] = ()
    checkpoints: CheckpointStats | None = None
    backpressure: tuple[VertexPressure, ...] = ()
    parallelism: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    category: FindingCategory
    name: str
    description: str
    recommendation: str
    severity: Severity


@dataclass(frozen=True, slots=True)
class Diagnosis:
    findings: tuple[Finding, ...]
    health_score: int
    risk_level: Severity

    def in_category(self, category: FindingCategory) -> list[Finding]:
        return [f for f in self.findings if f.category is category]


Rule = Callable[[DiagnosisInput], list[Finding]]

_NO_CHECKPOINT_AFTER_MS = 5 * 60 * 1000
_SLOW_CHECKPOINT_MS = 60 * 1000

# Exception class (simple name, substring) -> what to do about it.
_ADVICE: tuple[tuple[str, str], ...] = (
    (
        "NoResourceAvailableException",
        "The cluster has too few free task slots: lower the job's parallelism (a hot "
        "update rescales it) or add TaskManagers, and stop jobs you no longer need.",
    ),
    (
        "OutOfMemoryError",
        "A TaskManager ran out of memory: give the deployment's TaskManagers more memory "
        "or reduce state per slot.",
    ),
    (
        "ClassNotFoundException",
        "A class is missing at run time: add the JAR that contains it to the "
        "deployment's additional dependencies.",
    ),
    (
        "NoClassDefFoundError",
        "A class is missing at run time: add the JAR that contains it to the "
        "deployment's additional dependencies.",
    ),
    (
        "TimeoutException",
        "A timeout occurred (heartbeat, RPC or external system): check the TaskManagers' "
        "health and the reachability of sources and sinks.",
    ),
    (
        "ValidationException",
        "The job's SQL or table definitions are invalid: fix the script and restart.",
    ),
)
_DEFAULT_ADVICE = (
    "Read the stack trace in the job's exception history (Flink's "
    "/jobs/<flink-job-id>/exceptions) and fix the cause in the program or its configuration."
)


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _advice(name: str, message: str) -> str:
    text = f"{name} {message}"
    for marker, advice in _ADVICE:
        if marker in text:
            return advice
    return _DEFAULT_ADVICE


def job_failed(data: DiagnosisInput) -> list[Finding]:
    """A FAILED job: its root cause is the first thing to read."""
    if data.job_status != "FAILED":
        return []
    message = data.failure or (data.exceptions[0].message if data.exceptions else "")
    name = data.exceptions[0].name if data.exceptions else ""
    return [
        Finding(
            FindingCategory.STATE,
            "JobFailed",
            f"The job failed: {message or 'no cause was reported'}",
            _advice(name, message),
            Severity.HIGH,
        )
    ]


def waiting_for_resources(data: DiagnosisInput) -> list[Finding]:
    """Accepted by Flink but no slots: it loops in RESTARTING with NoResourceAvailable."""
    starved = any("NoResourceAvailableException" in e.name + e.message for e in data.exceptions)
    if data.flink_state not in {"RESTARTING", "CREATED", "INITIALIZING"} or not starved:
        return []
    return [
        Finding(
            FindingCategory.STARTUP,
            "InsufficientSlots",
            f"The job cannot get task slots for parallelism {data.parallelism or '?'} and "
            f"keeps restarting (Flink state {data.flink_state}).",
            _advice("NoResourceAvailableException", ""),
            Severity.HIGH,
        )
    ]


def frequent_restarts(data: DiagnosisInput) -> list[Finding]:
    restarts = data.restarts or 0
    if restarts < 1:
        return []
    severity = Severity.HIGH if restarts >= 3 else Severity.MEDIUM
    return [
        Finding(
            FindingCategory.RUNTIME,
            "JobRestarts",
            f"The job restarted {restarts} time(s) since it was submitted.",
            "Find the exception that triggers the restarts in the troubleshooting findings; "
            "a job that restarts repeatedly reprocesses data and falls behind.",
            severity,
        )
    ]


def recent_exceptions(data: DiagnosisInput) -> list[Finding]:
    """The newest exception of the history, grouped with others of the same class."""
    if not data.exceptions:
        return []
    newest = data.exceptions[0]
    same = sum(1 for e in data.exceptions if e.name == newest.name)
    where = f" in {newest.task}" if newest.task else ""
    count = f" ({same} times in the history)" if same > 1 else ""
    live = data.job_status in {"RUNNING", "STARTING"}
    return [
        Finding(
            FindingCategory.TROUBLESHOOTING,
            _short(newest.name) or "Exception",
            f"{_short(newest.name)}{where}{count}: {newest.message}".strip(),
            _advice(newest.name, newest.message),
            Severity.MEDIUM if live else Severity.LOW,
        )
    ]


def checkpoint_failures(data: DiagnosisInput) -> list[Finding]:
    stats = data.checkpoints
    if stats is None or stats.failed < 1:
        return []
    attempts = stats.failed + stats.completed
    share = stats.failed / attempts if attempts else 1.0
    cause = f" The latest failure: {stats.latest_failure}" if stats.latest_failure else ""
    return [
        Finding(
            FindingCategory.STATE,
            "CheckpointFailures",
            f"{stats.failed} of {attempts} checkpoints failed.{cause}",
            "Check the checkpoint storage (space, permissions) and backpressure: slow "
            "operators delay barriers until the checkpoint times out.",
            Severity.HIGH if share >= 0.5 else Severity.MEDIUM,
        )
    ]


def no_completed_checkpoint(data: DiagnosisInput) -> list[Finding]:
    stats = data.checkpoints
    if (
        stats is None
        or data.job_status != "RUNNING"
        or stats.completed > 0
        or (data.uptime_ms or 0) < _NO_CHECKPOINT_AFTER_MS
    ):
        return []
    return [
        Finding(
            FindingCategory.STATE,
            "NoCompletedCheckpoint",
            f"No checkpoint completed in {(data.uptime_ms or 0) // 60000} minutes of running.",
            "Enable checkpointing (execution.checkpointing.interval) or find what blocks "
            "it: a restart from failure would lose all progress.",
            Severity.MEDIUM,
        )
    ]


def slow_checkpoints(data: DiagnosisInput) -> list[Finding]:
    stats = data.checkpoints
    duration = stats.latest_duration_ms if stats else None
    if duration is None or duration < _SLOW_CHECKPOINT_MS:
        return []
    return [
        Finding(
            FindingCategory.STATE,
            "SlowCheckpoint",
            f"The latest checkpoint took {duration / 1000:.1f} s.",
            "Consider unaligned checkpoints, more parallelism, or smaller state.",
            Severity.LOW,
        )
    ]


def backpressure(data: DiagnosisInput) -> list[Finding]:
    high = [v for v in data.backpressure if v.level.lower() == "high"]
    low = [v for v in data.backpressure if v.level.lower() == "low"]
    if not high and not low:
        return []
    worst = high or low
    names = ", ".join(v.name for v in worst[:5])
    severity = Severity.HIGH if high else Severity.LOW
    return [
        Finding(
            FindingCategory.RUNTIME,
            "Backpressure",
            f"{'High' if high else 'Low'} backpressure on {len(worst)} operator(s): {names}.",
            "The operators downstream of these are the bottleneck: raise their "
            "parallelism or make them cheaper.",
            severity,
        )
    ]


def scale_advice(data: DiagnosisInput) -> list[Finding]:
    """Autopilot: sustained high backpressure on a running job calls for more parallelism."""
    if data.job_status != "RUNNING" or not any(
        v.level.lower() == "high" for v in data.backpressure
    ):
        return []
    current = data.parallelism or 1
    return [
        Finding(
            FindingCategory.AUTOPILOT,
            "ScaleUp",
            f"The job runs with parallelism {current} and is backpressured.",
            f"Raise the parallelism to {current * 2} with a hot update; the job restarts "
            "from a savepoint.",
            Severity.LOW,
        )
    ]


def unreachable(data: DiagnosisInput) -> list[Finding]:
    if data.reachable or data.job_status not in {"RUNNING", "STARTING", "CANCELLING"}:
        return []
    return [
        Finding(
            FindingCategory.OTHERS,
            "FlinkUnreachable",
            "The job's Flink cluster did not answer; the diagnosis uses what Millstream recorded.",
            "Check that the cluster is up; Millstream keeps tracking the job and retries.",
            Severity.MEDIUM,
        )
    ]


RULES: tuple[Rule, ...] = (
    job_failed,
    waiting_for_resources,
    frequent_restarts,
    recent_exceptions,
    checkpoint_failures,
    no_completed_checkpoint,
    slow_checkpoints,
    backpressure,
    scale_advice,
    unreachable,
)


def diagnose(data: DiagnosisInput, rules: Sequence[Rule] = RULES) -> Diagnosis:
    """Every rule's findings, a health score (100 minus penalties, at least 0) and the
    risk level (the highest severity found; LOW when nothing was found)."""
    findings = tuple(finding for rule in rules for finding in rule(data))
    scored = [f for f in findings if f.category is not FindingCategory.AUTOPILOT]
    score = max(0, 100 - sum(PENALTY[f.severity] for f in scored))
    order = [Severity.LOW, Severity.MEDIUM, Severity.HIGH]
    risk = max((f.severity for f in scored), key=order.index, default=Severity.LOW)
    return Diagnosis(findings=findings, health_score=score, risk_level=risk)
