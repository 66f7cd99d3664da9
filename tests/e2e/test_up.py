"""Issue 3 point 1: `millstream up` with its own embedded Flink, the demo job, a clean
Ctrl-C, and a second start that finds the previous state and resumes the running job."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api, free_port, start_server, stop_server, wait_healthy

pytestmark = pytest.mark.flink


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _flink_processes(data_dir: Path) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if str(data_dir) in line and "java" in line]


def _demo_job(api: Api) -> dict[str, Any] | None:
    deps = api.ok("GET", "deployments", params={"name": "demo-datagen-to-blackhole"})
    if not deps:
        return None
    jobs = api.ok("GET", "jobs", params={"deploymentId": deps[0]["deploymentId"]})
    return jobs[0] if jobs else None


def _wait_running(api: Api, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job = None
    while time.monotonic() < deadline:
        job = _demo_job(api)
        status = job and job["status"]
        if isinstance(status, dict) and status["currentJobStatus"] == "RUNNING":
            assert job is not None
            return job
        time.sleep(0.5)
    raise AssertionError(f"demo job not RUNNING: {job}")


def test_up_runs_demo_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    api_port, flink_port = free_port(), free_port()
    env = {"MILLSTREAM_FLINK__REST_PORT": str(flink_port)}
    process, log = start_server(
        data_dir=data_dir, port=api_port, env_overrides=env, args="demo=True"
    )
    url = f"http://127.0.0.1:{api_port}"
    try:
        wait_healthy(url, process, log, timeout=180)
        credentials = data_dir / "credentials"
        api = Api(url, credentials, log.read_text)
        first = _wait_running(api)
        banner = log.read_text()
        assert f"http://127.0.0.1:{flink_port}" in banner
        assert "Ctrl-C" in banner
        assert (data_dir / "flink" / "conf" / "config.yaml").exists()
    finally:
        code = stop_server(process, signal.SIGINT)
    assert code == 0, log.read_text()[-3000:]
    assert not _port_open(flink_port)
    assert _flink_processes(data_dir) == []

    process, log = start_server(
        data_dir=data_dir, port=api_port, env_overrides=env, args="demo=True"
    )
    try:
        wait_healthy(url, process, log, timeout=180)
        api = Api(url, credentials, log.read_text)
        second = _wait_running(api)
        assert second["jobId"] == first["jobId"]
        events = api.ok(
            "GET", "events", params={"deploymentId": second["deploymentId"], "pageSize": 100}
        )
        assert any(e["eventName"] == "JOB_RESUBMITTING" for e in events)
    finally:
        stop_server(process, signal.SIGINT)
    assert _flink_processes(data_dir) == []
