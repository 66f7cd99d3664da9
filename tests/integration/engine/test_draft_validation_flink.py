"""Draft validation on real Flink (the session ``flink`` fixture): a draft's SQL is
planned by Flink's planner in the background and the ticket answers Flink's line and
column. The draft service runs on a migrated SQLite store; its deployments are a thin
adapter whose ``validate_sql`` is the real cluster's (what ``DeploymentService`` calls)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from millstream.control.context import Actor, Scope
from millstream.control.services.drafts import DraftChange, DraftService
from millstream.control.services.folders import FolderService
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.deployments import Deployment
from millstream.domain.drafts import DraftSpec, DraftTicket, TicketStatus
from millstream.engine import FlinkEngine, FlinkRuntime, LocalCluster, RestFlinkCluster
from millstream.store import SqlStore, upgrade
from millstream.store.catalog import SqlCatalogStore
from millstream.store.drafts import DraftStore

pytestmark = pytest.mark.flink

SCOPE = Scope("default", "default")
ALICE = Actor(id="u-alice", name="alice")
BAD = """\
CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen');

CREATE TEMPORARY TABLE sink (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink
  SELECT missing_column FROM src;
"""
GOOD = BAD.replace("missing_column", "id")


class _PlannerOnly:
    """Deployments as drafts see them, validating on the real cluster."""

    def __init__(self, cluster: RestFlinkCluster) -> None:
        self._cluster = cluster

    def validate_sql(
        self,
        scope: Scope,  # noqa: ARG002
        script: str,
        *,
        execution_mode: ExecutionMode = ExecutionMode.STREAMING,
        variables: dict[str, str] | None = None,  # noqa: ARG002
        flink_conf: dict[str, Any] | None = None,
    ) -> None:
        self._cluster.validate_sql(
            script, execution_mode=execution_mode, flink_conf=flink_conf or {}
        )

    def get(self, *_: Any) -> Deployment:
        raise AssertionError("validation reads no deployment")

    def create(self, *_: Any) -> Deployment:
        raise AssertionError("validation writes no deployment")

    def update(self, *_: Any) -> Deployment:
        raise AssertionError("validation writes no deployment")


@pytest.fixture
def drafts(flink: LocalCluster, tmp_path: Path) -> Iterator[DraftService]:
    engine = FlinkEngine(data_dir=flink.data_dir, runtime=FlinkRuntime.detect(), request_timeout=60)
    cluster = engine.cluster(
        Cluster(
            id=str(uuid.uuid4()),
            workspace="default",
            namespace=None,
            name="embedded",
            kind=ClusterKind.EMBEDDED,
            rest_url=flink.rest_url,
        )
    )
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    service = DraftService(
        DraftStore(store.engine),
        FolderService(SqlCatalogStore(store.engine)),
        _PlannerOnly(cluster),
    )
    yield service
    service.close()
    store.close()
    engine.close()


def _validated(drafts: DraftService, script: str, name: str) -> DraftTicket:
    artifact = Artifact(ArtifactKind.SQLSCRIPT, sql_script=script)
    draft = drafts.create(SCOPE, ALICE, DraftChange(spec=DraftSpec(name=name, artifact=artifact)))
    ticket = drafts.validate_async(SCOPE, ALICE, draft.id)
    deadline = time.monotonic() + 120
    while ticket.status is TicketStatus.PROCESSING:
        assert time.monotonic() < deadline, "validation still running after 120 s"
        time.sleep(0.2)
        ticket = drafts.ticket(SCOPE, ticket.id, ticket.kind)
    return ticket


def test_flink_planner_validates_a_draft_with_line_and_column(drafts: DraftService) -> None:
    bad = _validated(drafts, BAD, "bad")
    assert bad.status is TicketStatus.FAILED
    assert bad.outcome is not None
    assert (bad.outcome.line, bad.outcome.column) == (5, 10)
    assert "missing_column" in (bad.outcome.message or "")

    good = _validated(drafts, GOOD, "good")
    assert good.status is TicketStatus.FINISHED
