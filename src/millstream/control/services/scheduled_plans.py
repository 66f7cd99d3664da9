"""Scheduled plan use cases: create, update, delete, list, apply, stop applying, the applied
plan of a deployment and its executed history.

A plan belongs to one deployment; at most one plan per deployment is applied at a time.
Applying only marks the plan (``handled_until`` = now: boundaries after that moment
count); ``control.scheduled_plans.ScheduledPlanRunner`` on the leader applies each
boundary through the hot-update path. Nothing here talks to Flink.
"""

from __future__ import annotations

import builtins
import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.context import Actor, Scope
from millstream.control.scheduled_plan_ports import ScheduledPlanRepositories, ScheduledPlanStore
from millstream.control.services.deployments import DeploymentService
from millstream.control.services.hot_updates import HotUpdateStore
from millstream.domain.errors import Conflict, NotFound
from millstream.domain.hot_updates import HotUpdatePhase
from millstream.domain.scheduled_plans import (
    ExecutionState,
    PlanExecution,
    ScheduledChange,
    ScheduledPlan,
)

__all__ = ["ScheduledPlanService"]

# Executed history kept per deployment.
HISTORY_LIMIT = 200

_PHASE_STATE = {
    HotUpdatePhase.DONE: ExecutionState.FINISHED,
    HotUpdatePhase.FAILED: ExecutionState.FAILED,
}


class ScheduledPlanService:
    def __init__(
        self,
        store: ScheduledPlanStore,
        deployments: DeploymentService,
        hot_updates: HotUpdateStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._deployments = deployments
        self._hot_updates = hot_updates
        self._clock = clock

    def create(
        self,
        scope: Scope,
        actor: Actor,
        *,
        deployment_id: str,
        name: str,
        changes: tuple[ScheduledChange, ...],
    ) -> ScheduledPlan:
        self._deployments.get(scope, deployment_id)  # NotFound for an unknown deployment
        now = self._clock()
        plan = ScheduledPlan(
            id=str(uuid.uuid4()),
            workspace=scope.workspace,
            namespace=scope.namespace,
            deployment_id=deployment_id,
            name=name.strip(),
            changes=changes,
            creator=actor.id,
            modifier=actor.id,
            created_at=now,
            modified_at=now,
        )
        plan.validate()
        with self._store.transaction() as repos:
            self._unique_name(repos, scope, plan)
            repos.write_scheduled_plan(plan=plan)
        return plan

    def update(
        self,
        scope: Scope,
        actor: Actor,
        plan_id: str,
        *,
        name: str | None = None,
        changes: tuple[ScheduledChange, ...] | None = None,
    ) -> ScheduledPlan:
        with self._store.transaction() as repos:
            current = self._read(repos, scope, plan_id)
            now = self._clock()
            plan = dataclasses.replace(
                current,
                name=current.name if name is None else name.strip(),
                changes=current.changes if changes is None else changes,
                modifier=actor.id,
                modified_at=now,
                # New changes of an applied plan count from now: none fires retroactively.
                handled_until=now
                if current.applied and changes is not None
                else current.handled_until,
            )
            plan.validate()
            self._unique_name(repos, scope, plan)
            repos.write_scheduled_plan(plan=plan)
        return plan

    def delete(self, scope: Scope, plan_id: str) -> ScheduledPlan:
        with self._store.transaction() as repos:
            plan = self._read(repos, scope, plan_id)
            repos.delete_scheduled_plan(plan_id=plan.id)
        return plan

    def get(self, scope: Scope, plan_id: str) -> ScheduledPlan:
        with self._store.transaction() as repos:
            return self._read(repos, scope, plan_id)

    def list(self, scope: Scope, deployment_id: str | None = None) -> builtins.list[ScheduledPlan]:
        if deployment_id is not None:
            self._deployments.get(scope, deployment_id)
        with self._store.transaction() as repos:
            return repos.read_scheduled_plans(
                workspace=scope.workspace, namespace=scope.namespace, deployment_id=deployment_id
            )

    def apply(self, scope: Scope, actor: Actor, plan_id: str) -> ScheduledPlan:
        """Start following the plan: its boundaries after now are applied."""
        now = self._clock()
        with self._store.transaction() as repos:
            plan = self._read(repos, scope, plan_id)
            if plan.applied:
                return plan
            others = [
                p
                for p in repos.read_scheduled_plans(
                    workspace=scope.workspace,
                    namespace=scope.namespace,
                    deployment_id=plan.deployment_id,
                )
                if p.applied and p.id != plan.id
            ]
            if others:
                raise Conflict(
                    f"deployment {plan.deployment_id} already follows scheduled plan "
                    f"{others[0].name!r}; stop applying it first"
                )
            plan = dataclasses.replace(
                plan,
                applied=True,
                applied_at=now,
                handled_until=now,
                modifier=actor.id,
                modified_at=now,
            )
            repos.write_scheduled_plan(plan=plan)
        return plan

    def stop_apply(self, scope: Scope, actor: Actor, plan_id: str) -> ScheduledPlan:
        now = self._clock()
        with self._store.transaction() as repos:
            plan = self._read(repos, scope, plan_id)
            if not plan.applied:
                return plan
            plan = dataclasses.replace(plan, applied=False, modifier=actor.id, modified_at=now)
            repos.write_scheduled_plan(plan=plan)
        return plan

    def applied(self, scope: Scope, deployment_id: str) -> ScheduledPlan | None:
        """The plan the deployment follows, if any."""
        self._deployments.get(scope, deployment_id)
        with self._store.transaction() as repos:
            plans = repos.read_scheduled_plans(
                workspace=scope.workspace, namespace=scope.namespace, deployment_id=deployment_id
            )
        return next((p for p in plans if p.applied), None)

    def history(self, scope: Scope, deployment_id: str) -> builtins.list[PlanExecution]:
        """Applied changes, newest first, with the state of their hot update now."""
        self._deployments.get(scope, deployment_id)
        with self._store.transaction() as repos:
            found = repos.read_plan_executions(deployment_id=deployment_id, limit=HISTORY_LIMIT)
        return [self._current(e) for e in found]

    def _current(self, execution: PlanExecution) -> PlanExecution:
        if execution.state is not ExecutionState.EXECUTING or execution.hot_update_id is None:
            return execution
        with self._hot_updates.transaction() as repos:
            hot_update = repos.read_hot_update(hot_update_id=execution.hot_update_id)
        if hot_update is None:
            return execution
        state = _PHASE_STATE.get(hot_update.phase, ExecutionState.EXECUTING)
        if state is ExecutionState.EXECUTING:
            return execution
        message = execution.message
        if state is ExecutionState.FAILED and hot_update.failure:
            message = f"{message or ''} failed: {hot_update.failure.message}".strip()
        updated = dataclasses.replace(execution, state=state, message=message)
        with self._store.transaction() as repos:
            repos.update_plan_execution(execution=updated)
        return updated

    @staticmethod
    def _read(repos: ScheduledPlanRepositories, scope: Scope, plan_id: str) -> ScheduledPlan:
        found = repos.read_scheduled_plan(plan_id=plan_id)
        if found is None or (found.workspace, found.namespace) != (
            scope.workspace,
            scope.namespace,
        ):
            raise NotFound(f"scheduled plan {plan_id!r} not found in namespace {scope.namespace!r}")
        return found

    @staticmethod
    def _unique_name(repos: ScheduledPlanRepositories, scope: Scope, plan: ScheduledPlan) -> None:
        same = repos.read_scheduled_plan_by_name(
            workspace=scope.workspace, namespace=scope.namespace, name=plan.name
        )
        if same is not None and same.id != plan.id:
            raise Conflict(
                f"a scheduled plan named {plan.name!r} already exists in namespace "
                f"{scope.namespace!r}; choose another name"
            )
