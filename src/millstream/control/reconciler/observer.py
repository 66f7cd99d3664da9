"""Observation: one ``/jobs/overview`` per cluster per tick, detail reads, observed status.

The controller calls ``observe_cluster`` once per cluster and ``triage`` once per tick:
it grants the detail reads and sets aside, on the heads alone, the jobs with nothing to do
(the common case at scale: decided without loading the job or using a thread, and worked
out again only for jobs whose head or row changed); ``observe_job`` is the handler of
``Step.OBSERVE``. Detail reads (restarts, root failure, checkpoint paths: 3 requests)
are capped per tick (``details_budget``) and granted in this order: jobs whose Flink
state changed, jobs whose overview row changed otherwise (a restart in between), then
periodic reads (every ``details_interval``). A job's new state is written at once, read
or not; its row's modification time only once its details were read, so a job not
granted this tick stays first in line for the next ones (across a restart of ours too).
So the first tick after a start or a takeover costs one request per cluster, not three
per job whose row moved while nobody watched.

A cluster that cannot be observed is marked unreachable (an event on each of its jobs,
never a failure) and retried every tick until it answers again; meanwhile its live jobs
show the observed state ``UNKNOWN`` with the reason ``CLUSTER_UNREACHABLE`` (never
``RUNNING`` from memory), and the first observation after it answers again replaces them
with the truth.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from millstream.control.ports import FlinkCluster, JobDetails, ObservedJob
from millstream.control.reconciler.actions import Act, Context, ms_to_dt
from millstream.control.reconciler_ports import JobHead
from millstream.control.services.common import record_event
from millstream.domain.clusters import Cluster
from millstream.domain.errors import EnginePermanentError, EngineUnavailable, StaleVersion
from millstream.domain.events import EventName
from millstream.domain.jobs import CLUSTER_UNREACHABLE, TERMINAL, DesiredState, Job, JobStatus
from millstream.domain.observed import ObservedState

__all__ = ["Observer"]

_log = logging.getLogger(__name__)

# The first pause before a cluster that did not answer is asked again (then doubling).
_BACKOFF_FIRST = 0.5

# Flink fills a job's root failure while the run is failing or restarting, too.
_FAILURE_STATES = frozenset({ObservedState.FAILED, ObservedState.FAILING, ObservedState.RESTARTING})

# Full jobs of a cluster by id, read now (the controller's loader).
LoadJobs = Callable[[Collection[str]], list[Job]]

# What a job needs this tick (``_need``), and the periodic detail priority.
_ACTS, _QUIET_UNLESS_GRANTED, _QUIET = 0, 1, 2
_PERIODIC = 2

_T = TypeVar("_T")
# What ``triage`` knows of a job: (head, row, detail priority, need), worked out once and
# kept while the head and the row stay the same objects (``JobHeads`` and the engine
# keep them while nothing changed).
_Needs = tuple[JobHead, ObservedJob | None, int | None, int]


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


def _head_tracked(head: JobHead) -> bool:
    """``_tracked`` on a head: the job's run was being observed."""
    state = head.observed_state
    return (
        state is not None
        and not state.is_terminal
        and head.status not in TERMINAL
        and head.status is not JobStatus.SUSPENDED
    )


def _marked(job: Job | JobHead) -> bool:
    return job.status_reason == CLUSTER_UNREACHABLE


def _detail_priority(head: JobHead, row: ObservedJob) -> int | None:
    """Which detail read a job wants: 0 first, 2 a periodic one (when due), None: none.
    Only the runs a tick observes (a run that ended is concluded with its own read)."""
    if (
        row.flink_job_id != head.flink_job_id
        or row.state.is_terminal
        or head.status is JobStatus.SUSPENDED
    ):
        return None
    if row.state is not head.observed_state:
        return 0
    if row.last_modification_ms != head.observed_modified_ms:
        return 1
    return _PERIODIC


def _need(head: JobHead, row: ObservedJob | None) -> int:
    """What a job needs this tick, seen on its head and row alone: ``_QUIET`` for a job
    queued without room (nothing to do until admitted) or a suspended job waiting for
    resume; ``_QUIET_UNLESS_GRANTED`` for a RUNNING job that should run, whose run Flink
    still shows in the same live state (a row that only moved waits for a detail read);
    else ``_ACTS``."""
    if head.waits:
        return _QUIET
    if head.status is JobStatus.SUSPENDED:
        return _QUIET if head.desired is DesiredState.SUSPENDED else _ACTS
    if (
        row is not None
        and row.flink_job_id == head.flink_job_id
        and head.status is JobStatus.RUNNING
        and head.desired is DesiredState.RUNNING
        and head.stop_savepoint_id is None
        and row.state is head.observed_state
        and row.state.is_live
    ):
        return _QUIET_UNLESS_GRANTED
    return _ACTS


def _keep_only(known: dict[str, Any], live: Collection[str]) -> None:
    if len(known) > len(live):
        for job_id in [j for j in known if j not in live]:
            del known[job_id]


def _least_recently_read(ids: list[str], count: int, read_at: dict[str, float]) -> list[str]:
    """The ``count`` jobs among ``ids`` whose details were tried longest ago (never
    first, in order), as ``heapq.nsmallest`` picks them, without a key call per job
    while never-read ones fill the count (after a takeover: thousands, tick after tick)."""
    if count <= 0:
        return []
    never = [job_id for job_id in ids if job_id not in read_at]
    if len(never) >= count:
        return never[:count]
    return heapq.nsmallest(count, ids, key=lambda job_id: read_at.get(job_id, 0.0))


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
        self._granted: frozenset[str] = frozenset()
        self._details_at: dict[str, float] = {}
        self._needs: dict[str, _Needs] = {}  # by job id, as of the last ``triage``
        self._unreachable: set[str] = set()
        # Unreachable clusters are asked again with a growing pause (a hung one costs the
        # whole HTTP timeout of a tick); key -> (failures in a row, next try, monotonic).
        self._backoff: dict[str, tuple[int, float]] = {}

    @property
    def unreachable(self) -> set[str]:
        return set(self._unreachable)

    def new_tick(self) -> None:
        """No detail reads granted until ``triage``."""
        self._granted = frozenset()

    def forget(self, job_id: str) -> None:
        """The job's run ended: no more periodic detail reads for it."""
        self._details_at.pop(job_id, None)
        self._needs.pop(job_id, None)

    def forget_all_but(self, live: Collection[str]) -> None:
        """Drop what is known of jobs that are no longer live (ended elsewhere)."""
        _keep_only(self._details_at, live)
        _keep_only(self._needs, live)

    def triage(
        self, observed: Iterable[tuple[Sequence[JobHead], Mapping[str, ObservedJob], _T]]
    ) -> tuple[int, list[tuple[JobHead, ObservedJob | None, _T]]]:
        """Grant this tick's detail reads (at most ``details_budget``, by priority) and
        split the observed clusters' jobs (``(heads, rows by Flink JobID, extra)`` each)
        into how many have nothing to do and those that need work, each with its row
        and its cluster's ``extra``.

        A job's priority and need follow from its head and row alone (``_need``): they
        are worked out again only for a job whose head or row changed since the last
        tick, so a steady tick costs a few look-ups per job and allocates nothing for
        the quiet ones (at scale, 10,000 objects a tick would feed the full garbage
        collections)."""
        now = time.monotonic()
        interval, read_at, needs = self._details_interval, self._details_at, self._needs
        wanted: list[list[str]] = [[], [], []]
        extra_of: dict[str, _T] = {}  # of the jobs that want a detail read
        acting: list[tuple[JobHead, ObservedJob | None, _T]] = []
        total = 0
        for heads, rows, extra in observed:
            total += len(heads)
            for head in heads:
                row = rows.get(head.flink_job_id or "")
                known = needs.get(head.id)
                if known is None or known[0] is not head or known[1] is not row:
                    priority = None if row is None else _detail_priority(head, row)
                    known = needs[head.id] = (head, row, priority, _need(head, row))
                _, _, priority, need = known
                if need == _ACTS:
                    acting.append((head, row, extra))
                if priority is not None and (
                    priority != _PERIODIC or now - read_at.get(head.id, 0.0) >= interval
                ):
                    wanted[priority].append(head.id)
                    extra_of[head.id] = extra
        granted: list[str] = []
        for ids in wanted:
            # least recently tried first: a job whose reads fail cannot hold the line
            granted.extend(_least_recently_read(ids, self._details_budget - len(granted), read_at))
        self._granted = frozenset(granted)
        for job_id in granted:
            head, row, _, need = needs[job_id]
            if need == _QUIET_UNLESS_GRANTED:  # a detail read is work
                acting.append((head, row, extra_of[job_id]))
        return total - len(acting), acting

    # ------------------------------------------------------------------ clusters

    def observe_cluster(
        self, flink: FlinkCluster, cluster: Cluster, heads: list[JobHead], load: LoadJobs
    ) -> dict[str, ObservedJob] | None:
        """The cluster's rows by Flink JobID; None when it cannot be reached. ``load``
        reads the full jobs when some must be marked (un)reachable."""
        key = f"{cluster.workspace}/{cluster.name}"
        failures, retry_at = self._backoff.get(key, (0, 0.0))
        if key in self._unreachable and time.monotonic() < retry_at:
            self._unreachable_again(heads, cluster, load)  # jobs started meanwhile
            return None
        try:
            rows = flink.list_jobs()
        except EngineUnavailable as exc:
            first = key not in self._unreachable
            self._unreachable.add(key)
            pause = min(_BACKOFF_FIRST * 2**failures, self._unreachable_backoff)
            self._backoff[key] = (failures + 1, time.monotonic() + pause)
            if first:
                jobs = load([head.id for head in heads])
                self._mark_unreachable(jobs, cluster, str(exc), first=True)
            else:
                self._unreachable_again(heads, cluster, load)
            return None
        self._backoff.pop(key, None)
        # Also after a restart of ours: jobs still marked by an earlier process.
        if key in self._unreachable or any(_marked(head) for head in heads):
            self._unreachable.discard(key)
            self._mark_reachable(load([head.id for head in heads]), cluster)
        return {row.flink_job_id: row for row in rows}

    def _unreachable_again(self, heads: list[JobHead], cluster: Cluster, load: LoadJobs) -> None:
        """Still unreachable: mark only jobs not marked yet (e.g. started meanwhile)."""
        stale = [
            head.id
            for head in heads
            if _head_tracked(head)
            and (head.observed_state is not ObservedState.UNKNOWN or head.status_reason is None)
        ]
        if stale:
            self._mark_unreachable(load(stale), cluster, "", first=False)

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

    def details(self, job: Job, row: ObservedJob, flink: FlinkCluster) -> JobDetails | None:
        """The job's details when this tick granted it a read (``triage``)."""
        if job.id not in self._granted:
            return None
        self._details_at[job.id] = time.monotonic()  # tried: to the back of the line
        try:
            return flink.job_details(row.flink_job_id)
        except EnginePermanentError as exc:  # e.g. gone since the overview: state only
            _log.info("no details for job %s: %s", job.id, exc)
            return None

    def apply(
        self, job: Job, row: ObservedJob, details: JobDetails | None
    ) -> list[tuple[EventName, str]]:
        """Copy the row (and details) into the job's observed status; the events to record."""
        events: list[tuple[EventName, str]] = []
        observed = job.observed
        observed.state = row.state
        if details is not None:  # else the row still counts as changed: read it later
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
        was = job.observed.state
        details = self.details(job, row, flink)
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
        elif (
            job.status is JobStatus.RUNNING
            and row.all_running
            and (was in _FAILURE_STATES or any(n is EventName.JOB_RESTARTED for n, _ in events))
        ):
            # Back from Flink's own restart: the timeline and the events say so (a restart
            # seen only by its count already ended when it was seen).
            events.append(
                (EventName.JOB_RUNNING, f"Flink job {row.flink_job_id} runs again after a restart")
            )
        if _observable(job) == before and not events:
            return  # nothing a reader could see changed: no write
        with self._ctx.store.transaction() as repos:
            job.modified_at = self._ctx.clock()
            repos.update_job(job=job)
            for name, message in events:
                record_event(repos, job, name, message, now=job.modified_at)
