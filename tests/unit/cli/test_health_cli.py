"""``millstream health set|show|off``: the options become one PutHealthPolicy body, show
reads the deployment's health, off deletes the policy; malformed durations are usage
errors (exit 2) before any request. The health routes are answered here."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from millstream.cli.exit_codes import ExitCode
from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import FakeServer


class HealthRoute:
    """Answers ``.../health-policy`` and ``.../health``; everything else goes on."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.inner = server.handle
        self.policy: dict[str, Any] | None = None
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if not path.endswith(("/health-policy", "/health")):
            return self.inner(request)
        self.server.requests.append(request)
        if path.endswith("/health"):
            data = {"state": "UNHEALTHY", "reason": "RESTARTS", "policy": self.policy}
            return httpx.Response(200, json={"success": True, "httpCode": 200, "data": data})
        if request.method == "PUT":
            self.policy = json.loads(request.content)
            self.bodies.append(self.policy)
        elif request.method == "DELETE":
            self.policy = None
        return httpx.Response(200, json={"success": True, "httpCode": 200, "data": self.policy})


@pytest.fixture
def route(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> HealthRoute:
    handler = HealthRoute(server)
    monkeypatch.setattr(server, "handle", handler)
    return handler


def test_set_sends_one_body_show_reads_health_off_deletes(
    invoke: Invoke, server: FakeServer, route: HealthRoute
) -> None:
    server.add_deployment("orders")
    result = invoke(
        "health", "set", "orders", "--max-restarts", "3", "--window", "5m",
        "--checkpoint-stall", "10m", "--auto-restart", "--rollback",
        "--readiness-timeout", "2m", "--stable-period", "30s", "-o", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert route.bodies == [
        {
            "maxRestarts": 3,
            "restartWindowSeconds": 300,
            "checkpointStallSeconds": 600,
            "sourceIdleSeconds": None,
            "autoRestart": True,
            "rollback": True,
            "readinessTimeoutSeconds": 120,
            "stablePeriodSeconds": 30,
        }
    ]
    shown = invoke("health", "show", "orders", "-o", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["reason"] == "RESTARTS"
    assert invoke("health", "off", "orders").exit_code == 0
    assert route.policy is None


@pytest.mark.parametrize(
    "args",
    [
        ["--window", "soon"],
        ["--checkpoint-stall", "1y"],
        ["--max-restarts", "-1"],
        ["--readiness-timeout", ""],
    ],
)
def test_malformed_policies_are_usage_errors_before_any_request(
    invoke: Invoke, server: FakeServer, route: HealthRoute, args: list[str]
) -> None:
    server.add_deployment("orders")
    result = invoke("health", "set", "orders", *args)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert route.bodies == []
    assert server.requests == []
