"""Issue 19 item 7: a deployment whose ``flinkConf`` is nested 500 levels deep was stored,
then every ``GET .../deployments`` of its namespace answered 500 for everyone.

Through httpx against the app (ASGI) over real services on SQLite: the deep value is now
refused at the edge with a 400 naming the field, and a row already stored with such a
value (written before the fix) no longer breaks the list or the single read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.integration.api.test_native_variables import NS, SQL, Stack, build_stack

DEPLOYMENTS = f"/api/v2/namespaces/{NS}/deployments"


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _body(name: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": SQL}},
        "executionMode": "STREAMING",
        "flinkConf": {"taskmanager.numberOfTaskSlots": "2"},
    }
    body.update(overrides)
    return body


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    built = build_stack(tmp_path)
    yield built
    built.store.close()


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=stack.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


async def _post(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    # json.dumps copes with 500 levels; httpx's json= would too, but be explicit.
    return await client.post(
        DEPLOYMENTS, content=json.dumps(body), headers={"content-type": "application/json"}
    )


async def _total(client: httpx.AsyncClient) -> int:
    response = await client.get(DEPLOYMENTS)
    assert response.status_code == 200, response.text
    total: int = response.json()["totalSize"]
    return total


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"flinkConf": _nested(500)}, "flinkConf"),
        ({"labels": _nested(40)}, "labels"),
        ({"flinkConf": {"k": "v" * 70_000}}, "flinkConf"),
        ({"flinkConf": {f"k{i}": "v" for i in range(10_001)}}, "flinkConf"),
        (
            {
                "artifact": {
                    "kind": "SQLSCRIPT",
                    "sqlArtifact": {"sqlScript": SQL, "additionalDependencies": ["a.jar"] * 10_001},
                }
            },
            "additionalDependencies",
        ),
        (
            {"localVariables": [{"name": f"v{i}", "value": "1"} for i in range(1_001)]},
            "localVariables",
        ),
        (
            {
                "streamingResourceSetting": {
                    "resourceSettingMode": "EXPERT",
                    "expertResourceSetting": {"resourcePlan": json.dumps(_nested(100))},
                }
            },
            "resourcePlan",
        ),
    ],
)
async def test_oversized_free_form_json_is_refused_with_400(
    client: httpx.AsyncClient, overrides: dict[str, Any], field: str
) -> None:
    response = await _post(client, _body("deep", **overrides))
    body = response.json()
    assert response.status_code == 400, body
    assert body["success"] is False
    assert field in body["errorMessage"]
    assert await _total(client) == 0  # nothing was stored


async def test_flink_conf_at_the_depth_limit_is_accepted(client: httpx.AsyncClient) -> None:
    response = await _post(client, _body("ok", flinkConf={"k": _nested(31)}))
    assert response.status_code == 200, response.text


async def test_a_stored_poisoned_row_does_not_break_the_namespace(
    client: httpx.AsyncClient, stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    healthy = await _post(client, _body("healthy"))
    poisoned = await _post(client, _body("poisoned"))
    assert healthy.status_code == poisoned.status_code == 200
    poisoned_id = poisoned.json()["data"]["deploymentId"]
    # What a server before the fix stored: write the deep value under the edge.
    with stack.store.engine.begin() as connection:
        connection.execute(
            text("UPDATE deployments SET flink_conf = :conf WHERE id = :id"),
            {"conf": json.dumps({"k": _nested(500)}), "id": poisoned_id},
        )

    with caplog.at_level(logging.WARNING, logger="millstream.api.safe_rows"):
        listed = await client.get(DEPLOYMENTS, params={"pageSize": 50})
    assert listed.status_code == 200, listed.text
    rows = {row["name"]: row for row in listed.json()["data"]}
    assert set(rows) == {"healthy", "poisoned"}
    assert rows["poisoned"]["flinkConf"] in ({}, None)  # the bad field is replaced
    assert rows["healthy"]["flinkConf"] == {"taskmanager.numberOfTaskSlots": "2"}
    assert any(poisoned_id in record.getMessage() for record in caplog.records)

    single = await client.get(f"{DEPLOYMENTS}/{poisoned_id}")
    assert single.status_code == 200, single.text
    assert single.json()["data"]["name"] == "poisoned"

    # The owner can repair it through the API.
    repaired = await client.put(
        f"{DEPLOYMENTS}/{poisoned_id}", json={"flinkConf": {"parallelism.default": "1"}}
    )
    assert repaired.status_code == 200, repaired.text
    assert repaired.json()["data"]["flinkConf"] == {"parallelism.default": "1"}
