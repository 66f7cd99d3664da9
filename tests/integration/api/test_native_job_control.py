"""Job control through the native API (httpx ASGITransport) over real services on SQLite
and a fake Flink, sent by hand and by the Python client:

- StartJobWithParams' ``resourceQueueName`` (an official SDK field): the job is admitted
  through the named queue instead of its deployment's; a queue that does not exist or
  that the namespace may not use is a clear 4xx in the envelope, and no job is created;
- the client's ``client_token``: a repeated start returns the first start's job;
- the client's ``suspend_job`` / ``resume_job``: desired state and status as the server
  records them, and a wrong-state request is a ``ConflictError``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alibabacloud_ververica20220718.models import JobStartParameters
from fastapi import FastAPI, Request

from millstream.api.app import build_app
from millstream.client import AsyncMillstreamClient, ClientConfig, ConflictError
from millstream.control.bootstrap import DEMO_SQL, ensure_defaults
from millstream.control.context import Actor
from millstream.control.engine_versions import DEFAULT_ALIASES, EngineVersions
from millstream.control.notifier import Notifier
from millstream.control.services import (
    DeploymentService,
    EventService,
    JobService,
    SavepointService,
    Services,
)
from millstream.control.services.queues import QueueService
from millstream.domain.clusters import ClusterKind
from millstream.domain.jobs import DesiredState, JobStatus
from millstream.domain.namespaces import Namespace
from millstream.store import SqlStore, upgrade
from tests.fakes import FakeEngine, FakeFlink

WS, NS = "default", "ns1"
ADMIN = Actor(id="admin-id", name="admin")
QUEUES = "/api/v2/queues"
DEPLOYMENTS = f"/api/v2/namespaces/{NS}/deployments"
START = f"/api/v2/namespaces/{NS}/jobs:start"


def authenticate_admin(request: Request) -> Actor:  # noqa: ARG001 (the auth layer's shape)
    return ADMIN


@dataclass
class Stack:
    app: FastAPI
    store: SqlStore


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
    yield Stack(build_app(services, authenticate_admin), store)
    store.close()


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=stack.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


@pytest.fixture
async def millstream(stack: Stack) -> AsyncIterator[AsyncMillstreamClient]:
    transport = httpx.ASGITransport(app=stack.app, raise_app_exceptions=False)
    config = ClientConfig(
        url="http://millstream",
        workspace=WS,
        namespace=NS,
        access_key_id="ak",
        access_key_secret="sk",
    )
    async with AsyncMillstreamClient(config, transport=transport) as client:
        yield client


def _data(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200, body
    assert body["success"] is True
    return body["data"]


def _failed(response: httpx.Response, status: int, code: str) -> str:
    body = response.json()
    assert (response.status_code, body["success"], body["errorCode"]) == (status, False, code)
    return str(body["errorMessage"])


async def _deployment(client: httpx.AsyncClient, name: str, **spec: Any) -> str:
    body = {"name": name, "artifact": {"kind": "SQLSCRIPT", "sqlArtifact": {"sqlScript": DEMO_SQL}}}
    deployment_id: str = _data(await client.post(DEPLOYMENTS, json=body | spec))["deploymentId"]
    return deployment_id


def _start_body(deployment_id: str, queue: str) -> dict[str, Any]:
    # Built by the official SDK's model, so the wire name is the SDK's own.
    body: dict[str, Any] = JobStartParameters(
        deployment_id=deployment_id, resource_queue_name=queue
    ).to_map()
    assert body["resourceQueueName"] == queue
    return body


async def _jobs(client: httpx.AsyncClient, deployment_id: str) -> list[dict[str, Any]]:
    jobs = await client.get(f"/api/v2/namespaces/{NS}/jobs", params={"deploymentId": deployment_id})
    found: list[dict[str, Any]] = _data(jobs)
    return found


async def test_resource_queue_name_admits_the_job_through_that_queue(
    client: httpx.AsyncClient,
) -> None:
    _data(await client.post(QUEUES, json={"name": "etl", "capacityCu": 8, "namespaces": [NS]}))
    _data(await client.post(QUEUES, json={"name": "small", "capacityCu": 4}))
    deployment_id = await _deployment(client, "a", queue="small")

    job = _data(await client.post(START, json=_start_body(deployment_id, "etl")))

    assert job["status"]["scheduling"]["queue"] == "etl"
    usage = _data(await client.get(f"{QUEUES}/etl"))["usage"]
    assert [j["jobId"] for j in usage["waiting"] + usage["admitted"]] == [job["jobId"]]
    # the override is for this job only: the deployment keeps its own queue
    deployment = _data(await client.get(f"{DEPLOYMENTS}/{deployment_id}"))
    assert deployment["queue"] == "small"


async def test_without_resource_queue_name_the_deployments_queue_is_used(
    client: httpx.AsyncClient,
) -> None:
    _data(await client.post(QUEUES, json={"name": "small", "capacityCu": 4}))
    deployment_id = await _deployment(client, "a", queue="small")

    job = _data(await client.post(START, json={"deploymentId": deployment_id}))

    assert job["status"]["scheduling"]["queue"] == "small"


async def test_an_unknown_resource_queue_is_404_and_starts_nothing(
    client: httpx.AsyncClient,
) -> None:
    deployment_id = await _deployment(client, "a")

    message = _failed(
        await client.post(START, json=_start_body(deployment_id, "nope")), 404, "QueueNotFound"
    )

    assert "'nope' not found" in message
    assert await _jobs(client, deployment_id) == []


async def test_a_queue_the_namespace_may_not_use_is_403_and_starts_nothing(
    client: httpx.AsyncClient,
) -> None:
    _data(await client.post(QUEUES, json={"name": "other", "capacityCu": 8, "namespaces": ["x"]}))
    deployment_id = await _deployment(client, "a")

    message = _failed(
        await client.post(START, json=_start_body(deployment_id, "other")), 403, "QueueNotAllowed"
    )

    assert f"namespace {NS!r} may not use queue 'other'" in message
    assert await _jobs(client, deployment_id) == []


async def test_an_empty_resource_queue_name_is_a_400(client: httpx.AsyncClient) -> None:
    deployment_id = await _deployment(client, "a")

    message = _failed(
        await client.post(START, json={"deploymentId": deployment_id, "resourceQueueName": " "}),
        400,
        "InvalidParameter",
    )

    assert "resourceQueueName" in message
    assert await _jobs(client, deployment_id) == []


# --------------------------------------------------------------------------- the Python client


def _mark_running(store: SqlStore, job_id: str) -> None:
    """What the reconciler would record once Flink runs the job."""
    with store.transaction() as repos:
        job = repos.read_job(job_id=job_id)
        assert job is not None
        job.move_to(JobStatus.RUNNING)
        repos.update_job(job=job)


async def test_client_start_with_the_same_token_returns_the_first_job(
    client: httpx.AsyncClient, millstream: AsyncMillstreamClient
) -> None:
    deployment_id = await _deployment(client, "a")

    first = await millstream.start_job(deployment_id, client_token="retry-me")
    again = await millstream.start_job(deployment_id, client_token="retry-me")

    assert first.job_id is not None
    assert again.job_id == first.job_id
    assert [j["jobId"] for j in await _jobs(client, deployment_id)] == [first.job_id]
    # without the token the same second start is the live-job conflict
    with pytest.raises(ConflictError) as refused:
        await millstream.start_job(deployment_id)
    assert refused.value.code == "JobAlreadyRunning"


async def test_client_start_sends_its_queue(
    client: httpx.AsyncClient, millstream: AsyncMillstreamClient
) -> None:
    _data(await client.post(QUEUES, json={"name": "etl", "capacityCu": 8}))
    deployment_id = await _deployment(client, "a")

    job = await millstream.start_job(deployment_id, queue="etl")

    assert job.status is not None
    assert job.status.scheduling is not None
    assert job.status.scheduling.queue == "etl"


async def test_client_suspends_and_resumes_a_job(
    client: httpx.AsyncClient, millstream: AsyncMillstreamClient, stack: Stack
) -> None:
    deployment_id = await _deployment(client, "a")
    job_id = (await millstream.start_job(deployment_id)).job_id or ""
    with pytest.raises(ConflictError):  # still STARTING
        await millstream.suspend_job(job_id)
    _mark_running(stack.store, job_id)

    suspending = await millstream.suspend_job(job_id)

    assert (suspending.job_id, suspending.state) == (job_id, "RUNNING")
    with stack.store.transaction() as repos:
        stored = repos.read_job(job_id=job_id)
        assert stored is not None
        assert stored.desired is DesiredState.SUSPENDED
        # what the reconciler records once the suspend savepoint completed
        stored.move_to(JobStatus.SUSPENDED)
        repos.update_job(job=stored)
    with pytest.raises(ConflictError) as twice:
        await millstream.suspend_job(job_id)
    assert twice.value.code == "InvalidJobStatus"

    resumed = await millstream.resume_job(job_id)

    assert (resumed.job_id, resumed.state) == (job_id, "SUSPENDED")
    with stack.store.transaction() as repos:
        stored = repos.read_job(job_id=job_id)
        assert stored is not None
        assert stored.desired is DesiredState.RUNNING


async def test_list_jobs_shows_every_job_as_it_is_now_however_often_it_is_listed(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    """ListJobs keeps what it rendered by (id, version): a job written since (by the API
    or by the reconciler, through the store) is listed as it is now, never as it was."""
    deployment_id = await _deployment(client, "a")
    first = _data(await client.post(START, json={"deploymentId": deployment_id}))["jobId"]
    assert [j["jobId"] for j in await _jobs(client, deployment_id)] == [first]

    stopped = _data(
        await client.post(
            f"/api/v2/namespaces/{NS}/jobs/{first}:stop", json={"stopStrategy": "NONE"}
        )
    )
    (listed,) = await _jobs(client, deployment_id)
    assert listed == _data(await client.get(f"/api/v2/namespaces/{NS}/jobs/{first}"))
    assert listed["status"] == stopped["status"]

    with stack.store.transaction() as repos:  # what the reconciler does when Flink answers
        job = repos.read_job(job_id=first)
        assert job is not None
        job.status = JobStatus.CANCELLED
        repos.update_job(job=job)
    (listed,) = await _jobs(client, deployment_id)
    assert listed["status"]["currentJobStatus"] == "CANCELLED"
    assert listed == _data(await client.get(f"/api/v2/namespaces/{NS}/jobs/{first}"))

    second = _data(await client.post(START, json={"deploymentId": deployment_id}))["jobId"]
    newest_first = [j["jobId"] for j in await _jobs(client, deployment_id)]
    assert newest_first == [second, first]
    page = await client.get(
        f"/api/v2/namespaces/{NS}/jobs",
        params={"deploymentId": deployment_id, "pageSize": 1, "pageIndex": 2},
    )
    assert [j["jobId"] for j in _data(page)] == [first]
    assert page.json()["totalSize"] == 2

    _data(await client.delete(f"/api/v2/namespaces/{NS}/jobs/{first}"))
    assert [j["jobId"] for j in await _jobs(client, deployment_id)] == [second]


async def test_get_job_shows_the_job_as_it_is_now_and_404s_once_it_is_gone(
    client: httpx.AsyncClient, stack: Stack
) -> None:
    """GetJob reads the job's version and keeps its rendering by it (as ListJobs does):
    a write through the store shows at once; a deleted job, or a job asked for in
    another namespace, is JOB_NOT_FOUND."""
    deployment_id = await _deployment(client, "g")
    job_id = _data(await client.post(START, json={"deploymentId": deployment_id}))["jobId"]
    url = f"/api/v2/namespaces/{NS}/jobs/{job_id}"
    assert _data(await client.get(url))["status"]["currentJobStatus"] == "STARTING"
    for status in (JobStatus.RUNNING, JobStatus.CANCELLED):
        with stack.store.transaction() as repos:
            job = repos.read_job(job_id=job_id)
            assert job is not None
            job.status = status
            repos.update_job(job=job)
        shown = _data(await client.get(url))
        assert shown["status"]["currentJobStatus"] == status.value
        assert shown == _data(await client.get(url))  # kept: the same answer again

    _data(await client.delete(url))
    gone = await client.get(url)
    assert gone.status_code == 404
    assert gone.json()["errorCode"] == "JobNotFound"
    with stack.store.transaction() as repos:  # another namespace the caller may read
        other = Namespace(
            id="ns-other", workspace=WS, name="ns-other", created_at=datetime.now(UTC)
        )
        repos.create_namespace(namespace=other)
    job_id = _data(await client.post(START, json={"deploymentId": deployment_id}))["jobId"]
    elsewhere = await client.get(f"/api/v2/namespaces/ns-other/jobs/{job_id}")
    assert elsewhere.status_code == 404
    assert elsewhere.json()["errorCode"] == "JobNotFound"  # not the namespace's error


async def test_list_jobs_of_a_deployment_without_jobs_or_unknown(client: httpx.AsyncClient) -> None:
    """A page with no job still tells an existing deployment (empty page, total 0) from
    a missing one (DeploymentNotFound), and a page past the end keeps the total."""
    deployment_id = await _deployment(client, "empty")
    url = f"/api/v2/namespaces/{NS}/jobs"
    empty = await client.get(url, params={"deploymentId": deployment_id})
    assert _data(empty) == []
    assert empty.json()["totalSize"] == 0
    missing = await client.get(url, params={"deploymentId": "no-such-deployment"})
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "DeploymentNotFound"
    _data(await client.post(START, json={"deploymentId": deployment_id}))
    past = await client.get(url, params={"deploymentId": deployment_id, "pageIndex": 3})
    assert _data(past) == []
    assert past.json()["totalSize"] == 1
