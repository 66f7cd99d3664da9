"""The store port of alerts: rules, per-fingerprint alert states and the delivery outbox.

``control.services.alerts`` (the API's rule CRUD and firing list) and
``control.alerting`` (the leader's periodic task) use it; ``store.alerts`` implements it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from millstream.domain.alerts import AlertRule, AlertState, AlertStatus, TransitionEvent
from millstream.domain.jobs import Job

__all__ = ["AlertRepositories", "AlertStore", "LiveMetrics", "OutboxEntry", "WebhookSender"]


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A transition waiting for delivery; ``message`` is what its payload is rendered from."""

    id: str
    rule_id: str
    fingerprint: str
    event: TransitionEvent
    message: dict[str, Any]
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None = None


class AlertRepositories(Protocol):
    def read_alert_rule(self, *, workspace: str, namespace: str, name: str) -> AlertRule | None: ...
    def read_alert_rules(
        self, *, workspace: str | None = None, namespace: str | None = None
    ) -> list[AlertRule]: ...
    def create_alert_rule(self, *, rule: AlertRule) -> None:
        """``Conflict`` when the namespace has a rule of that name."""
        ...

    def delete_alert_rule(self, *, rule_id: str) -> bool:
        """Its alert states and pending deliveries go with it."""
        ...

    def read_alert_states(
        self,
        *,
        rule_id: str | None = None,
        workspace: str | None = None,
        namespace: str | None = None,
        status: AlertStatus | None = None,
    ) -> list[AlertState]: ...
    def write_alert_states(self, *, states: Sequence[AlertState]) -> None: ...
    def delete_alert_states(self, *, fingerprints: Sequence[str]) -> None: ...
    def mark_alert_sent(self, *, fingerprint: str, sent_at: datetime) -> None: ...
    def create_outbox_entry(self, *, entry: OutboxEntry) -> None: ...
    def read_due_outbox(self, *, now: datetime, limit: int) -> list[OutboxEntry]: ...
    def update_outbox_entry(
        self, *, entry_id: str, attempts: int, next_attempt_at: datetime, last_error: str | None
    ) -> None: ...
    def delete_outbox_entry(self, *, entry_id: str) -> None: ...
    def count_outbox(self) -> int: ...
    def trim_outbox(self, *, keep: int) -> int:
        """Drop the oldest entries beyond ``keep``; how many went."""
        ...


class AlertStore(Protocol):
    def transaction(self) -> AbstractContextManager[AlertRepositories]: ...


class WebhookSender(Protocol):
    def check(self, url: str) -> None:
        """``InvalidInput`` when ``url`` may not be called (SSRF policy)."""
        ...

    def post(self, url: str, query: Mapping[str, str], body: Mapping[str, Any]) -> Any:
        """POST JSON; the receiver's JSON answer. ``Unavailable`` when it failed."""
        ...


class LiveMetrics(Protocol):
    """Metrics the sampler does not keep, read from Flink now, only for jobs a rule needs
    them for: ``failed_checkpoints``, ``backpressure`` (0..1) and ``source_lag``."""

    def read(self, job: Job, names: Collection[str]) -> dict[str, float]: ...
