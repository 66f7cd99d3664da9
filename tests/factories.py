"""Factories for domain objects with sensible defaults; any field can be overridden.

Used by unit and integration tests alike: ``make_deployment(name="orders")``,
``make_job(deployment, status=JobStatus.RUNNING)``. Every call gets fresh UUIDs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.deployments import Deployment
from millstream.domain.events import Event, EventName
from millstream.domain.jobs import Job, RestoreStrategy
from millstream.domain.namespaces import Namespace
from millstream.domain.queues import Queue
from millstream.domain.savepoints import Savepoint, SavepointOrigin

__all__ = [
    "NAMESPACE",
    "SQL",
    "WORKSPACE",
    "make_cluster",
    "make_deployment",
    "make_event",
    "make_job",
    "make_namespace",
    "make_queue",
    "make_savepoint",
    "new_id",
]

WORKSPACE = "ws"
NAMESPACE = "ns"
SQL = (
    "CREATE TEMPORARY TABLE src (x INT) WITH ('connector' = 'datagen');\n"
    "CREATE TEMPORARY TABLE dst (x INT) WITH ('connector' = 'blackhole');\n"
    "INSERT INTO dst SELECT x FROM src;"
)


def new_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


def make_namespace(**overrides: Any) -> Namespace:
    values: dict[str, Any] = {
        "id": new_id(),
        "workspace": WORKSPACE,
        "name": NAMESPACE,
        "created_at": _now(),
    }
    return Namespace(**(values | overrides))


def make_deployment(**overrides: Any) -> Deployment:
    deployment_id = overrides.get("id") or new_id()
    values: dict[str, Any] = {
        "id": deployment_id,
        "workspace": WORKSPACE,
        "namespace": NAMESPACE,
        "name": f"deployment-{deployment_id[:8]}",
        "artifact": Artifact(ArtifactKind.SQLSCRIPT, sql_script=SQL),
    }
    return Deployment(**(values | overrides))


def make_job(deployment: Deployment | None = None, **overrides: Any) -> Job:
    """A job of ``deployment`` (a fresh one if None), copying what a start would copy."""
    deployment = deployment or make_deployment()
    values: dict[str, Any] = {
        "id": new_id(),
        "workspace": deployment.workspace,
        "namespace": deployment.namespace,
        "deployment_id": deployment.id,
        "deployment_name": deployment.name,
        "artifact": deployment.artifact,
        "execution_mode": deployment.execution_mode,
        "engine_version": deployment.engine_version,
        "resources": deployment.resources,
        "flink_conf": dict(deployment.flink_conf),
        "user_flink_conf": dict(deployment.flink_conf),
        "logging": deployment.logging,
        "local_variables": dict(deployment.local_variables),
        "restore": RestoreStrategy(),
        "cluster": deployment.cluster or "default",
    }
    return Job(**(values | overrides))


def make_savepoint(
    deployment: Deployment | None = None, job: Job | None = None, **overrides: Any
) -> Savepoint:
    """A savepoint of ``job`` (or of ``deployment`` without a job)."""
    deployment_id = job.deployment_id if job else (deployment.id if deployment else new_id())
    source: Deployment | Job | None = job or deployment
    values: dict[str, Any] = {
        "id": new_id(),
        "workspace": source.workspace if source else WORKSPACE,
        "namespace": source.namespace if source else NAMESPACE,
        "deployment_id": deployment_id,
        "job_id": job.id if job else None,
        "origin": SavepointOrigin.USER_REQUEST,
    }
    return Savepoint(**(values | overrides))


def make_event(**overrides: Any) -> Event:
    values: dict[str, Any] = {
        "id": new_id(),
        "workspace": WORKSPACE,
        "namespace": NAMESPACE,
        "name": EventName.DEPLOYMENT_CREATED,
        "message": "deployment created",
        "created_at": _now(),
    }
    return Event(**(values | overrides))


def make_cluster(**overrides: Any) -> Cluster:
    cluster_id = overrides.get("id") or new_id()
    values: dict[str, Any] = {
        "id": cluster_id,
        "workspace": WORKSPACE,
        "namespace": None,
        "name": f"cluster-{cluster_id[:8]}",
        "kind": ClusterKind.EXTERNAL,
        "rest_url": "http://127.0.0.1:8081",
    }
    return Cluster(**(values | overrides))


def make_queue(**overrides: Any) -> Queue:
    """A 4 CU queue on the ``default`` cluster of ``WORKSPACE``."""
    values: dict[str, Any] = {
        "id": new_id(),
        "name": "q",
        "workspace": WORKSPACE,
        "cluster": "default",
        "capacity_cu": 4.0,
        "created_at": _now(),
        "modified_at": _now(),
    }
    return Queue(**(values | overrides))
