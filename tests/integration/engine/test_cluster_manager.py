"""``ClusterManager`` on real Flink: one session cluster for the whole module is started,
runs a SQL job, is adopted by a second manager (a restarted Millstream) without a
restart, and is stopped leaving nothing behind. Prints the measured start time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from millstream.config import FlinkSettings
from millstream.control.cluster_ports import ProcessSpec, ProcessStatus
from millstream.control.ports import Submission
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.clusters import Cluster, ClusterKind
from millstream.domain.deployments import Logging
from millstream.domain.errors import EngineUnavailable, InvalidInput
from millstream.engine import FlinkEngine, FlinkRuntime, LocalCluster, RestFlinkCluster
from millstream.engine.cluster_manager import ClusterManager, FlinkProbe

pytestmark = pytest.mark.flink

KEY = "ws/session-a"
SQL = """\
CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TEMPORARY TABLE dst (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO dst SELECT id FROM src;
"""


@dataclass
class Started:
    manager: ClusterManager
    data_dir: Path
    rest_url: str
    seconds: float


def _spec() -> ProcessSpec:
    return ProcessSpec(
        key=KEY,
        taskmanagers=1,
        slots=2,
        jobmanager_memory="1024m",
        taskmanager_memory="1024m",
        flink_conf={"pipeline.object-reuse": True},
        logging=Logging(log4j_loggers=(("org.apache.flink.runtime.checkpoint", "WARN"),)),
    )


def _manager(data_dir: Path) -> ClusterManager:
    return ClusterManager(
        data_dir=data_dir,
        flink=FlinkSettings(checkpoint_interval="2s"),
        runtime=FlinkRuntime.detect(),
    )


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Started]:
    data_dir = tmp_path_factory.mktemp("clusters")
    manager = _manager(data_dir)
    began = time.monotonic()
    assert manager.ensure(_spec()).status is ProcessStatus.STARTING
    state = manager.wait(KEY, timeout=180)
    seconds = time.monotonic() - began
    print(f"\nsession cluster start (1 TM, ensure -> RUNNING): {seconds:.1f} s")  # noqa: T201
    assert state.status is ProcessStatus.RUNNING, state.failure
    assert state.rest_url is not None
    try:
        yield Started(manager, data_dir, state.rest_url, seconds)
    finally:
        manager.stop_all()


@pytest.fixture(scope="module")
def flink(started: Started) -> Iterator[RestFlinkCluster]:
    engine = FlinkEngine(
        data_dir=started.data_dir, runtime=FlinkRuntime.detect(), request_timeout=60
    )
    yield engine.cluster(
        Cluster(
            id=str(uuid.uuid4()),
            workspace="ws",
            namespace="ns",
            name="session-a",
            kind=ClusterKind.SESSION,
            rest_url=started.rest_url,
        )
    )
    engine.close()


def test_session_cluster_runs_with_its_size_conf_and_logging(started: Started) -> None:
    deadline = time.monotonic() + 30
    overview = FlinkProbe().check(started.rest_url)
    while overview["slots-total"] == 0 and time.monotonic() < deadline:
        time.sleep(0.3)  # the TaskManager registers before it reports its slots
        overview = FlinkProbe().check(started.rest_url)
    assert (overview["taskmanagers"], overview["slots-total"]) == (1, 2)
    conf_dir = started.data_dir / "clusters" / "ws" / "session-a" / "flink" / "conf"
    assert "object-reuse: true" in (conf_dir / "config.yaml").read_text()
    log4j = (conf_dir / "log4j-console.properties").read_text()
    assert "org.apache.flink.runtime.checkpoint" in log4j
    assert started.seconds < 120


def test_sql_job_runs_on_the_session_cluster(flink: RestFlinkCluster) -> None:
    job_id = uuid.uuid4().hex
    flink.submit(
        Submission(
            flink_job_id=job_id,
            job_name="on-session",
            artifact=Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=SQL),
            execution_mode=ExecutionMode.STREAMING,
            parallelism=2,
            flink_conf={},
        )
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        row = next((j for j in flink.list_jobs() if j.flink_job_id == job_id), None)
        if row is not None and row.all_running:
            return
        time.sleep(0.3)
    raise AssertionError("the SQL job did not reach RUNNING on the session cluster")


def test_restarted_manager_adopts_the_cluster_and_its_jobs(
    started: Started, flink: RestFlinkCluster
) -> None:
    jobs_before = {j.flink_job_id for j in flink.list_jobs() if j.state == "RUNNING"}
    second = _manager(started.data_dir)
    began = time.monotonic()
    second.ensure(_spec())
    state = second.wait(KEY, timeout=60)
    assert state.status is ProcessStatus.RUNNING
    assert state.rest_url == started.rest_url
    assert time.monotonic() - began < 5  # adopted, not restarted
    assert {j.flink_job_id for j in flink.list_jobs() if j.state == "RUNNING"} == jobs_before

    assert second.release(KEY).status is ProcessStatus.STOPPING
    assert second.wait(KEY, timeout=60).status is ProcessStatus.STOPPED
    assert second.log_dir(KEY).is_dir()  # logs stay readable after the stop
    leftover = LocalCluster(
        data_dir=started.data_dir / "clusters" / "ws" / "session-a", flink=FlinkSettings()
    )
    assert leftover.surviving_pids() == []
    second.stop_all()


def test_probe_refuses_what_is_not_flink() -> None:
    with pytest.raises(InvalidInput, match="http"):
        FlinkProbe().check("ftp://127.0.0.1:1")
    with pytest.raises(EngineUnavailable):
        FlinkProbe(timeout=1).check("http://127.0.0.1:1")
