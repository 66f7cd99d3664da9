"""``HealthChecker``: the leader's periodic task that judges every deployment with a health
policy (``domain.health``), records its health, restarts unhealthy jobs and rolls new
specs back to the last stable one.

Each round, per policy: observe the deployment's newest job (the reconciler keeps its
Flink state and restart count; completed checkpoints and the sources' records are read
from Flink now, only when the policy checks them); decide with ``domain.health.step``;
store the status and record an event for what changed (unhealthy with the reason,
healthy again, spec stable); act through ``control.health_actions`` (a restart or a
rollback takes two rounds: stop, then start). The status is stored, so a restarted
control plane carries on: counters, the last stable spec and an action under way. The
app factory lists ``start_round`` in the ``ReconcilerDaemon``'s periodic tasks; a round
runs in a thread of its own (Flink may be slow) and a round still running makes the next
one skip.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.background import BackgroundRounds
from millstream.control.context import Scope
from millstream.control.health_actions import HealthActions
from millstream.control.health_ports import HealthStore
from millstream.control.metric_catalog import SOURCES, FlinkMetricReader, SampledMetric
from millstream.control.ports import Page, Store
from millstream.control.services.common import record_event, resolve_cluster
from millstream.domain.deployments import Deployment
from millstream.domain.errors import MillstreamError
from millstream.domain.events import EventName
from millstream.domain.health import (
    Action,
    HealthPolicy,
    HealthSample,
    HealthStatus,
    Step,
    step,
)
from millstream.domain.jobs import Job, JobStatus

__all__ = ["COMPLETED_CHECKPOINTS", "SOURCE_RECORDS", "HealthChecker"]

_log = logging.getLogger(__name__)

COMPLETED_CHECKPOINTS = SampledMetric("numberOfCompletedCheckpoints")
# Records the sources emitted (FLIP-27 sources and chained ones count here).
SOURCE_RECORDS = SampledMetric("numRecordsOut", SOURCES, "sum")


class HealthChecker:
    def __init__(
        self,
        health: HealthStore,
        store: Store,
        actions: HealthActions,
        reader: FlinkMetricReader | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._health = health
        self._store = store
        self._actions = actions
        self._reader = reader
        self._clock = clock
        self._rounds = BackgroundRounds("health", self.run_iteration)

    def start_round(self) -> bool:
        """Run ``run_iteration`` in the background unless a round still runs."""
        return self._rounds.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background round, if any, to end (tests, shutdown)."""
        self._rounds.wait(timeout)

    def run_iteration(self) -> None:
        """One check of every policy's deployment; one failure spares the rest."""
        with self._health.transaction() as repos:
            policies = repos.read_health_policies()
        for policy in policies:
            try:
                self.check(policy)
            except MillstreamError as exc:
                _log.warning("health check of %s: %s", policy.deployment_id, exc)

    def check(self, policy: HealthPolicy) -> HealthStatus | None:
        """Observe, decide, record and act for one deployment; its new status."""
        with self._store.transaction() as repos:
            deployment = repos.read_deployment(
                workspace=policy.workspace,
                namespace=policy.namespace,
                deployment_id=policy.deployment_id,
            )
            jobs, _ = repos.read_jobs(
                workspace=policy.workspace,
                namespace=policy.namespace,
                deployment_id=policy.deployment_id,
                page=Page(offset=0, limit=1),
            )
        if deployment is None:
            return None
        job = jobs[0] if jobs else None
        with self._health.transaction() as repos:
            previous = repos.read_health_status(deployment_id=deployment.id)
        previous = previous or HealthStatus(
            deployment.id, deployment.workspace, deployment.namespace
        )
        if previous.pending_action is not None:
            return self._carry_on(previous)
        version = previous.job_version if job is not None and job.id == previous.job_id else None
        sample = self._sample(policy, job, version or deployment.version)
        result = step(policy, previous, sample, self._clock())
        status = result.status
        if result.action is not Action.NONE and job is not None:
            status = dataclasses.replace(
                status, pending_action=result.action, pending_job_id=job.id
            )
        self._save(status)
        self._announce(deployment, job, result)
        if result.action is not Action.NONE and job is not None:
            self._actions.begin(job)
            return self._carry_on(status)
        return status

    def _sample(self, policy: HealthPolicy, job: Job | None, version: int) -> HealthSample:
        wanted = []
        if policy.checkpoint_stall_seconds is not None:
            wanted.append(COMPLETED_CHECKPOINTS)
        if policy.source_idle_seconds is not None:
            wanted.append(SOURCE_RECORDS)
        values: dict[str, float] = {}
        if (
            wanted
            and job is not None
            and job.status is JobStatus.RUNNING
            and job.flink_job_id
            and self._reader is not None
        ):
            try:
                with self._store.transaction() as repos:
                    cluster = resolve_cluster(
                        repos, Scope(job.workspace, job.namespace), job.cluster
                    )
                values = self._reader.read(cluster, job.flink_job_id, wanted)
            except MillstreamError as exc:  # Flink unreachable: no values this round
                _log.info("health metrics of job %s: %s", job.id, exc)
        return HealthSample(
            job=job,
            spec_version=version,
            completed_checkpoints=values.get(COMPLETED_CHECKPOINTS.name),
            source_records=values.get(SOURCE_RECORDS.name),
        )

    def _carry_on(self, status: HealthStatus) -> HealthStatus:
        """A restart or rollback under way: once its job has ended, start the next one."""
        action = status.pending_action
        with self._store.transaction() as repos:
            job = repos.read_job(job_id=status.pending_job_id or "")
        if action is None or job is None:
            return self._done(status)
        if not job.is_terminal:
            self._actions.begin(job)  # again, in case the first request was lost
            return status
        try:
            started, message = self._actions.finish(action, status, job)
        except MillstreamError as exc:
            what = "roll back" if action is Action.ROLLBACK else "restart"
            self._event(job, _EVENT[action], f"could not {what} the deployment: {exc.message}")
            return self._done(status)
        reason = f" because {status.message}" if status.message else ""
        self._event(started, _EVENT[action], f"{message}{reason}")
        return self._done(status)

    def _done(self, status: HealthStatus) -> HealthStatus:
        done = dataclasses.replace(status, pending_action=None, last_action_at=self._clock())
        self._save(done)
        return done

    def _save(self, status: HealthStatus) -> None:
        with self._health.transaction() as repos:
            current = repos.read_health_status(deployment_id=status.deployment_id)
            policy = repos.read_health_policy(deployment_id=status.deployment_id)
            if policy is not None or current is not None:
                repos.write_health_status(status=status)

    def _announce(self, deployment: Deployment, job: Job | None, result: Step) -> None:
        status = result.status
        subject: Deployment | Job = job if job is not None else deployment
        if result.became_unhealthy:
            reason = status.reason.value if status.reason is not None else "UNHEALTHY"
            self._event(subject, EventName.JOB_UNHEALTHY, f"unhealthy ({reason}): {status.message}")
        if result.became_healthy:
            self._event(subject, EventName.JOB_HEALTHY, "healthy again")
        if result.became_stable:
            version = (
                f" (deployment version {status.stable_version})" if status.stable_version else ""
            )
            self._event(
                subject,
                EventName.SPEC_STABLE,
                f"the spec of job {status.stable_job_id}{version} is the last stable spec",
            )

    def _event(self, subject: Deployment | Job, name: EventName, message: str) -> None:
        with self._store.transaction() as repos:
            record_event(repos, subject, name, message, now=self._clock())


_EVENT = {
    Action.RESTART: EventName.HEALTH_RESTART,
    Action.ROLLBACK: EventName.DEPLOYMENT_ROLLED_BACK,
}
