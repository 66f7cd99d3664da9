"""The reconciler: makes Flink clusters match the jobs' desired state (DESIGN.md §3).

One ``run_iteration`` = read the live jobs and in-flight savepoints, observe every
cluster they use with ONE ``/jobs/overview`` call, decide per job (``domain.decisions``)
and act with bounded concurrency. Every action is recorded before and after it runs,
so a control plane killed at any point rebuilds the truth on the next tick: Flink
JobIDs are derived from (job id, attempt), a retried submission finds the job there.

Managed clusters (given ``processes``): before observing, each tick makes every session
cluster's processes match its desired state and records the status; a job that should
get a dedicated cluster (``per_job_clusters``) is first moved onto a new DEDICATED
cluster record (one transaction), which the next ticks start, submit to, and tear down
once the job ended. Starts and stops never block the tick (``ClusterProcesses``); jobs
of a cluster that is not RUNNING yet wait without being observed.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from millstream.control.cluster_ports import (
    ClusterProcesses,
    ProcessSpec,
    ProcessState,
    ProcessStatus,
)
from millstream.control.context import Scope
from millstream.control.ports import (
    Engine,
    FlinkCluster,
    JobDetails,
    ObservedJob,
    Repositories,
    Store,
    Submission,
)
from millstream.control.services.common import DEFAULT_CLUSTER, record_event
from millstream.control.services.variables import NamespaceVariables
from millstream.control.variables import merge_variables, substitute, substitute_conf
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import (
    Cluster,
    ClusterDesiredState,
    ClusterFailure,
    ClusterKind,
    ClusterStatus,
    dedicated_cluster_name,
)
from millstream.domain.decisions import Decision, Step, decide
from millstream.domain.errors import (
    EnginePermanentError,
    EngineUnavailable,
    MillstreamError,
    StaleVersion,
)
from millstream.domain.events import EventName
from millstream.domain.jobs import (
    DesiredState,
    Failure,
    Job,
    JobStatus,
    RestoreKind,
    StopStrategy,
)
from millstream.domain.savepoints import Savepoint, SavepointOrigin, SavepointState

__all__ = ["Reconciler", "TickReport"]

_log = logging.getLogger(__name__)


@dataclass(slots=True)
class TickReport:
    jobs: int = 0
    clusters_observed: int = 0
    clusters_unreachable: list[str] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(slots=True)
class _Act:
    """What one handler works on: the job, Flink's row for it, its cluster, the decision."""

    job: Job
    row: ObservedJob | None
    flink: FlinkCluster
    decision: Decision
    cluster: Cluster | None = None


def _observable(job: Job) -> tuple[object, ...]:
    """What readers of a job can see of an observation; unchanged means no write."""
    return (
        job.observed_flink_status,
        job.observed_modified_ms,
        job.status,
        job.observed_restarts,
        job.failure,
        job.extra.get("latest_checkpoint"),
        job.start_time,
    )


def _ms_to_dt(value: int | None) -> datetime | None:
    if value is None or value <= 0:
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


class Reconciler:
    def __init__(
        self,
        store: Store,
        engine: Engine,
        *,
        max_concurrency: int = 8,
        details_interval: float = 5.0,
        details_budget: int = 200,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        processes: ClusterProcesses | None = None,
        per_job_clusters: bool = False,
        default_slots: int = 1,
        variables: NamespaceVariables | None = None,
        on_job_ended: Sequence[Callable[[Job], object]] = (),
    ) -> None:
        self._variables = variables
        self._on_job_ended = tuple(on_job_ended)
        self._store = store
        self._engine = engine
        self._processes = processes
        self._per_job_clusters = per_job_clusters and processes is not None
        self._default_slots = default_slots
        self._clock = clock
        self._details_interval = details_interval
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="act")
        self._unreachable: set[str] = set()
        self._details_at: dict[str, float] = {}
        self._details_budget = details_budget
        self._budget = details_budget
        self._budget_lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    # ------------------------------------------------------------------ the tick

    def run_iteration(self) -> TickReport:
        started = time.monotonic()
        report = TickReport()
        with self._store.transaction() as repos:
            jobs = repos.read_active_jobs()
            pending = repos.read_pending_savepoints()
            clusters = {(c.workspace, c.name): c for c in repos.read_clusters()}
        report.jobs = len(jobs)
        self._budget = self._details_budget
        by_cluster: dict[tuple[str, str], list[Job]] = defaultdict(list)
        for job in jobs:
            by_cluster[(job.workspace, job.cluster)].append(job)
        work: list[Callable[[], Step]] = []
        if self._processes is not None:
            self._reconcile_clusters(self._processes, clusters, by_cluster)

        observations: dict[tuple[str, str], dict[str, ObservedJob]] = {}
        for key, cluster_jobs in by_cluster.items():
            cluster = clusters.get(key)
            if cluster is None:
                _log.warning(
                    "jobs %s reference unknown cluster %s", [j.id for j in cluster_jobs], key
                )
                continue
            if not cluster.ready:
                work.extend(self._waiting(cluster, cluster_jobs, _pending_ids(pending)))
                continue
            rows = self._observe(cluster, cluster_jobs)
            if rows is None:
                report.clusters_unreachable.append(cluster.name)
                continue
            report.clusters_observed += 1
            observations[key] = rows

        pending_ids = _pending_ids(pending)
        idle = 0
        for key, cluster_jobs in by_cluster.items():
            if key not in observations:
                continue
            flink = self._engine.cluster(clusters[key])
            rows = observations[key]
            for job in cluster_jobs:
                row = rows.get(job.flink_job_id or "")
                if self._idle(job, row):  # the common case at scale: decided right here
                    report.actions[Step.NOTHING.value] = (
                        report.actions.get(Step.NOTHING.value, 0) + 1
                    )
                    continue
                work.append(
                    functools.partial(
                        self._reconcile_job, job, row, flink, pending_ids, clusters[key]
                    )
                )
        stop_savepoints = {job.stop_savepoint_id for job in jobs if job.stop_savepoint_id}
        for savepoint in pending:
            if savepoint.id not in stop_savepoints and savepoint.origin is not (
                SavepointOrigin.STOP_WITH_SAVEPOINT
            ):
                work.append(functools.partial(self._reconcile_savepoint, savepoint, clusters))

        if idle:
            report.actions[Step.NOTHING.value] = idle
        for step in self._pool.map(self._guard, work):
            report.actions[step.value] = report.actions.get(step.value, 0) + 1
        report.seconds = time.monotonic() - started
        return report

    @staticmethod
    def _guard(action: Callable[[], Step]) -> Step:
        """One failing job must not stop the others: log and retry next tick."""
        try:
            return action()
        except StaleVersion:
            return Step.NOTHING  # a user changed the job meanwhile; re-read next tick
        except EngineUnavailable as exc:
            _log.info("Flink unavailable, will retry: %s", exc)
            return Step.NOTHING
        except Exception:
            _log.exception("reconciler action failed; retrying next tick")
            return Step.NOTHING

    def _observe(self, cluster: Cluster, jobs: list[Job]) -> dict[str, ObservedJob] | None:
        key = f"{cluster.workspace}/{cluster.name}"
        try:
            rows = self._engine.cluster(cluster).list_jobs()
        except EngineUnavailable as exc:
            if key not in self._unreachable:
                self._unreachable.add(key)
                self._cluster_event(jobs, EventName.CLUSTER_UNREACHABLE, f"{cluster.name}: {exc}")
            return None
        if key in self._unreachable:
            self._unreachable.discard(key)
            self._cluster_event(jobs, EventName.CLUSTER_REACHABLE, f"{cluster.name} is back")
        return {row.flink_job_id: row for row in rows}

    def _cluster_event(self, jobs: list[Job], name: EventName, message: str) -> None:
        """Cluster reachability is recorded on each affected job (never as a failure)."""
        with self._store.transaction() as repos:
            for job in jobs:
                record_event(repos, job, name, message, now=self._clock())

    @property
    def unreachable_clusters(self) -> set[str]:
        return set(self._unreachable)

    # ------------------------------------------------------------------ one job

    def _reconcile_job(
        self,
        job: Job,
        row: ObservedJob | None,
        flink: FlinkCluster,
        pending: frozenset[str],
        cluster: Cluster | None = None,
    ) -> Step:
        """Decide on the job as read at the start of the tick; every write that follows is
        guarded by the job's version, so a user's concurrent change wins (StaleVersion)."""
        stop_pending = job.stop_savepoint_id is not None and job.stop_savepoint_id in pending
        # the row we have is for the JobID current at observation time
        if row is not None and row.flink_job_id != job.flink_job_id:
            row = None
        decision = decide(job, row.state if row else None, stop_savepoint_pending=stop_pending)
        handler = {
            Step.NOTHING: self._nothing,
            Step.SUBMIT: self._submit,
            Step.RESUBMIT: self._submit,
            Step.OBSERVE: self._observe_job,
            Step.CANCEL: self._cancel,
            Step.STOP_WITH_SAVEPOINT: self._stop_with_savepoint,
            Step.POLL_STOP: self._poll_stop,
            Step.CONCLUDE: self._conclude,
        }[decision.step]
        handler(_Act(job, row, flink, decision, cluster))
        return decision.step

    def _nothing(self, act: _Act) -> None:
        row = act.row
        if row is not None:
            self._observe_job(act)

    def _save(self, job: Job, name: EventName | None = None, message: str = "") -> None:
        with self._store.transaction() as repos:
            job.modified_at = self._clock()
            repos.update_job(job=job)
            if name is not None:
                record_event(repos, job, name, message, now=job.modified_at)

    def _submit(self, act: _Act) -> None:
        job, flink, decision = act.job, act.flink, act.decision
        if self._wants_dedicated(job, act.cluster):
            self._assign_dedicated(job)
            return
        resubmit = decision.step is Step.RESUBMIT
        with self._store.transaction() as repos:
            new_attempt = job.flink_job_id is None or resubmit
            if new_attempt:
                if resubmit:
                    self._find_newest_checkpoint(job)
                    self._retain_checkpoint(repos, job)
                path = self._restore_path(repos, job, resubmit=resubmit)
                if isinstance(path, Failure):
                    job.move_to(JobStatus.FAILED)
                    job.failure = path
                    job.end_time = self._clock()
                    job.modified_at = self._clock()
                    repos.update_job(job=job)
                    record_event(repos, job, EventName.JOB_FAILED, path.message, now=job.end_time)
                    return
                job.restored_from = path
                job.next_flink_job_id()
                job.move_to(JobStatus.STARTING)
            job.modified_at = self._clock()
            repos.update_job(job=job)
            what = EventName.JOB_RESUBMITTING if resubmit else EventName.JOB_SUBMITTING
            record_event(
                repos,
                job,
                what,
                f"attempt {job.attempt}: Flink job {job.flink_job_id} ({decision.reason})"
                + (f", restoring from {job.restored_from}" if job.restored_from else ""),
                now=job.modified_at,
            )
        try:
            flink.submit(self._submission(job))
        except EnginePermanentError as exc:
            job.move_to(JobStatus.FAILED)
            job.failure = Failure(str(exc), "SubmissionRejected", self._clock())
            job.end_time = self._clock()
            self._save(job, EventName.JOB_FAILED, f"Flink rejected the submission: {exc}")
            return
        except MillstreamError as exc:
            if isinstance(exc, EngineUnavailable):
                raise
            job.move_to(JobStatus.FAILED)
            job.failure = Failure(str(exc), type(exc).__name__, self._clock())
            job.end_time = self._clock()
            self._save(job, EventName.JOB_FAILED, str(exc))
            return
        job.observed_flink_status = job.observed_flink_status or "INITIALIZING"
        self._save(job, EventName.JOB_SUBMITTED, f"Flink accepted job {job.flink_job_id}")

    def _submission(self, job: Job) -> Submission:
        # Encrypted namespace variables are never stored on the job: resolve them now.
        namespace = (
            self._variables.resolve(Scope(job.workspace, job.namespace)).values
            if self._variables is not None
            else {}
        )
        variables = merge_variables(namespace, job.local_variables)
        artifact = job.artifact
        resolved: Artifact = dataclasses.replace(
            artifact,
            sql_script=substitute(artifact.sql_script, variables, where="sqlScript")
            if artifact.kind is ArtifactKind.SQLSCRIPT and artifact.sql_script
            else artifact.sql_script,
            main_args=substitute(artifact.main_args, variables, where="mainArgs")
            if artifact.main_args
            else artifact.main_args,
        )
        return Submission(
            flink_job_id=job.flink_job_id or "",
            job_name=job.deployment_name,
            artifact=resolved,
            execution_mode=job.execution_mode,
            # EXPERT plans and batch maxSlot decide the parallelism (domain.resources)
            parallelism=job.resources.effective_parallelism(),
            flink_conf=job.resources.flink_conf() | substitute_conf(job.flink_conf, variables),
            savepoint_path=job.restored_from,
            allow_non_restored_state=job.restore.allow_non_restored_state,
            # plain artifact names resolve in the job's namespace
            extra={"workspace": job.workspace, "namespace": job.namespace},
        )

    def _restore_path(
        self, repos: Repositories, job: Job, *, resubmit: bool
    ) -> str | Failure | None:
        """The state a new attempt starts from, per restore strategy (DESIGN.md §4).

        A resubmission after the cluster lost the job continues from the job's own newest
        state (its savepoints and last retained checkpoint) so no progress is lost.
        """
        if resubmit:
            latest = repos.read_latest_savepoint(
                deployment_id=job.deployment_id, include_checkpoints=True
            )
            if latest is not None and latest.job_id == job.id and latest.location:
                return latest.location
            return job.restored_from
        kind = job.restore.kind
        if kind is RestoreKind.NONE:
            return None
        if kind is RestoreKind.FROM_SAVEPOINT:
            savepoint = repos.read_savepoint(savepoint_id=job.restore.savepoint_id or "")
            if savepoint is None or not savepoint.location:
                return Failure(
                    f"savepoint {job.restore.savepoint_id} no longer exists",
                    "SavepointNotFound",
                    self._clock(),
                )
            return savepoint.location
        latest = repos.read_latest_savepoint(
            deployment_id=job.deployment_id,
            include_checkpoints=kind is RestoreKind.LATEST_STATE,
        )
        return latest.location if latest is not None else None

    def _find_newest_checkpoint(self, job: Job) -> None:
        """The lost job may have completed checkpoints after the last one we observed
        (and Flink deletes old ones): prefer the newest found in storage."""
        directory = job.flink_conf.get("execution.checkpointing.dir")
        if not isinstance(directory, str) or job.flink_job_id is None:
            return
        newest = self._engine.newest_checkpoint(directory, job.flink_job_id)
        if newest is not None:
            job.extra["latest_checkpoint"] = newest

    def _retain_checkpoint(self, repos: Repositories, job: Job) -> None:
        """Record the job's newest known checkpoint as restorable state, once."""
        path = job.extra.get("latest_checkpoint")
        if not isinstance(path, str) or job.extra.get("retained_checkpoint") == path:
            return
        now = self._clock()
        repos.create_savepoint(
            savepoint=Savepoint(
                id=str(uuid.uuid4()),
                workspace=job.workspace,
                namespace=job.namespace,
                deployment_id=job.deployment_id,
                job_id=job.id,
                origin=SavepointOrigin.RETAINED_CHECKPOINT,
                state=SavepointState.COMPLETED,
                location=path,
                created_at=now,
                modified_at=now,
            )
        )
        job.extra["retained_checkpoint"] = path

    def _idle(self, job: Job, row: ObservedJob | None) -> bool:
        """A RUNNING job whose overview row is unchanged, with nothing to decide and no
        detail read due (or no budget left for one) needs no action this tick."""
        if row is None or row.flink_job_id != job.flink_job_id:
            return False
        if job.status is not JobStatus.RUNNING or job.stop_savepoint_id is not None:
            return False
        if (row.last_modification_ms, row.state) != (
            job.observed_modified_ms,
            job.observed_flink_status,
        ):
            return False
        if decide(job, row.state, stop_savepoint_pending=False).step is not Step.OBSERVE:
            return False
        due = time.monotonic() - self._details_at.get(job.id, 0.0) >= self._details_interval
        return not due or self._budget <= 0

    def _details(
        self, job: Job, row: ObservedJob, flink: FlinkCluster, *, force: bool
    ) -> JobDetails | None:
        """Per-job detail calls only when the overview row changed (or now and then)."""
        now = time.monotonic()
        changed = row.last_modification_ms != job.observed_modified_ms
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

    def _apply_details(
        self, job: Job, row: ObservedJob, details: JobDetails | None
    ) -> list[tuple[EventName, str]]:
        events: list[tuple[EventName, str]] = []
        job.observed_flink_status = row.state
        job.observed_modified_ms = row.last_modification_ms
        if job.start_time is None:
            job.start_time = _ms_to_dt(row.start_time_ms) or self._clock()
        if details is None:
            return events
        if details.restarts is not None:
            before = job.observed_restarts or 0
            if details.restarts > before:
                events.append(
                    (
                        EventName.JOB_RESTARTED,
                        f"Flink restarted the job ({details.restarts} restarts)",
                    )
                )
            job.observed_restarts = details.restarts
        if details.latest_checkpoint_path:
            job.extra["latest_checkpoint"] = details.latest_checkpoint_path
        if details.root_failure is not None and row.state in ("FAILED", "FAILING", "RESTARTING"):
            job.failure = details.root_failure
        return events

    def _observe_job(self, act: _Act) -> None:
        job, row, flink = act.job, act.row, act.flink
        if row is None:
            return
        before = _observable(job)
        details = self._details(job, row, flink, force=False)
        events = self._apply_details(job, row, details)
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
        with self._store.transaction() as repos:
            job.modified_at = self._clock()
            repos.update_job(job=job)
            for name, message in events:
                record_event(repos, job, name, message, now=job.modified_at)

    def _cancel(self, act: _Act) -> None:
        job, flink = act.job, act.flink
        if job.status is not JobStatus.CANCELLING:
            job.move_to(JobStatus.CANCELLING)
            self._save(job, EventName.JOB_STOPPING, "cancelling (no savepoint)")
        flink.cancel(job.flink_job_id or "")

    def _stop_with_savepoint(self, act: _Act) -> None:
        job, flink = act.job, act.flink
        drain = job.stop_strategy is StopStrategy.STOP_WITH_DRAIN
        now = self._clock()
        savepoint = Savepoint(
            id=str(uuid.uuid4()),
            workspace=job.workspace,
            namespace=job.namespace,
            deployment_id=job.deployment_id,
            job_id=job.id,
            origin=SavepointOrigin.STOP_WITH_SAVEPOINT,
            stop_with_drain=drain,
            created_at=now,
            modified_at=now,
        )
        with self._store.transaction() as repos:
            repos.create_savepoint(savepoint=savepoint)
            job.stop_savepoint_id = savepoint.id
            job.move_to(JobStatus.CANCELLING)
            job.modified_at = now
            repos.update_job(job=job)
            record_event(
                repos,
                job,
                EventName.JOB_STOPPING,
                f"stopping with savepoint {savepoint.id}",
                now=now,
            )
        self._trigger_stop(job, savepoint, flink)

    def _trigger_stop(self, job: Job, savepoint: Savepoint, flink: FlinkCluster) -> None:
        try:
            trigger = flink.stop_with_savepoint(
                job.flink_job_id or "",
                target_directory=self._engine.savepoint_directory(deployment_id=job.deployment_id),
                drain=savepoint.stop_with_drain,
            )
        except EnginePermanentError as exc:
            self._stop_failed(job, savepoint, str(exc))
            return
        with self._store.transaction() as repos:
            savepoint.trigger_id = trigger
            savepoint.modified_at = self._clock()
            repos.update_savepoint(savepoint=savepoint)

    def _poll_stop(self, act: _Act) -> None:
        job, row, flink = act.job, act.row, act.flink
        with self._store.transaction() as repos:
            savepoint = repos.read_savepoint(savepoint_id=job.stop_savepoint_id or "")
        if savepoint is None or savepoint.state is not SavepointState.STARTED:
            return
        if savepoint.trigger_id is None:
            if row is not None and row.state == "RUNNING":
                self._trigger_stop(job, savepoint, flink)
                return
            self._stop_failed(job, savepoint, "the job ended before the savepoint was triggered")
            return
        try:
            progress = flink.savepoint_progress(job.flink_job_id or "", savepoint.trigger_id)
        except EnginePermanentError as exc:
            progress_failure: str | None = str(exc)
        else:
            if not progress.done:
                return
            progress_failure = progress.failure
            if progress.location and progress_failure is None:
                with self._store.transaction() as repos:
                    savepoint.state = SavepointState.COMPLETED
                    savepoint.location = progress.location
                    savepoint.modified_at = self._clock()
                    repos.update_savepoint(savepoint=savepoint)
                    record_event(
                        repos,
                        job,
                        EventName.SAVEPOINT_COMPLETED,
                        f"savepoint {savepoint.id} at {progress.location}",
                        now=savepoint.modified_at,
                    )
                return
        self._stop_failed(job, savepoint, progress_failure or "savepoint failed without a cause")

    def _stop_failed(self, job: Job, savepoint: Savepoint, cause: str) -> None:
        """A stop that cannot take its savepoint fails loudly; the job keeps running."""
        now = self._clock()
        with self._store.transaction() as repos:
            savepoint.state = SavepointState.FAILED
            savepoint.failure = cause
            savepoint.modified_at = now
            repos.update_savepoint(savepoint=savepoint)
            current = repos.read_job(job_id=job.id)
            if current is None:
                return
            if not current.is_terminal:
                current.desired = DesiredState.RUNNING
                current.stop_strategy = None
                current.stop_savepoint_id = None
                if current.status is JobStatus.CANCELLING:
                    current.move_to(JobStatus.RUNNING)
                current.modified_at = now
                repos.update_job(job=current)
            record_event(
                repos,
                current,
                EventName.STOP_FAILED,
                f"stop with savepoint failed, the job keeps running: {cause}",
                now=now,
            )

    def _conclude(self, act: _Act) -> None:
        job, row, flink, decision = act.job, act.row, act.flink, act.decision
        status = decision.status or JobStatus.CANCELLED
        details: JobDetails | None = None
        if row is not None:
            try:
                details = flink.job_details(row.flink_job_id)
            except (EngineUnavailable, EnginePermanentError) as exc:
                _log.info("no details for ended job %s: %s", job.id, exc)
            root = details.root_failure if details else None
            if status is JobStatus.FAILED and root is None and self._recently(row.end_time_ms):
                return  # Flink writes the exception history just after the state: wait
            self._apply_details(job, row, details)
        if status is JobStatus.FAILED and job.failure is None:
            job.failure = (details.root_failure if details else None) or Failure(
                decision.reason, "JobFailed", self._clock()
            )
        job.move_to(status)
        job.end_time = (_ms_to_dt(row.end_time_ms) if row else None) or self._clock()
        name = {
            JobStatus.FAILED: EventName.JOB_FAILED,
            JobStatus.FINISHED: EventName.JOB_FINISHED,
        }.get(status, EventName.JOB_CANCELLED)
        message = decision.reason
        if status is JobStatus.FAILED and job.failure is not None:
            message = f"{decision.reason}: {job.failure.message}"
        with self._store.transaction() as repos:
            # Flink discards a job's checkpoints when the job FINISHES (a stop with
            # savepoint ends that way): only a cancelled or failed job leaves one behind.
            if status is not JobStatus.FINISHED and (row is None or row.state != "FINISHED"):
                self._retain_checkpoint(repos, job)
            job.modified_at = self._clock()
            repos.update_job(job=job)
            record_event(repos, job, name, message, now=job.modified_at)
        self._details_at.pop(job.id, None)
        for hook in self._on_job_ended:
            try:
                hook(job)
            except Exception:  # a hook (log archiving) must never undo the conclusion
                _log.exception("after-job hook failed for job %s", job.id)

    def _recently(self, moment_ms: int | None, seconds: float = 10.0) -> bool:
        if moment_ms is None or moment_ms <= 0:
            return False
        return self._clock().timestamp() - moment_ms / 1000 < seconds

    # ------------------------------------------------------------------ savepoints

    def _reconcile_savepoint(
        self, savepoint: Savepoint, clusters: dict[tuple[str, str], Cluster]
    ) -> Step:
        with self._store.transaction() as repos:
            job = repos.read_job(job_id=savepoint.job_id or "")
        cluster = clusters.get((job.workspace, job.cluster)) if job else None
        if job is None or job.is_terminal or job.flink_job_id is None or cluster is None:
            self._savepoint_done(savepoint, None, "the job is no longer running", job)
            return Step.CONCLUDE
        flink = self._engine.cluster(cluster)
        try:
            if savepoint.trigger_id is None:
                trigger = flink.trigger_savepoint(
                    job.flink_job_id,
                    target_directory=self._engine.savepoint_directory(
                        deployment_id=job.deployment_id
                    ),
                )
                with self._store.transaction() as repos:
                    savepoint.trigger_id = trigger
                    savepoint.modified_at = self._clock()
                    repos.update_savepoint(savepoint=savepoint)
                    record_event(
                        repos,
                        job,
                        EventName.SAVEPOINT_TRIGGERED,
                        f"savepoint {savepoint.id} triggered",
                        now=savepoint.modified_at,
                    )
                return Step.POLL_STOP
            progress = flink.savepoint_progress(job.flink_job_id, savepoint.trigger_id)
        except EnginePermanentError as exc:
            self._savepoint_done(savepoint, None, str(exc), job)
            return Step.CONCLUDE
        if progress.done:
            self._savepoint_done(savepoint, progress.location, progress.failure, job)
            return Step.CONCLUDE
        return Step.NOTHING

    def _savepoint_done(
        self, savepoint: Savepoint, location: str | None, failure: str | None, job: Job | None
    ) -> None:
        now = self._clock()
        with self._store.transaction() as repos:
            if location and failure is None:
                savepoint.state = SavepointState.COMPLETED
                savepoint.location = location
                name, message = (
                    EventName.SAVEPOINT_COMPLETED,
                    f"savepoint {savepoint.id} at {location}",
                )
            else:
                savepoint.state = SavepointState.FAILED
                savepoint.failure = failure or "savepoint failed without a cause"
                name, message = (
                    EventName.SAVEPOINT_FAILED,
                    f"savepoint {savepoint.id} failed: {savepoint.failure}",
                )
            savepoint.modified_at = now
            repos.update_savepoint(savepoint=savepoint)
            if job is not None:
                record_event(repos, job, name, message, now=now)

    # ------------------------------------------------------------------ managed clusters

    def _reconcile_clusters(
        self,
        processes: ClusterProcesses,
        clusters: dict[tuple[str, str], Cluster],
        by_cluster: dict[tuple[str, str], list[Job]],
    ) -> None:
        """Make managed clusters' processes match their desired state; record status.

        A session cluster runs while desired STARTED; a dedicated one while its job is
        live. Status writes are guarded by the cluster's version: a user's concurrent
        start/stop wins and is acted on next tick.
        """
        for key, cluster in clusters.items():
            if not cluster.managed:
                continue
            if cluster.kind is ClusterKind.DEDICATED:
                wanted = key in by_cluster
            else:
                wanted = cluster.desired is ClusterDesiredState.STARTED
            if not wanted and cluster.status in (None, ClusterStatus.STOPPED):
                continue  # recorded STOPPED only once nothing was left running
            try:
                state = (
                    processes.ensure(self._process_spec(cluster))
                    if wanted
                    else processes.release(_process_key(cluster))
                )
            except MillstreamError as exc:
                state = ProcessState(ProcessStatus.FAILED, failure=str(exc))
            self._record_cluster(cluster, state, wanted=wanted)

    def _process_spec(self, cluster: Cluster) -> ProcessSpec:
        size = cluster.size(default_slots=self._default_slots)
        return ProcessSpec(
            key=_process_key(cluster),
            taskmanagers=size.taskmanagers,
            slots=size.slots,
            jobmanager_memory=size.jobmanager_memory,
            taskmanager_memory=size.taskmanager_memory,
            flink_conf=dict(cluster.flink_conf),
            logging=cluster.logging if cluster.kind is ClusterKind.DEDICATED else None,
            generation=cluster.generation,
            preferred_rest_url=cluster.rest_url or None,
        )

    def _record_cluster(self, cluster: Cluster, state: ProcessState, *, wanted: bool) -> None:
        status = ClusterStatus(state.status.value)
        now = self._clock()
        changed = False
        if status is not cluster.status:
            changed = True
            if status is ClusterStatus.RUNNING:
                cluster.started_at = now
                cluster.failure = None
            if status is ClusterStatus.FAILED:
                cluster.failure = ClusterFailure(
                    state.failure or "the cluster failed", "ClusterStartFailed", now
                )
            cluster.status = status
        if state.rest_url and state.rest_url != cluster.rest_url:
            cluster.rest_url, changed = state.rest_url, True
        if not wanted and cluster.desired is not ClusterDesiredState.STOPPED:
            cluster.desired, changed = ClusterDesiredState.STOPPED, True
        if not changed:
            return
        try:
            with self._store.transaction() as repos:
                repos.update_cluster(cluster=cluster)
        except StaleVersion:
            _log.info("cluster %s changed meanwhile; re-reading next tick", cluster.name)
            return
        _log.info("cluster %s/%s is %s", cluster.workspace, cluster.name, status.value)

    def _waiting(
        self, cluster: Cluster, jobs: list[Job], pending: frozenset[str]
    ) -> list[Callable[[], Step]]:
        """Jobs of a managed cluster that is not RUNNING: a stop before submission ends
        the job; a dedicated cluster that failed to start fails its job; others wait."""
        work: list[Callable[[], Step]] = []
        flink = self._engine.cluster(cluster)
        for job in jobs:
            if job.flink_job_id is None and job.desired is DesiredState.STOPPED:
                work.append(
                    functools.partial(self._reconcile_job, job, None, flink, pending, cluster)
                )
            elif cluster.kind is ClusterKind.DEDICATED and cluster.status is ClusterStatus.FAILED:
                message = cluster.failure.message if cluster.failure else "start failed"
                work.append(functools.partial(self._cluster_failed, job, cluster, message))
        return work

    def _cluster_failed(self, job: Job, cluster: Cluster, message: str) -> Step:
        job.move_to(JobStatus.FAILED)
        job.failure = Failure(
            f"dedicated Flink cluster {cluster.name} failed to start: {message}",
            "ClusterStartFailed",
            self._clock(),
        )
        job.end_time = self._clock()
        self._save(job, EventName.JOB_FAILED, job.failure.message)
        return Step.CONCLUDE

    def _wants_dedicated(self, job: Job, cluster: Cluster | None) -> bool:
        """A first submission to the default cluster gets its own cluster when
        ``per_job_clusters`` is on (named session clusters and targets never do)."""
        return (
            self._per_job_clusters
            and cluster is not None
            and cluster.name == DEFAULT_CLUSTER
            and not cluster.managed
            and job.flink_job_id is None
            and job.desired is DesiredState.RUNNING
        )

    def _assign_dedicated(self, job: Job) -> None:
        """Record the job's dedicated cluster and move the job onto it, in one
        transaction; the processes start on the next ticks (found again by name)."""
        name = dedicated_cluster_name(job.id)
        now = self._clock()
        with self._store.transaction() as repos:
            cluster = repos.read_cluster(workspace=job.workspace, name=name)
            if cluster is None:
                cluster = Cluster(
                    id=str(uuid.uuid4()),
                    workspace=job.workspace,
                    namespace=job.namespace,
                    name=name,
                    kind=ClusterKind.DEDICATED,
                    rest_url="",
                    flink_conf=dict(job.user_flink_conf),
                    created_at=now,
                    modified_at=now,
                    desired=ClusterDesiredState.STARTED,
                    status=ClusterStatus.STARTING,
                    resources=job.resources,
                    engine_version=job.engine_version,
                    logging=job.logging,
                    generation=1,
                    job_id=job.id,
                    creator=job.creator,
                    modifier=job.modifier,
                )
                repos.create_cluster(cluster=cluster)
            size = cluster.size(default_slots=self._default_slots)
            job.cluster = name
            job.modified_at = now
            repos.update_job(job=job)
            record_event(
                repos,
                job,
                EventName.JOB_SUBMITTING,
                f"starting dedicated Flink cluster {name}: {size.taskmanagers} TaskManager(s) "
                f"x {size.slots} slot(s), JobManager {size.jobmanager_memory}, "
                f"TaskManager {size.taskmanager_memory}",
                now=now,
            )


def _process_key(cluster: Cluster) -> str:
    return f"{cluster.workspace}/{cluster.name}"


def _pending_ids(pending: list[Savepoint]) -> frozenset[str]:
    return frozenset(savepoint.id for savepoint in pending)
