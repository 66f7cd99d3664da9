"""Operation tables and the RBAC decision: read or write comes from the table, never from
the method or the path (issue 19 items 4 and 5)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from fastapi import APIRouter, Request
from tests.integration.api.fakes import ADMIN, FakeWorld, fake_services
from tests.unit.api.toy_dialect import TOY, ToyRoute

from millstream.api.app import build_app
from millstream.api.auth.rbac import operation_guard
from millstream.api.dialect import Access, Operation, OperationTable, owning_dialect, read, write
from millstream.api.native import NATIVE
from millstream.control.context import Actor, Scope
from millstream.control.services.access import AccessService
from millstream.domain.access import Permission, Role
from millstream.domain.errors import PermissionDenied

NS = "/api/v2/namespaces/ns1"


def test_a_name_declared_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        OperationTable("x", [read("A"), write("A")])


def test_the_audit_label_names_dialect_and_operation() -> None:
    assert NATIVE.operations.label(NATIVE.operations["CreateDeployment"]) == (
        "native:CreateDeployment"
    )


def test_a_route_whose_name_is_not_an_operation_fails_at_declaration() -> None:
    router = APIRouter(route_class=ToyRoute)
    with pytest.raises(ValueError, match="not an operation"):

        @router.get("/toy/v1/undeclared")
        def undeclared() -> None: ...


def _served(dialect: Any) -> dict[str, set[str]]:
    methods: dict[str, set[str]] = {}
    for router in dialect.routers:
        for route in router.routes:
            methods.setdefault(route.name, set()).update(route.methods)
    return methods


@pytest.mark.parametrize("dialect", [NATIVE, TOY], ids=lambda d: d.name)
def test_every_operation_is_served_and_every_route_is_an_operation(dialect: Any) -> None:
    assert set(_served(dialect)) == set(dialect.operations)


@pytest.mark.parametrize(
    ("name", "method", "access"),
    [
        ("ValidateSqlStatement", "POST", Access.READ),  # a POST that reads
        ("GetPreSignedUrlForPutObject", "GET", Access.WRITE),  # a GET that writes
        ("PutArtifact", "PUT", Access.WRITE),
        ("DeleteArtifact", "DELETE", Access.WRITE),
        ("ListEngineVersionMetadata", "GET", Access.READ),
        ("GetLineageInfo", "POST", Access.READ),  # a POST that reads
        ("ApplyScheduledPlan", "POST", Access.WRITE),
        ("ListScheduledPlanExecutedHistory", "GET", Access.READ),
        ("ExecuteSqlStatement", "POST", Access.WRITE),  # changes the namespace's catalog
        ("GetTables", "GET", Access.READ),
        ("SubmitSqlPreview", "POST", Access.WRITE),  # runs a job: editors only
        ("FetchSqlPreviewResults", "GET", Access.READ),
        ("CancelSqlPreview", "DELETE", Access.WRITE),
        ("FetchSqlExecutionResult", "GET", Access.READ),
        ("StopSqlExecution", "POST", Access.WRITE),
    ],
)
def test_native_operations_are_what_they_do(name: str, method: str, access: Access) -> None:
    assert NATIVE.operations[name].access is access
    assert method in _served(NATIVE)[name]


class RecordingAccess:
    """The permission the guard asks for, and a role that only reads."""

    def __init__(self) -> None:
        self.asked: list[tuple[Scope, Permission]] = []

    def authorize(self, actor: Actor, scope: Scope, permission: Permission) -> Role:  # noqa: ARG002
        self.asked.append((scope, permission))
        if permission is not Permission.READ:
            raise PermissionDenied("viewers read only")
        return Role.VIEWER


@pytest.fixture
def access() -> RecordingAccess:
    return RecordingAccess()


@pytest.fixture
async def client(access: RecordingAccess) -> AsyncIterator[httpx.AsyncClient]:
    async def authenticate(request: Request) -> Actor:  # noqa: ARG001
        return ADMIN

    guard = operation_guard(cast(AccessService, access), authenticate)
    app = build_app(fake_services(FakeWorld()), guard, dialects=[NATIVE, TOY])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as c:
        yield c


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("POST", f"{NS}/sql-statement/validate", Permission.READ),
        ("GET", "/artifacts/v2/namespaces/ns1/getPreSignedUrlForPutObject", Permission.WRITE),
        ("PUT", f"{NS}/artifacts/x/sql-statement/validate", Permission.WRITE),
        ("DELETE", f"{NS}/artifacts/x/sql-statement/validate", Permission.WRITE),
        ("GET", f"{NS}/deployments", Permission.READ),
        ("POST", f"{NS}/jobs:start", Permission.WRITE),
        ("GET", "/flink-ui/v2/proxy?namespace=ns1", Permission.READ),
    ],
)
async def test_native_permission_follows_the_operation(
    client: httpx.AsyncClient,
    access: RecordingAccess,
    method: str,
    path: str,
    permission: Permission,
) -> None:
    response = await client.request(method, path, headers={"workspace": "ws1"}, json={})
    assert access.asked == [(Scope("ws1", "ns1"), permission)]
    if permission is Permission.WRITE:
        assert (response.status_code, response.json()["code"]) == (403, "Forbidden")


async def test_toy_post_that_reads_is_authorized_as_a_read_in_the_body_scope(
    client: httpx.AsyncClient, access: RecordingAccess
) -> None:
    response = await client.post("/toy/v1/things:describe", json={"ProjectId": "p9"})
    assert response.status_code == 200, response.text
    assert access.asked == [(Scope("default", "p9"), Permission.READ)]
    refused = await client.post("/toy/v1/things", json={"ProjectId": "p9", "Name": "n"})
    assert refused.status_code == 403
    assert access.asked[-1] == (Scope("default", "p9"), Permission.WRITE)


async def test_unscoped_operations_ask_for_no_role(
    client: httpx.AsyncClient, access: RecordingAccess
) -> None:
    response = await client.get("/api/v2/engine-version-meta.json")
    assert response.status_code == 200
    assert access.asked == []


def test_operations_are_values() -> None:
    assert write("X") == Operation("X", Access.WRITE, scoped=True)
    assert not read("Y").writes


def test_a_dispatching_route_class_picks_the_operation_per_request() -> None:
    class ActionRoute(ToyRoute):
        def operation_for(self, request: Request) -> Operation:
            return self.operations[request.query_params["Action"]]

    router = APIRouter(route_class=ActionRoute)

    @router.post("/rpc")
    def rpc() -> None: ...

    route = router.routes[0]
    assert isinstance(route, ActionRoute)
    request = Request({"type": "http", "method": "POST", "query_string": b"Action=CreateThing"})
    assert route.operation_for(request) is TOY.operations["CreateThing"]


def test_the_owning_dialect_is_the_longest_prefix_or_an_exact_path() -> None:
    rpc = dataclasses.replace(TOY, name="toy", prefixes=("/api/v2/namespaces/",), paths=("/",))
    assert owning_dialect([NATIVE, rpc], "/api/v2/namespaces/ns/x") is rpc
    assert owning_dialect([NATIVE, rpc], "/api/v2/engine-version-meta.json") is NATIVE
    assert owning_dialect([NATIVE, rpc], "/") is rpc
    assert owning_dialect([NATIVE, rpc], "/console") is None
    with pytest.raises(ValueError, match="every path"):
        dataclasses.replace(TOY, prefixes=("/",))
