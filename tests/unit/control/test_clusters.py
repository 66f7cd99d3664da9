"""Session clusters, deployment targets and dedicated clusters: the cluster service and
the reconciler against fake processes, a fake Flink and the in-memory store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from millstream.control.cluster_ports import ProcessSpec, ProcessState, ProcessStatus
from millstream.control.context import Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.reconciler import Reconciler
from millstream.control.services.clusters import ClusterService, SessionClusterPatch, TargetPatch
from millstream.domain.artifacts import ExecutionMode
from millstream.domain.clusters import ClusterDesiredState, ClusterKind, ClusterStatus
from millstream.domain.errors import Conflict, EngineUnavailable, InvalidInput, NotFound
from millstream.domain.jobs import JobStatus, StopStrategy
from millstream.domain.resources import ResourceMode, ResourceSetting, ResourceSpec
from tests.unit.control.conftest import ALICE, SCOPE, World


@dataclass
class FakeProcesses:
    """Starts take one extra ``ensure`` to finish; ``fail`` makes a start fail."""

    running: dict[str, str] = field(default_factory=dict)
    starting: set[str] = field(default_factory=set)
    fail: dict[str, str] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    specs: dict[str, ProcessSpec] = field(default_factory=dict)

    def ensure(self, spec: ProcessSpec) -> ProcessState:
        self.calls.append(("ensure", spec.key))
        self.specs[spec.key] = spec
        if spec.key in self.running:
            return ProcessState(ProcessStatus.RUNNING, self.running[spec.key])
        if spec.key in self.fail:
            return ProcessState(ProcessStatus.FAILED, failure=self.fail[spec.key])
        if spec.key in self.starting:
            self.starting.discard(spec.key)
            self.running[spec.key] = f"http://127.0.0.1/{spec.key}"
            return ProcessState(ProcessStatus.RUNNING, self.running[spec.key])
        self.starting.add(spec.key)
        self.started.append(spec.key)
        return ProcessState(ProcessStatus.STARTING)

    def release(self, key: str) -> ProcessState:
        self.calls.append(("release", key))
        self.running.pop(key, None)
        self.starting.discard(key)
        return ProcessState(ProcessStatus.STOPPED)

    def state(self, key: str) -> ProcessState:
        if key in self.running:
            return ProcessState(ProcessStatus.RUNNING, self.running[key])
        return ProcessState(ProcessStatus.STOPPED)


class FakeProbe:
    def __init__(self) -> None:
        self.reachable: set[str] = {"http://127.0.0.1:18081"}

    def check(self, rest_url: str) -> dict[str, Any]:
        if rest_url not in self.reachable:
            raise EngineUnavailable(f"connection refused: {rest_url}")
        return {"taskmanagers": 1, "flink-version": "2.3.0"}


@dataclass
class Clusters:
    world: World
    processes: FakeProcesses
    service: ClusterService
    reconciler: Reconciler

    def tick(self, times: int = 1) -> None:
        for _ in range(times):
            self.reconciler.run_iteration()


def _clusters(world: World, *, per_job: bool = False) -> Iterator[Clusters]:
    processes = FakeProcesses()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    service = ClusterService(world.store, FakeProbe(), versions, default_workspace="ws")
    reconciler = Reconciler(
        world.store,
        world.engine,
        details_interval=0.0,
        processes=processes,
        per_job_clusters=per_job,
        default_slots=2,
    )
    yield Clusters(world, processes, service, reconciler)
    reconciler.close()


@pytest.fixture
def clusters(world: World) -> Iterator[Clusters]:
    yield from _clusters(world)


@pytest.fixture
def per_job(world: World) -> Iterator[Clusters]:
    yield from _clusters(world, per_job=True)


def _session(c: Clusters, name: str = "s1", **kwargs: Any) -> None:
    c.service.create_session_cluster(SCOPE, ALICE, SessionClusterPatch(name=name, **kwargs))


# --------------------------------------------------------------------------- session clusters


def test_session_cluster_is_created_stopped_and_started_by_the_reconciler(
    clusters: Clusters,
) -> None:
    resources = ResourceSetting(parallelism=5, taskmanager=ResourceSpec(1.0, "1 GiB"))
    _session(clusters, resources=resources, flink_conf={"taskmanager.numberOfTaskSlots": 2})
    cluster = clusters.service.get_session_cluster(SCOPE, "s1")
    assert (cluster.desired, cluster.status) == (
        ClusterDesiredState.STOPPED,
        ClusterStatus.STOPPED,
    )
    clusters.tick()
    assert clusters.processes.calls == []  # stopped stays stopped: nothing to do

    started = clusters.service.start_session_cluster(SCOPE, ALICE, "s1")
    assert started.status is ClusterStatus.STARTING
    clusters.tick()
    assert clusters.service.get_session_cluster(SCOPE, "s1").status is ClusterStatus.STARTING
    clusters.tick()
    running = clusters.service.get_session_cluster(SCOPE, "s1")
    assert running.status is ClusterStatus.RUNNING
    assert running.rest_url == "http://127.0.0.1/ws/s1"
    assert running.started_at is not None
    spec = clusters.processes.specs["ws/s1"]
    assert (spec.taskmanagers, spec.slots, spec.taskmanager_memory) == (3, 2, "1024m")
    assert clusters.processes.started == ["ws/s1"]


def test_session_cluster_stop_and_delete(clusters: Clusters) -> None:
    _session(clusters)
    clusters.service.start_session_cluster(SCOPE, ALICE, "s1")
    clusters.tick(2)
    with pytest.raises(Conflict, match="stop it"):
        clusters.service.delete_session_cluster(SCOPE, ALICE, "s1")
    stopping = clusters.service.stop_session_cluster(SCOPE, ALICE, "s1")
    assert stopping.status is ClusterStatus.STOPPING
    clusters.tick()
    assert ("release", "ws/s1") in clusters.processes.calls
    assert clusters.service.get_session_cluster(SCOPE, "s1").status is ClusterStatus.STOPPED
    clusters.service.delete_session_cluster(SCOPE, ALICE, "s1")
    with pytest.raises(NotFound):
        clusters.service.get_session_cluster(SCOPE, "s1")


def test_jobs_wait_for_their_session_cluster_then_run_on_it(clusters: Clusters) -> None:
    world = clusters.world
    _session(clusters)
    dep = world.deployment(cluster="s1")
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    assert job.cluster == "s1"
    clusters.tick()
    assert world.flink.jobs == {}  # the cluster is STOPPED: the job waits
    clusters.service.start_session_cluster(SCOPE, ALICE, "s1")
    clusters.tick(2)
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.flink_job_id in world.flink.jobs
    with pytest.raises(Conflict, match="still run on it"):
        clusters.service.stop_session_cluster(SCOPE, ALICE, "s1")
    ids = clusters.service.reference_deployment_ids(
        clusters.service.get_session_cluster(SCOPE, "s1")
    )
    assert ids == [dep.id]


def test_failed_start_is_retried_only_after_a_new_start(clusters: Clusters) -> None:
    _session(clusters)
    clusters.processes.fail["ws/s1"] = "out of memory"
    clusters.service.start_session_cluster(SCOPE, ALICE, "s1")
    clusters.tick()
    failed = clusters.service.get_session_cluster(SCOPE, "s1")
    assert failed.status is ClusterStatus.FAILED
    assert failed.failure is not None
    assert failed.failure.message == "out of memory"
    del clusters.processes.fail["ws/s1"]
    restarted = clusters.service.start_session_cluster(SCOPE, ALICE, "s1")
    assert restarted.generation == failed.generation + 1
    clusters.tick(2)
    assert clusters.service.get_session_cluster(SCOPE, "s1").status is ClusterStatus.RUNNING


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (SessionClusterPatch(name="Bad_Name"), "invalid session cluster name"),
        (SessionClusterPatch(name="s1", engine_version="nope-1.0"), "not available here"),
        (
            SessionClusterPatch(name="s1", flink_conf={"taskmanager.numberOfTaskSlots": "x"}),
            "whole number",
        ),
        (
            SessionClusterPatch(name="s1", resources=ResourceSetting(mode=ResourceMode.EXPERT)),
            "BASIC resources only",
        ),
    ],
)
def test_bad_session_cluster_input_is_refused(
    clusters: Clusters, patch: SessionClusterPatch, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        clusters.service.create_session_cluster(SCOPE, ALICE, patch)


def test_session_clusters_are_per_namespace(clusters: Clusters) -> None:
    _session(clusters)
    with pytest.raises(NotFound):
        clusters.service.get_session_cluster(Scope("ws", "other"), "s1")
    assert [c.name for c in clusters.service.list_session_clusters(SCOPE)] == ["s1"]


# --------------------------------------------------------------------------- targets


def test_deployment_target_registration_checks_the_url(clusters: Clusters) -> None:
    service = clusters.service
    with pytest.raises(InvalidInput, match="not reachable"):
        service.create_target(SCOPE, ALICE, "ext", TargetPatch("http://127.0.0.1:1"))
    with pytest.raises(InvalidInput, match="needs its Flink REST URL"):
        service.create_target(SCOPE, ALICE, "ext", TargetPatch())
    target = service.create_target(
        SCOPE, ALICE, "ext", TargetPatch("http://127.0.0.1:18081/", ResourceSpec(4, "16 GiB"))
    )
    assert (target.kind, target.rest_url) == (ClusterKind.EXTERNAL, "http://127.0.0.1:18081")
    assert [c.name for c in service.list_targets(SCOPE)] == ["default", "ext"]
    updated = service.update_target(SCOPE, ALICE, "ext", TargetPatch(quota=ResourceSpec(2, "8g")))
    assert updated.quota == ResourceSpec(2, "8g")
    with pytest.raises(InvalidInput, match="configured by the server"):
        service.delete_target(SCOPE, ALICE, "default")
    service.delete_target(SCOPE, ALICE, "ext")
    assert [c.name for c in service.list_targets(SCOPE)] == ["default"]


def test_deployment_target_with_live_jobs_cannot_be_deleted(clusters: Clusters) -> None:
    clusters.service.create_target(SCOPE, ALICE, "ext", TargetPatch("http://127.0.0.1:18081"))
    dep = clusters.world.deployment(cluster="ext")
    clusters.world.services.jobs.start(SCOPE, ALICE, dep.id)
    with pytest.raises(Conflict, match="still run on it"):
        clusters.service.delete_target(SCOPE, ALICE, "ext")


# --------------------------------------------------------------------------- dedicated


def _job_key(job_id: str) -> str:
    return f"ws/job-{job_id}"


def test_dedicated_cluster_starts_before_submission_and_stops_after_the_job(
    per_job: Clusters,
) -> None:
    world = per_job.world
    resources = ResourceSetting(parallelism=3, taskmanager=ResourceSpec(1.0, "1536m"))
    dep = world.deployment(streaming_resource=resources)
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    key = _job_key(job.id)

    per_job.tick()  # records the dedicated cluster and moves the job onto it
    job = world.services.jobs.get(SCOPE, job.id)
    assert job.cluster == f"job-{job.id}"
    assert job.flink_job_id is None
    assert per_job.processes.calls == []
    per_job.tick()  # starting
    assert [c for c in world.flink.calls if c[0] == "submit"] == []
    per_job.tick()  # running -> submit in the same tick
    submits = [c for c in world.flink.calls if c[0] == "submit"]
    assert len(submits) == 1
    spec = per_job.processes.specs[key]
    assert (spec.taskmanagers, spec.slots, spec.taskmanager_memory) == (2, 2, "1536m")
    assert spec.logging is not None

    world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.NONE)
    per_job.tick(2)
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.CANCELLED
    per_job.tick()
    assert per_job.processes.calls[-1] == ("release", key)
    with world.store.transaction() as repos:
        cluster = repos.read_cluster(workspace="ws", name=f"job-{job.id}")
    assert cluster is not None
    assert (cluster.desired, cluster.status) == (
        ClusterDesiredState.STOPPED,
        ClusterStatus.STOPPED,
    )
    calls = len(per_job.processes.calls)
    per_job.tick()
    assert len(per_job.processes.calls) == calls  # a stopped dedicated cluster is left alone


def test_crash_between_start_and_record_adopts_the_running_cluster(per_job: Clusters) -> None:
    world = per_job.world
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    per_job.tick(2)  # recorded, start in flight (processes STARTING, status STARTING)
    key = _job_key(job.id)
    assert per_job.processes.started == [key]
    # Millstream dies; the processes came up meanwhile but RUNNING was never recorded.
    per_job.processes.starting.discard(key)
    per_job.processes.running[key] = "http://127.0.0.1:40000"
    per_job.reconciler.close()
    per_job.reconciler = Reconciler(
        world.store,
        world.engine,
        details_interval=0.0,
        processes=per_job.processes,
        per_job_clusters=True,
    )
    per_job.tick()
    assert per_job.processes.started == [key]  # found again, not started twice
    with world.store.transaction() as repos:
        clusters = [c for c in repos.read_clusters() if c.kind is ClusterKind.DEDICATED]
    assert len(clusters) == 1
    assert clusters[0].rest_url == "http://127.0.0.1:40000"
    assert len([c for c in world.flink.calls if c[0] == "submit"]) == 1


def test_dedicated_cluster_that_fails_to_start_fails_the_job(per_job: Clusters) -> None:
    world = per_job.world
    dep = world.deployment()
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    per_job.processes.fail[_job_key(job.id)] = "not enough memory"
    per_job.tick(3)
    failed = world.services.jobs.get(SCOPE, job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.failure is not None
    assert "not enough memory" in failed.failure.message
    per_job.tick()
    assert per_job.processes.calls[-1] == ("release", _job_key(job.id))


def test_stop_before_the_dedicated_cluster_is_up_cancels_without_submitting(
    per_job: Clusters,
) -> None:
    world = per_job.world
    job = world.services.jobs.start(SCOPE, ALICE, world.deployment().id)
    per_job.tick(2)
    world.services.jobs.stop(SCOPE, ALICE, job.id, StopStrategy.NONE)
    per_job.tick(2)
    assert world.services.jobs.get(SCOPE, job.id).status is JobStatus.CANCELLED
    assert [c for c in world.flink.calls if c[0] == "submit"] == []


def test_named_session_clusters_never_get_dedicated_clusters(per_job: Clusters) -> None:
    _session(per_job)
    per_job.service.start_session_cluster(SCOPE, ALICE, "s1")
    job = per_job.world.services.jobs.start(SCOPE, ALICE, per_job.world.deployment(cluster="s1").id)
    per_job.tick(3)
    assert per_job.world.services.jobs.get(SCOPE, job.id).cluster == "s1"


# --------------------------------------------------------------------------- resources


_PLAN = {
    "ssgProfiles": [{"name": "default", "cpu": 1.0, "heap": "1 gb", "offHeap": "32 mb"}],
    "nodes": [
        {"id": 1, "type": "Source", "profile": {"group": "default", "parallelism": 3}},
        {"id": 2, "type": "Sink", "profile": {"group": "default", "parallelism": 3}},
    ],
}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {
                "streaming_resource": ResourceSetting(
                    mode=ResourceMode.EXPERT, parallelism=8, resource_plan=json.dumps(_PLAN)
                )
            },
            3,
        ),
        (
            {
                "execution_mode": ExecutionMode.BATCH,
                "batch_resource": ResourceSetting(parallelism=6, max_slot=2),
            },
            2,
        ),
    ],
)
def test_expert_plan_and_max_slot_decide_the_submitted_parallelism(
    clusters: Clusters, kwargs: dict[str, Any], expected: int
) -> None:
    world = clusters.world
    job = world.services.jobs.start(SCOPE, ALICE, world.deployment(**kwargs).id)
    clusters.tick()
    flink_job_id = world.services.jobs.get(SCOPE, job.id).flink_job_id or ""
    assert world.flink.jobs[flink_job_id].submission.parallelism == expected


def test_plans_with_differing_parallelism_are_refused_at_create(clusters: Clusters) -> None:
    plan = json.loads(json.dumps(_PLAN))
    plan["nodes"][1]["profile"]["parallelism"] = 2
    expert = ResourceSetting(mode=ResourceMode.EXPERT, resource_plan=json.dumps(plan))
    with pytest.raises(InvalidInput, match="per-operator parallelism differs"):
        clusters.world.deployment(streaming_resource=expert)
