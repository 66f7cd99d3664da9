"""``millstream udfs`` and ``millstream connectors`` against a small fake of the native
routes (``httpx.MockTransport``): the SDK's paths and parameters are sent, answers shown."""

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

BASE = "/api/v2/namespaces/default-namespace"
ARTIFACT = {
    "name": "strings",
    "jarUrl": "artifacts://default/default-namespace/udfs.jar",
    "udfClasses": [
        {"className": "a.Upper", "classType": "UDF", "functionNames": ["up"]},
        {"className": "a.Split", "classType": "UDTF", "functionNames": []},
    ],
}
CONNECTOR = {
    "name": "ms-sequence",
    "source": True,
    "sink": False,
    "properties": [{"key": "end", "required": True}, {"key": "start", "required": False}],
    "dependencies": ["artifacts://default/default-namespace/seq.jar"],
}


class Server:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.colliding = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.raw_path.decode().split("?")[0]
        self.requests.append((request.method, path, dict(request.url.params), body))
        if path == BASE + "/udfartifacts" and request.method == "POST":
            return _ok({"createSuccess": not self.colliding, "message": "3 classes"})
        if path == BASE + "/udfartifacts":
            return _ok([ARTIFACT])
        if path == BASE + "/connectors%3Aregister" or path == BASE + "/connectors":
            return _ok([CONNECTOR])
        if path.endswith("/connectors/nope"):
            body = {
                "success": False,
                "requestId": "r",
                "errorCode": "NotFound",
                "errorMessage": "no",
            }
            return httpx.Response(404, json=body)
        return _ok({})


def _ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "requestId": "r", "data": data})


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def run(server: Server, tmp_path: Path) -> Any:
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


def test_udfs_register_creates_the_artifact_then_its_functions(run: Any, server: Server) -> None:
    result = run("udfs", "register", "strings", "udfs.jar", "-f", "up=a.Upper")
    assert result.exit_code == 0, result.output
    create, register, _ = server.requests
    assert create[:2] == ("POST", BASE + "/udfartifacts")
    assert create[3] == {"name": "strings", "jarUrl": "udfs.jar", "dependencyJarUris": []}
    assert register[1] == BASE + "/udfartifacts/function%3AregisterUdfFunction"
    assert register[2] == {
        "udfArtifactName": "strings",
        "className": "a.Upper",
        "functionName": "up",
    }
    assert "a.Upper (UDF)" in result.output


def test_udfs_register_stops_when_classes_collide(run: Any, server: Server) -> None:
    server.colliding = True
    result = run("udfs", "register", "strings", "udfs.jar", "-f", "up=a.Upper")
    assert result.exit_code == 1
    assert len(server.requests) == 1  # no function registered


def test_udfs_list_and_delete(run: Any, server: Server) -> None:
    listed = run("udfs", "list")
    assert listed.exit_code == 0, listed.output
    assert "strings" in listed.output
    assert "up" in listed.output
    assert run("udfs", "delete", "strings", "-y").exit_code == 0
    assert run("udfs", "delete", "up", "--function", "-y").exit_code == 0
    assert [r[:2] for r in server.requests[1:]] == [
        ("DELETE", BASE + "/udfartifacts/strings"),
        ("DELETE", BASE + "/udfartifacts/function/up"),
    ]


def test_connectors_register_list_and_delete(run: Any, server: Server) -> None:
    registered = run("connectors", "register", "seq.jar")
    assert registered.exit_code == 0, registered.output
    assert server.requests[0][1:3] == (BASE + "/connectors%3Aregister", {"jarUrl": "seq.jar"})
    assert "end*" in registered.output
    assert "ms-sequence" in run("connectors", "list").output
    assert run("connectors", "delete", "ms-sequence", "-y").exit_code == 0
    assert server.requests[-1][:2] == ("DELETE", BASE + "/connectors/ms-sequence")
    missing = run("connectors", "delete", "nope", "-y")
    assert missing.exit_code != 0
