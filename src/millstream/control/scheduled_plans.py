"""``ScheduledPlanRunner``: the leader's periodic task that applies scheduled plans.

Each round, per applied plan: decide (``domain.scheduled_plans.due_change``: the newest
boundary in ``(handled_until, now]``), then act — write the change's resources (and Flink
configuration entries) to the deployment, and when its job runs, hot-update it (stop
with a savepoint, restart with the new parallelism and configuration) — and record the
execution. ``handled_until`` moves to ``now`` in the same transaction as the record, so a
boundary is applied once: a control plane that was down over boundaries catches up with
the newest one at its next round, and only once. The app factory lists ``run_iteration``
in the ``ReconcilerDaemon``'s periodic tasks (``leader_tasks.py``).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.context import Actor, Scope
from millstream.control.ports import Store
from millstream.control.scheduled_plan_ports import ScheduledPlanStore
from millstream.control.services.deployments import DeploymentPatch, DeploymentService
from millstream.control.services.hot_updates import HotUpdateService
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.errors import ErrorCode, MillstreamError, Unavailable
from millstream.domain.hot_updates import HotUpdateChange
from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.scheduled_plans import (
    ExecutionState,
    PlanExecution,
    RestartType,
    ScheduledChange,
    ScheduledPlan,
    due_change,
)

__all__ = ["SCHEDULED_PLAN", "ScheduledPlanRunner"]

_log = logging.getLogger(__name__)

SCHEDULED_PLAN = Actor(id="scheduled-plan", name="scheduled plan")
_KEEP_HISTORY = 200


class ScheduledPlanRunner:
    def __init__(
        self,
        plans: ScheduledPlanStore,
        store: Store,
        deployments: DeploymentService,
        hot_updates: HotUpdateService,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._plans = plans
        self._store = store
        self._deployments = deployments
        self._hot_updates = hot_updates
        self._clock = clock

    def run_iteration(self) -> int:
        """One round over every applied plan; how many changes were applied."""
        with self._plans.transaction() as repos:
            applied = repos.read_applied_scheduled_plans()
        done = 0
        for plan in applied:
            try:
                done += self._round(plan)
            except Unavailable as exc:  # the store or Flink blinked: the next round retries
                _log.debug("scheduled plan %s waits: %s", plan.id, exc)
            except Exception:  # one plan's failure never stops the others
                _log.exception("scheduled plan %s round failed", plan.id)
        return done

    def _round(self, plan: ScheduledPlan) -> int:
        now = self._clock()
        since = plan.handled_until or plan.applied_at or now
        due = due_change(plan.changes, since, now)
        if due is None:
            return 0
        index, boundary = due
        with self._plans.transaction() as repos:
            current = repos.read_scheduled_plan(plan_id=plan.id)
            if (
                current is None
                or not current.applied
                or current.handled_until != plan.handled_until
            ):
                return 0  # stopped, deleted or handled meanwhile
            # Claim the boundary first: a crash after this point does not apply it twice.
            repos.write_scheduled_plan(plan=dataclasses.replace(current, handled_until=now))
        try:
            execution = self._apply(plan, plan.changes[index], boundary, now)
        except Exception as exc:  # the boundary is claimed: record why it was not applied
            _log.exception("scheduled plan %s could not apply change %d", plan.id, index + 1)
            execution = self._failed(plan, boundary, now, f"the change was not applied: {exc}")
        with self._plans.transaction() as repos:
            repos.create_plan_execution(execution=execution)
            repos.prune_plan_executions(deployment_id=plan.deployment_id, keep=_KEEP_HISTORY)
        _log.info(
            "scheduled plan %s applied change %d (boundary %s): %s",
            plan.name,
            index + 1,
            boundary.isoformat(),
            execution.message,
        )
        return 1

    @staticmethod
    def _failed(
        plan: ScheduledPlan, boundary: datetime, now: datetime, message: str
    ) -> PlanExecution:
        return PlanExecution(
            id=str(uuid.uuid4()),
            workspace=plan.workspace,
            namespace=plan.namespace,
            deployment_id=plan.deployment_id,
            plan_id=plan.id,
            plan_name=plan.name,
            boundary_at=boundary,
            restart_type=RestartType.NO_RESTART,
            state=ExecutionState.FAILED,
            created_at=now,
            message=message,
        )

    def _apply(
        self, plan: ScheduledPlan, change: ScheduledChange, boundary: datetime, now: datetime
    ) -> PlanExecution:
        scope = Scope(plan.workspace, plan.namespace)
        record = PlanExecution(
            id=str(uuid.uuid4()),
            workspace=plan.workspace,
            namespace=plan.namespace,
            deployment_id=plan.deployment_id,
            plan_id=plan.id,
            plan_name=plan.name,
            boundary_at=boundary,
            restart_type=RestartType.NO_RESTART,
            state=ExecutionState.FINISHED,
            created_at=now,
        )
        try:
            deployment = self._deployments.get(scope, plan.deployment_id)
            conf = dict(deployment.flink_conf)
            for key, value in change.flink_conf.items():
                if value is None:
                    conf.pop(key, None)
                else:
                    conf[key] = value
            batch = deployment.execution_mode is ExecutionMode.BATCH
            self._deployments.update(
                scope,
                SCHEDULED_PLAN,
                deployment.id,
                DeploymentPatch(
                    flink_conf=conf,
                    streaming_resource=None if batch else change.resources,
                    batch_resource=change.resources if batch else None,
                ),
            )
        except MillstreamError as exc:
            return dataclasses.replace(
                record,
                state=ExecutionState.FAILED,
                message=f"the deployment could not take the new resources: {exc}",
            )
        job = self._running_job(plan.deployment_id)
        if job is None:
            return dataclasses.replace(
                record, message="no running job: the new resources apply at its next start"
            )
        record = dataclasses.replace(record, job_id=job)
        try:
            hot_update = self._hot_updates.request(
                scope,
                SCHEDULED_PLAN,
                job,
                HotUpdateChange(parallelism=change.resources.effective_parallelism()),
                request_id=record.id,
            )
        except MillstreamError as exc:
            if exc.code is ErrorCode.HOT_UPDATE_NO_CHANGE:
                return dataclasses.replace(
                    record,
                    message="the running job already has this parallelism and configuration; "
                    "other resource changes apply at its next start",
                )
            return dataclasses.replace(
                record, state=ExecutionState.FAILED, message=f"the hot update was refused: {exc}"
            )
        return dataclasses.replace(
            record,
            restart_type=RestartType.HOT_UPDATE,
            state=ExecutionState.EXECUTING,
            hot_update_id=hot_update.id,
            message=f"hot update {hot_update.id}: stop with a savepoint, restart with "
            f"parallelism {change.resources.effective_parallelism()}",
        )

    def _running_job(self, deployment_id: str) -> str | None:
        with self._store.transaction() as repos:
            live = repos.read_active_jobs(deployment_id=deployment_id)
        for job in live:
            if job.status is JobStatus.RUNNING and job.desired is DesiredState.RUNNING:
                return job.id
        return None
