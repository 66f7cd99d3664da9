"""``SqlAlertStore``: the ``AlertStore`` port (``control.alert_ports``) over the
``alert_rules``, ``alert_states`` and ``alert_outbox`` tables (migration 0018).

The app factory builds ``SqlAlertStore(sql_store.engine)`` so it shares the main store's
connection pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from millstream.control.alert_ports import OutboxEntry
from millstream.domain.alerts import (
    AlertKind,
    AlertRule,
    AlertState,
    AlertStatus,
    Channel,
    ChannelFormat,
    Condition,
    Selector,
    TransitionEvent,
)
from millstream.domain.errors import Conflict
from millstream.store.errors import integrity_violation
from millstream.store.models import AlertOutboxRow, AlertRuleRow, AlertStateRow
from millstream.store.store import SessionStore

__all__ = ["SqlAlertRepositories", "SqlAlertStore"]


class SqlAlertRepositories:
    """The ``AlertRepositories`` port on one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # rules
    def read_alert_rule(self, *, workspace: str, namespace: str, name: str) -> AlertRule | None:
        query = select(AlertRuleRow).where(
            AlertRuleRow.workspace == workspace,
            AlertRuleRow.namespace == namespace,
            AlertRuleRow.name == name,
        )
        row = self._session.scalars(query).first()
        return _rule(row) if row is not None else None

    def read_alert_rules(
        self, *, workspace: str | None = None, namespace: str | None = None
    ) -> list[AlertRule]:
        query = select(AlertRuleRow).order_by(
            AlertRuleRow.workspace, AlertRuleRow.namespace, AlertRuleRow.name
        )
        if workspace is not None:
            query = query.where(AlertRuleRow.workspace == workspace)
        if namespace is not None:
            query = query.where(AlertRuleRow.namespace == namespace)
        return [_rule(row) for row in self._session.scalars(query)]

    def create_alert_rule(self, *, rule: AlertRule) -> None:
        self._session.add(AlertRuleRow(**_rule_values(rule)))
        try:
            with self._session.begin_nested():
                self._session.flush()
        except IntegrityError as error:
            if integrity_violation(error) == "unique":
                raise Conflict(
                    f"alert rule {rule.name!r} already exists in namespace {rule.namespace!r}"
                ) from None
            raise

    def delete_alert_rule(self, *, rule_id: str) -> bool:
        # Explicit as well as ON DELETE CASCADE: the same on every backend.
        self._session.execute(delete(AlertOutboxRow).where(AlertOutboxRow.rule_id == rule_id))
        self._session.execute(delete(AlertStateRow).where(AlertStateRow.rule_id == rule_id))
        result = self._session.execute(delete(AlertRuleRow).where(AlertRuleRow.id == rule_id))
        return bool(getattr(result, "rowcount", 0))

    # states
    def read_alert_states(
        self,
        *,
        rule_id: str | None = None,
        workspace: str | None = None,
        namespace: str | None = None,
        status: AlertStatus | None = None,
    ) -> list[AlertState]:
        query = select(AlertStateRow).order_by(
            AlertStateRow.firing_since, AlertStateRow.fingerprint
        )
        if rule_id is not None:
            query = query.where(AlertStateRow.rule_id == rule_id)
        if workspace is not None:
            query = query.where(AlertStateRow.workspace == workspace)
        if namespace is not None:
            query = query.where(AlertStateRow.namespace == namespace)
        if status is not None:
            query = query.where(AlertStateRow.status == status.value)
        return [_state(row) for row in self._session.scalars(query)]

    def write_alert_states(self, *, states: Sequence[AlertState]) -> None:
        for state in states:
            values = _state_values(state)
            row = self._session.get(AlertStateRow, state.fingerprint)
            if row is None:
                self._session.add(AlertStateRow(**values))
            else:
                for key, value in values.items():
                    if key != "fingerprint":
                        setattr(row, key, value)
        self._session.flush()

    def delete_alert_states(self, *, fingerprints: Sequence[str]) -> None:
        if fingerprints:
            self._session.execute(
                delete(AlertStateRow).where(AlertStateRow.fingerprint.in_(list(fingerprints)))
            )

    def mark_alert_sent(self, *, fingerprint: str, sent_at: datetime) -> None:
        self._session.execute(
            update(AlertStateRow)
            .where(AlertStateRow.fingerprint == fingerprint)
            .values(last_sent_at=sent_at)
        )

    # outbox
    def create_outbox_entry(self, *, entry: OutboxEntry) -> None:
        self._session.add(
            AlertOutboxRow(
                id=entry.id,
                rule_id=entry.rule_id,
                fingerprint=entry.fingerprint,
                event=entry.event.value,
                message=entry.message,
                attempts=entry.attempts,
                next_attempt_at=entry.next_attempt_at,
                last_error=entry.last_error,
                created_at=entry.created_at,
            )
        )
        self._session.flush()

    def read_due_outbox(self, *, now: datetime, limit: int) -> list[OutboxEntry]:
        query = (
            select(AlertOutboxRow)
            .where(AlertOutboxRow.next_attempt_at <= now)
            .order_by(AlertOutboxRow.created_at, AlertOutboxRow.id)
            .limit(limit)
        )
        return [_entry(row) for row in self._session.scalars(query)]

    def update_outbox_entry(
        self, *, entry_id: str, attempts: int, next_attempt_at: datetime, last_error: str | None
    ) -> None:
        self._session.execute(
            update(AlertOutboxRow)
            .where(AlertOutboxRow.id == entry_id)
            .values(attempts=attempts, next_attempt_at=next_attempt_at, last_error=last_error)
        )

    def delete_outbox_entry(self, *, entry_id: str) -> None:
        self._session.execute(delete(AlertOutboxRow).where(AlertOutboxRow.id == entry_id))

    def count_outbox(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(AlertOutboxRow)) or 0)

    def trim_outbox(self, *, keep: int) -> int:
        excess = self.count_outbox() - keep
        if excess <= 0:
            return 0
        oldest = select(AlertOutboxRow.id).order_by(AlertOutboxRow.created_at).limit(excess)
        ids = list(self._session.scalars(oldest))
        self._session.execute(delete(AlertOutboxRow).where(AlertOutboxRow.id.in_(ids)))
        return len(ids)


def _rule_values(rule: AlertRule) -> dict[str, Any]:
    condition = rule.condition
    return {
        "id": rule.id,
        "workspace": rule.workspace,
        "namespace": rule.namespace,
        "name": rule.name,
        "kind": condition.kind.value,
        "condition": {
            "threshold": condition.threshold,
            "state": condition.state,
            "windowSeconds": condition.window_seconds,
            "forSeconds": condition.for_seconds,
        },
        "selector": {
            "deploymentName": rule.selector.deployment_name,
            "labels": dict(rule.selector.labels),
        },
        "channel": {
            "url": rule.channel.url,
            "format": rule.channel.format.value,
            "secretCiphertext": rule.channel.secret_ciphertext,
        },
        "enabled": rule.enabled,
        "creator": rule.creator,
        "created_at": rule.created_at,
        "modified_at": rule.modified_at,
    }


def _rule(row: AlertRuleRow) -> AlertRule:
    condition, selector, channel = row.condition, row.selector, row.channel
    return AlertRule(
        id=row.id,
        workspace=row.workspace,
        namespace=row.namespace,
        name=row.name,
        condition=Condition(
            kind=AlertKind(row.kind),
            threshold=condition.get("threshold"),
            state=condition.get("state"),
            window_seconds=condition.get("windowSeconds"),
            for_seconds=int(condition.get("forSeconds") or 0),
        ),
        selector=Selector(
            deployment_name=selector.get("deploymentName"),
            labels={str(k): str(v) for k, v in (selector.get("labels") or {}).items()},
        ),
        channel=Channel(
            url=str(channel["url"]),
            format=ChannelFormat(channel.get("format", "generic")),
            secret_ciphertext=channel.get("secretCiphertext"),
        ),
        enabled=row.enabled,
        creator=row.creator,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


def _state_values(state: AlertState) -> dict[str, Any]:
    return {
        "fingerprint": state.fingerprint,
        "rule_id": state.rule_id,
        "workspace": state.workspace,
        "namespace": state.namespace,
        "deployment_id": state.deployment_id,
        "deployment_name": state.deployment_name,
        "status": state.status.value,
        "summary": state.summary,
        "value": state.value,
        "firing_since": state.firing_since,
        "resolved_at": state.resolved_at,
        "last_sent_at": state.last_sent_at,
        "modified_at": state.modified_at or state.firing_since,
    }


def _state(row: AlertStateRow) -> AlertState:
    return AlertState(
        fingerprint=row.fingerprint,
        rule_id=row.rule_id,
        workspace=row.workspace,
        namespace=row.namespace,
        deployment_id=row.deployment_id,
        deployment_name=row.deployment_name,
        status=AlertStatus(row.status),
        summary=row.summary,
        value=row.value,
        firing_since=row.firing_since,
        resolved_at=row.resolved_at,
        last_sent_at=row.last_sent_at,
        modified_at=row.modified_at,
    )


def _entry(row: AlertOutboxRow) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        rule_id=row.rule_id,
        fingerprint=row.fingerprint,
        event=TransitionEvent(row.event),
        message=dict(row.message),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        last_error=row.last_error,
    )


class SqlAlertStore(SessionStore[SqlAlertRepositories]):
    """Sessions over an engine of its own (from a URL) or a shared one."""

    def __init__(self, url_or_engine: str | Engine, **engine_options: Any) -> None:
        super().__init__(url_or_engine, SqlAlertRepositories, **engine_options)
