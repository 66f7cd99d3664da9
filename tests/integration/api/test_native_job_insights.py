"""Native job insights (GetJobGraph ... ListJobLoads, a Millstream extension) through the
app on ASGITransport, over the real ``JobInsightsService`` on the in-memory store and a
fake Flink source: the native envelope with camelCase fields, a job Flink forgot as
``live: false`` with a note (never a 500), bad input as 400s and an unknown job as 404."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from millstream.api.app import build_app
from millstream.control.metric_catalog import FlinkMetricReader
from millstream.control.services.job_insights import JobInsightsService
from millstream.control.services.metric_history import MetricHistoryService
from millstream.domain.jobs import JobStatus
from tests.factories import NAMESPACE, make_cluster, make_job, make_namespace
from tests.fakes import InMemoryStore
from tests.insight_fakes import FakeSource
from tests.unit.control.metric_fakes import FakeInspector, MemorySamples

from .conftest import authenticate_admin
from .fakes import FakeWorld, fake_services

BASE = f"/api/v2/namespaces/{NAMESPACE}"
HEADERS = {"workspace": "ws"}


@pytest.fixture
def store() -> InMemoryStore:
    store = InMemoryStore()
    with store.transaction() as repos:
        repos.create_namespace(namespace=make_namespace())
        repos.create_cluster(cluster=make_cluster(name="default"))
    return store


@pytest.fixture
async def client(store: InMemoryStore) -> AsyncIterator[httpx.AsyncClient]:
    source = FakeSource()
    source.known.add("f1")
    services = dataclasses.replace(
        fake_services(FakeWorld(namespaces={("ws", NAMESPACE)}), default_workspace="ws"),
        job_insights=JobInsightsService(
            store,
            source,
            MetricHistoryService(store, MemorySamples(), FlinkMetricReader(FakeInspector())),
            clock=lambda: datetime.now(UTC),
        ),
    )
    app = build_app(services, authenticate_admin, max_body_bytes=64 * 1024)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://millstream", headers=HEADERS
    ) as c:
        yield c


def _job(store: InMemoryStore, status: JobStatus, flink_job_id: str | None) -> str:
    job = make_job(status=status, flink_job_id=flink_job_id)
    with store.transaction() as repos:
        repos.create_job(job=job)
    return job.id


async def test_live_reads_answer_the_native_envelope(
    client: httpx.AsyncClient, store: InMemoryStore
) -> None:
    job_id = _job(store, JobStatus.RUNNING, "f1")
    for tail, field in [
        ("graph", "graph"),
        ("vertices", "vertices"),
        ("checkpoints", "checkpoints"),
        ("exceptions", "exceptions"),
        ("configuration", "configuration"),
        ("taskmanagers", "taskmanagers"),
    ]:
        response = await client.get(f"{BASE}/jobs/{job_id}/{tail}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True
        assert body["data"]["live"] is True
        assert body["data"]["jobId"] == job_id
        assert field in body["data"]
    vertices = (await client.get(f"{BASE}/jobs/{job_id}/vertices")).json()["data"]["vertices"]
    assert vertices[0]["recordsOutPerSecond"] == 100.0
    assert vertices[0]["isSource"] is True
    config = (await client.get(f"{BASE}/jobs/{job_id}/configuration")).json()["data"]
    assert {"key": "parallelism.default", "value": "1", "source": "CLUSTER"} in config[
        "configuration"
    ]
    loads = (await client.get(f"{BASE}/job-loads")).json()["data"]
    assert [(row["jobId"], row["recordsInPerSecond"]) for row in loads] == [(job_id, 100.0)]


async def test_a_job_flink_forgot_is_not_live_and_not_an_error(
    client: httpx.AsyncClient, store: InMemoryStore
) -> None:
    job_id = _job(store, JobStatus.FAILED, "gone")
    response = await client.get(f"{BASE}/jobs/{job_id}/graph")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["live"] is False
    assert data["graph"] is None
    assert "no longer has live data" in data["note"]


@pytest.mark.parametrize(
    "query",
    [
        "metric=nope",
        "metric=restarts&step=0",
        "metric=restarts&start=-1",
        "metric=restarts&start=2000&end=1000",
        "",
    ],
)
async def test_bad_metric_history_queries_are_400(
    client: httpx.AsyncClient, store: InMemoryStore, query: str
) -> None:
    job_id = _job(store, JobStatus.RUNNING, "f1")
    response = await client.get(f"{BASE}/jobs/{job_id}/metrics/history?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False


async def test_metric_history_answers_the_kept_points(
    client: httpx.AsyncClient, store: InMemoryStore
) -> None:
    job_id = _job(store, JobStatus.CANCELLED, "gone")
    response = await client.get(
        f"{BASE}/jobs/{job_id}/metrics/history?metric=checkpointDurationMs&step=60"
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["jobId"], data["metric"], data["points"]) == (
        job_id,
        "checkpointDurationMs",
        [],
    )


async def test_bad_limit_is_400_and_an_unknown_job_is_404(
    client: httpx.AsyncClient, store: InMemoryStore
) -> None:
    job_id = _job(store, JobStatus.RUNNING, "f1")
    bad = await client.get(f"{BASE}/jobs/{job_id}/exceptions?limit=0")
    assert bad.status_code == 400
    assert bad.json()["success"] is False
    missing = await client.get(f"{BASE}/jobs/no-such-job/graph")
    assert missing.status_code == 404
    assert missing.json()["success"] is False
