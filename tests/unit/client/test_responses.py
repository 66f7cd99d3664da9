"""Reading answers: envelopes into models and pages, errors into the client's hierarchy."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from millstream.client import (
    ApiError,
    AsyncMillstreamClient,
    AuthError,
    ClientConfig,
    ConflictError,
    Deployment,
    InvalidRequestError,
    MillstreamClient,
    NotFoundError,
    ServerError,
    TransportError,
)


def client_answering(
    status: int, body: Any, headers: dict[str, str] | None = None
) -> MillstreamClient:
    def handler(request: httpx.Request) -> httpx.Response:  # noqa: ARG001
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return MillstreamClient(ClientConfig(), transport=httpx.MockTransport(handler))


def envelope(data: Any, **extra: Any) -> dict[str, Any]:
    return {"requestId": "r1", "success": True, "httpCode": 200, "data": data, **extra}


def test_job_envelope_becomes_a_typed_job_ignoring_unknown_fields() -> None:
    data = {
        "jobId": "j1",
        "deploymentId": "d1",
        "status": {"currentJobStatus": "RUNNING", "riskLevel": None, "brandNew": 1},
        "startTime": 1700000000,
        "somethingNew": {"x": 1},
    }
    job = client_answering(200, envelope(data)).get_job("j1")
    assert (job.job_id, job.deployment_id, job.state, job.start_time) == (
        "j1",
        "d1",
        "RUNNING",
        1700000000,
    )


def test_list_envelope_becomes_a_page() -> None:
    body = envelope([{"jobId": "a"}, {"jobId": "b"}], pageIndex=2, pageSize=2, totalSize=5)
    page = client_answering(200, body).list_jobs("d1", page_index=2, page_size=2)
    assert [job.job_id for job in page.items] == ["a", "b"]
    assert (page.page_index, page.page_size, page.total_size) == (2, 2, 5)


def test_deployment_by_name_takes_the_first_and_raises_not_found_on_empty_list() -> None:
    found = client_answering(200, envelope([{"deploymentId": "d1", "name": "n"}]))
    assert found.get_deployment_by_name("n").deployment_id == "d1"
    with pytest.raises(NotFoundError, match="no deployment named 'n'"):
        client_answering(200, envelope([])).get_deployment_by_name("n")


def test_deployment_to_wire_uses_sdk_names_and_drops_unset_fields() -> None:
    wire = Deployment.model_validate(
        {
            "name": "n",
            "engineVersion": "v",
            "streamingResourceSetting": {"basicResourceSetting": {"parallelism": 2}},
        }
    ).to_wire()
    assert wire == {
        "name": "n",
        "engineVersion": "v",
        "streamingResourceSetting": {"basicResourceSetting": {"parallelism": 2}},
    }


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, InvalidRequestError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (409, ConflictError),
        (500, ServerError),
        (503, ServerError),
        (422, ApiError),
    ],
)
def test_error_status_maps_to_exception_class(status: int, kind: type[ApiError]) -> None:
    body = {
        "success": False,
        "httpCode": status,
        "errorCode": "Some.Code",
        "errorMessage": "what to fix",
        "requestId": "req-1",
        "code": "Some.Code",
        "message": "what to fix",
    }
    with pytest.raises(kind) as caught:
        client_answering(status, body).get_job("j1")
    error = caught.value
    assert type(error) is kind
    assert (error.status, error.code, error.message, error.request_id) == (
        status,
        "Some.Code",
        "what to fix",
        "req-1",
    )


def test_error_reads_sdk_style_code_and_message_and_header_request_id() -> None:
    client = client_answering(
        404, {"Code": "Job.NotFound", "Message": "job not found"}, {"x-acs-request-id": "hdr-1"}
    )
    with pytest.raises(NotFoundError) as caught:
        client.get_job("j1")
    assert (caught.value.code, caught.value.message, caught.value.request_id) == (
        "Job.NotFound",
        "job not found",
        "hdr-1",
    )


def test_non_json_error_body_keeps_status_and_text() -> None:
    with pytest.raises(ServerError, match="Bad Gateway"):
        client_answering(502, b"Bad Gateway").get_job("j1")


def test_200_with_success_false_raises() -> None:
    body = {"success": False, "httpCode": 409, "errorCode": "Conflict", "errorMessage": "busy"}
    with pytest.raises(ConflictError, match="busy"):
        client_answering(200, body).get_job("j1")


def test_200_without_json_is_an_invalid_response() -> None:
    with pytest.raises(ApiError, match="InvalidResponse"):
        client_answering(200, b"<html>").get_job("j1")


def test_wrong_data_shape_is_an_invalid_response() -> None:
    with pytest.raises(ApiError, match="unexpected answer shape"):
        client_answering(200, envelope({"jobId": "a"})).list_jobs("d1")


def test_connection_failure_is_a_transport_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = MillstreamClient(
        ClientConfig(url="http://127.0.0.1:1"), transport=httpx.MockTransport(handler)
    )
    with pytest.raises(
        TransportError, match=re.escape("cannot reach Millstream at http://127.0.0.1:1")
    ):
        client.get_job("j1")


def test_timeout_is_a_transport_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client = MillstreamClient(ClientConfig(), transport=httpx.MockTransport(handler))
    with pytest.raises(TransportError, match="in time"):
        client.get_job("j1")


def test_health_reads_plain_json_and_status_accepts_an_envelope() -> None:
    assert client_answering(200, {"status": "ok"}).health() == {"status": "ok"}
    wrapped = client_answering(200, envelope({"version": "0.1.0"}))
    assert wrapped.server_status() == {"version": "0.1.0"}


# --------------------------------------------------------------------------- new operations

HOT_UPDATE = {
    "jobHotUpdateId": "h1",
    "jobId": "j1",
    "status": {
        "status": "HOT_UPDATE_FAILED",
        "requestId": "r0",
        "failure": {"failureSeverity": "HIGH", "message": "no slots", "reason": "x"},
    },
    "targetResourceSetting": {"flinkConf": {"a": "1"}},
    "hotUpdateParams": {"rescaleJobParam": {"jobParallelism": 4}},
    "sourceJobId": "j1",
    "newJobId": None,
    "savepointId": "s1",
    "phase": "FAILED",
}
DIAGNOSIS = {
    "diagnoseId": "dg1",
    "diagnoseTime": 1700000000000,
    "healthScore": 60,
    "riskLevel": "MEDIUM",
    "symptoms": {
        "startup": [],
        "runtime": [{"name": "Backpressure", "description": "d", "recommendation": "r"}],
        "state": [],
        "troubleshooting": [],
        "others": [{"name": "Other", "severity": "LOW"}],
        "autopilot": {"name": "Autopilot off"},
    },
    "jobId": "j1",
    "deploymentId": "d1",
}
LOG = {
    "jobId": "j1",
    "kind": "taskmanager",
    "source": "archive",
    "truncated": True,
    "files": [{"source": "tm-1", "name": "taskmanager.log", "truncated": True}],
    "content": "==> tm-1: taskmanager.log <==\nINFO x\n",
}


def test_hot_update_diagnosis_and_log_answers_become_models() -> None:
    hot = client_answering(200, envelope(HOT_UPDATE)).get_hot_update_result("h1")
    assert (hot.state, hot.phase, hot.failure_message, hot.savepoint_id) == (
        "HOT_UPDATE_FAILED",
        "FAILED",
        "no slots",
        "s1",
    )
    diagnosis = client_answering(200, envelope(DIAGNOSIS)).get_job_diagnosis("d1", "j1")
    assert diagnosis.health_score == 60
    assert diagnosis.symptoms is not None
    assert [(group, s.name) for group, s in diagnosis.symptoms.all()] == [
        ("runtime", "Backpressure"),
        ("others", "Other"),
        ("autopilot", "Autopilot off"),
    ]
    log = client_answering(200, envelope(LOG)).get_job_logs("j1", "taskmanager")
    assert log.truncated is True
    assert log.files[0].name == "taskmanager.log"
    assert log.content.endswith("INFO x\n")


def test_variables_and_artifacts_answers_become_models() -> None:
    masked = {"name": "pw", "value": "******", "kind": "Encrypted", "description": None}
    page = client_answering(
        200, envelope([masked], pageIndex=1, pageSize=100, totalSize=1)
    ).list_variables()
    assert page.total_size == 1
    assert (page.items[0].name, page.items[0].value, page.items[0].kind) == (
        "pw",
        "******",
        "Encrypted",
    )
    stored = {"name": "a.jar", "size": 3, "uri": "artifacts://w/n/a.jar", "modifiedAt": 1}
    (artifact,) = client_answering(200, envelope([stored], totalSize=1)).list_artifacts()
    assert (artifact.name, artifact.uri, artifact.size) == ("a.jar", "artifacts://w/n/a.jar", 3)


def test_duplicate_variable_is_a_conflict() -> None:
    body = {"success": False, "errorCode": "VariableAlreadyExists", "errorMessage": "exists"}
    with pytest.raises(ConflictError, match="VariableAlreadyExists"):
        client_answering(409, body).create_variable("pw", "x")


async def test_async_client_has_the_new_operations() -> None:
    ns = "/api/v2/namespaces/default-namespace"
    variable = {"name": "v", "value": "1", "kind": "Plain"}
    answers: dict[tuple[str, str], Any] = {
        ("POST", f"{ns}/jobs/j1%3AhotUpdate"): HOT_UPDATE,
        ("GET", f"{ns}/jobs/hot-updates/h1"): HOT_UPDATE,
        ("GET", f"{ns}/deployments/d1/jobs/j1/job-diagnoses/lite"): DIAGNOSIS,
        ("GET", f"{ns}/jobs/j1/logs"): LOG,
        ("POST", f"{ns}/variables"): variable,
        ("GET", f"{ns}/variables"): [variable],
        ("PATCH", f"{ns}/variables/v"): {**variable, "value": "2"},
        ("DELETE", f"{ns}/variables/v"): None,
        ("GET", f"{ns}/artifacts"): [],
        ("DELETE", f"{ns}/artifacts/a.jar"): None,
    }

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode().partition("?")[0]
        return httpx.Response(200, json=envelope(answers[(request.method, path)]))

    async with AsyncMillstreamClient(
        ClientConfig(), transport=httpx.MockTransport(handler)
    ) as client:
        assert (await client.hot_update_job("j1", parallelism=2)).job_hot_update_id == "h1"
        assert (await client.get_hot_update_result("h1")).phase == "FAILED"
        assert (await client.get_job_diagnosis("d1", "j1")).risk_level == "MEDIUM"
        assert (await client.get_job_logs("j1", "taskmanager")).source == "archive"
        assert (await client.create_variable("v", "1")).value == "1"
        assert (await client.list_variables()).items[0].name == "v"
        assert (await client.update_variable("v", value="2")).value == "2"
        await client.delete_variable("v")
        assert await client.list_artifacts() == []
        await client.delete_artifact("a.jar")
