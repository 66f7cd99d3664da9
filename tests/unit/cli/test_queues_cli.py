"""``millstream queues list|show|create|update|delete`` against a small fake of the queue
routes (``httpx.MockTransport``): what is sent, and used / waiting / free shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from millstream.cli.main import app
from millstream.cli.state import CliState
from millstream.client import ClientConfig, MillstreamClient

QUEUES = "/api/v2/queues"


class QueueServer:
    """Keeps queues by name; one waiting and one admitted job in ``etl`` when asked."""

    def __init__(self) -> None:
        self.queues: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body: dict[str, Any] = json.loads(request.content) if request.content else {}
        self.requests.append((request.method, request.url.path, body or None))
        path = request.url.path
        name = path.removeprefix(QUEUES + "/") if path.startswith(QUEUES + "/") else None
        if request.method == "GET" and name is None:
            return _ok(list(self.queues.values()))
        if request.method == "POST":
            if body["name"] in self.queues:
                return _error(409, "QueueAlreadyExists", "exists")
            queue = {
                "cluster": "default",
                "namespaces": [],
                "resourceVersion": 1,
                "usage": {"usedCu": 0.0, "waitingCu": 0.0, "freeCu": body["capacityCu"]},
                **body,
            }
            self.queues[body["name"]] = queue
            return _ok(queue)
        if name not in self.queues:
            return _error(404, "QueueNotFound", f"queue {name!r} not found")
        if request.method == "GET":
            return _ok(self.queues[name])
        if request.method == "PATCH":
            self.queues[name].update(body)
            return _ok(self.queues[name])
        if self.queues[name]["usage"]["usedCu"]:
            return _error(409, "QueueInUse", f"queue {name!r} is used by 1 live job(s)")
        del self.queues[name]
        return _ok(None)


def _ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "requestId": "r", "data": data})


def _error(status: int, code: str, message: str) -> httpx.Response:
    body = {"success": False, "requestId": "r", "errorCode": code, "errorMessage": message}
    return httpx.Response(status, json=body)


@pytest.fixture
def server() -> QueueServer:
    return QueueServer()


@pytest.fixture
def run(server: QueueServer, tmp_path: Path) -> Any:
    def factory(config: ClientConfig) -> MillstreamClient:
        return MillstreamClient(config, transport=httpx.MockTransport(server.handle))

    def invoke(*args: str) -> Result:
        env = {
            "MILLSTREAM_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            "MILLSTREAM_ACCESS_KEY_ID": "ak",
            "MILLSTREAM_ACCESS_KEY_SECRET": "sk",
            "MILLSTREAM_URL": "http://millstream.test:8080",
            "MILLSTREAM_PROFILE": "",
            "MILLSTREAM_WORKSPACE": "",
            "MILLSTREAM_NAMESPACE": "",
            "COLUMNS": "250",
        }
        return CliRunner().invoke(app, list(args), obj=CliState(client_factory=factory), env=env)

    return invoke


def _busy(server: QueueServer) -> None:
    server.queues["etl"]["usage"] = {
        "usedCu": 6.0,
        "waitingCu": 2.0,
        "freeCu": 2.0,
        "admitted": [{"jobId": "job-a", "deploymentName": "orders", "costCu": 6.0}],
        "waiting": [{"jobId": "job-b", "deploymentName": "clicks", "costCu": 2.0, "priority": 3}],
    }


def test_create_sends_the_queue_and_list_shows_use(run: Any, server: QueueServer) -> None:
    created = run(
        "queues", "create", "etl", "--capacity", "8", "--max-job", "4",
        "--namespace-allowed", "a", "--namespace-allowed", "b",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert server.requests[-1] == (
        "POST",
        QUEUES,
        {"name": "etl", "capacityCu": 8.0, "maxJobCu": 4.0, "namespaces": ["a", "b"]},
    )
    _busy(server)
    listed = run("queues", "list")
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if "etl" in line)
    cells = [cell.strip() for cell in row.split("│") if cell.strip()]
    assert cells[:6] == ["etl", "default", "8", "6", "2", "2"]
    assert "###############....." in row  # 6 of 8 CU used
    as_json = json.loads(run("queues", "list", "-o", "json").stdout)
    assert as_json[0]["usage"]["freeCu"] == 2.0


def test_show_lists_admitted_then_waiting_jobs_in_order(run: Any, server: QueueServer) -> None:
    assert run("queues", "create", "etl", "--capacity", "8").exit_code == 0
    _busy(server)
    shown = run("queues", "show", "etl")
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    admitted = next(i for i, line in enumerate(lines) if "job-a" in line)
    waiting = next(i for i, line in enumerate(lines) if "job-b" in line)
    assert admitted < waiting
    assert "run" in lines[admitted]
    assert "│ 1 " in lines[waiting]


def test_update_and_delete_and_their_errors(run: Any, server: QueueServer) -> None:
    assert run("queues", "create", "etl", "--capacity", "8").exit_code == 0
    updated = run("queues", "update", "etl", "--capacity", "12", "--max-job", "0")
    assert updated.exit_code == 0, updated.output
    assert server.requests[-1] == ("PATCH", f"{QUEUES}/etl", {"capacityCu": 12.0, "maxJobCu": 0.0})
    _busy(server)
    refused = run("queues", "delete", "etl", "--yes")
    assert refused.exit_code != 0
    assert "used by 1 live job" in refused.output
    server.queues["etl"]["usage"]["usedCu"] = 0.0
    assert run("queues", "delete", "etl", "--yes").exit_code == 0
    missing = run("queues", "show", "etl")
    assert missing.exit_code != 0
    assert "not found" in missing.output


def test_create_needs_a_capacity(run: Any) -> None:
    result = run("queues", "create", "etl")
    assert result.exit_code == 2
    assert "--capacity" in result.output
