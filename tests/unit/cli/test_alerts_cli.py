"""``millstream alerts rules create|list|delete`` and ``millstream alerts list``: the
create options become one CreateAlertRule body (labels as a dict, the secret from stdin
with ``-``), list and delete call their operations, and a malformed ``--label`` or kind
is a usage error (exit 2) before any request. The fake server's other routes stay as they
are; the alert routes are answered here."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import FakeServer


def _ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "httpCode": 200, "data": data})


class AlertRoutes:
    """Answers ``.../alert-rules`` and ``.../alerts``; everything else goes on."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.inner = server.handle
        self.rules: dict[str, dict[str, Any]] = {}
        self.bodies: list[dict[str, Any]] = []
        self.alert_queries: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if "/alert-rules" not in path and not path.endswith("/alerts"):
            return self.inner(request)
        self.server.requests.append(request)
        if path.endswith("/alerts"):
            self.alert_queries.append(request.url.query.decode())
            return _ok(
                [
                    {
                        "ruleName": "failed",
                        "status": "FIRING",
                        "deploymentName": "orders",
                        "firingSince": "2026-12-04T22:00:00+00:00",
                        "summary": "job of deployment orders failed",
                    }
                ]
            )
        if request.method == "POST":
            body = json.loads(request.content)
            self.bodies.append(body)
            rule = {k: v for k, v in body.items() if k != "webhook"}
            rule["webhook"] = {"url": body["webhook"]["url"], "format": body["webhook"]["format"]}
            self.rules[body["name"]] = rule
            return _ok(rule)
        if request.method == "DELETE":
            self.rules.pop(path.rsplit("/", 1)[1], None)
            return _ok(None)
        return _ok(list(self.rules.values()))


@pytest.fixture
def routes(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> AlertRoutes:
    handler = AlertRoutes(server)
    monkeypatch.setattr(server, "handle", handler)
    return handler


def test_create_list_delete_rules(invoke: Invoke, routes: AlertRoutes) -> None:
    result = invoke(
        "alerts", "rules", "create", "lag", "--kind", "source_lag_over", "--threshold", "5000",
        "--for", "60", "--label", "team=data", "--webhook", "https://oapi.dingtalk.com/robot/send",
        "--format", "dingtalk", "--secret", "-", "-o", "json",
        input="SECxyz\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert routes.bodies == [
        {
            "name": "lag",
            "kind": "source_lag_over",
            "threshold": 5000.0,
            "state": None,
            "windowSeconds": None,
            "forSeconds": 60,
            "deploymentName": None,
            "labels": {"team": "data"},
            "webhook": {
                "url": "https://oapi.dingtalk.com/robot/send",
                "format": "dingtalk",
                "secret": "SECxyz",
            },
            "enabled": True,
        }
    ]
    listed = invoke("alerts", "rules", "list", "-o", "json")
    assert [r["name"] for r in json.loads(listed.stdout)] == ["lag"]
    table = invoke("alerts", "rules", "list")
    assert "source_lag_over" in table.stdout
    assert "team=data" in table.stdout
    assert invoke("alerts", "rules", "delete", "lag", "--yes").exit_code == 0
    assert routes.rules == {}


def test_alerts_list_shows_firing_alerts(invoke: Invoke, routes: AlertRoutes) -> None:
    result = invoke("alerts", "list", "--pending")
    assert result.exit_code == 0, result.output
    assert "orders" in result.stdout
    assert "FIRING" in result.stdout
    assert routes.alert_queries == ["includePending=true"]


@pytest.mark.parametrize(
    "args",
    [
        ["--kind", "job_failed", "--webhook", "https://x.example", "--label", "nolabel"],
        ["--kind", "cpu_high", "--webhook", "https://x.example"],
        ["--kind", "job_failed"],
    ],
)
def test_bad_create_is_a_usage_error_before_any_request(
    invoke: Invoke, routes: AlertRoutes, args: list[str]
) -> None:
    result = invoke("alerts", "rules", "create", "r", *args)
    assert result.exit_code == 2, result.output
    assert routes.bodies == []
