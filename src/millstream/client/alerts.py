"""Client operations of alert rules and alerts, a Millstream extension of the native API
(``CreateAlertRule``, ``ListAlertRules``, ``GetAlertRule``, ``DeleteAlertRule``,
``ListAlerts``).

Values like those of ``client.operations``; ``MillstreamClient`` sends them. A rule and an
alert are the plain wire dicts (``name``, ``kind``, ``threshold``, ``webhook`` ... and
``fingerprint``, ``status``, ``firingSince`` ...).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from millstream.client.envelopes import data_of as _data
from millstream.client.envelopes import items_of as _items
from millstream.client.envelopes import namespace_base as _base
from millstream.client.envelopes import nothing as _nothing
from millstream.client.operations import Operation

__all__ = [
    "create_alert_rule",
    "delete_alert_rule",
    "get_alert_rule",
    "list_alert_rules",
    "list_alerts",
]


def create_alert_rule(namespace: str, rule: dict[str, Any]) -> Operation[dict[str, Any]]:
    path = _base(namespace) + "/alert-rules"
    return Operation("CreateAlertRule", "POST", path, _data, body=rule)


def list_alert_rules(namespace: str) -> Operation[list[dict[str, Any]]]:
    return Operation("ListAlertRules", "GET", _base(namespace) + "/alert-rules", _items)


def get_alert_rule(namespace: str, name: str) -> Operation[dict[str, Any]]:
    path = _base(namespace) + f"/alert-rules/{quote(name, safe='')}"
    return Operation("GetAlertRule", "GET", path, _data)


def delete_alert_rule(namespace: str, name: str) -> Operation[None]:
    path = _base(namespace) + f"/alert-rules/{quote(name, safe='')}"
    return Operation("DeleteAlertRule", "DELETE", path, _nothing)


def list_alerts(
    namespace: str, *, include_pending: bool = False
) -> Operation[list[dict[str, Any]]]:
    query = {"includePending": "true"} if include_pending else {}
    return Operation("ListAlerts", "GET", _base(namespace) + "/alerts", _items, query=query)
