"""The patrol checks (``domain.patrol``): each check fires at its threshold and not
below it, carries its evidence and advice, and the config's bounds are validated."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from millstream.domain.errors import InvalidInput
from millstream.domain.patrol import (
    Check,
    Finding,
    JobEvidence,
    PatrolConfig,
    PatrolReport,
    PatrolScope,
    ReportStatus,
    ScopeKind,
    Severity,
    Thresholds,
    TriggerKind,
    next_patrol_at,
)
from millstream.domain.patrol_checks import CHECKS, inspect

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LIMITS = Thresholds()


def _job(**changes: object) -> JobEvidence:
    base = JobEvidence(
        job_id="j1",
        deployment_id="d1",
        deployment_name="orders",
        running_since=NOW - timedelta(hours=2),
        restarts=0,
        failed_checkpoints=0,
        completed_checkpoints=10,
        max_backpressure=0.0,
        source_output=(5.0, 6.0),
        latest_savepoint_at=NOW - timedelta(hours=1),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _checks(found: list[Finding]) -> set[Check]:
    return {finding.check for finding in found}


def test_healthy_job_has_no_findings() -> None:
    assert inspect([_job()], LIMITS, NOW) == []


def test_unknown_inputs_report_nothing() -> None:
    unknown = _job(
        restarts=None,
        failed_checkpoints=None,
        max_backpressure=None,
        source_output=None,
        latest_savepoint_at=None,
        running_since=None,
    )
    assert inspect([unknown], LIMITS, NOW) == []


@pytest.mark.parametrize(
    ("changes", "check", "severity"),
    [
        ({"restarts": 3}, Check.RESTARTS, Severity.WARNING),
        ({"restarts": 9}, Check.RESTARTS, Severity.CRITICAL),
        ({"failed_checkpoints": 2}, Check.CHECKPOINT_FAILURES, Severity.WARNING),
        (
            {"failed_checkpoints": 4, "completed_checkpoints": 0},
            Check.CHECKPOINT_FAILURES,
            Severity.CRITICAL,
        ),
        ({"max_backpressure": 0.6}, Check.BACKPRESSURE, Severity.WARNING),
        ({"max_backpressure": 0.95}, Check.BACKPRESSURE, Severity.CRITICAL),
        ({"source_output": (0.0, 0.0, 0.0)}, Check.IDLE_SOURCE, Severity.WARNING),
        (
            {"latest_savepoint_at": NOW - timedelta(hours=30)},
            Check.SAVEPOINT_AGE,
            Severity.INFO,
        ),
        (
            {"latest_savepoint_at": None, "running_since": NOW - timedelta(days=2)},
            Check.SAVEPOINT_AGE,
            Severity.WARNING,
        ),
    ],
)
def test_each_check_fires_with_evidence_and_advice(
    changes: dict[str, object], check: Check, severity: Severity
) -> None:
    found = inspect([_job(**changes)], LIMITS, NOW)
    assert [(f.check, f.severity) for f in found] == [(check, severity)]
    assert found[0].evidence
    assert found[0].advice
    assert found[0].description
    assert found[0].deployment_name == "orders"


def test_restart_finding_carries_the_count_and_threshold() -> None:
    (finding,) = inspect([_job(restarts=4)], Thresholds(max_restarts=4), NOW)
    assert finding.evidence == {"restarts": 4, "threshold": 4}


def test_idle_source_needs_the_job_to_have_run_the_whole_window() -> None:
    young = _job(source_output=(0.0,), running_since=NOW - timedelta(minutes=5))
    assert inspect([young], LIMITS, NOW) == []


def test_findings_are_sorted_most_severe_first() -> None:
    jobs = [
        _job(job_id="a", latest_savepoint_at=NOW - timedelta(days=3)),
        _job(job_id="b", max_backpressure=0.99),
    ]
    assert [f.severity for f in inspect(jobs, LIMITS, NOW)] == [Severity.CRITICAL, Severity.INFO]


@given(restarts=st.integers(0, 100), limit=st.integers(1, 100))
def test_restarts_fire_exactly_at_or_above_the_threshold(restarts: int, limit: int) -> None:
    found = inspect([_job(restarts=restarts)], Thresholds(max_restarts=limit), NOW)
    assert (Check.RESTARTS in _checks(found)) == (restarts >= limit)


@given(ratio=st.floats(0.0, 1.0), limit=st.floats(0.01, 1.0))
def test_backpressure_fires_exactly_at_or_above_the_threshold(ratio: float, limit: float) -> None:
    found = inspect([_job(max_backpressure=ratio)], Thresholds(backpressure_ratio=limit), NOW)
    assert (Check.BACKPRESSURE in _checks(found)) == (ratio >= limit)


@pytest.mark.parametrize(
    "limits",
    [
        Thresholds(max_restarts=0),
        Thresholds(max_failed_checkpoints=10_001),
        Thresholds(backpressure_ratio=1.5),
        Thresholds(backpressure_ratio=0.0),
        Thresholds(idle_minutes=0),
        Thresholds(max_savepoint_age_hours=9_000),
    ],
)
def test_thresholds_out_of_bounds_are_refused(limits: Thresholds) -> None:
    with pytest.raises(InvalidInput, match="between"):
        limits.validate()


@pytest.mark.parametrize(
    "config",
    [
        PatrolConfig("w", "n", cron="every day"),
        PatrolConfig("w", "n", cron="61 * * * *"),
        PatrolConfig("w", "n", timezone="Mars/Olympus"),
        PatrolConfig("w", "n", scope=PatrolScope(kind=ScopeKind.TAGS)),
        PatrolConfig("w", "n", scope=PatrolScope(kind=ScopeKind.DEPLOYMENTS)),
        PatrolConfig("w", "n", scope=PatrolScope(tags=("x",) * 101)),
    ],
)
def test_bad_configs_are_refused(config: PatrolConfig) -> None:
    with pytest.raises(InvalidInput):
        config.validate()


def test_scope_covers_by_kind() -> None:
    assert PatrolScope().covers("d1", {})
    ids = PatrolScope(kind=ScopeKind.DEPLOYMENTS, deployment_ids=("d1",))
    assert ids.covers("d1", {})
    assert not ids.covers("d2", {})
    tags = PatrolScope(kind=ScopeKind.TAGS, tags=("team=ads", "critical"))
    assert tags.covers("d", {"team": "ads"})
    assert tags.covers("d", {"critical": ""})
    assert not tags.covers("d", {"team": "web"})


def test_next_patrol_at_follows_cron_in_its_time_zone() -> None:
    config = PatrolConfig("w", "n", cron="0 9 * * *", timezone="Asia/Shanghai")
    assert next_patrol_at(config, NOW) == datetime(2026, 12, 5, 1, 0, tzinfo=UTC)


def test_report_counts_jobs_by_worst_severity_and_problem_group() -> None:
    jobs = [
        _job(job_id="a", restarts=20, max_backpressure=0.6),
        _job(job_id="b", failed_checkpoints=1),
    ]
    findings = tuple(inspect(jobs, LIMITS, NOW))
    report = PatrolReport(
        id="r",
        workspace="w",
        namespace="n",
        trigger=TriggerKind.MANUAL,
        scope=PatrolScope(),
        status=ReportStatus.SUCCEEDED,
        started_at=NOW,
        completed_at=NOW,
        findings=findings,
    )
    assert report.risk_count(Severity.CRITICAL) == 1
    assert report.risk_count(Severity.WARNING) == 1
    assert report.risk_count(Severity.INFO) == 0
    assert (report.unhealthy, report.delay_and_backpressure, report.unhealthy_checkpoints) == (
        1,
        1,
        1,
    )


def test_every_check_has_a_rule() -> None:
    assert set(CHECKS) == set(Check)
