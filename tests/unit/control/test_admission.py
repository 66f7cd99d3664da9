"""Admission against the in-memory store: placing jobs on queues at start, admitting
waiting jobs in order as capacity frees, timeouts, and the queue service's rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.admission import Admitter, may_submit
from millstream.control.bootstrap import DEMO_SQL, ensure_default_queue, ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.ports import Page
from millstream.control.reconciler import Reconciler
from millstream.control.services import (
    DeploymentPatch,
    DeploymentService,
    EventService,
    JobService,
)
from millstream.control.services.queues import QueuePatch, QueueService
from millstream.domain.admission import AdmissionReason
from millstream.domain.artifacts import Artifact, ArtifactKind
from millstream.domain.clusters import ClusterKind
from millstream.domain.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from millstream.domain.events import EventName
from millstream.domain.jobs import DesiredState, Job, JobStatus, StopStrategy
from millstream.domain.resources import ResourceSetting, ResourceSpec
from tests.factories import make_cluster
from tests.fakes import FakeEngine, FakeFlink, InMemoryStore

SCOPE = Scope("ws", "ns")
ADMIN = Actor("admin-id", "admin")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Rig:
    store: InMemoryStore
    clock: Clock
    deployments: DeploymentService
    jobs: JobService
    queues: QueueService
    events: EventService
    admitter: Admitter

    def deployment(self, name: str, **kwargs: object) -> str:
        patch = DeploymentPatch(
            name=name,
            artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=DEMO_SQL),
            **kwargs,  # type: ignore[arg-type]
        )
        return self.deployments.create(SCOPE, ADMIN, patch).id

    def start(self, name: str, **kwargs: object) -> Job:
        job = self.jobs.start(SCOPE, ADMIN, self.deployment(name, **kwargs))
        self.clock.advance(1)  # distinct enqueue times: first come, first served
        return job

    def job(self, job: Job) -> Job:
        return self.jobs.get(SCOPE, job.id)

    def end(self, job: Job) -> None:
        """The job ended (as the reconciler would record it)."""
        with self.store.transaction() as repos:
            current = repos.read_job(job_id=job.id)
            assert current is not None
            current.move_to(JobStatus.CANCELLED)
            repos.update_job(job=current)

    def messages(self, job: Job, name: EventName) -> list[str]:
        events, _ = self.events.list(SCOPE, Page(0, 100), job_id=job.id)
        return [e.message for e in events if e.name is name]


@pytest.fixture
def rig() -> Rig:
    store = InMemoryStore()
    flink = FakeFlink()
    engine = FakeEngine(flink)
    ensure_defaults(
        store,
        workspace="ws",
        namespace="ns",
        cluster_kind=ClusterKind.EMBEDDED,
        rest_url=flink.rest_url,
    )
    clock = Clock()
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    queues = QueueService(store, default_workspace="ws", clock=clock)
    queues.create(ADMIN, "small", QueuePatch(capacity_cu=2.0))  # one default job
    return Rig(
        store=store,
        clock=clock,
        deployments=DeploymentService(store, engine, versions, clock=clock),
        jobs=JobService(store, engine, Notifier(), clock=clock, embedded_slots=4),
        queues=queues,
        events=EventService(store),
        admitter=Admitter(store, clock=clock),
    )


def test_a_job_in_a_full_queue_waits_then_starts_when_the_first_stops(rig: Rig) -> None:
    first = rig.start("first", queue="small")
    second = rig.start("second", queue="small")
    assert (first.cost_cu, first.queue, first.enqueued_at is not None) == (2.0, "small", True)
    report = rig.admitter.run_iteration()
    assert (report.admitted, report.waiting) == (1, 1)
    first, second = rig.job(first), rig.job(second)
    assert may_submit(first)
    assert not may_submit(second)
    assert second.status is JobStatus.STARTING
    assert second.status_reason == AdmissionReason.WAITING_FOR_RESOURCES
    [waiting] = rig.messages(second, EventName.JOB_WAITING)
    assert "needs 2 CU in queue small, 0 of 2 CU free" in waiting
    rig.admitter.run_iteration()  # no room yet, no second event
    assert len(rig.messages(second, EventName.JOB_WAITING)) == 1
    rig.end(first)
    assert rig.admitter.run_iteration().admitted == 1
    second = rig.job(second)
    assert may_submit(second)
    assert second.status_reason is None
    assert rig.messages(second, EventName.JOB_ADMITTED)


def test_waiting_jobs_are_admitted_by_priority_then_first_come(rig: Rig) -> None:
    blocker = rig.start("blocker", queue="small")
    rig.admitter.run_iteration()
    low = rig.start("low", queue="small", priority=1)
    high = rig.start("high", queue="small", priority=10)
    also_low = rig.start("also-low", queue="small", priority=1)
    rig.admitter.run_iteration()
    behind = rig.messages(also_low, EventName.JOB_WAITING)[0]
    assert f"behind 2 job(s): job {high.id}, job {low.id}" in behind
    order = []
    running = blocker
    for _ in range(3):
        rig.end(running)
        rig.admitter.run_iteration()
        [running] = [
            j
            for j in map(rig.job, (low, high, also_low))
            if j.admitted_at and (j.status is JobStatus.STARTING)
        ]
        order.append(running.id)
    assert order == [high.id, low.id, also_low.id]


def test_a_schedule_timeout_fails_the_waiting_job(rig: Rig) -> None:
    rig.start("blocker", queue="small")
    rig.admitter.run_iteration()
    hurried = rig.start("hurried", queue="small", schedule_timeout_seconds=30)
    rig.admitter.run_iteration()
    rig.clock.advance(28)  # 29 s after it was enqueued (start() moves the clock by 1)
    rig.admitter.run_iteration()
    assert rig.job(hurried).status is JobStatus.STARTING
    rig.clock.advance(2)
    assert rig.admitter.run_iteration().failed == 1
    hurried = rig.job(hurried)
    assert hurried.status is JobStatus.FAILED
    assert hurried.status_reason == AdmissionReason.SCHEDULE_TIMEOUT
    assert hurried.failure is not None
    assert hurried.failure.reason == "SCHEDULE_TIMEOUT"


def test_admission_state_is_in_the_store_so_nothing_is_admitted_twice(rig: Rig) -> None:
    first = rig.start("first", queue="small")
    second = rig.start("second", queue="small")
    rig.admitter.run_iteration()
    # A restarted control plane: a new admitter over the same store.
    again = Admitter(rig.store, clock=rig.clock)
    report = again.run_iteration()
    assert (report.admitted, report.waiting) == (0, 1)
    assert rig.job(first).admitted_at is not None
    assert rig.job(second).admitted_at is None


def test_a_stop_while_waiting_is_left_to_the_reconciler(rig: Rig) -> None:
    rig.start("first", queue="small")
    rig.admitter.run_iteration()
    second = rig.start("second", queue="small")
    rig.jobs.stop(SCOPE, ADMIN, second.id, StopStrategy.NONE)
    assert rig.job(second).desired is DesiredState.STOPPED
    assert rig.admitter.run_iteration().waiting == 0


def test_lowering_capacity_fails_a_waiting_job_that_can_no_longer_fit(rig: Rig) -> None:
    rig.queues.create(ADMIN, "roomy", QueuePatch(capacity_cu=6.0))
    rig.start("a", queue="roomy")
    big = rig.start(
        "big",
        queue="roomy",
        streaming_resource=ResourceSetting(taskmanager=ResourceSpec(4.0, "4 GiB")),
    )
    assert rig.admitter.run_iteration().admitted == 1  # a: 2 CU, big: 5 CU waits
    rig.queues.update(ADMIN, "roomy", QueuePatch(capacity_cu=4.0))
    assert rig.admitter.run_iteration().failed == 1
    failed = rig.job(big)
    assert failed.status_reason == AdmissionReason.INSUFFICIENT_RESOURCES


def test_start_refuses_a_job_that_can_never_fit_its_queue(rig: Rig) -> None:
    with pytest.raises(InvalidInput) as caught:
        rig.start("big", queue="small", streaming_resource=ResourceSetting(parallelism=2))
    assert caught.value.code is ErrorCode.JOB_TOO_LARGE
    assert "needs 3 CU" in caught.value.message
    assert "holds only 2 CU" in caught.value.message


def test_start_refuses_more_slots_than_the_cluster_has_naming_both(rig: Rig) -> None:
    with pytest.raises(InvalidInput) as caught:
        rig.start("wide", streaming_resource=ResourceSetting(parallelism=5))
    assert caught.value.code is ErrorCode.JOB_TOO_LARGE
    assert "needs 5 task slots" in caught.value.message
    assert "has only 4" in caught.value.message


def test_start_checks_the_queue_exists_and_allows_the_namespace(rig: Rig) -> None:
    with pytest.raises(NotFound):
        rig.start("lost", queue="nowhere")
    rig.queues.create(ADMIN, "private", QueuePatch(capacity_cu=4.0, namespaces=("other",)))
    with pytest.raises(PermissionDenied) as caught:
        rig.start("outsider", queue="private")
    assert caught.value.code is ErrorCode.QUEUE_NOT_ALLOWED


def test_default_cluster_jobs_use_the_default_queue_when_there_is_one(rig: Rig) -> None:
    assert rig.start("unqueued").queue is None
    ensure_default_queue(rig.store, workspace="ws", capacity_cu=8.0)
    assert rig.start("queued").queue == "default"


def test_a_deployment_target_quota_is_enforced_through_a_queue(rig: Rig) -> None:
    with rig.store.transaction() as repos:
        repos.create_cluster(
            cluster=make_cluster(
                name="target", namespace="ns", quota=ResourceSpec(cpu=2.0, memory="4 GiB")
            )
        )
    first = rig.start("t1", cluster="target")
    second = rig.start("t2", cluster="target")
    assert first.queue == second.queue == "target-ws-target"
    report = rig.admitter.run_iteration()
    assert (report.admitted, report.waiting) == (1, 1)


def test_default_queue_follows_the_cluster_until_set_by_hand(rig: Rig) -> None:
    ensure_default_queue(rig.store, workspace="ws", capacity_cu=8.0)
    ensure_default_queue(rig.store, workspace="ws", capacity_cu=16.0)
    assert rig.queues.get("default").queue.capacity_cu == 16.0
    rig.queues.update(ADMIN, "default", QueuePatch(capacity_cu=3.0))
    ensure_default_queue(rig.store, workspace="ws", capacity_cu=16.0)
    assert rig.queues.get("default").queue.capacity_cu == 3.0


def test_usage_counts_used_waiting_and_free(rig: Rig) -> None:
    rig.queues.create(ADMIN, "four", QueuePatch(capacity_cu=4.0))
    a, b, c = (rig.start(name, queue="four") for name in ("a", "b", "c"))
    rig.admitter.run_iteration()
    usage = rig.queues.get("four")
    assert (usage.used_cu, usage.waiting_cu, usage.free_cu) == (4.0, 2.0, 0.0)
    assert [j.job_id for j in usage.admitted] == [a.id, b.id]
    assert [j.job_id for j in usage.waiting] == [c.id]
    assert [u.queue.name for u in rig.queues.list()] == ["four", "small"]


def test_a_queue_in_use_cannot_be_deleted(rig: Rig) -> None:
    job = rig.start("a", queue="small")
    with pytest.raises(Conflict) as caught:
        rig.queues.delete(ADMIN, "small")
    assert caught.value.code is ErrorCode.QUEUE_IN_USE
    rig.end(job)
    rig.queues.delete(ADMIN, "small")
    with pytest.raises(NotFound):
        rig.queues.get("small")


def test_queue_writes_validate_their_input(rig: Rig) -> None:
    with pytest.raises(Conflict) as exists:
        rig.queues.create(ADMIN, "small", QueuePatch(capacity_cu=1.0))
    assert exists.value.code is ErrorCode.QUEUE_EXISTS
    with pytest.raises(InvalidInput):
        rig.queues.create(ADMIN, "no-capacity", QueuePatch())
    with pytest.raises(InvalidInput):
        rig.queues.create(ADMIN, "nowhere", QueuePatch(capacity_cu=1.0, cluster="missing"))
    with pytest.raises(InvalidInput):
        rig.queues.update(ADMIN, "small", QueuePatch(capacity_cu=-1.0))


def test_the_reconciler_submits_a_waiting_job_only_once_admitted() -> None:
    store = InMemoryStore()
    flink = FakeFlink()
    engine = FakeEngine(flink)
    ensure_defaults(
        store,
        workspace="ws",
        namespace="ns",
        cluster_kind=ClusterKind.EXTERNAL,
        rest_url=flink.rest_url,
    )
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    QueueService(store, default_workspace="ws").create(ADMIN, "one", QueuePatch(capacity_cu=2.0))
    deployments = DeploymentService(store, engine, versions)
    jobs = JobService(store, engine, Notifier())
    reconciler = Reconciler(store, engine, details_interval=0.0)
    try:
        started = []
        for name in ("first", "second"):
            patch = DeploymentPatch(
                name=name,
                artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=DEMO_SQL),
                queue="one",
            )
            started.append(jobs.start(SCOPE, ADMIN, deployments.create(SCOPE, ADMIN, patch).id))
        reconciler.run_iteration()
        first, second = (jobs.get(SCOPE, job.id) for job in started)
        assert first.flink_job_id in flink.jobs
        assert second.flink_job_id is None
        assert second.status_reason == AdmissionReason.WAITING_FOR_RESOURCES
        flink.set_state(first.flink_job_id or "", "RUNNING")
        reconciler.run_iteration()
        assert jobs.get(SCOPE, second.id).flink_job_id is None
        jobs.stop(SCOPE, ADMIN, first.id, StopStrategy.NONE)
        for _ in range(3):
            reconciler.run_iteration()
        assert jobs.get(SCOPE, first.id).status is JobStatus.CANCELLED
        second = jobs.get(SCOPE, second.id)
        assert second.flink_job_id in flink.jobs
        assert second.status_reason is None
    finally:
        reconciler.close()


def test_a_job_stopped_while_waiting_no_longer_shows_the_wait() -> None:
    store = InMemoryStore()
    flink = FakeFlink()
    engine = FakeEngine(flink)
    ensure_defaults(
        store,
        workspace="ws",
        namespace="ns",
        cluster_kind=ClusterKind.EXTERNAL,
        rest_url=flink.rest_url,
    )
    versions = EngineVersions(installed=["flink-2.3.0"], aliases=DEFAULT_ALIASES)
    QueueService(store, default_workspace="ws").create(ADMIN, "one", QueuePatch(capacity_cu=2.0))
    deployments = DeploymentService(store, engine, versions)
    jobs = JobService(store, engine, Notifier())
    reconciler = Reconciler(store, engine, details_interval=0.0)
    try:
        started = []
        for name in ("first", "second"):
            patch = DeploymentPatch(
                name=name,
                artifact=Artifact(ArtifactKind.SQLSCRIPT, sql_script=DEMO_SQL),
                queue="one",
            )
            started.append(jobs.start(SCOPE, ADMIN, deployments.create(SCOPE, ADMIN, patch).id))
        reconciler.run_iteration()
        assert jobs.get(SCOPE, started[1].id).status_reason == "WAITING_FOR_RESOURCES"
        jobs.stop(SCOPE, ADMIN, started[1].id, StopStrategy.NONE)
        reconciler.run_iteration()
        stopped = jobs.get(SCOPE, started[1].id)
        assert (stopped.status, stopped.status_reason) == (JobStatus.CANCELLED, None)
        assert stopped.flink_job_id is None  # never submitted
    finally:
        reconciler.close()


def test_a_suspended_job_gives_its_cus_back_and_queues_again_on_resume(rig: Rig) -> None:
    first = rig.start("first", queue="small")
    rig.admitter.run_iteration()
    second = rig.start("second", queue="small")
    with rig.store.transaction() as repos:  # what a suspend leaves behind
        suspended = repos.read_job(job_id=first.id)
        assert suspended is not None
        suspended.move_to(JobStatus.RUNNING)
        suspended.move_to(JobStatus.SUSPENDED)
        suspended.desired = DesiredState.SUSPENDED
        repos.update_job(job=suspended)
    report = rig.admitter.run_iteration()
    assert (report.released, report.admitted) == (1, 1)
    assert rig.job(first).admitted_at is None
    assert rig.job(second).admitted_at is not None
    with rig.store.transaction() as repos:  # the user resumes it
        resumed = repos.read_job(job_id=first.id)
        assert resumed is not None
        resumed.request_resume()
        repos.update_job(job=resumed)
    assert rig.admitter.run_iteration().waiting == 1
    waiting = rig.job(first)
    assert not may_submit(waiting)
    assert waiting.status_reason == AdmissionReason.WAITING_FOR_RESOURCES
    assert waiting.enqueued_at == rig.clock.now
