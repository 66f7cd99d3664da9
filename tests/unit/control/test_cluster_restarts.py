"""JobManager resizes that carry running jobs (``control.services.cluster_restarts`` and
its coordinator), on the in-memory store, a fake Flink and fake cluster processes that
restart on a new generation, with the reconciler ticking before each coordinator step as
the daemon does."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from millstream.control.cluster_ports import ProcessSpec, ProcessState, ProcessStatus
from millstream.control.cluster_restarts import ClusterRestartCoordinator
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.ports import Page
from millstream.control.reconciler import Reconciler
from millstream.control.services.cluster_restarts import ClusterRestartService
from millstream.control.services.clusters import ClusterService, SessionClusterPatch
from millstream.domain.cluster_restarts import ClusterRestart, ClusterRestartPhase
from millstream.domain.clusters import SLOTS_KEY, Cluster, ClusterStatus
from millstream.domain.errors import Conflict
from millstream.domain.events import EventName
from millstream.domain.jobs import DesiredState, Job, JobStatus
from millstream.domain.resources import ResourceSetting, ResourceSpec
from tests.unit.control.conftest import ALICE, SCOPE, World

URL = "http://127.0.0.1:18999"
BIGGER = ResourceSpec(4.0, "4 GiB")


class _Repos:
    def __init__(self, rows: dict[str, ClusterRestart]) -> None:
        self.rows = rows

    def read_cluster_restart(self, *, restart_id: str) -> ClusterRestart | None:
        return copy.deepcopy(self.rows.get(restart_id))

    def read_open_cluster_restarts(
        self, *, workspace: str | None = None, cluster: str | None = None
    ) -> list[ClusterRestart]:
        return [
            copy.deepcopy(r)
            for r in self.rows.values()
            if r.is_open
            and (workspace is None or r.workspace == workspace)
            and (cluster is None or r.cluster == cluster)
        ]

    def create_cluster_restart(self, *, restart: ClusterRestart) -> None:
        self.rows[restart.id] = copy.deepcopy(restart)

    def update_cluster_restart(self, *, restart: ClusterRestart) -> None:
        self.rows[restart.id] = copy.deepcopy(restart)


class InMemoryClusterRestartStore:
    def __init__(self) -> None:
        self.rows: dict[str, ClusterRestart] = {}

    @contextmanager
    def transaction(self) -> Iterator[_Repos]:
        working = copy.deepcopy(self.rows)
        yield _Repos(working)
        self.rows = working


@dataclasses.dataclass
class Processes:
    """A session cluster's processes: a newer generation restarts them (STARTING for
    ``restart_ticks`` ensures, then RUNNING)."""

    generation: int = -1
    starting: int = 0
    restart_ticks: int = 1
    specs: list[ProcessSpec] = dataclasses.field(default_factory=list)

    def ensure(self, spec: ProcessSpec) -> ProcessState:
        self.specs.append(spec)
        if spec.generation > self.generation:
            self.generation, self.starting = spec.generation, self.restart_ticks
        if self.starting > 0:
            self.starting -= 1
            return ProcessState(ProcessStatus.STARTING, URL)
        return ProcessState(ProcessStatus.RUNNING, URL)

    def release(self, key: str) -> ProcessState:  # noqa: ARG002
        return ProcessState(ProcessStatus.STOPPED)

    def state(self, key: str) -> ProcessState:  # noqa: ARG002
        return ProcessState(ProcessStatus.RUNNING, URL)


class Probe:
    def check(self, rest_url: str) -> dict[str, Any]:  # noqa: ARG002
        return {"taskmanagers": 2, "flink-version": "2.3.0"}


@dataclasses.dataclass
class Rig:
    world: World
    clusters: ClusterService
    service: ClusterRestartService
    coordinator: ClusterRestartCoordinator
    restarts: InMemoryClusterRestartStore
    processes: Processes
    reconciler: Reconciler
    now: list[datetime]

    def tick(self, times: int = 1) -> None:
        """One daemon tick: the reconciler, then the coordinator."""
        for _ in range(times):
            self.reconciler.run_iteration()
            self.coordinator.run_iteration()

    def cluster(self) -> Cluster:
        return self.clusters.get_session_cluster(SCOPE, "s1")

    def job(self, job_id: str) -> Job:
        return self.world.services.jobs.get(SCOPE, job_id)

    def run_flink_jobs(self) -> None:
        """Every job Flink was given starts running (then one tick records it)."""
        for flink_job_id, job in self.world.flink.jobs.items():
            if job.state not in ("RUNNING", "FINISHED", "CANCELED", "FAILED"):
                self.world.flink.set_state(flink_job_id, "RUNNING")

    def running_job(self, name: str) -> Job:
        dep = self.world.deployment(name=name, cluster="s1")
        job = self.world.services.jobs.start(SCOPE, ALICE, dep.id)
        self.reconciler.run_iteration()
        self.run_flink_jobs()
        self.reconciler.run_iteration()
        found = self.job(job.id)
        assert found.status is JobStatus.RUNNING, found.status
        return found

    def stored(self, restart_id: str) -> ClusterRestart:
        return self.service.get(SCOPE, restart_id)

    def events(self, job_id: str) -> list[str]:
        with self.world.store.transaction() as repos:
            found, _ = repos.read_events(
                workspace=SCOPE.workspace,
                namespace=SCOPE.namespace,
                page=Page(offset=0, limit=100),
                job_id=job_id,
            )
        return [f"{e.name.value}: {e.message}" for e in found]


@pytest.fixture
def rig(world: World) -> Iterator[Rig]:
    processes = Processes()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    clusters = ClusterService(world.store, Probe(), versions, default_workspace="ws")
    reconciler = Reconciler(
        world.store,
        world.engine,
        details_interval=0.0,
        processes=processes,
        per_job_clusters=False,
        default_slots=2,
    )
    restarts = InMemoryClusterRestartStore()
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    service = ClusterRestartService(
        restarts, world.store, world.services.jobs, clusters, clock=lambda: now[0]
    )
    coordinator = ClusterRestartCoordinator(
        restarts, world.store, world.services.jobs, clusters, timeout=60, clock=lambda: now[0]
    )
    clusters.create_session_cluster(
        SCOPE,
        ALICE,
        SessionClusterPatch(
            name="s1", resources=ResourceSetting(parallelism=4), flink_conf={SLOTS_KEY: 2}
        ),
    )
    clusters.start_session_cluster(SCOPE, ALICE, "s1")
    found = Rig(world, clusters, service, coordinator, restarts, processes, reconciler, now)
    found.tick(2)
    assert found.cluster().status is ClusterStatus.RUNNING
    yield found
    reconciler.close()


def _through_restart(rig: Rig, restart_id: str) -> None:
    """Tick until the operation is RESUMING (the cluster restarted)."""
    for _ in range(8):
        rig.tick()
        if rig.stored(restart_id).phase is not ClusterRestartPhase.RESTARTING and (
            rig.stored(restart_id).phase is not ClusterRestartPhase.SUSPENDING
        ):
            return


def test_running_jobs_are_suspended_the_cluster_restarts_and_they_resume(rig: Rig) -> None:
    first, second = rig.running_job("orders"), rig.running_job("payments")
    before = rig.cluster()
    restart = rig.service.resize_jobmanager(SCOPE, ALICE, "s1", BIGGER)
    assert restart is not None
    assert restart.phase is ClusterRestartPhase.SUSPENDING
    assert sorted(restart.job_ids) == sorted([first.id, second.id])
    assert rig.job(first.id).desired is DesiredState.SUSPENDED
    assert rig.cluster().resources.jobmanager == before.resources.jobmanager  # not yet

    _through_restart(rig, restart.id)
    stored = rig.stored(restart.id)
    assert stored.phase is ClusterRestartPhase.RESUMING, stored
    cluster = rig.cluster()
    assert cluster.resources.jobmanager == BIGGER
    assert cluster.generation == before.generation + 1
    assert cluster.started_at != before.started_at
    assert rig.processes.specs[-1].jobmanager_memory == "4096m"
    for job_id in (first.id, second.id):
        job = rig.job(job_id)
        assert job.desired is DesiredState.RUNNING
        assert job.stop_savepoint_id is not None  # the suspend's savepoint, resumed from

    rig.reconciler.run_iteration()  # resubmits them on the restarted cluster
    rig.run_flink_jobs()
    rig.tick(2)
    done = rig.stored(restart.id)
    assert done.phase is ClusterRestartPhase.DONE, done
    assert rig.job(first.id).status is JobStatus.RUNNING
    assert rig.job(first.id).attempt > first.attempt
    events = rig.events(first.id)
    why = "the JobManager resize of cluster 's1' to 4 CPU, 4 GiB"
    assert any(e.startswith(EventName.JOB_SUSPEND_REQUESTED.value) and why in e for e in events)
    assert any(e.startswith(EventName.JOB_RESUME_REQUESTED.value) and why in e for e in events)


def test_a_cluster_without_running_jobs_is_resized_at_once(rig: Rig) -> None:
    before = rig.cluster()
    assert rig.service.resize_jobmanager(SCOPE, ALICE, "s1", BIGGER) is None
    assert rig.cluster().generation == before.generation + 1
    assert rig.restarts.rows == {}


def test_a_second_resize_is_refused_while_one_is_open(rig: Rig) -> None:
    rig.running_job("orders")
    first = rig.service.resize_jobmanager(SCOPE, ALICE, "s1", BIGGER)
    assert first is not None
    with pytest.raises(Conflict, match="already being restarted"):
        rig.service.resize_jobmanager(SCOPE, ALICE, "s1", ResourceSpec(8.0, "8 GiB"))
    assert list(rig.service.open_restarts(SCOPE)) == ["s1"]


def test_jobs_are_not_carried_off_a_cluster_that_is_not_running(rig: Rig) -> None:
    job = rig.running_job("orders")
    with rig.world.store.transaction() as repos:
        cluster = repos.read_cluster(workspace="ws", name="s1")
        assert cluster is not None
        cluster.status = ClusterStatus.STARTING
        repos.update_cluster(cluster=cluster)
    with pytest.raises(Conflict, match="only while it is RUNNING"):
        rig.service.resize_jobmanager(SCOPE, ALICE, "s1", BIGGER)
    assert rig.job(job.id).desired is DesiredState.RUNNING
    assert rig.restarts.rows == {}


def test_a_failed_suspend_fails_the_resize_and_leaves_the_cluster(rig: Rig) -> None:
    job = rig.running_job("orders")
    before = rig.cluster()
    rig.world.flink.savepoint_failure = "disk full"
    restart = rig.service.resize_jobmanager(SCOPE, ALICE, "s1", BIGGER)
    assert restart is not None
    rig.tick(4)
    failed = rig.stored(restart.id)
    assert failed.phase is ClusterRestartPhase.FAILED
    assert failed.failure_reason == "SuspendFailed"
    assert failed.message is not None
    assert f"suspend of job {job.id} failed" in failed.message
    after = rig.cluster()
    assert (after.resources.jobmanager, after.generation) == (
        before.resources.jobmanager,
        before.generation,
    )
    assert rig.job(job.id).status is JobStatus.RUNNING
    # A new resize may be asked for now.
    rig.world.flink.savepoint_failure = None
    assert rig.service.resize_jobmanager(SCOPE, ALICE, "s1", BIGGER) is not None


def test_a_crash_before_the_suspends_is_picked_up_by_the_coordinator(rig: Rig) -> None:
    job = rig.running_job("orders")
    crashed = ClusterRestart(
        id="r-1",
        workspace="ws",
        namespace="ns",
        cluster="s1",
        jobmanager=BIGGER,
        job_ids=[job.id],
        creator=ALICE.id,
        created_at=rig.now[0],
        modified_at=rig.now[0],
    )
    with rig.restarts.transaction() as repos:
        repos.create_cluster_restart(restart=crashed)  # REQUESTED, nothing suspended
    rig.coordinator.run_iteration()
    assert rig.stored("r-1").phase is ClusterRestartPhase.SUSPENDING
    assert rig.job(job.id).desired is DesiredState.SUSPENDED
    rig.coordinator.run_iteration()  # repeated: asks nothing twice
    assert rig.job(job.id).desired is DesiredState.SUSPENDED
    _through_restart(rig, "r-1")
    assert rig.stored("r-1").phase is ClusterRestartPhase.RESUMING


def test_a_crash_between_recording_the_restart_and_applying_the_size_applies_it(
    rig: Rig,
) -> None:
    job = rig.running_job("orders")
    restart = rig.service.resize_jobmanager(SCOPE, ALICE, "s1", BIGGER)
    assert restart is not None
    for _ in range(4):  # the suspend completes
        rig.reconciler.run_iteration()
    assert rig.job(job.id).status is JobStatus.SUSPENDED
    before = rig.cluster()
    with rig.restarts.transaction() as repos:  # RESTARTING recorded, size never applied
        stored = repos.read_cluster_restart(restart_id=restart.id)
        assert stored is not None
        stored.move_to(ClusterRestartPhase.RESTARTING)
        stored.previous_start = before.started_at
        repos.update_cluster_restart(restart=stored)
    fresh = ClusterRestartCoordinator(
        rig.restarts,
        rig.world.store,
        rig.world.services.jobs,
        rig.clusters,
        clock=lambda: rig.now[0],
    )
    fresh.run_iteration()
    assert rig.cluster().resources.jobmanager == BIGGER
    assert rig.cluster().generation == before.generation + 1
    fresh.run_iteration()  # the cluster has not restarted yet: nothing resumes
    assert rig.job(job.id).desired is DesiredState.SUSPENDED
    rig.reconciler.run_iteration()
    rig.reconciler.run_iteration()
    fresh.run_iteration()
    assert rig.stored(restart.id).phase is ClusterRestartPhase.RESUMING
    assert rig.job(job.id).desired is DesiredState.RUNNING


def test_a_cluster_that_does_not_come_back_times_out_and_names_the_parked_jobs(
    rig: Rig,
) -> None:
    job = rig.running_job("orders")
    rig.processes.restart_ticks = 1000  # the restart never finishes
    restart = rig.service.resize_jobmanager(SCOPE, ALICE, "s1", BIGGER)
    assert restart is not None
    rig.tick(4)
    assert rig.stored(restart.id).phase is ClusterRestartPhase.RESTARTING
    rig.now[0] += timedelta(seconds=61)
    rig.tick()
    failed = rig.stored(restart.id)
    assert failed.phase is ClusterRestartPhase.FAILED
    assert failed.failure_reason == "RestartTimedOut"
    assert failed.message is not None
    assert "not back after 60 s" in failed.message
    assert f"orders ({job.id})" in failed.message
    assert rig.job(job.id).status is JobStatus.SUSPENDED


def test_a_job_started_on_the_cluster_meanwhile_fails_the_resize_before_it_applies(
    rig: Rig,
) -> None:
    job = rig.running_job("orders")
    before = rig.cluster()
    restart = rig.service.resize_jobmanager(SCOPE, ALICE, "s1", BIGGER)
    assert restart is not None
    for _ in range(4):  # the suspend completes; the coordinator has not looked yet
        rig.reconciler.run_iteration()
    assert rig.job(job.id).status is JobStatus.SUSPENDED
    late = rig.world.deployment(name="late", cluster="s1")
    rig.world.services.jobs.start(SCOPE, ALICE, late.id)
    rig.coordinator.run_iteration()
    failed = rig.stored(restart.id)
    assert failed.phase is ClusterRestartPhase.FAILED
    assert failed.failure_reason == "ResizeRefused"
    assert failed.message is not None
    assert "deployments late" in failed.message
    assert f"orders ({job.id})" in failed.message
    assert rig.cluster().resources.jobmanager == before.resources.jobmanager
    assert rig.job(job.id).status is JobStatus.SUSPENDED
