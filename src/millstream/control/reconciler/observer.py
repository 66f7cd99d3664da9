"""Observation: one ``/jobs/overview`` per cluster per tick, detail reads, observed status.

The controller calls ``observe_cluster`` once per cluster and ``idle`` per job (the
common case at scale is decided there, without a thread); ``observe_job`` is the handler
of ``Step.OBSERVE``. Detail reads (restarts, root failure, checkpoint paths) happen when
a job's overview row changed, otherwise now and then within a per-tick budget. A cluster
that cannot be observed is marked unreachable (an event on each of its jobs, never a
failure) and retried every tick until it answers again; meanwhile its live jobs show the
observed state ``UNKNOWN`` with the reason ``CLUSTER_UNREACHABLE`` (never ``RUNNING`` from
memory), and the first observation after it answers again replaces them with the truth.
"""

from __future__ import annotations

import logging
import threading
import time

from millstream.control.ports import FlinkCluster, JobDetails, ObservedJob
from millstream.control.reconciler.actions import Act, Context, ms_to_dt
from millstream.control.services.common import record_event
from millstream.domain.clusters import Cluster
from millstream.domain.decisions import Step, decide
from millstream.domain.errors import EngineUnavailable, StaleVersion
from millstream.domain.events import EventName
from millstream.domain.jobs import CLUSTER_UNREACHABLE, DesiredState, Job, JobStatus
from millstream.domain.observed import ObservedState

__all__ = ["Observer"]

_log = logging.getLogger(__name__)

# The first pause before a cluster that did not answer is asked again (then doubling).
_BACKOFF_FIRST = 0.5

# Flink fills a job's root failure while the run is failing or restarting, too.
_FAILURE_STATES = frozenset({ObservedState.FAILED, ObservedState.FAILING, ObservedState.RESTARTING})


def _observable(job: Job) -> tuple[object, ...]:
    """What readers of a job can see of an observation; unchanged means no write."""
    observed = job.observed
    return (
        observed.state,
        observed.modified_ms,
        job.status,
        observed.restarts,
        job.failure,
        observed.latest_checkpoint,
        job.start_time,
    )


def _tracked(job: Job) -> bool:
    """A job whose run we were observing (what we saw of it may now be out of date)."""
    state = job.observed.state
    return (
        state is not None
        and not state.is_terminal
        and not job.is_terminal
        and job.status is not JobStatus.SUSPENDED
    )


def _marked(job: Job) -> bool:
    return job.status_reason == CLUSTER_UNREACHABLE


class Observer:
    def __init__(
        self,
        ctx: Context,
        *,
        details_interval: float,
        details_budget: int,
        unreachable_backoff: float = 0.0,
    ) -> None:
        self._unreachable_backoff = unreachable_backoff
        self._ctx = ctx
        self._details_interval = details_interval
        self._details_budget = details_budget
        self._budget = details_budget
        self._budget_lock = threading.Lock()
        self._details_at: dict[str, float] = {}
        self._unreachable: set[str] = set()
        # Unreachable clusters are asked again with a growing pause (a hung one costs the
        # whole HTTP timeout of a tick); key -> (failures in a row, next try, monotonic).
        self._backoff: dict[str, tuple[int, float]] = {}

    @property
    def unreachable(self) -> set[str]:
        return set(self._unreachable)

    def new_tick(self) -> None:
        """Refill the per-tick budget of periodic detail reads."""
        self._budget = self._details_budget

    def forget(self, job_id: str) -> None:
        """The job's run ended: no more periodic detail reads for it."""
        self._details_at.pop(job_id, None)

    # ------------------------------------------------------------------ clusters

    def observe_cluster(
        self, flink: FlinkCluster, cluster: Cluster, jobs: list[Job]
    ) -> dict[str, ObservedJob] | None:
        """The cluster's rows by Flink JobID; None when it cannot be reached."""
        key = f"{cluster.workspace}/{cluster.name}"
        failures, retry_at = self._backoff.get(key, (0, 0.0))
        if key in self._unreachable and time.monotonic() < retry_at:
            self._mark_unreachable(jobs, cluster, "", first=False)  # jobs started meanwhile
            return None
        try:
            rows = flink.list_jobs()
        except EngineUnavailable as exc:
            first = key not in self._unreachable
            self._unreachable.add(key)
            pause = min(_BACKOFF_FIRST * 2**failures, self._unreachable_backoff)
            self._backoff[key] = (failures + 1, time.monotonic() + pause)
            self._mark_unreachable(jobs, cluster, str(exc), first=first)
            return None
        self._backoff.pop(key, None)
        # Also after a restart of ours: jobs still marked by an earlier process.
        if key in self._unreachable or any(_marked(job) for job in jobs):
            self._unreachable.discard(key)
            self._mark_reachable(jobs, cluster)
        return {row.flink_job_id: row for row in rows}

    def _mark_unreachable(
        self, jobs: list[Job], cluster: Cluster, error: str, *, first: bool
    ) -> None:
        """What we last saw of the cluster's live jobs is no longer known to be true: their
        observed state becomes UNKNOWN (reason CLUSTER_UNREACHABLE) until it answers; an
        event on each job when the cluster stops answering (never a failure)."""
        now = self._ctx.clock()
        stale = [
            job
            for job in jobs
            if _tracked(job)
            and (job.observed.state is not ObservedState.UNKNOWN or job.status_reason is None)
        ]
        if not (first or stale):
            return
        with self._ctx.store.transaction() as repos:
            for job in stale:
                job.observed.state = ObservedState.UNKNOWN
                job.status_reason = job.status_reason or CLUSTER_UNREACHABLE
                job.modified_at = now
                try:
                    repos.update_job(job=job)
                except StaleVersion:
                    continue  # a user changed it meanwhile: marked on the next tick
            if first:
                _log.warning("Flink cluster %s does not answer: %s", cluster.name, error)
                message = (
                    f"Flink cluster {cluster.name} does not answer since {now:%Y-%m-%d %H:%M:%S} "
                    f"UTC; the job's state is unknown until it answers again: {error}"
                )
                for job in jobs:
                    record_event(repos, job, EventName.CLUSTER_UNREACHABLE, message, now=now)

    def _mark_reachable(self, jobs: list[Job], cluster: Cluster) -> None:
        """The cluster answers again: drop the reason; this tick's observation (or
        resubmission of what the cluster lost) replaces the UNKNOWN state."""
        now = self._ctx.clock()
        _log.info("Flink cluster %s answers again", cluster.name)
        with self._ctx.store.transaction() as repos:
            for job in jobs:
                if job.status_reason == CLUSTER_UNREACHABLE:
                    job.status_reason = None
                    job.modified_at = now
                    try:
                        repos.update_job(job=job)
                    except StaleVersion:
                        continue
                record_event(
                    repos, job, EventName.CLUSTER_REACHABLE, f"{cluster.name} is back", now=now
                )

    # ------------------------------------------------------------------ jobs

    def idle(self, job: Job, row: ObservedJob | None) -> bool:
        """Nothing to do this tick: a suspended job waiting for resume, or a RUNNING job
        whose overview row is unchanged, with nothing to decide and no detail read due
        (or no budget left for one)."""
        if job.status is JobStatus.SUSPENDED:
            return job.desired is DesiredState.SUSPENDED
        if row is None or row.flink_job_id != job.flink_job_id:
            return False
        if job.status is not JobStatus.RUNNING or job.stop_savepoint_id is not None:
            return False
        if (row.last_modification_ms, row.state) != (job.observed.modified_ms, job.observed.state):
            return False
        if decide(job, row.state, stop_savepoint_pending=False).step is not Step.OBSERVE:
            return False
        due = time.monotonic() - self._details_at.get(job.id, 0.0) >= self._details_interval
        return not due or self._budget <= 0

    def details(
        self, job: Job, row: ObservedJob, flink: FlinkCluster, *, force: bool
    ) -> JobDetails | None:
        """Per-job detail calls only when the overview row changed (or now and then)."""
        now = time.monotonic()
        changed = row.last_modification_ms != job.observed.modified_ms
        if not (force or changed):
            if now - self._details_at.get(job.id, 0.0) < self._details_interval:
                return None
            # Periodic reads (checkpoint paths) are capped per tick: otherwise all jobs fall
            # due together and one tick outlasts the interval, forever (30,000 requests a
            # tick at 10,000 jobs). Changed rows are always read.
            with self._budget_lock:
                if self._budget <= 0:
                    return None
                self._budget -= 1
        details = flink.job_details(row.flink_job_id)
        self._details_at[job.id] = now
        return details

    def apply(
        self, job: Job, row: ObservedJob, details: JobDetails | None
    ) -> list[tuple[EventName, str]]:
        """Copy the row (and details) into the job's observed status; the events to record."""
        events: list[tuple[EventName, str]] = []
        observed = job.observed
        observed.state = row.state
        observed.modified_ms = row.last_modification_ms
        if job.start_time is None:
            job.start_time = ms_to_dt(row.start_time_ms) or self._ctx.clock()
        if details is None:
            return events
        if details.restarts is not None:
            before = observed.restarts or 0
            if details.restarts > before:
                events.append(
                    (
                        EventName.JOB_RESTARTED,
                        f"Flink restarted the job ({details.restarts} restarts)",
                    )
                )
            observed.restarts = details.restarts
        if details.latest_checkpoint_path:
            observed.latest_checkpoint = details.latest_checkpoint_path
        if details.root_failure is not None and row.state in _FAILURE_STATES:
            job.failure = self._ctx.redact(job, details.root_failure)
        return events

    def observe_job(self, act: Act) -> None:
        """``Step.OBSERVE``: record what Flink shows; STARTING -> RUNNING once all runs."""
        job, row, flink = act.job, act.row, act.flink
        if row is None:
            return
        before = _observable(job)
        details = self.details(job, row, flink, force=False)
        events = self.apply(job, row, details)
        if (
            job.status is JobStatus.STARTING
            and row.all_running
            and job.desired is DesiredState.RUNNING
        ):
            job.move_to(JobStatus.RUNNING)
            events.append(
                (EventName.JOB_RUNNING, f"all vertices of Flink job {row.flink_job_id} are RUNNING")
            )
        if _observable(job) == before and not events:
            return  # nothing a reader could see changed: no write
        with self._ctx.store.transaction() as repos:
            job.modified_at = self._ctx.clock()
            repos.update_job(job=job)
            for name, message in events:
                record_event(repos, job, name, message, now=job.modified_at)
