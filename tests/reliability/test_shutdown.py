"""Issue 6 point 6: SIGTERM drains in-flight requests, lets the reconciler finish its
action, and leaves Flink jobs running; a restarted server adopts them.

The control plane is not the data plane: a server using an external Flink cluster must
never cancel jobs on its way down, and must not resubmit them when it comes back.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from millstream.engine import LocalCluster
from tests.e2e.conftest import DATAGEN_SQL, signer, sql_deployment
from tests.reliability.conftest import (
    PREFIX,
    Server,
    all_events,
    live_flink_jobs,
    new_deployment,
    report,
    server_env,
    start_job,
    status_of,
    wait_until,
)

pytestmark = pytest.mark.flink


@pytest.fixture
def server(flink: LocalCluster, servers: list[Server], tmp_path: Path) -> Server:
    started = Server(tmp_path / "server", server_env(flink)).start()
    servers.append(started)
    return started


def _slow_body(payload: bytes, pieces: int, pause: float) -> Iterator[bytes]:
    size = -(-len(payload) // pieces)
    for offset in range(0, len(payload), size):
        yield payload[offset : offset + size]
        time.sleep(pause)


def test_sigterm_drains_a_request_in_flight(server: Server) -> None:
    """A POST whose body is still arriving when SIGTERM lands completes with 200, and what
    it created is there after a restart."""
    name = f"{PREFIX}drain-{int(time.time())}"
    payload = json.dumps(sql_deployment(name, DATAGEN_SQL)).encode()
    request = httpx.Request(
        "POST",
        f"{server.url}/api/v2/namespaces/default-namespace/deployments",
        content=payload,
        headers={"workspace": "default", "content-type": "application/json; charset=utf-8"},
    )
    signer(server.data_dir / "credentials")(request)
    outcome: dict[str, object] = {}

    def send() -> None:
        with httpx.Client(timeout=60) as client:
            slow = client.build_request(
                "POST",
                request.url,
                headers=dict(request.headers),
                content=_slow_body(payload, pieces=8, pause=0.4),
            )
            try:
                response = client.send(slow)
                outcome["status"] = response.status_code
                outcome["body"] = response.json()
            except httpx.HTTPError as exc:
                outcome["error"] = repr(exc)

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(1.0)  # headers and the first pieces are in; ~2 s of body still to come
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    sender.join(30)
    assert not sender.is_alive()
    assert server.process.wait(60) == 0, server.log_tail()
    assert outcome.get("status") == 200, (outcome, server.log_tail())
    assert "received SIGTERM" in server.log()

    server.start()
    listed = server.api.ok("GET", "deployments", params={"name": name})
    assert [d["name"] for d in listed] == [name]


def test_sigterm_leaves_flink_jobs_running_and_restart_adopts_them(
    server: Server, flink: LocalCluster
) -> None:
    api = server.api
    deployment = new_deployment(api)
    dep_id, name = deployment["deploymentId"], deployment["name"]
    job = start_job(api, dep_id)
    api.wait_status(job["jobId"], "RUNNING")
    before = live_flink_jobs(flink.rest_url, name)
    assert len(before) == 1
    submissions = [e for e in all_events(api, dep_id) if e["eventName"] == "JOB_SUBMITTING"]

    started = time.monotonic()
    assert server.stop(signal.SIGTERM) == 0, server.log_tail()
    shutdown_seconds = time.monotonic() - started
    report(f"\n[shutdown] SIGTERM -> exit 0 in {shutdown_seconds:.2f}s")
    after = live_flink_jobs(flink.rest_url, name)
    assert [(j["jid"], j["state"]) for j in after] == [(before[0]["jid"], "RUNNING")]

    server.start()
    adopted = api.wait_status(job["jobId"], "RUNNING", timeout=30)
    time.sleep(2.0)  # a few reconciler ticks on the adopted job
    assert status_of(api.ok("GET", f"jobs/{job['jobId']}")) == "RUNNING"
    assert adopted["status"]["running"]["observedFlinkJobStatus"] == "RUNNING"
    assert [j["jid"] for j in live_flink_jobs(flink.rest_url, name)] == [before[0]["jid"]]
    events = all_events(api, dep_id)
    assert [e for e in events if e["eventName"] == "JOB_SUBMITTING"] == submissions
    assert not [e for e in events if e["eventName"] == "JOB_RESUBMITTING"]
    api.ok("POST", f"jobs/{job['jobId']}:stop", body={"stopStrategy": "NONE"})
    api.wait_status(job["jobId"], "CANCELLED")


def test_sigterm_during_submission_is_consistent_after_restart(
    server: Server, flink: LocalCluster
) -> None:
    """SIGTERM right after a start: the reconciler finishes (or never begins) the
    submission, so after a restart there is exactly one Flink job and the job runs."""
    api = server.api
    deployment = new_deployment(api)
    dep_id, name = deployment["deploymentId"], deployment["name"]
    job = start_job(api, dep_id)
    time.sleep(0.3)  # the start woke the reconciler: its submission is under way
    assert server.stop(signal.SIGTERM) == 0, server.log_tail()
    server.start()
    api.wait_status(job["jobId"], "RUNNING")
    live = wait_until(
        "one live Flink job", lambda: live_flink_jobs(flink.rest_url, name), timeout=10
    )
    assert len(live) == 1
    time.sleep(1.5)
    assert len(live_flink_jobs(flink.rest_url, name)) == 1
    submitted = [e for e in all_events(api, dep_id) if e["eventName"] == "JOB_SUBMITTING"]
    assert len(submitted) == 1, submitted
    assert live[0]["jid"] in submitted[0]["message"]
    api.ok("POST", f"jobs/{job['jobId']}:stop", body={"stopStrategy": "NONE"})
    api.wait_status(job["jobId"], "CANCELLED")
