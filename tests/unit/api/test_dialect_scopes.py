"""The scope resolver: workspace and namespace from path, header, query or JSON body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.requests import Request
from starlette.types import Message

from millstream.api.dialect import (
    ScopeResolver,
    header,
    json_field,
    path_param,
    query_param,
)
from millstream.control.context import Scope


def _request(
    method: str = "GET",
    *,
    path_params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    body: Any = None,
) -> Request:
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            raise AssertionError("the body was read twice")
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    scope = {
        "type": "http",
        "method": method,
        "path": "/x",
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "path_params": path_params or {},
    }
    return Request(scope, receive)


NATIVE_LIKE = ScopeResolver(
    namespace=(path_param("namespace"), query_param("namespace")),
    workspace=(header("workspace"),),
)
VOLCENGINE_LIKE = ScopeResolver(namespace=(json_field("ProjectId"),))
DLI_LIKE = ScopeResolver(namespace=(path_param("project_id"), header("X-Project-Id")))


async def test_path_parameter_and_header() -> None:
    request = _request(path_params={"namespace": "ns1"}, headers={"workspace": "ws1"})
    assert await NATIVE_LIKE.resolve(request, default_workspace="d") == Scope("ws1", "ns1")


async def test_default_workspace_when_no_source_has_one() -> None:
    request = _request(path_params={"namespace": "ns1"})
    assert await NATIVE_LIKE.resolve(request, default_workspace="d") == Scope("d", "ns1")


async def test_query_parameter_when_the_path_has_none() -> None:
    request = _request(query="namespace=ns2&other=1")
    assert await NATIVE_LIKE.resolve(request, default_workspace="d") == Scope("d", "ns2")


async def test_the_first_source_wins() -> None:
    request = _request(path_params={"namespace": "from-path"}, query="namespace=from-query")
    scope = await NATIVE_LIKE.resolve(request, default_workspace="d")
    assert scope == Scope("d", "from-path")


async def test_no_namespace_is_no_scope() -> None:
    assert await NATIVE_LIKE.resolve(_request(), default_workspace="d") is None


async def test_json_body_of_a_post_that_reads() -> None:
    request = _request("POST", body={"ProjectId": "p1", "Id": 7})
    assert await VOLCENGINE_LIKE.resolve(request, default_workspace="d") == Scope("d", "p1")
    # The body stays readable for the handler (Starlette caches it).
    assert json.loads(await request.body())["Id"] == 7


async def test_integer_json_values_are_accepted_and_nested_fields_are_dotted() -> None:
    nested = ScopeResolver(namespace=(json_field("Project.Id"),))
    request = _request("POST", body={"Project": {"Id": 42}})
    assert await nested.resolve(request, default_workspace="d") == Scope("d", "42")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"a": ' * 100_000 + b"1" + b"}" * 100_000,  # too deep for json.loads
        {"ProjectId": True},
        {"ProjectId": ""},
        {"ProjectId": {"a": 1}},
    ],
)
async def test_bodies_without_a_usable_project_are_no_scope(body: Any) -> None:
    request = _request("POST", body=body)
    assert await VOLCENGINE_LIKE.resolve(request, default_workspace="d") is None


async def test_a_get_body_is_never_read() -> None:
    request = _request("GET", body={"ProjectId": "p1"})
    assert await VOLCENGINE_LIKE.resolve(request, default_workspace="d") is None


async def test_path_then_header() -> None:
    by_path = _request(path_params={"project_id": "p1"}, headers={"X-Project-Id": "p2"})
    by_header = _request(headers={"X-Project-Id": "p2"})
    assert await DLI_LIKE.resolve(by_path, default_workspace="d") == Scope("d", "p1")
    assert await DLI_LIKE.resolve(by_header, default_workspace="d") == Scope("d", "p2")
