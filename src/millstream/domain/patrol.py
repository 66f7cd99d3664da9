"""Patrol: a periodic inspection of a namespace's running jobs, with findings and advice.

Pure data and rules. ``PatrolConfig`` is a namespace's setting (enabled, a cron schedule,
which deployments, the thresholds); ``JobEvidence`` is what ``control.patrol_evidence``
measured of one running job; ``domain.patrol_checks.inspect`` turns it into ``Finding``
values, each with a severity, the evidence it rests on and advice. ``PatrolReport`` is
one run.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from millstream.domain.errors import InvalidInput

__all__ = [
    "Check",
    "Finding",
    "JobEvidence",
    "PatrolConfig",
    "PatrolReport",
    "PatrolScope",
    "ReportStatus",
    "ScopeKind",
    "Severity",
    "Thresholds",
    "TriggerKind",
    "next_patrol_at",
]

_MAX_SCOPE_ITEMS = 100


class Severity(enum.StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Check(enum.StrEnum):
    RESTARTS = "RESTARTS"
    CHECKPOINT_FAILURES = "CHECKPOINT_FAILURES"
    BACKPRESSURE = "BACKPRESSURE"
    IDLE_SOURCE = "IDLE_SOURCE"
    SAVEPOINT_AGE = "SAVEPOINT_AGE"


class ScopeKind(enum.StrEnum):
    ALL = "ALL"
    TAGS = "TAGS"
    DEPLOYMENTS = "DEPLOYMENTS"


class TriggerKind(enum.StrEnum):
    MANUAL = "MANUAL"
    SCHEDULED = "SCHEDULED"


class ReportStatus(enum.StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


# (name, lowest, highest): the bounds every threshold is validated against.
_BOUNDS: dict[str, tuple[float, float]] = {
    "max_restarts": (1, 10_000),
    "max_failed_checkpoints": (1, 10_000),
    "backpressure_ratio": (0.01, 1.0),
    "idle_minutes": (1, 10_080),
    "max_savepoint_age_hours": (1, 8_760),
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a check reports: a restart count, failed checkpoints of the current run, the
    share of time a vertex is backpressured, minutes without source output, savepoint age."""

    max_restarts: int = 3
    max_failed_checkpoints: int = 1
    backpressure_ratio: float = 0.5
    idle_minutes: int = 30
    max_savepoint_age_hours: int = 24

    def validate(self) -> None:
        for name, (low, high) in _BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not low <= value <= high:
                raise InvalidInput(f"patrol threshold {name} must be between {low:g} and {high:g}")


@dataclass(frozen=True, slots=True)
class PatrolScope:
    """Which deployments a patrol inspects: all, those with any of ``tags`` (label keys
    or ``key=value``), or those listed."""

    kind: ScopeKind = ScopeKind.ALL
    deployment_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def validate(self) -> None:
        if len(self.deployment_ids) > _MAX_SCOPE_ITEMS or len(self.tags) > _MAX_SCOPE_ITEMS:
            raise InvalidInput(f"a patrol scope lists at most {_MAX_SCOPE_ITEMS} items")
        if self.kind is ScopeKind.DEPLOYMENTS and not self.deployment_ids:
            raise InvalidInput("a DEPLOYMENTS patrol scope needs at least one deployment id")
        if self.kind is ScopeKind.TAGS and not self.tags:
            raise InvalidInput("a TAGS patrol scope needs at least one tag")
        if any(not item.strip() or len(item) > 256 for item in self.deployment_ids + self.tags):
            raise InvalidInput("patrol scope items must be non-empty and at most 256 characters")

    def covers(self, deployment_id: str, labels: dict[str, str]) -> bool:
        """Whether a deployment with these labels is inspected."""
        if self.kind is ScopeKind.DEPLOYMENTS:
            return deployment_id in self.deployment_ids
        if self.kind is ScopeKind.TAGS:
            pairs = {f"{key}={value}" for key, value in labels.items()}
            return any(tag in labels or tag in pairs for tag in self.tags)
        return True


@dataclass(frozen=True, slots=True)
class PatrolConfig:
    """A namespace's patrol setting; the scheduler runs it at each cron time when enabled."""

    workspace: str
    namespace: str
    enabled: bool = False
    cron: str = "0 9 * * *"
    timezone: str = "UTC"
    scope: PatrolScope = field(default_factory=PatrolScope)
    thresholds: Thresholds = field(default_factory=Thresholds)
    last_run_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def validate(self) -> None:
        if len(self.cron) > 128 or len(self.cron.split()) != 5 or not croniter.is_valid(self.cron):
            raise InvalidInput(
                f"invalid patrol cron expression {self.cron!r}: use five fields, e.g. '0 9 * * *'"
            )
        _zone(self.timezone)
        self.scope.validate()
        self.thresholds.validate()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}: use an IANA name such as UTC") from exc


def next_patrol_at(config: PatrolConfig, after: datetime) -> datetime:
    """The first cron time of the config strictly after ``after`` (in its time zone)."""
    zone = _zone(config.timezone)
    following: datetime = croniter(config.cron, after.astimezone(zone)).get_next(datetime)
    return following


@dataclass(frozen=True, slots=True)
class JobEvidence:
    """What was measured of one running job; ``None`` where the value is unknown (a
    check with unknown input reports nothing)."""

    job_id: str
    deployment_id: str
    deployment_name: str
    tags: tuple[str, ...] = ()
    running_since: datetime | None = None
    restarts: int | None = None
    failed_checkpoints: int | None = None
    completed_checkpoints: int | None = None
    latest_checkpoint_failure: str | None = None
    max_backpressure: float | None = None  # share of time, 0..1, of the worst vertex
    backpressured_vertex: str | None = None
    source_output: tuple[float, ...] | None = None  # source records/s over the idle window
    latest_savepoint_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem of one job: how bad, what was measured, what to do."""

    check: Check
    severity: Severity
    job_id: str
    deployment_id: str
    deployment_name: str
    description: str
    advice: str
    evidence: dict[str, float | int | str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


# Which wire problem group a check falls into (delay/backpressure, checkpoints, health).
_DELAY = frozenset({Check.BACKPRESSURE, Check.IDLE_SOURCE})
_CHECKPOINTS = frozenset({Check.CHECKPOINT_FAILURES, Check.SAVEPOINT_AGE})


@dataclass(frozen=True, slots=True)
class PatrolReport:
    """One patrol run: what it covered, what it found, when."""

    id: str
    workspace: str
    namespace: str
    trigger: TriggerKind
    scope: PatrolScope
    status: ReportStatus
    started_at: datetime
    completed_at: datetime
    total_jobs: int = 0
    inspected_jobs: int = 0
    findings: tuple[Finding, ...] = ()
    error: str | None = None

    def _jobs(self, keep: Callable[[Finding], bool]) -> int:
        return len({finding.job_id for finding in self.findings if keep(finding)})

    def risk_count(self, severity: Severity) -> int:
        """Jobs whose worst finding has this severity."""
        worst: dict[str, Severity] = {}
        for finding in self.findings:
            current = worst.get(finding.job_id)
            if current is None or finding.severity.rank > current.rank:
                worst[finding.job_id] = finding.severity
        return sum(1 for level in worst.values() if level is severity)

    @property
    def delay_and_backpressure(self) -> int:
        return self._jobs(lambda finding: finding.check in _DELAY)

    @property
    def unhealthy_checkpoints(self) -> int:
        return self._jobs(lambda finding: finding.check in _CHECKPOINTS)

    @property
    def unhealthy(self) -> int:
        return self._jobs(lambda finding: finding.check is Check.RESTARTS)
