"""Patrol settings and reports in the SQL store (SQLite and PostgreSQL): a round trip of
every field, listing newest first with filters and paging, another namespace's report is
invisible, and pruning keeps only the newest reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from millstream.control.patrol_ports import ReportFilter
from millstream.domain.patrol import (
    Check,
    Finding,
    PatrolConfig,
    PatrolReport,
    PatrolScope,
    ReportStatus,
    ScopeKind,
    Severity,
    Thresholds,
    TriggerKind,
)
from millstream.store import SqlStore
from millstream.store.patrol import SqlPatrolStore

T0 = datetime(2026, 12, 4, 22, 40, 5, tzinfo=UTC)
FINDING = Finding(
    check=Check.BACKPRESSURE,
    severity=Severity.CRITICAL,
    job_id="j1",
    deployment_id="d1",
    deployment_name="orders",
    description="Sink is backpressured 95% of the time",
    advice="raise parallelism",
    evidence={"backpressure_ratio": 0.95, "vertex": "Sink", "threshold": 0.5},
    tags=("team=ads",),
)


def _report(
    report_id: str,
    minutes: int,
    *,
    namespace: str = "ns",
    status: ReportStatus = ReportStatus.SUCCEEDED,
    trigger: TriggerKind = TriggerKind.MANUAL,
) -> PatrolReport:
    at = T0 + timedelta(minutes=minutes)
    return PatrolReport(
        id=report_id,
        workspace="w",
        namespace=namespace,
        trigger=trigger,
        scope=PatrolScope(kind=ScopeKind.TAGS, tags=("team=ads",)),
        status=status,
        started_at=at,
        completed_at=at + timedelta(seconds=2),
        total_jobs=3,
        inspected_jobs=2,
        findings=(FINDING,),
        error="flink down" if status is ReportStatus.FAILED else None,
    )


def test_config_round_trip_and_replace(store: SqlStore) -> None:
    patrols = SqlPatrolStore(store.engine)
    config = PatrolConfig(
        workspace="w",
        namespace="ns",
        enabled=True,
        cron="30 8 * * 1-5",
        timezone="Europe/Berlin",
        scope=PatrolScope(kind=ScopeKind.DEPLOYMENTS, deployment_ids=("d1", "d2")),
        thresholds=Thresholds(max_restarts=5, backpressure_ratio=0.7, idle_minutes=15),
        last_run_at=T0,
        created_at=T0,
        updated_at=T0,
    )
    with patrols.transaction() as repos:
        repos.write_patrol_config(config=config)
    with patrols.transaction() as repos:
        assert repos.read_patrol_config(workspace="w", namespace="ns") == config
        assert repos.read_patrol_config(workspace="w", namespace="other") is None
    changed = PatrolConfig(workspace="w", namespace="ns", created_at=T0, updated_at=T0)
    with patrols.transaction() as repos:
        repos.write_patrol_config(config=changed)
    with patrols.transaction() as repos:
        assert repos.read_patrol_configs() == [changed]


def test_report_round_trip_and_namespace_isolation(store: SqlStore) -> None:
    patrols = SqlPatrolStore(store.engine)
    report = _report("r1", 0)
    with patrols.transaction() as repos:
        repos.create_patrol_report(report=report)
    with patrols.transaction() as repos:
        assert repos.read_patrol_report(workspace="w", namespace="ns", report_id="r1") == report
        assert repos.read_patrol_report(workspace="w", namespace="x", report_id="r1") is None


def test_listing_is_newest_first_filtered_and_paged(store: SqlStore) -> None:
    patrols = SqlPatrolStore(store.engine)
    with patrols.transaction() as repos:
        repos.create_patrol_report(report=_report("a", 0))
        repos.create_patrol_report(report=_report("b", 10, status=ReportStatus.FAILED))
        repos.create_patrol_report(report=_report("c", 20, trigger=TriggerKind.SCHEDULED))
        repos.create_patrol_report(report=_report("z", 5, namespace="other"))
    with patrols.transaction() as repos:
        everything, total = repos.read_patrol_reports(
            workspace="w", namespace="ns", where=ReportFilter(), offset=0, limit=2
        )
        assert ([r.id for r in everything], total) == (["c", "b"], 3)
        second, _ = repos.read_patrol_reports(
            workspace="w", namespace="ns", where=ReportFilter(), offset=2, limit=2
        )
        assert [r.id for r in second] == ["a"]
        failed, total = repos.read_patrol_reports(
            workspace="w",
            namespace="ns",
            where=ReportFilter(status=ReportStatus.FAILED),
            offset=0,
            limit=10,
        )
        assert ([r.id for r in failed], total) == (["b"], 1)
        window, _ = repos.read_patrol_reports(
            workspace="w",
            namespace="ns",
            where=ReportFilter(start=T0 + timedelta(minutes=5), end=T0 + timedelta(minutes=15)),
            offset=0,
            limit=10,
        )
        assert [r.id for r in window] == ["b"]
        cron, _ = repos.read_patrol_reports(
            workspace="w",
            namespace="ns",
            where=ReportFilter(trigger=TriggerKind.SCHEDULED, scope=ScopeKind.TAGS),
            offset=0,
            limit=10,
        )
        assert [r.id for r in cron] == ["c"]
        none, total = repos.read_patrol_reports(
            workspace="w",
            namespace="ns",
            where=ReportFilter(scope=ScopeKind.ALL),
            offset=0,
            limit=9,
        )
        assert (none, total) == ([], 0)


def test_prune_keeps_the_newest_reports_of_the_namespace_only(store: SqlStore) -> None:
    patrols = SqlPatrolStore(store.engine)
    with patrols.transaction() as repos:
        for minute in range(5):
            repos.create_patrol_report(report=_report(f"r{minute}", minute))
        repos.create_patrol_report(report=_report("other", 0, namespace="other"))
    with patrols.transaction() as repos:
        assert repos.prune_patrol_reports(workspace="w", namespace="ns", keep=2) == 3
    with patrols.transaction() as repos:
        kept, total = repos.read_patrol_reports(
            workspace="w", namespace="ns", where=ReportFilter(), offset=0, limit=10
        )
        assert ([r.id for r in kept], total) == (["r4", "r3"], 2)
        assert repos.read_patrol_report(workspace="w", namespace="other", report_id="other")
