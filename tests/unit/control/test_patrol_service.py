"""``PatrolService`` over the in-memory store, a fake inspector and in-memory metric
samples: an inspection measures each running job and stores findings; the scope, the
thresholds and the report bound apply; an unreachable cluster leaves the job
uninspected; the schedule runs at cron times only; bad updates are refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from millstream.control.context import Scope
from millstream.control.inspect_ports import FlinkJobSnapshot
from millstream.control.metric_ports import MetricSample
from millstream.control.patrol_evidence import SOURCE_OUTPUT, PatrolEvidence
from millstream.control.patrol_ports import ReportFilter
from millstream.control.services.patrol import ConfigPatch, PatrolService
from millstream.domain.diagnosis import CheckpointStats, VertexPressure
from millstream.domain.errors import InvalidInput, NotFound
from millstream.domain.patrol import (
    Check,
    PatrolScope,
    ReportStatus,
    ScopeKind,
    Severity,
    Thresholds,
    TriggerKind,
)
from tests.fakes import InMemoryStore
from tests.patrol_fakes import (
    MemoryPatrolStore,
    Seeded,
    SnapshotInspector,
    seed_namespace,
    seed_running_job,
)
from tests.unit.control.metric_fakes import MemorySamples

SCOPE = Scope("ws", "ns")
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(
        self, keep: int = 100, spawn: Callable[[Callable[[], None]], None] | None = None
    ) -> None:
        self.store = InMemoryStore()
        self.inspector = SnapshotInspector()
        self.samples = MemorySamples()
        self.patrols = MemoryPatrolStore()
        self.clock = Clock()
        self.cluster = seed_namespace(self.store, "ws", "ns")
        self.service = PatrolService(
            self.patrols,
            self.store,
            PatrolEvidence(self.store, self.inspector, self.samples),
            keep_reports=keep,
            clock=self.clock,
            spawn=spawn or (lambda work: work()),
        )

    def job(self, **kwargs: object) -> Seeded:
        seeded = seed_running_job(
            self.store,
            self.cluster,
            started=NOW - timedelta(hours=3),
            **kwargs,  # type: ignore[arg-type]
        )
        assert seeded.job.flink_job_id is not None
        self.inspector.snapshots[seeded.job.flink_job_id] = FlinkJobSnapshot(
            restarts=0, checkpoints=CheckpointStats(completed=5)
        )
        return seeded

    def flink(self, seeded: Seeded, snapshot: FlinkJobSnapshot) -> None:
        assert seeded.job.flink_job_id is not None
        self.inspector.snapshots[seeded.job.flink_job_id] = snapshot


@pytest.fixture
def world() -> World:
    return World()


def test_trigger_inspects_running_jobs_and_stores_findings(world: World) -> None:
    sick = world.job(name="sick", savepoint_at=NOW - timedelta(hours=1))
    world.flink(
        sick,
        FlinkJobSnapshot(
            restarts=12,
            checkpoints=CheckpointStats(completed=0, failed=4, latest_failure="timeout"),
            backpressure=(VertexPressure("Source", "ok", 0.0), VertexPressure("Map", "high", 0.97)),
        ),
    )
    world.job(name="healthy", savepoint_at=NOW - timedelta(hours=1))
    report = world.service.trigger(SCOPE)
    assert report.status is ReportStatus.SUCCEEDED
    assert (report.total_jobs, report.inspected_jobs) == (2, 2)
    assert {f.check for f in report.findings} == {
        Check.RESTARTS,
        Check.CHECKPOINT_FAILURES,
        Check.BACKPRESSURE,
    }
    assert {f.deployment_name for f in report.findings} == {"sick"}
    pressure = next(f for f in report.findings if f.check is Check.BACKPRESSURE)
    assert pressure.evidence["vertex"] == "Map"
    assert pressure.severity is Severity.CRITICAL
    assert world.service.report(SCOPE, report.id) == report


def test_idle_sources_and_old_savepoints_are_found(world: World) -> None:
    idle = world.job(name="idle", savepoint_at=NOW - timedelta(days=3))
    world.samples.rows.extend(
        MetricSample(idle.job.id, SOURCE_OUTPUT, 0.0, NOW - timedelta(minutes=m))
        for m in (1, 10, 20)
    )
    report = world.service.trigger(SCOPE)
    assert {f.check for f in report.findings} == {Check.IDLE_SOURCE, Check.SAVEPOINT_AGE}


def test_thresholds_of_the_config_apply(world: World) -> None:
    seeded = world.job(savepoint_at=NOW)
    world.flink(seeded, FlinkJobSnapshot(restarts=2, checkpoints=CheckpointStats(completed=1)))
    assert world.service.trigger(SCOPE).findings == ()
    world.service.update_config(SCOPE, ConfigPatch(thresholds=Thresholds(max_restarts=2)))
    (finding,) = world.service.trigger(SCOPE).findings
    assert finding.evidence == {"restarts": 2, "threshold": 2}


def test_scope_limits_the_inspected_deployments(world: World) -> None:
    tagged = world.job(name="ads", labels={"team": "ads"}, savepoint_at=NOW)
    world.job(name="web", labels={"team": "web"}, savepoint_at=NOW)
    by_tag = world.service.trigger(SCOPE, PatrolScope(kind=ScopeKind.TAGS, tags=("team=ads",)))
    assert by_tag.total_jobs == 1
    by_id = world.service.trigger(
        SCOPE, PatrolScope(kind=ScopeKind.DEPLOYMENTS, deployment_ids=(tagged.deployment.id,))
    )
    assert by_id.total_jobs == 1
    assert world.service.trigger(SCOPE).total_jobs == 2


def test_unreachable_cluster_leaves_jobs_uninspected(world: World) -> None:
    world.job(savepoint_at=NOW)
    world.inspector.down.add(world.cluster.rest_url)
    report = world.service.trigger(SCOPE)
    assert (report.status, report.total_jobs, report.inspected_jobs) == (
        ReportStatus.SUCCEEDED,
        1,
        0,
    )


def test_reports_are_bounded_to_the_newest() -> None:
    world = World(keep=3)
    ids = []
    for minute in range(5):
        world.clock.now = NOW + timedelta(minutes=minute)
        ids.append(world.service.trigger(SCOPE).id)
    kept, total = world.service.reports(SCOPE, ReportFilter(), offset=0, limit=10)
    assert [r.id for r in kept] == ids[:1:-1]
    assert total == 3
    with pytest.raises(NotFound):
        world.service.report(SCOPE, ids[0])


def test_unknown_namespace_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.service.config(Scope("ws", "nope"))
    with pytest.raises(NotFound):
        world.service.trigger(Scope("ws", "nope"))


def test_defaults_until_set_then_validated_updates(world: World) -> None:
    config = world.service.config(SCOPE)
    assert (config.enabled, config.created_at, world.service.next_run(config)) == (
        False,
        None,
        None,
    )
    updated = world.service.update_config(
        SCOPE, ConfigPatch(enabled=True, cron="0 9 * * *", timezone="Asia/Shanghai")
    )
    assert updated.created_at == NOW
    assert world.service.next_run(updated) == datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    for patch in (
        ConfigPatch(cron="not cron"),
        ConfigPatch(timezone="Nowhere/Land"),
        ConfigPatch(scope=PatrolScope(kind=ScopeKind.TAGS)),
        ConfigPatch(thresholds=Thresholds(backpressure_ratio=2.0)),
    ):
        with pytest.raises(InvalidInput):
            world.service.update_config(SCOPE, patch)
    assert world.service.config(SCOPE) == updated


def test_schedule_runs_at_cron_times_only(world: World) -> None:
    world.job(savepoint_at=NOW)
    world.service.update_config(SCOPE, ConfigPatch(enabled=True, cron="30 12 * * *"))
    world.clock.now = NOW + timedelta(minutes=29)
    world.service.run_iteration()
    assert world.service.reports(SCOPE, ReportFilter(), offset=0, limit=9)[1] == 0
    world.clock.now = NOW + timedelta(minutes=30)
    world.service.run_iteration()
    world.service.run_iteration()  # the same cron time runs once
    reports, total = world.service.reports(SCOPE, ReportFilter(), offset=0, limit=9)
    assert total == 1
    assert reports[0].trigger is TriggerKind.SCHEDULED
    world.service.update_config(SCOPE, ConfigPatch(enabled=False))
    world.clock.now = NOW + timedelta(days=2)
    world.service.run_iteration()
    assert world.service.reports(SCOPE, ReportFilter(), offset=0, limit=9)[1] == 1


def test_scheduled_runs_happen_off_the_caller_one_batch_at_a_time() -> None:
    pending: list[Callable[[], None]] = []
    world = World(spawn=pending.append)
    world.job(savepoint_at=NOW)
    world.service.update_config(SCOPE, ConfigPatch(enabled=True, cron="*/5 * * * *"))
    world.clock.now = NOW + timedelta(minutes=5)
    world.service.run_iteration()
    assert len(pending) == 1
    assert world.service.reports(SCOPE, ReportFilter(), offset=0, limit=9)[1] == 0
    world.clock.now = NOW + timedelta(minutes=10)
    world.service.run_iteration()  # the first batch still runs: nothing new starts
    assert len(pending) == 1
    pending.pop()()
    assert world.service.reports(SCOPE, ReportFilter(), offset=0, limit=9)[1] == 1
    world.service.run_iteration()
    assert len(pending) == 1
