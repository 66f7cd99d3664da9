"""Queues through the native API (httpx ASGITransport) over real services on SQLite and a
fake Flink: queue CRUD with used / waiting / free, a deployment's queue, priority and
schedule timeout, a waiting job's status, and bad input answered in the envelope.
Through the Python client too (its operations against the same app)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from millstream.api.app import build_app
from millstream.client import AsyncMillstreamClient, Queue
from millstream.client.config import ClientConfig
from millstream.client.errors import ConflictError
from millstream.control.admission import Admitter
from millstream.control.bootstrap import DEMO_SQL, ensure_defaults
from millstream.control.context import Actor, Scope
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.access import AccessService
from millstream.control.services.queues import QueueService
from millstream.domain.access import Role
from millstream.domain.clusters import ClusterKind
from millstream.store import SqlStore, upgrade
from millstream.store.access import SqlAccessStore
from millstream.store.cipher import load_cipher
from tests.fakes import FakeEngine, FakeFlink

WS, NS = "default", "ns1"
ADMIN = Actor(id="admin-id", name="admin")
QUEUES = "/api/v2/queues"
DEPLOYMENTS = f"/api/v2/namespaces/{NS}/deployments"


def authenticate_admin(request: Request) -> Actor:  # noqa: ARG001 (the auth layer's shape)
    return ADMIN


@dataclass
class Stack:
    app: FastAPI
    store: SqlStore
    services: Services


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite:///{tmp_path / 'millstream.db'}"
    upgrade(url)
    store = SqlStore(url)
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
        queues=QueueService(store, default_workspace=WS),
    )
    yield Stack(build_app(services, authenticate_admin), store, services)
    store.close()


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=stack.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


def _data(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200, body
    assert body["success"] is True
    return body["data"]


def _failed(response: httpx.Response, status: int, code: str) -> str:
    body = response.json()
    assert (response.status_code, body["success"], body["errorCode"]) == (status, False, code)
    return str(body["errorMessage"])


async def _start(client: httpx.AsyncClient, name: str, **spec: Any) -> dict[str, Any]:
    body = {"name": name, "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": DEMO_SQL}}}
    deployment = _data(await client.post(DEPLOYMENTS, json=body | spec))
    started = await client.post(
        f"/api/v2/namespaces/{NS}/jobs:start",
        json={"deploymentId": deployment["deploymentId"], "restoreStrategy": {"kind": "NONE"}},
    )
    job: dict[str, Any] = _data(started)
    return job


async def test_queue_lifecycle_with_use(client: httpx.AsyncClient, stack: Stack) -> None:
    created = _data(await client.post(QUEUES, json={"name": "etl", "capacityCu": 4}))
    assert (created["name"], created["cluster"], created["capacityCu"]) == ("etl", "default", 4.0)
    assert created["usage"] == {
        "usedCu": 0.0,
        "waitingCu": 0.0,
        "freeCu": 4.0,
        "admitted": [],
        "waiting": [],
    }
    jobs = [
        await _start(client, name, queue="etl", priority=priority)
        for name, priority in (("a", 0), ("b", 0), ("c", 0), ("d", 9))
    ]
    assert jobs[0]["status"]["scheduling"]["costCu"] == 2.0
    assert jobs[0]["status"]["scheduling"]["queue"] == "etl"
    Admitter(stack.store).run_iteration()
    usage = _data(await client.get(f"{QUEUES}/etl"))["usage"]
    assert (usage["usedCu"], usage["waitingCu"], usage["freeCu"]) == (4.0, 4.0, 0.0)
    # d (priority 9) admitted first, then a; b and c wait in order
    assert [j["jobId"] for j in usage["admitted"]] == [jobs[3]["jobId"], jobs[0]["jobId"]]
    assert [j["jobId"] for j in usage["waiting"]] == [jobs[1]["jobId"], jobs[2]["jobId"]]
    waiting = _data(await client.get(f"/api/v2/namespaces/{NS}/jobs/{jobs[1]['jobId']}"))
    assert waiting["status"]["currentJobStatus"] == "STARTING"
    assert waiting["status"]["reason"] == "WAITING_FOR_RESOURCES"

    updated = _data(await client.patch(f"{QUEUES}/etl", json={"capacityCu": 8, "maxJobCu": 3}))
    assert (updated["capacityCu"], updated["maxJobCu"], updated["resourceVersion"]) == (8, 3, 2)
    listed = _data(await client.get(QUEUES))
    assert [q["name"] for q in listed] == ["etl"]
    message = _failed(await client.delete(f"{QUEUES}/etl"), 409, "QueueInUse")
    assert "4 live job(s)" in message


async def test_bad_queue_input_is_answered_in_the_envelope(client: httpx.AsyncClient) -> None:
    _failed(await client.post(QUEUES, json={"capacityCu": 4}), 400, "InvalidQueueName")
    _failed(
        await client.post(QUEUES, json={"name": "Bad Name", "capacityCu": 4}),
        400,
        "InvalidQueueName",
    )
    _failed(await client.post(QUEUES, json={"name": "q"}), 400, "InvalidQueueCapacity")
    _failed(
        await client.post(QUEUES, json={"name": "q", "capacityCu": -1}), 400, "InvalidQueueCapacity"
    )
    _failed(
        await client.post(QUEUES, json={"name": "q", "capacityCu": "x"}), 400, "InvalidParameter"
    )
    _failed(await client.get(f"{QUEUES}/missing"), 404, "QueueNotFound")
    _data(await client.post(QUEUES, json={"name": "q", "capacityCu": 1}))
    _failed(
        await client.post(QUEUES, json={"name": "q", "capacityCu": 1}), 409, "QueueAlreadyExists"
    )
    _failed(
        await client.patch(f"{QUEUES}/q", json={"resourceVersion": 7}),
        409,
        "ResourceVersionConflict",
    )


async def test_deployment_carries_queue_priority_and_timeout(client: httpx.AsyncClient) -> None:
    _data(await client.post(QUEUES, json={"name": "small", "capacityCu": 2}))
    spec = {"queue": "small", "priority": 5, "scheduleTimeoutSeconds": 60}
    body = {"name": "d", "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": DEMO_SQL}}}
    created = _data(await client.post(DEPLOYMENTS, json=body | spec))
    assert {key: created[key] for key in spec} == spec
    path = f"{DEPLOYMENTS}/{created['deploymentId']}"
    cleared = _data(await client.put(path, json={"queue": "", "scheduleTimeoutSeconds": 0}))
    assert (cleared["queue"], cleared["scheduleTimeoutSeconds"], cleared["priority"]) == (
        None,
        None,
        5,
    )
    _failed(await client.put(path, json={"priority": 5000}), 400, "InvalidParameter")
    unknown = body | {"name": "e", "queue": "nope"}
    assert "'nope' not found" in _failed(
        await client.post(DEPLOYMENTS, json=unknown), 404, "QueueNotFound"
    )


async def test_a_job_too_big_for_its_queue_or_cluster_is_refused(client: httpx.AsyncClient) -> None:
    _data(await client.post(QUEUES, json={"name": "small", "capacityCu": 2}))
    wide = {"streamingResourceSetting": {"basicResourceSetting": {"parallelism": 2}}}
    message = _failed_start(await _start_raw(client, "wide", queue="small", **wide))
    assert "needs 3 CU" in message
    slots = {"streamingResourceSetting": {"basicResourceSetting": {"parallelism": 5}}}
    message = _failed_start(await _start_raw(client, "slots", **slots))
    assert "needs 5 task slots" in message
    assert "has only 4" in message


async def _start_raw(client: httpx.AsyncClient, name: str, **spec: Any) -> httpx.Response:
    body = {"name": name, "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": DEMO_SQL}}}
    deployment = _data(await client.post(DEPLOYMENTS, json=body | spec))
    return await client.post(
        f"/api/v2/namespaces/{NS}/jobs:start",
        json={"deploymentId": deployment["deploymentId"], "restoreStrategy": {"kind": "NONE"}},
    )


def _failed_start(response: httpx.Response) -> str:
    return _failed(response, 400, "InsufficientResources")


async def test_the_python_client_manages_queues(stack: Stack) -> None:
    transport = httpx.ASGITransport(app=stack.app, raise_app_exceptions=False)
    config = ClientConfig(url="http://millstream", access_key_id="ak", access_key_secret="sk")
    async with AsyncMillstreamClient(config, transport=transport) as client:
        created = await client.create_queue(Queue(name="cli", capacity_cu=6.0))
        assert (created.capacity_cu, created.usage and created.usage.free_cu) == (6.0, 6.0)
        assert [q.name for q in await client.list_queues()] == ["cli"]
        assert (await client.update_queue("cli", Queue(capacity_cu=3.0))).capacity_cu == 3.0
        assert (await client.get_queue("cli")).resource_version == 2
        await client.delete_queue("cli")
        assert await client.list_queues() == []
        await client.create_queue(Queue(name="cli", capacity_cu=1.0))
        with pytest.raises(ConflictError):
            await client.create_queue(Queue(name="cli", capacity_cu=1.0))


async def test_queue_writes_need_an_admin_or_the_owner_of_its_namespaces(
    stack: Stack, tmp_path: Path
) -> None:
    access = AccessService(SqlAccessStore(stack.store.engine), load_cipher(None, tmp_path))
    admin = access.create_user("root", is_admin=True)
    owner = access.create_user("olga")
    viewer = access.create_user("vic")
    root = Actor(admin.id, admin.name)
    access.create_member(root, Scope(WS, NS), "olga", Role.OWNER)
    access.create_member(root, Scope(WS, NS), "vic", Role.VIEWER)
    services = dataclasses.replace(stack.services, access=access)
    callers = {"root": admin, "olga": owner, "vic": viewer}

    def guard(request: Request) -> Actor:
        user = callers[request.headers["x-user"]]
        return Actor(user.id, user.name)

    transport = httpx.ASGITransport(app=build_app(services, guard), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as client:

        async def as_(user: str, method: str, path: str, body: Any = None) -> httpx.Response:
            return await client.request(method, path, json=body, headers={"x-user": user})

        mine = {"name": "mine", "capacityCu": 2, "namespaces": [NS]}
        _failed(await as_("vic", "POST", QUEUES, mine), 403, "Forbidden")
        _data(await as_("olga", "POST", QUEUES, mine))  # owns every namespace it allows
        _failed(
            await as_("olga", "POST", QUEUES, {"name": "open", "capacityCu": 2}), 403, "Forbidden"
        )
        _data(await as_("root", "POST", QUEUES, {"name": "open", "capacityCu": 2}))
        assert [q["name"] for q in _data(await as_("vic", "GET", QUEUES))] == ["mine", "open"]
        _failed(await as_("olga", "PATCH", f"{QUEUES}/open", {"capacityCu": 9}), 403, "Forbidden")
        _data(await as_("olga", "PATCH", f"{QUEUES}/mine", {"capacityCu": 3}))
        _failed(await as_("vic", "DELETE", f"{QUEUES}/mine"), 403, "Forbidden")
        assert _data(await as_("olga", "DELETE", f"{QUEUES}/mine")) is None
