"""GetInstanceMetric over the metric history: the app through ``httpx.ASGITransport`` on
real SQLite, the SDK's own signed requests, samples in the store and a fake Flink for
the live value. The window, ``downsample``, ``aggregator``/``Summary``, the live point at
the window's end, a Flink that does not answer, and 400s for malformed queries."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aliyunsdkfoas.request.v20181111 import GetInstanceMetricRequest, StartJobRequest

from millstream.api.app import create_api
from millstream.api.foas import FOAS
from millstream.control.metric_catalog import FlinkMetricReader
from millstream.control.metric_ports import MetricSample
from millstream.control.services.metric_history import MetricHistoryService
from millstream.domain.jobs import JobStatus
from millstream.store.metric_samples import SqlMetricSampleStore
from tests.integration.api.test_foas_api import HOST, Foas, World, _create, _job_request
from tests.unit.control.metric_fakes import FakeInspector

FLINK_ID = "f" * 32


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = World(tmp_path)
    yield built
    built.close()


@pytest.fixture
def inspector() -> FakeInspector:
    return FakeInspector()


@pytest.fixture
def samples(world: World) -> SqlMetricSampleStore:
    return SqlMetricSampleStore(world.store.engine)


@pytest.fixture
async def foas(
    world: World, inspector: FakeInspector, samples: SqlMetricSampleStore
) -> AsyncIterator[Foas]:
    history = MetricHistoryService(world.store, samples, FlinkMetricReader(inspector))
    services = dataclasses.replace(world.services, metric_history=history)
    app = create_api(services, world.access, dialects=[FOAS], max_body_bytes=8192)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as http:
        yield Foas(http, world.admin.key.id, world.admin.secret)


async def _running_job(foas: Foas, world: World) -> str:
    await foas.ok(_create())
    instance = (await foas.ok(_job_request(StartJobRequest.StartJobRequest)))["instanceId"]
    job = world.job(instance)
    with world.store.transaction() as repos:
        stored = repos.read_job(job_id=job.id)
        assert stored is not None
        stored.move_to(JobStatus.RUNNING)
        stored.flink_job_id = FLINK_ID
        repos.update_job(job=stored)
    return job.id


def _store(samples: SqlMetricSampleStore, job_id: str, name: str, points: dict[int, float]) -> None:
    with samples.transaction() as repos:
        repos.create_metric_samples(
            samples=[
                MetricSample(job_id, name, value, datetime.fromtimestamp(second, UTC))
                for second, value in points.items()
            ]
        )


def _metric(**query: Any) -> Any:
    request = _job_request(GetInstanceMetricRequest.GetInstanceMetricRequest)
    request.set_instanceId("-1")
    request.set_metricJson(json.dumps(query))
    # A signed nonce: the same query twice within a second is not a replay.
    request.add_header("x-acs-signature-nonce", uuid.uuid4().hex)
    return request


async def test_a_past_window_answers_stored_samples_downsampled_and_summarised(
    foas: Foas, world: World, samples: SqlMetricSampleStore, inspector: FakeInspector
) -> None:
    job_id = await _running_job(foas, world)
    past = int(time.time()) // 60 * 60 - 3600  # an hour ago, on a minute
    _store(
        samples, job_id, "numberOfCompletedCheckpoints", {past + s: s for s in range(0, 120, 15)}
    )
    _store(samples, job_id, "numRestarts", {past + 30: 1.0})
    start, end = (past + 15) * 1000, (past + 90) * 1000
    answer = await foas.ok(
        _metric(
            start=start,
            end=end,
            queries=[
                {"metric": "blink.default.orders.checkpoints", "aggregator": "max"},
                {"metric": "checkpoints", "downsample": "1m-avg", "aggregator": "sum"},
                {"metric": "task_failover.rate"},
                {"metric": "lastCheckpointSize"},
            ],
        )
    )
    raw, buckets, restarts, size = answer["Metrics"]["Metric"]
    assert raw["MetricName"] == "blink.default.orders.checkpoints"
    assert raw["Dps"] == {str(past + s): float(s) for s in (15, 30, 45, 60, 75, 90)}
    assert raw["Summary"] == 90.0
    # 15..45 fall in the bucket of ``past``, 60..90 in the next one.
    assert buckets["Dps"] == {str(past): 30.0, str(past + 60): 75.0}
    assert buckets["Summary"] == 105.0
    assert restarts["Dps"] == {str(past + 30): 1.0}
    assert size == {"MetricName": "lastCheckpointSize", "Dps": {}, "Tags": {}}
    assert inspector.gets == []  # an old window never asks Flink


async def test_a_window_reaching_now_ends_with_flinks_current_value(
    foas: Foas, world: World, samples: SqlMetricSampleStore, inspector: FakeInspector
) -> None:
    job_id = await _running_job(foas, world)
    now = int(time.time())
    _store(samples, job_id, "numberOfCompletedCheckpoints", {now - 30: 3.0, now - 15: 4.0})
    inspector.job_values[FLINK_ID] = {"numberOfCompletedCheckpoints": 5}
    found = (await foas.ok(_metric(start=(now - 60) * 1000, queries=[{"metric": "checkpoints"}])))[
        "Metrics"
    ]["Metric"][0]
    values = [found["Dps"][second] for second in sorted(found["Dps"])]
    assert values == [3.0, 4.0, 5.0]
    assert max(int(second) for second in found["Dps"]) >= now
    # An end a few seconds ago (the caller's clock): the live value sits at that end.
    end = (now - 5) * 1000
    found = (
        await foas.ok(
            _metric(start=(now - 60) * 1000, end=end, queries=[{"metric": "checkpoints"}])
        )
    )["Metrics"]["Metric"][0]
    assert found["Dps"] == {str(now - 30): 3.0, str(now - 15): 4.0, str(now - 5): 5.0}

    inspector.down.add("http://flink.invalid:8081")  # Flink does not answer: history still does
    found = (await foas.ok(_metric(start=(now - 60) * 1000, queries=[{"metric": "checkpoints"}])))[
        "Metrics"
    ]["Metric"][0]
    assert found["Dps"] == {str(now - 30): 3.0, str(now - 15): 4.0}


@pytest.mark.parametrize(
    "query",
    [
        {"queries": [{"metric": "checkpoints", "downsample": "1x-avg"}]},
        {"queries": [{"metric": "checkpoints", "downsample": "1m-p99"}]},
        {"queries": [{"metric": "checkpoints", "aggregator": "zimsum"}]},
        {"start": 2000, "end": 1000, "queries": [{"metric": "checkpoints"}]},
        {"start": "soon", "queries": [{"metric": "checkpoints"}]},
    ],
)
async def test_malformed_queries_are_invalid_parameter(
    foas: Foas, world: World, query: dict[str, Any]
) -> None:
    await _running_job(foas, world)
    status, error = await foas.error(_metric(**query))
    assert (status, error["Code"]) == (400, "InvalidParameter")
