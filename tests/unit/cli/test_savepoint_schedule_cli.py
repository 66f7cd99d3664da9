"""``millstream savepoints schedule``: --every/--cron with --keep, --max-age and
--blackout become one PutSavepointSchedule body; --show reads, --off deletes; malformed
input is a usage error (exit 2) before any request. The fake server's other routes stay
as they are; the schedule route is answered here."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from millstream.cli.exit_codes import ExitCode
from tests.unit.cli.conftest import Invoke
from tests.unit.cli.fake_server import FakeServer


class ScheduleRoute:
    """Answers ``.../deployments/{id}/savepoint-schedule``; everything else goes on."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.inner = server.handle
        self.stored: dict[str, Any] | None = None
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/savepoint-schedule"):
            return self.inner(request)
        self.server.requests.append(request)
        if request.method == "PUT":
            body = json.loads(request.content)
            self.bodies.append(body)
            self.stored = {**body, "nextDueAt": "2026-12-04T13:00:00+00:00"}
        elif request.method == "DELETE":
            self.stored = None
            return httpx.Response(200, json={"success": True, "httpCode": 200, "data": None})
        if self.stored is None:
            return httpx.Response(
                404, json={"success": False, "httpCode": 404, "errorCode": "NotFound"}
            )
        return httpx.Response(200, json={"success": True, "httpCode": 200, "data": self.stored})


@pytest.fixture
def route(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> ScheduleRoute:
    handler = ScheduleRoute(server)
    monkeypatch.setattr(server, "handle", handler)
    return handler


def test_schedule_sends_one_body_and_shows_it(
    invoke: Invoke, server: FakeServer, route: ScheduleRoute
) -> None:
    server.add_deployment("orders")
    result = invoke(
        "savepoints", "schedule", "orders", "--every", "1h", "--keep", "5", "--max-age", "7d",
        "--blackout", "09:00-10:00", "--blackout", "22:00-02:00", "-o", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert route.bodies == [
        {
            "intervalSeconds": 3600,
            "cron": None,
            "timezone": "UTC",
            "maxCount": 5,
            "maxAgeSeconds": 604800,
            "blackouts": ["09:00-10:00", "22:00-02:00"],
        }
    ]
    assert json.loads(result.stdout)["every"] == "1h"
    shown = invoke("savepoints", "schedule", "orders", "--show", "-o", "json")
    assert json.loads(shown.stdout)["maxCount"] == 5
    assert invoke("savepoints", "schedule", "orders", "--off").exit_code == 0
    assert route.stored is None
    assert invoke("savepoints", "schedule", "orders", "--show").exit_code == ExitCode.NOT_FOUND


@pytest.mark.parametrize(
    "args",
    [
        ["--keep", "5"],
        ["--every", "1h", "--cron", "0 * * * *"],
        ["--every", "soon"],
        ["--every", "1h", "--max-age", "1y"],
        ["--every", "1h", "--blackout", "9-10"],
        ["--every", "1h", "--keep", "0"],
        ["--show", "--off"],
    ],
)
def test_malformed_schedules_are_usage_errors_before_any_request(
    invoke: Invoke, server: FakeServer, route: ScheduleRoute, args: list[str]
) -> None:
    server.add_deployment("orders")
    result = invoke("savepoints", "schedule", "orders", *args)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert route.bodies == []
    assert server.requests == []
