"""The real ``millstream`` CLI, as a subprocess, against a real server on real Flink.

Deploys a SQL job and waits for RUNNING, lists it, stops it with a savepoint, finds the
savepoint in JSON output, and checks that an invalid script is reported at its line and
column with exit code 1. Uses the session fixture ``millstream_server`` (``url`` and the
``credentials_file`` the server wrote its admin key to); skips when it is not available.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.flink

DEMO_SQL = """CREATE TEMPORARY TABLE src (id BIGINT, name VARCHAR)
WITH ('connector' = 'datagen', 'rows-per-second' = '20');
CREATE TEMPORARY TABLE snk (id BIGINT, name VARCHAR) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT id, name FROM src;
"""

# Line 2 has the mistake, so the report must point at 2:<column>.
BAD_SQL = """CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen');
SELEC id FROM src;
"""


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Any:
    try:
        return request.getfixturevalue("millstream_server")
    except pytest.FixtureLookupError:
        pytest.skip("needs the millstream_server fixture (real server + Flink, tests/e2e)")


def _cli_env(server: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MILLSTREAM_")}
    env["MILLSTREAM_URL"] = str(server.url)
    env["MILLSTREAM_CREDENTIALS_FILE"] = str(server.credentials_file)
    env["COLUMNS"] = "200"
    return env


def _run(server: Any, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "millstream.cli", *args],
        env=_cli_env(server),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _ok(server: Any, *args: str) -> Any:
    """Run with ``-o json`` and return the parsed stdout; fail with the CLI's stderr."""
    result = _run(server, *args, "-o", "json")
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stderr}"
    return json.loads(result.stdout)


def test_cli_deploys_runs_stops_with_savepoint_and_validates(server: Any, tmp_path: Path) -> None:
    name = f"e2e-cli-{uuid.uuid4().hex[:8]}"
    script = tmp_path / "demo.sql"
    script.write_text(DEMO_SQL)
    try:
        job = _ok(
            server, "deploy", "sql", str(script), "--name", name, "--start", "--wait",
            "--timeout", "240",
        )  # fmt: skip
        assert job["status"]["currentJobStatus"] == "RUNNING"
        job_id = job["jobId"]

        jobs = _ok(server, "jobs", "list", "--deployment", name)
        assert job_id in [j["jobId"] for j in jobs]

        stopped = _ok(server, "stop", job_id, "--savepoint", "--wait", "--timeout", "240")
        assert stopped["status"]["currentJobStatus"] in ("CANCELLED", "FINISHED")

        savepoints = _ok(server, "savepoints", "list", "--deployment", name)
        taken = [s for s in savepoints if s.get("jobId") == job_id]
        assert taken, savepoints
        assert any(
            s["status"]["state"] == "COMPLETED" and s.get("savepointLocation") for s in taken
        ), taken
    finally:
        _run(server, "deployments", "delete", name, "--yes")

    bad = tmp_path / "bad.sql"
    bad.write_text(BAD_SQL)
    result = _run(server, "validate", str(bad))
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(rf"{re.escape(str(bad))}:2:\d+: error", result.stdout), result.stdout
    assert "^" in result.stdout


def test_cli_status_and_key_lifecycle(server: Any) -> None:
    status = _ok(server, "status")
    assert status["health"] == "ok"
    created = _ok(server, "keys", "create")
    key_id = created["accessKeyId"]
    assert created["accessKeySecret"]
    assert key_id in [k["accessKeyId"] for k in _ok(server, "keys", "list")]
    assert _ok(server, "keys", "disable", key_id)["status"] != created["status"]
    assert _ok(server, "keys", "enable", key_id)["status"] == created["status"]
    revoked = _run(server, "keys", "revoke", key_id, "--yes")
    assert revoked.returncode == 0, revoked.stderr
    assert key_id not in [k["accessKeyId"] for k in _ok(server, "keys", "list")]


def test_cli_deploys_a_local_jar_by_uploading_it(
    server: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from examples.build import build_examples  # the shipped examples, as the demo builds them

    jar = build_examples(tmp_path_factory.mktemp("examples-data"))["streaming-job.jar"]
    name = f"e2e-cli-jar-{uuid.uuid4().hex[:8]}"
    try:
        job = _ok(
            server, "deploy", "jar", str(jar), "--name", name,
            "--args", "--rows-per-second 20 --keys 2", "--start", "--wait", "--timeout", "240",
        )  # fmt: skip
        assert job["status"]["currentJobStatus"] == "RUNNING"
        deployment = _ok(server, "deployments", "get", name)
        uri = deployment["artifact"]["jarArtifact"]["jarUri"]
        assert uri.startswith("artifacts://"), uri
        assert uri.endswith(f"/{name}/{jar.name}"), uri
        stored = {a["uri"]: a for a in _ok(server, "artifacts", "list")}
        assert stored[uri]["size"] == jar.stat().st_size

        stopped = _ok(server, "stop", job["jobId"], "--wait", "--timeout", "240")
        assert stopped["status"]["currentJobStatus"] in ("CANCELLED", "FINISHED")
    finally:
        _run(server, "deployments", "delete", name, "--yes")
        _run(server, "artifacts", "delete", f"{name}/{jar.name}", "--yes")


def test_cli_variables_mask_encrypted_values(server: Any) -> None:
    plain, secret = f"e2e_rows_{uuid.uuid4().hex[:6]}", f"e2e_pw_{uuid.uuid4().hex[:6]}"
    try:
        assert _ok(server, "variables", "set", plain, "10")["value"] == "10"
        created = _ok(server, "variables", "set", secret, "hunter2-e2e", "--encrypted")
        assert created["value"] == "******"
        listed = {v["name"]: v for v in _ok(server, "variables", "list")}
        assert listed[plain] == {"name": plain, "value": "10", "kind": "Plain"}
        assert listed[secret]["kind"] == "Encrypted"
        assert listed[secret]["value"] == "******"
        table = _run(server, "variables", "list")
        assert table.returncode == 0, table.stderr
        assert secret in table.stdout
        assert "hunter2-e2e" not in table.stdout
    finally:
        for name in (plain, secret):
            _run(server, "variables", "delete", name, "--yes")
    assert secret not in {v["name"] for v in _ok(server, "variables", "list")}
