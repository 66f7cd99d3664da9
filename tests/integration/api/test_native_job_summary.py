"""``Deployment.jobSummary`` through the native API (httpx ASGITransport, real services
on SQLite): job counts per state as the SDK's ``JobSummary`` documents them, on lists,
single reads and in the Python client."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alibabacloud_ververica20220718.models import JobSummary
from fastapi import FastAPI, Request

from millstream.api.app import build_app
from millstream.client import AsyncMillstreamClient, ClientConfig
from millstream.control.bootstrap import DEMO_SQL, ensure_defaults
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
from millstream.domain.jobs import JobStatus
from millstream.store import SqlStore, upgrade
from tests.factories import make_job
from tests.fakes import FakeEngine, FakeFlink

WS, NS = "default", "ns1"
DEPLOYMENTS = f"/api/v2/namespaces/{NS}/deployments"
ZERO = {"starting": 0, "running": 0, "cancelling": 0, "cancelled": 0, "finished": 0, "failed": 0}


def _admin(request: Request) -> Actor:  # noqa: ARG001 (the auth layer's shape)
    return Actor(id="admin-id", name="admin")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
    yield store
    store.close()


@pytest.fixture
def app(store: SqlStore) -> FastAPI:
    flink = FakeFlink()
    ensure_defaults(
        store,
        workspace=WS,
        namespace=NS,
        cluster_kind=ClusterKind.EMBEDDED,
        rest_url=flink.rest_url,
    )
    engine = FakeEngine(flink)
    versions = EngineVersions(installed=list(engine.engine_versions()), aliases=DEFAULT_ALIASES)
    notifier = Notifier()
    services = Services(
        deployments=DeploymentService(store, engine, versions),
        jobs=JobService(store, engine, notifier, embedded_slots=4),
        savepoints=SavepointService(store, engine, notifier),
        events=EventService(store),
        versions=versions,
        default_workspace=WS,
    )
    return build_app(services, _admin)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


def _data(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200, body
    return body["data"]


async def _deployment(client: httpx.AsyncClient, name: str) -> str:
    body = {"name": name, "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": DEMO_SQL}}}
    deployment_id: str = _data(await client.post(DEPLOYMENTS, json=body))["deploymentId"]
    return deployment_id


def _add_jobs(store: SqlStore, deployment_id: str, *statuses: JobStatus) -> None:
    with store.transaction() as repos:
        deployment = repos.read_deployment(workspace=WS, namespace=NS, deployment_id=deployment_id)
        assert deployment is not None
        for status in statuses:
            repos.create_job(job=make_job(deployment, status=status))


async def test_list_and_get_carry_job_counts_per_state(
    client: httpx.AsyncClient, store: SqlStore
) -> None:
    busy = await _deployment(client, "busy")
    idle = await _deployment(client, "idle")
    _add_jobs(store, busy, JobStatus.CANCELLED, JobStatus.CANCELLED, JobStatus.FAILED)
    _add_jobs(store, busy, JobStatus.RUNNING)

    listed = {d["name"]: d["jobSummary"] for d in _data(await client.get(DEPLOYMENTS))}
    single = _data(await client.get(f"{DEPLOYMENTS}/{busy}"))["jobSummary"]

    expected = ZERO | {"running": 1, "cancelled": 2, "failed": 1}
    assert listed == {"busy": expected, "idle": ZERO}
    assert single == expected
    # the official SDK reads it as its JobSummary model
    assert JobSummary().from_map(single).running == 1
    assert _data(await client.get(f"{DEPLOYMENTS}/{idle}"))["jobSummary"] == ZERO


async def test_python_client_sees_the_job_summary(app: FastAPI, store: SqlStore) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    config = ClientConfig(
        url="http://millstream",
        workspace=WS,
        namespace=NS,
        access_key_id="ak",
        access_key_secret="sk",
    )
    async with AsyncMillstreamClient(config, transport=transport) as millstream:
        async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as raw:
            deployment_id = await _deployment(raw, "one")
        _add_jobs(store, deployment_id, JobStatus.FINISHED)
        (deployment,) = (await millstream.list_deployments()).items

    assert deployment.job_summary == ZERO | {"finished": 1}


async def test_a_kept_rendering_follows_job_states_edits_and_deletion(
    client: httpx.AsyncClient, store: SqlStore
) -> None:
    """GetDeployment answers a rendering it keeps by version and job counts: a job
    changing state leaves the deployment's version alone and must still show."""
    deployment_id = await _deployment(client, "busy")
    url = f"{DEPLOYMENTS}/{deployment_id}"
    assert _data(await client.get(url))["jobSummary"] == ZERO
    _add_jobs(store, deployment_id, JobStatus.RUNNING)
    assert _data(await client.get(url))["jobSummary"] == ZERO | {"running": 1}

    with store.transaction() as repos:
        (job,), _ = repos.read_jobs(
            workspace=WS, namespace=NS, deployment_id=deployment_id, page=Page(0, 10)
        )
        repos.update_job(job=dataclasses.replace(job, status=JobStatus.CANCELLED))
    assert _data(await client.get(url))["jobSummary"] == ZERO | {"cancelled": 1}

    before = _data(await client.get(url))
    edited = before | {"description": "edited"}
    assert (await client.put(url, json=edited)).status_code == 200
    after = _data(await client.get(url))
    assert after["description"] == "edited"
    assert after["resourceVersion"] == before["resourceVersion"] + 1

    assert (await client.delete(url)).status_code == 200
    gone = await client.get(url)
    assert gone.status_code == 404
    assert gone.json()["errorCode"] == "DeploymentNotFound"
