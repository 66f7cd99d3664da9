"""Health checks and rollback on real Flink through the shared server (``millstream_server``,
health and alert rounds every second, webhooks allowed to 127.0.0.1):

- a job whose SQL fails on every record restarts over and over: its health check trips
  (RESTARTS) and an ``unhealthy`` alert rule POSTs to a local webhook receiver;
- an upgrade to such a spec is not stable within the readiness timeout and is rolled back
  to the last stable spec and the savepoint the upgrade started from, and runs again.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tests.e2e.conftest import DATAGEN_SQL, Api, ServerHandle, sql_deployment

pytestmark = pytest.mark.flink

# Plans fine, fails at run time on every record: CAST('x...' AS INT) throws.
FAILING_SQL = """CREATE TEMPORARY TABLE src (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '5'
);
CREATE TEMPORARY TABLE snk (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'blackhole'
);
INSERT INTO snk SELECT CAST(CAST(CONCAT('x', name) AS INT) AS BIGINT), name FROM src;
"""
# Restart quickly and without end, so restarts pile up within seconds.
FAST_RESTARTS = {
    "restart-strategy.type": "fixed-delay",
    "restart-strategy.fixed-delay.attempts": "100000",
    "restart-strategy.fixed-delay.delay": "300 ms",
}


class Receiver:
    """A local webhook receiver recording every POSTed JSON body."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                receiver.received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def _until(what: str, check: Callable[[], Any], server: ServerHandle, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"{what} not within {timeout}s; last {last}\n{server.log_tail()}")


def _stop(api: Api, deployment_id: str) -> None:
    for job in api.ok("GET", "jobs", params={"deploymentId": deployment_id}):
        if job["status"]["currentJobStatus"] not in ("CANCELLED", "FAILED", "FINISHED"):
            api.call("POST", f"jobs/{job['jobId']}:stop", body={"stopStrategy": "NONE"})
            api.wait_status(job["jobId"], "CANCELLED", "FAILED", "FINISHED", timeout=60)


def _create(api: Api, body: dict[str, Any]) -> str:
    status, envelope = api.call("POST", "deployments", body=body)
    assert status == 200, json.dumps(envelope)
    return str(envelope["data"]["deploymentId"])


def _events(api: Api, deployment_id: str) -> list[dict[str, Any]]:
    found = api.ok("GET", "events", params={"deploymentId": deployment_id, "pageSize": 100})
    return list(found)


def test_restarting_job_trips_health_check_and_alert_reaches_webhook(
    millstream_server: ServerHandle, api: Api, receiver: Receiver
) -> None:
    name = f"e2e-unhealthy-{uuid.uuid4().hex[:8]}"
    body = sql_deployment(name, FAILING_SQL, flinkConf=FAST_RESTARTS)
    deployment_id = _create(api, body)
    rule = {
        "name": f"{name}-unhealthy",
        "kind": "unhealthy",
        "deploymentName": name,
        "webhook": {"url": receiver.url, "format": "generic"},
    }
    api.ok("POST", "alert-rules", body=rule)
    try:
        policy = api.ok(
            "PUT",
            f"deployments/{deployment_id}/health-policy",
            body={"maxRestarts": 2, "restartWindowSeconds": 600},
        )
        assert (policy["maxRestarts"], policy["autoRestart"]) == (2, False)
        api.ok("POST", "jobs:start", body={"deploymentId": deployment_id})
        health = _until(
            "UNHEALTHY",
            lambda: (
                h
                if (h := api.ok("GET", f"deployments/{deployment_id}/health"))["state"]
                == "UNHEALTHY"
                else None
            ),
            millstream_server,
            60,
        )
        assert health["reason"] == "RESTARTS", health
        assert "restarted" in health["message"]
        posted = _until("a webhook POST", lambda: receiver.received, millstream_server, 30)
        assert posted[0]["status"] == "firing", posted
        assert posted[0]["kind"] == "unhealthy"
        assert name in json.dumps(posted[0])
        names = {event["eventName"] for event in _events(api, deployment_id)}
        assert "JOB_UNHEALTHY" in names, names
    finally:
        api.call("DELETE", f"alert-rules/{rule['name']}")
        _stop(api, deployment_id)


def test_bad_spec_is_rolled_back_to_last_stable_spec_and_runs_again(
    millstream_server: ServerHandle, api: Api
) -> None:
    name = f"e2e-rollback-{uuid.uuid4().hex[:8]}"
    body = sql_deployment(name, DATAGEN_SQL, flinkConf=FAST_RESTARTS)
    deployment_id = _create(api, body)
    try:
        api.ok(
            "PUT",
            f"deployments/{deployment_id}/health-policy",
            body={"rollback": True, "stablePeriodSeconds": 2, "readinessTimeoutSeconds": 6},
        )
        first = api.ok("POST", "jobs:start", body={"deploymentId": deployment_id})["jobId"]
        api.wait_status(first, "RUNNING", timeout=60)
        path = f"deployments/{deployment_id}/health"
        stable = _until(
            "the first spec stable",
            lambda: h if (h := api.ok("GET", path))["lastStableJobId"] == first else None,
            millstream_server,
            30,
        )
        stable_version = stable["lastStableVersion"]
        # The upgrade: stop with a savepoint, change the SQL, start from that savepoint.
        api.ok("POST", f"jobs/{first}:stop", body={"stopStrategy": "STOP_WITH_SAVEPOINT"})
        api.wait_status(first, "CANCELLED", "FINISHED", timeout=60)
        api.ok(
            "PUT",
            f"deployments/{deployment_id}",
            body={"artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": FAILING_SQL}}},
        )
        bad = api.ok(
            "POST",
            "jobs:start",
            body={
                "deploymentId": deployment_id,
                "restoreStrategy": {"kind": "LATEST_SAVEPOINT", "allowNonRestoredState": True},
            },
        )["jobId"]

        def rolled_back() -> dict[str, Any] | None:
            jobs = api.ok("GET", "jobs", params={"deploymentId": deployment_id})
            newest = jobs[0] if jobs else {}
            return newest if newest.get("jobId") not in (first, bad) else None

        after = _until("a rollback job", rolled_back, millstream_server, 45)
        api.wait_status(after["jobId"], "RUNNING", timeout=60)
        deployment = api.ok("GET", f"deployments/{deployment_id}")
        assert deployment["artifact"]["sqlArtifact"]["sqlScript"] == DATAGEN_SQL
        events = [
            e for e in _events(api, deployment_id) if e["eventName"] == "DEPLOYMENT_ROLLED_BACK"
        ]
        assert events, _events(api, deployment_id)
        message = events[0]["message"]
        assert f"version {stable_version}" in message, message
        assert "savepoint" in message, message
        assert "because" in message
        bad_job = api.ok("GET", f"jobs/{bad}")
        assert bad_job["status"]["currentJobStatus"] in ("CANCELLED", "FAILED")
        restored = after.get("restoreStrategy") or {}
        assert restored.get("kind") == "FROM_SAVEPOINT", after
    finally:
        _stop(api, deployment_id)
