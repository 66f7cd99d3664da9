"""Diagnosis and Flink REST proxy use cases: GetJobDiagnosis and FlinkApiProxy.

Both only read: the job (and its cluster) from the store, then Flink through the
``JobInspector`` port. The rules live in ``domain.diagnosis``; the proxy's path policy
(an explicit list of read-only Flink endpoints, ``engine.proxy_paths``) is enforced by the
inspector, at the last step before HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from millstream.control.context import Scope
from millstream.control.inspect_ports import FlinkJobSnapshot, JobInspector
from millstream.control.ports import Store
from millstream.control.services.common import require_namespace, resolve_cluster
from millstream.control.services.jobs import JobService
from millstream.domain.clusters import Cluster
from millstream.domain.diagnosis import Diagnosis, DiagnosisInput, diagnose
from millstream.domain.errors import EngineUnavailable, ErrorCode, InvalidInput, NotFound
from millstream.domain.jobs import Job

__all__ = ["DiagnosisReport", "DiagnosisService", "ProxyResource"]

_RESOURCE_TYPES = ("jobs", "sessionclusters")


@dataclass(frozen=True, slots=True)
class DiagnosisReport:
    id: str
    job: Job
    diagnosis: Diagnosis
    diagnosed_at: datetime


@dataclass(frozen=True, slots=True)
class ProxyResource:
    """What a FlinkApiProxy call is about: ``jobs`` + job id or ``sessionclusters`` + name."""

    kind: str
    id: str

    @classmethod
    def parse(cls, kind: str | None, resource_id: str | None) -> ProxyResource:
        normalized = (kind or "").strip().lower()
        if normalized not in _RESOURCE_TYPES:
            raise InvalidInput(
                f"the Flink REST proxy cannot reach a {kind!r}; use one of "
                f"{', '.join(_RESOURCE_TYPES)}"
            )
        if not resource_id or not resource_id.strip():
            raise InvalidInput(
                "the Flink REST proxy needs the job's id or the session cluster's name"
            )
        return cls(normalized, resource_id.strip())


class DiagnosisService:
    def __init__(
        self,
        store: Store,
        inspector: JobInspector,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._inspector = inspector
        self._clock = clock

    def diagnose(self, scope: Scope, deployment_id: str, job_id: str) -> DiagnosisReport:
        """Findings for one job of one deployment (a job of another deployment is not found)."""
        job, cluster = self._job_and_cluster(scope, job_id)
        if job.deployment_id != deployment_id:
            raise NotFound(
                f"job {job_id!r} not found in deployment {deployment_id!r}",
                code=ErrorCode.JOB_NOT_FOUND,
            )
        reachable = True
        snapshot = FlinkJobSnapshot(found=False)
        if job.flink_job_id is not None:
            try:
                snapshot = self._inspector.snapshot(cluster, job.flink_job_id)
            except EngineUnavailable:
                reachable = False
        data = DiagnosisInput(
            job_status=job.status.value,
            flink_state=snapshot.state,
            reachable=reachable,
            failure=job.failure.message if job.failure else None,
            restarts=snapshot.restarts if snapshot.found else job.observed.restarts,
            uptime_ms=snapshot.uptime_ms,
            exceptions=snapshot.exceptions,
            checkpoints=snapshot.checkpoints,
            backpressure=snapshot.backpressure,
            parallelism=job.resources.parallelism,
        )
        return DiagnosisReport(
            id=str(uuid.uuid4()), job=job, diagnosis=diagnose(data), diagnosed_at=self._clock()
        )

    def proxy(self, scope: Scope, resource: ProxyResource, path: str) -> Any:
        """Flink's JSON answer to a GET of ``path`` on the resource's cluster."""
        if resource.kind == "jobs":
            job, cluster = self._job_and_cluster(scope, resource.id)
            if job.flink_job_id is None:
                raise NotFound(
                    f"job {job.id} has not been submitted to Flink yet ({job.status.value})",
                    code=ErrorCode.JOB_NOT_SUBMITTED,
                )
            return self._inspector.proxy_get(
                cluster, _own_job_path(path, job), flink_job_id=job.flink_job_id
            )
        with self._store.transaction() as repos:
            require_namespace(repos, scope)
            try:
                cluster = resolve_cluster(repos, scope, resource.id)
            except InvalidInput as exc:
                raise NotFound(str(exc), code=ErrorCode.SESSION_CLUSTER_NOT_FOUND) from exc
        return self._inspector.proxy_get(cluster, path, flink_job_id=None)

    def _job_and_cluster(self, scope: Scope, job_id: str) -> tuple[Job, Cluster]:
        with self._store.transaction() as repos:
            job = JobService.read(repos, scope, job_id)
            return job, resolve_cluster(repos, scope, job.cluster)


def _own_job_path(path: str, job: Job) -> str:
    """Let callers name the job by its Millstream id: ``/jobs/{jobId}/...`` is rewritten
    to Flink's JobID of the current attempt."""
    text = (path or "").strip()
    prefix = f"/jobs/{job.id}"
    bare = prefix[1:]
    if text.startswith(bare):
        text = "/" + text
    if text == prefix or text.startswith((prefix + "/", prefix + "?")):
        return f"/jobs/{job.flink_job_id}" + text[len(prefix) :]
    return text
