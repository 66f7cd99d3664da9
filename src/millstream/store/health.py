"""``SqlHealthStore``: the ``HealthStore`` port of ``control.health_ports`` over the
``health_policies`` and ``deployment_health`` tables (migration 0021).

The checker's counters, the last stable spec and an action under way are one JSON
document (``bookkeeping``); what users see (state, reason, message, since) are columns.
The app factory builds ``SqlHealthStore(sql_store.engine)`` to share the pool.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from millstream.domain.health import (
    Action,
    HealthPolicy,
    HealthState,
    HealthStatus,
    UnhealthyReason,
)
from millstream.store.models import DeploymentHealthRow, HealthPolicyRow
from millstream.store.store import SessionStore

__all__ = ["SqlHealthRepositories", "SqlHealthStore"]

_POLICY_FIELDS = (
    "max_restarts",
    "restart_window_seconds",
    "checkpoint_stall_seconds",
    "source_idle_seconds",
    "auto_restart",
    "rollback",
    "readiness_timeout_seconds",
    "stable_period_seconds",
    "modifier",
    "created_at",
    "modified_at",
)
_TIMES = frozenset(
    {
        "job_created_at",
        "checkpoint_progress_at",
        "source_progress_at",
        "healthy_since",
        "stable_at",
        "last_action_at",
    }
)
_PLAIN = (
    "job_id",
    "flink_job_id",
    "job_fingerprint",
    "job_version",
    "restarts_seen",
    "checkpoints_seen",
    "records_seen",
    "stable_job_id",
    "stable_fingerprint",
    "stable_version",
    "pending_job_id",
)


class SqlHealthRepositories:
    """The ``HealthRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def read_health_policy(self, *, deployment_id: str) -> HealthPolicy | None:
        row = self._session.get(HealthPolicyRow, deployment_id)
        return _policy(row) if row is not None else None

    def read_health_policies(self) -> list[HealthPolicy]:
        query = select(HealthPolicyRow).order_by(HealthPolicyRow.deployment_id)
        return [_policy(row) for row in self._session.scalars(query)]

    def write_health_policy(self, *, policy: HealthPolicy) -> None:
        values = {name: getattr(policy, name) for name in _POLICY_FIELDS}
        row = self._session.get(HealthPolicyRow, policy.deployment_id)
        if row is None:
            self._session.add(
                HealthPolicyRow(
                    deployment_id=policy.deployment_id,
                    workspace=policy.workspace,
                    namespace=policy.namespace,
                    **values,
                )
            )
        else:
            for key, value in values.items():
                if key != "created_at":
                    setattr(row, key, value)
        self._session.flush()

    def delete_health_policy(self, *, deployment_id: str) -> bool:
        result = self._session.execute(
            delete(HealthPolicyRow).where(HealthPolicyRow.deployment_id == deployment_id)
        )
        self._session.execute(
            delete(DeploymentHealthRow).where(DeploymentHealthRow.deployment_id == deployment_id)
        )
        return bool(getattr(result, "rowcount", 0))

    def read_health_status(self, *, deployment_id: str) -> HealthStatus | None:
        row = self._session.get(DeploymentHealthRow, deployment_id)
        return _status(row) if row is not None else None

    def read_health_statuses(self, *, deployment_ids: Collection[str]) -> list[HealthStatus]:
        if not deployment_ids:
            return []
        query = select(DeploymentHealthRow).where(
            DeploymentHealthRow.deployment_id.in_(list(deployment_ids))
        )
        return [_status(row) for row in self._session.scalars(query)]

    def write_health_status(self, *, status: HealthStatus) -> None:
        values: dict[str, Any] = {
            "workspace": status.workspace,
            "namespace": status.namespace,
            "state": status.state.value,
            "reason": status.reason.value if status.reason is not None else None,
            "message": status.message,
            "since": status.since,
            "bookkeeping": _bookkeeping(status),
            "checked_at": status.checked_at,
        }
        row = self._session.get(DeploymentHealthRow, status.deployment_id)
        if row is None:
            self._session.add(DeploymentHealthRow(deployment_id=status.deployment_id, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
        self._session.flush()


def _policy(row: HealthPolicyRow) -> HealthPolicy:
    return HealthPolicy(
        deployment_id=row.deployment_id,
        workspace=row.workspace,
        namespace=row.namespace,
        **{name: getattr(row, name) for name in _POLICY_FIELDS},
    )


def _bookkeeping(status: HealthStatus) -> dict[str, Any]:
    document: dict[str, Any] = {name: getattr(status, name) for name in _PLAIN}
    for name in _TIMES:
        value = getattr(status, name)
        document[name] = value.isoformat() if value is not None else None
    document["restart_marks"] = [at.isoformat() for at in status.restart_marks]
    document["pending_action"] = (
        status.pending_action.value if status.pending_action is not None else None
    )
    return document


def _status(row: DeploymentHealthRow) -> HealthStatus:
    document = row.bookkeeping or {}
    pending = document.get("pending_action")
    fields: dict[str, Any] = {name: document.get(name) for name in _PLAIN}
    fields.update({name: _time(document.get(name)) for name in _TIMES})
    return HealthStatus(
        deployment_id=row.deployment_id,
        workspace=row.workspace,
        namespace=row.namespace,
        state=HealthState(row.state),
        reason=UnhealthyReason(row.reason) if row.reason else None,
        message=row.message,
        since=row.since,
        checked_at=row.checked_at,
        restart_marks=tuple(
            at for at in (_time(text) for text in document.get("restart_marks", [])) if at
        ),
        pending_action=Action(pending) if pending else None,
        **fields,
    )


def _time(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


class SqlHealthStore(SessionStore[SqlHealthRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlHealthRepositories, **engine_options)
