"""Issue 3 end to end: SQL deployments and their jobs on a real Flink cluster, over HTTP."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.e2e.conftest import DATAGEN_SQL, Api, ServerHandle, sql_deployment

pytestmark = pytest.mark.flink


def _flink_jobs(server: ServerHandle, name: str) -> list[dict[str, Any]]:
    jobs = httpx.get(f"{server.flink.rest_url}/jobs/overview", timeout=10).json()["jobs"]
    return [j for j in jobs if j["name"] == name]


def _live_flink_jobs(server: ServerHandle, name: str) -> list[dict[str, Any]]:
    ended = {"FINISHED", "CANCELED", "FAILED"}
    return [j for j in _flink_jobs(server, name) if j["state"] not in ended]


def _local_path(location: str) -> Path:
    return Path(urlparse(location).path) if location.startswith("file:") else Path(location)


def _create(api: Api, script: str = DATAGEN_SQL, **extra: Any) -> dict[str, Any]:
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    deployment: dict[str, Any] = api.ok(
        "POST", "deployments", body=sql_deployment(name, script, **extra)
    )
    return deployment


def _start(api: Api, deployment_id: str, kind: str = "NONE", **restore: Any) -> dict[str, Any]:
    job: dict[str, Any] = api.ok(
        "POST",
        "jobs:start",
        body={"deploymentId": deployment_id, "restoreStrategy": {"kind": kind, **restore}},
    )
    return job


def _stop(api: Api, job_id: str, strategy: str) -> dict[str, Any]:
    job: dict[str, Any] = api.ok("POST", f"jobs/{job_id}:stop", body={"stopStrategy": strategy})
    return job


def test_start_stop_with_savepoint_and_restore(api: Api, millstream_server: ServerHandle) -> None:
    deployment = _create(api)
    dep_id = deployment["deploymentId"]
    started = _start(api, dep_id)
    assert started["status"]["currentJobStatus"] in ("STARTING", "RUNNING")
    job = api.wait_status(started["jobId"], "RUNNING")
    assert job["status"]["running"]["observedFlinkJobStatus"] == "RUNNING"
    assert job["deploymentName"] == deployment["name"]
    assert job["flinkConf"]["execution.checkpointing.externalized-checkpoint-retention"] == (
        "RETAIN_ON_CANCELLATION"
    )
    assert job["metric"]["totalCpu"] == 2  # 1 JM cpu + 1 TM cpu at parallelism 1
    assert job["metric"]["totalMemoryByte"] == 3 * 1024**3
    assert job["startTime"] is not None
    assert job["endTime"] is None
    assert len(_live_flink_jobs(millstream_server, deployment["name"])) == 1

    # a second start while live is a conflict and no second Flink job appears
    status, envelope = api.call(
        "POST", "jobs:start", body={"deploymentId": dep_id, "restoreStrategy": {"kind": "NONE"}}
    )
    assert status == 409
    assert envelope["success"] is False
    assert envelope["errorCode"] == "JobAlreadyRunning"
    assert len(_live_flink_jobs(millstream_server, deployment["name"])) == 1

    # a deployment with a live job cannot be deleted
    status, envelope = api.call("DELETE", f"deployments/{dep_id}")
    assert status == 409
    assert envelope["errorCode"] == "DeploymentHasLiveJob"

    _stop(api, job["jobId"], "STOP_WITH_SAVEPOINT")
    stopped = api.wait_status(job["jobId"], "CANCELLED", "FAILED")
    assert stopped["status"]["currentJobStatus"] == "CANCELLED"
    assert stopped["endTime"] is not None
    savepoints = api.ok("GET", "savepoints", params={"deploymentId": dep_id})
    completed = [s for s in savepoints if s["status"]["state"] == "COMPLETED"]
    assert len(completed) >= 1
    stop_savepoint = next(s for s in completed if s["savepointOrigin"] == "STOP_WITH_SAVEPOINT")
    assert _local_path(stop_savepoint["savepointLocation"]).exists()

    # stopping a terminal job is refused
    status, envelope = api.call("POST", f"jobs/{job['jobId']}:stop", body={"stopStrategy": "NONE"})
    assert status == 409
    assert envelope["success"] is False

    # restart from the latest savepoint: Flink reports the restore from that path
    restarted = _start(api, dep_id, "LATEST_SAVEPOINT")
    api.wait_status(restarted["jobId"], "RUNNING")
    live = _live_flink_jobs(millstream_server, deployment["name"])
    assert len(live) == 1
    checkpoints = httpx.get(
        f"{millstream_server.flink.rest_url}/jobs/{live[0]['jid']}/checkpoints", timeout=10
    ).json()
    restored = checkpoints["latest"]["restored"]
    assert restored is not None
    assert _local_path(restored["external_path"]) == _local_path(
        stop_savepoint["savepointLocation"]
    )

    # cancel (no savepoint), then FROM_SAVEPOINT by id
    _stop(api, restarted["jobId"], "NONE")
    assert api.wait_status(restarted["jobId"], "CANCELLED")["status"]["currentJobStatus"] == (
        "CANCELLED"
    )
    from_id = _start(api, dep_id, "FROM_SAVEPOINT", savepointId=stop_savepoint["savepointId"])
    assert from_id["restoreStrategy"]["savepointId"] == stop_savepoint["savepointId"]
    api.wait_status(from_id["jobId"], "RUNNING")
    _stop(api, from_id["jobId"], "NONE")
    api.wait_status(from_id["jobId"], "CANCELLED")

    # terminal jobs are listed and can be deleted; list paging follows seed 003
    listed = api.call("GET", "jobs", params={"deploymentId": dep_id, "pageSize": 2})[1]
    assert listed["pageIndex"] == 1
    assert listed["pageSize"] == 2
    assert listed["totalSize"] == 3
    assert len(listed["data"]) == 2
    api.ok("DELETE", f"jobs/{job['jobId']}")
    assert api.call("GET", f"jobs/{job['jobId']}")[0] == 404
    api.ok("DELETE", f"deployments/{dep_id}")


def test_restore_from_another_deployments_savepoint_is_refused(api: Api) -> None:
    first = _create(api)
    job = _start(api, first["deploymentId"])
    api.wait_status(job["jobId"], "RUNNING")
    _stop(api, job["jobId"], "STOP_WITH_SAVEPOINT")
    api.wait_status(job["jobId"], "CANCELLED")
    savepoint = api.ok("GET", "savepoints", params={"deploymentId": first["deploymentId"]})[0]
    other = _create(api)
    status, envelope = api.call(
        "POST",
        "jobs:start",
        body={
            "deploymentId": other["deploymentId"],
            "restoreStrategy": {"kind": "FROM_SAVEPOINT", "savepointId": savepoint["savepointId"]},
        },
    )
    assert status == 400
    assert envelope["errorCode"] == "SavepointOfOtherDeployment"
    assert api.call("GET", "jobs", params={"deploymentId": other["deploymentId"]})[1]["data"] == []


def test_user_savepoint_on_running_job(api: Api) -> None:
    deployment = _create(api)
    job = _start(api, deployment["deploymentId"])
    api.wait_status(job["jobId"], "RUNNING")
    savepoint = api.ok("POST", "savepoints", body={"deploymentId": deployment["deploymentId"]})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        savepoint = api.ok("GET", f"savepoints/{savepoint['savepointId']}")
        if savepoint["status"]["state"] != "STARTED":
            break
        time.sleep(0.3)
    assert savepoint["status"]["state"] == "COMPLETED"
    assert _local_path(savepoint["savepointLocation"]).exists()
    assert api.ok("GET", f"jobs/{job['jobId']}")["status"]["currentJobStatus"] == "RUNNING"
    _stop(api, job["jobId"], "NONE")
    api.wait_status(job["jobId"], "CANCELLED")
    api.ok("DELETE", f"savepoints/{savepoint['savepointId']}")
    assert not _local_path(savepoint["savepointLocation"]).exists()


def test_runtime_failure_shows_flink_root_cause(api: Api) -> None:
    script = """CREATE TEMPORARY TABLE src (name VARCHAR) WITH (
  'connector' = 'datagen', 'rows-per-second' = '5', 'fields.name.length' = '6');
CREATE TEMPORARY TABLE snk (n INT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT CAST(name AS INT) FROM src;
"""
    deployment = _create(api, script, flinkConf={"restart-strategy.type": "none"})
    job = _start(api, deployment["deploymentId"])
    failed = api.wait_status(job["jobId"], "FAILED", timeout=120)
    failure = failed["status"]["failure"]
    assert failure is not None
    assert failure["failedAt"] is not None
    assert "NumberFormat" in failure["reason"] + failure["message"] or (
        "cast" in failure["message"].lower()
    )


def test_batch_job_runs_to_finished(api: Api) -> None:
    script = """CREATE TEMPORARY TABLE src (id BIGINT) WITH (
  'connector' = 'datagen', 'number-of-rows' = '100');
CREATE TEMPORARY TABLE snk (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT id FROM src;
"""
    body = sql_deployment(f"e2e-batch-{uuid.uuid4().hex[:6]}", script, executionMode="BATCH")
    body["batchResourceSetting"] = {"maxSlot": 1, "basicResourceSetting": {"parallelism": 1}}
    deployment = api.ok("POST", "deployments", body=body)
    job = _start(api, deployment["deploymentId"])
    finished = api.wait_status(job["jobId"], "FINISHED", "FAILED", timeout=120)
    assert finished["status"]["currentJobStatus"] == "FINISHED"
    assert finished["executionMode"] == "BATCH"


def test_multi_statement_script_with_statement_set(api: Api) -> None:
    script = """SET 'pipeline.operator-chaining.enabled' = 'false';
CREATE TEMPORARY TABLE src (id BIGINT, name VARCHAR) WITH (
  'connector' = 'datagen', 'rows-per-second' = '5');
CREATE TEMPORARY VIEW evens AS SELECT id, name FROM src WHERE MOD(id, 2) = 0;
CREATE TEMPORARY TABLE a (id BIGINT) WITH ('connector' = 'blackhole');
CREATE TEMPORARY TABLE b (name VARCHAR) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET BEGIN
  INSERT INTO a SELECT id FROM evens;
  INSERT INTO b SELECT name FROM src;
END;
"""
    deployment = _create(api, script)
    job = _start(api, deployment["deploymentId"])
    api.wait_status(job["jobId"], "RUNNING")
    _stop(api, job["jobId"], "NONE")
    api.wait_status(job["jobId"], "CANCELLED")


def test_taskmanager_kill_is_counted_and_job_recovers(
    api: Api, millstream_server: ServerHandle
) -> None:
    deployment = _create(api)
    job = _start(api, deployment["deploymentId"])
    api.wait_status(job["jobId"], "RUNNING")
    pids = millstream_server.flink.taskmanager_pids()
    assert pids
    os.kill(pids[0], signal.SIGKILL)
    recovered = api.wait_job(
        job["jobId"],
        lambda j: (
            (j["status"]["running"]["observedFlinkJobRestarts"] or 0) >= 1
            and j["status"]["running"]["observedFlinkJobStatus"] == "RUNNING"
        ),
        timeout=180,
    )
    assert recovered["status"]["currentJobStatus"] == "RUNNING"
    _stop(api, job["jobId"], "NONE")
    api.wait_status(job["jobId"], "CANCELLED")
