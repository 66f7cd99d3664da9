"""A job's insides through the native API, the Python client and ``millstream top`` on
real Flink: a running SQL job (datagen → blackhole, checkpoints every second) shows its
graph, vertex metrics with records flowing, checkpoints, configuration and TaskManagers;
once cancelled it answers what is kept and says Flink has no live data."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import pytest

from millstream.client import ClientConfig, MillstreamClient
from tests.e2e.conftest import DATAGEN_SQL, NS, Api, ServerHandle, sql_deployment

pytestmark = pytest.mark.flink

T = TypeVar("T")


def _poll(read: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = 30) -> T:
    """``read()`` until ``done`` (Flink caches a job's graph and metrics a few seconds)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not seen in {timeout}s; last: {value!r}"[:3000])
        time.sleep(0.5)
        value = read()
    return value


def _create(api: Api, body: dict[str, object]) -> dict[str, str]:
    """Create the deployment; Flink plans its SQL first, which on a loaded machine can
    time out (503): ask again, at most three times."""
    for _ in range(2):
        status, envelope = api.call("POST", "deployments", body=body)
        if status != 503:
            break
    else:
        status, envelope = api.call("POST", "deployments", body=body)
    assert status == 200, envelope
    data: dict[str, str] = envelope["data"]
    return data


def _client(server: ServerHandle) -> MillstreamClient:
    config = ClientConfig.load(
        credentials_file=server.credentials_file, env={}, url=server.url, namespace=NS
    )
    return MillstreamClient(config)


def _top(server: ServerHandle, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MILLSTREAM_")}
    env |= {
        "MILLSTREAM_URL": server.url,
        "MILLSTREAM_CREDENTIALS_FILE": str(server.credentials_file),
        "COLUMNS": "250",
    }
    return subprocess.run(
        [sys.executable, "-m", "millstream.cli", "top", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_running_job_insides_through_api_client_and_top(
    api: Api, millstream_server: ServerHandle
) -> None:
    name = f"e2e-insights-{uuid.uuid4().hex[:8]}"
    body = sql_deployment(name, DATAGEN_SQL, flinkConf={"execution.checkpointing.interval": "1s"})
    deployment = _create(api, body)
    job = api.ok(
        "POST",
        "jobs:start",
        body={"deploymentId": deployment["deploymentId"], "restoreStrategy": {"kind": "NONE"}},
    )
    job_id = job["jobId"]
    try:
        api.wait_status(job_id, "RUNNING")
        base = f"jobs/{job_id}"

        graph = _poll(
            lambda: api.ok("GET", f"{base}/graph"), lambda d: d["graph"]["vertices"], "the graph"
        )
        assert graph["live"] is True
        assert graph["jobStatus"] == "RUNNING"
        vertices = graph["graph"]["vertices"]
        assert all(v["parallelism"] == 1 and v["operators"] for v in vertices)
        names = " ".join(op for v in vertices for op in v["operators"])
        assert "src" in names
        assert "snk" in names
        if len(vertices) > 1:
            assert graph["graph"]["edges"][0]["shipStrategy"]

        metrics = _poll(
            lambda: api.ok("GET", f"{base}/vertices"),
            lambda d: any(
                (v["recordsOutPerSecond"] or 0) > 0 or (v["recordsInPerSecond"] or 0) > 0
                for v in d["vertices"]
            ),
            "records flowing",
        )
        # the source operators' own count, which a source chained with its sink needs
        _poll(
            lambda: api.ok("GET", f"{base}/vertices"),
            lambda d: any((v["sourceRecordsPerSecond"] or 0) > 0 for v in d["vertices"]),
            "the source operator's records",
        )
        assert {v["vertexId"] for v in metrics["vertices"]} == {v["id"] for v in vertices}
        assert any(v["isSource"] for v in metrics["vertices"])

        checkpoints = _poll(
            lambda: api.ok("GET", f"{base}/checkpoints"),
            lambda d: d["checkpoints"]["completed"] >= 1,
            "a completed checkpoint",
        )["checkpoints"]
        assert checkpoints["intervalMs"] == 1000
        assert checkpoints["lastCompleted"]["durationMs"] is not None
        assert checkpoints["history"]

        config = api.ok("GET", f"{base}/configuration")["configuration"]
        interval = next(e for e in config if e["key"] == "execution.checkpointing.interval")
        assert interval == {
            "key": "execution.checkpointing.interval",
            "value": "1s",
            "source": "JOB",
        }
        tms = api.ok("GET", f"{base}/taskmanagers")["taskmanagers"]
        assert tms["slotsTotal"] >= 1
        assert tms["items"][0]["heapMaxBytes"] > 0
        assert api.ok("GET", f"{base}/exceptions")["live"] is True
        history = api.ok("GET", f"{base}/metrics/history", params={"metric": "recordsInPerSecond"})
        assert history["metric"] == "recordsInPerSecond"
        assert isinstance(history["points"], list)
        status, bad = api.call("GET", f"{base}/metrics/history", params={"metric": "nope"})
        assert status == 400
        assert "recordsInPerSecond" in bad["errorMessage"]

        with _client(millstream_server) as client:
            assert client.job_graph(job_id).graph is not None
            assert any(v.is_source for v in client.job_vertex_metrics(job_id).vertices)
            summary = client.job_checkpoints(job_id).checkpoints
            assert summary is not None
            assert summary.completed >= 1
            assert client.job_configuration(job_id).get("execution.checkpointing.interval") == "1s"
            assert client.job_taskmanagers(job_id).taskmanagers is not None
            loads = {row.job_id: row for row in client.job_loads()}
            assert loads[job_id].live
            assert loads[job_id].deployment_name == name

        shown = _top(millstream_server, "--once")
        assert shown.returncode == 0, shown.stderr
        assert name in shown.stdout
        assert "RECORDS IN/S" in shown.stdout
    finally:  # never leave the job holding a slot of the shared cluster
        api.call("POST", f"jobs/{job_id}:stop", body={"stopStrategy": "NONE"})
    base = f"jobs/{job_id}"
    api.wait_status(job_id, "CANCELLED")
    ended = api.ok("GET", f"{base}/graph")
    assert ended["live"] is False
    assert "no longer has live data" in ended["note"]
    kept = api.ok("GET", f"{base}/configuration")
    assert kept["live"] is False
    assert any(e["key"] == "execution.checkpointing.interval" for e in kept["configuration"])
    api.ok("DELETE", f"deployments/{deployment['deploymentId']}")
