"""Idempotent start through the native API: the ``x-millstream-client-token`` header (or
``clientToken`` in the StartJobWithParams body) makes a repeated start return the same job,
also from a second app over the same database (a restarted server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from millstream.api.app import build_app
from millstream.control.bootstrap import ensure_defaults
from millstream.control.context import Actor
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.ports import Page
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.domain.clusters import ClusterKind
from millstream.store import SqlStore, upgrade
from tests.factories import make_deployment
from tests.fakes import FakeEngine

WS, NS = "default", "ns1"
JOBS = f"/api/v2/namespaces/{NS}/jobs"
HEADERS = {"workspace": WS}
TOKEN = "x-millstream-client-token"


def _admin(request: Request) -> Actor:  # noqa: ARG001 (the auth layer's shape)
    return Actor(id="admin-id", name="admin")


def _app(store: SqlStore) -> FastAPI:
    engine = FakeEngine()
    notifier = Notifier()
    versions = EngineVersions(installed=list(engine.engine_versions()), aliases=DEFAULT_ALIASES)
    services = Services(
        deployments=DeploymentService(store, engine, versions),
        jobs=JobService(store, engine, notifier),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
    )
    return build_app(services, _admin)


@asynccontextmanager
async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://millstream", headers=HEADERS
    ) as client:
        yield client


@dataclass
class Stack:
    url: str
    store: SqlStore

    def deployment(self) -> str:
        deployment = make_deployment(workspace=WS, namespace=NS)
        with self.store.transaction() as repos:
            repos.create_deployment(deployment=deployment)
        return deployment.id

    def job_ids(self, deployment_id: str) -> list[str]:
        with self.store.transaction() as repos:
            jobs, _ = repos.read_jobs(
                workspace=WS, namespace=NS, deployment_id=deployment_id, page=Page(limit=100)
            )
        return [job.id for job in jobs]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    ensure_defaults(
        store,
        workspace=WS,
        namespace=NS,
        cluster_kind=ClusterKind.EXTERNAL,
        rest_url="http://fake-flink",
    )
    yield Stack(url, store)
    store.close()


def _job(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    data: dict[str, Any] = body["data"]
    return data


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert body["success"] is False
    return body


async def test_the_same_header_twice_gives_the_same_job(stack: Stack) -> None:
    deployment_id = stack.deployment()
    async with _client(_app(stack.store)) as client:
        first = _job(
            await client.post(
                f"{JOBS}:start", json={"deploymentId": deployment_id}, headers={TOKEN: "t-1"}
            )
        )
        again = _job(
            await client.post(
                f"{JOBS}%3Astart", json={"deploymentId": deployment_id}, headers={TOKEN: "t-1"}
            )
        )
    assert again["jobId"] == first["jobId"]
    assert stack.job_ids(deployment_id) == [first["jobId"]]


async def test_a_restarted_server_returns_the_same_job(stack: Stack) -> None:
    deployment_id = stack.deployment()
    async with _client(_app(stack.store)) as client:
        first = _job(
            await client.post(
                f"{JOBS}:start", json={"deploymentId": deployment_id}, headers={TOKEN: "crash"}
            )
        )
    restarted = SqlStore(stack.url)
    try:
        async with _client(_app(restarted)) as client:
            again = _job(
                await client.post(
                    f"{JOBS}:start", json={"deploymentId": deployment_id}, headers={TOKEN: "crash"}
                )
            )
    finally:
        restarted.close()
    assert again["jobId"] == first["jobId"]
    assert stack.job_ids(deployment_id) == [first["jobId"]]


async def test_the_body_token_and_the_header_are_the_same_token(stack: Stack) -> None:
    deployment_id = stack.deployment()
    async with _client(_app(stack.store)) as client:
        first = _job(
            await client.post(
                f"{JOBS}:start", json={"deploymentId": deployment_id, "clientToken": "b-1"}
            )
        )
        again = _job(
            await client.post(
                f"{JOBS}:start", json={"deploymentId": deployment_id}, headers={TOKEN: "b-1"}
            )
        )
        mismatch = _error(
            await client.post(
                f"{JOBS}:start",
                json={"deploymentId": deployment_id, "clientToken": "b-1"},
                headers={TOKEN: "b-2"},
            ),
            400,
        )
    assert again["jobId"] == first["jobId"]
    assert mismatch["errorCode"] == "InvalidParameter"
    assert "x-millstream-client-token" in mismatch["errorMessage"]


async def test_the_deprecated_start_takes_the_header_too(stack: Stack) -> None:
    deployment_id = stack.deployment()
    async with _client(_app(stack.store)) as client:
        first = _job(
            await client.post(JOBS, json={"deploymentId": deployment_id}, headers={TOKEN: "old"})
        )
        again = _job(
            await client.post(JOBS, json={"deploymentId": deployment_id}, headers={TOKEN: "old"})
        )
    assert again["jobId"] == first["jobId"]


async def test_without_a_token_a_second_start_is_still_a_conflict(stack: Stack) -> None:
    deployment_id = stack.deployment()
    async with _client(_app(stack.store)) as client:
        _job(await client.post(f"{JOBS}:start", json={"deploymentId": deployment_id}))
        second = _error(
            await client.post(f"{JOBS}:start", json={"deploymentId": deployment_id}), 409
        )
    assert second["errorCode"] == "JobAlreadyRunning"


async def test_a_token_used_for_another_deployment_is_a_409(stack: Stack) -> None:
    first, other = stack.deployment(), stack.deployment()
    async with _client(_app(stack.store)) as client:
        _job(await client.post(f"{JOBS}:start", json={"deploymentId": first}, headers={TOKEN: "s"}))
        reused = _error(
            await client.post(f"{JOBS}:start", json={"deploymentId": other}, headers={TOKEN: "s"}),
            409,
        )
    assert reused["errorCode"] == "Conflict"
    assert "another deployment" in reused["errorMessage"]
    assert stack.job_ids(other) == []


async def test_a_malformed_token_is_a_400(stack: Stack) -> None:
    deployment_id = stack.deployment()
    async with _client(_app(stack.store)) as client:
        response = await client.post(
            f"{JOBS}:start", json={"deploymentId": deployment_id, "clientToken": "x" * 200}
        )
    assert _error(response, 400)["errorCode"] == "InvalidParameter"
    assert stack.job_ids(deployment_id) == []
