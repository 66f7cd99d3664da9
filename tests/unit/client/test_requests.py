"""What the client sends for each operation: method, raw path, query and body."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from millstream.client import (
    Artifact,
    ClientConfig,
    Deployment,
    MillstreamClient,
    RestoreStrategy,
    SqlArtifact,
)

NS = "/api/v2/namespaces/ns1"


def _sent(call: Callable[[MillstreamClient], object], data: Any = None) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "data": data})

    config = ClientConfig(namespace="ns1", workspace="ws1")
    with MillstreamClient(config, transport=httpx.MockTransport(handler)) as client:
        call(client)
    return seen[0]


def _body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


SQL = Deployment(
    name="d", artifact=Artifact(kind="SQLSCRIPT", sql_artifact=SqlArtifact(sql_script="SELECT 1;"))
)


@pytest.mark.parametrize(
    ("call", "method", "target", "body", "data"),
    [
        (
            lambda c: c.create_deployment(SQL),
            "POST",
            f"{NS}/deployments",
            {
                "name": "d",
                "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": "SELECT 1;"}},
                "localVariables": [],
            },
            {},
        ),
        (lambda c: c.get_deployment("d1"), "GET", f"{NS}/deployments/d1", None, {}),
        (
            lambda c: c.list_deployments(name="x"),
            "GET",
            f"{NS}/deployments?name=x&pageIndex=1&pageSize=100",
            None,
            [],
        ),
        (
            lambda c: c.update_deployment("d1", Deployment(name="d", resource_version=3)),
            "PUT",
            f"{NS}/deployments/d1",
            {"name": "d", "resourceVersion": 3},
            {},
        ),
        (lambda c: c.delete_deployment("d1"), "DELETE", f"{NS}/deployments/d1", None, None),
        (
            lambda c: c.get_deployment_by_name("my name"),
            "GET",
            f"{NS}/deployments/name/my%20name",
            None,
            [{}],
        ),
        (
            lambda c: c.validate_sql("SELECT 1", engine_version="v1"),
            "POST",
            f"{NS}/sql-statement/validate",
            {"statement": "SELECT 1", "versionName": "v1"},
            {},
        ),
        (
            lambda c: c.start_job(
                "d1",
                restore=RestoreStrategy(
                    kind="FROM_SAVEPOINT", savepoint_id="s1", allow_non_restored_state=True
                ),
                local_variables={"a": "1"},
            ),
            "POST",
            f"{NS}/jobs%3Astart",
            {
                "deploymentId": "d1",
                "restoreStrategy": {
                    "kind": "FROM_SAVEPOINT",
                    "savepointId": "s1",
                    "allowNonRestoredState": True,
                },
                "localVariables": [{"name": "a", "value": "1"}],
            },
            {},
        ),
        (lambda c: c.get_job("j1"), "GET", f"{NS}/jobs/j1", None, {}),
        (
            lambda c: c.list_jobs("d1", page_index=1, page_size=10),
            "GET",
            f"{NS}/jobs?deploymentId=d1&pageIndex=1&pageSize=10",
            None,
            [],
        ),
        (
            lambda c: c.stop_job("j1", "STOP_WITH_SAVEPOINT"),
            "POST",
            f"{NS}/jobs/j1%3Astop",
            {"stopStrategy": "STOP_WITH_SAVEPOINT"},
            {},
        ),
        (lambda c: c.delete_job("j1"), "DELETE", f"{NS}/jobs/j1", None, None),
        (
            lambda c: c.create_savepoint("d1", description="x"),
            "POST",
            f"{NS}/savepoints",
            {"deploymentId": "d1", "description": "x"},
            {},
        ),
        (lambda c: c.get_savepoint("s1"), "GET", f"{NS}/savepoints/s1", None, {}),
        (
            lambda c: c.list_savepoints(job_id="j1"),
            "GET",
            f"{NS}/savepoints?jobId=j1&pageIndex=1&pageSize=100",
            None,
            [],
        ),
        (lambda c: c.delete_savepoint("s1"), "DELETE", f"{NS}/savepoints/s1", None, None),
        (
            lambda c: c.get_events(deployment_id="d1", page_size=5),
            "GET",
            f"{NS}/events?deploymentId=d1&pageIndex=1&pageSize=5",
            None,
            [],
        ),
        (lambda c: c.list_engine_versions(), "GET", "/api/v2/engine-version-meta.json", None, {}),
        (
            lambda c: c.get_latest_job_start_log("d1"),
            "GET",
            f"{NS}/deployments/d1/latest_jobmanager_start_log",
            None,
            "log",
        ),
        (
            lambda c: c.create_key(user="ann", create_user=True),
            "POST",
            "/api/millstream/v1/keys",
            {"user": "ann", "createUser": True},
            {},
        ),
        (lambda c: c.enable_key("AK1"), "POST", "/api/millstream/v1/keys/AK1%3Aenable", {}, {}),
        (lambda c: c.list_keys(), "GET", "/api/millstream/v1/keys", None, []),
        (lambda c: c.disable_key("AK1"), "POST", "/api/millstream/v1/keys/AK1%3Adisable", {}, {}),
        (lambda c: c.revoke_key("AK1"), "DELETE", "/api/millstream/v1/keys/AK1", None, None),
        (lambda c: c.list_artifacts(), "GET", f"{NS}/artifacts", None, []),
        (
            lambda c: c.delete_artifact("libs/a b.jar"),
            "DELETE",
            f"{NS}/artifacts/libs/a%20b.jar",
            None,
            None,
        ),
        (lambda c: c.hot_update_job("j1"), "POST", f"{NS}/jobs/j1%3AhotUpdate", None, {}),
        (
            lambda c: c.hot_update_job("j1", parallelism=4, flink_conf={"a.b": "1", "c": None}),
            "POST",
            f"{NS}/jobs/j1%3AhotUpdate",
            {
                "rescaleJobParam": {"jobParallelism": 4},
                "updateJobConfigParam": {"newFlinkConf": {"a.b": "1", "c": None}},
            },
            {},
        ),
        (
            lambda c: c.hot_update_job("j1", flink_conf={"a": "1"}),
            "POST",
            f"{NS}/jobs/j1%3AhotUpdate",
            {"updateJobConfigParam": {"newFlinkConf": {"a": "1"}}},
            {},
        ),
        (
            lambda c: c.get_hot_update_result("h1"),
            "GET",
            f"{NS}/jobs/hot-updates/h1",
            None,
            {},
        ),
        (
            lambda c: c.get_job_diagnosis("d1", "j1"),
            "GET",
            f"{NS}/deployments/d1/jobs/j1/job-diagnoses/lite",
            None,
            {},
        ),
        (
            lambda c: c.get_job_logs("j1", "taskmanager"),
            "GET",
            f"{NS}/jobs/j1/logs?kind=taskmanager",
            None,
            {},
        ),
        (
            lambda c: c.create_variable("rows", "10"),
            "POST",
            f"{NS}/variables",
            {"name": "rows", "value": "10", "kind": "Plain"},
            {},
        ),
        (
            lambda c: c.create_variable("pw", "s3cret", "Encrypted", "db-password"),
            "POST",
            f"{NS}/variables",
            {"name": "pw", "value": "s3cret", "kind": "Encrypted", "description": "db-password"},
            {},
        ),
        (
            lambda c: c.list_variables(page_size=50),
            "GET",
            f"{NS}/variables?pageIndex=1&pageSize=50",
            None,
            [],
        ),
        (
            lambda c: c.update_variable("pw", value="new"),
            "PATCH",
            f"{NS}/variables/pw",
            {"value": "new"},
            {},
        ),
        (lambda c: c.delete_variable("pw"), "DELETE", f"{NS}/variables/pw", None, None),
    ],
)
def test_operation_is_sent_as_the_sdk_would(
    call: Callable[[MillstreamClient], object], method: str, target: str, body: Any, data: Any
) -> None:
    request = _sent(call, data)
    assert request.method == method
    assert request.url.raw_path.decode() == target
    assert _body(request) == body
    assert request.headers["workspace"] == "ws1"
    assert request.headers["x-acs-version"] == "2022-07-18"
    if body is not None:
        assert request.headers["content-type"] == "application/json; charset=utf-8"
        assert b" " not in request.content.replace(b"SELECT 1", b"")  # compact JSON


def test_query_values_are_encoded_like_the_canonical_query() -> None:
    request = _sent(lambda c: c.list_jobs("a b+c/ü"), [])
    assert request.url.raw_path.decode() == (
        f"{NS}/jobs?deploymentId=a%20b%2Bc%2F%C3%BC&pageIndex=1&pageSize=100"
    )
