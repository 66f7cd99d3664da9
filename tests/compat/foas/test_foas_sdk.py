"""Issue 13 through the official ``aliyun-python-sdk-foas`` SDK, unchanged, against a
REAL Millstream server process on the session's REAL Flink cluster (``millstream_server``
of tests/e2e), configured as sdk-wire-notes.md §2A says (``AcsClient(ak, sk, region)``,
``request.set_endpoint("127.0.0.1:PORT")``, ``request.set_protocol_type("http")``, the
key pair the server issued on first start, the project ``default``).

The lifecycle: CreateJob (SQL) -> ValidateJob (Flink's planner) -> StartJob -> RUNNING on
Flink -> GetInstanceCheckpoint / GetInstanceExceptions / GetInstanceDetail (Flink's own
JSON) -> ModifyInstanceState PAUSED (a savepoint) -> RUNNING (Flink confirms it restored
that savepoint) -> TERMINATED with a checkpoint -> StartJob restoring the latest savepoint
-> TERMINATED -> OfflineJob -> DeleteJob. Errors come back as the SDK's
``ServerException`` with the foas code, HTTP status and request id. Every instance a test
starts is stopped before it ends (4 shared slots).
"""

from __future__ import annotations

import configparser
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkfoas.request.v20181111 import (
    CalcPlanJsonResourceRequest,
    CheckRawPlanJsonRequest,
    CreateJobRequest,
    DeleteJobRequest,
    GetInstanceCheckpointRequest,
    GetInstanceDetailRequest,
    GetInstanceExceptionsRequest,
    GetInstanceMetricRequest,
    GetInstanceRequest,
    GetInstanceRunSummaryRequest,
    GetJobRequest,
    GetRawPlanJsonRequest,
    ListJobRequest,
    ModifyInstanceStateRequest,
    OfflineJobRequest,
    StartJobRequest,
    ValidateJobRequest,
)
from tests.e2e.conftest import DATAGEN_SQL, ServerHandle, millstream_server

__all__ = ["millstream_server"]  # the fixture, re-exported for this module

pytestmark = pytest.mark.flink

PROJECT = "default"


def _client(server: ServerHandle, *, secret: str | None = None) -> AcsClient:
    parser = configparser.ConfigParser()
    parser.read(server.credentials_file)
    key = parser["default"]["access_key_id"]
    # No automatic retries: a repeated signed write within a second is a replay.
    return AcsClient(
        key,
        secret or parser["default"]["access_key_secret"],
        "cn-hangzhou",
        auto_retry=False,
        timeout=120,
        connect_timeout=10,
    )


class Foas:
    """Sends SDK requests to the server; stops what it started at the end of the test."""

    def __init__(self, server: ServerHandle, client: AcsClient) -> None:
        self.server = server
        self.client = client
        self.endpoint = server.url.removeprefix("http://")
        self.started: set[str] = set()

    def call(self, request: Any, client: AcsClient | None = None) -> dict[str, Any]:
        request.set_endpoint(self.endpoint)
        request.set_protocol_type("http")
        raw = (client or self.client).do_action_with_exception(request)
        answer: dict[str, Any] = json.loads(raw)
        assert answer["RequestId"]
        return answer

    def job_request(self, cls: Any, job: str) -> Any:
        request = cls()
        request.set_projectName(PROJECT)
        request.set_jobName(job)
        return request

    def instance_request(self, cls: Any, job: str, instance: str = "-1") -> Any:
        request = self.job_request(cls, job)
        request.set_instanceId(instance)
        return request

    def summary(self, job: str) -> dict[str, Any]:
        request = self.instance_request(
            GetInstanceRunSummaryRequest.GetInstanceRunSummaryRequest, job
        )
        summary: dict[str, Any] = self.call(request)["RunSummary"]
        return summary

    def wait(self, job: str, state: str, timeout: float = 150) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        summary: dict[str, Any] = {}
        while time.monotonic() < deadline:
            summary = self.summary(job)
            if summary["ActualState"] == state:
                return summary
            if summary["ActualState"] == "FAILED" and state != "FAILED":
                break
            time.sleep(0.5)
        raise AssertionError(f"{job} not {state}: {summary}\nserver log:\n{self.server.log_tail()}")

    def start(self, job: str, **parameters: Any) -> int:
        request = self.job_request(StartJobRequest.StartJobRequest, job)
        if parameters:
            request.set_parameterJson(json.dumps(parameters))
        instance = self.call(request)["instanceId"]
        assert isinstance(instance, int)
        self.started.add(job)
        return instance

    def modify(self, job: str, state: str, **fields: str) -> None:
        request = self.instance_request(ModifyInstanceStateRequest.ModifyInstanceStateRequest, job)
        request.set_expectState(state)
        for name, value in fields.items():
            getattr(request, f"set_{name}")(value)
        self.call(request)

    def stop_all(self) -> None:
        for job in list(self.started):
            with contextlib.suppress(ServerException, AssertionError):
                if self.summary(job)["ActualState"] in {"WAITING", "RUNNING", "PAUSED"}:
                    self.modify(job, "TERMINATED")
                    self.wait(job, "TERMINATED", timeout=60)


@pytest.fixture
def foas(millstream_server: ServerHandle) -> Iterator[Foas]:
    tracker = Foas(millstream_server, _client(millstream_server))
    yield tracker
    tracker.stop_all()


def _create(foas: Foas, name: str) -> None:
    request = foas.job_request(CreateJobRequest.CreateJobRequest, name)
    request.set_jobType("FLINK_STREAM")
    request.set_apiType("SQL")
    request.set_code(DATAGEN_SQL)
    request.set_engineVersion("blink-3.6.0")
    request.set_clusterId("default")
    request.set_queueName("root.default")
    request.set_planJson("{}")
    request.set_description("foas compat")
    request.set_properties("blink.checkpoint.interval.ms=2000\nblink.job.timeZone=UTC")
    foas.call(request)


def _restored_path(server: ServerHandle, flink_job_id: str) -> str | None:
    """The state Flink says it restored the job from (its checkpoint statistics)."""
    url = f"{server.flink.rest_url}/jobs/{flink_job_id}/checkpoints"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        latest = httpx.get(url, timeout=10).json().get("latest") or {}
        restored = latest.get("restored")
        if restored:
            return str(restored.get("external_path"))
        time.sleep(0.5)
    return None


def _flink_id(summary: dict[str, Any]) -> str:
    handler = str(summary["EngineJobHandler"])
    assert "|" in handler, summary
    return handler.rsplit("|", 1)[1]


def test_lifecycle_on_real_flink(foas: Foas, millstream_server: ServerHandle) -> None:
    name = f"foas-{uuid.uuid4().hex[:6]}"
    _create(foas, name)
    job = foas.call(foas.job_request(GetJobRequest.GetJobRequest, name))["Job"]
    assert (job["JobName"], job["ApiType"], job["Description"]) == (name, "SQL", "foas compat")
    listing = ListJobRequest.ListJobRequest()
    listing.set_projectName(PROJECT)
    listing.set_jobName(name)
    assert [j["JobName"] for j in foas.call(listing)["Jobs"]["Job"]] == [name]

    validated = foas.call(foas.job_request(ValidateJobRequest.ValidateJobRequest, name))
    assert [t["Name"] for t in validated["JobInOut"]["Outputs"]] == ["snk"]

    # Flink's own plan, through the document's session flow.
    session = foas.call(foas.job_request(GetRawPlanJsonRequest.GetRawPlanJsonRequest, name))[
        "SessionId"
    ]
    check = foas.job_request(CheckRawPlanJsonRequest.CheckRawPlanJsonRequest, name)
    check.set_sessionId(session)
    deadline = time.monotonic() + 120
    info = foas.call(check)["PlanJsonInfo"]
    while info["Status"] == "Sessionin run" and time.monotonic() < deadline:
        time.sleep(0.5)
        info = foas.call(check)["PlanJsonInfo"]
    assert info["Status"] == "success", info
    plan = json.loads(info["PlanJson"])
    assert plan["nodes"]
    assert all(node["parallelism"] >= 1 for node in plan["nodes"])
    resources = foas.call(
        foas.job_request(CalcPlanJsonResourceRequest.CalcPlanJsonResourceRequest, name)
    )["PlanJsonResource"]
    assert resources["Cores"] > 0

    instance = foas.start(name)
    running = foas.wait(name, "RUNNING")
    assert running["Id"] == instance
    first_flink_id = _flink_id(running)
    got = foas.call(
        foas.instance_request(GetInstanceRequest.GetInstanceRequest, name, str(instance))
    )
    assert (got["Instance"]["JobName"], got["Instance"]["ExpectState"]) == (name, "RUNNING")

    detail = json.loads(
        foas.call(foas.instance_request(GetInstanceDetailRequest.GetInstanceDetailRequest, name))[
            "Detail"
        ]
    )
    assert detail["jid"] == first_flink_id
    exceptions = json.loads(
        foas.call(
            foas.instance_request(GetInstanceExceptionsRequest.GetInstanceExceptionsRequest, name)
        )["Exceptions"]
    )
    assert isinstance(exceptions, dict)
    checkpoints = json.loads(
        foas.call(
            foas.instance_request(GetInstanceCheckpointRequest.GetInstanceCheckpointRequest, name)
        )["Checkpoints"]
    )
    assert "counts" in checkpoints
    metric = foas.job_request(GetInstanceMetricRequest.GetInstanceMetricRequest, name)
    metric.set_instanceId("-1")
    now = int(time.time() * 1000)
    metric.set_metricJson(
        json.dumps(
            {
                "start": now - 600_000,
                "end": now,
                "queries": [
                    {"metric": f"blink.{PROJECT}.{name}.tps.rate", "aggregator": "max"},
                    {"metric": "checkpoints", "aggregator": "max"},
                ],
            }
        )
    )
    found = foas.call(metric)["Metrics"]["Metric"]
    assert [m["MetricName"] for m in found] == [f"blink.{PROJECT}.{name}.tps.rate", "checkpoints"]
    assert all(len(m["Dps"]) >= 1 for m in found), found
    assert found[0]["Summary"] >= 0

    # Pause with a savepoint, resume from it: Flink confirms the restore.
    foas.modify(name, "PAUSED", triggerCheckpoint="True")
    foas.wait(name, "PAUSED")
    foas.modify(name, "RUNNING", isFlush="False")
    resumed = foas.wait(name, "RUNNING")
    assert resumed["Id"] == instance  # the same instance runs on
    assert _flink_id(resumed) != first_flink_id
    assert _restored_path(millstream_server, _flink_id(resumed)) is not None

    # Stop with a checkpoint, start again from it.
    foas.modify(name, "TERMINATED", triggerCheckpoint="True")
    foas.wait(name, "TERMINATED")
    second = foas.start(name, restoreStrategy="LATEST_SAVEPOINT")
    assert second != instance
    restarted = foas.wait(name, "RUNNING")
    assert _restored_path(millstream_server, _flink_id(restarted)) is not None
    foas.modify(name, "TERMINATED")
    foas.wait(name, "TERMINATED")

    foas.call(foas.job_request(OfflineJobRequest.OfflineJobRequest, name))
    foas.call(foas.job_request(DeleteJobRequest.DeleteJobRequest, name))
    with pytest.raises(ServerException) as caught:
        foas.call(foas.job_request(GetJobRequest.GetJobRequest, name))
    assert (caught.value.get_http_status(), caught.value.get_error_code()) == (404, "Job.NotFound")


def test_errors_are_server_exceptions(foas: Foas, millstream_server: ServerHandle) -> None:
    with pytest.raises(ServerException) as caught:
        foas.call(foas.job_request(GetJobRequest.GetJobRequest, "no-such-job"))
    error = caught.value
    assert (error.get_http_status(), error.get_error_code()) == (404, "Job.NotFound")
    assert "no-such-job" in error.get_error_msg()
    assert error.get_request_id()

    with pytest.raises(ServerException) as caught:
        foas.call(foas.instance_request(GetInstanceRequest.GetInstanceRequest, "no-such-job", "12"))
    assert caught.value.get_error_code() == "Job.NotFound"

    wrong = _client(millstream_server, secret="not-the-secret")
    with pytest.raises(ServerException) as caught:
        foas.call(foas.job_request(GetJobRequest.GetJobRequest, "no-such-job"), client=wrong)
    assert (caught.value.get_http_status(), caught.value.get_error_code()) == (
        401,
        "SignatureDoesNotMatch",
    )
