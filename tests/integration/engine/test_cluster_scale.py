"""A running session cluster follows its TaskManager count on real Flink
(``ClusterManager.ensure`` -> ``LocalCluster.scale``): TaskManagers are added live, named
by their role in Flink's ``/taskmanagers``; a shrink stops only idle ones while a job
runs; a restarted Millstream adopts the resized cluster without restarting it, and
grows it to the size it wants."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from millstream.config import FlinkSettings
from millstream.control.cluster_ports import ProcessSpec, ProcessStatus
from millstream.control.ports import Submission
from millstream.domain.artifacts import Artifact, ArtifactKind, ExecutionMode
from millstream.domain.clusters import Cluster, ClusterKind, TaskManagerSlots
from millstream.engine import FlinkEngine, FlinkRuntime
from millstream.engine.cluster_manager import ClusterManager, FlinkProbe

pytestmark = pytest.mark.flink

KEY = "ws/scaled"
SPEC = ProcessSpec(
    key=KEY, taskmanagers=1, slots=1, jobmanager_memory="1024m", taskmanager_memory="1024m"
)
SQL = """\
CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TEMPORARY TABLE dst (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO dst SELECT id FROM src;
"""


def _manager(data_dir: Path) -> ClusterManager:
    return ClusterManager(
        data_dir=data_dir,
        flink=FlinkSettings(checkpoint_interval="2s"),
        runtime=FlinkRuntime.detect(),
    )


def _until(
    manager: ClusterManager, spec: ProcessSpec, rest_url: str, want: int
) -> list[TaskManagerSlots]:
    """Keep calling ``ensure`` (as the reconciler's ticks do) until Flink shows ``want``."""
    deadline = time.monotonic() + 90
    rows: list[TaskManagerSlots] = []
    while time.monotonic() < deadline:
        assert manager.ensure(spec).status is ProcessStatus.RUNNING
        rows = FlinkProbe().taskmanagers(rest_url)
        if len(rows) == want and all(r.slots for r in rows):
            return rows
        time.sleep(0.5)
    raise AssertionError(f"Flink shows {rows}, not {want} TaskManagers")


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scaled")


@pytest.fixture
def manager(data_dir: Path) -> Iterator[ClusterManager]:
    started = _manager(data_dir)
    started.ensure(SPEC)
    state = started.wait(KEY, timeout=180)
    assert state.status is ProcessStatus.RUNNING, state.failure
    try:
        yield started
    finally:
        started.stop_all()


def test_taskmanagers_are_added_and_only_idle_ones_removed_then_adopted(
    manager: ClusterManager, data_dir: Path
) -> None:
    rest_url = manager.state(KEY).rest_url
    assert rest_url is not None
    assert [r.id for r in _until(manager, SPEC, rest_url, 1)] == ["taskmanager-0"]

    three = replace(SPEC, taskmanagers=3)
    rows = _until(manager, three, rest_url, 3)
    assert sorted(r.id for r in rows) == ["taskmanager-0", "taskmanager-1", "taskmanager-2"]
    state_file = data_dir / "clusters" / "ws" / "scaled" / "flink" / "run" / "cluster.json"
    recorded = json.loads(state_file.read_text())["pids"]
    assert sorted(recorded) == ["jobmanager", "taskmanager-0", "taskmanager-1", "taskmanager-2"]

    # A job in one slot: shrinking to one TaskManager keeps the one it runs on.
    engine = FlinkEngine(data_dir=data_dir, runtime=FlinkRuntime.detect(), request_timeout=60)
    flink = engine.cluster(
        Cluster(
            id=str(uuid.uuid4()),
            workspace="ws",
            namespace="ns",
            name="scaled",
            kind=ClusterKind.SESSION,
            rest_url=rest_url,
        )
    )
    job_id = uuid.uuid4().hex
    try:
        flink.submit(
            Submission(
                flink_job_id=job_id,
                job_name="pinned",
                artifact=Artifact(kind=ArtifactKind.SQLSCRIPT, sql_script=SQL),
                execution_mode=ExecutionMode.STREAMING,
                parallelism=1,
                flink_conf={},
            )
        )
        deadline = time.monotonic() + 90
        busy: list[str] = []
        while time.monotonic() < deadline and not busy:
            busy = [r.id for r in FlinkProbe().taskmanagers(rest_url) if not r.idle]
            time.sleep(0.3)
        assert len(busy) == 1, "the job took no slot"

        kept = _until(manager, replace(SPEC, taskmanagers=1), rest_url, 1)
        assert [r.id for r in kept] == busy  # the busy one stayed, the idle ones went
        row = next(j for j in flink.list_jobs() if j.flink_job_id == job_id)
        assert row.state == "RUNNING"

        # A restarted Millstream that wants 2 adopts the 1 it finds (no restart: same
        # pids, the job keeps running) and starts the second next to it.
        pids = json.loads(state_file.read_text())["pids"]
        assert sorted(pids) == ["jobmanager", *busy]
        second = _manager(data_dir)
        try:
            two = replace(SPEC, taskmanagers=2)
            second.ensure(two)
            assert second.wait(KEY, timeout=60).status is ProcessStatus.RUNNING
            rows = _until(second, two, rest_url, 2)
            recorded = json.loads(state_file.read_text())["pids"]
            assert {role: recorded[role] for role in pids} == pids
            assert len(recorded) == 3
            assert busy[0] in {r.id for r in rows}
            row = next(j for j in flink.list_jobs() if j.flink_job_id == job_id)
            assert row.state == "RUNNING"
        finally:
            second.stop_all()
    finally:
        engine.close()
