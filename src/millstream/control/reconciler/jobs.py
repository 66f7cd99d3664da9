"""Acting on jobs: submit, resubmit, resume, restart, cancel, and conclude a run.

The controller calls one handler per job per tick, as ``domain.decisions`` decided.
Every action is recorded before it runs: a new attempt (its Flink JobID, the state it
restores from, the event) is written first, then Flink is asked; a control plane killed
in between finds the attempt on the next tick and submits it again with the same JobID,
which Flink treats as already there. Which state an attempt restores from:

- first submission: the job's restore strategy (DESIGN.md §4);
- resubmission after the cluster lost the job, and a restart by the restart policy after
  a FAILED run: the job's own newest state (savepoints and retained checkpoints);
- resume of a SUSPENDED job: exactly the savepoint its suspend took.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from millstream.control.admission import may_submit
from millstream.control.context import Scope
from millstream.control.ports import FlinkCluster, JobDetails, Repositories, Submission
from millstream.control.reconciler.actions import Act, Context, ms_to_dt
from millstream.control.reconciler.clusters import ManagedClusters
from millstream.control.reconciler.observer import Observer
from millstream.control.reconciler.runtimes import RuntimeClusters
from millstream.control.reconciler.savepoints import retain_checkpoint
from millstream.control.services.common import record_event
from millstream.control.services.variables import NamespaceVariables
from millstream.control.variables import mask_secrets, merge_variables, substitute, substitute_conf
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.decisions import Step
from millstream.domain.errors import (
    EnginePermanentError,
    EngineUnavailable,
    InvalidInput,
    MillstreamError,
)
from millstream.domain.events import EventName
from millstream.domain.jobs import Failure, Job, JobStatus, RestoreKind
from millstream.domain.observed import ObservedState
from millstream.domain.restarts import RESTART_WINDOW
from millstream.domain.savepoints import SavepointState
from millstream.domain.sql_libraries import SqlLibraries

__all__ = ["JobActions"]

_log = logging.getLogger(__name__)

# Steps that start a new attempt even when the job already has a Flink JobID.
_NEW_ATTEMPT = frozenset({Step.RESUBMIT, Step.RESUME, Step.RESTART})
# Steps that continue from the job's own newest state.
_FROM_LATEST = frozenset({Step.RESUBMIT, Step.RESTART})


class JobActions:
    def __init__(
        self,
        ctx: Context,
        observer: Observer,
        clusters: ManagedClusters,
        *,
        variables: NamespaceVariables | None,
        on_job_ended: Sequence[Callable[[Job], object]],
        runtimes: RuntimeClusters | None = None,
        sql_libraries: Callable[[Scope, str], SqlLibraries] | None = None,
    ) -> None:
        self._ctx = ctx
        # What a SQL job needs of the namespace's functions and connectors (UdfService).
        self._sql_libraries = sql_libraries
        self._runtimes = runtimes
        self._observer = observer
        self._clusters = clusters
        self._variables = variables
        self._on_job_ended = tuple(on_job_ended)

    # ------------------------------------------------------------------ submit

    def submit(self, act: Act) -> None:
        """``SUBMIT``, ``RESUBMIT``, ``RESUME`` and ``RESTART``: record the attempt, submit."""
        job, flink, decision = act.job, act.flink, act.decision
        if not may_submit(job):
            # Admission (queues): a queued job waits, STARTING, until its queue has room;
            # ``control.admission`` admits it (and records why it waits) at a tick's start.
            return
        if self._clusters.wants_dedicated(job, act.cluster):
            self._clusters.assign_dedicated(job)
            return
        if self._runtimes is not None:
            try:
                choice = self._runtimes.wants_move(job, act.cluster)
            except InvalidInput as exc:  # its runtime was removed since it was stored
                self._fail_unsubmitted(job, str(exc), "EngineVersionUnavailable")
                return
            if choice is not None:
                self._runtimes.move(job, choice)
                return
        step = decision.step
        if step is Step.RESTART and act.row is not None:
            self._record_failed_run(job, act.row.flink_job_id, flink)
        now = self._ctx.clock()
        with self._ctx.store.transaction() as repos:
            new_attempt = job.flink_job_id is None or step in _NEW_ATTEMPT
            if new_attempt:
                if step in _FROM_LATEST:
                    self._find_newest_checkpoint(job)
                    retain_checkpoint(self._ctx, repos, job)
                path = self._restore_path(repos, job, step)
                if isinstance(path, Failure):
                    job.move_to(JobStatus.FAILED)
                    job.failure = path
                    job.end_time = now
                    job.modified_at = now
                    repos.update_job(job=job)
                    record_event(repos, job, EventName.JOB_FAILED, path.message, now=now)
                    return
                job.restored_from = path
                job.next_flink_job_id()
                job.move_to(JobStatus.STARTING)
                if step is Step.RESUME:
                    job.stop_savepoint_id = None
                    job.stop_strategy = None
                if step is Step.RESTART:
                    recent = tuple(t for t in job.restart_history if now - t < RESTART_WINDOW)
                    job.restart_history = (*recent, now)
                if step in (Step.RESUME, Step.RESTART):  # the ended run's state is history
                    job.observed.state = None
                    job.observed.modified_ms = None
            if self._runtimes is not None:  # which runtime runs this attempt
                job.runtime = self._runtimes.runtime_on(act.cluster)
            job.modified_at = now
            repos.update_job(job=job)
            if new_attempt:
                # An attempt recorded before a crash or an unreachable Flink is submitted
                # again under its own event: one attempt, one event.
                self._record_attempt(repos, job, step, decision.reason, now)
        try:
            flink.submit(self._submission(job))
        except EngineUnavailable:
            raise
        except MillstreamError as exc:
            rejected = isinstance(exc, EnginePermanentError)
            text = self._mask(job, str(exc))
            job.move_to(JobStatus.FAILED)
            job.failure = Failure(
                text, "SubmissionRejected" if rejected else type(exc).__name__, self._ctx.clock()
            )
            job.end_time = self._ctx.clock()
            self._ctx.save(
                job,
                EventName.JOB_FAILED,
                f"Flink rejected the submission: {text}" if rejected else text,
            )
            return
        job.observed.state = job.observed.state or ObservedState.INITIALIZING
        self._ctx.save(job, EventName.JOB_SUBMITTED, f"Flink accepted job {job.flink_job_id}")

    def _record_attempt(
        self, repos: Repositories, job: Job, step: Step, reason: str, now: datetime
    ) -> None:
        name, message = self._attempt_event(job, step, reason)
        choice = self._runtimes.choice(job) if self._runtimes is not None else None
        if choice is not None and job.runtime in (None, choice.version):
            message += f"; {choice.describe()}"
        elif job.runtime is not None:
            message += f"; runs on Flink {job.runtime} (the runtime of cluster {job.cluster})"
        record_event(repos, job, name, message, now=now)

    def _fail_unsubmitted(self, job: Job, message: str, reason: str) -> None:
        now = self._ctx.clock()
        job.move_to(JobStatus.FAILED)
        job.failure = Failure(message, reason, now)
        job.end_time = now
        self._ctx.save(job, EventName.JOB_FAILED, message)

    @staticmethod
    def _attempt_event(job: Job, step: Step, reason: str) -> tuple[EventName, str]:
        name = {
            Step.RESUBMIT: EventName.JOB_RESUBMITTING,
            Step.RESTART: EventName.JOB_RESTARTING_AFTER_FAILURE,
        }.get(step, EventName.JOB_SUBMITTING)
        message = f"attempt {job.attempt}: Flink job {job.flink_job_id} ({reason})"
        if step is Step.RESTART and job.failure is not None:
            message += f"; the run failed with: {job.failure.message}"
        if job.restored_from:
            message += f", restoring from {job.restored_from}"
        return name, message

    def _record_failed_run(self, job: Job, flink_job_id: str, flink: FlinkCluster) -> None:
        """Before restarting: the failed run's root cause and newest checkpoint."""
        try:
            details = flink.job_details(flink_job_id)
        except EnginePermanentError as exc:
            _log.info("no details for failed job %s: %s", job.id, exc)
            return
        if details.root_failure is not None:
            job.failure = self._ctx.redact(job, details.root_failure)
        if details.latest_checkpoint_path:
            job.observed.latest_checkpoint = details.latest_checkpoint_path
        if details.restarts is not None:
            job.observed.restarts = details.restarts

    def _mask(self, job: Job, text: str) -> str:
        """Failure texts may quote the substituted script: never show a secret value."""
        if self._variables is None:
            return text
        resolved = self._variables.resolve(Scope(job.workspace, job.namespace))
        return mask_secrets(text, resolved.secret_values())

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
            sql_script=substitute(artifact.sql_script, variables, where="the SQL script")
            if artifact.kind is ArtifactKind.SQLSCRIPT and artifact.sql_script
            else artifact.sql_script,
            main_args=substitute(artifact.main_args, variables, where="the main arguments")
            if artifact.main_args
            else artifact.main_args,
        )
        libraries = SqlLibraries()
        if self._sql_libraries is not None and resolved.kind is ArtifactKind.SQLSCRIPT:
            libraries = self._sql_libraries(
                Scope(job.workspace, job.namespace), resolved.sql_script or ""
            )
            resolved = dataclasses.replace(
                resolved,
                additional_dependencies=(*resolved.additional_dependencies, *libraries.jars),
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
            sql_preamble=libraries.statements,
        )

    # ------------------------------------------------------------------ restore

    def _restore_path(self, repos: Repositories, job: Job, step: Step) -> str | Failure | None:
        """The state a new attempt starts from (see the module docstring)."""
        if step is Step.RESUME:
            return self._suspend_savepoint(repos, job)
        if step in _FROM_LATEST:
            return self._latest_own_state(repos, job)
        kind = job.restore.kind
        if kind is RestoreKind.NONE:
            return None
        if kind is RestoreKind.FROM_SAVEPOINT:
            savepoint = repos.read_savepoint(savepoint_id=job.restore.savepoint_id or "")
            if savepoint is None or not savepoint.location:
                return Failure(
                    f"savepoint {job.restore.savepoint_id} no longer exists",
                    "SavepointNotFound",
                    self._ctx.clock(),
                )
            return savepoint.location
        latest = repos.read_latest_savepoint(
            deployment_id=job.deployment_id,
            include_checkpoints=kind is RestoreKind.LATEST_STATE,
        )
        return latest.location if latest is not None else None

    @staticmethod
    def _latest_own_state(repos: Repositories, job: Job) -> str | None:
        """The job's own newest state (its savepoints and retained checkpoints), so no
        progress is lost; else what the current attempt started from."""
        latest = repos.read_latest_savepoint(
            deployment_id=job.deployment_id, include_checkpoints=True
        )
        if latest is not None and latest.job_id == job.id and latest.location:
            return latest.location
        return job.restored_from

    def _suspend_savepoint(self, repos: Repositories, job: Job) -> str | Failure | None:
        """Exactly the savepoint the suspend took; a job suspended while its cluster had
        lost it (no savepoint taken) continues from its newest state instead."""
        if job.stop_savepoint_id is None:
            return self._latest_own_state(repos, job)
        savepoint = repos.read_savepoint(savepoint_id=job.stop_savepoint_id)
        if savepoint is None or savepoint.state is not SavepointState.COMPLETED:
            return Failure(
                f"cannot resume job {job.id}: its suspend savepoint {job.stop_savepoint_id} "
                "no longer exists",
                "SavepointNotFound",
                self._ctx.clock(),
            )
        return savepoint.location

    def _find_newest_checkpoint(self, job: Job) -> None:
        """The lost job may have completed checkpoints after the last one we observed
        (and Flink deletes old ones): prefer the newest found in storage."""
        directory = job.flink_conf.get("execution.checkpointing.dir")
        if not isinstance(directory, str) or job.flink_job_id is None:
            return
        newest = self._ctx.engine.newest_checkpoint(directory, job.flink_job_id)
        if newest is not None:
            job.observed.latest_checkpoint = newest

    # ------------------------------------------------------------------ cancel

    def cancel(self, act: Act) -> None:
        """``Step.CANCEL``: a stop without savepoint."""
        job, flink = act.job, act.flink
        if job.status is not JobStatus.CANCELLING:
            job.move_to(JobStatus.CANCELLING)
            self._ctx.save(job, EventName.JOB_STOPPING, "cancelling (no savepoint)")
        flink.cancel(job.flink_job_id or "")

    # ------------------------------------------------------------------ conclude

    def conclude(self, act: Act) -> None:
        """``Step.CONCLUDE``: the run ended; record the job's terminal or SUSPENDED status."""
        job, flink, decision = act.job, act.flink, act.decision
        # A suspended job's old run may still be listed; it was concluded already.
        row = None if job.status is JobStatus.SUSPENDED else act.row
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
            self._observer.apply(job, row, details)
        if status is JobStatus.FAILED:
            self._fail(job, decision.reason, decision.failure_reason, details)
        job.move_to(status)
        if status is not JobStatus.SUSPENDED:
            job.end_time = (ms_to_dt(row.end_time_ms) if row else None) or self._ctx.clock()
        name = {
            JobStatus.FAILED: EventName.JOB_FAILED,
            JobStatus.FINISHED: EventName.JOB_FINISHED,
            JobStatus.SUSPENDED: EventName.JOB_SUSPENDED,
        }.get(status, EventName.JOB_CANCELLED)
        message = decision.reason
        if status is JobStatus.FAILED and job.failure is not None:
            message = (
                job.failure.message
                if decision.failure_reason
                else f"{decision.reason}: {job.failure.message}"
            )
        with self._ctx.store.transaction() as repos:
            # Flink discards a job's checkpoints when the job FINISHES (a stop with
            # savepoint ends that way): only a cancelled or failed job leaves one behind.
            if status is not JobStatus.FINISHED and (
                row is None or row.state is not ObservedState.FINISHED
            ):
                retain_checkpoint(self._ctx, repos, job)
            if status is JobStatus.SUSPENDED:
                message = self._suspended_message(repos, job, decision.reason)
            job.modified_at = self._ctx.clock()
            repos.update_job(job=job)
            record_event(repos, job, name, message, now=job.modified_at)
        self._observer.forget(job.id)
        if status is JobStatus.SUSPENDED:
            return  # not ended: resumed later
        for hook in self._on_job_ended:
            try:
                hook(job)
            except Exception:  # a hook (log archiving) must never undo the conclusion
                _log.exception("after-job hook failed for job %s", job.id)

    def _fail(
        self, job: Job, reason: str, failure_reason: str | None, details: JobDetails | None
    ) -> None:
        root = self._ctx.redact(job, details.root_failure if details else None) or job.failure
        now = self._ctx.clock()
        if failure_reason is not None:  # e.g. the restart policy gave up
            cause = f"; the last run failed with: {root.message}" if root else ""
            job.failure = Failure(f"{reason}{cause}", failure_reason, now)
        elif job.failure is None:
            job.failure = root or Failure(reason, "JobFailed", now)

    @staticmethod
    def _suspended_message(repos: Repositories, job: Job, reason: str) -> str:
        savepoint = (
            repos.read_savepoint(savepoint_id=job.stop_savepoint_id)
            if job.stop_savepoint_id
            else None
        )
        if savepoint is not None and savepoint.location:
            return f"suspended ({reason}); resume restores from {savepoint.location}"
        job.stop_savepoint_id = None  # nothing to resume from but the newest state
        return f"suspended ({reason}) without a savepoint; resume restores the newest state"

    def _recently(self, moment_ms: int | None, seconds: float = 10.0) -> bool:
        if moment_ms is None or moment_ms <= 0:
            return False
        return self._ctx.clock().timestamp() - moment_ms / 1000 < seconds
