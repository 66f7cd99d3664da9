"""Webhook payload shapes per format (``control.alert_payloads``): generic JSON, Slack
``text`` + mrkdwn blocks, DingTalk ``msgtype: markdown`` with ``timestamp`` + ``sign`` in
the query when a secret is set, Feishu ``msg_type`` with ``timestamp`` + ``sign`` in the
body; the signatures are recomputed here from the products' documented recipes."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from millstream.control.alert_payloads import message_of, render
from millstream.domain.alerts import (
    AlertKind,
    AlertRule,
    AlertState,
    AlertStatus,
    Channel,
    ChannelFormat,
    Condition,
    Transition,
    TransitionEvent,
)

NOW = datetime(2026, 12, 4, 22, 30, tzinfo=UTC)


def _message(event: TransitionEvent = TransitionEvent.FIRING) -> dict[str, object]:
    rule = AlertRule(
        id="r1",
        workspace="ws",
        namespace="ns",
        name="orders-failed",
        condition=Condition(AlertKind.JOB_FAILED),
        channel=Channel(url="https://example.com/hook"),
    )
    state = AlertState(
        fingerprint="fp1",
        rule_id="r1",
        workspace="ws",
        namespace="ns",
        deployment_id="d1",
        deployment_name="orders",
        status=AlertStatus.FIRING,
        summary="job of deployment orders failed",
        firing_since=NOW,
        resolved_at=NOW if event is TransitionEvent.RESOLVED else None,
    )
    return message_of(Transition(event, rule, state))


def test_generic_is_the_message_itself() -> None:
    query, body = render(ChannelFormat.GENERIC, _message(), None, NOW)
    assert query == {}
    assert body["status"] == "firing"
    assert body["fingerprint"] == "fp1"
    assert body["rule"] == "orders-failed"
    assert body["deployment"] == "orders"
    assert body["firingSince"] == NOW.isoformat()


def test_slack_has_text_and_mrkdwn_blocks() -> None:
    _, body = render(ChannelFormat.SLACK, _message(TransitionEvent.RESOLVED), None, NOW)
    assert body["text"].startswith("[RESOLVED] orders-failed (ns/orders)")
    assert body["blocks"][0]["type"] == "section"
    assert body["blocks"][0]["text"]["type"] == "mrkdwn"
    assert "job of deployment orders failed" in body["blocks"][1]["text"]["text"]


def test_dingtalk_is_markdown_and_signed_in_the_query() -> None:
    query, body = render(ChannelFormat.DINGTALK, _message(), "SECabc", NOW)
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"].startswith("[FIRING]")
    assert "job of deployment orders failed" in body["markdown"]["text"]
    timestamp = int(NOW.timestamp() * 1000)
    assert query["timestamp"] == str(timestamp)
    expected = hmac.new(b"SECabc", f"{timestamp}\nSECabc".encode(), hashlib.sha256).digest()
    assert query["sign"] == base64.b64encode(expected).decode()
    unsigned, _ = render(ChannelFormat.DINGTALK, _message(), None, NOW)
    assert unsigned == {}


def test_feishu_has_msg_type_and_signs_in_the_body() -> None:
    query, body = render(ChannelFormat.FEISHU, _message(), "fs-secret", NOW)
    assert query == {}
    assert body["msg_type"] == "text"
    assert "[FIRING] orders-failed" in body["content"]["text"]
    timestamp = int(NOW.timestamp())
    assert body["timestamp"] == str(timestamp)
    key = f"{timestamp}\nfs-secret".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    _, unsigned = render(ChannelFormat.FEISHU, _message(), None, NOW)
    assert "sign" not in unsigned
    assert "timestamp" not in unsigned
