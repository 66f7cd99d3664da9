"""Every answer the API layer produces under a dialect's routes and prefixes is in that
dialect's envelope, with its request-id header: domain errors, 401, unknown paths (404),
wrong methods (405), 413, request validation (400/422) and unexpected errors (500). Two
dialects coexist on one app: the native one and a toy second one (``toy_dialect``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from tests.integration.api.fakes import ADMIN, FakeWorld, fake_services
from tests.unit.api.toy_dialect import REQUEST_ID_HEADER as TOY_HEADER
from tests.unit.api.toy_dialect import TOY

from millstream.api.app import build_app
from millstream.api.native import NATIVE
from millstream.control.context import Actor
from millstream.domain.errors import Unauthenticated

NS = "/api/v2/namespaces/ns1"
LIMIT = 1024


def admin(request: Request) -> Actor:  # noqa: ARG001 (the guard's shape)
    return ADMIN


def _app(guard: Any = admin) -> FastAPI:
    return build_app(
        fake_services(FakeWorld()), guard, dialects=[NATIVE, TOY], max_body_bytes=LIMIT
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as c:
        yield c


def native_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert (body["success"], body["httpCode"], body["code"]) == (False, status, code)
    assert body["requestId"] == response.headers["x-acs-request-id"]
    assert TOY_HEADER not in response.headers
    return body


def toy_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert body["Error"]["Code"] == code
    assert body["RequestId"] == response.headers[TOY_HEADER]
    assert "x-acs-request-id" not in response.headers
    return body


async def test_unknown_paths_are_404_in_the_owning_dialects_envelope(
    client: httpx.AsyncClient,
) -> None:
    native_error(await client.get(f"{NS}/no-such-thing"), 404, "NotFound")
    native_error(await client.get("/gateway/v2/nothing"), 404, "NotFound")
    toy_error(await client.post("/toy/v1/nothing"), 404, "Toy.404")


async def test_paths_of_no_dialect_keep_the_plain_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/elsewhere")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


async def test_wrong_methods_are_405_naming_every_allowed_method(
    client: httpx.AsyncClient,
) -> None:
    native = native_error(await client.patch(f"{NS}/jobs/abc"), 405, "MethodNotAllowed")
    assert "DELETE" in native["message"]
    toy = await client.get("/toy/v1/things")
    toy_error(toy, 405, "Toy.405")
    assert toy.headers["allow"] == "POST"


async def test_declared_bodies_over_the_limit_are_413_in_the_owning_envelope(
    client: httpx.AsyncClient,
) -> None:
    big = b"x" * (LIMIT + 1)
    native_error(await client.post(f"{NS}/deployments", content=big), 413, "PayloadTooLarge")
    toy_error(await client.post("/toy/v1/things", content=big), 413, "Toy.TooLarge")
    generic = await client.post("/elsewhere", content=big)
    assert generic.status_code == 413
    assert generic.json()["Code"] == "PayloadTooLarge"


async def test_request_validation_errors_use_each_dialects_envelope(
    client: httpx.AsyncClient,
) -> None:
    native = await client.post(
        f"{NS}/deployments", content=b"{not json", headers={"content-type": "application/json"}
    )
    native_error(native, 400, "MalformedJson")
    toy = await client.post("/toy/v1/things", json={"ProjectId": "p1"})
    assert "Name" in toy_error(toy, 422, "Toy.Invalid")["Error"]["Message"]


async def test_unexpected_errors_are_500_without_details(client: httpx.AsyncClient) -> None:
    body = toy_error(await client.get("/toy/v1/explode?ProjectId=p1"), 500, "Toy.InternalError")
    assert "secret" not in str(body)


async def test_scope_from_the_json_body_and_the_operation_reach_the_handler(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/toy/v1/things", json={"ProjectId": "p1", "Name": "n"}, headers={"X-Account": "acct"}
    )
    assert response.status_code == 200, response.text
    result = response.json()["Result"]
    assert result == {
        "Workspace": "acct",
        "Project": "p1",
        "Actor": ADMIN.name,
        "Name": "n",
        "Operation": "CreateThing",
    }
    assert response.json()["RequestId"] == response.headers[TOY_HEADER]


async def test_a_namespaced_operation_without_a_namespace_is_the_callers_error(
    client: httpx.AsyncClient,
) -> None:
    toy_error(await client.post("/toy/v1/things:describe", json={}), 400, "Toy.InvalidParameter")


async def test_authentication_failures_use_each_dialects_envelope() -> None:
    def deny(request: Request) -> Actor:  # noqa: ARG001
        raise Unauthenticated("no credentials")

    transport = httpx.ASGITransport(app=_app(deny))
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
        native_error(await client.get(f"{NS}/deployments"), 401, "Unauthenticated")
        toy_error(await client.get("/toy/v1/version"), 401, "Toy.Unauthorized")


async def test_native_unexpected_errors_are_500_without_details() -> None:
    world = FakeWorld()
    world.fail_next = RuntimeError("a secret stack trace")
    app = build_app(fake_services(world), admin, dialects=[NATIVE, TOY])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
        body = native_error(await client.get(f"{NS}/deployments/x"), 500, "InternalError")
    assert "secret" not in str(body)
