"""Issue 3 point 5: bad input gets the error envelope with a 4xx and a stable errorCode."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import DATAGEN_SQL, Api, sql_deployment

pytestmark = pytest.mark.flink


def _assert_error(status: int, envelope: dict[str, object], http: int, code: str) -> None:
    assert status == http, envelope
    assert envelope["success"] is False
    assert envelope["httpCode"] == http
    assert envelope["errorCode"] == code
    assert envelope["errorMessage"]
    assert envelope["requestId"]


def test_malformed_json(api: Api) -> None:
    status, envelope = api.call("POST", "deployments", raw=b'{"name": "x", ')
    assert status == 400
    assert envelope["success"] is False


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("deployments/00000000-0000-0000-0000-000000000000", "DeploymentNotFound"),
        ("jobs/00000000-0000-0000-0000-000000000000", "JobNotFound"),
        ("savepoints/00000000-0000-0000-0000-000000000000", "SavepointNotFound"),
    ],
)
def test_unknown_things_are_404(api: Api, path: str, code: str) -> None:
    _assert_error(*api.call("GET", path), 404, code)


def test_unknown_namespace_is_404(api: Api) -> None:
    status, envelope = api.call("GET", "deployments", namespace="no-such-namespace")
    _assert_error(status, envelope, 404, "NamespaceNotFound")


@pytest.mark.parametrize(
    "params",
    [{"pageSize": "0"}, {"pageSize": "101"}, {"pageIndex": "0"}, {"pageSize": "ten"}],
)
def test_list_jobs_paging_is_validated(api: Api, params: dict[str, str]) -> None:
    deployment = api.ok(
        "POST", "deployments", body=sql_deployment(f"e2e-p-{uuid.uuid4().hex[:6]}", DATAGEN_SQL)
    )
    status, envelope = api.call(
        "GET", "jobs", params={"deploymentId": deployment["deploymentId"], **params}
    )
    assert status == 400
    assert envelope["success"] is False


def test_list_jobs_requires_deployment_id(api: Api) -> None:
    status, envelope = api.call("GET", "jobs")
    assert status == 400
    assert envelope["success"] is False


def test_invalid_sql_is_rejected_with_line_and_column(api: Api) -> None:
    script = DATAGEN_SQL.replace(
        "INSERT INTO snk SELECT id, name FROM src;", "INSERT INTO snk SELECT id, nme FROM src;"
    )
    name = f"e2e-bad-{uuid.uuid4().hex[:6]}"
    status, envelope = api.call("POST", "deployments", body=sql_deployment(name, script))
    _assert_error(status, envelope, 400, "InvalidSql")
    message = str(envelope["errorMessage"])
    assert "line 14" in message
    assert "nme" in message
    listed = api.ok("GET", "deployments", params={"name": name})
    assert listed == []


def test_unknown_stop_strategy(api: Api) -> None:
    status, envelope = api.call(
        "POST", "jobs/00000000-0000-0000-0000-000000000000:stop", body={"stopStrategy": "KILL"}
    )
    assert status in (400, 404)
    assert envelope["success"] is False


def test_unknown_engine_version_lists_valid_ones(api: Api) -> None:
    body = sql_deployment(f"e2e-v-{uuid.uuid4().hex[:6]}", DATAGEN_SQL, engineVersion="flonk-9")
    status, envelope = api.call("POST", "deployments", body=body)
    assert status == 400
    assert "flink-2.3" in str(envelope["errorMessage"])
