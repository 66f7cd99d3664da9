"""The autoscaler: a periodic leader task that plans, records and applies a parallelism
for every running job whose deployment has autoscaling enabled.

The reconciler daemon calls ``Autoscaler.run_iteration()`` every ``autoscaler.interval``
seconds (``leader_tasks.py``). For each enabled deployment whose job is RUNNING, has run for
``stabilization`` seconds and has no hot update in flight, one round:

1. observe: the vertices' busy and backpressured time from Flink (``VertexLoadReader``);
2. decide: ``domain.autoscale.plan_parallelism`` with the deployment's settings;
3. act, when the plan changes the parallelism, the settings are not recommend-only and
   the cool-down has passed since the last applied plan and since the job started: a
   hot update to the proposed parallelism (``HotUpdateService.request``, which writes the
   deployment's new parallelism; the hot update coordinator then stops the job with a
   savepoint and starts it again from that savepoint);
4. record the plan with its inputs and outcome, and keep the newest ``keep_plans``.

Like every leader task it only writes desired state; a crash between 3 and 4 leaves a hot
update without its plan row, and the next round waits for the hot update, then for the
cool-down measured from the new job's start.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from millstream.control.autoscale_ports import AutoscaleStore, StoredAutoscaleConfig
from millstream.control.context import Actor, Scope
from millstream.control.ports import Store
from millstream.control.services.hot_updates import HotUpdateStore
from millstream.domain.autoscale import (
    AutoscalePlan,
    PlanOutcome,
    ScalingAction,
    ScalingDecision,
    VertexLoad,
    plan_parallelism,
)
from millstream.domain.errors import MillstreamError, Unavailable
from millstream.domain.hot_updates import HotUpdate, HotUpdateChange
from millstream.domain.jobs import DesiredState, Job, JobStatus

__all__ = ["AUTOSCALER", "Autoscaler", "HotUpdateRequester", "VertexLoadReader"]

_log = logging.getLogger(__name__)

AUTOSCALER = Actor(id="autoscaler", name="autoscaler")
PLAN_NAME_FORMAT = "%Y-%m-%d %H:%M:%S"


class VertexLoadReader(Protocol):
    """``control.vertex_loads.FlinkVertexLoads``; a fake in unit tests."""

    def loads(self, job: Job) -> list[VertexLoad]: ...


class HotUpdateRequester(Protocol):
    """``HotUpdateService``: the hot-update path the autoscaler applies a plan through."""

    def request(
        self,
        scope: Scope,
        actor: Actor,
        job_id: str,
        change: HotUpdateChange | None = None,
        *,
        request_id: str | None = None,
    ) -> HotUpdate: ...


class Autoscaler:
    def __init__(
        self,
        autoscale: AutoscaleStore,
        store: Store,
        hot_update_store: HotUpdateStore,
        hot_updates: HotUpdateRequester,
        loads: VertexLoadReader,
        *,
        stabilization: float = 60.0,
        keep_plans: int = 1000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._autoscale = autoscale
        self._store = store
        self._hot_update_store = hot_update_store
        self._hot_updates = hot_updates
        self._loads = loads
        self._stabilization = stabilization
        self._keep_plans = keep_plans
        self._clock = clock

    def run_iteration(self) -> int:
        """One planning round over every enabled deployment; how many plans were recorded."""
        with self._autoscale.transaction() as repos:
            enabled = repos.read_enabled_autoscale_configs()
        recorded = 0
        for stored in enabled:
            try:
                plan = self._round(stored)
            except Unavailable as exc:  # Flink or the store blinked: the next round retries
                _log.info("autoscaling of deployment %s waits: %s", stored.deployment_id, exc)
                continue
            except MillstreamError as exc:  # e.g. the job ended while it was measured
                _log.warning("autoscaling of deployment %s skipped: %s", stored.deployment_id, exc)
                continue
            if plan is not None:
                recorded += 1
        return recorded

    def _round(self, stored: StoredAutoscaleConfig) -> AutoscalePlan | None:
        job = self._measurable_job(stored.deployment_id)
        if job is None:
            return None
        loads = self._loads.loads(job)
        config = stored.config
        decision = plan_parallelism(config, loads, job.resources.parallelism)
        now = self._clock()
        plan_id = str(uuid.uuid4())
        outcome, message, hot_update_id = self._act(stored, job, decision, plan_id, now)
        plan = AutoscalePlan(
            id=plan_id,
            workspace=job.workspace,
            namespace=job.namespace,
            deployment_id=stored.deployment_id,
            job_id=job.id,
            name=now.strftime(PLAN_NAME_FORMAT),
            created_at=now,
            decision=decision,
            inputs=tuple(loads),
            config=config,
            outcome=outcome,
            message=message,
            hot_update_id=hot_update_id,
        )
        with self._autoscale.transaction() as repos:
            repos.create_autoscale_plan(plan=plan)
            repos.delete_autoscale_plans(deployment_id=stored.deployment_id, keep=self._keep_plans)
        if outcome is not PlanOutcome.KEPT:
            _log.info(
                "autoscaling plan %s of job %s: %s -> %s (%s): %s",
                plan.name,
                job.id,
                decision.current_parallelism,
                decision.proposed_parallelism,
                outcome.value,
                message or decision.reason,
            )
        return plan

    def _measurable_job(self, deployment_id: str) -> Job | None:
        """The deployment's RUNNING job, once stable and with no hot update in flight."""
        with self._store.transaction() as repos:
            live = repos.read_active_jobs(deployment_id=deployment_id)
        running = [
            job
            for job in live
            if job.status is JobStatus.RUNNING and job.desired is DesiredState.RUNNING
        ]
        if not running:
            return None
        job = running[0]
        if job.start_time is None or self._since(job.start_time) < self._stabilization:
            return None
        with self._hot_update_store.transaction() as repos:
            if repos.read_active_hot_updates(job_id=job.id):
                return None
        return job

    def _act(
        self,
        stored: StoredAutoscaleConfig,
        job: Job,
        decision: ScalingDecision,
        plan_id: str,
        now: datetime,
    ) -> tuple[PlanOutcome, str | None, str | None]:
        """What becomes of the plan: (outcome, message, hot update id)."""
        config = stored.config
        if decision.action is ScalingAction.KEEP:
            return PlanOutcome.KEPT, None, None
        if config.recommend_only:
            return PlanOutcome.RECOMMENDED, "recommend-only: not applied", None
        wait = config.cool_down_seconds - self._since_last_change(stored.deployment_id, job, now)
        if wait > 0:
            return PlanOutcome.COOLING_DOWN, f"cool-down: {wait:.0f} s before the next change", None
        try:
            hot_update = self._hot_updates.request(
                Scope(job.workspace, job.namespace),
                AUTOSCALER,
                job.id,
                HotUpdateChange(parallelism=decision.proposed_parallelism),
                request_id=plan_id,
            )
        except Unavailable:  # temporary: no plan recorded, the next round retries
            raise
        except MillstreamError as exc:
            return PlanOutcome.FAILED, f"the parallelism change was refused: {exc}", None
        return (
            PlanOutcome.APPLIED,
            f"hot update {hot_update.id}: stop with a savepoint, restart with parallelism "
            f"{decision.proposed_parallelism}",
            hot_update.id,
        )

    def _since_last_change(self, deployment_id: str, job: Job, now: datetime) -> float:
        """Seconds since the job started or the last applied plan, whichever is later."""
        with self._autoscale.transaction() as repos:
            applied = repos.read_autoscale_plans(
                deployment_id=deployment_id, outcome=PlanOutcome.APPLIED, limit=1
            )
        moments = [m for m in (job.start_time, applied[0].created_at if applied else None) if m]
        if not moments:
            return float("inf")
        return (now - max(moments)).total_seconds()

    def _since(self, moment: datetime) -> float:
        return (self._clock() - moment).total_seconds()
