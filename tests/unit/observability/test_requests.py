"""``RequestMetrics``: latency by route template, dialect/operation and status class."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
from fastapi import FastAPI, Request

from millstream.observability import Metrics, RequestMetrics
from millstream.observability.requests import UNMATCHED

HISTOGRAM = "millstream_api_request_duration_seconds"


def _count(metrics: Metrics, **labels: str) -> float:
    value = metrics.registry.get_sample_value(f"{HISTOGRAM}_count", labels)
    return 0.0 if value is None else value


def _app(metrics: Metrics) -> FastAPI:
    app = FastAPI()

    @app.get("/api/things/{thing}")
    def thing(thing: str, request: Request) -> dict[str, str]:
        # What a dialect route records before its handler runs (api.dialect.routing).
        request.state.call = SimpleNamespace(
            dialect="native", operation=SimpleNamespace(name="GetThing")
        )
        if thing == "broken":
            raise RuntimeError("boom")
        return {"thing": thing}

    @app.get("/plain")
    def plain() -> dict[str, str]:
        return {}

    app.add_middleware(RequestMetrics, metrics=metrics)
    return app


async def _get(app: FastAPI, *paths: str) -> list[int]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://m") as client:
        return [(await client.get(path)).status_code for path in paths]


async def test_requests_are_labelled_by_route_template_not_raw_path() -> None:
    metrics = Metrics()
    assert await _get(_app(metrics), "/api/things/a", "/api/things/b") == [200, 200]
    labels = {
        "method": "GET",
        "route": "/api/things/{thing}",
        "dialect": "native",
        "operation": "GetThing",
        "status_class": "2xx",
    }
    assert _count(metrics, **labels) == 2
    exposed = [
        sample.labels.get("route")
        for family in metrics.registry.collect()
        for sample in family.samples
    ]
    assert "/api/things/a" not in exposed


async def test_unknown_paths_share_one_label_and_5xx_is_counted() -> None:
    metrics = Metrics()
    statuses = await _get(_app(metrics), "/nope/1", "/nope/2", "/api/things/broken", "/plain")
    assert statuses == [404, 404, 500, 200]
    unmatched = {"method": "GET", "route": UNMATCHED, "dialect": "none", "operation": "none"}
    assert _count(metrics, **unmatched, status_class="4xx") == 2
    broken = {"route": "/api/things/{thing}", "dialect": "native", "operation": "GetThing"}
    assert _count(metrics, method="GET", **broken, status_class="5xx") == 1
    plain = {"route": "/plain", "dialect": "none", "operation": "none", "status_class": "2xx"}
    assert _count(metrics, method="GET", **plain) == 1
