"""Diagnosis rules: each rule on the snapshot it is about, and the scoring."""

from __future__ import annotations

import pytest

from millstream.domain.diagnosis import (
    PENALTY,
    CheckpointStats,
    DiagnosisInput,
    ExceptionEntry,
    FindingCategory,
    Severity,
    VertexPressure,
    diagnose,
)

HEALTHY = DiagnosisInput(
    job_status="RUNNING",
    flink_state="RUNNING",
    restarts=0,
    uptime_ms=600_000,
    checkpoints=CheckpointStats(completed=10, latest_duration_ms=200),
    backpressure=(VertexPressure("Source: src", "ok", 0.0),),
    parallelism=2,
)
NO_SLOTS = ExceptionEntry(
    "org.apache.flink.runtime.jobmanager.scheduler.NoResourceAvailableException",
    "Could not acquire the minimum required resources.",
    1_000,
)
OOM = ExceptionEntry("java.lang.OutOfMemoryError", "Java heap space", 2_000, "Sink: snk (1/2)")


def _input(**changes: object) -> DiagnosisInput:
    values = {f: getattr(HEALTHY, f) for f in HEALTHY.__dataclass_fields__}
    values.update(changes)
    return DiagnosisInput(**values)


def test_a_healthy_job_scores_100_with_no_findings() -> None:
    result = diagnose(HEALTHY)
    assert result.findings == ()
    assert result.health_score == 100
    assert result.risk_level is Severity.LOW


@pytest.mark.parametrize(
    ("data", "category", "name", "severity"),
    [
        (_input(job_status="FAILED", failure="boom"), FindingCategory.STATE, "JobFailed", "HIGH"),
        (
            _input(flink_state="RESTARTING", exceptions=(NO_SLOTS,)),
            FindingCategory.STARTUP,
            "InsufficientSlots",
            "HIGH",
        ),
        (_input(restarts=1), FindingCategory.RUNTIME, "JobRestarts", "MEDIUM"),
        (_input(restarts=5), FindingCategory.RUNTIME, "JobRestarts", "HIGH"),
        (_input(exceptions=(OOM,)), FindingCategory.TROUBLESHOOTING, "OutOfMemoryError", "MEDIUM"),
        (
            _input(checkpoints=CheckpointStats(completed=1, failed=3, latest_failure="timeout")),
            FindingCategory.STATE,
            "CheckpointFailures",
            "HIGH",
        ),
        (
            _input(checkpoints=CheckpointStats(completed=9, failed=1)),
            FindingCategory.STATE,
            "CheckpointFailures",
            "MEDIUM",
        ),
        (
            _input(checkpoints=CheckpointStats(completed=0)),
            FindingCategory.STATE,
            "NoCompletedCheckpoint",
            "MEDIUM",
        ),
        (
            _input(checkpoints=CheckpointStats(completed=3, latest_duration_ms=90_000)),
            FindingCategory.STATE,
            "SlowCheckpoint",
            "LOW",
        ),
        (
            _input(backpressure=(VertexPressure("Calc", "high", 0.9),)),
            FindingCategory.RUNTIME,
            "Backpressure",
            "HIGH",
        ),
        (
            _input(backpressure=(VertexPressure("Calc", "low", 0.2),)),
            FindingCategory.RUNTIME,
            "Backpressure",
            "LOW",
        ),
        (_input(reachable=False), FindingCategory.OTHERS, "FlinkUnreachable", "MEDIUM"),
    ],
)
def test_each_rule_reports_its_finding(
    data: DiagnosisInput, category: FindingCategory, name: str, severity: str
) -> None:
    result = diagnose(data)
    found = [f for f in result.findings if f.name == name]
    assert len(found) == 1, result.findings
    assert found[0].category is category
    assert found[0].severity.value == severity
    assert found[0].description
    assert found[0].recommendation
    assert result.health_score < 100


def test_advice_follows_the_exception_class() -> None:
    result = diagnose(_input(exceptions=(OOM, NO_SLOTS)))
    (finding,) = result.in_category(FindingCategory.TROUBLESHOOTING)
    assert "memory" in finding.recommendation
    assert "Sink: snk" in finding.description


def test_high_backpressure_suggests_scaling_up_without_costing_score() -> None:
    result = diagnose(_input(backpressure=(VertexPressure("Calc", "high", 0.9),)))
    (advice,) = result.in_category(FindingCategory.AUTOPILOT)
    assert "hot update" in advice.recommendation
    assert "4" in advice.recommendation
    assert result.health_score == 100 - PENALTY[Severity.HIGH]


def test_score_never_drops_below_zero_and_risk_is_the_worst_severity() -> None:
    result = diagnose(
        _input(
            job_status="FAILED",
            restarts=9,
            exceptions=(OOM,),
            checkpoints=CheckpointStats(completed=0, failed=9),
            backpressure=(VertexPressure("Calc", "high"),),
        )
    )
    assert result.health_score == 0
    assert result.risk_level is Severity.HIGH


def test_young_or_stopped_jobs_are_not_blamed_for_missing_checkpoints() -> None:
    young = diagnose(_input(uptime_ms=1000, checkpoints=CheckpointStats(completed=0)))
    stopped = diagnose(_input(job_status="CANCELLED", checkpoints=CheckpointStats()))
    assert not [f for f in young.findings + stopped.findings if f.name == "NoCompletedCheckpoint"]
