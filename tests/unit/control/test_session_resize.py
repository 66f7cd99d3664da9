"""Resizing a running session cluster (``control.services.session_resize``): the checks
before anything is written, and the stored spec the reconciler then hands the processes
(fake processes, a fake TaskManager probe, the in-memory store)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from millstream.control.cluster_ports import ProcessSpec, ProcessState, ProcessStatus
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.reconciler import Reconciler
from millstream.control.services.clusters import ClusterService, SessionClusterPatch
from millstream.domain.clusters import SLOTS_KEY, ClusterStatus, TaskManagerSlots
from millstream.domain.errors import Conflict, EngineUnavailable, InvalidInput, Unavailable
from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.resources import ResourceSetting, ResourceSpec
from tests.unit.control.conftest import ALICE, SCOPE, World

URL = "http://127.0.0.1:18999"


@dataclass
class Processes:
    """Every ensure answers RUNNING at once and remembers the spec it was given."""

    specs: list[ProcessSpec] = field(default_factory=list)

    def ensure(self, spec: ProcessSpec) -> ProcessState:
        self.specs.append(spec)
        return ProcessState(ProcessStatus.RUNNING, URL)

    def release(self, key: str) -> ProcessState:  # noqa: ARG002
        return ProcessState(ProcessStatus.STOPPED)

    def state(self, key: str) -> ProcessState:  # noqa: ARG002
        return ProcessState(ProcessStatus.RUNNING, URL)


@dataclass
class Probe:
    """Flink's ``/taskmanagers`` of the one cluster: (id, slots, free) rows."""

    rows: list[TaskManagerSlots] = field(default_factory=list)
    down: bool = False

    def check(self, rest_url: str) -> dict[str, Any]:  # noqa: ARG002
        return {"taskmanagers": len(self.rows), "flink-version": "2.3.0"}

    def taskmanagers(self, rest_url: str) -> list[TaskManagerSlots]:
        assert rest_url == URL
        if self.down:
            raise EngineUnavailable("connection refused")
        return list(self.rows)


@dataclass
class Resize:
    world: World
    service: ClusterService
    probe: Probe
    processes: Processes
    reconciler: Reconciler

    def tick(self) -> None:
        self.reconciler.run_iteration()

    def flink_has(self, *used: int, slots: int = 2) -> None:
        """Flink shows one TaskManager per entry, ``used`` of its slots taken."""
        self.probe.rows = [
            TaskManagerSlots(f"taskmanager-{n}", slots, slots - u) for n, u in enumerate(used)
        ]


@pytest.fixture
def resize(world: World) -> Iterator[Resize]:
    probe, processes = Probe(), Processes()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    service = ClusterService(world.store, probe, versions, default_workspace="ws", default_slots=2)
    reconciler = Reconciler(
        world.store,
        world.engine,
        details_interval=0.0,
        processes=processes,
        per_job_clusters=False,
        default_slots=2,
    )
    found = Resize(world, service, probe, processes, reconciler)
    service.create_session_cluster(
        SCOPE,
        ALICE,
        SessionClusterPatch(
            name="s1",
            resources=ResourceSetting(parallelism=2 * 2),
            flink_conf={SLOTS_KEY: 2},
        ),
    )
    service.start_session_cluster(SCOPE, ALICE, "s1")
    found.tick()
    assert service.get_session_cluster(SCOPE, "s1").status is ClusterStatus.RUNNING
    yield found
    reconciler.close()


def test_expand_stores_the_new_count_and_the_processes_follow(resize: Resize) -> None:
    resize.flink_has(0, 0)
    cluster = resize.service.expand_session_cluster(SCOPE, ALICE, "s1", 5)
    assert cluster.size(default_slots=2).taskmanagers == 5
    resize.tick()
    assert resize.processes.specs[-1].taskmanagers == 5
    assert resize.processes.specs[-1].slots == 2


@pytest.mark.parametrize("count", [1, 2, 65])
def test_expand_takes_a_larger_count_within_the_bound(resize: Resize, count: int) -> None:
    resize.flink_has(0, 0)
    with pytest.raises(InvalidInput, match="expanding takes a larger count"):
        resize.service.expand_session_cluster(SCOPE, ALICE, "s1", count)


def test_shrink_takes_idle_taskmanagers_newest_first(resize: Resize) -> None:
    resize.flink_has(0, 0)
    resize.service.expand_session_cluster(SCOPE, ALICE, "s1", 4)
    resize.flink_has(1, 0, 2, 0)  # taskmanager-1 and taskmanager-3 are idle
    cluster, removed = resize.service.shrink_session_cluster(SCOPE, ALICE, "s1", count=1)
    assert removed == ["taskmanager-3"]
    assert cluster.size(default_slots=2).taskmanagers == 3
    resize.tick()
    assert resize.processes.specs[-1].taskmanagers == 3


def test_shrink_never_takes_slots_that_jobs_use_and_says_which(resize: Resize) -> None:
    resize.flink_has(1, 2)
    with pytest.raises(Conflict, match="only 0 have all their slots free") as refused:
        resize.service.shrink_session_cluster(SCOPE, ALICE, "s1", count=1)
    assert "taskmanager-0 1 used/1 free" in refused.value.message
    assert "taskmanager-1 2 used/0 free" in refused.value.message
    with pytest.raises(Conflict, match="taskmanager-1 2 used/0 free"):
        resize.service.shrink_session_cluster(SCOPE, ALICE, "s1", named=["taskmanager-1"])
    stored = resize.service.get_session_cluster(SCOPE, "s1")
    assert stored.size(default_slots=2).taskmanagers == 2  # nothing written


def test_shrink_by_name_checks_the_names(resize: Resize) -> None:
    resize.flink_has(0, 0)
    with pytest.raises(InvalidInput, match="no TaskManager taskmanager-7"):
        resize.service.shrink_session_cluster(SCOPE, ALICE, "s1", named=["taskmanager-7"])
    with pytest.raises(InvalidInput, match="keeps at least 1"):
        resize.service.shrink_session_cluster(SCOPE, ALICE, "s1", count=2)
    _, removed = resize.service.shrink_session_cluster(SCOPE, ALICE, "s1", named=["taskmanager-0"])
    assert removed == ["taskmanager-0"]


def test_resize_waits_for_a_cluster_still_changing_size(resize: Resize) -> None:
    resize.flink_has(0, 0)
    resize.service.expand_session_cluster(SCOPE, ALICE, "s1", 3)
    resize.flink_has(0, 0)  # the third has not registered yet
    with pytest.raises(Conflict, match="still changing size"):
        resize.service.shrink_session_cluster(SCOPE, ALICE, "s1", count=1)


def test_resize_needs_a_running_cluster_that_answers(resize: Resize) -> None:
    resize.probe.down = True
    with pytest.raises(Unavailable, match="did not answer"):
        resize.service.expand_session_cluster(SCOPE, ALICE, "s1", 3)
    resize.service.stop_session_cluster(SCOPE, ALICE, "s1")
    with pytest.raises(Conflict, match="only a RUNNING cluster"):
        resize.service.expand_session_cluster(SCOPE, ALICE, "s1", 3)


def test_jobmanager_resize_restarts_through_a_new_generation(resize: Resize) -> None:
    before = resize.service.get_session_cluster(SCOPE, "s1")
    bigger = ResourceSpec(4.0, "4 GiB")
    cluster = resize.service.resize_jobmanager(SCOPE, ALICE, "s1", bigger)
    assert cluster.resources.jobmanager == bigger
    assert cluster.generation == before.generation + 1
    resize.tick()
    spec = resize.processes.specs[-1]
    assert (spec.jobmanager_memory, spec.generation) == ("4096m", cluster.generation)
    again = resize.service.resize_jobmanager(SCOPE, ALICE, "s1", bigger)
    assert again.generation == cluster.generation  # the same size: nothing restarts


def test_jobmanager_resize_is_refused_while_jobs_run_and_names_them(resize: Resize) -> None:
    world = resize.world
    dep = world.deployment(name="orders", cluster="s1")
    world.services.jobs.start(SCOPE, ALICE, dep.id)
    with pytest.raises(Conflict, match="deployments orders") as refused:
        resize.service.resize_jobmanager(SCOPE, ALICE, "s1", ResourceSpec(4.0, "4 GiB"))
    assert "new JobManager size" in refused.value.message
    stored = resize.service.get_session_cluster(SCOPE, "s1")
    assert stored.resources.jobmanager == ResourceSetting().jobmanager


def test_suspended_jobs_do_not_hold_back_a_jobmanager_resize(resize: Resize) -> None:
    world = resize.world
    dep = world.deployment(name="paused", cluster="s1")
    job = world.services.jobs.start(SCOPE, ALICE, dep.id)
    with world.store.transaction() as repos:
        parked = repos.read_job(job_id=job.id)
        assert parked is not None
        parked.status, parked.desired = JobStatus.SUSPENDED, DesiredState.SUSPENDED
        repos.update_job(job=parked)
    cluster = resize.service.resize_jobmanager(SCOPE, ALICE, "s1", ResourceSpec(4.0, "4 GiB"))
    assert cluster.resources.jobmanager == ResourceSpec(4.0, "4 GiB")
    # Being resumed, it is about to run: that holds the restart back again.
    with world.store.transaction() as repos:
        resuming = repos.read_job(job_id=job.id)
        assert resuming is not None
        resuming.desired = DesiredState.RUNNING
        repos.update_job(job=resuming)
    with pytest.raises(Conflict, match="stop or suspend them first"):
        resize.service.resize_jobmanager(SCOPE, ALICE, "s1", ResourceSpec(8.0, "8 GiB"))
