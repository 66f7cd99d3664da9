"""``/metrics`` on the real app: API latency by route moves with calls, queue waits and
jobs' latest Flink samples are exported, and the token setting guards the endpoint."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import SecretStr

from millstream.config import MetricsExportSettings
from millstream.control.metric_ports import MetricSample
from millstream.domain.jobs import WAITING_FOR_RESOURCES, JobStatus
from millstream.domain.queues import DEFAULT_QUEUE
from millstream.server import Runtime, create_app
from millstream.store.metric_samples import SqlMetricSampleStore
from tests.factories import make_deployment, make_job

from .conftest import parse, scrape_text

LIST = "/api/v2/namespaces/{namespace}/deployments"
HISTOGRAM = "millstream_api_request_duration_seconds"


def _key(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


async def test_api_calls_move_the_latency_histogram_of_their_route(
    client: httpx.AsyncClient, admin: tuple[str, str]
) -> None:
    labels = {
        "method": "GET",
        "route": LIST,
        "dialect": "native",
        "operation": "ListDeployments",
        "status_class": "2xx",
    }
    before = parse(await scrape_text(client)).get(_key(f"{HISTOGRAM}_count", **labels), 0.0)
    for namespace in ("default-namespace", "default-namespace"):
        response = await client.get(f"/api/v2/namespaces/{namespace}/deployments", auth=admin)
        assert response.status_code == 200, response.text
    unsigned = await client.get("/api/v2/namespaces/default-namespace/deployments")
    assert unsigned.status_code == 401
    text = await scrape_text(client)
    after = parse(text)
    assert after[_key(f"{HISTOGRAM}_count", **labels)] == before + 2
    assert after[_key(f"{HISTOGRAM}_bucket", **labels, le="+Inf")] == before + 2
    assert after[_key(f"{HISTOGRAM}_sum", **labels)] > 0
    # The raw path never becomes a label; a refused call is its own status class.
    assert "default-namespace/deployments" not in text
    assert any(
        name == f"{HISTOGRAM}_count" and ("status_class", "4xx") in key and ("route", LIST) in key
        for name, key in after
    )


async def test_running_jobs_latest_samples_and_queue_waits_are_exported(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    now = datetime.now(UTC)
    ws, ns = runtime.settings.default_workspace, runtime.settings.default_namespace
    running_dep = make_deployment(workspace=ws, namespace=ns, name="orders-etl")
    running = make_job(running_dep, status=JobStatus.RUNNING, flink_job_id="a" * 32)
    waiting_dep = make_deployment(workspace=ws, namespace=ns, name="waits")
    waiting = make_job(
        waiting_dep,
        status=JobStatus.STARTING,
        status_reason=WAITING_FOR_RESOURCES,
        queue=DEFAULT_QUEUE,
        cost_cu=1.0,
        enqueued_at=now - timedelta(seconds=120),
    )
    with runtime.store.transaction() as repos:
        for deployment, job in ((running_dep, running), (waiting_dep, waiting)):
            repos.create_deployment(deployment=deployment)
            repos.create_job(job=job)
    samples = [
        MetricSample(
            running.id, "all.numRecordsInPerSecond.sum", 10.0, now - timedelta(seconds=20)
        ),
        MetricSample(running.id, "all.numRecordsInPerSecond.sum", 42.0, now - timedelta(seconds=5)),
        MetricSample(running.id, "lastCheckpointDuration", 250.0, now - timedelta(seconds=5)),
        # Older than three sampling rounds: stale, not exported.
        MetricSample(running.id, "numRestarts", 7.0, now - timedelta(hours=1)),
    ]
    with SqlMetricSampleStore(runtime.store.engine).transaction() as sample_repos:
        sample_repos.create_metric_samples(samples=samples)

    scraped = parse(await scrape_text(client))

    of_job = {"workspace": ws, "namespace": ns, "deployment": "orders-etl", "job": running.id}
    assert scraped[_key("millstream_flink_job_records_in_per_second", **of_job)] == 42.0
    duration = "millstream_flink_job_last_checkpoint_duration_seconds"
    assert scraped[_key(duration, **of_job)] == 0.25
    assert _key("millstream_flink_job_restarts", **of_job) not in scraped
    queue = {"queue": DEFAULT_QUEUE, "cluster": "default"}
    assert scraped[_key("millstream_queue_waiting_jobs", **queue)] == 1
    assert scraped[_key("millstream_queue_oldest_wait_seconds", **queue)] >= 120
    assert scraped[_key("millstream_collector_up", collector="flink_jobs")] == 1


async def test_a_configured_token_is_required(runtime: Runtime) -> None:
    export = MetricsExportSettings(token=SecretStr("scrape-me"))
    settings = runtime.settings.model_copy(update={"metrics_export": export})
    app = create_app(dataclasses.replace(runtime, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as http:
        assert (await http.get("/metrics")).status_code == 401
        ok = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert ok.status_code == 200
    assert "millstream_api_request_duration_seconds" in ok.text


async def test_disabled_export_serves_no_metrics(runtime: Runtime) -> None:
    export = MetricsExportSettings(enabled=False)
    settings = runtime.settings.model_copy(update={"metrics_export": export})
    app = create_app(dataclasses.replace(runtime, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as http:
        assert (await http.get("/metrics")).status_code == 404
