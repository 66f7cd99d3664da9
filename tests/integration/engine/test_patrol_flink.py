"""A patrol against the real local Flink cluster (the session ``flink`` fixture): two
jobs run on it, one healthy and one failing and restarting every 200 ms; the patrol reads
Flink through the real ``FlinkInspector``, stores its report in SQLite, and finds the
restarts of the second job only."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from millstream.control.context import Scope
from millstream.control.patrol_evidence import PatrolEvidence
from millstream.control.ports import Submission
from millstream.control.services.patrol import PatrolService
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.jobs import JobStatus
from millstream.domain.patrol import Check
from millstream.engine import FlinkEngine, FlinkRuntime, LocalCluster
from millstream.engine.inspect import FlinkInspector
from millstream.store import SqlStore, upgrade
from millstream.store.patrol import SqlPatrolStore
from tests.factories import make_deployment, make_job, make_namespace

pytestmark = pytest.mark.flink

HEALTHY = """\
CREATE TEMPORARY TABLE orders (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20');
CREATE TEMPORARY TABLE sink (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT id FROM orders;
"""
FAILING = """\
SET 'table.exec.legacy-cast-behaviour' = 'DISABLED';
CREATE TEMPORARY TABLE sink (n INT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT CAST(s AS INT) FROM (VALUES ('12'), ('not-a-number')) AS t(s);
"""
RESTARTING = {
    "restart-strategy.type": "fixed-delay",
    "restart-strategy.fixed-delay.attempts": "100000",
    "restart-strategy.fixed-delay.delay": "200 ms",
}


@pytest.fixture
def engine(flink: LocalCluster) -> Iterator[FlinkEngine]:
    engine = FlinkEngine(data_dir=flink.data_dir, runtime=FlinkRuntime.detect(), request_timeout=60)
    yield engine
    engine.close()


def _submit(engine: FlinkEngine, cluster: Cluster, sql: str, conf: dict[str, str]) -> str:
    flink_job_id = uuid.uuid4().hex
    engine.cluster(cluster).submit(
        Submission(
            flink_job_id=flink_job_id,
            job_name="patrol-test",
            artifact=Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=sql),
            execution_mode=ExecutionMode.STREAMING,
            parallelism=1,
            flink_conf=conf,
        )
    )
    return flink_job_id


def test_patrol_finds_the_restarting_job_on_real_flink(
    flink: LocalCluster, engine: FlinkEngine, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    cluster = Cluster(
        id=str(uuid.uuid4()),
        workspace="ws",
        namespace=None,
        name="default",
        kind=ClusterKind.EXTERNAL,
        rest_url=flink.rest_url,
    )
    now = datetime.now(UTC)
    with store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace())
        repos.create_cluster(cluster=cluster)
    flink_ids = {
        "healthy": _submit(engine, cluster, HEALTHY, {}),
        "failing": _submit(engine, cluster, FAILING, RESTARTING),
    }
    try:
        with store.transaction() as repos:
            for name, flink_job_id in flink_ids.items():
                deployment = make_deployment(name=name)
                repos.create_deployment(deployment=deployment)
                repos.create_job(
                    job=make_job(
                        deployment,
                        status=JobStatus.RUNNING,
                        flink_job_id=flink_job_id,
                        start_time=now - timedelta(minutes=5),
                    )
                )
        inspector = FlinkInspector(timeout=10)
        service = PatrolService(
            SqlPatrolStore(store.engine), store, PatrolEvidence(store, inspector)
        )
        deadline = time.monotonic() + 90
        while True:
            report = service.trigger(Scope("ws", "ns"))
            restarts = [f for f in report.findings if f.check is Check.RESTARTS]
            if restarts or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert (report.total_jobs, report.inspected_jobs) == (2, 2)
        assert [f.deployment_name for f in restarts] == ["failing"]
        assert int(restarts[0].evidence["restarts"]) >= 3
        # The healthy job never restarts. (On a machine busy with other work its
        # checkpoints may really expire: what else the patrol finds there is not asserted.)
        healthy = [f for f in report.findings if f.deployment_name == "healthy"]
        assert [f for f in healthy if f.check is Check.RESTARTS] == [], healthy
        assert service.report(Scope("ws", "ns"), report.id) == report
    finally:
        for flink_job_id in flink_ids.values():
            engine.cluster(cluster).cancel(flink_job_id)
        store.close()
