"""The native Patrol wire (SDK ``GetPatrolConfig`` … ``GetPatrolReportDetail``) mapped
onto ``domain.patrol``.

- Config times are epoch milliseconds (``configCreatedAt``, ``nextPatrolAt``); report
  times are UTC strings ``yyyy-MM-ddTHH:mmZ`` as the SDK documents.
- ``scopeType`` ``ALL`` / ``TAGS`` / ``DEPLOYMENTS`` with ``scopeConfig.tags`` (label
  keys or ``key=value``) and ``scopeConfig.deploymentIds``.
- Report ``status`` is ``COMPLETED`` or ``FAILED`` (inspections finish within the
  request); ``triggerType`` is ``MANUAL`` (TriggerPatrol) or ``CRON`` (the schedule).
- Millstream extensions: ``thresholds`` on the config (read and update) and ``check`` and
  ``evidence`` on each unhealthy job of a report detail.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from millstream.control.services.patrol import ConfigPatch
from millstream.domain.errors import InvalidInput
from millstream.domain.patrol import (
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

__all__ = [
    "REPORT_STATUSES",
    "TRIGGER_TYPES",
    "TriggerPatrolBody",
    "UpdatePatrolConfigBody",
    "config_patch",
    "config_to_wire",
    "report_detail_to_wire",
    "report_item_to_wire",
    "scope_of",
]

# Wire value -> domain value of a report's status and trigger.
REPORT_STATUSES = {"COMPLETED": ReportStatus.SUCCEEDED, "FAILED": ReportStatus.FAILED}
TRIGGER_TYPES = {"MANUAL": TriggerKind.MANUAL, "CRON": TriggerKind.SCHEDULED}
_STATUS_WIRE = {value: key for key, value in REPORT_STATUSES.items()}
_TRIGGER_WIRE = {value: key for key, value in TRIGGER_TYPES.items()}


class _Strict(BaseModel):
    """camelCase on the wire; an unknown field is a 400, never silently dropped."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ScopeConfig(_Strict):
    deployment_ids: list[str] | None = Field(default=None, max_length=100)
    tags: list[str] | None = Field(default=None, max_length=100)


class ThresholdsBody(_Strict):
    """Millstream extension: the checks' thresholds (each optional; bounds validated)."""

    max_restarts: int | None = None
    max_failed_checkpoints: int | None = None
    backpressure_ratio: float | None = None
    idle_minutes: int | None = None
    max_savepoint_age_hours: int | None = None


class UpdatePatrolConfigBody(_Strict):
    cron: str | None = Field(default=None, max_length=128)
    enabled: bool | None = None
    scope_config: ScopeConfig | None = None
    scope_type: ScopeKind | None = None
    timezone: str | None = Field(default=None, max_length=64)
    thresholds: ThresholdsBody | None = None


class TriggerPatrolBody(_Strict):
    scope_config: ScopeConfig | None = None
    scope_type: ScopeKind | None = None


def scope_of(
    kind: ScopeKind | None, config: ScopeConfig | None, current: PatrolScope
) -> PatrolScope | None:
    """The scope a request asks for (``None``: it names none); unset parts stay current."""
    if kind is None and config is None:
        return None
    ids = config.deployment_ids if config and config.deployment_ids is not None else None
    tags = config.tags if config and config.tags is not None else None
    return PatrolScope(
        kind=kind or current.kind,
        deployment_ids=tuple(ids) if ids is not None else current.deployment_ids,
        tags=tuple(tags) if tags is not None else current.tags,
    )


def config_patch(body: UpdatePatrolConfigBody, current: PatrolConfig) -> ConfigPatch:
    thresholds = None
    if body.thresholds is not None:
        given = body.thresholds.model_dump(exclude_none=True)
        thresholds = Thresholds(**{**_thresholds(current.thresholds), **given})
    if body.cron is not None and not body.cron.strip():
        raise InvalidInput("cron must not be empty")
    return ConfigPatch(
        enabled=body.enabled,
        cron=body.cron,
        timezone=body.timezone,
        scope=scope_of(body.scope_type, body.scope_config, current.scope),
        thresholds=thresholds,
    )


def _thresholds(limits: Thresholds) -> dict[str, Any]:
    return dataclasses.asdict(limits)


def _scope_wire(scope: PatrolScope) -> dict[str, Any]:
    return {"deploymentIds": list(scope.deployment_ids), "tags": list(scope.tags)}


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def config_to_wire(config: PatrolConfig, next_run: datetime | None) -> dict[str, Any]:
    return {
        "workspace": config.workspace,
        "namespace": config.namespace,
        "enabled": config.enabled,
        "cron": config.cron,
        "timezone": config.timezone,
        "scopeType": config.scope.kind.value,
        "scopeConfig": _scope_wire(config.scope),
        "configCreatedAt": _ms(config.created_at),
        "configUpdatedAt": _ms(config.updated_at),
        "nextPatrolAt": _ms(next_run),
        "thresholds": {to_camel(k): v for k, v in _thresholds(config.thresholds).items()},
    }


def _common(report: PatrolReport) -> dict[str, Any]:
    return {
        "reportId": report.id,
        "workspace": report.workspace,
        "namespace": report.namespace,
        "scopeType": report.scope.kind.value,
        "scopeConfig": _scope_wire(report.scope),
        "triggerType": _TRIGGER_WIRE[report.trigger],
        "createdAt": _utc(report.started_at),
        "updatedAt": _utc(report.completed_at),
        "completedAt": _utc(report.completed_at),
    }


def report_item_to_wire(report: PatrolReport) -> dict[str, Any]:
    return {
        **_common(report),
        "status": _STATUS_WIRE[report.status],
        "startedAt": _utc(report.started_at),
        "errorMessage": report.error,
        "totalJobs": report.total_jobs,
        "inspectedJobs": report.inspected_jobs,
        "riskCriticalCount": report.risk_count(Severity.CRITICAL),
        "riskWarningCount": report.risk_count(Severity.WARNING),
        "riskInfoCount": report.risk_count(Severity.INFO),
        "problemDelayBackpressureCount": report.delay_and_backpressure,
        "problemUnhealthyCheckpointCount": report.unhealthy_checkpoints,
        "problemUnhealthyCount": report.unhealthy,
    }


def _unhealthy_job(finding: Finding) -> dict[str, Any]:
    evidence = ", ".join(f"{key}={value}" for key, value in finding.evidence.items())
    return {
        "deploymentId": finding.deployment_id,
        "deploymentName": finding.deployment_name,
        "jobId": finding.job_id,
        "riskLevel": finding.severity.value,
        "description": finding.description,
        "analysis": f"{finding.check.value}: {evidence}",
        "recommendation": finding.advice,
        "tags": list(finding.tags),
        "check": finding.check.value,
        "evidence": dict(finding.evidence),
    }


def report_detail_to_wire(report: PatrolReport) -> dict[str, Any]:
    return {
        **_common(report),
        "overview": {
            "total": report.total_jobs,
            "riskSummary": {
                "critical": report.risk_count(Severity.CRITICAL),
                "warning": report.risk_count(Severity.WARNING),
                "info": report.risk_count(Severity.INFO),
            },
            "problemSummary": {
                "delayAndBackpressure": report.delay_and_backpressure,
                "unhealthyCheckpoints": report.unhealthy_checkpoints,
                "unhealthy": report.unhealthy,
            },
        },
        "unhealthyJobs": [_unhealthy_job(finding) for finding in report.findings],
    }
