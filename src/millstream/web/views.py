"""Pure view helpers of the console: paging, status tones, times, job timelines, clusters.

Everything here turns domain objects into plain values the Jinja2 templates print; no I/O,
so ``tests/unit/web`` covers it directly. ``console.py`` calls these helpers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from millstream.domain.deployments import Deployment
from millstream.domain.events import Event, EventName
from millstream.domain.jobs import CLUSTER_UNREACHABLE, DesiredState, Job, JobStatus
from millstream.domain.observed import ObservedState

__all__ = [
    "ClusterUse",
    "Pager",
    "Segment",
    "cluster_usage",
    "display_status",
    "flink_job_url",
    "format_duration",
    "format_time",
    "status_tone",
    "timeline",
]

_TONES = {
    "RUNNING": "ok",
    "FINISHED": "ok",
    "COMPLETED": "ok",
    "STARTING": "busy",
    "STOPPING": "busy",
    "CANCELLING": "busy",
    "SUSPENDING": "busy",
    "STARTED": "busy",
    "RESTARTING": "warn",
    "FAILING": "warn",
    "RECONCILING": "warn",
    "UNREACHABLE": "warn",
    "FAILED": "bad",
    "CANCELLED": "muted",
    "SUSPENDED": "muted",
    "NOT STARTED": "muted",
}

# Flink states of a RUNNING job's run that the console shows instead of RUNNING.
_TROUBLED = frozenset({ObservedState.RESTARTING, ObservedState.FAILING, ObservedState.RECONCILING})


def status_tone(status: str | None) -> str:
    """The CSS tone (ok, busy, warn, bad, muted) of a job or savepoint status."""
    return _TONES.get((status or "").upper(), "muted")


def display_status(job: Job | None) -> str:
    """What the console shows for a deployment's latest job: a live job asked to stop is
    STOPPING until the reconciler moves it, and no job at all is NOT STARTED."""
    if job is None:
        return "NOT STARTED"
    if job.desired is DesiredState.STOPPED and not job.is_terminal:
        return "STOPPING"
    if job.desired is DesiredState.SUSPENDED and job.status is not JobStatus.SUSPENDED:
        return "SUSPENDING"
    if job.status_reason == CLUSTER_UNREACHABLE and not job.is_terminal:
        return "UNREACHABLE"  # its cluster does not answer: what Flink runs is unknown
    if job.status is JobStatus.RUNNING and job.observed.state in _TROUBLED:
        return job.observed.state.value  # RESTARTING, FAILING, RECONCILING
    return job.status.value


@dataclass(frozen=True, slots=True)
class Pager:
    """1-based page ``number`` of ``size`` items out of ``total``."""

    number: int
    size: int
    total: int

    @classmethod
    def of(cls, number: int | None, size: int, total: int = 0) -> Pager:
        return cls(number=max(1, number or 1), size=max(1, size), total=max(0, total))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_item(self) -> int:
        return 0 if self.total == 0 else self.offset + 1

    @property
    def last_item(self) -> int:
        return min(self.total, self.offset + self.size)

    def with_total(self, total: int) -> Pager:
        return Pager(number=self.number, size=self.size, total=max(0, total))


def format_time(moment: datetime | None) -> str:
    """``2024-05-01 12:03:04 UTC``-style local rendering; '—' when unknown."""
    if moment is None:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def format_duration(seconds: float | None) -> str:
    """Human durations: 850 ms, 12.3 s, 4 min 05 s, 2 h 03 min."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def flink_job_url(ui_url: str, job: Job) -> str | None:
    """The job's page in the Flink web UI, when Flink knows it."""
    if not job.flink_job_id or not ui_url:
        return None
    kind = "completed" if job.is_terminal else "running"
    return f"{ui_url.rstrip('/')}/#/job/{kind}/{job.flink_job_id}/overview"


# ------------------------------------------------------------------ job timeline

_EVENT_STATUS: dict[EventName, str] = {
    EventName.JOB_START_REQUESTED: "STARTING",
    EventName.JOB_SUBMITTING: "STARTING",
    EventName.JOB_SUBMITTED: "STARTING",
    EventName.JOB_RESUBMITTING: "STARTING",
    EventName.JOB_ADOPTED: "RUNNING",
    EventName.JOB_RUNNING: "RUNNING",
    EventName.JOB_RESTARTED: "RESTARTING",
    EventName.JOB_STOP_REQUESTED: "STOPPING",
    EventName.JOB_STOPPING: "STOPPING",
    EventName.STOP_FAILED: "RUNNING",
    EventName.JOB_SUSPEND_REQUESTED: "SUSPENDING",
    EventName.JOB_SUSPENDED: "SUSPENDED",
    EventName.JOB_RESUME_REQUESTED: "STARTING",
    EventName.JOB_RESTARTING_AFTER_FAILURE: "STARTING",
    EventName.JOB_CANCELLED: "CANCELLED",
    EventName.JOB_FINISHED: "FINISHED",
    EventName.JOB_FAILED: "FAILED",
}
_FINAL = frozenset({"CANCELLED", "FINISHED", "FAILED"})


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch of the status timeline, as fractions (0..1) of the whole span."""

    status: str
    start: datetime
    end: datetime
    left: float
    width: float

    @property
    def tone(self) -> str:
        return status_tone(self.status)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def timeline(events: Sequence[Event], *, now: datetime) -> list[Segment]:
    """Status stretches of one job from its events (any order), ending at ``now`` unless
    the job reached a final status; consecutive equal statuses merge."""
    changes: list[tuple[datetime, str]] = []
    for event in sorted(events, key=lambda e: e.created_at):
        status = _EVENT_STATUS.get(event.name)
        if status is None:
            continue
        if changes and changes[-1][1] == status:
            continue
        changes.append((event.created_at, status))
        if status in _FINAL:
            break
    if not changes:
        return []
    last_time, last_status = changes[-1]
    end_of_all = last_time if last_status in _FINAL else max(now, last_time)
    begin = changes[0][0]
    span = (end_of_all - begin).total_seconds()
    segments: list[Segment] = []
    for index, (start, status) in enumerate(changes):
        end = changes[index + 1][0] if index + 1 < len(changes) else end_of_all
        if span <= 0:
            left, width = 0.0, 1.0 if index == len(changes) - 1 else 0.0
        else:
            left = (start - begin).total_seconds() / span
            width = (end - start).total_seconds() / span
        segments.append(Segment(status, start, end, left, width))
    if len(segments) > 1 and segments[-1].status in _FINAL:
        # a final status is an instant; give it a visible sliver at the end
        segments[-1] = Segment(segments[-1].status, segments[-1].start, segments[-1].end, 1.0, 0.0)
    return segments


# ------------------------------------------------------------------ clusters


@dataclass(slots=True)
class ClusterUse:
    """What one namespace's deployments use of a cluster."""

    name: str
    deployments: int = 0
    running: int = 0
    slots: int = 0  # sum of the parallelism of RUNNING jobs


def cluster_usage(pairs: Sequence[tuple[Deployment, Job | None]]) -> list[ClusterUse]:
    """Per cluster (the latest job's, else the deployment's, else ``default``), sorted by
    name; ``default`` is always listed."""
    found: dict[str, ClusterUse] = {"default": ClusterUse("default")}
    for deployment, job in pairs:
        name = (job.cluster if job is not None else None) or deployment.cluster or "default"
        use = found.setdefault(name, ClusterUse(name))
        use.deployments += 1
        if job is not None and job.status is JobStatus.RUNNING:
            use.running += 1
            use.slots += job.resources.parallelism
    return sorted(found.values(), key=lambda use: use.name)
