"""The native dialect end to end over fake services, through httpx ``ASGITransport``.

Paths are sent as the SDK sends them (``jobs%3Astart``); every answer must be the native
envelope, errors included.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import Request

from millstream.api.app import build_app
from millstream.control.context import Actor
from millstream.domain.errors import EngineUnavailable, Unauthenticated
from millstream.domain.jobs import JobStatus
from millstream.domain.savepoints import SavepointState

from .fakes import FakeWorld, fake_services

NS = "/api/v2/namespaces/ns1"
SQL = (
    "CREATE TEMPORARY TABLE s (a INT) WITH ('connector' = 'datagen');\n"
    "INSERT INTO t SELECT a FROM s;"
)


def deployment_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "d1",
        "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": SQL}},
        "deploymentTarget": {"name": "default-queue"},
        "engineVersion": "vvr-8.0.9-flink-1.17",
        "executionMode": "STREAMING",
        "localVariables": [],
        "streamingResourceSetting": {
            "resourceSettingMode": "BASIC",
            "basicResourceSetting": {
                "parallelism": 4,
                "jobmanagerResourceSettingSpec": {"cpu": 1, "memory": "1 GiB"},
                "taskmanagerResourceSettingSpec": {"cpu": 2, "memory": "4 GiB"},
            },
        },
        "flinkConf": {"taskmanager.numberOfTaskSlots": "2"},
        "labels": {"team": "a"},
        "unknownFieldTheSdkMightSend": {"x": 1},
    }
    body.update(overrides)
    return body


def ok(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200, body
    assert body["success"] is True
    assert body["httpCode"] == 200
    assert body["errorCode"] == ""
    assert body["errorMessage"] == ""
    assert body["requestId"] == response.headers["x-acs-request-id"]
    return body["data"]


def failed(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert body["success"] is False
    assert body["httpCode"] == status
    assert body["code"] == body["errorCode"]
    assert body["message"] == body["errorMessage"]
    assert body["requestId"] == response.headers["x-acs-request-id"]
    assert body["data"] is None
    if code is not None:
        assert body["errorCode"] == code
    return body


async def create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = ok(
        await client.post(f"{NS}/deployments", json=deployment_body(**overrides))
    )
    return data


async def start(client: httpx.AsyncClient, deployment_id: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        f"{NS}/jobs%3Astart", json={"deploymentId": deployment_id, **extra}
    )
    data: dict[str, Any] = ok(response)
    return data


# --------------------------------------------------------------------------- basics


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_unknown_api_path_is_a_404_envelope(client: httpx.AsyncClient) -> None:
    body = failed(await client.get(f"{NS}/no-such-thing"), 404, "NotFound")
    assert "/api/v2/namespaces/ns1/no-such-thing" in body["message"]


async def test_wrong_method_is_a_405_envelope_naming_the_allowed_ones(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(f"{NS}/jobs/abc")
    body = failed(response, 405, "MethodNotAllowed")
    assert "DELETE" in body["message"]
    assert "GET" in response.headers["allow"]


async def test_unexpected_error_is_a_generic_500_without_details(
    client: httpx.AsyncClient, world: FakeWorld
) -> None:
    world.fail_next = RuntimeError("secret database password in a stack trace")
    body = failed(await client.get(f"{NS}/deployments/x"), 500, "InternalError")
    assert "secret" not in body["message"]
    assert "Traceback" not in body["message"]


async def test_unavailable_dependency_is_a_503(client: httpx.AsyncClient, world: FakeWorld) -> None:
    world.fail_next = EngineUnavailable("Flink REST at http://x is unreachable")
    failed(await client.get(f"{NS}/deployments/x"), 503, "FlinkUnavailable")


async def test_failed_authentication_is_a_401_envelope(world: FakeWorld) -> None:
    def deny(request: Request) -> Actor:  # noqa: ARG001
        raise Unauthenticated("missing Authorization header")

    app = build_app(fake_services(world), deny)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
        body = failed(await client.get(f"{NS}/deployments"), 401, "Unauthenticated")
        assert body["message"] == "missing Authorization header"


async def test_async_authenticate_may_read_the_body_first(world: FakeWorld) -> None:
    seen: list[bytes] = []

    async def signed(request: Request) -> Actor:
        seen.append(await request.body())  # a signature check hashes the raw body
        return Actor(id="signer", name="signer")

    app = build_app(fake_services(world), signed)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
        data = ok(await client.post(f"{NS}/deployments", json=deployment_body()))
    assert data["creator"] == "signer"
    assert b'"name"' in seen[0]


async def test_body_over_the_limit_is_a_413(client: httpx.AsyncClient) -> None:
    big = deployment_body(description="x" * 100_000)
    response = await client.post(f"{NS}/deployments", json=big)
    body = failed(response, 413, "PayloadTooLarge")
    assert "limit" in body["message"]


async def test_chunked_body_over_the_limit_is_a_413_envelope(client: httpx.AsyncClient) -> None:
    async def chunks() -> Any:
        for _ in range(10):
            yield b" " * 10_000

    response = await client.post(
        f"{NS}/deployments", content=chunks(), headers={"content-type": "application/json"}
    )
    failed(response, 413, "PayloadTooLarge")


# --------------------------------------------------------------------------- deployments


async def test_create_deployment_returns_the_sdk_shape(client: httpx.AsyncClient) -> None:
    data = await create(client)
    assert data["name"] == "d1"
    assert data["namespace"] == "ns1"
    assert data["workspace"] == "default"
    assert data["artifact"]["kind"] == "SQLSCRIPT"
    assert data["artifact"]["sqlArtifact"]["sqlScript"] == SQL
    assert data["artifact"]["jarArtifact"] is None
    basic = data["streamingResourceSetting"]["basicResourceSetting"]
    assert basic["parallelism"] == 4
    assert basic["taskmanagerResourceSettingSpec"] == {"cpu": 2.0, "memory": "4 GiB"}
    assert data["deploymentTarget"] is None  # PER_JOB / queue name = the default cluster
    assert data["creator"] == "admin-id"
    assert data["createdAt"].isdigit()
    assert data["resourceVersion"] == 1
    assert data["labels"] == {"team": "a"}
    assert data["jobSummary"] == {  # a new deployment: no jobs in any state
        "starting": 0, "running": 0, "cancelling": 0, "cancelled": 0, "finished": 0, "failed": 0
    }  # fmt: skip


async def test_create_deployment_on_a_session_cluster(client: httpx.AsyncClient) -> None:
    data = await create(client, deploymentTarget={"mode": "SESSION", "name": "session-1"})
    assert data["deploymentTarget"] == {"mode": "SESSION", "name": "session-1"}


async def test_create_deployment_in_unknown_namespace_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v2/namespaces/nope/deployments", json=deployment_body())
    failed(response, 404, "NamespaceNotFound")


async def test_workspace_header_selects_the_workspace(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{NS}/deployments", json=deployment_body(), headers={"workspace": "other"}
    )
    body = failed(response, 404, "NamespaceNotFound")
    assert "'other'" in body["message"]


async def test_create_duplicate_name_is_a_conflict(client: httpx.AsyncClient) -> None:
    await create(client)
    response = await client.post(f"{NS}/deployments", json=deployment_body())
    failed(response, 409, "DeploymentNameExists")


async def test_malformed_json_is_a_400_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{NS}/deployments",
        content=b'{"name": "d1", ',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    body = failed(response, 400, "MalformedJson")
    assert "JSON" in body["message"]


async def test_missing_body_is_a_400(client: httpx.AsyncClient) -> None:
    failed(await client.post(f"{NS}/deployments"), 400, "InvalidParameter")


async def test_wrongly_typed_field_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{NS}/deployments",
        json=deployment_body(
            streamingResourceSetting={"basicResourceSetting": {"parallelism": "many"}}
        ),
    )
    body = failed(response, 400, "InvalidParameter")
    assert "streamingResourceSetting.basicResourceSetting.parallelism" in body["message"]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"artifact": {"kind": "CDCYAML"}}, "artifact.kind"),
        ({"artifact": {"kind": "SQLSCRIPT"}}, "sqlScript"),
        ({"executionMode": "SOMETIMES"}, "executionMode"),
        ({"engineVersion": "spark-3"}, "engine version"),
        ({"deploymentTarget": {"mode": "SESSION"}}, "deploymentTarget.name"),
        ({"deploymentTarget": {"mode": "CLOUD", "name": "x"}}, "deploymentTarget.mode"),
        ({"localVariables": [{"name": "x"}]}, "localVariables[0].value"),
        ({"name": ""}, "name"),
    ],
)
async def test_invalid_deployment_fields_are_400_with_a_clear_message(
    client: httpx.AsyncClient, overrides: dict[str, Any], fragment: str
) -> None:
    response = await client.post(f"{NS}/deployments", json=deployment_body(**overrides))
    body = failed(response, 400)
    assert fragment in body["message"]


async def test_invalid_sql_at_create_is_a_400(client: httpx.AsyncClient) -> None:
    body = deployment_body(artifact={"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": "SELEC 1"}})
    failed(await client.post(f"{NS}/deployments", json=body), 400, "InvalidSql")


async def test_get_deployment_and_unknown_deployment(client: httpx.AsyncClient) -> None:
    created = await create(client)
    data = ok(await client.get(f"{NS}/deployments/{created['deploymentId']}"))
    assert data == created
    failed(await client.get(f"{NS}/deployments/missing"), 404, "DeploymentNotFound")


async def test_list_deployments_pages(client: httpx.AsyncClient) -> None:
    for name in ("a", "b", "c"):
        await create(client, name=name)
    response = await client.get(f"{NS}/deployments", params={"pageIndex": 2, "pageSize": 2})
    body = response.json()
    assert ok(response) == body["data"]
    assert (body["pageIndex"], body["pageSize"], body["totalSize"]) == (2, 2, 3)
    assert [d["name"] for d in body["data"]] == ["c"]


async def test_list_deployments_defaults_and_ignored_filters(client: httpx.AsyncClient) -> None:
    await create(client)
    response = await client.get(
        f"{NS}/deployments", params={"creator": "x", "modifier": "y", "status": "RUNNING"}
    )
    body = response.json()
    assert len(ok(response)) == 1
    assert (body["pageIndex"], body["pageSize"]) == (1, 10)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "101"}, "pageSize"),
        ({"pageIndex": "0"}, "pageIndex"),
        ({"pageIndex": "first"}, "pageIndex"),
        ({"pageSize": "1.5"}, "pageSize"),
    ],
)
async def test_bad_paging_is_a_400_naming_the_parameter(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    for path in ("deployments", "savepoints", "events"):
        body = failed(await client.get(f"{NS}/{path}", params=params), 400, "InvalidParameter")
        assert body["message"].startswith(field)
    params = {"deploymentId": "d", **params}
    failed(await client.get(f"{NS}/jobs", params=params), 400, "InvalidParameter")


async def test_list_deployments_filters(client: httpx.AsyncClient) -> None:
    await create(client, name="a", labels={"team": "x"})
    await create(client, name="b", labels={"team": "y"})
    await create(client, name="c", labels={"owner": "z"}, executionMode="BATCH")

    async def names(**params: str) -> list[str]:
        return sorted(d["name"] for d in ok(await client.get(f"{NS}/deployments", params=params)))

    assert await names(name="a") == ["a"]
    assert await names(executionMode="batch") == ["c"]
    assert await names(labelKey="team", labelValueArray="x") == ["a"]
    assert await names(labelKey="team", labelValueArray="x,y") == ["a", "b"]
    assert await names(labelKey="team") == ["a", "b"]
    failed(await client.get(f"{NS}/deployments", params={"executionMode": "X"}), 400)


async def test_get_deployments_by_name_returns_a_list(client: httpx.AsyncClient) -> None:
    created = await create(client)
    assert ok(await client.get(f"{NS}/deployments/name/d1")) == [created]
    assert ok(await client.get(f"{NS}/deployments/name/other")) == []
    failed(await client.get("/api/v2/namespaces/nope/deployments/name/d1"), 404)


async def test_get_deployments_by_label(client: httpx.AsyncClient) -> None:
    await create(client, name="a", labels={"team": "x"})
    await create(client, name="b", labels={"team": "y"})
    path = f"{NS}/deployments/getDeployments/byLabel"
    data = ok(await client.get(path, params={"labelKey": "team", "labelValue": "y"}))
    assert [d["name"] for d in data] == ["b"]
    data = ok(await client.get(path, params={"labelKey": "team", "labelValueArray": "x,y"}))
    assert sorted(d["name"] for d in data) == ["a", "b"]
    failed(await client.get(path), 400, "InvalidParameter")


async def test_update_deployment_replaces_present_fields_and_keeps_the_rest(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client)
    path = f"{NS}/deployments/{created['deploymentId']}"
    patch = {
        "streamingResourceSetting": {"basicResourceSetting": {"parallelism": 8}},
        "description": "now",
    }
    data = ok(await client.put(path, json=patch))
    basic = data["streamingResourceSetting"]["basicResourceSetting"]
    assert basic["parallelism"] == 8
    assert basic["taskmanagerResourceSettingSpec"] == {"cpu": 2.0, "memory": "4 GiB"}
    assert data["description"] == "now"
    assert data["artifact"] == created["artifact"]
    assert data["resourceVersion"] == 2


async def test_update_with_stale_resource_version_is_a_conflict(client: httpx.AsyncClient) -> None:
    created = await create(client)
    path = f"{NS}/deployments/{created['deploymentId']}"
    ok(await client.put(path, json={"description": "one", "resourceVersion": 1}))
    response = await client.put(path, json={"description": "two", "resourceVersion": 1})
    failed(response, 409, "ResourceVersionConflict")


async def test_update_and_delete_deployment_by_name(client: httpx.AsyncClient) -> None:
    await create(client)
    data = ok(
        await client.put(
            f"{NS}/deployments/updateDeployment/byName",
            params={"deploymentName": "d1"},
            json={"name": "d1", "description": "by name"},
        )
    )
    assert data["description"] == "by name"
    path = f"{NS}/deployments/deleteDeployment/byName"
    assert ok(await client.delete(path, params={"deploymentName": "d1"})) is None
    failed(await client.delete(path, params={"name": "d1"}), 404, "DeploymentNotFound")
    failed(await client.delete(path), 400)


async def test_delete_deployment(client: httpx.AsyncClient) -> None:
    created = await create(client)
    path = f"{NS}/deployments/{created['deploymentId']}"
    assert ok(await client.delete(path)) is None
    failed(await client.get(path), 404, "DeploymentNotFound")
    failed(await client.delete(path), 404, "DeploymentNotFound")


async def test_delete_deployment_with_live_job_is_a_conflict(client: httpx.AsyncClient) -> None:
    created = await create(client)
    await start(client, created["deploymentId"])
    response = await client.delete(f"{NS}/deployments/{created['deploymentId']}")
    failed(response, 409, "DeploymentHasLiveJob")


# --------------------------------------------------------------------------- jobs


async def test_start_job_with_params_returns_the_job(client: httpx.AsyncClient) -> None:
    created = await create(client)
    job = await start(
        client,
        created["deploymentId"],
        restoreStrategy={"kind": "LATEST_STATE", "allowNonRestoredState": True},
        localVariables=[{"name": "v", "value": "1"}],
        resourceQueueName="default-queue",
    )
    assert job["deploymentId"] == created["deploymentId"]
    assert job["deploymentName"] == "d1"
    assert job["status"]["currentJobStatus"] == "STARTING"
    assert job["status"]["failure"] is None
    assert job["restoreStrategy"]["kind"] == "LATEST_STATE"
    assert job["restoreStrategy"]["allowNonRestoredState"] is True
    assert isinstance(job["restoreStrategy"]["jobStartTimeInMs"], int)
    assert job["localVariables"] == [{"name": "v", "value": "1"}]
    assert job["userFlinkConf"] == {"taskmanager.numberOfTaskSlots": "2"}
    assert job["flinkConf"]["execution.runtime-mode"] == "STREAMING"
    assert job["sessionClusterName"] == "default"
    assert job["batchResourceSetting"] is None
    assert job["streamingResourceSetting"]["basicResourceSetting"]["parallelism"] == 4
    # parallelism 4 at 2 slots per TaskManager: 2 TMs of 2 cpu + a 1 cpu JobManager
    assert job["metric"] == {"totalCpu": 5.0, "totalMemoryByte": 9 * 1024**3}
    assert job["startTime"] is None


async def test_start_job_with_colon_verb_decoded_also_works(client: httpx.AsyncClient) -> None:
    created = await create(client)
    response = await client.post(f"{NS}/jobs:start", json={"deploymentId": created["deploymentId"]})
    assert ok(response)["restoreStrategy"]["kind"] == "NONE"


async def test_second_start_is_a_conflict(client: httpx.AsyncClient) -> None:
    created = await create(client)
    await start(client, created["deploymentId"])
    response = await client.post(
        f"{NS}/jobs%3Astart", json={"deploymentId": created["deploymentId"]}
    )
    failed(response, 409, "JobAlreadyRunning")


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({}, 400, "deploymentId"),
        ({"deploymentId": "missing"}, 404, "missing"),
        (
            {"deploymentId": "{id}", "restoreStrategy": {"kind": "YESTERDAY"}},
            400,
            "restoreStrategy.kind",
        ),
        (
            {"deploymentId": "{id}", "restoreStrategy": {"kind": "FROM_SAVEPOINT"}},
            400,
            "savepointId",
        ),
        (
            {
                "deploymentId": "{id}",
                "restoreStrategy": {"kind": "FROM_SAVEPOINT", "savepointId": "sp"},
            },
            404,
            "sp",
        ),
        (
            {"deploymentId": "{id}", "localVariables": [{"value": "x"}]},
            400,
            "localVariables[0].name",
        ),
    ],
)
async def test_bad_start_requests(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, fragment: str
) -> None:
    created = await create(client)
    if body.get("deploymentId") == "{id}":
        body = {**body, "deploymentId": created["deploymentId"]}
    response = await client.post(f"{NS}/jobs%3Astart", json=body)
    assert fragment in failed(response, status)["message"]


async def test_start_job_without_body_is_a_400(client: httpx.AsyncClient) -> None:
    failed(await client.post(f"{NS}/jobs%3Astart"), 400, "InvalidParameter")


async def test_deprecated_start_job(client: httpx.AsyncClient) -> None:
    created = await create(client)
    response = await client.post(
        f"{NS}/jobs",
        json={"deploymentId": created["deploymentId"], "restoreStrategy": {"kind": "FROM_NEW"}},
    )
    assert ok(response)["restoreStrategy"]["kind"] == "NONE"


async def test_deprecated_start_job_refuses_resource_overrides(client: httpx.AsyncClient) -> None:
    created = await create(client)
    body = {
        "deploymentId": created["deploymentId"],
        "resourceSettingSpec": {"flinkConf": {"a": "b"}},
    }
    body_ = failed(await client.post(f"{NS}/jobs", json=body), 400)
    assert "resourceSettingSpec" in body_["message"]


async def test_list_jobs_has_the_seed_003_shape(client: httpx.AsyncClient) -> None:
    created = await create(client)
    first = await start(client, created["deploymentId"])
    response = await client.get(
        f"{NS}/jobs",
        params={
            "deploymentId": created["deploymentId"],
            "pageIndex": 1,
            "pageSize": 10,
            "sortName": "gmt_create",
        },
    )
    body = response.json()
    assert ok(response) == [first]
    assert (body["pageIndex"], body["pageSize"], body["totalSize"]) == (1, 10, 1)


async def test_list_jobs_requires_a_deployment_id(client: httpx.AsyncClient) -> None:
    body = failed(await client.get(f"{NS}/jobs"), 400, "InvalidParameter")
    assert "deploymentId" in body["message"]


async def test_list_jobs_of_unknown_deployment_is_404(client: httpx.AsyncClient) -> None:
    failed(await client.get(f"{NS}/jobs", params={"deploymentId": "nope"}), 404)


async def test_list_jobs_rejects_unknown_sort(client: httpx.AsyncClient) -> None:
    created = await create(client)
    params = {"deploymentId": created["deploymentId"], "sortName": "colour"}
    assert "sortName" in failed(await client.get(f"{NS}/jobs", params=params), 400)["message"]
    params = {"deploymentId": created["deploymentId"], "sortOrder": "sideways"}
    failed(await client.get(f"{NS}/jobs", params=params), 400)


async def test_list_jobs_sort_order(client: httpx.AsyncClient, world: FakeWorld) -> None:
    created = await create(client)
    first = await start(client, created["deploymentId"])
    world.set_job_status(first["jobId"], JobStatus.CANCELLED)
    second = await start(client, created["deploymentId"])
    params = {"deploymentId": created["deploymentId"]}
    newest = ok(await client.get(f"{NS}/jobs", params=params))
    assert [j["jobId"] for j in newest] == [second["jobId"], first["jobId"]]
    oldest = ok(await client.get(f"{NS}/jobs", params={**params, "sortOrder": "asc"}))
    assert [j["jobId"] for j in oldest] == [first["jobId"], second["jobId"]]


async def test_get_job_and_unknown_job(client: httpx.AsyncClient) -> None:
    created = await create(client)
    job = await start(client, created["deploymentId"])
    assert ok(await client.get(f"{NS}/jobs/{job['jobId']}")) == job
    failed(await client.get(f"{NS}/jobs/missing"), 404, "JobNotFound")


async def test_stop_job_records_the_wish(client: httpx.AsyncClient) -> None:
    created = await create(client)
    job = await start(client, created["deploymentId"])
    response = await client.post(
        f"{NS}/jobs/{job['jobId']}%3Astop", json={"stopStrategy": "STOP_WITH_SAVEPOINT"}
    )
    assert ok(response)["jobId"] == job["jobId"]
    again = await client.post(f"{NS}/jobs/{job['jobId']}%3Astop", json={"stopStrategy": "NONE"})
    failed(again, 409, "JobNotStoppable")


@pytest.mark.parametrize("body", [{"stopStrategy": "GENTLY"}, {}, None])
async def test_stop_with_invalid_strategy_is_a_400(
    client: httpx.AsyncClient, body: dict[str, Any] | None
) -> None:
    created = await create(client)
    job = await start(client, created["deploymentId"])
    response = await client.post(f"{NS}/jobs/{job['jobId']}%3Astop", json=body)
    failed(response, 400)


async def test_stop_of_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{NS}/jobs/missing%3Astop", json={"stopStrategy": "NONE"})
    failed(response, 404, "JobNotFound")


async def test_stop_of_terminal_job_is_a_conflict(
    client: httpx.AsyncClient, world: FakeWorld
) -> None:
    created = await create(client)
    job = await start(client, created["deploymentId"])
    world.set_job_status(job["jobId"], JobStatus.FINISHED)
    response = await client.post(f"{NS}/jobs/{job['jobId']}%3Astop", json={"stopStrategy": "NONE"})
    body = failed(response, 409, "JobNotStoppable")
    assert "FINISHED" in body["message"]


async def test_delete_job_only_when_terminal(client: httpx.AsyncClient, world: FakeWorld) -> None:
    created = await create(client)
    job = await start(client, created["deploymentId"])
    path = f"{NS}/jobs/{job['jobId']}"
    failed(await client.delete(path), 409, "JobNotTerminal")
    world.set_job_status(job["jobId"], JobStatus.CANCELLED)
    assert ok(await client.delete(path)) is None
    failed(await client.get(path), 404, "JobNotFound")


# --------------------------------------------------------------------------- savepoints, events


async def test_savepoint_lifecycle(client: httpx.AsyncClient, world: FakeWorld) -> None:
    created = await create(client)
    body = {
        "deploymentId": created["deploymentId"],
        "description": "before upgrade",
        "nativeFormat": True,
    }
    failed(await client.post(f"{NS}/savepoints", json=body), 409, "JobNotRunning")
    job = await start(client, created["deploymentId"])
    world.set_job_status(job["jobId"], JobStatus.RUNNING)
    savepoint = ok(await client.post(f"{NS}/savepoints", json=body))
    assert savepoint["jobId"] == job["jobId"]
    assert savepoint["nativeFormat"] is True
    assert savepoint["savepointOrigin"] == "USER_REQUEST"
    assert savepoint["status"] == {"state": "STARTED", "failure": None}
    assert isinstance(savepoint["createdAt"], int)
    path = f"{NS}/savepoints/{savepoint['savepointId']}"
    assert ok(await client.get(path)) == savepoint
    listed = await client.get(f"{NS}/savepoints", params={"deploymentId": created["deploymentId"]})
    assert ok(listed) == [savepoint]
    assert listed.json()["totalSize"] == 1
    failed(await client.delete(path), 409, "SavepointInProgress")
    world.savepoints[savepoint["savepointId"]].state = SavepointState.COMPLETED
    assert ok(await client.delete(path)) is None
    failed(await client.get(path), 404, "SavepointNotFound")


async def test_create_savepoint_requires_a_deployment(client: httpx.AsyncClient) -> None:
    failed(await client.post(f"{NS}/savepoints", json={}), 400)
    failed(await client.post(f"{NS}/savepoints", json={"deploymentId": "x"}), 404)


async def test_get_events(client: httpx.AsyncClient) -> None:
    created = await create(client)
    await create(client, name="other")
    await start(client, created["deploymentId"])
    response = await client.get(f"{NS}/events", params={"deploymentName": "d1"})
    events = ok(response)
    assert [e["eventName"] for e in events] == ["JOB_START_REQUESTED", "DEPLOYMENT_CREATED"]
    assert all(e["deploymentId"] == created["deploymentId"] for e in events)
    assert events[0]["createdAt"].isdigit()
    assert response.json()["totalSize"] == 2
    everything = ok(await client.get(f"{NS}/events", params={"pageSize": 100}))
    assert len(everything) == 3


# --------------------------------------------------------------------------- SQL, versions


async def test_engine_version_metadata(client: httpx.AsyncClient) -> None:
    data = ok(await client.get("/api/v2/engine-version-meta.json"))
    assert data["defaultEngineVersion"] == "flink-1.20"
    names = [m["engineVersion"] for m in data["engineVersionMetadata"]]
    assert names[0] == "flink-1.20"
    assert "vvr-8.0.9-flink-1.17" in names
    assert data["engineVersionMetadata"][0]["features"]["useForSqlDeployments"] is True


async def test_validate_sql_statement_valid(client: httpx.AsyncClient, world: FakeWorld) -> None:
    body = {"statement": SQL, "batchMode": True, "flinkConfiguration": {"a": "b"}}
    data = ok(await client.post(f"{NS}/sql-statement/validate", json=body))
    assert data["validationResult"] == "VALIDATION_RESULT_VALID_INSERT_QUERY"
    assert data["errorDetails"] is None
    assert world.validations[-1][1:] == ("BATCH", {"a": "b"})


async def test_validate_sql_statement_reports_line_and_column(client: httpx.AsyncClient) -> None:
    body = {"statement": "CREATE TABLE t (a INT);\n  SELEC a FROM t;"}
    data = ok(await client.post(f"{NS}/sql-statement/validate", json=body))
    assert data["validationResult"] == "VALIDATION_RESULT_INVALID"
    assert data["errorDetails"]["lineNumber"] == "2"
    assert data["errorDetails"]["columnNumber"] == "3"
    assert "SELEC" in data["errorDetails"]["message"]


async def test_validate_sql_statement_errors(client: httpx.AsyncClient) -> None:
    path = f"{NS}/sql-statement/validate"
    failed(await client.post(path, json={}), 400)
    failed(await client.post(path, json={"statement": "SELECT 1", "versionName": "x"}), 400)
    unknown = ok(await client.post(path, json={"statement": "SELECT '${who}'"}))
    assert unknown["validationResult"] == "VALIDATION_RESULT_INVALID"
    failed(
        await client.post(
            "/api/v2/namespaces/nope/sql-statement/validate", json={"statement": "x"}
        ),
        404,
    )
