"""The route index answers every request exactly as FastAPI's own routing does, and
serves FastAPI routes without asking the others."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from millstream.api.route_index import index_routes


async def _static(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse(f"static {scope['path']}")(scope, receive, send)


def _tagged(request: Request) -> str:
    return request.headers.get("x-tag", "none")


def _app() -> FastAPI:
    app = FastAPI()
    inner = APIRouter()

    @inner.get("/items/special")
    def special() -> dict[str, str]:
        return {"route": "special"}

    @inner.get("/items/{item_id}")
    def item(item_id: str, tag: str = Depends(_tagged)) -> dict[str, str]:
        return {"route": "item", "id": item_id, "tag": tag}

    @inner.delete("/items/{item_id}")
    def delete_item(item_id: str) -> dict[str, str]:
        return {"route": "delete", "id": item_id}

    @inner.get("/items/{item_id}/parts/{part}")
    def part(item_id: str, part: int) -> dict[str, Any]:
        return {"route": "part", "id": item_id, "part": part}

    @inner.get("/files/{rest:path}")
    def files(rest: str) -> dict[str, str]:
        return {"route": "files", "rest": rest}

    middle = APIRouter(prefix="/v1", dependencies=[Depends(_tagged)])
    middle.include_router(inner)
    middle.mount("/static", _static)
    app.include_router(middle, prefix="/api")

    @app.get("/api/v1/items/{item_id}/parts/first")
    def shadowed(item_id: str) -> dict[str, str]:  # after the included route: never wins
        return {"route": "shadowed", "id": item_id}

    @app.post("/api/v1/items")
    def create() -> dict[str, str]:
        return {"route": "create"}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def _answer(app: FastAPI, method: str, path: str) -> tuple[int, str, str | None]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
        response = await client.request(method, path, headers={"x-tag": "t"})
    return response.status_code, response.text, response.headers.get("allow")


def _counting(app: FastAPI) -> list[str]:
    """Paths the index handed to FastAPI's own routing."""
    index: Any = app.router.middleware_stack
    dispatch = index._dispatch
    passed: list[str] = []

    async def counted(scope: Scope, receive: Receive, send: Send) -> None:
        passed.append(scope["path"])
        await dispatch(scope, receive, send)

    index._dispatch = counted
    return passed


@pytest.fixture(scope="module")
def apps() -> tuple[FastAPI, FastAPI]:
    indexed = _app()
    assert index_routes(indexed)
    return _app(), indexed


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/v1/items/special", '{"route":"special"}'),
        ("GET", "/api/v1/items/42", '{"route":"item","id":"42","tag":"t"}'),
        ("DELETE", "/api/v1/items/42", '{"route":"delete","id":"42"}'),
        ("GET", "/api/v1/items/42/parts/7", '{"route":"part","id":"42","part":7}'),
        ("POST", "/api/v1/items", '{"route":"create"}'),
        ("GET", "/healthz", '{"status":"ok"}'),
    ],
)
async def test_index_serves_fastapi_routes_itself(method: str, path: str, expected: str) -> None:
    indexed = _app()
    index_routes(indexed)
    passed = _counting(indexed)
    status, body, _ = await _answer(indexed, method, path)
    assert (status, body) == (200, expected)
    assert passed == []


@pytest.mark.parametrize(
    "path",
    ["/api/v1/items", "/api/v1/static/a.css", "/api/v1/files/a/b", "/nowhere"],
)
async def test_other_routes_and_misses_go_through_fastapi(path: str) -> None:
    plain, indexed = _app(), _app()
    index_routes(indexed)
    passed = _counting(indexed)
    assert await _answer(indexed, "GET", path) == await _answer(plain, "GET", path)
    assert passed == [path]


async def test_a_wrong_method_is_fastapis_405() -> None:
    plain, indexed = _app(), _app()
    index_routes(indexed)
    answer = await _answer(indexed, "PUT", "/api/v1/items/42")
    assert answer[0] == 405
    assert answer == await _answer(plain, "PUT", "/api/v1/items/42")


async def test_routes_added_after_the_first_request_are_found() -> None:
    app = _app()
    index_routes(app)
    assert (await _answer(app, "GET", "/late/1"))[0] == 404

    @app.get("/late/{n}")
    def late(n: int) -> dict[str, int]:
        return {"late": n}

    assert (await _answer(app, "GET", "/late/1"))[:2] == (200, '{"late":1}')


_SEGMENTS = st.sampled_from(
    ["api", "v1", "items", "special", "42", "parts", "7", "first", "static", "files", "", "x"]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD"]),
    segments=st.lists(_SEGMENTS, max_size=6),
)
async def test_every_answer_is_the_one_fastapi_gives(
    apps: tuple[FastAPI, FastAPI], method: str, segments: list[str]
) -> None:
    plain, indexed = apps
    path = "/" + "/".join(segments)
    assume(not path.startswith("//"))  # not a path httpx can send
    assert await _answer(indexed, method, path) == await _answer(plain, method, path)
