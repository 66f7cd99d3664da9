"""The engine against a real local Flink cluster (the session ``flink`` fixture).

Order matters only at the end: the fault tests (TaskManager kill, JobManager restart)
run last because they disturb every job on the cluster.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import pytest

from millstream.control.ports import ObservedJob, Submission
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.errors import EnginePermanentError, InvalidSql
from millstream.engine import FlinkEngine, FlinkRuntime, LocalCluster, RestFlinkCluster

pytestmark = pytest.mark.flink

_T = TypeVar("_T")

DEMO_SQL = """\
CREATE TEMPORARY TABLE orders (id BIGINT, amount DOUBLE)
  WITH ('connector' = 'datagen', 'rows-per-second' = '50');
CREATE TEMPORARY TABLE sink (id BIGINT, amount DOUBLE) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT id, amount FROM orders;
"""


@pytest.fixture(scope="module")
def engine(flink: LocalCluster) -> Iterator[FlinkEngine]:
    engine = FlinkEngine(data_dir=flink.data_dir, runtime=FlinkRuntime.detect(), request_timeout=60)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def cluster(engine: FlinkEngine, flink: LocalCluster) -> RestFlinkCluster:
    return engine.cluster(
        Cluster(
            id=str(uuid.uuid4()),
            workspace="default",
            namespace=None,
            name="embedded",
            kind=ClusterKind.EMBEDDED,
            rest_url=flink.rest_url,
        )
    )


def submission(
    sql: str,
    *,
    mode: ExecutionMode = ExecutionMode.STREAMING,
    flink_conf: dict[str, Any] | None = None,
    savepoint_path: str | None = None,
) -> Submission:
    return Submission(
        flink_job_id=uuid.uuid4().hex,
        job_name="test-job",
        artifact=Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=sql),
        execution_mode=mode,
        parallelism=1,
        flink_conf=flink_conf or {},
        savepoint_path=savepoint_path,
    )


def wait_for(check: Callable[[], _T | None], *, timeout: float = 60, what: str = "") -> _T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")


def observed(cluster: RestFlinkCluster, job_id: str) -> ObservedJob | None:
    return next((j for j in cluster.list_jobs() if j.flink_job_id == job_id), None)


def wait_state(cluster: RestFlinkCluster, job_id: str, *states: str, timeout: float = 60) -> None:
    def reached() -> ObservedJob | None:
        job = observed(cluster, job_id)
        return job if job is not None and job.state in states else None

    wait_for(reached, timeout=timeout, what=f"{job_id} in {states}")


def wait_all_running(cluster: RestFlinkCluster, job_id: str, timeout: float = 60) -> ObservedJob:
    def running() -> ObservedJob | None:
        job = observed(cluster, job_id)
        return job if job is not None and job.all_running else None

    return wait_for(running, timeout=timeout, what=f"{job_id} all vertices RUNNING")


def cancel(cluster: RestFlinkCluster, job_id: str) -> None:
    cluster.cancel(job_id)
    wait_state(cluster, job_id, "CANCELED")


def local_path(location: str) -> Path:
    return Path(urlparse(location).path)


def test_cluster_shows_its_taskmanager(flink: LocalCluster, cluster: RestFlinkCluster) -> None:
    assert flink.is_running()
    overview = cluster._rest.overview()
    assert overview["taskmanagers"] == 1
    assert overview["slots-total"] == 4
    assert len(flink.taskmanager_pids()) == 1


def test_submit_runs_all_vertices_and_is_idempotent(cluster: RestFlinkCluster) -> None:
    job = submission(DEMO_SQL)
    cluster.submit(job)
    running = wait_all_running(cluster, job.flink_job_id)
    assert running.name == "test-job"

    cluster.submit(job)  # a retried submission of the same attempt

    assert [j.flink_job_id for j in cluster.list_jobs()].count(job.flink_job_id) == 1
    cancel(cluster, job.flink_job_id)
    cluster.cancel(job.flink_job_id)  # already CANCELED: not an error


def test_stop_with_savepoint_then_restore_from_it(
    cluster: RestFlinkCluster, engine: FlinkEngine
) -> None:
    first = submission(DEMO_SQL)
    cluster.submit(first)
    wait_all_running(cluster, first.flink_job_id)
    target = engine.savepoint_directory(deployment_id="dep-savepoint")

    trigger = cluster.stop_with_savepoint(first.flink_job_id, target_directory=target, drain=False)
    progress = wait_for(
        lambda: p if (p := cluster.savepoint_progress(first.flink_job_id, trigger)).done else None,
        what="savepoint",
    )
    assert progress.failure is None
    assert progress.location is not None
    assert (local_path(progress.location) / "_metadata").is_file()
    wait_state(cluster, first.flink_job_id, "FINISHED")

    second = submission(DEMO_SQL, savepoint_path=progress.location)
    cluster.submit(second)
    wait_all_running(cluster, second.flink_job_id)
    details = cluster.job_details(second.flink_job_id)
    assert details.restored_from_path == progress.location
    cancel(cluster, second.flink_job_id)

    engine.delete_state(progress.location)
    assert not local_path(progress.location).exists()


def test_trigger_savepoint_keeps_the_job_running(
    cluster: RestFlinkCluster, engine: FlinkEngine
) -> None:
    job = submission(DEMO_SQL)
    cluster.submit(job)
    wait_all_running(cluster, job.flink_job_id)
    target = engine.savepoint_directory(deployment_id="dep-trigger")

    trigger = cluster.trigger_savepoint(job.flink_job_id, target_directory=target)
    progress = wait_for(
        lambda: p if (p := cluster.savepoint_progress(job.flink_job_id, trigger)).done else None,
        what="savepoint",
    )

    assert progress.location is not None
    assert local_path(progress.location).is_dir()
    assert observed(cluster, job.flink_job_id) is not None
    cancel(cluster, job.flink_job_id)


def test_multi_statement_script_runs_one_job_with_two_sinks(cluster: RestFlinkCluster) -> None:
    script = """\
-- SET, a view and two INSERTs in one statement set; the ';' in the literal is data.
SET 'pipeline.name' = 'multi; statement';
CREATE TEMPORARY TABLE src (id BIGINT, label STRING)
  WITH ('connector' = 'datagen', 'rows-per-second' = '10');
CREATE TEMPORARY VIEW evens AS SELECT id, label FROM src WHERE MOD(id, 2) = 0;
CREATE TEMPORARY TABLE sink_a (id BIGINT) WITH ('connector' = 'blackhole');
/* block comment; with a semicolon */
CREATE TEMPORARY TABLE sink_b (label STRING) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET BEGIN
  INSERT INTO sink_a SELECT id FROM evens;
  INSERT INTO sink_b SELECT label FROM evens;
END;
"""
    job = submission(script)
    cluster.submit(job)

    running = wait_all_running(cluster, job.flink_job_id)
    assert running.name == "multi; statement"
    vertices = " ".join(v["name"] for v in cluster._rest.job(job.flink_job_id)["vertices"])
    assert "sink_a" in vertices
    assert "sink_b" in vertices
    cancel(cluster, job.flink_job_id)


def test_batch_job_finishes(cluster: RestFlinkCluster) -> None:
    script = """\
CREATE TEMPORARY TABLE numbers (n BIGINT)
  WITH ('connector' = 'datagen', 'number-of-rows' = '1000');
CREATE TEMPORARY TABLE sink (n BIGINT) WITH ('connector' = 'blackhole');
BEGIN STATEMENT SET;
INSERT INTO sink SELECT n FROM numbers;
END;
"""
    job = submission(script, mode=ExecutionMode.BATCH)
    cluster.submit(job)
    wait_state(cluster, job.flink_job_id, "FINISHED")
    assert cluster.job_details(job.flink_job_id).root_failure is None


def test_validate_sql_reports_position_in_the_whole_script(cluster: RestFlinkCluster) -> None:
    script = """\
CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen');

CREATE TEMPORARY TABLE sink (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink
  SELECT missing_column FROM src;
"""
    with pytest.raises(InvalidSql) as caught:
        cluster.validate_sql(script, execution_mode=ExecutionMode.STREAMING, flink_conf={})

    assert (caught.value.line, caught.value.column) == (5, 10)
    assert "missing_column" in caught.value.message
    assert "line 5, column 10" in caught.value.message


def test_validate_sql_maps_parser_positions(cluster: RestFlinkCluster) -> None:
    script = """\
CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen');
CREATE TEMPORARY TABLE sink (id BIGINT) WITH ('connector' = 'blackhole');

INSERT INTO sink
  SELECT id, FROM src;
"""
    with pytest.raises(InvalidSql) as caught:
        cluster.validate_sql(script, execution_mode=ExecutionMode.STREAMING, flink_conf={})

    assert (caught.value.line, caught.value.column) == (5, 14)


def test_validate_sql_accepts_a_valid_script(cluster: RestFlinkCluster) -> None:
    cluster.validate_sql(DEMO_SQL, execution_mode=ExecutionMode.STREAMING, flink_conf={})
    cluster.validate_sql(
        "CREATE TEMPORARY TABLE t (x INT) WITH ('connector' = 'datagen');",
        execution_mode=ExecutionMode.BATCH,
        flink_conf={},
    )


def test_submit_of_bad_sql_is_a_permanent_error(cluster: RestFlinkCluster) -> None:
    job = submission(DEMO_SQL.replace("SELECT id, amount", "SELECT id, nope"))
    with pytest.raises(EnginePermanentError, match="line 4, column 29"):
        cluster.submit(job)
    assert observed(cluster, job.flink_job_id) is None


def test_runtime_failure_reports_root_cause(cluster: RestFlinkCluster) -> None:
    script = """\
SET 'table.exec.legacy-cast-behaviour' = 'DISABLED';
CREATE TEMPORARY TABLE sink (n INT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT CAST(s AS INT) FROM (VALUES ('12'), ('not-a-number')) AS t(s);
"""
    job = submission(script, flink_conf={"restart-strategy.type": "none"})
    cluster.submit(job)
    wait_state(cluster, job.flink_job_id, "FAILED")

    failure = cluster.job_details(job.flink_job_id).root_failure
    assert failure is not None
    assert "not-a-number" in failure.message
    assert failure.reason.endswith("Exception")


def test_jobmanager_log_is_readable(cluster: RestFlinkCluster) -> None:
    assert "StandaloneSessionClusterEntrypoint" in cluster.jobmanager_log()


def test_killed_taskmanager_is_restarted_and_the_job_recovers(
    flink: LocalCluster, cluster: RestFlinkCluster
) -> None:
    job = submission(DEMO_SQL, flink_conf={"execution.checkpointing.interval": "1s"})
    cluster.submit(job)
    wait_all_running(cluster, job.flink_job_id)
    [victim] = flink.taskmanager_pids()

    os.kill(victim, signal.SIGKILL)

    wait_for(
        lambda: True if flink.taskmanager_pids() not in ([victim], []) else None,
        timeout=30,
        what="a new TaskManager",
    )
    wait_for(
        lambda: True if (cluster.job_details(job.flink_job_id).restarts or 0) >= 1 else None,
        timeout=60,
        what="a restart",
    )
    wait_all_running(cluster, job.flink_job_id, timeout=90)
    cancel(cluster, job.flink_job_id)


def test_restarted_jobmanager_accepts_jobs_again(
    flink: LocalCluster, cluster: RestFlinkCluster
) -> None:
    flink.restart_jobmanager()

    assert cluster.list_jobs() == []  # standalone without HA forgets everything
    job = submission(DEMO_SQL)
    cluster.submit(job)
    wait_all_running(cluster, job.flink_job_id)
    cancel(cluster, job.flink_job_id)
