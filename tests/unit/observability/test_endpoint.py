"""``GET /metrics``: bearer token when configured, loopback only otherwise."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from millstream.observability import Metrics, metrics_router


async def _status(
    token: str | None, client: tuple[str, int], headers: dict[str, str] | None = None
) -> tuple[int, str]:
    app = FastAPI()
    app.include_router(metrics_router(Metrics(), token=token))
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as http:
        response = await http.get("/metrics", headers=headers)
    return response.status_code, response.text


async def test_without_token_loopback_may_scrape_and_others_may_not() -> None:
    status, body = await _status(None, ("127.0.0.1", 5000))
    assert status == 200
    assert "millstream_reconciler_errors_total" in body
    assert (await _status(None, ("::1", 5000)))[0] == 200
    assert (await _status(None, ("10.1.2.3", 5000)))[0] == 403


async def test_with_token_every_client_needs_it() -> None:
    remote = ("10.1.2.3", 5000)
    assert (await _status("s3cret", ("127.0.0.1", 5000)))[0] == 401
    assert (await _status("s3cret", remote, {"Authorization": "Bearer wrong"}))[0] == 401
    status, body = await _status("s3cret", remote, {"Authorization": "Bearer s3cret"})
    assert status == 200
    assert "s3cret" not in body
