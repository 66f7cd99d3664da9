"""Runtime clusters: a job whose engine version runs on another runtime than the default
cluster's moves onto that runtime's on-demand cluster, which stops when idle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from millstream.control.engine_versions import EngineVersions
from millstream.control.ports import Page
from millstream.control.reconciler import Reconciler
from millstream.domain.clusters import ClusterDesiredState, ClusterKind, ClusterStatus
from millstream.domain.jobs import JobStatus, StopStrategy
from tests.unit.control.conftest import ALICE, SCOPE, World
from tests.unit.control.test_clusters import FakeProcesses

VERSIONS = EngineVersions(installed=["flink-2.3.0", "flink-1.20.5"], aliases={})
KEY = "ws/runtime-1-20-5"


@pytest.fixture
def processes() -> FakeProcesses:
    return FakeProcesses()


@pytest.fixture
def reconciler(world: World, processes: FakeProcesses) -> Iterator[Reconciler]:
    reconciler = Reconciler(
        world.store,
        world.engine,
        details_interval=0.0,
        processes=processes,
        default_slots=2,
        versions=VERSIONS,
        default_runtime="2.3.0",
        runtime_idle_stop=0.0,
    )
    yield reconciler
    reconciler.close()


def _events(world: World, deployment_id: str) -> list[str]:
    with world.store.transaction() as repos:
        events = repos.read_events(
            workspace="ws", namespace="ns", page=Page(0, 100), deployment_id=deployment_id
        )[0]
    return [event.message for event in events]


def test_a_1_17_job_moves_to_the_1_20_cluster_started_on_demand(
    world: World, processes: FakeProcesses, reconciler: Reconciler
) -> None:
    deployment = world.deployment(engine_version="vvr-8.0.9-flink-1.17")
    job = world.services.jobs.start(SCOPE, ALICE, deployment.id)
    reconciler.run_iteration()
    moved = world.services.jobs.get(SCOPE, job.id)
    assert moved.cluster == "runtime-1-20-5"
    assert moved.flink_job_id is None
    with world.store.transaction() as repos:
        cluster = repos.read_cluster(workspace="ws", name="runtime-1-20-5")
    assert cluster is not None
    assert (cluster.kind, cluster.engine_version) == (ClusterKind.SESSION, "flink-1.20.5")
    assert any(
        "runs on Flink 1.20.5 (requested vvr-8.0.9-flink-1.17; mapped by flink.version_map)" in m
        for m in _events(world, deployment.id)
    )
    for _ in range(3):
        reconciler.run_iteration()
    assert processes.specs[KEY].runtime == "1.20.5"
    running = world.services.jobs.get(SCOPE, job.id)
    assert running.flink_job_id in world.flink.jobs
    assert running.runtime == "1.20.5"


def test_a_job_of_the_default_runtime_stays_and_says_which_runtime_runs_it(
    world: World, processes: FakeProcesses, reconciler: Reconciler
) -> None:
    deployment = world.deployment(engine_version="flink-2.3.0")
    job = world.services.jobs.start(SCOPE, ALICE, deployment.id)
    reconciler.run_iteration()
    submitted = world.services.jobs.get(SCOPE, job.id)
    assert submitted.cluster == "default"
    assert submitted.flink_job_id in world.flink.jobs
    assert submitted.runtime == "2.3.0"
    assert processes.calls == []
    assert any("runs on Flink 2.3.0" in m for m in _events(world, deployment.id))


def test_an_idle_runtime_cluster_stops_and_starts_again_when_needed(
    world: World, processes: FakeProcesses, reconciler: Reconciler
) -> None:
    deployment = world.deployment(engine_version="FLINK_VERSION_1_17")
    job = world.services.jobs.start(SCOPE, ALICE, deployment.id)
    for _ in range(4):
        reconciler.run_iteration()
    world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.NONE)
    for _ in range(4):
        reconciler.run_iteration()
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.CANCELLED
    assert ("release", KEY) in processes.calls
    with world.store.transaction() as repos:
        stopped = repos.read_cluster(workspace="ws", name="runtime-1-20-5")
    assert stopped is not None
    assert (stopped.desired, stopped.status) == (ClusterDesiredState.STOPPED, ClusterStatus.STOPPED)

    again = world.services.jobs.start(SCOPE, ALICE, deployment.id)
    for _ in range(4):
        reconciler.run_iteration()
    with world.store.transaction() as repos:
        restarted = repos.read_cluster(workspace="ws", name="runtime-1-20-5")
    assert restarted is not None
    assert restarted.desired is ClusterDesiredState.STARTED
    assert restarted.generation == stopped.generation + 1
    assert world.services.jobs.get(SCOPE, again.id).flink_job_id in world.flink.jobs


def test_a_runtime_cluster_that_fails_to_start_fails_its_job_and_is_retried_for_the_next(
    world: World, processes: FakeProcesses, reconciler: Reconciler
) -> None:
    processes.fail[KEY] = "jobmanager exited with 1"
    deployment = world.deployment(engine_version="vvr-8.0.9-flink-1.17")
    job = world.services.jobs.start(SCOPE, ALICE, deployment.id)
    for _ in range(3):
        reconciler.run_iteration()
    failed = world.services.jobs.get(SCOPE, job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.failure is not None
    assert failed.failure.message == (
        "runtime Flink cluster runtime-1-20-5 failed to start: jobmanager exited with 1"
    )
    del processes.fail[KEY]
    again = world.services.jobs.start(SCOPE, ALICE, deployment.id)
    for _ in range(4):
        reconciler.run_iteration()
    assert world.services.jobs.get(SCOPE, again.id).flink_job_id in world.flink.jobs
