"""Webhook payloads of alert transitions, one shape per ``ChannelFormat``, and the
DingTalk / Feishu request signatures.

``control.alerting`` renders each outbox message just before sending it (a signature
carries the send time): ``render(format, message, secret, now)`` returns the URL query
to add and the JSON body.

- generic: the message itself (``status``, ``fingerprint``, ``rule``, ``kind``,
  ``namespace``, ``deployment``, ``summary``, ``value``, ``firingSince``, ``resolvedAt``).
- Slack incoming webhook: ``text`` plus one mrkdwn ``section`` block.
- DingTalk custom robot: ``msgtype: markdown``; with a secret, ``timestamp`` (ms) and
  ``sign`` = base64(HMAC-SHA256(key=secret, "{timestamp}\\n{secret}")) in the query.
- Feishu custom bot: ``msg_type: text``; with a secret, ``timestamp`` (s) and ``sign`` =
  base64(HMAC-SHA256(key="{timestamp}\\n{secret}", empty message)) in the body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from millstream.domain.alerts import AlertState, ChannelFormat, Transition, TransitionEvent

__all__ = ["dingtalk_sign", "feishu_sign", "message_of", "render"]


def message_of(transition: Transition) -> dict[str, Any]:
    """What the outbox keeps of a transition: the generic payload."""
    state: AlertState = transition.state
    rule = transition.rule
    return {
        "status": transition.event.value,
        "fingerprint": state.fingerprint,
        "rule": rule.name,
        "kind": rule.condition.kind.value,
        "workspace": rule.workspace,
        "namespace": rule.namespace,
        "deployment": state.deployment_name,
        "deploymentId": state.deployment_id,
        "summary": state.summary,
        "value": state.value,
        "firingSince": state.firing_since.isoformat(),
        "resolvedAt": state.resolved_at.isoformat() if state.resolved_at else None,
    }


def _title(message: dict[str, Any]) -> str:
    mark = "RESOLVED" if message["status"] == TransitionEvent.RESOLVED.value else "FIRING"
    return f"[{mark}] {message['rule']} ({message['namespace']}/{message['deployment']})"


def _text(message: dict[str, Any]) -> str:
    lines = [_title(message), str(message["summary"]), f"since {message['firingSince']}"]
    if message.get("resolvedAt"):
        lines.append(f"resolved at {message['resolvedAt']}")
    return "\n".join(lines)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature (the ``sign`` query parameter, before URL encoding)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's bot signature (the ``sign`` body field)."""
    key = f"{timestamp_s}\n{secret}".encode()
    digest = hmac.new(key, b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def render(
    fmt: ChannelFormat, message: dict[str, Any], secret: str | None, now: datetime
) -> tuple[dict[str, str], dict[str, Any]]:
    """The query parameters to add to the webhook URL and the JSON body."""
    if fmt is ChannelFormat.SLACK:
        text = _text(message)
        block = {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_title(message)}*"}}
        detail = {"type": "section", "text": {"type": "mrkdwn", "text": str(message["summary"])}}
        return {}, {"text": text, "blocks": [block, detail]}
    if fmt is ChannelFormat.DINGTALK:
        body = {
            "msgtype": "markdown",
            "markdown": {"title": _title(message), "text": _markdown(message)},
        }
        if not secret:
            return {}, body
        timestamp = int(now.timestamp() * 1000)
        return {"timestamp": str(timestamp), "sign": dingtalk_sign(secret, timestamp)}, body
    if fmt is ChannelFormat.FEISHU:
        feishu: dict[str, Any] = {"msg_type": "text", "content": {"text": _text(message)}}
        if secret:
            timestamp = int(now.timestamp())
            feishu = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **feishu}
        return {}, feishu
    return {}, dict(message)


def _markdown(message: dict[str, Any]) -> str:
    lines = [f"### {_title(message)}", "", f"- {message['summary']}"]
    lines.append(f"- since {message['firingSince']}")
    if message.get("resolvedAt"):
        lines.append(f"- resolved at {message['resolvedAt']}")
    return "\n".join(lines)
