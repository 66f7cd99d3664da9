"""Measures what a patrol checks of each running job: ``PatrolEvidence.collect``.

Reads the namespace's deployments, their running jobs and newest savepoints from the
store, Flink's current view of each job (restarts, checkpoint counts, per-vertex
backpressure) through the ``JobInspector`` port, and the sources' output rate over the
idle window from the metric sampler's history (``MetricSampleStore``; without it the
idle-source check has no input). Used by ``control.services.patrol``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from millstream.control.context import Scope
from millstream.control.inspect_ports import FlinkJobSnapshot, JobInspector
from millstream.control.metric_ports import MetricSampleStore
from millstream.control.ports import Page, Store
from millstream.control.services.common import require_namespace, resolve_cluster
from millstream.domain.deployments import Deployment
from millstream.domain.errors import MillstreamError
from millstream.domain.jobs import Job, JobStatus
from millstream.domain.patrol import JobEvidence, PatrolScope, Thresholds

__all__ = ["Collected", "PatrolEvidence"]

# The sampler's name of the sources' summed output rate (control.metric_catalog).
SOURCE_OUTPUT = "sources.numRecordsOutPerSecond.sum"
_MAX_DEPLOYMENTS = 10_000
_MAX_SAMPLES = 1_000


@dataclass(frozen=True, slots=True)
class Collected:
    """The evidence of the running jobs in scope; ``total`` counts the jobs in scope,
    ``inspected`` those Flink answered for."""

    evidence: tuple[JobEvidence, ...]
    total: int
    inspected: int


class PatrolEvidence:
    def __init__(
        self,
        store: Store,
        inspector: JobInspector,
        samples: MetricSampleStore | None = None,
        *,
        max_jobs: int = 200,
    ) -> None:
        self._store = store
        self._inspector = inspector
        self._samples = samples
        self._max_jobs = max_jobs

    def collect(
        self, scope: Scope, patrol_scope: PatrolScope, limits: Thresholds, now: datetime
    ) -> Collected:
        """Evidence of at most ``max_jobs`` running jobs of the deployments in scope."""
        targets = self._targets(scope, patrol_scope)
        evidence: list[JobEvidence] = []
        inspected = 0
        for deployment, job, latest_savepoint in targets[: self._max_jobs]:
            snapshot = self._snapshot(scope, job)
            if snapshot is not None:
                inspected += 1
            evidence.append(
                _evidence(
                    deployment,
                    job,
                    snapshot,
                    latest_savepoint,
                    self._source_output(job, now - timedelta(minutes=limits.idle_minutes), now),
                )
            )
        return Collected(tuple(evidence), total=len(targets), inspected=inspected)

    def _targets(
        self, scope: Scope, patrol_scope: PatrolScope
    ) -> list[tuple[Deployment, Job, datetime | None]]:
        found: list[tuple[Deployment, Job, datetime | None]] = []
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            deployments, _ = repos.read_deployments(
                workspace=scope.workspace,
                namespace=scope.namespace,
                page=Page(offset=0, limit=_MAX_DEPLOYMENTS),
            )
            for deployment in deployments:
                if not patrol_scope.covers(deployment.id, deployment.labels):
                    continue
                for job in repos.read_active_jobs(deployment_id=deployment.id):
                    if job.status is not JobStatus.RUNNING:
                        continue
                    savepoint = repos.read_latest_savepoint(
                        deployment_id=deployment.id, include_checkpoints=False
                    )
                    found.append((deployment, job, savepoint.created_at if savepoint else None))
        return found

    def _snapshot(self, scope: Scope, job: Job) -> FlinkJobSnapshot | None:
        if job.flink_job_id is None:
            return None
        try:
            with self._store.transaction() as repos:
                cluster = resolve_cluster(repos, scope, job.cluster)
            snapshot = self._inspector.snapshot(cluster, job.flink_job_id)
        except MillstreamError:
            return None  # unreachable or gone: the job counts as not inspected
        return snapshot if snapshot.found else None

    def _source_output(self, job: Job, start: datetime, end: datetime) -> tuple[float, ...] | None:
        if self._samples is None:
            return None
        with self._samples.transaction() as repos:
            found = repos.read_metric_samples(
                job_id=job.id, names={SOURCE_OUTPUT}, start=start, end=end, limit=_MAX_SAMPLES
            )
        return tuple(sample.value for sample in found) or None


def _evidence(
    deployment: Deployment,
    job: Job,
    snapshot: FlinkJobSnapshot | None,
    latest_savepoint: datetime | None,
    source_output: tuple[float, ...] | None,
) -> JobEvidence:
    flink_restarts = snapshot.restarts if snapshot is not None else job.observed.restarts
    restarts = None
    if flink_restarts is not None or job.restart_history:
        # Flink's restarts of this run plus the restart policy's resubmissions.
        restarts = (flink_restarts or 0) + len(job.restart_history)
    checkpoints = snapshot.checkpoints if snapshot is not None else None
    pressures = [p for p in (snapshot.backpressure if snapshot else ()) if p.ratio is not None]
    worst = max(pressures, key=lambda p: p.ratio or 0.0) if pressures else None
    return JobEvidence(
        job_id=job.id,
        deployment_id=deployment.id,
        deployment_name=deployment.name,
        tags=_tags(deployment.labels),
        running_since=job.start_time,
        restarts=restarts,
        failed_checkpoints=checkpoints.failed if checkpoints else None,
        completed_checkpoints=checkpoints.completed if checkpoints else None,
        latest_checkpoint_failure=checkpoints.latest_failure if checkpoints else None,
        max_backpressure=worst.ratio if worst else None,
        backpressured_vertex=worst.name if worst else None,
        source_output=source_output,
        latest_savepoint_at=latest_savepoint,
    )


def _tags(labels: dict[str, str]) -> tuple[str, ...]:
    return tuple(f"{key}={value}" if value else key for key, value in sorted(labels.items()))
