"""Autoscaling through the official ``aliyun-python-sdk-foas`` against a REAL server on
REAL Flink: a SQL job whose aggregation is kept busy by a fast datagen runs with
parallelism 1; UpdateAutoScaleConfig turns autoscaling on (at most 2, target 30 %
busy); the autoscaler reads Flink's busy time per vertex, records a plan with those
inputs (GetInstanceHistoryAutoScalePlanList / Content, GetJobLatestAutoScalePlan) and
applies it through the hot-update path: Flink stops the job with a savepoint and runs
the job's next instance with parallelism 2, restored from that savepoint.

The server is this module's own (``autoscaler.interval`` 2 s, ``stabilization`` 5 s) on
the session's Flink cluster (4 slots).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aliyunsdkfoas.request.v20181111 import (
    CreateJobRequest,
    GetInstanceHistoryAutoScalePlanContentRequest,
    GetInstanceHistoryAutoScalePlanListRequest,
    GetJobLatestAutoScalePlanRequest,
    UpdateAutoScaleConfigRequest,
)
from tests.compat.foas.test_foas_sdk import Foas, _client, _flink_id
from tests.e2e.conftest import ServerHandle, free_port, start_server, stop_server, wait_healthy

from millstream.engine import LocalCluster

pytestmark = pytest.mark.flink

_log = logging.getLogger(__name__)

# A datagen as fast as it can go into a keyed aggregation: the aggregation is busy.
BUSY_SQL = """CREATE TEMPORARY TABLE src (
  id BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '100000000'
);
CREATE TEMPORARY TABLE snk (
  k BIGINT,
  c BIGINT,
  n VARCHAR
) WITH (
  'connector' = 'blackhole'
);
INSERT INTO snk SELECT MOD(id, 1000), COUNT(*), MAX(name) FROM src GROUP BY MOD(id, 1000);
"""


@pytest.fixture(scope="module")
def autoscaling_server(
    flink: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerHandle]:
    data_dir = tmp_path_factory.mktemp("millstream-autoscale")
    port = free_port()
    process, log_file = start_server(
        data_dir=data_dir,
        port=port,
        env_overrides={
            "MILLSTREAM_FLINK__EXTERNAL_REST_URL": flink.rest_url,
            "MILLSTREAM_AUTOSCALER__INTERVAL": "2",
            "MILLSTREAM_AUTOSCALER__STABILIZATION": "5",
            # A shared 2-core machine: Flink's first SQL plan can take longer than 30 s.
            "MILLSTREAM_FLINK__REQUEST_TIMEOUT": "120",
        },
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log_file, timeout=120)
        yield ServerHandle(url, data_dir, data_dir / "credentials", log_file, process, flink)
    finally:
        stop_server(process)


@pytest.fixture
def foas(autoscaling_server: ServerHandle) -> Iterator[Foas]:
    tracker = Foas(autoscaling_server, _client(autoscaling_server))
    yield tracker
    tracker.stop_all()


def _create_busy_job(foas: Foas, name: str) -> None:
    request = foas.job_request(CreateJobRequest.CreateJobRequest, name)
    request.set_jobType("FLINK_STREAM")
    request.set_apiType("SQL")
    request.set_code(BUSY_SQL)
    request.set_engineVersion("blink-3.6.0")
    request.set_clusterId("default")
    request.set_queueName("root.default")
    request.set_planJson("{}")
    request.set_properties("blink.checkpoint.interval.ms=2000\nblink.job.timeZone=UTC")
    foas.call(request)


def _configure(foas: Foas, name: str, settings: dict[str, Any]) -> dict[str, Any]:
    request = foas.instance_request(UpdateAutoScaleConfigRequest.UpdateAutoScaleConfigRequest, name)
    request.set_configJson(json.dumps(settings))
    return foas.call(request)


def _plans(foas: Foas, name: str, instance: str = "-1") -> list[str]:
    request = foas.instance_request(
        GetInstanceHistoryAutoScalePlanListRequest.GetInstanceHistoryAutoScalePlanListRequest,
        name,
        instance,
    )
    names: list[str] = foas.call(request)["PlanList"]
    return names


def _content(foas: Foas, name: str, plan: str) -> dict[str, Any]:
    request = foas.instance_request(
        GetInstanceHistoryAutoScalePlanContentRequest.GetInstanceHistoryAutoScalePlanContentRequest,
        name,
    )
    request.set_planName(plan)
    content: dict[str, Any] = json.loads(foas.call(request)["PlanContent"])
    return content


def _applied_plan(foas: Foas, name: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        for plan in _plans(foas, name):
            content = _content(foas, name, plan)
            if content["outcome"] == "APPLIED":
                return content
            seen.append(content)
        time.sleep(1)
    raise AssertionError(
        f"no applied plan in {timeout:.0f} s; plans: {seen[-3:]}\n{foas.server.log_tail()}"
    )


def _flink_job(server: ServerHandle, flink_job_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(
        f"{server.flink.rest_url}/jobs/{flink_job_id}", timeout=10
    ).json()
    return answer


def _restored(server: ServerHandle, flink_job_id: str) -> dict[str, Any]:
    url = f"{server.flink.rest_url}/jobs/{flink_job_id}/checkpoints"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        restored = (httpx.get(url, timeout=10).json().get("latest") or {}).get("restored")
        if restored:
            return dict(restored)
        time.sleep(0.5)
    raise AssertionError(f"Flink reports no restore of {flink_job_id}")


def test_a_busy_job_is_scaled_up_from_a_savepoint(
    foas: Foas, autoscaling_server: ServerHandle
) -> None:
    name = f"busy-{uuid.uuid4().hex[:6]}"
    _create_busy_job(foas, name)
    first_instance = foas.start(name)
    first = foas.wait(name, "RUNNING")
    first_flink_id = _flink_id(first)
    assert {
        v["parallelism"] for v in _flink_job(autoscaling_server, first_flink_id)["vertices"]
    } == {1}
    assert _plans(foas, name) == []
    latest = foas.call(
        foas.job_request(GetJobLatestAutoScalePlanRequest.GetJobLatestAutoScalePlanRequest, name)
    )
    assert "PlanJson" not in latest

    enabled_at = time.monotonic()
    answer = _configure(
        foas,
        name,
        {
            "autoscale.enable": "true",
            "autoscale.max-parallelism": 2,
            "autoscale.target-utilization": 0.3,
            "autoscale.utilization-boundary": 0.1,
            "autoscale.cool-down-seconds": 0,
        },
    )
    assert json.loads(answer["AutoScaleConfig"])["autoscale.max-parallelism"] == 2

    plan = _applied_plan(foas, name)
    _log.info("applied plan after %.1f s: %s", time.monotonic() - enabled_at, json.dumps(plan))
    # The plan was made from Flink's own measurements of the first instance.
    assert plan["instanceId"] == first_instance
    assert (plan["action"], plan["currentParallelism"], plan["proposedParallelism"]) == (
        "SCALE_UP",
        1,
        2,
    )
    assert plan["utilization"] > 0.4, plan
    vertices = plan["vertices"]
    assert len(vertices) >= 2, plan
    assert all(v["parallelism"] == 1 for v in vertices)
    busiest = max(vertices, key=lambda v: v["busyTimeMsPerSecond"] or 0)
    assert busiest["name"] == plan["bottleneck"]
    assert busiest["busyTimeMsPerSecond"] > 400, plan
    assert plan["hotUpdateId"]
    assert plan["config"]["autoscale.target-utilization"] == 0.3
    assert plan["planName"] in _plans(foas, name, str(first_instance))

    # The hot update stops the job with a savepoint and runs the next instance from it.
    deadline = time.monotonic() + 150
    summary = foas.summary(name)
    while time.monotonic() < deadline and not (
        summary["Id"] != first_instance and summary["ActualState"] == "RUNNING"
    ):
        time.sleep(1)
        summary = foas.summary(name)
    assert summary["Id"] != first_instance, autoscaling_server.log_tail()
    assert summary["ActualState"] == "RUNNING", summary
    _log.info("next instance RUNNING %.1f s after enabling", time.monotonic() - enabled_at)
    _configure(foas, name, {"autoscale.enable": False})
    second_flink_id = _flink_id(summary)
    assert second_flink_id != first_flink_id
    assert {
        v["parallelism"] for v in _flink_job(autoscaling_server, second_flink_id)["vertices"]
    } == {2}
    restored = _restored(autoscaling_server, second_flink_id)
    assert restored["is_savepoint"] is True, restored
    assert restored["external_path"], restored
    # Stopped with a savepoint, not cancelled. Flink's REST API caches a job's graph for
    # web.refresh-interval (3 s), and the autoscaler has just read this one: poll.
    deadline = time.monotonic() + 15
    old = _flink_job(autoscaling_server, first_flink_id)
    while old["state"] != "FINISHED" and time.monotonic() < deadline:
        time.sleep(0.5)
        old = _flink_job(autoscaling_server, first_flink_id)
    assert old["state"] == "FINISHED", old["state"]

    latest_plan = json.loads(
        foas.call(
            foas.job_request(
                GetJobLatestAutoScalePlanRequest.GetJobLatestAutoScalePlanRequest, name
            )
        )["PlanJson"]
    )
    assert latest_plan["planName"] in _plans(foas, name)
