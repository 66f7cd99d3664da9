"""Queues and admission on a real Flink cluster, over the native API: a queue with room
for one job makes the second wait (STARTING, WAITING_FOR_RESOURCES, nothing in Flink)
until the first stops; waiting jobs start in priority order; a schedule timeout fails
the waiting job. Every queue here is the test's own (2 CU: one default-sized job)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import DATAGEN_SQL, Api, ServerHandle, sql_deployment

pytestmark = pytest.mark.flink

QUEUES = "/api/v2/queues"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def queue(api: Api) -> Iterator[str]:
    """A queue with room for exactly one default job (JobManager 1 CU + TaskManager 1 CU)."""
    name = _name("e2e-q")
    created = api.ok("POST", QUEUES, body={"name": name, "capacityCu": 2})
    assert created["usage"]["freeCu"] == 2.0
    yield name
    api.call("DELETE", f"{QUEUES}/{name}")


def _create(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    """CreateDeployment, retried on 503 FlinkUnavailable: Flink plans the script, and on a
    loaded machine the first plan of a fresh cluster can outlast the REST timeout (the
    error says "retry"; the queue behaviour under test starts after it)."""
    for _ in range(3):
        status, envelope = api.call("POST", "deployments", body=body)
        if status != 503:
            break
    assert status == 200, envelope
    deployment: dict[str, Any] = envelope["data"]
    return deployment


def _start(api: Api, queue: str, name: str, **spec: Any) -> dict[str, Any]:
    deployment = _create(api, sql_deployment(name, DATAGEN_SQL, queue=queue, **spec))
    job: dict[str, Any] = api.ok(
        "POST", "jobs:start", body={"deploymentId": deployment["deploymentId"]}
    )
    return job


def _stop(api: Api, job: dict[str, Any]) -> None:
    api.call("POST", f"jobs/{job['jobId']}:stop", body={"stopStrategy": "NONE"})
    api.wait_status(job["jobId"], "CANCELLED", "FAILED", "FINISHED")


def _waiting(job: dict[str, Any]) -> bool:
    status = job["status"]
    return bool(
        status["currentJobStatus"] == "STARTING" and status["reason"] == "WAITING_FOR_RESOURCES"
    )


def _in_flink(server: ServerHandle, deployment_name: str) -> bool:
    jobs = httpx.get(f"{server.flink.rest_url}/jobs/overview", timeout=10).json()["jobs"]
    return any(j["name"] == deployment_name and j["state"] == "RUNNING" for j in jobs)


def _events(api: Api, job: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = api.ok(
        "GET", "events", params={"deploymentId": job["deploymentId"], "pageSize": 100}
    )
    return [e for e in events if e.get("jobId") == job["jobId"]]


def test_the_second_job_waits_then_starts_when_the_first_stops(
    api: Api, millstream_server: ServerHandle, queue: str
) -> None:
    first = _start(api, queue, _name("e2e-first"))
    second: dict[str, Any] | None = None
    try:
        assert first["status"]["scheduling"]["costCu"] == 2.0
        api.wait_status(first["jobId"], "RUNNING")
        second = _start(api, queue, _name("e2e-second"))
        waiting = api.wait_job(second["jobId"], _waiting, timeout=30)
        time.sleep(2)  # several ticks: it must still wait, and Flink must not have it
        waiting = api.ok("GET", f"jobs/{second['jobId']}")
        assert _waiting(waiting)
        assert not _in_flink(millstream_server, waiting["deploymentName"])
        [told] = [e for e in _events(api, second) if e["eventName"] == "JOB_WAITING"]
        assert f"needs 2 CU in queue {queue}, 0 of 2 CU free" in told["message"]
        usage = api.ok("GET", f"{QUEUES}/{queue}")["usage"]
        assert (usage["usedCu"], usage["waitingCu"], usage["freeCu"]) == (2.0, 2.0, 0.0)
        assert [j["jobId"] for j in usage["waiting"]] == [second["jobId"]]

        _stop(api, first)
        running = api.wait_status(second["jobId"], "RUNNING")
        assert running["status"]["reason"] is None
        assert running["status"]["scheduling"]["admittedAt"] is not None
        assert _in_flink(millstream_server, running["deploymentName"])
    finally:
        _stop(api, first)
        if second is not None:
            _stop(api, second)


def test_waiting_jobs_start_in_priority_order(api: Api, queue: str) -> None:
    blocker = _start(api, queue, _name("e2e-blocker"))
    jobs: dict[str, dict[str, Any]] = {}
    try:
        api.wait_status(blocker["jobId"], "RUNNING")
        for label, priority in (("low", 1), ("high", 10), ("mid", 5)):
            jobs[label] = _start(api, queue, _name(f"e2e-{label}"), priority=priority)
        for job in jobs.values():
            api.wait_job(job["jobId"], _waiting, timeout=30)
        waiting = api.ok("GET", f"{QUEUES}/{queue}")["usage"]["waiting"]
        assert [j["jobId"] for j in waiting] == [
            jobs[label]["jobId"] for label in ("high", "mid", "low")
        ]
        order = []
        current = blocker
        for _ in range(3):
            _stop(api, current)
            started = _next_running(api, [j for j in jobs.values() if j["jobId"] not in order])
            order.append(started["jobId"])
            current = started
        assert order == [jobs[label]["jobId"] for label in ("high", "mid", "low")]
    finally:
        for job in (blocker, *jobs.values()):
            _stop(api, job)


def _next_running(api: Api, candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """The one candidate that left the line (RUNNING); the others keep waiting."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        current = [api.ok("GET", f"jobs/{job['jobId']}") for job in candidates]
        admitted = [j for j in current if j["status"]["scheduling"]["admittedAt"] is not None]
        if admitted:
            assert len(admitted) == 1, "a queue with room for one job admitted two"
            return api.wait_status(admitted[0]["jobId"], "RUNNING")
        time.sleep(0.3)
    raise AssertionError(f"none of {[j['jobId'] for j in candidates]} was admitted")


def test_a_schedule_timeout_fails_the_waiting_job(api: Api, queue: str) -> None:
    blocker = _start(api, queue, _name("e2e-blocker"))
    try:
        api.wait_status(blocker["jobId"], "RUNNING")
        hurried = _start(api, queue, _name("e2e-hurried"), scheduleTimeoutSeconds=3)
        assert hurried["status"]["scheduling"]["scheduleTimeoutSeconds"] == 3
        failed = api.wait_status(hurried["jobId"], "FAILED", timeout=30)
        assert failed["status"]["reason"] == "SCHEDULE_TIMEOUT"
        assert failed["status"]["failure"]["reason"] == "SCHEDULE_TIMEOUT"
        assert "schedule timeout" in failed["status"]["failure"]["message"]
        assert api.ok("GET", f"jobs/{blocker['jobId']}")["status"]["currentJobStatus"] == (
            "RUNNING"
        )
    finally:
        _stop(api, blocker)


def test_a_queue_in_use_cannot_be_deleted(api: Api, queue: str) -> None:
    job = _start(api, queue, _name("e2e-busy"))
    try:
        status, envelope = api.call("DELETE", f"{QUEUES}/{queue}")
        assert (status, envelope["errorCode"]) == (409, "QueueInUse")
    finally:
        _stop(api, job)
    api.ok("DELETE", f"{QUEUES}/{queue}")
    status, envelope = api.call("GET", f"{QUEUES}/{queue}")
    assert (status, envelope["errorCode"]) == (404, "QueueNotFound")
