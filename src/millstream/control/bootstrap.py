"""First-start and every-start set-up: default workspace/namespace/cluster, the default
queue, the demo job."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from millstream.control.context import SYSTEM, Scope
from millstream.control.ports import Page, Store
from millstream.control.services import DeploymentPatch, Services
from millstream.control.services.common import DEFAULT_CLUSTER
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.namespaces import Namespace
from millstream.domain.queues import DEFAULT_QUEUE, Queue

__all__ = ["DEMO_NAME", "DEMO_SQL", "ensure_default_queue", "ensure_defaults", "ensure_demo"]

DEMO_NAME = "demo-datagen-to-blackhole"
DEMO_SQL = """-- Millstream demo: generated rows into a blackhole sink.
CREATE TEMPORARY TABLE datagen_source (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '10'
);
CREATE TEMPORARY TABLE blackhole_sink (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'blackhole'
);
INSERT INTO blackhole_sink SELECT id, name FROM datagen_source;
"""


def ensure_defaults(
    store: Store, *, workspace: str, namespace: str, cluster_kind: ClusterKind, rest_url: str
) -> None:
    """Create the default namespace and point the default cluster at ``rest_url``."""
    now = datetime.now(UTC)
    with store.transaction() as repos:
        if repos.read_namespace(workspace=workspace, name=namespace) is None:
            repos.create_namespace(
                namespace=Namespace(
                    id=str(uuid.uuid4()), workspace=workspace, name=namespace, created_at=now
                )
            )
        cluster = repos.read_cluster(workspace=workspace, name=DEFAULT_CLUSTER)
        if cluster is None:
            repos.create_cluster(
                cluster=Cluster(
                    id=str(uuid.uuid4()),
                    workspace=workspace,
                    namespace=None,
                    name=DEFAULT_CLUSTER,
                    kind=cluster_kind,
                    rest_url=rest_url,
                    created_at=now,
                    modified_at=now,
                )
            )
        elif (cluster.rest_url, cluster.kind) != (rest_url, cluster_kind):
            cluster.rest_url = rest_url
            cluster.kind = cluster_kind
            cluster.modified_at = now
            repos.update_cluster(cluster=cluster)


def ensure_default_queue(
    store: Store, *, workspace: str, capacity_cu: float, clock: Callable[[], datetime] | None = None
) -> None:
    """Create the ``default`` queue on the default cluster, or bring its capacity in line
    with the cluster's resources (``capacity_cu``) unless someone set it by hand."""
    now = (clock or (lambda: datetime.now(UTC)))()
    with store.transaction() as repos:
        queue = repos.read_queue(name=DEFAULT_QUEUE)
        if queue is None:
            repos.create_queue(
                queue=Queue(
                    id=str(uuid.uuid4()),
                    name=DEFAULT_QUEUE,
                    workspace=workspace,
                    cluster=DEFAULT_CLUSTER,
                    capacity_cu=capacity_cu,
                    description="the default cluster's capacity (follows its resources)",
                    follows_cluster=True,
                    creator=SYSTEM.id,
                    modifier=SYSTEM.id,
                    created_at=now,
                    modified_at=now,
                )
            )
        elif queue.follows_cluster and queue.capacity_cu != capacity_cu:
            queue.capacity_cu = capacity_cu
            queue.modifier = SYSTEM.id
            queue.modified_at = now
            repos.update_queue(queue=queue)


def ensure_demo(services: Services, scope: Scope) -> str:
    """Create and start the demo deployment unless it exists; returns its id."""
    deployments, _ = services.deployments.list(scope, page=_first_page(), name=DEMO_NAME)
    if deployments:
        return deployments[0].id
    deployment = services.deployments.create(
        scope,
        SYSTEM,
        DeploymentPatch(
            name=DEMO_NAME,
            description="datagen -> blackhole demo created by `millstream up`",
            artifact=Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=DEMO_SQL),
            labels={"demo": "true"},
        ),
    )
    services.jobs.start(scope, SYSTEM, deployment.id)
    return deployment.id


def _first_page() -> Page:
    return Page(offset=0, limit=1)
