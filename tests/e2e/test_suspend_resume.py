"""Suspend, resume and the restart policy on a real Flink cluster, over the native API
(the Millstream-extension ``:suspend`` / ``:resume`` operations and ``restartPolicy``)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.e2e.conftest import DATAGEN_SQL, Api, ServerHandle, sql_deployment

pytestmark = pytest.mark.flink

# Every row fails the cast: the job FAILS soon after it starts (Flink's own restart
# strategy is off, so each failure ends the Flink job).
FAILING_SQL = """CREATE TEMPORARY TABLE src (name VARCHAR) WITH (
  'connector' = 'datagen', 'rows-per-second' = '5', 'fields.name.length' = '6');
CREATE TEMPORARY TABLE snk (n INT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT CAST(name AS INT) FROM src;
"""


def _local_path(location: str) -> Path:
    return Path(urlparse(location).path) if location.startswith("file:") else Path(location)


def _events(api: Api, deployment_id: str, job_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = api.ok(
        "GET", "events", params={"deploymentId": deployment_id, "pageSize": 100}
    )
    return [e for e in events if e.get("jobId") == job_id]


def _restored_path(server: ServerHandle, flink_job_id: str) -> Path:
    checkpoints = httpx.get(
        f"{server.flink.rest_url}/jobs/{flink_job_id}/checkpoints", timeout=10
    ).json()
    restored = checkpoints["latest"]["restored"]
    assert restored is not None, checkpoints
    return _local_path(restored["external_path"])


def _flink_state(server: ServerHandle, flink_job_id: str) -> str:
    job = httpx.get(f"{server.flink.rest_url}/jobs/{flink_job_id}", timeout=10).json()
    return str(job["state"])


def _settled_flink_state(server: ServerHandle, flink_job_id: str, timeout: float = 15) -> str:
    """The run's state once Flink's ``/jobs/<id>`` catches up. That handler answers from
    Flink's execution-graph cache (``web.refresh-interval``, 3 s by default), so it can
    still say RUNNING after ``/jobs/overview`` - what the reconciler reads - shows the
    run ended."""
    deadline = time.monotonic() + timeout
    state = _flink_state(server, flink_job_id)
    while state in {"RUNNING", "CREATED", "INITIALIZING"} and time.monotonic() < deadline:
        time.sleep(0.5)
        state = _flink_state(server, flink_job_id)
    return state


def _wait_suspended(api: Api, job_id: str) -> dict[str, Any]:
    """Wait for exactly SUSPENDED; any terminal state ends the wait at once (and fails)."""
    job = api.wait_job(
        job_id,
        lambda j: j["status"]["currentJobStatus"] in {"SUSPENDED", "FAILED", "CANCELLED"},
        timeout=120,
    )
    assert job["status"]["currentJobStatus"] == "SUSPENDED", job
    return job


def _flink_job_of(server: ServerHandle, name: str) -> str:
    jobs = httpx.get(f"{server.flink.rest_url}/jobs/overview", timeout=10).json()["jobs"]
    running = [j["jid"] for j in jobs if j["name"] == name and j["state"] == "RUNNING"]
    assert len(running) == 1, jobs
    return str(running[0])


def test_suspend_and_resume_restores_from_the_suspend_savepoint(
    api: Api, millstream_server: ServerHandle
) -> None:
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    deployment = api.ok("POST", "deployments", body=sql_deployment(name, DATAGEN_SQL))
    dep_id = deployment["deploymentId"]
    job = api.ok("POST", "jobs:start", body={"deploymentId": dep_id})
    job_id = job["jobId"]
    api.wait_status(job_id, "RUNNING")
    first_flink_job = _flink_job_of(millstream_server, name)

    requested = api.ok("POST", f"jobs/{job_id}:suspend")
    # The answer only records the wish: the job is still RUNNING until the reconciler acts.
    assert requested["status"]["currentJobStatus"] == "RUNNING", requested
    suspended = _wait_suspended(api, job_id)
    assert suspended["endTime"] is None
    # Flink ended the run by stop-with-savepoint (not a cancel, not still running).
    assert _settled_flink_state(millstream_server, first_flink_job) == "FINISHED"
    savepoints = api.ok("GET", "savepoints", params={"deploymentId": dep_id})
    (suspend_savepoint,) = [s for s in savepoints if s["savepointOrigin"] == "STOP_WITH_SAVEPOINT"]
    assert suspend_savepoint["status"]["state"] == "COMPLETED"
    assert suspend_savepoint["jobId"] == job_id
    location = suspend_savepoint["savepointLocation"]
    assert _local_path(location).exists()
    # still the deployment's live job: a second start is refused
    status, envelope = api.call("POST", "jobs:start", body={"deploymentId": dep_id})
    assert (status, envelope["errorCode"]) == (409, "JobAlreadyRunning")

    resumed = api.ok("POST", f"jobs/{job_id}:resume")
    assert resumed["jobId"] == job_id
    assert resumed["status"]["currentJobStatus"] == "SUSPENDED", resumed
    api.wait_status(job_id, "RUNNING", timeout=120)
    second_flink_job = _flink_job_of(millstream_server, name)
    assert second_flink_job != first_flink_job
    assert _restored_path(millstream_server, second_flink_job) == _local_path(location)
    names = [e["eventName"] for e in _events(api, dep_id, job_id)]
    assert {"JOB_SUSPEND_REQUESTED", "JOB_SUSPENDED", "JOB_RESUME_REQUESTED"} <= set(names)

    api.ok("POST", f"jobs/{job_id}:stop", body={"stopStrategy": "NONE"})
    api.wait_status(job_id, "CANCELLED")


def test_suspending_a_job_that_is_not_running_is_a_conflict(api: Api) -> None:
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    deployment = api.ok("POST", "deployments", body=sql_deployment(name, DATAGEN_SQL))
    job = api.ok("POST", "jobs:start", body={"deploymentId": deployment["deploymentId"]})
    api.wait_status(job["jobId"], "RUNNING")
    status, envelope = api.call("POST", f"jobs/{job['jobId']}:resume")
    assert (status, envelope["errorCode"]) == (409, "InvalidJobStatus")
    api.ok("POST", f"jobs/{job['jobId']}:stop", body={"stopStrategy": "NONE"})
    api.wait_status(job["jobId"], "CANCELLED")
    status, envelope = api.call("POST", f"jobs/{job['jobId']}:suspend")
    assert (status, envelope["errorCode"]) == (409, "InvalidJobStatus")


def test_restart_policy_restarts_a_failed_job_until_its_budget_is_spent(api: Api) -> None:
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    deployment = api.ok(
        "POST",
        "deployments",
        body=sql_deployment(
            name,
            FAILING_SQL,
            flinkConf={"restart-strategy.type": "none"},
            restartPolicy={"enabled": True, "maxRestartsPerHour": 1},
        ),
    )
    assert deployment["restartPolicy"] == {"enabled": True, "maxRestartsPerHour": 1}
    job = api.ok("POST", "jobs:start", body={"deploymentId": deployment["deploymentId"]})
    failed = api.wait_status(job["jobId"], "FAILED", timeout=180)
    failure = failed["status"]["failure"]
    assert failure["reason"] == "RestartBudgetSpent", failure
    assert "1 restart within the last hour" in failure["message"]
    events = _events(api, deployment["deploymentId"], job["jobId"])
    assert [e["eventName"] for e in events].count("JOB_RESTARTING_AFTER_FAILURE") == 1
