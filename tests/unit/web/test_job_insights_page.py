"""The job page's insides on the rendered HTML, with a fake job-insights service: the
graph, vertex metrics, checkpoints, exceptions, TaskManagers, configuration and charts,
the polled fragments while the job runs, and the ended-job state with its kept history."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

from millstream.control.context import Scope
from millstream.control.ports import Page
from millstream.control.services.job_insights import JobInsightsService
from millstream.domain.job_insights import (
    CheckpointKind,
    CheckpointRecord,
    CheckpointStatus,
    CheckpointSummary,
    ConfigEntry,
    ConfigSource,
    ExceptionHistory,
    ExceptionRecord,
    GraphEdge,
    GraphVertex,
    Insight,
    InsightMetric,
    JobConfiguration,
    JobGraph,
    MetricSeries,
    MinAvgMax,
    TaskManagerInfo,
    TaskManagers,
    VertexMetrics,
)
from millstream.domain.jobs import JobStatus
from millstream.web import build_console
from tests.unit.web.conftest import World, sign_in
from tests.unit.web.test_console import HX, SCOPE, _create

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclasses.dataclass
class FakeInsights:
    """Answers like ``JobInsightsService``; ``tick`` changes every live value."""

    live: bool = True
    tick: int = 0
    asked: list[tuple[str, Any]] = dataclasses.field(default_factory=list)

    def _wrap(self, job_id: str, data: Any, kept: Any = None) -> Insight[Any]:
        if self.live:
            return Insight(job_id, "d", "RUNNING", True, data)
        return Insight(job_id, "d", "CANCELLED", False, kept, "the job ended")

    def graph(self, scope: Scope, job_id: str) -> Insight[JobGraph]:
        del scope
        vertices = (
            GraphVertex("v1", "Source: src[1] -> Calc[2]", 2, busy_ratio=0.1 * self.tick),
            GraphVertex("v2", "Sink: snk[3]", 1, operators=("Sink: snk[3]",)),
        )
        return self._wrap(job_id, JobGraph(vertices, (GraphEdge("v1", "v2", "HASH"),)))

    def vertices(self, scope: Scope, job_id: str) -> Insight[tuple[VertexMetrics, ...]]:
        del scope
        rows = (
            VertexMetrics(
                "v1",
                "Source: src[1] -> Calc[2]",
                2,
                records_out_per_second=50.0 + self.tick,
                bytes_out_per_second=2048.0,
                busy_ms_per_second=100.0,
                idle_ms_per_second=900.0,
                backpressured_ms_per_second=0.0,
                input_watermark=NOW,
                is_source=True,
            ),
            VertexMetrics("v2", "Sink: snk[3]", 1, records_in_per_second=50.0, is_sink=True),
        )
        return self._wrap(job_id, rows)

    def graph_and_vertices(
        self, scope: Scope, job_id: str
    ) -> Insight[tuple[JobGraph, tuple[VertexMetrics, ...]]]:
        both = (self.graph(scope, job_id).data, self.vertices(scope, job_id).data)
        return self._wrap(job_id, both)

    def checkpoints(self, scope: Scope, job_id: str) -> Insight[CheckpointSummary]:
        del scope
        last = CheckpointRecord(
            7 + self.tick,
            CheckpointStatus.COMPLETED,
            CheckpointKind.CHECKPOINT,
            NOW,
            NOW,
            120,
            4096,
        )
        failed = CheckpointRecord(6, CheckpointStatus.FAILED, failure="declined by task")
        summary = CheckpointSummary(
            completed=7 + self.tick,
            failed=1,
            duration_ms=MinAvgMax(80, 100, 120),
            size_bytes=MinAvgMax(1024, 2048, 4096),
            interval_ms=5000,
            last_completed=last,
            last_failed=failed,
            history=(last, failed),
        )
        return self._wrap(job_id, summary)

    def exceptions(
        self, scope: Scope, job_id: str, *, limit: int = 50
    ) -> Insight[ExceptionHistory]:
        del scope
        self.asked.append(("exceptions", limit))
        entries = tuple(
            ExceptionRecord(
                NOW - timedelta(minutes=i),
                "java.lang.RuntimeException",
                f"boom {i}",
                stacktrace="at Foo.bar(Foo.java:1)",
                task="Sink: snk[3] (1/1)",
            )
            for i in range(1 + self.tick)
        )
        kept = ExceptionHistory(entries[:1])
        return self._wrap(job_id, ExceptionHistory(entries), kept)

    def taskmanagers(self, scope: Scope, job_id: str) -> Insight[TaskManagers]:
        del scope
        tm = TaskManagerInfo(
            "tm-1", "10.0.0.5:6122", 4, 2, 2, 0.25, 300 << 20, 1 << 30, 0, 512 << 20, 8 << 30, NOW
        )
        return self._wrap(job_id, TaskManagers("default", (tm,)))

    def configuration(self, scope: Scope, job_id: str) -> Insight[JobConfiguration]:
        del scope
        entries = (
            ConfigEntry("execution.checkpointing.interval", "5 s", ConfigSource.JOB),
            ConfigEntry("taskmanager.numberOfTaskSlots", "4", ConfigSource.CLUSTER),
        )
        kept = JobConfiguration((ConfigEntry("parallelism.default", "1", ConfigSource.DEPLOYMENT),))
        return self._wrap(job_id, JobConfiguration(entries), kept)

    def metric_history(
        self,
        scope: Scope,
        job_id: str,
        metric: InsightMetric,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        step_seconds: int | None = None,
    ) -> MetricSeries:
        del scope, end, step_seconds  # as the service takes them
        self.asked.append((metric.value, start))
        at = int(NOW.timestamp() * 1000)
        points = tuple((at + i * 5000, float(i * 10)) for i in range(4))
        return MetricSeries(job_id, metric, points)


@pytest.fixture
async def insights() -> FakeInsights:
    return FakeInsights()


@pytest.fixture
async def client(world: World, insights: FakeInsights) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    services = dataclasses.replace(world.services, job_insights=cast(JobInsightsService, insights))
    app.include_router(
        build_console(services, access=world.access, flink_ui_url="http://ui", secret_key=b"k" * 32)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://millstream") as c:
        yield c


async def _job(world: World, client: httpx.AsyncClient) -> str:
    csrf = await sign_in(client)
    deployment_id = await _create(
        World(world.services, world.engine, world.store, world.access, client), csrf
    )
    await client.post(
        f"/console/deployments/{deployment_id}/start", data={"csrf": csrf}, headers=HX
    )
    return world.services.jobs.list(SCOPE, deployment_id, Page())[0][0].id


async def test_job_page_shows_the_jobs_insides(
    world: World, client: httpx.AsyncClient, insights: FakeInsights
) -> None:
    job_id = await _job(world, client)
    page = (await client.get(f"/console/jobs/{job_id}")).text
    assert '<svg class="job-graph"' in page
    assert page.count('class="graph-vertex"') == 2
    assert ">Source: src[1]</text>" in page  # chained operators, one line each
    assert ">Calc[2]</text>" in page
    assert ">\u00d72" in page  # parallelism
    assert ">HASH</text>" in page
    assert '<tr data-vertex="v1">' in page
    assert '<td data-metric="records-out">50</td>' in page
    assert '<td data-metric="bytes-out">2.0 KiB</td>' in page
    assert '<td data-metric="busy">10%</td>' in page
    assert '<td data-metric="watermark">12:00:00 UTC</td>' in page
    assert '<dd id="checkpoints-completed">7</dd>' in page
    assert "declined by task" in page
    assert page.count("RuntimeException</strong>") == 1
    assert "10.0.0.5:6122" in page
    assert "<td>2 / 4</td>" in page
    assert "25%" in page
    assert "execution.checkpointing.interval" in page
    assert page.count('class="line-chart"') == 4
    assert 'class="series series-0"' in page
    assert "not exposed" not in page  # the old Charts card is gone
    # polled while the job runs: the live panel every 3 s, the charts every 5 s
    assert f'hx-get="/console/jobs/{job_id}/insights" hx-trigger="every 3s' in page
    assert f'hx-get="/console/jobs/{job_id}/charts" hx-trigger="every 5s' in page
    assert "Live from Flink" in page
    assert ("exceptions", 30) in insights.asked


async def test_fragments_follow_the_live_values(
    world: World, client: httpx.AsyncClient, insights: FakeInsights
) -> None:
    job_id = await _job(world, client)
    insights.tick = 2
    fragment = (await client.get(f"/console/jobs/{job_id}/insights", headers=HX)).text
    assert fragment.startswith('<div id="job-insights"')
    assert '<td data-metric="records-out">52</td>' in fragment
    assert '<dd id="checkpoints-completed">9</dd>' in fragment
    assert fragment.count("RuntimeException</strong>") == 3
    charts = (await client.get(f"/console/jobs/{job_id}/charts", headers=HX)).text
    assert charts.startswith('<section class="card" id="job-charts"')
    assert charts.count("<polyline") >= 4


async def test_an_ended_job_says_flink_has_no_live_data_and_keeps_its_history(
    world: World, client: httpx.AsyncClient, insights: FakeInsights
) -> None:
    job_id = await _job(world, client)
    job = world.services.jobs.get(SCOPE, job_id)
    with world.store.transaction() as repos:
        repos.update_job(
            job=dataclasses.replace(job, status=JobStatus.CANCELLED, end_time=NOW, start_time=NOW)
        )
    insights.live = False
    page = (await client.get(f"/console/jobs/{job_id}")).text
    assert "Flink no longer has live data for this job" in page
    assert "/insights" not in page.split('id="job-insights"')[1].split(">")[0]  # not polled
    assert 'hx-trigger="every 5s' not in page
    assert page.count('class="line-chart"') == 4  # charts from the kept samples
    assert "<polyline" in page
    assert "boom 0" in page  # the kept failure
    assert "parallelism.default" in page
    assert "as Millstream submitted it" in page
    assert "Vertex metrics are live only while the job runs." in page
    assert "No job graph kept for this job." in page
    assert (InsightMetric.RECORDS_IN.value, NOW) in insights.asked  # from the job's start


async def test_without_an_insights_service_the_page_says_so(world: World) -> None:
    await sign_in(world.client)
    csrf = await sign_in(world.client)
    deployment_id = await _create(world, csrf)
    await world.client.post(
        f"/console/deployments/{deployment_id}/start", data={"csrf": csrf}, headers=HX
    )
    job_id = world.services.jobs.list(SCOPE, deployment_id, Page())[0][0].id
    page = (await world.client.get(f"/console/jobs/{job_id}")).text
    assert page.count("is not served by this Millstream server") == 1
    assert "Metric history is not kept by this Millstream server." in page


async def test_configuration_is_polled_until_flink_has_it(
    world: World, client: httpx.AsyncClient, insights: FakeInsights
) -> None:
    job_id = await _job(world, client)
    insights.live = False  # submitted, not yet running on Flink
    waiting = (await client.get(f"/console/jobs/{job_id}/configuration", headers=HX)).text
    assert "as Millstream submitted it" in waiting
    assert f'hx-get="/console/jobs/{job_id}/configuration"' in waiting
    insights.live = True
    live = (await client.get(f"/console/jobs/{job_id}/configuration", headers=HX)).text
    assert "taskmanager.numberOfTaskSlots" in live
    assert "hx-get" not in live
