"""What the health checker does about an unhealthy job: restart it from its latest state,
or roll its deployment back to the last stable spec and the state the upgrade started
from. Used by ``control.health_checks.HealthChecker``.

Both are two steps over rounds, so neither waits for Flink: ``begin`` asks the job to
stop (a plain cancel: an unhealthy job may not be able to take a savepoint) and returns;
``finish`` runs once the job has ended, and starts the next job (for a rollback, after
writing the stable job's spec onto the deployment, keeping the replaced spec as a
``SpecRevision`` so the drafts' rollback can put it back). Only desired state is written,
through ``JobService`` and ``DeploymentService``; the reconciler acts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.context import SYSTEM, Scope
from millstream.control.draft_ports import DraftStore
from millstream.control.ports import Page, Repositories, Store
from millstream.control.services.deployments import DeploymentPatch, DeploymentService
from millstream.control.services.draft_specs import spec_of
from millstream.control.services.jobs import JobService
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.deployments import Deployment
from millstream.domain.drafts import SpecRevision
from millstream.domain.errors import InvalidTransition, MillstreamError
from millstream.domain.health import Action, HealthStatus
from millstream.domain.jobs import DesiredState, Job, RestoreKind, RestoreStrategy, StopStrategy

__all__ = ["HealthActions", "Outcome"]

Outcome = tuple[Job, str]  # the job started and what happened
# Savepoints read to find the one a failed upgrade restored.
_HISTORY_LIMIT = 10_000


class HealthActions:
    def __init__(
        self,
        store: Store,
        jobs: JobService,
        deployments: DeploymentService,
        *,
        revisions: DraftStore | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._jobs = jobs
        self._deployments = deployments
        self._revisions = revisions
        self._clock = clock

    def begin(self, job: Job) -> None:
        """Ask the job to stop unless it has ended or is being stopped already."""
        if job.is_terminal or job.desired is not DesiredState.RUNNING:
            return
        scope = Scope(job.workspace, job.namespace)
        with contextlib.suppress(InvalidTransition):  # ended or stopped meanwhile
            self._jobs.stop(scope, SYSTEM, job.id, StopStrategy.NONE)

    def finish(self, action: Action, status: HealthStatus, job: Job) -> Outcome:
        """Start what follows the ended ``job``; ``MillstreamError`` when it cannot."""
        scope = Scope(job.workspace, job.namespace)
        if action is Action.RESTART:
            started = self._jobs.start(
                scope,
                SYSTEM,
                job.deployment_id,
                restore=RestoreStrategy(
                    kind=RestoreKind.LATEST_STATE,
                    allow_non_restored_state=job.restore.allow_non_restored_state,
                ),
            )
            return started, f"restarted from the latest state as job {started.id}"
        return self._rollback(scope, status, job)

    def _rollback(self, scope: Scope, status: HealthStatus, job: Job) -> Outcome:
        with self._store.transaction() as repos:
            stable = repos.read_job(job_id=status.stable_job_id or "")
            restore = _restore_of(repos, job)
        if stable is None:
            raise MillstreamError(
                f"the job {status.stable_job_id} that ran the last stable spec no longer "
                "exists; nothing to roll back to"
            )
        current = self._deployments.get(scope, job.deployment_id)
        self._keep(current)
        patch = DeploymentPatch(
            artifact=stable.artifact,
            execution_mode=stable.execution_mode,
            engine_version=stable.engine_version,
            flink_conf=dict(stable.user_flink_conf),
            logging=stable.logging,
            local_variables=dict(stable.local_variables),
            expected_version=current.version,
        )
        batch = stable.execution_mode is ExecutionMode.BATCH
        patch = dataclasses.replace(
            patch,
            batch_resource=stable.resources if batch else None,
            streaming_resource=None if batch else stable.resources,
        )
        self._deployments.update(scope, SYSTEM, job.deployment_id, patch)
        started = self._jobs.start(scope, SYSTEM, job.deployment_id, restore=restore)
        version = f"version {status.stable_version}" if status.stable_version else "the spec"
        state = (
            f"savepoint {restore.savepoint_id}"
            if restore.savepoint_id
            else f"restore {restore.kind.value}"
        )
        return started, f"rolled back to spec {version} of job {stable.id} ({state})"

    def _keep(self, current: Deployment) -> None:
        """The replaced spec, kept as a deploy keeps it (``control.services.drafts``)."""
        if self._revisions is None:
            return
        revision = SpecRevision(
            id=str(uuid.uuid4()),
            workspace=current.workspace,
            namespace=current.namespace,
            deployment_id=current.id,
            spec=spec_of(current),
            created_at=self._clock(),
            creator=SYSTEM.id,
        )
        with self._revisions.transaction() as repos:
            repos.create_revision(revision=revision)


def _restore_of(repos: Repositories, job: Job) -> RestoreStrategy:
    """The state the failed upgrade started from: the savepoint it named or whose location
    it restored, else its own restore kind (it produced no state worth keeping)."""
    allow = job.restore.allow_non_restored_state
    if job.restore.savepoint_id:
        return RestoreStrategy(RestoreKind.FROM_SAVEPOINT, job.restore.savepoint_id, allow)
    if job.restored_from:
        savepoints, _ = repos.read_savepoints(
            workspace=job.workspace,
            namespace=job.namespace,
            page=Page(offset=0, limit=_HISTORY_LIMIT),
            deployment_id=job.deployment_id,
        )
        for savepoint in savepoints:
            if savepoint.location == job.restored_from:
                return RestoreStrategy(RestoreKind.FROM_SAVEPOINT, savepoint.id, allow)
    return RestoreStrategy(job.restore.kind, None, allow)
