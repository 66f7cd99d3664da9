"""``SqlPatrolStore``: the ``PatrolStore`` port of ``control.patrol_ports`` over the
``patrol_configs`` and ``patrol_reports`` tables (``PatrolConfigRow``,
``PatrolReportRow``, migration 0020).

The app factory builds ``SqlPatrolStore(sql_store.engine)`` so it shares the main
store's connection pool.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

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
from millstream.store.models import PatrolConfigRow, PatrolReportRow
from millstream.store.store import SessionStore

__all__ = ["SqlPatrolRepositories", "SqlPatrolStore"]


class SqlPatrolRepositories:
    """The ``PatrolRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read_patrol_config(self, *, workspace: str, namespace: str) -> PatrolConfig | None:
        row = self._session.get(PatrolConfigRow, (workspace, namespace))
        return _config(row) if row is not None else None

    def read_patrol_configs(self) -> list[PatrolConfig]:
        query = select(PatrolConfigRow).order_by(
            PatrolConfigRow.workspace, PatrolConfigRow.namespace
        )
        return [_config(row) for row in self._session.scalars(query)]

    def write_patrol_config(self, *, config: PatrolConfig) -> None:
        values = _config_values(config)
        row = self._session.get(PatrolConfigRow, (config.workspace, config.namespace))
        if row is None:
            self._session.add(PatrolConfigRow(**values))
        else:
            for key, value in values.items():
                if key not in {"workspace", "namespace", "created_at"}:
                    setattr(row, key, value)
        self._session.flush()

    def create_patrol_report(self, *, report: PatrolReport) -> None:
        self._session.add(
            PatrolReportRow(
                id=report.id,
                workspace=report.workspace,
                namespace=report.namespace,
                trigger=report.trigger.value,
                status=report.status.value,
                scope=_scope_json(report.scope),
                total_jobs=report.total_jobs,
                inspected_jobs=report.inspected_jobs,
                findings={"items": [_finding_json(item) for item in report.findings]},
                error=report.error,
                started_at=report.started_at,
                completed_at=report.completed_at,
            )
        )
        self._session.flush()

    def read_patrol_report(
        self, *, workspace: str, namespace: str, report_id: str
    ) -> PatrolReport | None:
        row = self._session.get(PatrolReportRow, report_id)
        if row is None or (row.workspace, row.namespace) != (workspace, namespace):
            return None
        return _report(row)

    def read_patrol_reports(
        self, *, workspace: str, namespace: str, where: ReportFilter, offset: int, limit: int
    ) -> tuple[list[PatrolReport], int]:
        conditions = [
            PatrolReportRow.workspace == workspace,
            PatrolReportRow.namespace == namespace,
        ]
        if where.start is not None:
            conditions.append(PatrolReportRow.started_at >= where.start)
        if where.end is not None:
            conditions.append(PatrolReportRow.started_at <= where.end)
        if where.status is not None:
            conditions.append(PatrolReportRow.status == where.status.value)
        if where.trigger is not None:
            conditions.append(PatrolReportRow.trigger == where.trigger.value)
        total = self._session.scalar(
            select(func.count()).select_from(PatrolReportRow).where(*conditions)
        )
        query = (
            select(PatrolReportRow)
            .where(*conditions)
            .order_by(PatrolReportRow.started_at.desc(), PatrolReportRow.id.desc())
        )
        reports = [_report(row) for row in self._session.scalars(query)]
        if where.scope is not None:
            # The scope kind lives in a JSON document: filtered here (reports are bounded).
            reports = [report for report in reports if report.scope.kind is where.scope]
            total = len(reports)
        return reports[offset : offset + limit], int(total or 0)

    def prune_patrol_reports(self, *, workspace: str, namespace: str, keep: int) -> int:
        kept = (
            select(PatrolReportRow.id)
            .where(PatrolReportRow.workspace == workspace, PatrolReportRow.namespace == namespace)
            .order_by(PatrolReportRow.started_at.desc(), PatrolReportRow.id.desc())
            .limit(keep)
        )
        keep_ids = list(self._session.scalars(kept))
        result = self._session.execute(
            delete(PatrolReportRow).where(
                PatrolReportRow.workspace == workspace,
                PatrolReportRow.namespace == namespace,
                PatrolReportRow.id.not_in(keep_ids),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _scope_json(scope: PatrolScope) -> dict[str, Any]:
    return {
        "kind": scope.kind.value,
        "deploymentIds": list(scope.deployment_ids),
        "tags": list(scope.tags),
    }


def _scope(data: dict[str, Any]) -> PatrolScope:
    return PatrolScope(
        kind=ScopeKind(data.get("kind", ScopeKind.ALL.value)),
        deployment_ids=tuple(str(item) for item in data.get("deploymentIds", [])),
        tags=tuple(str(item) for item in data.get("tags", [])),
    )


def _config_values(config: PatrolConfig) -> dict[str, Any]:
    return {
        "workspace": config.workspace,
        "namespace": config.namespace,
        "enabled": config.enabled,
        "cron": config.cron,
        "timezone": config.timezone,
        "scope": _scope_json(config.scope),
        "thresholds": dataclasses.asdict(config.thresholds),
        "last_run_at": config.last_run_at,
        "created_at": config.created_at,
        "updated_at": config.updated_at,
    }


def _config(row: PatrolConfigRow) -> PatrolConfig:
    return PatrolConfig(
        workspace=row.workspace,
        namespace=row.namespace,
        enabled=row.enabled,
        cron=row.cron,
        timezone=row.timezone,
        scope=_scope(row.scope or {}),
        thresholds=_thresholds(row.thresholds or {}),
        last_run_at=row.last_run_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _thresholds(data: dict[str, Any]) -> Thresholds:
    defaults = dataclasses.asdict(Thresholds())
    known = {name: data[name] for name in defaults if name in data}
    return Thresholds(**{**defaults, **known})


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "check": finding.check.value,
        "severity": finding.severity.value,
        "jobId": finding.job_id,
        "deploymentId": finding.deployment_id,
        "deploymentName": finding.deployment_name,
        "description": finding.description,
        "advice": finding.advice,
        "evidence": dict(finding.evidence),
        "tags": list(finding.tags),
    }


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(
        check=Check(data["check"]),
        severity=Severity(data["severity"]),
        job_id=str(data["jobId"]),
        deployment_id=str(data["deploymentId"]),
        deployment_name=str(data["deploymentName"]),
        description=str(data["description"]),
        advice=str(data["advice"]),
        evidence=dict(data.get("evidence") or {}),
        tags=tuple(str(tag) for tag in data.get("tags", [])),
    )


def _report(row: PatrolReportRow) -> PatrolReport:
    return PatrolReport(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        trigger=TriggerKind(row.trigger),
        scope=_scope(row.scope or {}),
        status=ReportStatus(row.status),
        started_at=row.started_at,
        completed_at=row.completed_at,
        total_jobs=row.total_jobs,
        inspected_jobs=row.inspected_jobs,
        findings=tuple(_finding(item) for item in (row.findings or {}).get("items", [])),
        error=row.error,
    )


class SqlPatrolStore(SessionStore[SqlPatrolRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlPatrolRepositories, **engine_options)
