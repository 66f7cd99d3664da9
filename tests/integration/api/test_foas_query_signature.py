"""The foas document's own query signature (§1.7) end to end: requests signed by hand as
the document teaches (``Signature``, ``SignatureNonce``, ``Timestamp``... in the query,
no ``Authorization`` header) through the app over httpx's ASGITransport, on real services
on SQLite (the ``World`` of ``test_foas_resources.py``). Reads and a form-body write
succeed; a replayed nonce, a stale timestamp, a wrong secret and a tampered body are
refused in the foas envelope; the native API does not take this scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode
from xml.etree import ElementTree

import httpx
import pytest

from millstream.api.app import create_api
from millstream.api.foas import FOAS
from millstream.api.native import NATIVE
from tests.integration.api.test_foas_resources import HOST, World

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = World(tmp_path)
    yield built
    built.close()


@pytest.fixture
async def http(world: World) -> AsyncIterator[httpx.AsyncClient]:
    app = create_api(world.services, world.access, dialects=[NATIVE, FOAS], max_body_bytes=8192)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        yield client


def _encode(value: str) -> str:
    # The document's recipe: java.net.URLEncoder, then + -> %20, * -> %2A, %7E -> ~.
    return quote_plus(value).replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def _sign(
    method: str,
    key_id: str,
    secret: str,
    *,
    query: dict[str, str] | None = None,
    body: dict[str, str] | None = None,
    at: datetime | None = None,
    nonce: str | None = None,
    fmt: str = "JSON",
) -> dict[str, str]:
    """The query parameters of a request signed by hand, step by step as in §1.7."""
    params = {
        **(query or {}),
        "Format": fmt,
        "AccessKeyId": key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce or str(uuid.uuid4()),
        "Timestamp": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    signed = {**params, **(body or {})}
    canonical = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(signed.items()))
    string_to_sign = f"{method}&{_encode('/')}&{_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return {**params, "Signature": base64.b64encode(digest).decode()}


async def _send(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    params: dict[str, str],
    body: dict[str, str] | None = None,
) -> httpx.Response:
    return await http.request(
        method,
        f"{path}?{urlencode(params)}",
        content=urlencode(body).encode() if body else None,
        headers={"content-type": FORM} if body else None,
    )


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    answer: dict[str, Any] = response.json()
    assert response.status_code == status, answer
    assert answer["Code"] == code
    assert answer["RequestId"] == response.headers["x-acs-request-id"]
    assert answer["Message"]
    return answer


async def test_get_project_signed_by_hand(http: httpx.AsyncClient, world: World) -> None:
    params = _sign("GET", world.admin.key.id, world.admin.secret)
    response = await _send(http, "GET", "/api/v2/projects/default", params)
    answer = response.json()
    assert response.status_code == 200, answer
    assert answer["Project"]["Name"] == "default"
    assert answer["RequestId"] == response.headers["x-acs-request-id"]


async def test_form_body_write_then_query_read(http: httpx.AsyncClient, world: World) -> None:
    key, secret = world.admin.key.id, world.admin.secret
    body = {"path": "/etl"}
    created = await _send(
        http,
        "POST",
        "/api/v2/projects/default/folders",
        _sign("POST", key, secret, body=body),
        body,
    )
    assert created.status_code == 200, created.json()
    folder_id = created.json()["FolderId"]
    params = _sign("GET", key, secret, query={"path": "/etl"})
    got = await _send(http, "GET", "/api/v2/projects/default/folders", params)
    assert got.status_code == 200, got.json()
    assert got.json()["Folder"] == {"FolderId": folder_id, "Path": "/etl"}


async def test_xml_answer_when_format_is_xml(http: httpx.AsyncClient, world: World) -> None:
    params = _sign("GET", world.admin.key.id, world.admin.secret, fmt="XML")
    response = await _send(http, "GET", "/api/v2/projects/default", params)
    assert response.status_code == 200, response.text
    root = ElementTree.fromstring(response.text)
    assert root.tag == "GetProjectResponse"
    assert root.findtext("RequestId") == response.headers["x-acs-request-id"]


async def test_replayed_nonce_is_refused(http: httpx.AsyncClient, world: World) -> None:
    params = _sign("GET", world.admin.key.id, world.admin.secret)
    first = await _send(http, "GET", "/api/v2/projects/default", params)
    assert first.status_code == 200
    again = await _send(http, "GET", "/api/v2/projects/default", params)
    _error(again, 401, "SignatureNonceUsed")


async def test_stale_timestamp_is_refused(http: httpx.AsyncClient, world: World) -> None:
    stale = datetime.now(UTC) - timedelta(minutes=20)
    params = _sign("GET", world.admin.key.id, world.admin.secret, at=stale)
    response = await _send(http, "GET", "/api/v2/projects/default", params)
    _error(response, 401, "InvalidTimeStamp.Expired")


async def test_wrong_secret_unknown_key_and_tampered_body_get_one_answer(
    http: httpx.AsyncClient, world: World
) -> None:
    key, secret = world.admin.key.id, world.admin.secret
    wrong = await _send(
        http, "GET", "/api/v2/projects/default", _sign("GET", key, "not-the-secret")
    )
    unknown = await _send(
        http, "GET", "/api/v2/projects/default", _sign("GET", "AKNOBODY0000000000000000", secret)
    )
    signed = _sign("POST", key, secret, body={"path": "/etl"})
    tampered = await _send(
        http, "POST", "/api/v2/projects/default/folders", signed, {"path": "/other"}
    )
    messages = {
        _error(response, 401, "SignatureDoesNotMatch")["Message"]
        for response in (wrong, unknown, tampered)
    }
    assert len(messages) == 1


async def test_native_api_does_not_take_the_query_signature(
    http: httpx.AsyncClient, world: World
) -> None:
    params = _sign("GET", world.admin.key.id, world.admin.secret)
    response = await _send(http, "GET", "/api/v2/namespaces/default-namespace/jobs", params)
    assert response.status_code == 401, response.text
    assert "Authorization" in response.text  # the native "not signed" answer
