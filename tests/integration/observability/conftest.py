"""One real Millstream app (``server.build_runtime`` + ``create_app``: real SQLite, every
dialect, auth, audit, collectors; Flink not started) and helpers to scrape it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from millstream.config import ReconcilerSettings, Settings
from millstream.server import Runtime, build_runtime, create_app

Scrape = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="package")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data_dir: Path = tmp_path_factory.mktemp("observability")
    settings = Settings(data_dir=data_dir, reconciler=ReconcilerSettings(enabled=False))
    built = build_runtime(settings, start_flink=False)
    try:
        yield built
    finally:
        built.close(stop_flink=False)


@pytest.fixture(scope="package")
def admin(runtime: Runtime) -> tuple[str, str]:
    issued = runtime.access.ensure_admin()
    assert issued is not None
    return issued.key.id, issued.secret


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as http:
        yield http


async def scrape_text(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def parse(text: str) -> Scrape:
    """Every sample by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def exported_names(text: str) -> set[str]:
    """Every series name the scrape declares, with the suffixes PromQL uses (families
    without samples yet count too: a fresh server has no requests or jobs)."""
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_count", "_sum"),
        "summary": ("_count", "_sum"),
    }
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in suffixes.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names
