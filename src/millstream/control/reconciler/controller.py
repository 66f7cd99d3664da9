"""The reconciler's tick: observe every cluster once, decide per job, act in parallel.

``Reconciler.run_iteration`` (called by ``control.daemon``) refreshes the live jobs'
heads (``JobHeads``: only new or changed jobs are read), reads the in-flight savepoints
and the clusters; lets ``ManagedClusters`` make managed cluster processes match their
desired state; observes every cluster its jobs use with ONE ``/jobs/overview`` call
(``Observer``); sets aside, on the heads alone, the jobs with nothing to do (at scale,
nearly all); reads the others' full jobs in one query, decides per job
(``domain.decisions``) and hands each decision to its handler (``JobActions``,
``Savepoints``, ``Observer``) on a bounded thread pool. One failing job never stops the
others: a handler's error is logged and the job is decided again next tick, from the
store plus a fresh observation.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from millstream.control.admission import Admitter
from millstream.control.cluster_ports import ClusterProcesses
from millstream.control.context import Scope
from millstream.control.engine_versions import EngineVersions
from millstream.control.ports import Engine, FlinkCluster, ObservedJob
from millstream.control.reconciler.actions import Act, Context, Handler, TickReport
from millstream.control.reconciler.clusters import ManagedClusters
from millstream.control.reconciler.heads import JobHeads
from millstream.control.reconciler.jobs import JobActions
from millstream.control.reconciler.observer import Observer
from millstream.control.reconciler.runtimes import RuntimeClusters
from millstream.control.reconciler.savepoints import Savepoints
from millstream.control.reconciler_ports import JobHead, ReconcilerStore
from millstream.control.services.variables import NamespaceVariables
from millstream.domain.clusters import Cluster
from millstream.domain.decisions import Step, decide
from millstream.domain.errors import EngineUnavailable, StaleVersion
from millstream.domain.jobs import Job, JobStatus
from millstream.domain.savepoints import Savepoint, SavepointOrigin
from millstream.domain.sql_libraries import SqlLibraries

__all__ = ["Reconciler"]

_log = logging.getLogger(__name__)

ClusterKey = tuple[str, str]


class Reconciler:
    def __init__(
        self,
        store: ReconcilerStore,
        engine: Engine,
        *,
        max_concurrency: int = 8,
        details_interval: float = 5.0,
        details_budget: int = 10,
        unreachable_backoff: float = 0.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        processes: ClusterProcesses | None = None,
        per_job_clusters: bool = False,
        default_slots: int = 1,
        variables: NamespaceVariables | None = None,
        on_job_ended: Sequence[Callable[[Job], object]] = (),
        versions: EngineVersions | None = None,
        default_runtime: str | None = None,
        runtime_idle_stop: float = 300.0,
        sql_libraries: Callable[[Scope, str], SqlLibraries] | None = None,
    ) -> None:
        self._ctx = Context(store, engine, clock, variables)
        # Which runtime runs a job; jobs of another runtime than the default cluster's
        # go to that runtime's on-demand cluster (``runtimes``).
        runtimes = RuntimeClusters(
            self._ctx,
            versions,
            default_runtime=default_runtime,
            default_slots=default_slots,
            # without cluster processes there is nothing to start: jobs stay put
            movable=processes is not None,
            idle_stop=runtime_idle_stop,
        )
        self._observer = Observer(
            self._ctx,
            details_interval=details_interval,
            details_budget=details_budget,
            unreachable_backoff=unreachable_backoff,
        )
        self._clusters = ManagedClusters(
            self._ctx,
            processes,
            per_job_clusters=per_job_clusters,
            default_slots=default_slots,
            runtimes=runtimes,
        )
        self._jobs = JobActions(
            self._ctx,
            self._observer,
            self._clusters,
            variables=variables,
            on_job_ended=on_job_ended,
            runtimes=runtimes,
            sql_libraries=sql_libraries,
        )
        self._savepoints = Savepoints(self._ctx)
        self._admitter = Admitter(store, clock=clock)
        self._heads = JobHeads()
        self._unknown_clusters: set[ClusterKey] = set()  # warned about once
        self._handlers: dict[Step, Handler] = {
            Step.NOTHING: self._nothing,
            Step.SUBMIT: self._jobs.submit,
            Step.RESUBMIT: self._jobs.submit,
            Step.RESUME: self._jobs.submit,
            Step.RESTART: self._jobs.submit,
            Step.OBSERVE: self._observer.observe_job,
            Step.CANCEL: self._jobs.cancel,
            Step.STOP_WITH_SAVEPOINT: self._savepoints.stop_with_savepoint,
            Step.POLL_STOP: self._savepoints.poll_stop,
            Step.CONCLUDE: self._jobs.conclude,
        }
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="act")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    @property
    def unreachable_clusters(self) -> set[str]:
        return self._observer.unreachable

    # ------------------------------------------------------------------ the tick

    def run_iteration(self) -> TickReport:
        started = time.monotonic()
        report = TickReport()
        with self._ctx.store.transaction() as repos:
            heads = self._heads.refresh(repos)
            pending = repos.read_pending_savepoints()
            clusters = {(c.workspace, c.name): c for c in repos.read_clusters()}
        # Admission (queues) first, so a job admitted now is submitted in this tick: it
        # decides on the live jobs that have a queue; what it wrote shows in the heads.
        if self._heads.any_waiting():
            queued = self._load([head.id for head in heads if head.queue is not None])
            admission = self._admitter.run_iteration(queued)
            report.jobs_loaded += len(queued)
            if admission.stale or admission.changed_jobs:
                with self._ctx.store.transaction() as repos:
                    heads = self._heads.refresh(repos)
        report.jobs = len(heads)
        self._observer.new_tick()
        self._observer.forget_all_but(self._heads.ids())
        pending_ids = frozenset(savepoint.id for savepoint in pending)
        reconcile_job = functools.partial(self._reconcile_job, pending=pending_ids)
        by_cluster: dict[ClusterKey, list[JobHead]] = defaultdict(list)
        for head in heads:
            by_cluster[(head.workspace, head.cluster)].append(head)
        self._clusters.reconcile(clusters, by_cluster)

        work: list[Callable[[], Step]] = []
        observed: list[tuple[list[JobHead], dict[str, ObservedJob], FlinkCluster, Cluster]] = []
        for key, cluster_heads in by_cluster.items():
            cluster = clusters.get(key)
            if cluster is None:
                if key not in self._unknown_clusters:  # once, not every tick
                    self._unknown_clusters.add(key)
                    _log.warning(
                        "jobs %s reference unknown cluster %s", [h.id for h in cluster_heads], key
                    )
                continue
            if not cluster.ready:
                jobs = self._load([head.id for head in cluster_heads])
                report.jobs_loaded += len(jobs)
                work.extend(self._clusters.waiting(cluster, jobs, reconcile_job))
                continue
            flink = self._ctx.engine.cluster(cluster)
            rows = self._observer.observe_cluster(flink, cluster, cluster_heads, self._load)
            if rows is None:
                report.clusters_unreachable.append(cluster.name)
                continue
            report.clusters_observed += 1
            observed.append((cluster_heads, rows, flink, cluster))
        work.extend(self._act_on(observed, reconcile_job, report))
        work.extend(self._user_savepoints(heads, pending, clusters))

        for step in self._pool.map(self._guard, work):
            report.count(step)
        report.seconds = time.monotonic() - started
        return report

    def _act_on(
        self,
        observed: list[tuple[list[JobHead], dict[str, ObservedJob], FlinkCluster, Cluster]],
        reconcile_job: Callable[[Job, ObservedJob | None, FlinkCluster, Cluster | None], Step],
        report: TickReport,
    ) -> list[Callable[[], Step]]:
        """The work on the observed clusters' jobs: the quiet ones (nothing to do, seen
        on their heads) are counted; the others are read in one query and decided."""
        quiet, acting = self._observer.triage(
            (heads, rows, (flink, cluster)) for heads, rows, flink, cluster in observed
        )
        if quiet:
            report.count(Step.NOTHING, quiet)
        jobs = {job.id: job for job in self._load([head.id for head, _, _ in acting])}
        report.jobs_loaded += len(jobs)
        return [
            functools.partial(reconcile_job, jobs[head.id], row, flink, cluster)
            for head, row, (flink, cluster) in acting
            if head.id in jobs  # else it ended meanwhile
        ]

    def _load(self, job_ids: Collection[str]) -> list[Job]:
        """Full live jobs, read now, in one transaction."""
        if not job_ids:
            return []
        with self._ctx.store.transaction() as repos:
            return JobHeads.load(repos, job_ids)

    def _user_savepoints(
        self,
        heads: Sequence[JobHead],
        pending: list[Savepoint],
        clusters: dict[ClusterKey, Cluster],
    ) -> list[Callable[[], Step]]:
        """Pending savepoints users asked for; a stop's own savepoint is its job's work."""
        if not pending:  # the common tick: no pass over every head
            return []
        stop_savepoints = {head.stop_savepoint_id for head in heads if head.stop_savepoint_id}
        return [
            functools.partial(self._savepoints.reconcile_savepoint, savepoint, clusters)
            for savepoint in pending
            if savepoint.id not in stop_savepoints
            and savepoint.origin is not SavepointOrigin.STOP_WITH_SAVEPOINT
        ]

    @staticmethod
    def _guard(action: Callable[[], Step]) -> Step:
        """One failing job must not stop the others: log and retry next tick."""
        try:
            return action()
        except StaleVersion:
            return Step.NOTHING  # a user changed the job meanwhile; re-read next tick
        except EngineUnavailable as exc:
            # Every tick while Flink is down: the observer warns once per outage.
            _log.debug("Flink unavailable, will retry: %s", exc)
            return Step.NOTHING
        except Exception:
            _log.exception("reconciler action failed; retrying next tick")
            return Step.NOTHING

    # ------------------------------------------------------------------ one job

    def _reconcile_job(
        self,
        job: Job,
        row: ObservedJob | None,
        flink: FlinkCluster,
        cluster: Cluster | None,
        *,
        pending: frozenset[str],
    ) -> Step:
        """Decide on the job as read at the start of the tick; every write that follows is
        guarded by the job's version, so a user's concurrent change wins (StaleVersion)."""
        stop_pending = job.stop_savepoint_id is not None and job.stop_savepoint_id in pending
        # the row we have is for the JobID current at observation time
        if row is not None and row.flink_job_id != job.flink_job_id:
            row = None
        decision = decide(
            job,
            row.state if row else None,
            stop_savepoint_pending=stop_pending,
            now=self._ctx.clock(),
        )
        self._handlers[decision.step](Act(job, row, flink, decision, cluster))
        return decision.step

    def _nothing(self, act: Act) -> None:
        if act.row is not None and act.job.status is not JobStatus.SUSPENDED:
            self._observer.observe_job(act)
