"""Domain objects for seeding a store directly through ``SqlStore`` repositories.

``reconciler_scale.py`` seeds thousands of running jobs; ``api_load.py`` seeds the jobs
that ListJobs pages through. Only the public domain types and the store's repositories
are used, so what is seeded is what the services would have written.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from millstream.control.bootstrap import DEMO_SQL
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.deployments import Deployment, Logging
from millstream.domain.jobs import Job, JobStatus, RestoreStrategy, flink_job_id
from millstream.domain.namespaces import Namespace
from millstream.domain.observed import ObservedState, ObservedStatus
from millstream.domain.resources import ResourceSetting

__all__ = ["NAMESPACE", "WORKSPACE", "cluster", "deployment", "job", "namespace"]

WORKSPACE = "default"
NAMESPACE = "default-namespace"
_ARTIFACT = Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=DEMO_SQL)
# What JobService.start writes for the demo job (effective_flink_conf), give or take paths.
_FLINK_CONF: dict[str, Any] = {
    "execution.checkpointing.interval": "10s",
    "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
    "state.checkpoints.dir": "file:///tmp/millstream/state/checkpoints/x",
    "state.savepoints.dir": "file:///tmp/millstream/state/savepoints/x",
    "parallelism.default": "1",
}


def _now() -> datetime:
    return datetime.now(UTC)


def namespace() -> Namespace:
    return Namespace(id=str(uuid.uuid4()), workspace=WORKSPACE, name=NAMESPACE, created_at=_now())


def cluster(name: str, rest_url: str) -> Cluster:
    now = _now()
    return Cluster(
        id=str(uuid.uuid4()),
        workspace=WORKSPACE,
        namespace=None,
        name=name,
        kind=ClusterKind.EXTERNAL,
        rest_url=rest_url,
        created_at=now,
        modified_at=now,
    )


def deployment(name: str, *, cluster_name: str | None = None) -> Deployment:
    now = _now()
    return Deployment(
        id=str(uuid.uuid4()),
        workspace=WORKSPACE,
        namespace=NAMESPACE,
        name=name,
        artifact=_ARTIFACT,
        labels={"bench": "true"},
        cluster=cluster_name,
        creator="bench",
        modifier="bench",
        created_at=now,
        modified_at=now,
    )


def job(
    of: Deployment,
    *,
    cluster_name: str,
    status: JobStatus = JobStatus.RUNNING,
    observed_modified_ms: int | None = None,
) -> Job:
    """A job of ``of`` in ``status``; a RUNNING one has attempt 1 and its Flink JobID set,
    as the reconciler leaves it after a successful start."""
    now = _now()
    job_id = str(uuid.uuid4())
    running = status is JobStatus.RUNNING
    return Job(
        id=job_id,
        workspace=WORKSPACE,
        namespace=NAMESPACE,
        deployment_id=of.id,
        deployment_name=of.name,
        artifact=of.artifact,
        execution_mode=ExecutionMode.STREAMING,
        engine_version="flink-2.3.0",
        resources=ResourceSetting(),
        flink_conf=dict(_FLINK_CONF),
        user_flink_conf={},
        logging=Logging(),
        local_variables={},
        restore=RestoreStrategy(job_start_time_ms=int(now.timestamp() * 1000)),
        cluster=cluster_name,
        status=status,
        attempt=1,
        flink_job_id=flink_job_id(job_id, 1),
        observed=ObservedStatus(
            state=ObservedState.RUNNING if running else ObservedState.FINISHED,
            restarts=0,
            modified_ms=observed_modified_ms,
        ),
        start_time=now,
        end_time=None if running else now,
        creator="bench",
        modifier="bench",
        created_at=now,
        modified_at=now,
    )
