"""Admission survives a control-plane crash: the server is SIGKILLed while jobs wait on a
full queue, and again right after it admitted one; after each restart nothing was
admitted twice (one job in a one-job queue, one Flink job per deployment) and nothing was
forgotten (every waiting job is still in line, in priority order, and runs in turn)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from millstream.engine import LocalCluster
from tests.reliability.conftest import (
    Server,
    live_flink_jobs,
    new_deployment,
    server_env,
    start_job,
    status_of,
    stop_job,
    wait_until,
)

pytestmark = pytest.mark.flink

QUEUES = "/api/v2/queues"


@pytest.fixture
def server(flink: LocalCluster, servers: list[Server], tmp_path: Path) -> Server:
    started = Server(tmp_path / "queues-crash", server_env(flink)).start()
    servers.append(started)
    return started


def _job(server: Server, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = server.api.ok("GET", f"jobs/{job_id}")
    return job


def _waiting(job: dict[str, Any]) -> bool:
    return status_of(job) == "STARTING" and job["status"]["reason"] == "WAITING_FOR_RESOURCES"


def _admitted(job: dict[str, Any]) -> bool:
    return job["status"]["scheduling"]["admittedAt"] is not None


def _running(job: dict[str, Any]) -> bool:
    return status_of(job) == "RUNNING"


def _check(
    server: Server, job_id: str, test: Callable[[dict[str, Any]], bool]
) -> Callable[[], bool]:
    return lambda: test(_job(server, job_id))


def _line(server: Server, queue: str) -> tuple[list[str], list[str]]:
    usage = server.api.ok("GET", f"{QUEUES}/{queue}")["usage"]
    return [j["jobId"] for j in usage["admitted"]], [j["jobId"] for j in usage["waiting"]]


def _restart(server: Server) -> None:
    server.kill()
    server.start()


def _check_one_in_flink(flink: LocalCluster, names: dict[str, str], running: str | None) -> None:
    """Only ``running``'s deployment has a live Flink job, and exactly one."""
    for job_id, name in names.items():
        live = live_flink_jobs(flink.rest_url, name)
        assert len(live) == (1 if job_id == running else 0), (name, live)


def test_kill_while_jobs_wait_loses_and_duplicates_nothing(
    server: Server, flink: LocalCluster
) -> None:
    queue = f"rel-q-{uuid.uuid4().hex[:8]}"
    server.api.ok("POST", QUEUES, body={"name": queue, "capacityCu": 2})
    blocker_deployment = new_deployment(server.api, queue=queue)
    blocker = start_job(server.api, blocker_deployment["deploymentId"])["jobId"]
    wait_until("blocker RUNNING", _check(server, blocker, _running), timeout=90)
    names = {blocker: blocker_deployment["name"]}
    order = []
    for priority in (1, 9, 5):
        deployment = new_deployment(server.api, queue=queue, priority=priority)
        job_id = start_job(server.api, deployment["deploymentId"])["jobId"]
        names[job_id] = deployment["name"]
        order.append((priority, job_id))
    expected = [job_id for _, job_id in sorted(order, reverse=True)]
    wait_until("all waiting", lambda: all(_waiting(_job(server, j)) for j in expected), timeout=30)

    # 1. Killed while three jobs wait: after the restart the line is the same.
    _restart(server)
    time.sleep(2)  # a few ticks of the new reconciler
    assert _line(server, queue) == ([blocker], expected)
    _check_one_in_flink(flink, names, blocker)

    # 2. Each time room frees, kill right after the admission, before or while the
    # admitted job is submitted; it still runs exactly once.
    running = blocker
    for job_id in expected:
        stop_job(server.api, running, "NONE")
        wait_until(f"{job_id} admitted", _check(server, job_id, _admitted), timeout=60)
        _restart(server)
        wait_until(f"{job_id} RUNNING", _check(server, job_id, _running), timeout=90)
        admitted, waiting = _line(server, queue)
        assert admitted == [job_id]
        assert waiting == expected[expected.index(job_id) + 1 :]
        _check_one_in_flink(flink, names, job_id)
        assert _job(server, job_id)["status"]["scheduling"]["admittedAt"] is not None
        running = job_id
    stop_job(server.api, running, "NONE")
    wait_until("last stopped", lambda: status_of(_job(server, running)) == "CANCELLED", timeout=60)
    _check_one_in_flink(flink, names, None)
    server.api.ok("DELETE", f"{QUEUES}/{queue}")
