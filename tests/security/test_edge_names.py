"""Issue 19, lesser finding: a NUL character was accepted in a deployment name (stored on
SQLite, a 500 on PostgreSQL), and other names took control characters too.

Through httpx against the production app (signatures, roles) over real services on
SQLite; requests authenticate with HTTP Basic (an access key id and secret), as curl does.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from millstream.control.services.access import AccessService
from millstream.store import SqlStore
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import load_cipher
from tests.integration.api.test_native_variables import NS, SQL, WS, Stack, build_stack

DEPLOYMENTS = f"/api/v2/namespaces/{NS}/deployments"
BAD_NAMES = [
    "evil\x00name",
    "two\nlines",
    "tab\there",
    "bell\x07",
    "rtl\u202eoverride",
    "zero\u200bwidth",
]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Stack, str]]:
    keys: list[str] = []

    def access(store: SqlStore) -> AccessService:
        service = AccessService(SqlAccessStore(store.engine), load_cipher(None, tmp_path))
        admin = service.ensure_admin()
        assert admin is not None
        keys.append(f"{admin.key.id}:{admin.secret}")
        return service

    built = build_stack(tmp_path, access=access)
    yield built, keys[0]
    built.store.close()


@pytest.fixture
async def client(stack: tuple[Stack, str]) -> AsyncIterator[httpx.AsyncClient]:
    app, credentials = stack[0].app, stack[1]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    basic = base64.b64encode(credentials.encode()).decode()
    headers = {"authorization": f"Basic {basic}", "workspace": WS}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://millstream", headers=headers
    ) as c:
        yield c


def _deployment(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": SQL}},
        "executionMode": "STREAMING",
    }


async def _names(client: httpx.AsyncClient) -> list[str]:
    listed = await client.get(DEPLOYMENTS, params={"pageSize": 100})
    assert listed.status_code == 200, listed.text
    return [row["name"] for row in listed.json()["data"]]


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_control_characters_in_a_deployment_name_are_refused(
    client: httpx.AsyncClient, name: str
) -> None:
    created = await client.post(DEPLOYMENTS, json=_deployment(name))
    assert created.status_code == 400, created.text
    assert created.json()["success"] is False
    assert await _names(client) == []


async def test_renaming_to_a_name_with_nul_is_refused(client: httpx.AsyncClient) -> None:
    created = await client.post(DEPLOYMENTS, json=_deployment("fine-name"))
    assert created.status_code == 200, created.text
    deployment_id = created.json()["data"]["deploymentId"]
    renamed = await client.put(f"{DEPLOYMENTS}/{deployment_id}", json={"name": "bad\x00"})
    assert renamed.status_code == 400, renamed.text
    assert await _names(client) == ["fine-name"]


async def test_ordinary_unicode_names_stay_allowed(client: httpx.AsyncClient) -> None:
    created = await client.post(DEPLOYMENTS, json=_deployment("订单 流 — déjà vu"))
    assert created.status_code == 200, created.text


@pytest.mark.parametrize("user", ["nul\x00user", "line\nbreak", "   "])
async def test_control_characters_in_a_user_name_are_refused(
    client: httpx.AsyncClient, user: str
) -> None:
    response = await client.post("/api/millstream/v1/keys", json={"user": user, "createUser": True})
    assert response.status_code == 400, response.text
    listed = await client.get("/api/millstream/v1/keys")
    assert listed.status_code == 200, listed.text
    assert {row["userName"] for row in listed.json()["data"]} == {"admin"}


async def test_nul_in_free_form_json_is_refused(client: httpx.AsyncClient) -> None:
    body = {**_deployment("conf"), "flinkConf": {"key\x00": "v"}}
    response = await client.post(DEPLOYMENTS, json=body)
    assert response.status_code == 400, response.text
    assert "flinkConf" in response.json()["errorMessage"]
