"""Admission: lets queued jobs start when their queue has room (DESIGN.md §5).

The reconciler calls ``Admitter.run_iteration()`` at the start of each tick, before it
reads the jobs it acts on, and asks ``may_submit(job)`` before submitting one. A pass:

1. reads the queues, the clusters and the live jobs in one transaction;
2. ``plan_admission`` (pure) groups them by queue, counts the CUs admitted jobs hold,
   and runs ``domain.admission.admit`` for every queue with waiting jobs;
3. writes the outcome in the same transaction: admitted jobs get ``admitted_at`` (so
   the submission that follows, or the one after a crash, finds them admitted: nothing
   is admitted twice, nothing forgotten), expired ones fail with ``SCHEDULE_TIMEOUT``,
   ones that can no longer ever fit fail with ``INSUFFICIENT_RESOURCES``, and a job
   that starts waiting is marked ``WAITING_FOR_RESOURCES`` with an event saying what it
   waits for and behind whom.

A queue that ``follows_cluster`` and caps a deployment target with a quota takes the
quota's size at every pass, so a quota change applies at the next admission.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from millstream.control.ports import Repositories, Store
from millstream.control.services.common import record_event
from millstream.control.services.queues import quota_capacity
from millstream.domain.admission import Admission, AdmissionReason, Waiting, admit
from millstream.domain.clusters import Cluster
from millstream.domain.errors import StaleVersion
from millstream.domain.events import EventName
from millstream.domain.jobs import TERMINAL, DesiredState, Failure, Job, JobStatus
from millstream.domain.queues import Queue

__all__ = [
    "AdmissionPlan",
    "AdmissionReport",
    "Admitter",
    "may_submit",
    "plan_admission",
    "waits",
]

_log = logging.getLogger(__name__)
_BEHIND_SHOWN = 3  # how many jobs ahead an event names


def may_submit(job: Job) -> bool:
    """The reconciler's pre-submit check: a queued job is submitted only once admitted."""
    return not job.waiting_for_admission


def waits(job: Job) -> bool:
    """Queued, not admitted, and still wanted: nothing for the reconciler to do yet (a
    stop while waiting is the reconciler's: it ends the job before submission)."""
    return job.waiting_for_admission and job.desired is DesiredState.RUNNING


@dataclass(slots=True)
class AdmissionPlan:
    """What one pass decided, per queue name."""

    decisions: dict[str, Admission] = field(default_factory=dict)
    capacities: dict[str, float] = field(default_factory=dict)
    orphans: list[Job] = field(default_factory=list)  # waiting on a queue that is gone
    released: list[Job] = field(default_factory=list)  # suspended: their CUs are free


@dataclass(slots=True)
class AdmissionReport:
    admitted: int = 0
    waiting: int = 0
    failed: int = 0
    marked_waiting: int = 0  # jobs that started to wait in this pass
    released: int = 0  # suspended jobs whose CUs were given back
    seconds: float = 0.0
    # The pass failed (a job changed meanwhile) after changing some of the jobs it was
    # given in memory only: the caller must read them again.
    stale: bool = False

    @property
    def changed_jobs(self) -> bool:
        """Jobs were written (the caller's job objects carry the writes)."""
        return bool(self.admitted or self.failed or self.marked_waiting or self.released)


def effective_capacity(queue: Queue, clusters: dict[tuple[str, str], Cluster]) -> float:
    """A queue's capacity now: a deployment target's quota when the queue follows it."""
    if queue.follows_cluster:
        cluster = clusters.get((queue.workspace, queue.cluster))
        capacity = quota_capacity(cluster) if cluster is not None else None
        if capacity is not None:
            return capacity
    return queue.capacity_cu


def plan_admission(
    queues: Iterable[Queue],
    clusters: dict[tuple[str, str], Cluster],
    jobs: Iterable[Job],
    now: datetime,
) -> AdmissionPlan:
    """Pure: the admission decision of every queue that has waiting jobs."""
    by_name = {queue.name: queue for queue in queues}
    used: dict[str, float] = defaultdict(float)
    waiting: dict[str, list[Waiting]] = defaultdict(list)
    plan = AdmissionPlan()
    # One tight loop over every live job (10,000s at scale), no property calls. A
    # SUSPENDED job holds no CUs: its admission is released (a resume queues again).
    running = DesiredState.RUNNING
    for job in jobs:
        name = job.queue
        if name is None or job.status in TERMINAL:
            continue
        if job.admitted_at is not None:
            if job.status is JobStatus.SUSPENDED and job.desired is DesiredState.SUSPENDED:
                plan.released.append(job)
            else:
                used[name] += job.cost_cu or 0.0
        elif job.desired is running:
            if name not in by_name:
                plan.orphans.append(job)
                continue
            waiting[name].append(
                Waiting(
                    job.id,
                    job.priority,
                    job.enqueued_at or now,  # None: resumed, joins the end of the line
                    job.cost_cu or 0.0,
                    job.schedule_timeout_seconds,
                )
            )
    for name, line in waiting.items():
        queue = by_name[name]
        capacity = effective_capacity(queue, clusters)
        plan.capacities[name] = capacity
        plan.decisions[name] = admit(
            capacity_cu=capacity,
            used_cu=used[name],
            waiting=line,
            now=now,
            max_job_cu=queue.max_job_cu,
        )
    return plan


class Admitter:
    """Runs admission passes against the store (one transaction per pass)."""

    def __init__(
        self, store: Store, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._store = store
        self._clock = clock

    def run_iteration(self, live_jobs: list[Job] | None = None) -> AdmissionReport:
        """One admission pass; a concurrent edit of a job postpones it to the next tick.

        ``live_jobs``: the live jobs the caller (the reconciler's tick) just read. The
        pass decides on them instead of reading them again and writes its outcome onto
        them (each write guarded by the job's version), so the caller can go on with
        them; when none waits, the pass ends without touching the store. After a
        failed pass (``report.stale``) the caller must read its jobs again.
        """
        started = self._clock()
        report = AdmissionReport()
        if live_jobs is not None and not any(waits(job) for job in live_jobs):
            return report
        try:
            with self._store.transaction() as repos:
                jobs = live_jobs if live_jobs is not None else repos.read_active_jobs()
                if not any(waits(job) for job in jobs):
                    return report
                queues = repos.read_queues()
                clusters = {(c.workspace, c.name): c for c in repos.read_clusters()}
                now = self._clock()
                plan = plan_admission(queues, clusters, jobs, now)
                self._apply(repos, plan, {job.id: job for job in jobs}, now, report)
        except StaleVersion:
            _log.info("a queued job changed during admission; admitting next tick")
            return AdmissionReport(stale=True)
        report.seconds = (self._clock() - started).total_seconds()
        return report

    def _apply(
        self,
        repos: Repositories,
        plan: AdmissionPlan,
        jobs: dict[str, Job],
        now: datetime,
        report: AdmissionReport,
    ) -> None:
        for job in plan.released:
            job.admitted_at = None
            job.enqueued_at = None  # a resume joins the end of the line
            job.modified_at = now
            repos.update_job(job=job)
            report.released += 1
        for job in plan.orphans:
            self._fail(
                repos,
                job,
                now,
                AdmissionReason.INSUFFICIENT_RESOURCES,
                f"queue {job.queue!r} no longer exists",
            )
            report.failed += 1
        for name, decision in plan.decisions.items():
            capacity = plan.capacities[name]
            for waiting in decision.admitted:
                job = jobs[waiting.job_id]
                job.admitted_at = now
                job.enqueued_at = job.enqueued_at or waiting.enqueued_at
                job.status_reason = None
                job.modified_at = now
                repos.update_job(job=job)
                record_event(
                    repos,
                    job,
                    EventName.JOB_ADMITTED,
                    f"admitted to queue {name}: {waiting.cost_cu:g} CU "
                    f"({decision.used_cu:g} of {capacity:g} CU now in use)",
                    now=now,
                )
                report.admitted += 1
            for waiting, why in decision.never_fit:
                self._fail(
                    repos,
                    jobs[waiting.job_id],
                    now,
                    AdmissionReason.INSUFFICIENT_RESOURCES,
                    f"the job can never fit queue {name}: it {why}",
                )
                report.failed += 1
            for waiting in decision.timed_out:
                self._fail(
                    repos,
                    jobs[waiting.job_id],
                    now,
                    AdmissionReason.SCHEDULE_TIMEOUT,
                    f"waited {waiting.timeout_seconds}s for {waiting.cost_cu:g} CU in queue "
                    f"{name} (schedule timeout) without room",
                )
                report.failed += 1
            for position, waiting in enumerate(decision.waiting):
                report.waiting += 1
                job = jobs[waiting.job_id]
                if job.status_reason == AdmissionReason.WAITING_FOR_RESOURCES:
                    continue  # told once; the queue's listing shows the live order
                if job.enqueued_at is None:  # a resumed job: in line from now on
                    job.enqueued_at = waiting.enqueued_at
                ahead = decision.waiting[:position]
                job.status_reason = AdmissionReason.WAITING_FOR_RESOURCES.value
                job.modified_at = now
                repos.update_job(job=job)
                report.marked_waiting += 1
                record_event(
                    repos,
                    job,
                    EventName.JOB_WAITING,
                    _waiting_message(name, capacity, decision, waiting, ahead),
                    now=now,
                )

    @staticmethod
    def _fail(
        repos: Repositories, job: Job, now: datetime, reason: AdmissionReason, message: str
    ) -> None:
        job.move_to(JobStatus.FAILED)
        job.status_reason = reason.value
        job.failure = Failure(message, reason.value, now)
        job.end_time = now
        job.modified_at = now
        repos.update_job(job=job)
        record_event(repos, job, EventName.JOB_FAILED, message, now=now)


def _waiting_message(
    name: str,
    capacity: float,
    decision: Admission,
    waiting: Waiting,
    ahead: tuple[Waiting, ...],
) -> str:
    free = max(0.0, capacity - decision.used_cu)
    message = (
        f"waiting for resources: needs {waiting.cost_cu:g} CU in queue {name}, "
        f"{free:g} of {capacity:g} CU free"
    )
    if not ahead:
        return message + "; first in line"
    names = ", ".join(f"job {job.job_id}" for job in ahead[:_BEHIND_SHOWN])
    more = f" and {len(ahead) - _BEHIND_SHOWN} more" if len(ahead) > _BEHIND_SHOWN else ""
    return message + f"; behind {len(ahead)} job(s): {names}{more}"
