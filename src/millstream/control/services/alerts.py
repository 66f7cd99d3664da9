"""``AlertService``: alert rules of a namespace (create, list, get, delete) and its
alerts (firing and pending), for the native API and the CLI.

A rule is checked when it is created: its condition (``domain.alerts.validate_condition``)
and its webhook URL (the SSRF policy of ``WebhookSender.check``, so a refused host is a
400 now rather than a silent failure later). A DingTalk / Feishu signing secret is
encrypted at rest (``SecretCipher``) and never read back through the API.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from millstream.control.access_ports import SecretCipher
from millstream.control.alert_ports import AlertStore, WebhookSender
from millstream.control.context import Actor, Scope
from millstream.domain.alerts import (
    AlertRule,
    AlertState,
    AlertStatus,
    Channel,
    ChannelFormat,
    Condition,
    Selector,
    validate_condition,
)
from millstream.domain.errors import InvalidInput, NotFound

__all__ = ["AlertService"]


class AlertService:
    def __init__(
        self,
        alerts: AlertStore,
        sender: WebhookSender,
        cipher: SecretCipher,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._alerts = alerts
        self._sender = sender
        self._cipher = cipher
        self._clock = clock

    def create(
        self,
        scope: Scope,
        actor: Actor,
        name: str,
        *,
        condition: Condition,
        url: str,
        fmt: ChannelFormat = ChannelFormat.GENERIC,
        secret: str | None = None,
        deployment_name: str | None = None,
        labels: Mapping[str, str] | None = None,
        enabled: bool = True,
    ) -> AlertRule:
        validate_condition(condition)
        if secret and fmt not in (ChannelFormat.DINGTALK, ChannelFormat.FEISHU):
            raise InvalidInput("a signing 'secret' applies to the dingtalk and feishu formats only")
        self._sender.check(url)
        ciphertext = base64.b64encode(self._cipher.encrypt(secret)).decode() if secret else None
        now = self._clock()
        rule = AlertRule(
            id=uuid.uuid4().hex,
            workspace=scope.workspace,
            namespace=scope.namespace,
            name=name,
            condition=condition,
            channel=Channel(url=url, format=fmt, secret_ciphertext=ciphertext),
            selector=Selector(deployment_name=deployment_name, labels=dict(labels or {})),
            enabled=enabled,
            creator=actor.name,
            created_at=now,
            modified_at=now,
        )
        with self._alerts.transaction() as repos:
            repos.create_alert_rule(rule=rule)
        return rule

    def rules(self, scope: Scope) -> list[AlertRule]:
        with self._alerts.transaction() as repos:
            return repos.read_alert_rules(workspace=scope.workspace, namespace=scope.namespace)

    def get(self, scope: Scope, name: str) -> AlertRule:
        with self._alerts.transaction() as repos:
            rule = repos.read_alert_rule(
                workspace=scope.workspace, namespace=scope.namespace, name=name
            )
        if rule is None:
            raise NotFound(f"alert rule {name!r} not found in namespace {scope.namespace!r}")
        return rule

    def delete(self, scope: Scope, name: str) -> None:
        """The rule, its alerts and its undelivered notifications (no resolve is sent)."""
        rule = self.get(scope, name)
        with self._alerts.transaction() as repos:
            repos.delete_alert_rule(rule_id=rule.id)

    def alerts(self, scope: Scope, *, include_pending: bool = False) -> list[AlertState]:
        """The namespace's firing alerts, oldest first (and pending ones if asked)."""
        with self._alerts.transaction() as repos:
            states = repos.read_alert_states(workspace=scope.workspace, namespace=scope.namespace)
        wanted = {AlertStatus.FIRING} | ({AlertStatus.PENDING} if include_pending else set())
        return [state for state in states if state.status in wanted]
